/**
 * CONFIG SET cannot brick a shard: values are parsed without prototype lookups (a unit
 * "constructor" is not a size), and the settings whose Redis range would let a shard
 * outgrow its Durable Object (memory) or its start-up replay (the log) keep Hotslot's
 * bounds (src/engine/settings.ts). Error texts are redis-server 7.0's, with the reason
 * appended where Hotslot's range is narrower than Redis's.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { defaultSettings } from "../../src/engine/settings";
import { error, map, OK } from "../../src/protocol/reply";

function fresh() {
  const db = new Keyspace();
  const ex = new Executor(db);
  return { db, run: (...argv: string[]) => ex.runOne(argv) };
}

const failed = (arg: string, why: string) => error(`ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`);
const MEMORY_VALUE = "argument must be a memory value";
const LOG_BOUND = "a shard must compact its log often enough to replay it at start-up";

describe("CONFIG SET maxmemory", () => {
  it("refuses units found on Object's prototype, as redis-server does, and keeps the old value", () => {
    const { db, run } = fresh();
    expect(run("CONFIG", "SET", "maxmemory", "10mb")).toEqual(OK);
    for (const v of ["1constructor", "1toString", "1__proto__", "1hasOwnProperty", "1valueOf", "-1", "1.5mb", " 5", "+5"]) {
      expect(run("CONFIG", "SET", "maxmemory", v)).toEqual(failed("maxmemory", MEMORY_VALUE));
    }
    expect(db.settings.maxmemory).toBe(10 * 1024 * 1024);
    expect(run("CONFIG", "GET", "maxmemory")).toEqual(map(["maxmemory", "10485760"]));
  });

  it("accepts 0 (Redis's no limit) as the platform's bound, so a shard never outgrows its isolate", () => {
    const { db, run } = fresh();
    expect(run("CONFIG", "SET", "maxmemory", "0")).toEqual(OK);
    expect(db.settings.maxmemory).toBe(100 * 1024 * 1024);
    expect(run("CONFIG", "GET", "maxmemory")).toEqual(map(["maxmemory", "104857600"]));
    // An empty value is 0 to Redis's memtoull.
    run("CONFIG", "SET", "maxmemory", "1mb");
    expect(run("CONFIG", "SET", "maxmemory", "")).toEqual(OK);
    expect(db.settings.maxmemory).toBe(104857600);
  });

  it("refuses more than the platform's bound with Redis's range error and the reason", () => {
    const { db, run } = fresh();
    const tooMuch = failed("maxmemory", "argument must be between 0 and 104857600 inclusive (a shard's isolate has 128 MB; 0 sets 104857600)");
    for (const v of ["1gb", "104857601", "99999999999999999999999", "18446744073709551616"]) {
      expect(run("CONFIG", "SET", "maxmemory", v)).toEqual(tooMuch);
    }
    expect(db.settings.maxmemory).toBe(defaultSettings().maxmemory);
    expect(run("CONFIG", "SET", "maxmemory", "100mb")).toEqual(OK);
    expect(db.settings.maxmemory).toBe(104857600);
  });
});

describe("CONFIG SET of the log compaction settings", () => {
  it("refuses auto-aof-rewrite-percentage 0, which would stop compaction, and percentages past 200", () => {
    const { db, run } = fresh();
    const range = failed("auto-aof-rewrite-percentage", `argument must be between 1 and 200 inclusive (${LOG_BOUND})`);
    for (const v of ["0", "201", "2147483647", "-1"]) expect(run("CONFIG", "SET", "auto-aof-rewrite-percentage", v)).toEqual(range);
    expect(run("CONFIG", "SET", "auto-aof-rewrite-percentage", "abc")).toEqual(
      failed("auto-aof-rewrite-percentage", "argument couldn't be parsed into an integer"),
    );
    expect(db.settings.autoAofRewritePercentage).toBe(100);
    expect(run("CONFIG", "SET", "auto-aof-rewrite-percentage", "200")).toEqual(OK);
    expect(db.settings.autoAofRewritePercentage).toBe(200);
  });

  it("bounds auto-aof-rewrite-min-size by the log a shard can replay, and refuses prototype units", () => {
    const { db, run } = fresh();
    expect(run("CONFIG", "SET", "auto-aof-rewrite-min-size", "1gb")).toEqual(
      failed("auto-aof-rewrite-min-size", `argument must be between 0 and 268435456 inclusive (${LOG_BOUND})`),
    );
    expect(run("CONFIG", "SET", "auto-aof-rewrite-min-size", "1constructor")).toEqual(failed("auto-aof-rewrite-min-size", MEMORY_VALUE));
    expect(db.settings.autoAofRewriteMinSize).toBe(64 * 1024 * 1024);
    expect(run("CONFIG", "SET", "auto-aof-rewrite-min-size", "256mb")).toEqual(OK);
    expect(run("CONFIG", "SET", "auto-aof-rewrite-min-size", "0")).toEqual(OK);
    expect(db.settings.autoAofRewriteMinSize).toBe(0);
  });
});

describe("CONFIG SET, other values", () => {
  it("bounds maxmemory-samples, which eviction spends per evicted key", () => {
    const { db, run } = fresh();
    expect(run("CONFIG", "SET", "maxmemory-samples", "1000000")).toEqual(
      failed("maxmemory-samples", "argument must be between 1 and 64 inclusive (each eviction samples this many keys)"),
    );
    expect(run("CONFIG", "SET", "maxmemory-samples", "x")).toEqual(failed("maxmemory-samples", "argument couldn't be parsed into an integer"));
    expect(run("CONFIG", "SET", "maxmemory-samples", "64")).toEqual(OK);
    expect(db.settings.maxmemorySamples).toBe(64);
  });

  it("knows no parameter named after Object's prototype members", () => {
    const { run } = fresh();
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
      expect(run("CONFIG", "SET", name, "1")).toEqual(error(`ERR Unknown option or number of arguments for CONFIG SET - '${name}'`));
      expect(run("CONFIG", "GET", name)).toEqual(map([]));
    }
    expect(run("CONFIG", "SET", "maxmemory-policy", "constructor")).toEqual(
      failed(
        "maxmemory-policy",
        "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction",
      ),
    );
  });

  it("applies nothing when one value of several is refused", () => {
    const { db, run } = fresh();
    expect(run("CONFIG", "SET", "maxmemory", "1mb", "auto-aof-rewrite-percentage", "0")).toEqual(
      failed("auto-aof-rewrite-percentage", `argument must be between 1 and 200 inclusive (${LOG_BOUND})`),
    );
    expect(db.settings.maxmemory).toBe(0);
  });
});
