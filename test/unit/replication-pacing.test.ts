/**
 * The replication source's pacing (src/shard/replication-source.ts): batches a primary
 * commits within SHIP_INTERVAL_MS of a shipment go to a replica as ONE shipment (each is an
 * RPC, an apply and a log write there), every one of them arrives, in order; and an awaited
 * ack (WAIT, min-replicas-to-write) is never held for the pace.
 */
import { describe, expect, it } from "vitest";
import { ReplicationSource, SHIP_INTERVAL_MS, type ReplAck, type ReplicaLink, type ReplMessage } from "../../src/shard/replication-source";
import { TestClock, testSourceHost } from "../support/replication-host";
import { effectsBytes } from "../../src/shard/replication-backlog";

/** A primary with one replica that applies what it is sent, on a clock the test moves. */
function primaryWithReplica(shipIntervalMs?: number) {
  const clock = new TestClock();
  const shipments: string[][][] = [];
  let applied = 0;
  const link = {
    async replicate(msg: ReplMessage): Promise<ReplAck> {
      if (msg.kind === "probe") return { ok: false, sync: true, replid: "r", offset: applied };
      if (msg.kind !== "stream") throw new Error(`unexpected ${msg.kind}`);
      expect(msg.from).toBe(applied);
      shipments.push(msg.effects);
      applied = msg.to;
      return { ok: true, offset: applied };
    },
  } as ReplicaLink;
  const source = new ReplicationSource(testSourceHost(link, clock, shipIntervalMs), "r", 0);
  source.lead("shard-0", { group: 0, epoch: 1, primary: "shard-0", replicas: ["shard-0-r1"] });
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return {
    source,
    shipments,
    get applied() {
      return applied;
    },
    settle,
    /** Moves the clock by `ms`, running the timers that come due. */
    async advance(ms: number) {
      clock.advance(ms);
      await settle();
    },
  };
}

describe("replication pacing", () => {
  it("ships the batches committed within the interval as one shipment, all of them in order", async () => {
    const r = primaryWithReplica();
    await r.settle(); // the probe
    r.source.committed([["SET", "a", "1"]]);
    await r.settle();
    expect(r.shipments.length).toBe(1);
    // Four more commits right after: held for the pace, then one shipment.
    for (const v of ["2", "3", "4", "5"]) r.source.committed([["SET", "a", v]]);
    await r.settle();
    expect(r.shipments.length).toBe(1);
    await r.advance(SHIP_INTERVAL_MS);
    expect(r.shipments.length).toBe(2);
    expect(r.shipments[1]).toEqual(["2", "3", "4", "5"].map((v) => ["SET", "a", v]));
    expect(r.applied).toBe(r.source.offset);
    expect(r.applied).toBe(effectsBytes([1, 2, 3, 4, 5].map((v) => ["SET", "a", String(v)])));
  });

  it("ships at once when an ack is awaited (WAIT, min-replicas-to-write)", async () => {
    const r = primaryWithReplica();
    await r.settle();
    r.source.committed([["SET", "a", "1"]]);
    await r.settle();
    r.source.committed([["SET", "a", "2"]]);
    const acked = r.source.waitForAcks(r.source.offset, 1, 0);
    await r.settle();
    expect(await acked).toBe(1);
    expect(r.shipments.length).toBe(2);
  });

  it("follows REPL_SHIP_INTERVAL_MS: 0 ships every commit at once, a longer interval holds them longer", async () => {
    const eager = primaryWithReplica(0);
    await eager.settle();
    for (const v of ["1", "2", "3"]) {
      eager.source.committed([["SET", "a", v]]);
      await eager.settle();
    }
    expect(eager.shipments.length).toBe(3);
    const slow = primaryWithReplica(100);
    await slow.settle();
    slow.source.committed([["SET", "a", "1"]]);
    await slow.settle();
    slow.source.committed([["SET", "a", "2"]]);
    // Past the default interval, still inside its own: held.
    await slow.advance(50);
    expect(slow.shipments.length).toBe(1);
    await slow.advance(50);
    expect(slow.shipments.length).toBe(2);
    expect(slow.applied).toBe(slow.source.offset);
  });
});
