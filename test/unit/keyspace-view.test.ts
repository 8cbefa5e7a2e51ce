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

const COUNT: MovedKeysQuery = { kind: "count" };
const list = (pattern: string): MovedKeysQuery => ({ kind: "keys", pattern });

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
    // SCAN's ask pages one slot, also one the target owns already (the chunk finished), by pattern and type.
    expect(importedKeys(state, core.db, 0, [keySlot(OTHER)], { kind: "scan", position: 0, count: 10, pattern: null, type: "string" })).toMatchObject({ keys: [OTHER], next: 0 });
    expect(importedKeys(state, core.db, 0, [slot], { kind: "scan", position: 0, count: 10, pattern: null, type: "list" })).toMatchObject({ keys: [], next: 0 });
    expect(importedKeys(state, core.db, 2, [slot], { kind: "scan", position: 0, count: 10, pattern: null, type: null })).toMatchObject({ keys: [] });
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
  /** A source migrating the slot of {a} to group 1 and its target, each holding some of its keys. */
  function moving(sourceKeys: number, targetKeys: number) {
    const slot = keySlot(A);
    const source = new ShardCore(DEFAULT_LIMITS, () => {});
    const target = new ShardCore(DEFAULT_LIMITS, () => {});
    const all: string[] = [];
    for (let i = 0; i < sourceKeys; i++) all.push(`{a}:s${i}`);
    for (let i = 0; i < targetKeys; i++) all.push(`{a}:t${i}`);
    if (sourceKeys > 0) source.exec([["MSET", ...all.slice(0, sourceKeys).flatMap((k) => [k, "v"])]]);
    if (targetKeys > 0) target.exec([["MSET", ...all.slice(sourceKeys).flatMap((k) => [k, "v"])]]);
    const sourceState = new SlotState(0);
    sourceState.apply({ epoch: 7, owned: [[0, slot - 1]], migrating: [[slot, 1]], importing: [] });
    const targetState = new SlotState(1);
    targetState.apply({ epoch: 7, owned: [[slot + 1, 16383]], migrating: [], importing: [[slot, 0]] });
    source.executor.slotOwner = sourceState;
    target.executor.slotOwner = targetState;
    const asked: MovedKeysQuery[] = [];
    /** One SCAN call as the router sends it to the source, completed with the target's part. */
    const page = async (cursor: string, ...opts: string[]): Promise<[string, string[]]> => {
      const { ops, views } = CallViews.unwrap([{ kind: "exec", batch: [viewArgv(["SCAN", cursor, ...opts])] }])!;
      const results = source.run(ops);
      await views.addMovedKeys(sourceState, ops, results, async (_group, slots, query) => {
        asked.push(query);
        return importedKeys(targetState, target.db, 0, slots, query);
      });
      views.wrap(results);
      return (results[0] as Reply[])[0] as [string, string[]];
    };
    return { slot, all, page, asked };
  }

  it("a page of a migrating slot holds the slot alone, both sides' keys, and carries no epoch", async () => {
    const { slot, all, page, asked } = moving(2, 3);
    const [cursor, keys] = await page(String(slot), "COUNT", "10");
    expect([...keys].sort()).toEqual([...all].sort());
    expect(cursor).toBe(String(slot + 1));
    expect(asked).toEqual([{ kind: "scan", position: 0, count: 10, pattern: null, type: null }]);
    // A page from slot 0 stops before the migrating slot (it holds that slot alone), and asks nobody.
    const [before] = await page("0", "COUNT", "1000");
    expect(before).toBe(String(slot));
    expect(asked).toHaveLength(1);
  });

  it("a migrating slot larger than a page is paged by position over both sides: every key once", async () => {
    const { slot, all, page, asked } = moving(40, 60);
    for (const opts of [["COUNT", "1"], ["COUNT", "7"], ["COUNT", "7", "MATCH", "*t1*"]]) {
      const seen: string[] = [];
      let cursor = String(slot);
      let pages = 0;
      while (Number(BigInt(cursor) % 16384n) === slot && cursor !== "0") {
        const [next, keys] = await page(cursor, ...opts);
        seen.push(...keys);
        cursor = next;
        pages++;
      }
      const expected = opts.includes("MATCH") ? all.filter((k) => k.includes("t1")) : all;
      expect([...seen].sort(), opts.join(" ")).toEqual([...expected].sort());
      expect(pages, opts.join(" ")).toBeGreaterThan(3);
    }
    // The target was asked from positions inside the slot.
    expect(asked.some((q) => q.kind === "scan" && q.position > 0)).toBe(true);
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
