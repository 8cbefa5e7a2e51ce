/**
 * The slot map as data and the migration state machine (src/monitor/slot-map-data.ts,
 * src/monitor/migration-job.ts), and the shard's routing gate (src/shard/slot-state.ts).
 */
import { describe, expect, it } from "vitest";
import "../../src/commands/index";
import { Keyspace } from "../../src/engine/keyspace";
import { groupConfig, newJob, takeChunk } from "../../src/monitor/migration-job";
import { contiguousOwner, initialSlotMap, ownerOf, planRebalance, planReshard, rangesOf, validateSlotMap } from "../../src/monitor/slot-map-data";
import { SlotState } from "../../src/shard/slot-state";
import { keySlot, SLOTS } from "../../src/util/keyslot";

function apply(owner: Uint16Array, moves: { slot: number; to: number }[]): Uint16Array {
  const o = owner.slice();
  for (const m of moves) o[m.slot] = m.to;
  return o;
}

describe("the slot map as data", () => {
  it("starts as the SHARDS formula and round-trips through ranges", () => {
    const m = validateSlotMap(initialSlotMap(4));
    expect(m.epoch).toBe(0);
    expect(m.ranges).toEqual([[0, 4095, 0], [4096, 8191, 1], [8192, 12287, 2], [12288, 16383, 3]]);
    expect(ownerOf(m.ranges)).toEqual(contiguousOwner(4));
  });

  it("plans 4 → 8 → 3 with every slot owned by a group below the count and even quotas", () => {
    const to8 = apply(contiguousOwner(4), planReshard(contiguousOwner(4), 8));
    const counts8 = new Array(8).fill(0);
    for (const g of to8) counts8[g]++;
    expect(counts8).toEqual(new Array(8).fill(2048));
    const plan3 = planReshard(to8, 3);
    const to3 = apply(to8, plan3);
    const counts3 = new Array(8).fill(0);
    for (const g of to3) counts3[g]++;
    expect(counts3.slice(0, 3)).toEqual([5462, 5461, 5461]);
    expect(counts3.slice(3).every((c) => c === 0)).toBe(true);
    // Only slots that had to move moved.
    expect(plan3.length).toBe(SLOTS - 3 * 2048);
    expect(planReshard(to3, 3)).toEqual([]);
  });

  it("rebalances a hot group towards the mean and never moves weightless slots", () => {
    const owner = contiguousOwner(2);
    const w = new Float64Array(SLOTS);
    for (let s = 0; s < 100; s++) w[s] = 10;
    const moves = planRebalance(owner, 2, w);
    expect(moves.length).toBe(50);
    expect(moves.every((m) => m.from === 0 && m.to === 1 && w[m.slot] > 0)).toBe(true);
  });
});

describe("the migration job", () => {
  it("chunks moves per (source, target) pair and configures both sides", () => {
    const owner = contiguousOwner(4);
    const job = newJob("reshard", 8, 4, planReshard(owner, 8), 0);
    const chunk = takeChunk(job, 128)!;
    expect(chunk.slots.length).toBe(128);
    expect(job.pending.length).toBe(8192 - 128);
    const src = groupConfig(owner, chunk.from, 5, chunk);
    const dst = groupConfig(owner, chunk.to, 5, chunk);
    expect(src.migrating.length).toBe(128);
    expect(dst.importing.length).toBe(128);
    expect(rangesOf(owner).length).toBe(4);
    // After the move: neither side has the chunk in a transitional state.
    chunk.phase = "release";
    expect(groupConfig(owner, chunk.from, 6, chunk).migrating).toEqual([]);
  });
});

describe("the shard's routing gate", () => {
  it("answers MOVED, ASK, TRYAGAIN as Redis Cluster's getNodeByQuery", () => {
    const db = new Keyspace();
    const st = SlotState.initial(0, 4);
    const a = "a"; // slot 15495: group 3
    const mine = (() => {
      for (let i = 0; ; i++) if (keySlot(`k${i}`) < 4096) return `k${i}`;
    })();
    expect(st.check(["GET", mine], false, db)).toBe(keySlot(mine));
    expect(st.check(["GET", a], false, db)).toEqual({ kind: "error", message: `MOVED ${keySlot(a)} 0` });
    const slot = keySlot(mine);
    st.apply({ epoch: 3, owned: [[0, slot - 1], [slot + 1, 4095]], migrating: [[slot, 5]], importing: [] });
    // Not here (moved or new) → ASK the target; here → served.
    expect(st.check(["SET", mine, "v"], false, db)).toEqual({ kind: "error", message: `ASK ${slot} 5` });
    db.set(mine, "v");
    expect(st.check(["GET", mine], false, db)).toBe(slot);
    const other = `{${mine}}x`;
    expect(st.check(["MGET", mine, other], false, db)).toEqual({ kind: "error", message: "TRYAGAIN Multiple keys request during rehashing of slot" });
    // An importing slot serves only when asked.
    const t = SlotState.initial(5, 4);
    t.apply({ epoch: 3, owned: [], migrating: [], importing: [[slot, 0]] });
    expect(t.check(["GET", mine], false, db)).toEqual({ kind: "error", message: `MOVED ${slot} 3` });
    expect(t.check(["GET", mine], true, db)).toBe(slot);
    // An older epoch is ignored.
    expect(t.apply({ epoch: 2, owned: [], migrating: [], importing: [] })).toBe(false);
  });
});
