/**
 * The slot config riding the replication stream (issue 13; src/shard/replication-source.ts,
 * replication-sink.ts): a primary's messages carry its slot config until the replica has
 * answered one that did; the replica takes it before the message's effects; a new config is
 * shipped with the next message; an unreachable replica gets it again when it is reached.
 */
import { describe, expect, it } from "vitest";
import { ReplicationSource, type ReplAck, type ReplMessage } from "../../src/shard/replication-source";
import { ReplicationSink } from "../../src/shard/replication-sink";
import type { GroupConfig } from "../../src/shard/group";
import type { ShardSlotConfig } from "../../src/shard/slot-state";

const GROUP: GroupConfig = { group: 0, epoch: 1, primary: "shard-0", replicas: ["shard-0-r1"] };

function config(epoch: number, last: number): ShardSlotConfig {
  return { epoch, owned: [[0, last]], migrating: [], importing: [] };
}

/** A primary and one replica wired source → sink in memory; `reachable` false makes shipments throw. */
function group() {
  const timers: (() => void)[] = [];
  let clock = 1_000;
  let primarySlots: ShardSlotConfig | null = config(1, 100);
  /** What the replica had, in order: "slots:<epoch>" when it took a config, "apply:<effects>" for effects. */
  const events: string[] = [];
  const sent: ReplMessage[] = [];
  let reachable = true;
  // The replica's own source: it only counts the offset the replica applied.
  const replicaSource = new ReplicationSource(
    {
      link: () => ({ replicate: async () => ({ ok: true, offset: 0 }) }),
      fullSyncImage: () => {
        throw new Error("a replica serves no resync here");
      },
      deposed: () => {},
      now: () => clock,
    },
    "r",
    0,
  );
  const sink = new ReplicationSink(
    {
      name: "shard-0-r1",
      config: () => GROUP,
      adopt: () => {},
      isPrimary: () => false,
      apply: (effects) => {
        events.push(`apply:${effects.map((e) => e.join(" ")).join(",")}`);
        replicaSource.committed(effects);
      },
      commit: async () => {},
      loadImage: () => {},
      persist: () => {},
      now: () => 0,
      takeSlots: async (c) => void events.push(`slots:${c.epoch}`),
    },
    replicaSource,
  );
  const source = new ReplicationSource(
    {
      link: () => ({
        async replicate(msg: ReplMessage): Promise<ReplAck> {
          if (!reachable) throw new Error("unreachable");
          sent.push(msg);
          return sink.receive(msg);
        },
      }),
      fullSyncImage: () => {
        throw new Error("no full resync here");
      },
      deposed: () => {},
      now: () => clock,
      later: (fn) => void timers.push(fn),
      slotConfig: () => primarySlots,
    },
    "r",
    0,
  );
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0));
  };
  return {
    source,
    events,
    sent,
    settle,
    setSlots: (c: ShardSlotConfig) => (primarySlots = c),
    setReachable: (on: boolean) => (reachable = on),
    /** Moves the clock past the pace and the retry delay, and runs the timers. */
    async runTimers() {
      clock += 10_000;
      for (const fn of timers.splice(0)) fn();
      await settle();
    },
  };
}

describe("slot config on the replication stream", () => {
  it("rides messages until the replica answered one, and is taken before the effects", async () => {
    const g = group();
    g.source.lead("shard-0", GROUP);
    await g.settle(); // the probe, with the config
    expect(g.sent.map((m) => [m.kind, m.slots?.epoch])).toEqual([["probe", 1]]);
    g.source.committed([["DEL", "a"]]);
    await g.runTimers();
    // Taken once: the stream's next message does not carry it again.
    expect(g.sent.map((m) => [m.kind, m.slots?.epoch])).toEqual([["probe", 1], ["stream", undefined]]);
    // A new config (a reshard moved slots away) goes with the next shipment, before its effects.
    g.setSlots(config(2, 50));
    g.source.committed([["DEL", "b"]]);
    await g.runTimers();
    expect(g.sent.at(-1)?.slots?.epoch).toBe(2);
    expect(g.events).toEqual(["slots:1", "apply:DEL a", "slots:2", "apply:DEL b"]);
  });

  it("is shipped again to a replica that could not be reached", async () => {
    const g = group();
    g.source.lead("shard-0", GROUP);
    await g.settle();
    g.setReachable(false);
    g.setSlots(config(3, 10));
    g.source.committed([["DEL", "c"]]);
    await g.runTimers();
    expect(g.events).toEqual(["slots:1"]);
    g.setReachable(true);
    await g.runTimers(); // the retry probes again: with the config
    await g.runTimers();
    expect(g.events).toEqual(["slots:1", "slots:3", "apply:DEL c"]);
    expect(g.sent.filter((m) => m.slots !== undefined).map((m) => [m.kind, m.slots?.epoch])).toEqual([["probe", 1], ["probe", 3]]);
  });
});
