/**
 * A pipeline keeps its order across a live-resharding redirect (src/shard/slot-state.ts
 * CallOrder, src/router/redirect.ts): a command the shard refuses with SPLIT/ASK/MOVED runs
 * later, so later commands of its slots in the same call are answered DEFERRED and re-sent
 * after it. The reshard crash e2e found the bug this prevents: `MSET a x b y` (b's slot
 * migrating) answered SPLIT and the `DEL a` after it ran first.
 */
import { describe, expect, it } from "vitest";
import "../../src/commands/index";
import type { Reply } from "../../src/protocol/reply";
import { resolveCommand, routeBatch } from "../../src/router/dispatch";
import { CallOrder, SlotState } from "../../src/shard/slot-state";
import { Keyspace } from "../../src/engine/keyspace";
import { keySlot } from "../../src/util/keyslot";
import { MemoryPool } from "../support/memory-pool";

/** Two groups of the contiguous layout, each core behind its slot gate; `asking` reaches the core. */
class GatedPool extends MemoryPool {
  readonly states: SlotState[];
  constructor() {
    super(2);
    this.states = this.shards.map((core, g) => {
      const st = SlotState.initial(g, 2);
      // As in the shard: the gate and the executor's creation guard read the same state.
      core.executor.slotOwner = st;
      core.slotGate = { check: (argv, asking, order) => st.check(argv, asking, core.db, order), served: () => {} };
      return st;
    });
  }
  /** Slot `moving` migrates from group 0 to group 1. */
  migrate(moving: number): void {
    this.states[0].apply({ epoch: 1, owned: [[0, moving - 1], [moving + 1, 8191]], migrating: [[moving, 1]], importing: [] });
    this.states[1].apply({ epoch: 1, owned: [[8192, 16383]], migrating: [], importing: [[moving, 0]] });
  }
  override async exec(shard: number, batch: string[][], asking?: boolean): Promise<Reply[]> {
    this.calls[shard]++;
    return this.shards[shard].exec(batch, asking === true);
  }
}

/** A key of group 0 (slots 0..8191) other than `not`'s slot. */
function keyOfGroup0(prefix: string, not = -1): string {
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    const s = keySlot(k);
    if (s < 8192 && s !== not) return k;
  }
}

const access = { readOnly: false, debug: false };

describe("pipeline order across a live-resharding redirect", () => {
  it("a command after a SPLIT on one of its slots runs after it", async () => {
    const pool = new GatedPool();
    const a = keyOfGroup0("a");
    const b = keyOfGroup0("b", keySlot(a));
    // b's slot migrates 0 → 1 and b is not on group 0 (new, or moved already): ASK for it.
    const moving = keySlot(b);
    pool.migrate(moving);
    await routeBatch(pool, [resolveCommand(["SET", a, "old"])], { access, runLocal: () => null });
    const c = keyOfGroup0("c", keySlot(a));
    const replies = await routeBatch(
      pool,
      [["MSET", a, "new", b, "x"], ["DEL", a], ["GET", b], ["SET", c, "v"]].map(resolveCommand),
      { access, runLocal: () => null },
    );
    expect(replies).toEqual([{ kind: "simple", value: "OK" }, 1, "x", { kind: "simple", value: "OK" }]);
    expect(pool.shards[0].db.sequenceOf(a)).toBeUndefined();
    expect(pool.shards[1].exec([["GET", b]], true)).toEqual(["x"]);
  });

  it("a split command does not overtake a command redirected before it", async () => {
    const pool = new GatedPool();
    const k = keyOfGroup0("k");
    const o = keyOfGroup0("o", keySlot(k));
    const moving = keySlot(k);
    pool.migrate(moving);
    // k is not on the source: APPEND is sent on by ASK, the MSET is split; the APPEND runs first.
    const replies = await routeBatch(pool, [["APPEND", k, "x"], ["MSET", k, "v", o, "w"], ["GET", k]].map(resolveCommand), { access, runLocal: () => null });
    expect(replies).toEqual([1, { kind: "simple", value: "OK" }, "v"]);
  });

  it("the gate defers only what shares a slot with a redirect (keyless commands too), and keeps later redirects", () => {
    const db = new Keyspace();
    const st = SlotState.initial(0, 2);
    const a = keyOfGroup0("a");
    const b = keyOfGroup0("b", keySlot(a));
    const other = keyOfGroup0("o", keySlot(a));
    const moving = keySlot(a);
    st.apply({ epoch: 2, owned: [[0, moving - 1], [moving + 1, 8191]], migrating: [[moving, 1]], importing: [] });
    db.set(`{${a}}here`, "v");
    const order = new CallOrder();
    // Served: nothing was redirected yet.
    expect(st.check(["GET", b], false, db, order)).toBe(keySlot(b));
    expect(st.check(["DBSIZE"], false, db, order)).toBe(-1);
    // a is not here: ASK, and its slot is held from now on.
    expect(st.check(["SET", a, "1"], false, db, order)).toEqual({ kind: "error", message: `ASK ${moving} 1` });
    expect(st.check(["GET", `{${a}}here`], false, db, order)).toEqual({ kind: "error", message: `DEFERRED ${moving} 0 0` });
    expect(st.check(["GET", a], false, db, order)).toEqual({ kind: "error", message: `ASK ${moving} 1` });
    expect(st.check(["GET", other], false, db, order)).toBe(keySlot(other));
    expect(st.check(["DBSIZE"], true, db, order)).toEqual({ kind: "error", message: "DEFERRED -1 0 1" });
    // Without a call's order (blocking commands, the unit form) nothing is deferred.
    expect(st.check(["GET", `{${a}}here`], false, db)).toBe(moving);
  });
});
