/**
 * The replication source facing a replica that refuses it as stale at the SAME epoch (it
 * follows another primary of that epoch, or thinks itself primary: possible for a moment
 * while a failover spreads): the source is not deposed by that, so it must try again later,
 * not at once. Found in the failover e2e: an immediate re-send made an RPC ping-pong that
 * never ended and starved every other request of the process.
 */
import { describe, expect, it } from "vitest";
import { ReplicationSource, RETRY_MS, type ReplAck, type ReplicaLink } from "../../src/shard/replication-source";
import { TestClock, testSourceHost } from "../support/replication-host";

describe("a stale refusal at the source's own epoch", () => {
  it("is retried after RETRY_MS, not in a loop", async () => {
    const clock = new TestClock();
    let calls = 0;
    const link = {
      async replicate(): Promise<ReplAck> {
        calls++;
        // An RPC: answered on a later turn (a loop of them would not starve this test's timers).
        await new Promise((r) => setTimeout(r, 0));
        return { ok: false, stale: true, epoch: 1 };
      },
    } as ReplicaLink;
    const source = new ReplicationSource(testSourceHost(link, clock), "r", 0);
    source.lead("shard-0", { group: 0, epoch: 1, primary: "shard-0", replicas: ["shard-0-r1"] });
    source.committed([["SET", "a", "1"]]);
    // An ack is awaited (min-replicas-to-write): no pacing either.
    void source.waitForAcks(source.offset, 1, 0);
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBeLessThanOrEqual(2);
    // Tried again once the retry delay has passed.
    const before = calls;
    clock.advance(RETRY_MS);
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBeGreaterThan(before);
  });
});
