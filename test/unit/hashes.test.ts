// The hash type (src/engine/hash.ts) and the hash commands (src/commands/hashes.ts), plus
// OBJECT ENCODING (src/commands/object.ts), run through the Executor against a Keyspace
// with an injected clock. Every expected reply and error text was read from redis-server
// 7.0; the logged effects follow what Redis 7.0 propagates (t_hash.c).
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { HashValue } from "../../src/engine/hash";
import { Keyspace } from "../../src/engine/keyspace";
import {
  ARRAY_SLOT_BYTES,
  EMPTY_ARRAY_BYTES,
  EMPTY_MAP_BYTES,
  MAP_ENTRY_BYTES,
  objectBytes,
  stringBytes,
} from "../../src/engine/memory";
import { defaultSettings } from "../../src/engine/settings";
import { error, map, OK, pairs, simple, type PairsReply, type Reply } from "../../src/protocol/reply";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { Rng } from "../support/random";
import { arity, COUNT_RANGE, engine, INVALID_CURSOR, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, T0, WRONGTYPE } from "../support/engine";

const HASH_NOT_INTEGER = error("ERR hash value is not an integer");
const HASH_NOT_FLOAT = error("ERR hash value is not a float");
const INCR_NOT_FINITE = error("ERR value is NaN or Infinity");
const FLOAT_RESULT = error("ERR increment would produce NaN or Infinity");

/** An engine holding a string at "str" (for WRONGTYPE). */
function setup() {
  const e = engine();
  e.run("SET", "str", "text");
  return e;
}

/** A reply as RESP bytes (a binary string), in protocol version `resp`. */
function wire(r: Reply, resp: 2 | 3): string {
  return bytesToBinary(encodeReply(r, resp));
}

/** Lowers the listpack thresholds, as CONFIG SET would, so conversions are cheap to reach. */
function smallThresholds(db: Keyspace, entries = 3, value = 5): void {
  db.settings.hashMaxListpackEntries = entries;
  db.settings.hashMaxListpackValue = value;
}

describe("the hash command declarations", () => {
  // name, arity, flags — as COMMAND INFO on redis-server 7.0 (every key spec is 1 1 1).
  const expected: [string, number, string[]][] = [
    ["hset", -4, ["write", "denyoom", "fast"]],
    ["hsetnx", 4, ["write", "denyoom", "fast"]],
    ["hget", 3, ["readonly", "fast"]],
    ["hmget", -3, ["readonly", "fast"]],
    ["hmset", -4, ["write", "denyoom", "fast"]],
    ["hdel", -3, ["write", "fast"]],
    ["hlen", 2, ["readonly", "fast"]],
    ["hstrlen", 3, ["readonly", "fast"]],
    ["hexists", 3, ["readonly", "fast"]],
    ["hkeys", 2, ["readonly"]],
    ["hvals", 2, ["readonly"]],
    ["hgetall", 2, ["readonly"]],
    ["hincrby", 4, ["write", "denyoom", "fast"]],
    ["hincrbyfloat", 4, ["write", "denyoom", "fast"]],
    ["hrandfield", -2, ["readonly"]],
    ["hscan", -3, ["readonly"]],
  ];

  it.each(expected)("declares %s as Redis 7.0 does", (name, arity, flags) => {
    const spec = lookupCommand(name)!;
    expect(spec.group).toBe("hash");
    expect(spec.routing).toBe("shard");
    expect(spec.arity).toBe(arity);
    expect([...spec.flags]).toEqual(flags);
    expect(spec.keys).toEqual({ first: 1, last: 1, step: 1 });
    expect(spec.categories).toContain(flags.includes("write") ? "write" : "read");
  });

  it("declares OBJECT as a keyspace container whose ENCODING names one key", () => {
    const spec = lookupCommand("object")!;
    expect(spec.arity).toBe(-2);
    expect(spec.group).toBe("keyspace");
    expect(commandKeys(spec, ["OBJECT", "ENCODING", "k"])).toEqual(["k"]);
    expect(commandKeys(spec, ["OBJECT", "HELP"])).toEqual([]);
  });
});

