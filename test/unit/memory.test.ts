/**
 * Memory accounting (src/engine/memory.ts, the keyspace's running total) and the commands
 * that show it: INFO memory, MEMORY USAGE/STATS/…, and OBJECT FREQ/IDLETIME/REFCOUNT with
 * an injected clock. Error texts are Redis 7.0's (checked against redis-server).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { readConfig, type Env } from "../../src/config";
import { Keyspace } from "../../src/engine/keyspace";
import { EXPIRE_ENTRY_BYTES, humanBytes, stringBytes } from "../../src/engine/memory";
import { error, map, double, OK, simple, type Reply } from "../../src/protocol/reply";
import { lcgInts } from "../support/random";

const T0 = 1_700_000_000_000;
let now: number;
let db: Keyspace;
let ex: Executor;

beforeEach(() => {
  now = T0;
  db = new Keyspace();
  ex = new Executor(db, undefined, () => now);
});

const run = (...argv: string[]): Reply => ex.runOne(argv);
const usage = (key: string) => run("MEMORY", "USAGE", key) as number;
function info(): Record<string, string> {
  const text = run("INFO", "memory") as string;
  return Object.fromEntries(text.split("\r\n").filter((l) => l.includes(":")).map((l) => l.split(":") as [string, string]));
}
function sumOfUsage(): number {
  let total = 0;
  for (const key of [...db.keys()]) total += usage(key);
  return total;
}

describe("used_memory", () => {
  it("is zero for an empty shard, and again after FLUSHALL", () => {
    expect(db.usedMemory).toBe(0);
    run("SET", "a", "1");
    run("RPUSH", "l", "x", "y");
    expect(db.usedMemory).toBeGreaterThan(0);
    run("FLUSHALL");
    expect(db.usedMemory).toBe(0);
    expect(info().used_memory).toBe("0");
  });

  it("is exactly the sum of every key's MEMORY USAGE, whatever the commands did", () => {
    const rnd = lcgInts(7);
    const k = () => `key${rnd(20)}`;
    const v = () => "x".repeat(rnd(200));
    const commands: (() => string[])[] = [
      () => ["SET", k(), v()],
      () => ["SET", k(), v(), "EX", "100"],
      () => ["APPEND", k(), v()],
      () => ["SETRANGE", k(), String(rnd(50)), v()],
      () => ["INCR", `n${rnd(3)}`],
      () => ["EXPIRE", k(), "50"],
      () => ["PERSIST", k()],
      () => ["DEL", k()],
      () => ["GETDEL", k()],
      () => ["RENAME", k(), k()],
      () => ["COPY", k(), k()],
      () => ["RPUSH", `l${rnd(3)}`, v(), v()],
      () => ["LPOP", `l${rnd(3)}`],
      () => ["LSET", `l${rnd(3)}`, "0", v()],
      () => ["LTRIM", `l${rnd(3)}`, "1", "-2"],
      () => ["LREM", `l${rnd(3)}`, "0", ""],
      () => ["HSET", `h${rnd(3)}`, `f${rnd(10)}`, v()],
      () => ["HDEL", `h${rnd(3)}`, `f${rnd(10)}`],
      () => ["SADD", `s${rnd(3)}`, `m${rnd(30)}`],
      () => ["SREM", `s${rnd(3)}`, `m${rnd(30)}`],
      () => ["ZADD", `z${rnd(3)}`, String(rnd(100)), `m${rnd(30)}`],
      () => ["ZREM", `z${rnd(3)}`, `m${rnd(30)}`],
    ];
    for (let i = 0; i < 3000; i++) {
      run(...commands[rnd(commands.length)]());
      if (i % 100 === 0) expect(db.usedMemory).toBe(sumOfUsage());
    }
    expect(db.usedMemory).toBe(sumOfUsage());
    expect(db.size).toBeGreaterThan(10);
  });

  it("counts a value's bytes: MEMORY USAGE grows with the value", () => {
    run("SET", "small", "x".repeat(10));
    run("SET", "large", "x".repeat(1000));
    // Same key length, so the difference is the two strings': 12-byte header, 4-byte rounding.
    expect(usage("large") - usage("small")).toBe(stringBytes("x".repeat(1000)) - stringBytes("x".repeat(10)));
    expect(usage("large") - usage("small")).toBe(988);
    run("APPEND", "small", "y".repeat(990));
    expect(usage("small")).toBe(usage("large"));
  });

  it("counts a TTL's index entries, and gives them back on PERSIST", () => {
    run("SET", "a", "v");
    const plain = usage("a");
    run("EXPIRE", "a", "100");
    expect(usage("a")).toBe(plain + EXPIRE_ENTRY_BYTES);
    run("PERSIST", "a");
    expect(usage("a")).toBe(plain);
  });

  it("follows collections as they grow and shrink in place", () => {
    run("RPUSH", "l", "a");
    const one = usage("l");
    run("RPUSH", "l", "x".repeat(500));
    expect(usage("l")).toBeGreaterThan(one + 500);
    run("RPOP", "l");
    expect(usage("l")).toBe(one);
    run("HSET", "h", "f", "v");
    const h1 = usage("h");
    run("HSET", "h", "g", "x".repeat(300));
    expect(usage("h")).toBeGreaterThan(h1 + 300);
    run("HDEL", "h", "g");
    // The value's bytes are released (a deleted field's slot lingers until compaction).
    expect(usage("h")).toBeLessThan(h1 + 300);
    expect(db.usedMemory).toBe(sumOfUsage());
  });
});

describe("INFO memory", () => {
  it("reports used memory, its peak, the limit and the policy, as Redis names them", () => {
    run("SET", "k", "x".repeat(2000));
    run("DEL", "k");
    run("SET", "k", "v");
    run("CONFIG", "SET", "maxmemory", "64mb", "maxmemory-policy", "allkeys-lru");
    const text = run("INFO", "memory") as string;
    expect(text.startsWith("# Memory\r\n")).toBe(true);
    const f = info();
    expect(Object.keys(f)).toEqual([
      "used_memory", "used_memory_human", "used_memory_peak", "used_memory_peak_human",
      "maxmemory", "maxmemory_human", "maxmemory_policy",
    ]);
    expect(Number(f.used_memory)).toBe(db.usedMemory);
    expect(f.used_memory_human).toBe(`${db.usedMemory}B`);
    expect(Number(f.used_memory_peak)).toBeGreaterThan(2000);
    expect(f.used_memory_peak_human).toMatch(/^\d+\.\d\dK$/);
    expect(f.maxmemory).toBe(String(64 * 1024 * 1024));
    expect(f.maxmemory_human).toBe("64.00M");
    expect(f.maxmemory_policy).toBe("allkeys-lru");
  });

  it("is among INFO's default sections", () => {
    expect(run("INFO") as string).toContain("# Memory\r\nused_memory:");
  });

  it("formats sizes as Redis's bytesToHuman", () => {
    expect([0, 1023, 1024, 1536, 64 * 1024 ** 2, 3 * 1024 ** 3, 1024 ** 5].map(humanBytes)).toEqual([
      "0B", "1023B", "1.00K", "1.50K", "64.00M", "3.00G", "1.00P",
    ]);
    expect(humanBytes(1024 ** 6)).toBe(`${1024 ** 6}B`);
  });
});

describe("MEMORY", () => {
  it("USAGE answers nil for a missing key and does not count as an access", () => {
    expect(run("MEMORY", "USAGE", "nope")).toBeNull();
    run("SET", "k", "v");
    now += 5000;
    run("MEMORY", "USAGE", "k");
    expect(run("OBJECT", "IDLETIME", "k")).toBe(5);
  });

  it("USAGE takes SAMPLES and checks it as Redis does, before looking the key up", () => {
    run("SET", "k", "v");
    expect(run("MEMORY", "USAGE", "k", "SAMPLES", "0")).toBe(usage("k"));
    expect(run("MEMORY", "usage", "k", "samples", "5")).toBe(usage("k"));
    expect(run("MEMORY", "USAGE", "nope", "SAMPLES")).toEqual(error("ERR syntax error"));
    expect(run("MEMORY", "USAGE", "nope", "SAMPLES", "-1")).toEqual(error("ERR syntax error"));
    expect(run("MEMORY", "USAGE", "nope", "SAMPLES", "x")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("MEMORY", "USAGE", "k", "FOO", "1")).toEqual(error("ERR syntax error"));
    expect(run("MEMORY", "USAGE")).toEqual(error("ERR wrong number of arguments for 'memory|usage' command"));
  });

  it("answers STATS, DOCTOR, MALLOC-STATS, PURGE and HELP, and refuses other subcommands", () => {
    run("SET", "a", "1");
    run("SET", "b", "2");
    const used = db.usedMemory;
    expect(run("MEMORY", "STATS")).toEqual(
      map([
        "peak.allocated", used, "total.allocated", used, "startup.allocated", 0, "overhead.total", 0,
        "keys.count", 2, "keys.bytes-per-key", Math.floor(used / 2), "dataset.bytes", used,
        "dataset.percentage", double(100), "peak.percentage", double(100),
      ]),
    );
    // A verbatim string, as Redis sends it (RESP3 `=…txt:`).
    expect(run("MEMORY", "DOCTOR")).toMatchObject({ kind: "verbatim", format: "txt", text: expect.stringMatching(/^Hi Sam, this instance is empty or is using very little memory/) });
    expect(run("MEMORY", "MALLOC-STATS")).toBe("Stats not supported for the current allocator");
    expect(run("MEMORY", "PURGE")).toEqual(OK);
    expect((run("MEMORY", "HELP") as Reply[])[0]).toEqual(simple("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    expect(run("MEMORY", "STATS", "x")).toEqual(error("ERR wrong number of arguments for 'memory|stats' command"));
    expect(run("MEMORY", "FOO")).toEqual(error("ERR unknown subcommand 'FOO'. Try MEMORY HELP."));
  });
});

describe("OBJECT IDLETIME", () => {
  it("counts whole seconds since the last access, which GET, SET and TOUCH reset and OBJECT does not", () => {
    run("SET", "k", "v");
    now += 10_500;
    expect(run("OBJECT", "IDLETIME", "k")).toBe(10);
    expect(run("OBJECT", "IDLETIME", "k")).toBe(10);
    run("GET", "k");
    expect(run("OBJECT", "IDLETIME", "k")).toBe(0);
    now += 3000;
    run("TOUCH", "k");
    expect(run("OBJECT", "IDLETIME", "k")).toBe(0);
    now += 4000;
    run("SET", "k", "w");
    expect(run("OBJECT", "IDLETIME", "k")).toBe(0);
    expect(run("OBJECT", "IDLETIME", "nope")).toBeNull();
  });

  it("is refused under an LFU policy, with Redis's text", () => {
    run("SET", "k", "v");
    run("CONFIG", "SET", "maxmemory-policy", "volatile-lfu");
    expect(run("OBJECT", "IDLETIME", "k")).toEqual(
      error("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    );
    expect(run("OBJECT", "IDLETIME", "k", "x")).toEqual(error("ERR wrong number of arguments for 'object|idletime' command"));
  });
});

describe("OBJECT FREQ", () => {
  beforeEach(() => {
    run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
  });

  it("starts a new key at 5 and counts the first accesses surely, later ones logarithmically", () => {
    run("SET", "k", "v");
    expect(run("OBJECT", "FREQ", "k")).toBe(5);
    run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(6);
    // From 6, an access counts with probability 1 / (1 * lfu-log-factor + 1) = 1/11.
    db.random = () => 0.5;
    run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(6);
    db.random = () => 0.05;
    run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(7);
  });

  it("counts every access with lfu-log-factor 0, and an overwrite once, as Redis's SET does", () => {
    run("CONFIG", "SET", "lfu-log-factor", "0");
    run("SET", "k", "v");
    for (let i = 0; i < 3; i++) run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(8);
    run("SET", "k", "w");
    expect(run("OBJECT", "FREQ", "k")).toBe(9);
    run("RPUSH", "l", "a");
    run("RPUSH", "l", "b");
    expect(run("OBJECT", "FREQ", "l")).toBe(6);
    run("OBJECT", "ENCODING", "k");
    run("MEMORY", "USAGE", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(9);
  });

  it("decays by one per lfu-decay-time minutes without access, and not at all when it is 0", () => {
    run("CONFIG", "SET", "lfu-log-factor", "0");
    run("SET", "k", "v");
    for (let i = 0; i < 5; i++) run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(10);
    now += 3 * 60_000;
    expect(run("OBJECT", "FREQ", "k")).toBe(7);
    run("CONFIG", "SET", "lfu-decay-time", "2");
    expect(run("OBJECT", "FREQ", "k")).toBe(9);
    run("CONFIG", "SET", "lfu-decay-time", "0");
    now += 600 * 60_000;
    expect(run("OBJECT", "FREQ", "k")).toBe(10);
    run("CONFIG", "SET", "lfu-decay-time", "1");
    expect(run("OBJECT", "FREQ", "k")).toBe(0);
    // An access first applies the decay, then counts.
    run("GET", "k");
    expect(run("OBJECT", "FREQ", "k")).toBe(1);
  });

  it("is refused unless an LFU policy is selected, with Redis's text, and is nil for a missing key", () => {
    expect(run("OBJECT", "FREQ", "nope")).toBeNull();
    run("SET", "k", "v");
    run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    expect(run("OBJECT", "FREQ", "k")).toEqual(
      error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."),
    );
    expect(run("OBJECT", "FREQ")).toEqual(error("ERR wrong number of arguments for 'object|freq' command"));
  });
});

describe("OBJECT REFCOUNT", () => {
  it("is 1, except for the small integers Redis shares when no LRU/LFU limit is set", () => {
    run("SET", "s", "abc");
    run("SET", "n", "123");
    run("SET", "big", "10000");
    run("RPUSH", "l", "a");
    expect([run("OBJECT", "REFCOUNT", "s"), run("OBJECT", "REFCOUNT", "n"), run("OBJECT", "REFCOUNT", "big"), run("OBJECT", "REFCOUNT", "l")]).toEqual([1, 2147483647, 1, 1]);
    run("CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru");
    expect(run("OBJECT", "REFCOUNT", "n")).toBe(1);
    expect(run("OBJECT", "REFCOUNT", "nope")).toBeNull();
  });

  it("lists FREQ, IDLETIME and REFCOUNT in OBJECT HELP", () => {
    const help = (run("OBJECT", "HELP") as { value: string }[]).map((l) => l.value);
    expect(help.filter((l) => !l.startsWith(" "))).toEqual([
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>", "FREQ <key>", "IDLETIME <key>", "REFCOUNT <key>", "HELP",
    ]);
  });
});

describe("the deployment's MAXMEMORY and MAXMEMORY_POLICY", () => {
  const config = (vars: Partial<Env>) => readConfig({ ...vars } as Env);

  it("default to 64mb and allkeys-lru", () => {
    expect(config({})).toMatchObject({ maxmemory: 64 * 1024 * 1024, maxmemoryPolicy: "allkeys-lru" });
  });

  it("take Redis's memory units and any policy name, in any case", () => {
    expect(config({ MAXMEMORY: "100mb", MAXMEMORY_POLICY: "VOLATILE-TTL" })).toMatchObject({ maxmemory: 100 * 1024 * 1024, maxmemoryPolicy: "volatile-ttl" });
    expect(config({ MAXMEMORY: "0" }).maxmemory).toBe(0);
    expect(config({ MAXMEMORY: "1gb" }).maxmemory).toBe(1024 ** 3);
  });

  it("fail loudly on anything else", () => {
    expect(() => config({ MAXMEMORY: "lots" })).toThrow(
      'Invalid configuration: MAXMEMORY="lots" must be a size in bytes, optionally with a unit (64mb, 1gb; 0 = the platform bound)',
    );
    expect(() => config({ MAXMEMORY_POLICY: "lru" })).toThrow(
      'Invalid configuration: MAXMEMORY_POLICY="lru" must be one of volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction',
    );
  });
});
