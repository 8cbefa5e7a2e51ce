/**
 * Eviction (src/engine/eviction.ts) through the executor, as a shard runs it: for each
 * maxmemory-policy, a shard filled past maxmemory keeps the keys the policy says to keep,
 * logs every eviction as DEL, and stays within its limit; with nothing evictable, writes
 * that may grow memory get Redis's exact OOM error while reads and deletes still work.
 * The clock and the random source are injected, so every run evicts the same keys.
 */
import { describe, expect, it } from "vitest";
import { ERR_OOM, Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { error, NULL_ARRAY, OK, type Reply } from "../../src/protocol/reply";
import { ShardCore } from "../../src/shard/core";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import { seededFloats } from "../support/random";

const T0 = 1_700_000_000_000;
const VALUE = "v".repeat(100);

/**
 * A keyspace and executor with a fake clock, limited to about `fit` keys of the test's
 * size ("k:NNN" → 100 bytes) under `policy`.
 */
function shard(policy: string, fit = 50) {
  let now = T0;
  const db = new Keyspace();
  db.random = seededFloats(42);
  const ex = new Executor(db, undefined, () => now);
  ex.runOne(["SET", "k:000", VALUE]);
  const perKey = ex.runOne(["MEMORY", "USAGE", "k:000"]) as number;
  ex.runOne(["DEL", "k:000"]);
  const limit = perKey * fit + Math.floor(perKey / 2);
  expect(ex.runOne(["CONFIG", "SET", "maxmemory", String(limit), "maxmemory-policy", policy])).toEqual(OK);
  const run = (...argv: string[]): Reply => ex.runOne(argv);
  const effects = (...argv: string[]) => ex.run([argv]).effects;
  const key = (i: number) => `k:${String(i).padStart(3, "0")}`;
  const present = (keys: string[]) => keys.filter((k) => db.peek(k) !== undefined);
  return { db, ex, run, effects, key, present, limit, advance: (ms: number) => (now += ms) };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("noeviction", () => {
  it("refuses writes that may grow memory once over maxmemory, with Redis's exact error", () => {
    const { run, key, db, limit } = shard("noeviction");
    let i = 0;
    while (db.usedMemory <= limit) expect(run("SET", key(i++), VALUE)).toEqual(OK);
    expect(run("SET", "one-more", VALUE)).toEqual(error("OOM command not allowed when used memory > 'maxmemory'."));
    expect(ERR_OOM).toBe("OOM command not allowed when used memory > 'maxmemory'.");
    expect(run("APPEND", key(0), "x")).toEqual(error(ERR_OOM));
    expect(run("INCR", "counter")).toEqual(error(ERR_OOM));
    expect(db.stats.evictedKeys).toBe(0);
    expect(db.peek("one-more")).toBeUndefined();
  });

  it("keeps answering reads and deletes, and accepts writes again once memory is freed", () => {
    const { run, key, db, limit } = shard("noeviction");
    let i = 0;
    while (db.usedMemory <= limit) run("SET", key(i++), VALUE);
    expect(run("GET", key(0))).toBe(VALUE);
    expect(run("EXISTS", key(1))).toBe(1);
    expect(run("STRLEN", key(2))).toBe(100);
    // Not denyoom in Redis either: a TTL change is allowed when out of memory.
    expect(run("EXPIRE", key(3), "100")).toBe(1);
    expect(run("DEL", key(0), key(1))).toBe(2);
    expect(db.usedMemory).toBeLessThanOrEqual(limit);
    expect(run("SET", "again", VALUE)).toEqual(OK);
  });

  it("refuses a whole transaction that may grow memory, and runs one that only reads or deletes", () => {
    const core = new ShardCore(DEFAULT_LIMITS, () => {}, () => T0);
    core.exec([["SET", "probe", VALUE]]);
    const perKey = core.exec([["MEMORY", "USAGE", "probe"]])[0] as number;
    core.exec([["CONFIG", "SET", "maxmemory", String(perKey * 10), "maxmemory-policy", "noeviction"]]);
    for (let i = 0; i < 12; i++) core.exec([["SET", `k${i}`, VALUE]]);
    expect(core.transaction([["SET", "a", "1"], ["GET", "probe"]], [])).toEqual(error(ERR_OOM));
    expect(core.db.peek("a")).toBeUndefined();
    expect(core.transaction([["GET", "probe"], ["DEL", "k1"]], [])).toEqual([VALUE, 1]);
  });
});

describe("allkeys-lru", () => {
  it("keeps the recently read keys and evicts from the ones idle longest", () => {
    const { run, key, present, db, limit, advance } = shard("allkeys-lru");
    for (const i of range(0, 50)) {
      run("SET", key(i), VALUE);
      advance(1000);
    }
    advance(60_000);
    const hot = range(0, 10).map(key);
    for (const k of hot) expect(run("GET", k)).toBe(VALUE);
    advance(1000);
    for (const i of range(50, 80)) {
      run("SET", key(i), VALUE);
      advance(1000);
      expect(db.usedMemory).toBeLessThanOrEqual(limit);
    }
    expect(present(hot)).toEqual(hot);
    expect(db.stats.evictedKeys).toBe(30);
    expect(db.size).toBe(50);
    // Evicted keys come only from the 40 that were written and never read.
    expect(present(range(10, 50).map(key))).toHaveLength(10);
  });

  it("counts TOUCH as an access, and OBJECT and MEMORY USAGE not", () => {
    const { run, key, present, advance } = shard("allkeys-lru", 20);
    for (const i of range(0, 20)) run("SET", key(i), VALUE);
    advance(60_000);
    run("TOUCH", key(0), key(1));
    run("OBJECT", "IDLETIME", key(2));
    run("MEMORY", "USAGE", key(3));
    advance(1000);
    for (const i of range(20, 38)) run("SET", key(i), VALUE);
    expect(present([key(0), key(1)])).toEqual([key(0), key(1)]);
    expect(present([key(2), key(3)])).toEqual([]);
  });

  it("logs every eviction as DEL, after the write that caused it", () => {
    const { effects, run, key, advance } = shard("allkeys-lru", 5);
    // With no more keys than samples, every key is a candidate: LRU is exact.
    run("CONFIG", "SET", "maxmemory-samples", "10");
    for (const i of range(0, 5)) {
      run("SET", key(i), VALUE);
      advance(1000);
    }
    advance(10_000);
    for (const i of [1, 2, 3, 4]) run("GET", key(i));
    expect(effects("SET", "new", VALUE)).toEqual([["SET", "new", VALUE], ["DEL", key(0)]]);
  });

  it("replays to the same keyspace: evictions are in the log, replay evicts nothing itself", () => {
    const log: string[][] = [];
    let now = T0;
    const core = new ShardCore(DEFAULT_LIMITS, (e) => log.push(...e), () => now);
    core.db.random = seededFloats(1);
    core.exec([["SET", "probe", VALUE]]);
    const perKey = core.exec([["MEMORY", "USAGE", "probe"]])[0] as number;
    core.exec([["CONFIG", "SET", "maxmemory", String(perKey * 20), "maxmemory-policy", "allkeys-lru"]]);
    for (let i = 0; i < 100; i++) {
      core.exec([["SET", `k${i}`, VALUE]]);
      now += 1000;
    }
    expect(log.filter((e) => e[0] === "DEL").length).toBe(core.db.stats.evictedKeys);
    const replica = new Executor(new Keyspace(), undefined, () => now);
    for (const argv of log) replica.replay(argv);
    expect([...replica.db.keys()].sort()).toEqual([...core.db.keys()].sort());
    expect(replica.db.stats.evictedKeys).toBe(0);
  });
});

describe("allkeys-lfu", () => {
  it("keeps the frequently used keys", () => {
    const { run, key, present, db, limit, advance } = shard("allkeys-lfu");
    // A log factor of 0 makes every access count, so frequencies are exact.
    run("CONFIG", "SET", "lfu-log-factor", "0");
    for (const i of range(0, 50)) run("SET", key(i), VALUE);
    const hot = range(0, 10).map(key);
    for (let n = 0; n < 5; n++) for (const k of hot) run("GET", k);
    for (const k of hot) expect(run("OBJECT", "FREQ", k)).toBe(10);
    advance(1000);
    for (const i of range(50, 80)) {
      run("SET", key(i), VALUE);
      expect(db.usedMemory).toBeLessThanOrEqual(limit);
    }
    expect(present(hot)).toEqual(hot);
    expect(db.stats.evictedKeys).toBe(30);
  });
});

describe("allkeys-random", () => {
  it("evicts any keys, as many as needed to fit, each logged as DEL", () => {
    const { ex, key, db, limit } = shard("allkeys-random");
    const { effects } = ex.run(range(0, 120).map((i) => ["SET", key(i), VALUE]));
    expect(db.usedMemory).toBeLessThanOrEqual(limit);
    expect(db.size).toBe(50);
    const dels = effects.filter((e) => e[0] === "DEL").map((e) => e[1]);
    expect(dels).toHaveLength(70);
    expect(new Set(dels).size).toBe(70);
    for (const k of dels) expect(db.peek(k)).toBeUndefined();
    // Random: early and late keys alike were chosen.
    expect(dels.some((k) => k < key(50))).toBe(true);
    expect(dels.some((k) => k >= key(50))).toBe(true);
  });
});

describe("volatile policies", () => {
  for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"]) {
    it(`${policy} never evicts a key without a TTL`, () => {
      const { run, key, present, db, limit, advance } = shard(policy);
      const persistent = range(0, 25).map(key);
      for (const k of persistent) run("SET", k, VALUE);
      for (const i of range(25, 90)) {
        run("SET", key(i), VALUE, "EX", String(1000 + i));
        advance(1000);
        expect(db.usedMemory).toBeLessThanOrEqual(limit);
      }
      expect(present(persistent)).toEqual(persistent);
      // Keys with a TTL cost more (the expiry index), so fewer than 50 fit.
      expect(db.stats.evictedKeys).toBeGreaterThanOrEqual(40);
      expect(db.stats.evictedKeys + db.size).toBe(90);
    });

    it(`${policy} answers OOM when no key has a TTL, and reads and deletes still work`, () => {
      const { run, key, db, limit } = shard(policy);
      let i = 0;
      while (db.usedMemory <= limit) expect(run("SET", key(i++), VALUE)).toEqual(OK);
      expect(run("SET", "more", VALUE)).toEqual(error(ERR_OOM));
      expect(run("GET", key(0))).toBe(VALUE);
      expect(db.stats.evictedKeys).toBe(0);
      expect(run("DEL", key(0))).toBe(1);
      expect(run("SET", "more", VALUE)).toEqual(OK);
    });
  }

  it("volatile-ttl evicts the keys that expire soonest, soonest first", () => {
    const { ex, run, key, db } = shard("volatile-ttl", 20);
    run("CONFIG", "SET", "maxmemory", "0");
    // Key i expires in 100 - i seconds: k:019 first, then k:018, …
    for (const i of range(0, 20)) run("SET", key(i), VALUE, "PX", String(100_000 - i * 1000));
    const target = Math.floor((db.usedMemory * 3) / 4);
    const { effects } = ex.run([["CONFIG", "SET", "maxmemory", String(target)]]);
    const evicted = db.stats.evictedKeys;
    expect(evicted).toBe(5);
    expect(effects).toEqual([["CONFIG", "SET", "maxmemory", String(target)], ...range(0, evicted).map((n) => ["DEL", key(19 - n)])]);
  });
});

describe("changing the limit", () => {
  it("evicts down to a lowered maxmemory at once", () => {
    const { run, key, db } = shard("allkeys-lru", 100);
    for (const i of range(0, 100)) run("SET", key(i), VALUE);
    const half = Math.floor(db.usedMemory / 2);
    expect(run("CONFIG", "SET", "maxmemory", String(half))).toEqual(OK);
    expect(db.usedMemory).toBeLessThanOrEqual(half);
    expect(db.stats.evictedKeys).toBeGreaterThanOrEqual(49);
  });

  it("never evicts when maxmemory is 0", () => {
    const { run, key, db } = shard("allkeys-lru", 10);
    run("CONFIG", "SET", "maxmemory", "0");
    for (const i of range(0, 100)) run("SET", key(i), VALUE);
    expect(db.size).toBe(100);
    expect(db.stats.evictedKeys).toBe(0);
  });

  it("watches see an evicted key as changed", () => {
    const core = new ShardCore(DEFAULT_LIMITS, () => {}, () => T0);
    core.exec([["SET", "watched", VALUE]]);
    const perKey = core.exec([["MEMORY", "USAGE", "watched"]])[0] as number;
    const watched = core.watch(["watched"]);
    core.exec([["CONFIG", "SET", "maxmemory", String(perKey * 3), "maxmemory-policy", "volatile-ttl"]]);
    core.exec([["EXPIRE", "watched", "10"]]);
    const after = core.watch(["watched"]);
    core.exec([["SET", "a", VALUE, "EX", "100"], ["SET", "b", VALUE, "EX", "100"], ["SET", "c", VALUE, "EX", "100"]]);
    expect(core.db.peek("watched")).toBeUndefined();
    expect(core.transaction([["GET", "a"]], after)).toEqual(NULL_ARRAY);
    core.unwatch(watched.map(([k]) => k));
  });
});

describe("eviction and transactions", () => {
  it("evicts nothing between the commands of one EXEC, and enforces the limit after it", async () => {
    const { ShardCore } = await import("../../src/shard/core");
    const { DEFAULT_LIMITS } = await import("../../src/commands/execute");
    const log: string[][] = [];
    const core = new ShardCore(DEFAULT_LIMITS, (e) => log.push(...e));
    core.exec([["CONFIG", "SET", "maxmemory", "2000", "maxmemory-policy", "allkeys-lru"]]);
    expect(core.transaction([["SET", "a", "x".repeat(5000)], ["STRLEN", "a"]], [])).toEqual([{ kind: "simple", value: "OK" }, 5000]);
    expect(core.db.usedMemory).toBeLessThanOrEqual(2000);
    expect(log).toContainEqual(["DEL", "a"]);
  });
});