describe("the hash type", () => {
  it("keeps insertion order: an update stays in place, a field deleted and re-added goes last", () => {
    const h = new HashValue();
    const s = defaultSettings();
    expect(h.set("a", "1", s)).toBe(true);
    expect(h.set("b", "2", s)).toBe(true);
    expect(h.set("c", "3", s)).toBe(true);
    expect(h.set("a", "9", s)).toBe(false);
    expect(h.delete("b")).toBe(true);
    expect(h.delete("b")).toBe(false);
    h.set("b", "4", s);
    expect([...h.entries()]).toEqual([
      ["a", "9"],
      ["c", "3"],
      ["b", "4"],
    ]);
    expect(h.size).toBe(3);
  });

  it("compacts the holes deletions leave without losing or reordering fields", () => {
    const h = new HashValue();
    const s = defaultSettings();
    for (let i = 0; i < 1000; i++) h.set(`f${i}`, `v${i}`, s);
    for (let i = 0; i < 1000; i++) if (i % 10 !== 0) h.delete(`f${i}`);
    expect(h.size).toBe(100);
    expect([...h.entries()].map((e) => e[0])).toEqual(Array.from({ length: 100 }, (_, i) => `f${i * 10}`));
    expect(h.get("f990")).toBe("v990");
    expect(h.get("f991")).toBeUndefined();
  });

  it("scans a hashtable-encoded hash so that every field present throughout is seen exactly once", () => {
    const s = { ...defaultSettings(), hashMaxListpackEntries: 4 };
    const h = new HashValue();
    for (let i = 0; i < 300; i++) h.set(`f${i}`, "v", s);
    expect(h.encoding(s)).toBe("hashtable");
    const seen = new Map<string, number>();
    let cursor = 0;
    let calls = 0;
    do {
      const step = h.scan(cursor, 7);
      for (const [f] of step.entries) seen.set(f, (seen.get(f) ?? 0) + 1);
      cursor = step.cursor;
      // Churn meanwhile: delete some fields already seen, add new ones (which need not be
      // returned), which also forces compactions mid-scan.
      for (let k = 0; k < 5; k++) h.delete(`f${calls * 5 + k}`);
      h.set(`new${calls}`, "v", s);
      calls++;
    } while (cursor !== 0);
    expect(calls).toBeGreaterThan(10);
    for (let i = 0; i < 300; i++) {
      if (h.has(`f${i}`)) expect(seen.get(`f${i}`)).toBe(1);
    }
    for (const n of seen.values()) expect(n).toBe(1);
  });

  it("draws distinct random entries without repeats, and the whole hash in order when asked for more", () => {
    const h = new HashValue();
    const s = defaultSettings();
    for (let i = 0; i < 50; i++) h.set(`f${i}`, `v${i}`, s);
    const some = h.randomDistinctEntries(20);
    expect(some).toHaveLength(20);
    expect(new Set(some.map((e) => e[0])).size).toBe(20);
    for (const [f, v] of some) expect(h.get(f)).toBe(v);
    expect(h.randomDistinctEntries(50)).toEqual([...h.entries()]);
    expect(h.randomDistinctEntries(99)).toEqual([...h.entries()]);
    const many = h.randomEntriesWithRepeats(500);
    expect(many).toHaveLength(500);
    // 500 independent draws from 50 fields cannot all be distinct.
    expect(new Set(many.map((e) => e[0])).size).toBeLessThan(500);
  });

  it("accounts its heap bytes exactly through sets, updates and deletes (O(1) memoryUsage)", () => {
    const s = defaultSettings();
    const h = new HashValue();
    const rng = new Rng(5);
    const fixed = objectBytes(9) + EMPTY_MAP_BYTES + 3 * EMPTY_ARRAY_BYTES;
    for (let i = 0; i < 4000; i++) {
      const f = "f" + rng.int(60);
      if (rng.chance(0.6)) h.set(f, "v".repeat(rng.int(30)), s);
      else h.delete(f);
      let strings = 0;
      for (const [field, value] of h.entries()) strings += stringBytes(field) + stringBytes(value);
      // What is left is three array slots per slot, holes included: at least one per field.
      const slots = (h.memoryUsage() - fixed - strings - MAP_ENTRY_BYTES * h.size) / (3 * ARRAY_SLOT_BYTES);
      expect(Number.isInteger(slots) && slots >= h.size).toBe(true);
    }
  });

  it("deep-copies itself with its encoding", () => {
    const s = { ...defaultSettings(), hashMaxListpackValue: 3 };
    const h = new HashValue();
    h.set("a", "long value", s);
    const copy = h.clone();
    h.set("b", "2", s);
    copy.set("a", "x", s);
    expect([...h.entries()]).toEqual([
      ["a", "long value"],
      ["b", "2"],
    ]);
    expect([...copy.entries()]).toEqual([["a", "x"]]);
    expect(copy.encoding(s)).toBe("hashtable");
  });
});

