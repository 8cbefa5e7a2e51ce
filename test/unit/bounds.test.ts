// Hardening: nothing a client sends takes a shard down. Replies past MAX_REPLY_ELEMENTS /
// MAX_REPLY_BYTES are refused before they are built (src/commands/reply-budget.ts); work
// that grows faster than what a command reads is bounded (src/commands/work-bound.ts);
// maxmemory 0 still means the platform's bound; the log is compacted before it outgrows
// what recovery can replay. Each test fails on the code before these bounds.
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { ConfigError, readConfig, type Env } from "../../src/config";
import { DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_REPLY_ELEMENTS } from "../../src/commands/reply-budget";
import { Keyspace } from "../../src/engine/keyspace";
import { PLATFORM_MAX_LOG_BYTES, PLATFORM_MAXMEMORY } from "../../src/engine/settings";
import { error, type Reply } from "../../src/protocol/reply";
import { FORCED_COMPACTION_LOG_BYTES, ShardPersistence } from "../../src/shard/persistence";
import { engine, T0 } from "../support/engine";
import { NodeSqlStorage } from "../support/node-sql";

const ELEMENTS = (n: number, max = DEFAULT_MAX_REPLY_ELEMENTS) => error(`ERR reply too large: ${n} elements (MAX_REPLY_ELEMENTS is ${max})`);
const BYTES = (n: number, max = DEFAULT_MAX_REPLY_BYTES) => error(`ERR reply too large: ${n} bytes (MAX_REPLY_BYTES is ${max})`);

