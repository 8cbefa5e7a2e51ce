/**
 * Exact DBSIZE / KEYS while slots move, the pieces (src/shard/keyspace-view.ts,
 * src/router/keyspace-view.ts): the shard unwraps the router's wrapped commands and answers
 * them with its slot epoch, a target counts and lists its keys imported from one source, a
 * source adds them to its own, and the router asks again when an answer is newer than its map.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import { error, type Reply } from "../../src/protocol/reply";
import { resolveCommand, routeBatch, type ShardPool } from "../../src/router/dispatch";
import { unwrapViews, viewArgv } from "../../src/router/keyspace-view";
import { SlotMap } from "../../src/router/slots";
import { ShardCore, type ShardOp } from "../../src/shard/core";
import { CallViews, importedKeys, type MovedKeysQuery } from "../../src/shard/keyspace-view";
import { SlotState } from "../../src/shard/slot-state";
import { keySlot } from "../../src/util/keyslot";

const COUNT: MovedKeysQuery = { list: false, pattern: null, type: null, owned: false, position: 0 };
const list = (pattern: string): MovedKeysQuery => ({ list: true, pattern, type: null, owned: false, position: 0 });

const A = "{a}:1";
const B = "{a}:2";
const OTHER = "{b}:1";

/** A target: slot of {a} imported from group 0, everything else owned. */
function target(): { core: ShardCore; state: SlotState } {
  const core = new ShardCore(DEFAULT_LIMITS, () => {});
  core.exec([["SET", A, "1"], ["SET", B, "2"], ["SET", OTHER, "3"]]);
  const state = new SlotState(1);
  const s = keySlot(A);
  state.apply({ epoch: 7, owned: [[0, s - 1], [s + 1, 16383]], migrating: [], importing: [[s, 0]] });
  return { core, state };
}

describe("keyspace views (shard)", () => {
  it("unwraps the router's wrapped commands and answers them with the epoch, errors bare", () => {
    const ops: ShardOp[] = [{ kind: "exec", batch: [["GET", "x"], viewArgv(["DBSIZE"]), viewArgv(["KEYS", "*"])] }];
    const { ops: inner, views } = CallViews.unwrap(ops)!;
    expect(inner).toEqual([{ kind: "exec", batch: [["GET", "x"], ["DBSIZE"], ["KEYS", "*"]] }]);
    expect(views!.countsKeys).toBe(true);
    views!.epoch = 3;
    const results: Reply[][] = [[null, 2, error("DEFERRED -1 0 0")]];
    views!.wrap(results);
    expect(results).toEqual([[null, [3, 2], error("DEFERRED -1 0 0")]]);
  });

  it("leaves a call without wrapped commands as it is", () => {
    const ops: ShardOp[] = [{ kind: "exec", batch: [["DBSIZE"]] }];
    expect(CallViews.unwrap(ops)).toBeNull();
  });

  it("a target counts and lists only its keys of slots imported from the asking group", () => {
    const { core, state } = target();
    const slot = keySlot(A);
    expect(importedKeys(state, core.db, 0, [slot], COUNT)).toEqual({ count: 2, keys: null });
    expect(importedKeys(state, core.db, 0, [slot], list("*")).keys!.sort()).toEqual([A, B]);
    expect(importedKeys(state, core.db, 0, [slot], list("*2"))).toEqual({ count: 2, keys: [B] });
    // Another source, or a slot not imported here: nothing.
    expect(importedKeys(state, core.db, 2, [slot], COUNT).count).toBe(0);
    expect(importedKeys(state, core.db, 0, [keySlot(OTHER)], COUNT).count).toBe(0);
    // SCAN's ask also lists a slot the target owns already (the chunk finished), by pattern and type.
    expect(importedKeys(state, core.db, 0, [keySlot(OTHER)], { list: true, pattern: null, type: "string", owned: true, position: 0 }).keys).toEqual([OTHER]);
    expect(importedKeys(state, core.db, 0, [slot], { list: true, pattern: null, type: "list", owned: true, position: 0 }).keys).toEqual([]);
  });

  it("a source adds its targets' moved keys to DBSIZE and KEYS, or fails them when a target cannot answer", async () => {
    const source = new SlotState(0);
    const slot = keySlot(A);
    source.apply({ epoch: 7, owned: [[0, slot - 1]], migrating: [[slot, 1]], importing: [] });
    const { core, state } = target();
    const ops: ShardOp[] = [{ kind: "exec", batch: [viewArgv(["DBSIZE"]), viewArgv(["KEYS", "*"])] }];
    const { ops: inner, views } = CallViews.unwrap(ops)!;
    const asked: Array<[number, number[], MovedKeysQuery]> = [];
    const results: Reply[][] = [[5, ["mine"]]];
    await views!.addMovedKeys(source, inner, results, async (group, slots, query) => {
      asked.push([group, slots, query]);
      return importedKeys(state, core.db, 0, slots, query);
    });
    expect(asked).toEqual([[1, [slot], COUNT], [1, [slot], list("*")]]);
    expect(results[0][0]).toBe(7);
    expect((results[0][1] as string[]).sort()).toEqual(["mine", A, B]);

    const failed: Reply[][] = [[5, ["mine"]]];
    await views!.addMovedKeys(source, inner, failed, async () => {
      throw new Error("down");
    });
    expect(failed[0][0]).toEqual(error("ERR DBSIZE could not count keys already moved: down"));
    expect(failed[0][1]).toEqual(error("ERR KEYS could not count keys already moved: down"));
  });
});