describe("HSET, HMSET, HSETNX", () => {
  it("HSET sets fields and replies with how many were new", () => {
    const { run } = setup();
    expect(run("HSET", "h", "a", "1", "b", "2")).toBe(2);
    expect(run("HSET", "h", "a", "9", "c", "3")).toBe(1);
    expect(run("HSET", "h", "c", "x", "c", "y")).toBe(0);
    expect(run("HGETALL", "h")).toEqual(map(["a", "9", "b", "2", "c", "y"]));
  });

  it("HMSET does the same and replies OK", () => {
    const { run } = setup();
    expect(run("HMSET", "h", "a", "1", "b", "2")).toEqual(OK);
    expect(run("HMGET", "h", "a", "b")).toEqual(["1", "2"]);
  });

  it("keep every byte of binary fields and values", () => {
    const { run } = setup();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    run("HSET", "h", bytes, "", "", bytes, "\r\n", "\x00");
    expect(run("HGET", "h", bytes)).toBe("");
    expect(run("HGET", "h", "")).toBe(bytes);
    expect(run("HGET", "h", "\r\n")).toBe("\x00");
  });

  it("refuse an odd number of field/value arguments, naming the command", () => {
    const { run, db } = setup();
    expect(run("HSET", "h", "a")).toEqual(arity("hset"));
    expect(run("HSET", "h", "a", "1", "b")).toEqual(arity("hset"));
    expect(run("HMSET", "h", "a", "1", "b")).toEqual(arity("hmset"));
    expect(db.has("h")).toBe(false);
  });

  it("HSETNX sets a field only when it is absent", () => {
    const { run } = setup();
    expect(run("HSETNX", "h", "f", "v")).toBe(1);
    expect(run("HSETNX", "h", "f", "w")).toBe(0);
    expect(run("HGET", "h", "f")).toBe("v");
  });

  it("refuse a key of another type", () => {
    const { run } = setup();
    expect(run("HSET", "str", "a", "1")).toEqual(WRONGTYPE);
    expect(run("HMSET", "str", "a", "1")).toEqual(WRONGTYPE);
    expect(run("HSETNX", "str", "a", "1")).toEqual(WRONGTYPE);
    expect(run("GET", "str")).toBe("text");
  });

  it("are logged as sent, HSETNX only when it sets", () => {
    const { logged } = setup();
    expect(logged("HSET", "h", "a", "1")).toEqual([["HSET", "h", "a", "1"]]);
    expect(logged("HSET", "h", "a", "1")).toEqual([["HSET", "h", "a", "1"]]);
    expect(logged("HMSET", "h", "b", "2")).toEqual([["HMSET", "h", "b", "2"]]);
    expect(logged("HSETNX", "h", "a", "x")).toEqual([]);
    expect(logged("HSETNX", "h", "c", "x")).toEqual([["HSETNX", "h", "c", "x"]]);
  });
});

describe("HGET, HMGET, HLEN, HSTRLEN, HEXISTS", () => {
  it("read fields, with nil or 0 for a missing field or key", () => {
    const { run } = setup();
    run("HSET", "h", "a", "1", "n", "-9223372036854775808");
    expect(run("HGET", "h", "a")).toBe("1");
    expect(run("HGET", "h", "zz")).toBeNull();
    expect(run("HGET", "nokey", "a")).toBeNull();
    expect(run("HMGET", "h", "n", "zz", "a")).toEqual(["-9223372036854775808", null, "1"]);
    expect(run("HMGET", "nokey", "a", "b")).toEqual([null, null]);
    expect(run("HLEN", "h")).toBe(2);
    expect(run("HLEN", "nokey")).toBe(0);
    expect(run("HSTRLEN", "h", "n")).toBe(20);
    expect(run("HSTRLEN", "h", "zz")).toBe(0);
    expect(run("HSTRLEN", "nokey", "a")).toBe(0);
    expect(run("HEXISTS", "h", "a")).toBe(1);
    expect(run("HEXISTS", "h", "zz")).toBe(0);
    expect(run("HEXISTS", "nokey", "a")).toBe(0);
  });

  it("refuse a key of another type (HMGET too, unlike MGET)", () => {
    const { run } = setup();
    for (const argv of [
      ["HGET", "str", "a"],
      ["HMGET", "str", "a"],
      ["HLEN", "str"],
      ["HSTRLEN", "str", "a"],
      ["HEXISTS", "str", "a"],
    ]) {
      expect(run(...argv)).toEqual(WRONGTYPE);
    }
  });
});