/** Runs `fn` and returns how long it took, in ms. */
function timed(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

describe("bounded replies", () => {
  it("defaults fit the 32 MiB RPC limit with room for framing", () => {
    expect(DEFAULT_MAX_REPLY_ELEMENTS).toBe(1_000_000);
    expect(DEFAULT_MAX_REPLY_BYTES + DEFAULT_MAX_REPLY_ELEMENTS * 6).toBeLessThan(32 * 1024 * 1024);
  });

  it("reads MAX_REPLY_ELEMENTS and MAX_REPLY_BYTES from [vars], refusing values past the RPC limit", () => {
    const env = (vars: Record<string, string>) => ({ SHARD: {}, ...vars }) as unknown as Env;
    expect(readConfig(env({}))).toMatchObject({ maxReplyElements: DEFAULT_MAX_REPLY_ELEMENTS, maxReplyBytes: DEFAULT_MAX_REPLY_BYTES });
    expect(readConfig(env({ MAX_REPLY_ELEMENTS: "5000", MAX_REPLY_BYTES: "1048576" }))).toMatchObject({ maxReplyElements: 5000, maxReplyBytes: 1048576 });
    expect(() => readConfig(env({ MAX_REPLY_BYTES: String(32 * 1024 * 1024) }))).toThrow(ConfigError);
    expect(() => readConfig(env({ MAX_REPLY_ELEMENTS: "many" }))).toThrow("Invalid configuration: MAX_REPLY_ELEMENTS=\"many\" must be an integer from 1024 to 10000000");
  });

  it("refuses SRANDMEMBER, ZRANDMEMBER and HRANDFIELD with a huge negative count before building the reply", () => {
    const { run } = engine();
    run("SADD", "s", "a", "b", "c");
    run("ZADD", "z", "1", "a", "2", "b");
    run("HSET", "h", "f", "v", "g", "w");
    const ms = timed(() => {
      expect(run("SRANDMEMBER", "s", "-50000000")).toEqual(ELEMENTS(50_000_000));
      expect(run("ZRANDMEMBER", "z", "-50000000")).toEqual(ELEMENTS(50_000_000));
      expect(run("ZRANDMEMBER", "z", "-600000", "WITHSCORES")).toEqual(ELEMENTS(1_200_000));
      expect(run("HRANDFIELD", "h", "-5000000")).toEqual(ELEMENTS(5_000_000));
      expect(run("HRANDFIELD", "h", "-600000", "WITHVALUES")).toEqual(ELEMENTS(1_200_000));
    });
    // Nothing was built: the refusals are immediate.
    expect(ms).toBeLessThan(200);
    // A reply within the bound is still served, and the shard keeps serving.
    expect((run("SRANDMEMBER", "s", "-1000") as Reply[]).length).toBe(1000);
    expect(run("SCARD", "s")).toBe(3);
  });

  it("uses the configured MAX_REPLY_ELEMENTS for collection replies (SMEMBERS, LRANGE, HGETALL, ZRANGE, SUNION, KEYS)", () => {
    const { run } = engine({ maxValueBytes: 1 << 20, maxReplyElements: 100 });
    const members = Array.from({ length: 101 }, (_, i) => `m${i}`);
    run("SADD", "s", ...members);
    run("RPUSH", "l", ...members);
    run("ZADD", "z", ...members.flatMap((m, i) => [String(i), m]));
    run("HSET", "h", ...members.flatMap((m) => [m, "v"]));
    expect(run("SMEMBERS", "s")).toEqual(ELEMENTS(101, 100));
    expect(run("SUNION", "s")).toEqual(ELEMENTS(101, 100));
    expect(run("SINTER", "s", "s")).toEqual(ELEMENTS(101, 100));
    expect(run("LRANGE", "l", "0", "-1")).toEqual(ELEMENTS(101, 100));
    expect((run("LRANGE", "l", "0", "99") as Reply[]).length).toBe(100);
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(ELEMENTS(101, 100));
    expect(run("ZRANGE", "z", "0", "59", "WITHSCORES")).toEqual(ELEMENTS(120, 100));
    expect(run("HGETALL", "h")).toEqual(ELEMENTS(202, 100));
    expect(run("HKEYS", "h")).toEqual(ELEMENTS(101, 100));
    expect(run("HVALS", "h")).toEqual(ELEMENTS(101, 100));
    expect(run("SORT", "l", "BY", "nosort", "GET", "#", "GET", "#")).toEqual(ELEMENTS(202, 100));
    for (let i = 0; i < 101; i++) run("SET", `k${i}`, "v");
    expect(run("KEYS", "k*")).toEqual(ELEMENTS(101, 100));
  });

  it("refuses LPOP/ZPOPMIN counts past the bound before popping anything", () => {
    const { run } = engine({ maxValueBytes: 1 << 20, maxReplyElements: 100 });
    run("RPUSH", "l", ...Array.from({ length: 150 }, (_, i) => String(i)));
    run("ZADD", "z", ...Array.from({ length: 60 }, (_, i) => [String(i), `m${i}`]).flat());
    expect(run("LPOP", "l", "101")).toEqual(ELEMENTS(101, 100));
    expect(run("ZPOPMIN", "z", "51")).toEqual(ELEMENTS(102, 100));
    expect(run("LLEN", "l")).toBe(150);
    expect(run("ZCARD", "z")).toBe(60);
  });

  it("refuses MGET of a value named many times and GETRANGE past MAX_REPLY_BYTES", () => {
    const { run } = engine({ maxValueBytes: 2 << 20, maxReplyBytes: 1 << 20 });
    run("SET", "big", "x".repeat(300_000));
    expect(run("MGET", "big", "big", "big")).toEqual([..."xxx"].map(() => "x".repeat(300_000)));
    expect(run("MGET", "big", "big", "big", "big")).toEqual(BYTES(1_200_000, 1 << 20));
    run("SET", "k", "y".repeat(1 << 20));
    run("APPEND", "k", "y");
    expect(run("GETRANGE", "k", "0", "-1") as Reply).toEqual(BYTES((1 << 20) + 1, 1 << 20));
    expect(run("GETRANGE", "k", "0", "9")).toBe("yyyyyyyyyy");
  });

  it("refuses, as a safety net, a batch whose replies together pass MAX_REPLY_BYTES (one RPC)", () => {
    const { ex, run } = engine({ maxValueBytes: 1 << 20, maxReplyBytes: 1 << 20 });
    run("SET", "v", "z".repeat(400_000));
    const { replies } = ex.run([["GET", "v"], ["GET", "v"], ["GET", "v"], ["STRLEN", "v"]]);
    expect(replies[0]).toBe("z".repeat(400_000));
    expect(replies[1]).toBe("z".repeat(400_000));
    expect(replies[2]).toEqual(BYTES(1_200_000, 1 << 20));
    expect(replies[3]).toBe(400_000);
  });
});

describe("bounded work", () => {
  it("answers SINTER/SUNION/SDIFF with a key repeated a million times at once", () => {
    const { ex, run } = engine();
    run("SADD", "s", ...Array.from({ length: 2000 }, (_, i) => `m${i}`));
    const many = new Array<string>(1_000_000).fill("s");
    const ms = timed(() => {
      expect((ex.runOne(["SINTER", ...many]) as { items: Reply[] }).items.length).toBe(2000);
      expect((ex.runOne(["SUNION", ...many]) as { items: Reply[] }).items.length).toBe(2000);
      expect(ex.runOne(["SINTERCARD", String(many.length), ...many])).toBe(2000);
      expect((ex.runOne(["SDIFF", ...many]) as { items: Reply[] }).items.length).toBe(0);
    });
    expect(ms).toBeLessThan(5000);
  });

  it("refuses ZUNION/ZINTER/ZDIFF whose repeated keys would take too long", () => {
    const { ex, run } = engine();
    run("ZADD", "z", ...Array.from({ length: 100 }, (_, i) => [String(i), `m${i}`]).flat());
    const many = new Array<string>(300_000).fill("z");
    for (const cmd of ["ZUNION", "ZINTER", "ZDIFF"]) {
      expect(ex.runOne([cmd, String(many.length), ...many])).toEqual(error(`ERR ${cmd} would take too long: about 30000000 steps (the limit is 20000000)`));
    }
    expect(ex.runOne(["ZINTERCARD", String(many.length), ...many])).toEqual(error("ERR ZINTERCARD would take too long: about 30000000 steps (the limit is 20000000)"));
    // Repeats that fit are still computed as Redis does (each repeat weighs in).
    expect(run("ZUNION", "3", "z", "z", "z", "WITHSCORES")).toEqual(expect.objectContaining({ kind: "pairs" }));
  });

  it("bounds glob matching of a backtracking pattern over long members (SSCAN, KEYS)", () => {
    const { run } = engine();
    const long = "a".repeat(20_000);
    run("SADD", "s", ...Array.from({ length: 20 }, (_, i) => long + i));
    // Each retry of the `*` compares 5000 bytes: 20 members × 20000 retries × 5000.
    const pattern = "*" + "a".repeat(5000) + "b";
    let reply: Reply = null;
    const ms = timed(() => (reply = run("SSCAN", "s", "0", "COUNT", "100", "MATCH", pattern)));
    expect(reply).toEqual(error("ERR pattern matching would take too long (more than 50000000 steps): use a simpler or shorter pattern"));
    expect(ms).toBeLessThan(5000);
    for (let i = 0; i < 20; i++) run("SET", long + i, "v");
    expect(run("KEYS", pattern)).toEqual(error("ERR pattern matching would take too long (more than 50000000 steps): use a simpler or shorter pattern"));
    // Ordinary patterns are unaffected.
    expect((run("SSCAN", "s", "0", "COUNT", "100", "MATCH", "a*1") as Reply[])[1]).toHaveLength(2);
  });

  it("bounds LCS's table by memory, whatever proto-max-bulk-len is", () => {
    const { run } = engine({ maxValueBytes: 512 * 1024 * 1024 });
    run("SET", "a", "x".repeat(4000));
    run("SET", "b", "y".repeat(4000));
    expect(run("LCS", "a", "b")).toEqual(error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
    expect(run("LCS", "a", "b", "LEN")).toEqual(error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"));
  });

  it("keeps LPOS … MAXLEN 0 linear on a long list", () => {
    const { ex, run } = engine();
    const items = Array.from({ length: 500_000 }, (_, i) => String(i % 10));
    ex.runOne(["RPUSH", "l", ...items]);
    let reply: Reply = null;
    const ms = timed(() => (reply = run("LPOS", "l", "7", "COUNT", "0", "MAXLEN", "0")));
    expect((reply as unknown as number[]).length).toBe(50_000);
    expect(ms).toBeLessThan(1000);
  });
});

describe("maxmemory 0 is the platform's bound", () => {
  it("refuses writes past PLATFORM_MAXMEMORY under noeviction with maxmemory 0", () => {
    const { db, run } = engine();
    expect(db.settings.maxmemory).toBe(0);
    const chunk = "v".repeat(1 << 20);
    let i = 0;
    let last: Reply = "OK";
    while (i < 200 && !(typeof last === "object" && last !== null && "kind" in last && last.kind === "error")) last = run("SET", `k${i++}`, chunk);
    expect(last).toEqual(error("OOM command not allowed when used memory > 'maxmemory'."));
    expect(db.usedMemory).toBeGreaterThan(PLATFORM_MAXMEMORY - 2 * chunk.length);
    expect(db.usedMemory).toBeLessThan(PLATFORM_MAXMEMORY + 2 * chunk.length);
    // Reads and deletes still run.
    expect(run("STRLEN", "k0")).toBe(1 << 20);
    expect(run("DEL", "k0")).toBe(1);
  });

  it("evicts down to PLATFORM_MAXMEMORY with maxmemory 0 and an evicting policy", () => {
    const { db, run } = engine();
    db.settings.maxmemoryPolicy = "allkeys-lru";
    const chunk = "v".repeat(1 << 20);
    for (let i = 0; i < 130; i++) expect(run("SET", `k${i}`, chunk)).toEqual({ kind: "simple", value: "OK" });
    expect(db.usedMemory).toBeLessThanOrEqual(PLATFORM_MAXMEMORY);
  });
});

describe("bounded recovery", () => {
  it("forces a snapshot once the log reaches the forced bound, whatever auto-aof-rewrite-* say", async () => {
    expect(FORCED_COMPACTION_LOG_BYTES).toBeLessThanOrEqual(PLATFORM_MAX_LOG_BYTES / 2);
    const storage = new NodeSqlStorage();
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => T0);
    const slices: (() => void)[] = [];
    const p = new ShardPersistence(storage, db, ex, {
      flushPending() {},
      schedule: (fn) => slices.push(fn),
      sliceBytes: 512,
      warn: () => {},
      forcedCompactionLogBytes: 64 * 1024,
    });
    await p.recover();
    // As restored from an old snapshot or log: compaction off, and a huge minimum size.
    db.settings.autoAofRewritePercentage = 0;
    db.settings.autoAofRewriteMinSize = 1 << 40;
    const write = (i: number) =>
      storage.turn(() => {
        const { effects } = ex.run([["SET", `k${i % 50}`, "x".repeat(1000)]]);
        p.append(effects);
        p.afterBatch();
      });
    let i = 0;
    while (!p.snapshotting && i < 200) write(i++);
    expect(p.snapshotting).toBe(true);
    expect(i).toBeGreaterThan(50);
    expect(i).toBeLessThan(80);
  });
});