describe("SCAN while slots move (shard)", () => {
  it("a source completes a page of its migrating slot with the target's keys of that slot, and only such a page", async () => {
    const source = new SlotState(0);
    const slot = keySlot(A);
    source.apply({ epoch: 7, owned: [[0, slot - 1]], migrating: [[slot, 1]], importing: [] });
    const { core, state } = target();
    const atSlot = String(slot);
    const ops: ShardOp[] = [{ kind: "exec", batch: [viewArgv(["SCAN", atSlot, "MATCH", "*2"]), viewArgv(["SCAN", "0"])] }];
    const { ops: inner, views } = CallViews.unwrap(ops)!;
    expect(views!.countsKeys).toBe(true);
    const asked: MovedKeysQuery[] = [];
    const results: Reply[][] = [[[String(slot + 1), []], ["5", ["mine"]]]];
    await views!.addMovedKeys(source, inner, results, async (_group, slots, query) => {
      asked.push(query);
      return importedKeys(state, core.db, 0, slots, query);
    });
    // The page of slot 0 onwards is left alone (it stops before the migrating slot).
    expect(results).toEqual([[[String(slot + 1), [B]], ["5", ["mine"]]]]);
    expect(asked).toEqual([{ list: true, pattern: "*2", type: null, owned: true, position: 0 }]);
    // SCAN answers carry no epoch.
    views!.epoch = 9;
    views!.wrap(results);
    expect(results[0][0]).toEqual([String(slot + 1), [B]]);
  });
});

describe("keyspace views (router)", () => {
  it("unwraps the groups' answers and says when one is newer than the map", () => {
    expect(unwrapViews([[4, 10], [3, 2]], 4)).toEqual({ replies: [10, 2], newer: false });
    expect(unwrapViews([[5, 10], [3, 2]], 4)).toEqual({ replies: [10, 2], newer: true });
    expect(unwrapViews([[4, 10], error("ERR shard 1 unavailable: x")], 4)).toEqual({ replies: [10, error("ERR shard 1 unavailable: x")], newer: false });
  });
});

/**
 * Two groups answering wrapped DBSIZE / KEYS from a script: group 1 answers its first
 * fan-out at a newer epoch than the map (a push fell between the answers).
 */
class ScriptedPool {
  readonly slots = SlotMap.contiguous(2);
  fetches = 0;
  calls = 0;
  async freshSlots(): Promise<void> {
    this.fetches++;
  }
  async exec(shard: number, batch: string[][]): Promise<Reply[]> {
    this.calls++;
    const newer = shard === 1 && this.calls <= 2;
    return batch.map((argv) => {
      expect(argv[0]).toBe(viewArgv([])[0]);
      const reply: Reply = argv[1] === "DBSIZE" ? (newer ? 9 : 3) : [`k${shard}`];
      return [newer ? 1 : 0, reply];
    });
  }
}

describe("keyspace views (router fan-out)", () => {
  it("asks every group again, the map fetched again, when one answered at a newer epoch", async () => {
    const pool = new ScriptedPool();
    const [size] = await routeBatch(pool as unknown as ShardPool, [resolveCommand(["DBSIZE"])], { access: { readOnly: false, debug: false }, runLocal: () => null });
    // First fan-out: 3 + 9 at epoch 1 > 0 — not taken; second: 3 + 3.
    expect(size).toBe(6);
    expect(pool.fetches).toBe(2);
    expect(pool.calls).toBe(4);
    const [keys] = await routeBatch(pool as unknown as ShardPool, [resolveCommand(["KEYS", "*"])], { access: { readOnly: false, debug: false }, runLocal: () => null });
    expect(keys).toEqual(["k0", "k1"]);
  });
});

describe("keyspace views (replica reads)", () => {
  it("a READONLY session's DBSIZE, KEYS and SCAN go to the primaries, its other reads to replicas", async () => {
    const sent: string[] = [];
    const pool = {
      slots: SlotMap.contiguous(2),
      async freshSlots(): Promise<void> {},
      async exec(shard: number, batch: string[][]): Promise<Reply[]> {
        sent.push(`primary ${shard}: ${batch.map((a) => (a[0] === viewArgv([])[0] ? a[1] : a[0])).join(",")}`);
        return batch.map((argv) => (argv[1] === "DBSIZE" ? [0, 1] : argv[1] === "SCAN" ? ["0", []] : argv[1] === "KEYS" ? [0, []] : null));
      },
      async execReplica(shard: number, batch: string[][]): Promise<Reply[]> {
        sent.push(`replica ${shard}: ${batch.map((a) => a[0]).join(",")}`);
        return batch.map(() => null);
      },
    };
    const opts = { access: { readOnly: false, debug: false }, runLocal: () => null, replicaReads: true };
    expect(await routeBatch(pool as unknown as ShardPool, [resolveCommand(["DBSIZE"])], opts)).toEqual([2]);
    await routeBatch(pool as unknown as ShardPool, [resolveCommand(["SCAN", "0"])], opts);
    await routeBatch(pool as unknown as ShardPool, [resolveCommand(["KEYS", "*"])], opts);
    await routeBatch(pool as unknown as ShardPool, [resolveCommand(["GET", "a"])], opts);
    expect(sent.sort()).toEqual(["primary 0: DBSIZE", "primary 0: KEYS", "primary 0: SCAN", "primary 1: DBSIZE", "primary 1: KEYS", "replica 1: GET"]);
  });
});