describe("HKEYS, HVALS, HGETALL", () => {
  it("list a small hash in insertion order, as Redis's listpack does", () => {
    const { run } = setup();
    run("HSET", "h", "a", "1", "b", "2", "c", "3");
    run("HDEL", "h", "a");
    run("HSET", "h", "a", "9", "d", "4");
    expect(run("HKEYS", "h")).toEqual(["b", "c", "a", "d"]);
    expect(run("HVALS", "h")).toEqual(["2", "3", "9", "4"]);
    expect(run("HGETALL", "h")).toEqual(map(["b", "2", "c", "3", "a", "9", "d", "4"]));
  });

  it("reply empty for a missing key (HGETALL as an empty map)", () => {
    const { run } = setup();
    expect(run("HKEYS", "nokey")).toEqual([]);
    expect(run("HVALS", "nokey")).toEqual([]);
    expect(run("HGETALL", "nokey")).toEqual(map([]));
  });

  it("HGETALL is a map in RESP3 and a flat array in RESP2", () => {
    const { run } = setup();
    run("HSET", "h", "a", "1");
    expect(wire(run("HGETALL", "h"), 3)).toBe("%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    expect(wire(run("HGETALL", "h"), 2)).toBe("*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    expect(wire(run("HGETALL", "nokey"), 3)).toBe("%0\r\n");
  });

  it("refuse a key of another type", () => {
    const { run } = setup();
    expect(run("HKEYS", "str")).toEqual(WRONGTYPE);
    expect(run("HVALS", "str")).toEqual(WRONGTYPE);
    expect(run("HGETALL", "str")).toEqual(WRONGTYPE);
  });
});

describe("HDEL", () => {
  it("deletes fields, counting each once, and deletes the key with the last field", () => {
    const { run, db } = setup();
    run("HSET", "h", "a", "1", "b", "2", "c", "3");
    expect(run("HDEL", "h", "a", "a", "zz")).toBe(1);
    expect(run("HDEL", "h", "b", "c", "d")).toBe(2);
    expect(db.has("h")).toBe(false);
    expect(run("HDEL", "h", "a")).toBe(0);
  });

  it("refuses a key of another type", () => {
    const { run } = setup();
    expect(run("HDEL", "str", "a")).toEqual(WRONGTYPE);
  });

  it("is logged only when it deletes something", () => {
    const { run, logged } = setup();
    run("HSET", "h", "a", "1", "b", "2");
    expect(logged("HDEL", "h", "zz")).toEqual([]);
    expect(logged("HDEL", "h", "a", "zz")).toEqual([["HDEL", "h", "a", "zz"]]);
    expect(logged("HDEL", "h", "b")).toEqual([["HDEL", "h", "b"]]);
  });
});

describe("HINCRBY", () => {
  it("adds to an integer field, starting a missing one (or key) at 0", () => {
    const { run } = setup();
    expect(run("HINCRBY", "h", "f", "5")).toBe(5);
    expect(run("HINCRBY", "h", "f", "-7")).toBe(-2);
    expect(run("HGET", "h", "f")).toBe("-2");
    expect(run("HINCRBY", "h", "g", "-9223372036854775808")).toBe(-9223372036854775808n);
    expect(run("HINCRBY", "h", "g", "0")).toBe(-9223372036854775808n);
  });

  it("refuses to overflow int64, and leaves the value alone", () => {
    const { run } = setup();
    run("HSET", "h", "big", "9223372036854775807", "small", "-9223372036854775808");
    expect(run("HINCRBY", "h", "big", "1")).toEqual(OVERFLOW);
    expect(run("HINCRBY", "h", "small", "-1")).toEqual(OVERFLOW);
    expect(run("HGET", "h", "big")).toBe("9223372036854775807");
  });

  it("refuses a field that is not a strict integer, and an increment that is not one", () => {
    const { run, db } = setup();
    run("HSET", "h", "s", "abc", "f", "1.5", "sp", " 1", "e", "1e3");
    for (const f of ["s", "f", "sp", "e"]) expect(run("HINCRBY", "h", f, "1")).toEqual(HASH_NOT_INTEGER);
    for (const bad of ["x", "1.0", "9223372036854775808", ""]) expect(run("HINCRBY", "h", "s", bad)).toEqual(NOT_INTEGER);
    // The increment is read before the key.
    expect(run("HINCRBY", "str", "f", "x")).toEqual(NOT_INTEGER);
    expect(run("HINCRBY", "nokey", "f", "x")).toEqual(NOT_INTEGER);
    expect(db.has("nokey")).toBe(false);
    expect(run("HINCRBY", "str", "f", "1")).toEqual(WRONGTYPE);
  });

  it("is logged as sent, and not when it fails", () => {
    const { run, logged } = setup();
    run("HSET", "h", "s", "abc");
    expect(logged("HINCRBY", "h", "n", "2")).toEqual([["HINCRBY", "h", "n", "2"]]);
    expect(logged("HINCRBY", "h", "s", "2")).toEqual([]);
  });
});

describe("HINCRBYFLOAT", () => {
  it("adds in long double precision and prints as Redis does", () => {
    const { run } = setup();
    expect(run("HINCRBYFLOAT", "h", "z", "10.50")).toBe("10.5");
    expect(run("HINCRBYFLOAT", "h", "z", "5.0e3")).toBe("5010.5");
    expect(run("HINCRBYFLOAT", "h", "w", "1e-5")).toBe("0.00001");
    expect(run("HINCRBYFLOAT", "h", "w", "-0.00001")).toBe("0");
    expect(run("HINCRBYFLOAT", "h", "v", "1.1")).toBe("1.1");
    expect(run("HINCRBYFLOAT", "h", "v", "2.2")).toBe("3.3");
    expect(run("HINCRBYFLOAT", "h", "v", "0x10")).toBe("19.3");
  });

  it("reads integer and exponent values, and goes past int64", () => {
    const { run } = setup();
    run("HSET", "h", "big", "9223372036854775807", "e", "1e3");
    expect(run("HINCRBYFLOAT", "h", "big", "1")).toBe("9223372036854775808");
    expect(run("HINCRBYFLOAT", "h", "e", "1")).toBe("1001");
    expect(run("HINCRBY", "h", "e", "1")).toBe(1002);
  });

  it("refuses an infinite increment up front, creating nothing", () => {
    const { run, db } = setup();
    expect(run("HINCRBYFLOAT", "nk", "f", "inf")).toEqual(INCR_NOT_FINITE);
    expect(run("HINCRBYFLOAT", "nk", "f", "-inf")).toEqual(INCR_NOT_FINITE);
    expect(db.has("nk")).toBe(false);
    expect(run("HINCRBYFLOAT", "nk", "f", "nan")).toEqual(NOT_FLOAT);
    expect(run("HINCRBYFLOAT", "nk", "f", "abc")).toEqual(NOT_FLOAT);
    expect(run("HINCRBYFLOAT", "str", "f", "abc")).toEqual(NOT_FLOAT);
    expect(run("HINCRBYFLOAT", "str", "f", "1")).toEqual(WRONGTYPE);
  });

  it("refuses a value that is not a float, and a result that overflows", () => {
    const { run } = setup();
    run("HSET", "h", "s", "abc", "sp", " 1", "huge", "1e4932");
    expect(run("HINCRBYFLOAT", "h", "s", "1")).toEqual(HASH_NOT_FLOAT);
    expect(run("HINCRBYFLOAT", "h", "sp", "1")).toEqual(HASH_NOT_FLOAT);
    expect(run("HINCRBYFLOAT", "h", "huge", "1e4932")).toEqual(FLOAT_RESULT);
    expect(run("HGET", "h", "huge")).toBe("1e4932");
  });

  it("is logged as HSET of the resulting value", () => {
    const { logged } = setup();
    expect(logged("HINCRBYFLOAT", "h", "f", "1.5")).toEqual([["HSET", "h", "f", "1.5"]]);
    expect(logged("HINCRBYFLOAT", "h", "f", "0.25")).toEqual([["HSET", "h", "f", "1.75"]]);
    expect(logged("HINCRBYFLOAT", "h", "f", "inf")).toEqual([]);
  });
});

describe("HRANDFIELD", () => {
  function withHash() {
    const s = setup();
    s.run("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4");
    return s;
  }
  const FIELDS = ["a", "b", "c", "d"];

  it("without a count returns one random field, or nil for a missing key", () => {
    const { run } = withHash();
    for (let i = 0; i < 20; i++) expect(FIELDS).toContain(run("HRANDFIELD", "h"));
    expect(run("HRANDFIELD", "nokey")).toBeNull();
  });

  it("with a positive count returns distinct fields, the whole hash in order when the count covers it", () => {
    const { run } = withHash();
    const two = run("HRANDFIELD", "h", "2") as string[];
    expect(two).toHaveLength(2);
    expect(new Set(two).size).toBe(2);
    for (const f of two) expect(FIELDS).toContain(f);
    expect(run("HRANDFIELD", "h", "4")).toEqual(FIELDS);
    expect(run("HRANDFIELD", "h", "10")).toEqual(FIELDS);
    expect(run("HRANDFIELD", "h", "10", "WITHVALUES")).toEqual(pairs(["a", "1", "b", "2", "c", "3", "d", "4"]));
  });

  it("with a negative count returns that many fields, repeats allowed", () => {
    const { run } = withHash();
    const picks = run("HRANDFIELD", "h", "-50") as string[];
    expect(picks).toHaveLength(50);
    for (const f of picks) expect(FIELDS).toContain(f);
    expect(new Set(picks).size).toBeLessThan(50);
  });

  it("pairs each field with its value WITHVALUES: flat in RESP2, nested pairs in RESP3", () => {
    const { run } = withHash();
    const reply = run("HRANDFIELD", "h", "-6", "withvalues") as PairsReply;
    expect(reply.kind).toBe("pairs");
    const flat = reply.items as string[];
    expect(flat).toHaveLength(12);
    for (let i = 0; i < flat.length; i += 2) expect(run("HGET", "h", flat[i])).toBe(flat[i + 1]);
    const whole = run("HRANDFIELD", "h", "2", "WITHVALUES");
    expect(wire(run("HRANDFIELD", "h", "4", "WITHVALUES"), 2)).toBe(
      "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    expect(wire(run("HRANDFIELD", "h", "4", "WITHVALUES"), 3)).toBe(
      "*4\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nd\r\n$1\r\n4\r\n",
    );
    expect((whole as PairsReply).items).toHaveLength(4);
  });

  it("replies an empty array for count 0 or a missing key", () => {
    const { run } = withHash();
    expect(run("HRANDFIELD", "h", "0")).toEqual([]);
    expect(run("HRANDFIELD", "h", "0", "WITHVALUES")).toEqual([]);
    expect(run("HRANDFIELD", "nokey", "-5", "WITHVALUES")).toEqual([]);
  });

  it("checks the count, then the options, then the key", () => {
    const { run } = withHash();
    expect(run("HRANDFIELD", "h", "x")).toEqual(NOT_INTEGER);
    expect(run("HRANDFIELD", "h", "abc", "WITHVALUES")).toEqual(NOT_INTEGER);
    expect(run("HRANDFIELD", "h", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(run("HRANDFIELD", "h", "-9223372036854775808")).toEqual(COUNT_RANGE);
    expect(run("HRANDFIELD", "h", "1", "WITHVALUE")).toEqual(SYNTAX);
    expect(run("HRANDFIELD", "h", "1", "WITHVALUES", "x")).toEqual(SYNTAX);
    expect(run("HRANDFIELD", "nokey", "5", "foo")).toEqual(SYNTAX);
    expect(run("HRANDFIELD", "str", "0")).toEqual(WRONGTYPE);
    expect(run("HRANDFIELD", "str")).toEqual(WRONGTYPE);
  });

  it("refuses a WITHVALUES count beyond ±LONG_MAX/2 before looking at the key", () => {
    const { run } = withHash();
    const OUT_OF_RANGE = error("ERR value is out of range");
    expect(run("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES")).toEqual(OUT_OF_RANGE);
    expect(run("HRANDFIELD", "nokey", "4611686018427387904", "WITHVALUES")).toEqual(OUT_OF_RANGE);
    expect(run("HRANDFIELD", "nokey", "-4611686018427387904", "WITHVALUES")).toEqual(OUT_OF_RANGE);
    expect(run("HRANDFIELD", "str", "4611686018427387904", "WITHVALUES")).toEqual(OUT_OF_RANGE);
    expect(run("HRANDFIELD", "nokey", "4611686018427387903", "WITHVALUES")).toEqual([]);
    expect(run("HRANDFIELD", "h", "4611686018427387904")).toEqual(FIELDS);
  });

  it("logs nothing: it is a read", () => {
    const { logged } = withHash();
    expect(logged("HRANDFIELD", "h", "-3")).toEqual([]);
  });
});

describe("HSCAN", () => {
  it("returns a small (listpack) hash whole with cursor 0, whatever the cursor and COUNT", () => {
    const { run } = setup();
    run("HSET", "h", "b", "2", "c", "3", "a", "9");
    const all = ["b", "2", "c", "3", "a", "9"];
    expect(run("HSCAN", "h", "0")).toEqual(["0", all]);
    expect(run("HSCAN", "h", "0", "COUNT", "1")).toEqual(["0", all]);
    expect(run("HSCAN", "h", "77")).toEqual(["0", all]);
  });

  it("filters fields with MATCH", () => {
    const { run } = setup();
    run("HSET", "h", "b", "2", "c", "3", "a", "9");
    expect(run("HSCAN", "h", "0", "MATCH", "[ab]")).toEqual(["0", ["b", "2", "a", "9"]]);
    expect(run("HSCAN", "h", "0", "match", "*", "count", "5")).toEqual(["0", ["b", "2", "c", "3", "a", "9"]]);
  });

  it("walks a large (hashtable) hash in steps of about COUNT until the cursor returns to 0", () => {
    const { run, db } = setup();
    smallThresholds(db, 8);
    for (let i = 0; i < 100; i++) run("HSET", "h", `f${i}`, `v${i}`);
    expect(run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const [next, items] = run("HSCAN", "h", cursor, "COUNT", "10") as [string, string[]];
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      cursor = next;
      calls++;
    } while (cursor !== "0");
    expect(calls).toBeGreaterThan(5);
    expect(seen.size).toBe(100);
    for (let i = 0; i < 100; i++) expect(seen.get(`f${i}`)).toBe(`v${i}`);
  });

  it("replies an empty scan for a missing key, even with bad options", () => {
    const { run } = setup();
    expect(run("HSCAN", "nokey", "0")).toEqual(["0", []]);
    expect(run("HSCAN", "nokey", "0", "COUNT", "0")).toEqual(["0", []]);
  });

  it("checks the cursor first, then the type, then the options", () => {
    const { run } = setup();
    run("HSET", "h", "a", "1");
    expect(run("HSCAN", "nokey", "abc")).toEqual(INVALID_CURSOR);
    expect(run("HSCAN", "h", "abc")).toEqual(INVALID_CURSOR);
    expect(run("HSCAN", "str", "0", "COUNT", "0")).toEqual(WRONGTYPE);
    expect(run("HSCAN", "h", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(run("HSCAN", "h", "0", "COUNT", "x")).toEqual(NOT_INTEGER);
    expect(run("HSCAN", "h", "0", "TYPE", "string")).toEqual(SYNTAX);
    expect(run("HSCAN", "h", "0", "MATCH")).toEqual(SYNTAX);
    expect(run("HSCAN", "h", "0", "FOO", "1")).toEqual(SYNTAX);
  });
});

describe("hash encodings (OBJECT ENCODING)", () => {
  it("start as listpack and convert for good once the hash has too many fields", () => {
    const { run, db, encoding } = setup();
    smallThresholds(db);
    run("HSET", "h", "a", "1", "b", "2", "c", "3");
    expect(encoding("h")).toBe("listpack");
    run("HSET", "h", "d", "4");
    expect(encoding("h")).toBe("hashtable");
    run("HDEL", "h", "a", "b", "c");
    expect(encoding("h")).toBe("hashtable");
  });

  it("convert when a field or value written is longer than hash-max-listpack-value", () => {
    const { run, db, encoding } = setup();
    smallThresholds(db);
    run("HSET", "h1", "a", "123456");
    run("HSET", "h2", "abcdef", "1");
    run("HINCRBY", "h3", "abcdef", "1");
    run("HSET", "h4", "a", "1");
    run("HINCRBY", "h4", "a", "123456");
    run("HINCRBYFLOAT", "h5", "a", "1.5");
    run("HINCRBYFLOAT", "h5", "a", "0.00001");
    for (const k of ["h1", "h2", "h3", "h4", "h5"]) expect(encoding(k)).toBe("hashtable");
  });

  it("do not convert when HSETNX finds the field already there", () => {
    const { run, db, encoding } = setup();
    smallThresholds(db);
    run("HSETNX", "h", "a", "1");
    run("HSETNX", "h", "a", "123456");
    expect(encoding("h")).toBe("listpack");
    run("HSETNX", "h", "b", "123456");
    expect(encoding("h")).toBe("hashtable");
  });

  it("follow a lowered threshold only at the next write, even an update", () => {
    const { run, db, encoding } = setup();
    run("HSET", "h", "a", "1", "b", "2", "c", "3");
    smallThresholds(db, 1);
    expect(encoding("h")).toBe("listpack");
    run("HSET", "h", "a", "5");
    expect(encoding("h")).toBe("hashtable");
  });

  it("survive COPY", () => {
    const { run, db, encoding } = setup();
    smallThresholds(db);
    run("HSET", "h", "a", "123456");
    run("COPY", "h", "c");
    expect(encoding("c")).toBe("hashtable");
    run("HSET", "c", "b", "2");
    expect(run("HLEN", "h")).toBe(1);
  });
});

describe("OBJECT", () => {
  it("ENCODING names strings' encodings by Redis's rules, and nil for a missing key", () => {
    const { run, encoding } = setup();
    run("SET", "i", "12345");
    run("SET", "min", "-9223372036854775808");
    run("SET", "over", "9223372036854775808");
    run("SET", "lead", "01");
    run("SET", "e44", "x".repeat(44));
    run("SET", "r45", "x".repeat(45));
    expect(encoding("i")).toBe("int");
    expect(encoding("min")).toBe("int");
    expect(encoding("over")).toBe("embstr");
    expect(encoding("lead")).toBe("embstr");
    expect(encoding("e44")).toBe("embstr");
    expect(encoding("r45")).toBe("raw");
    expect(encoding("nokey")).toBeNull();
  });

  it("checks its subcommands' arity and names an unknown one", () => {
    const { run } = setup();
    expect(run("OBJECT", "ENCODING")).toEqual(arity("object|encoding"));
    expect(run("OBJECT", "encoding", "a", "b")).toEqual(arity("object|encoding"));
    expect(run("OBJECT", "HELP", "x")).toEqual(arity("object|help"));
    expect(run("OBJECT", "foo")).toEqual(error("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    // Subcommand names are matched whole (a NUL does not end them); the error quotes up to the NUL.
    expect(run("OBJECT", "ENCODING\x00x", "k")).toEqual(error("ERR unknown subcommand 'ENCODING'. Try OBJECT HELP."));
    expect(run("OBJECT")).toEqual(arity("object"));
  });

  it("HELP lists what it supports", () => {
    const { run } = setup();
    const help = run("OBJECT", "HELP") as Reply[];
    expect(help[0]).toEqual(simple("OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    expect(help).toContainEqual(simple("ENCODING <key>"));
  });
});

describe("replaying the log of hash commands", () => {
  it("rebuilds exactly the same hashes, in the same order and encodings, in a fresh keyspace", () => {
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => T0);
    smallThresholds(db, 6, 6);
    const rng = new Rng(7);
    const keys = ["a", "b", "c", "d"];
    const fields = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "long-field"];
    const effects: string[][] = [];
    const batch: string[][] = [];
    for (let i = 0; i < 3000; i++) {
      const k = rng.pick(keys);
      const f = rng.pick(fields);
      switch (rng.int(7)) {
        case 0: case 1: batch.push(["HSET", k, f, String(rng.int(100)), rng.pick(fields), "v" + i]); break;
        case 2: batch.push(["HSETNX", k, f, "n" + i]); break;
        case 3: batch.push(["HDEL", k, f, rng.pick(fields)]); break;
        case 4: batch.push(["HINCRBY", k, f, String(rng.range(-5, 5))]); break;
        case 5: batch.push(["HINCRBYFLOAT", k, f, String(rng.range(-500, 500) / 7)]); break;
        default: batch.push(["HMSET", k, f, "m" + i]); break;
      }
    }
    for (let i = 0; i < batch.length; i += 100) effects.push(...ex.run(batch.slice(i, i + 100)).effects);

    const fresh = new Keyspace();
    smallThresholds(fresh, 6, 6);
    const replayer = new Executor(fresh, undefined, () => T0);
    for (const argv of effects) replayer.replay(argv);

    expect(effects.length).toBeGreaterThan(1000);
    expect(effects.some((e) => e[0] === "HSET" && batch.every((b) => b !== e))).toBe(true);
    expect(dump(fresh)).toEqual(dump(db));
    expect(fresh.size).toBeGreaterThan(1);
  });
});

/** Every key with its type, encoding and whole contents, for comparing two keyspaces. */
function dump(db: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...db.keys()].sort()) {
    const v = db.get(key)!;
    out[key] =
      v instanceof HashValue
        ? ["hash", v.encoding(db.settings), [...v.entries()]]
        : typeof v === "string"
          ? ["string", v]
          : [v.type];
  }
  return out;
}
