// The bitmap commands (src/commands/bitmaps.ts) and their byte-level algorithms
// (src/engine/bitops.ts), run through the Executor against a Keyspace. Every expected reply
// and error text was read from redis-server 7.0; the algorithms are also checked against a
// bit-at-a-time model on random data, and timed on a 16 MB value.
import { describe, expect, it } from "vitest";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { bitop, countBitRange, findBit, getBit, popcount, readBits, setBit, writeBits } from "../../src/engine/bitops";
import { Keyspace, type Collection } from "../../src/engine/keyspace";
import { error } from "../../src/protocol/reply";
import { engine, NOT_INTEGER, SYNTAX, WRONGTYPE, arity } from "../support/engine";
import { Rng } from "../support/random";

const BIT_OFFSET = error("ERR bit offset is not an integer or out of range");
const BIT_VALUE = error("ERR bit is not an integer or out of range");
const BIT_ARG = error("ERR The bit argument must be 1 or 0.");
const BITOP_NOT = error("ERR BITOP NOT must be called with a single source key.");
const FIELD_TYPE = error("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
const OVERFLOW_TYPE = error("ERR Invalid OVERFLOW type specified");
const RO_ONLY_GET = error("ERR BITFIELD_RO only supports the GET subcommand");
const TOO_LONG = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");

/** An engine holding a list at "list" (for WRONGTYPE) and "foobar" at "s". */
function setup(maxValueBytes?: number) {
  const e = engine(maxValueBytes === undefined ? undefined : { maxValueBytes });
  const list: Collection = { type: "list", size: 1, encoding: () => "listpack", clone: () => list, memoryUsage: () => 0 };
  e.db.set("list", list);
  e.run("SET", "s", "foobar");
  return e;
}

/** The keyspace's memory total, were the same strings stored fresh (accounting is exact). */
function freshMemory(db: Keyspace, keys: string[]): number {
  const fresh = new Keyspace();
  for (const k of keys) {
    const v = db.peek(k);
    if (typeof v === "string") fresh.set(k, v);
  }
  return fresh.usedMemory;
}

describe("the bitmap command declarations", () => {
  // name, arity, flags, first key, last key, step — as COMMAND INFO on redis-server 7.0.
  const expected: [string, number, string[], number, number, number][] = [
    ["setbit", 4, ["write", "denyoom"], 1, 1, 1],
    ["getbit", 3, ["readonly", "fast"], 1, 1, 1],
    ["bitcount", -2, ["readonly"], 1, 1, 1],
    ["bitpos", -3, ["readonly"], 1, 1, 1],
    ["bitop", -4, ["write", "denyoom"], 2, -1, 1],
    ["bitfield", -2, ["write", "denyoom"], 1, 1, 1],
    ["bitfield_ro", -2, ["readonly", "fast"], 1, 1, 1],
  ];

  it.each(expected)("declares %s as Redis 7.0 does", (name, ar, flags, first, last, step) => {
    const spec = lookupCommand(name)!;
    expect(spec.group).toBe("bitmap");
    expect(spec.arity).toBe(ar);
    expect([...spec.flags]).toEqual(flags);
    expect(spec.keys).toEqual({ first, last, step });
    expect(spec.routing).toBe("shard");
    expect(spec.categories).toContain("bitmap");
  });

  it("names BITOP's destination and every source as keys, so the router checks they share a slot", () => {
    expect(commandKeys(lookupCommand("bitop")!, ["BITOP", "AND", "d", "a", "b"])).toEqual(["d", "a", "b"]);
  });
});

describe("SETBIT and GETBIT", () => {
  it("sets and clears bits, replying with the old bit; GETBIT reads 0 past the end or of a missing key", () => {
    const { run } = setup();
    expect(run("SETBIT", "k", "7", "1")).toBe(0);
    expect(run("GET", "k")).toBe("\x01");
    expect(run("SETBIT", "k", "7", "1")).toBe(1);
    expect(run("SETBIT", "k", "0", "1")).toBe(0);
    expect(run("GET", "k")).toBe("\x81");
    expect(run("SETBIT", "k", "7", "0")).toBe(1);
    expect(run("GET", "k")).toBe("\x80");
    expect(run("GETBIT", "k", "0")).toBe(1);
    expect(run("GETBIT", "k", "1")).toBe(0);
    expect(run("GETBIT", "k", "100")).toBe(0);
    expect(run("GETBIT", "missing", "4294967295")).toBe(0);
    expect(run("GETBIT", "s", "1")).toBe(1);
  });

  it("grows the string with zero bytes to reach the offset, keeping its TTL", () => {
    const { run, db } = setup();
    run("SET", "k", "a", "PX", "5000");
    expect(run("SETBIT", "k", "23", "0")).toBe(0);
    expect(run("GET", "k")).toBe("a\0\0");
    expect(db.getExpire("k")).toBeDefined();
    expect(run("SETBIT", "n", "16", "1")).toBe(0);
    expect(run("GET", "n")).toBe("\0\0\x80");
  });

  it("checks the offset, then the bit, then the key's type, as Redis does", () => {
    const { run } = setup();
    expect(run("SETBIT", "list", "x", "2")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "list", "-1", "1")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "list", "4294967296", "1")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "list", "#1", "1")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "list", "1", "2")).toEqual(BIT_VALUE);
    expect(run("SETBIT", "k", "1", "-1")).toEqual(BIT_VALUE);
    expect(run("SETBIT", "k", "1", "x")).toEqual(BIT_VALUE);
    expect(run("SETBIT", "list", "1", "1")).toEqual(WRONGTYPE);
    expect(run("GETBIT", "list", "-1")).toEqual(BIT_OFFSET);
    expect(run("GETBIT", "list", "1")).toEqual(WRONGTYPE);
    expect(run("GETBIT", "k", "1.5")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "k", "1")).toEqual(arity("setbit"));
    expect(run("GETBIT", "k")).toEqual(arity("getbit"));
    expect(run("EXISTS", "k")).toBe(0);
  });

  it("takes offsets up to 2^32 - 1 as Redis does, refusing a write past the largest value", () => {
    const { run } = setup(1024);
    expect(run("GETBIT", "k", "4294967295")).toBe(0);
    expect(run("GETBIT", "k", "4294967296")).toEqual(BIT_OFFSET);
    expect(run("SETBIT", "k", String(1024 * 8), "1")).toEqual(TOO_LONG);
    expect(run("SETBIT", "k", "4294967295", "0")).toEqual(TOO_LONG);
    expect(run("EXISTS", "k")).toBe(0);
    // The type is checked before the size.
    expect(run("SETBIT", "list", "4294967295", "1")).toEqual(WRONGTYPE);
    expect(run("SETBIT", "k", String(1024 * 8 - 1), "1")).toBe(0);
    expect(run("STRLEN", "k")).toBe(1024);
  });

  it("is logged as sent when it changes the value, and not at all when the bit was already so", () => {
    const { logged, db } = setup();
    expect(logged("SETBIT", "k", "3", "1")).toEqual([["SETBIT", "k", "3", "1"]]);
    const dirty = db.dirty;
    expect(logged("SETBIT", "k", "3", "1")).toEqual([]);
    expect(logged("SETBIT", "k", "4", "0")).toEqual([]);
    expect(db.dirty).toBe(dirty);
    // Growing counts as a change even when the bit written is 0.
    expect(logged("SETBIT", "k", "100", "0")).toEqual([["SETBIT", "k", "100", "0"]]);
    expect(logged("GETBIT", "k", "3")).toEqual([]);
  });

  it("keeps the memory accounting exact as the string grows", () => {
    const { run, db } = setup();
    const base = db.usedMemory - freshMemory(db, ["s"]);
    for (const offset of ["0", "100", "5000", "7", "80000"]) run("SETBIT", "k", offset, "1");
    expect(db.usedMemory - base).toBe(freshMemory(db, ["s", "k"]));
  });
});

describe("BITCOUNT", () => {
  it("counts set bits in the whole string, a byte range or a bit range", () => {
    const { run } = setup();
    expect(run("BITCOUNT", "s")).toBe(26);
    expect(run("BITCOUNT", "s", "0", "0")).toBe(4);
    expect(run("BITCOUNT", "s", "1", "1")).toBe(6);
    expect(run("BITCOUNT", "s", "1", "1", "BYTE")).toBe(6);
    expect(run("BITCOUNT", "s", "5", "30", "bit")).toBe(17);
    expect(run("BITCOUNT", "s", "-2", "-1", "BiT")).toBe(1);
    expect(run("BITCOUNT", "s", "0", "-1", "byte")).toBe(26);
    expect(run("BITCOUNT", "s", "-100", "100")).toBe(26);
    expect(run("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "bit")).toBe(26);
    expect(run("BITCOUNT", "missing")).toBe(0);
  });

  it("is empty for a range that ends before it starts", () => {
    const { run } = setup();
    expect(run("BITCOUNT", "s", "3", "2")).toBe(0);
    expect(run("BITCOUNT", "s", "-1", "-2")).toBe(0);
    expect(run("BITCOUNT", "s", "-1", "-2", "bit")).toBe(0);
    // Two negative indexes the wrong way round answer 0 before the unit is read.
    expect(run("BITCOUNT", "s", "-1", "-2", "nonsense")).toBe(0);
    expect(run("BITCOUNT", "s", "10", "20")).toBe(0);
  });

  it("answers 0 for a missing key whatever the range, and checks the type first", () => {
    const { run } = setup();
    expect(run("BITCOUNT", "missing", "a", "b")).toBe(0);
    expect(run("BITCOUNT", "missing", "0")).toBe(0);
    expect(run("BITCOUNT", "list", "a", "b")).toEqual(WRONGTYPE);
    expect(run("BITCOUNT", "list")).toEqual(WRONGTYPE);
  });

  it("refuses bad ranges and units", () => {
    const { run } = setup();
    expect(run("BITCOUNT", "s", "0")).toEqual(SYNTAX);
    expect(run("BITCOUNT", "s", "a", "b")).toEqual(NOT_INTEGER);
    expect(run("BITCOUNT", "s", "0", "b")).toEqual(NOT_INTEGER);
    expect(run("BITCOUNT", "s", "a", "1", "bit", "x")).toEqual(SYNTAX);
    expect(run("BITCOUNT", "s", "0", "1", "bits")).toEqual(SYNTAX);
    expect(run("BITCOUNT", "s", "0", "1", "bit", "x")).toEqual(SYNTAX);
    expect(run("BITCOUNT")).toEqual(arity("bitcount"));
  });
});

describe("BITPOS", () => {
  it("finds the first set or clear bit, in byte or bit ranges", () => {
    const { run } = setup();
    run("SET", "a", "\xff\xf0\x00");
    run("SET", "b", "\x00\xff\xf0");
    expect(run("BITPOS", "a", "0")).toBe(12);
    expect(run("BITPOS", "b", "1", "0")).toBe(8);
    expect(run("BITPOS", "b", "1", "2")).toBe(16);
    expect(run("BITPOS", "b", "1", "2", "-1", "byte")).toBe(16);
    expect(run("BITPOS", "b", "1", "7", "15", "BIT")).toBe(8);
    expect(run("BITPOS", "s", "1", "7", "15", "bit")).toBe(9);
    expect(run("BITPOS", "s", "0", "-3", "-1", "bit")).toBe(45);
    expect(run("BITPOS", "b", "1", "-100", "-50")).toBe(-1);
    expect(run("BITPOS", "s", "0", "-9223372036854775808", "-1", "bit")).toBe(0);
  });

  it("reads a string as padded with zeros for clear bits, unless the range has an end", () => {
    const { run } = setup();
    run("SET", "ff", "\xff\xff\xff");
    expect(run("BITPOS", "ff", "0")).toBe(24);
    expect(run("BITPOS", "ff", "0", "0")).toBe(24);
    expect(run("BITPOS", "ff", "0", "-100")).toBe(24);
    expect(run("BITPOS", "ff", "0", "0", "-1")).toBe(-1);
    expect(run("BITPOS", "ff", "0", "0", "-1", "bit")).toBe(-1);
    expect(run("BITPOS", "ff", "0", "100")).toBe(-1);
    expect(run("BITPOS", "ff", "1", "-5", "-3", "bit")).toBe(19);
  });

  it("answers -1 for a set bit and 0 for a clear bit in a missing key, and -1 in an empty string", () => {
    const { run } = setup();
    expect(run("BITPOS", "missing", "1")).toBe(-1);
    expect(run("BITPOS", "missing", "0")).toBe(0);
    expect(run("BITPOS", "missing", "1", "a", "b", "c", "d")).toBe(-1);
    run("SET", "e", "");
    expect(run("BITPOS", "e", "0")).toBe(-1);
    expect(run("BITPOS", "e", "1")).toBe(-1);
  });

  it("checks the bit first, then the key, then the range (start, unit, end)", () => {
    const { run } = setup();
    expect(run("BITPOS", "list", "2")).toEqual(BIT_ARG);
    expect(run("BITPOS", "missing", "x")).toEqual(NOT_INTEGER);
    expect(run("BITPOS", "list", "1", "a")).toEqual(WRONGTYPE);
    expect(run("BITPOS", "s", "1", "a")).toEqual(NOT_INTEGER);
    expect(run("BITPOS", "s", "1", "0", "a")).toEqual(NOT_INTEGER);
    expect(run("BITPOS", "s", "1", "0", "a", "foo")).toEqual(SYNTAX);
    expect(run("BITPOS", "s", "1", "a", "b", "foo")).toEqual(NOT_INTEGER);
    expect(run("BITPOS", "s", "1", "a", "1", "bit", "x")).toEqual(SYNTAX);
    expect(run("BITPOS", "s")).toEqual(arity("bitpos"));
  });
});

describe("BITOP", () => {
  it("combines strings of different lengths, the shorter read as zero-padded", () => {
    const { run } = setup();
    run("SET", "a", "foobar");
    run("SET", "b", "abcdef");
    expect(run("BITOP", "AND", "d", "a", "b")).toBe(6);
    expect(run("GET", "d")).toBe("`bc`ab");
    run("SET", "short", "\x0f");
    expect(run("BITOP", "or", "d", "short", "a")).toBe(6);
    expect(run("GET", "d")).toBe("\x6foobar");
    expect(run("BITOP", "Xor", "d", "a", "a", "short")).toBe(6);
    expect(run("GET", "d")).toBe("\x0f\0\0\0\0\0");
    expect(run("BITOP", "AND", "d", "a", "short")).toBe(6);
    expect(run("GET", "d")).toBe("\x06\0\0\0\0\0");
    expect(run("BITOP", "NOT", "d", "short")).toBe(1);
    expect(run("GET", "d")).toBe("\xf0");
    expect(run("BITOP", "AND", "d", "a", "missing")).toBe(6);
    expect(run("GET", "d")).toBe("\0\0\0\0\0\0");
  });

  it("overwrites the destination (its TTL and type too), and deletes it when every source is empty", () => {
    const { run, db, logged } = setup();
    run("SET", "d", "x", "EX", "100");
    expect(run("BITOP", "OR", "d", "s")).toBe(6);
    expect(db.getExpire("d")).toBeUndefined();
    expect(run("BITOP", "OR", "list", "s")).toBe(6);
    expect(run("GET", "list")).toBe("foobar");
    expect(logged("BITOP", "AND", "d", "missing", "none")).toEqual([["BITOP", "AND", "d", "missing", "none"]]);
    expect(run("EXISTS", "d")).toBe(0);
    // Nothing to delete: nothing changed, nothing logged.
    expect(logged("BITOP", "AND", "d", "missing")).toEqual([]);
  });

  it("refuses an unknown operation, NOT of several keys, and a source of another type, writing nothing", () => {
    const { run } = setup();
    expect(run("BITOP", "nand", "d", "s")).toEqual(SYNTAX);
    expect(run("BITOP", "NOT", "d", "s", "s")).toEqual(BITOP_NOT);
    expect(run("BITOP", "AND", "d", "s", "list")).toEqual(WRONGTYPE);
    expect(run("EXISTS", "d")).toBe(0);
    expect(run("BITOP", "NOT", "d")).toEqual(arity("bitop"));
  });

  it("refuses sources longer than 320,000,000 bytes together (a 16 MB key named many times) before working, writing nothing", () => {
    const { run } = setup();
    run("SETRANGE", "big", String(16 * 1024 * 1024 - 1), "x");
    expect(run("BITOP", "AND", "d", ...Array(19).fill("big"))).toBe(16 * 1024 * 1024);
    expect(run("BITOP", "OR", "d2", ...Array(20).fill("big"))).toEqual(
      error("ERR BITOP would take too long: about 20971520 steps (the limit is 20000000)"),
    );
    expect(run("EXISTS", "d2")).toBe(0);
  });
});

describe("BITFIELD and BITFIELD_RO", () => {
  it("reads signed and unsigned fields at bit offsets and #index offsets", () => {
    const { run } = setup();
    expect(run("BITFIELD", "s", "GET", "i8", "0", "GET", "u4", "4", "get", "i4", "4", "GET", "u63", "0", "GET", "i64", "0")).toEqual([
      102,
      6,
      6,
      3690620391307935744n,
      7381240782615871488n,
    ]);
    expect(run("BITFIELD_RO", "s", "GET", "u8", "#1", "GET", "u8", "4294967295")).toEqual([111, 0]);
    expect(run("BITFIELD", "s")).toEqual([]);
    expect(run("BITFIELD_RO", "missing", "GET", "i64", "0")).toEqual([0]);
  });

  it("sets fields (replying the old value) and increments them (replying the new one)", () => {
    const { run } = setup();
    expect(run("BITFIELD", "k", "SET", "i8", "#1", "-100", "GET", "u8", "8", "GET", "i8", "#1", "INCRBY", "i8", "#1", "-100", "GET", "u8", "#1")).toEqual([
      0, 156, -100, 56, 56,
    ]);
    expect(run("GET", "k")).toBe("\x008");
    expect(run("BITFIELD", "k", "INCRBY", "i5", "100", "1", "GET", "u4", "0")).toEqual([1, 0]);
  });

  it("wraps, saturates or fails on overflow, as OVERFLOW says from there on", () => {
    const { run } = setup();
    expect(run("BITFIELD", "k", "OVERFLOW", "WRAP", "INCRBY", "i8", "0", "200", "overflow", "sat", "incrby", "i8", "0", "200", "incrby", "u8", "8", "-5", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "1")).toEqual([
      -56, 127, 0, null,
    ]);
    const counter = (): unknown => run("BITFIELD", "c", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1");
    expect(counter()).toEqual([1, 1]);
    expect(counter()).toEqual([2, 2]);
    expect(counter()).toEqual([3, 3]);
    expect(counter()).toEqual([0, 3]);
    expect(run("BITFIELD", "c", "OVERFLOW", "FAIL", "INCRBY", "u2", "102", "1")).toEqual([null]);
  });

  it("handles 64-bit signed and 63-bit unsigned fields at their limits", () => {
    const { run } = setup();
    expect(run("BITFIELD", "k", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1", "OVERFLOW", "SAT", "INCRBY", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807", "GET", "i64", "0")).toEqual([
      0, 9223372036854775807n, 9223372036854775806n, 9223372036854775807n, 9223372036854775807n,
    ]);
    // An unsigned SET reads its argument as a uint64: -1 overflows upwards.
    expect(run("BITFIELD", "u", "SET", "u63", "0", "-1", "OVERFLOW", "SAT", "SET", "u63", "0", "-1", "GET", "u63", "0", "SET", "u4", "0", "-1")).toEqual([
      0, 9223372036854775807n, 9223372036854775807n, 15,
    ]);
    expect(run("GET", "u")).toBe("\xff\xff\xff\xff\xff\xff\xff\xfe");
  });

  it("saturates a signed SET near INT64_MIN upwards, as Redis's int64 arithmetic does", () => {
    const { run } = setup();
    expect(run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i40", "0", "-9223372036854775808", "GET", "i40", "0")).toEqual([0, 549755813887]);
  });

  it("grows the string to the farthest field written, even when OVERFLOW FAIL writes nothing", () => {
    const { run, logged } = setup();
    expect(logged("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "300")).toEqual([["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "0", "300"]]);
    expect(run("GET", "k")).toBe("\0");
    expect(run("BITFIELD", "k", "SET", "u4", "20", "1")).toEqual([0]);
    expect(run("STRLEN", "k")).toBe(3);
  });

  it("logs a write that changed something as sent, and nothing for GETs or writes that changed nothing", () => {
    const { logged } = setup();
    expect(logged("BITFIELD", "s", "GET", "u8", "0")).toEqual([]);
    expect(logged("BITFIELD_RO", "s", "GET", "u8", "0")).toEqual([]);
    expect(logged("BITFIELD", "s", "SET", "u8", "0", "102")).toEqual([]);
    expect(logged("BITFIELD", "s", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000")).toEqual([]);
    expect(logged("BITFIELD", "s", "INCRBY", "u8", "0", "1")).toEqual([["BITFIELD", "s", "INCRBY", "u8", "0", "1"]]);
  });

  it("parses every operation before it reads the key, with Redis's errors", () => {
    const { run } = setup();
    expect(run("BITFIELD", "list", "GET", "u64", "0")).toEqual(FIELD_TYPE);
    for (const t of ["i0", "i65", "u64", "U8", "u08", "8", "", "u+8"]) expect(run("BITFIELD", "k", "GET", t, "0"), t).toEqual(FIELD_TYPE);
    // The width is read as a C string: it ends at a NUL byte.
    expect(run("BITFIELD", "s", "GET", "u8\0junk", "0")).toEqual([102]);
    expect(run("BITFIELD", "list", "GET", "i8", "x")).toEqual(BIT_OFFSET);
    for (const o of ["-1", "#-1", "#", "#+1", "+1", "4294967296", "#536870912"]) expect(run("BITFIELD", "k", "GET", "u8", o), o).toEqual(BIT_OFFSET);
    expect(run("BITFIELD", "list", "SET", "u8", "#1", "x")).toEqual(NOT_INTEGER);
    expect(run("BITFIELD", "list", "OVERFLOW", "foo")).toEqual(OVERFLOW_TYPE);
    expect(run("BITFIELD", "list", "OVERFLOW")).toEqual(SYNTAX);
    expect(run("BITFIELD", "list", "foo")).toEqual(SYNTAX);
    expect(run("BITFIELD", "list", "GET", "u8")).toEqual(SYNTAX);
    expect(run("BITFIELD", "list", "GET", "i8", "0")).toEqual(WRONGTYPE);
    expect(run("BITFIELD", "list", "SET", "i8", "0", "1")).toEqual(WRONGTYPE);
    expect(run("BITFIELD_RO", "list", "SET", "u8", "0", "1")).toEqual(RO_ONLY_GET);
    expect(run("BITFIELD_RO", "list", "GET", "u8", "0")).toEqual(WRONGTYPE);
    expect(run("EXISTS", "k")).toBe(0);
  });

  it("multiplies #index offsets by the width as C does, wrapping in 64 bits", () => {
    const { run } = setup();
    expect(run("BITFIELD", "missing", "GET", "u8", "#2305843009213693952")).toEqual([0]);
    expect(run("BITFIELD", "missing", "GET", "i3", "#2305843009213693952")).toEqual(BIT_OFFSET);
  });

  it("refuses a write that would pass the largest value (reads go on to bit 2^32 - 1)", () => {
    const { run } = setup(1024);
    expect(run("BITFIELD", "k", "GET", "i64", "4294967295", "GET", "u8", String(1024 * 8))).toEqual([0, 0]);
    expect(run("BITFIELD", "k", "SET", "i64", String(1024 * 8 - 1), "1")).toEqual(TOO_LONG);
    expect(run("BITFIELD", "k", "GET", "u8", "0", "OVERFLOW", "FAIL", "INCRBY", "u8", "4294967288", "1")).toEqual(TOO_LONG);
    expect(run("EXISTS", "k")).toBe(0);
    expect(run("BITFIELD", "list", "SET", "u8", "4294967288", "1")).toEqual(WRONGTYPE);
    expect(run("BITFIELD", "k", "SET", "u8", String(1024 * 8 - 8), "1")).toEqual([0]);
    expect(run("STRLEN", "k")).toBe(1024);
  });
});

// --- the algorithms -------------------------------------------------------------------------

/** Bit `i` of `s`, one at a time: the model the fast code must agree with. */
const bitAt = (s: string, i: number) => (i >> 3 < s.length ? (s.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1 : 0);

describe("the bit algorithms", () => {
  const rng = new Rng(4242);
  /** Random strings with long runs of 0x00 and 0xff, where searches skip. */
  const sample = (): string => {
    let s = "";
    const parts = rng.range(1, 6);
    for (let p = 0; p < parts; p++) {
      const r = rng.int(3);
      const n = rng.range(0, 30);
      s += r === 0 ? "\0".repeat(n) : r === 1 ? "\xff".repeat(n) : rng.bytes(n);
    }
    return s;
  };

  it("count and search bit ranges as a bit-at-a-time model does", () => {
    for (let t = 0; t < 400; t++) {
      const s = sample();
      if (s.length === 0) continue;
      const total = s.length * 8;
      const first = rng.int(total);
      const last = first + rng.int(total - first);
      let count = 0;
      let one = -1;
      let zero = -1;
      for (let i = first; i <= last; i++) {
        const b = bitAt(s, i);
        count += b;
        if (b === 1 && one < 0) one = i;
        if (b === 0 && zero < 0) zero = i;
      }
      expect(countBitRange(s, first, last)).toBe(count);
      expect(findBit(s, 1, first, last)).toBe(one);
      expect(findBit(s, 0, first, last)).toBe(zero);
    }
  });

  it("read and write fields of every width as the model does", () => {
    for (let t = 0; t < 400; t++) {
      const s = sample() + "\0".repeat(9);
      const bits = rng.range(1, 64);
      const offset = rng.int(s.length * 8 - bits);
      let v = 0n;
      for (let i = 0; i < bits; i++) v = (v << 1n) | BigInt(bitAt(s, offset + i));
      expect(readBits(s, offset, bits)).toBe(v);
      const value = BigInt.asUintN(64, BigInt(rng.u32()) * 2n ** 32n + BigInt(rng.u32()));
      const w = writeBits(s, offset, bits, value);
      expect(w.length).toBe(s.length);
      for (let i = 0; i < s.length * 8; i++) {
        const inside = i >= offset && i < offset + bits;
        const want = inside ? Number((value >> BigInt(offset + bits - 1 - i)) & 1n) : bitAt(s, i);
        if (bitAt(w, i) !== want) throw new Error(`bit ${i} of a ${bits}-bit write at ${offset}`);
      }
    }
  });

  it("combine strings as the model does", () => {
    for (let t = 0; t < 100; t++) {
      const sources = Array.from({ length: rng.range(1, 4) }, sample);
      const op = rng.pick(["and", "or", "xor", "not"] as const);
      const used = op === "not" ? sources.slice(0, 1) : sources;
      const len = Math.max(...used.map((s) => s.length));
      let want = "";
      for (let i = 0; i < len; i++) {
        let b = used[0].charCodeAt(i) || 0;
        if (op === "not") b = ~b & 0xff;
        for (const s of used.slice(1)) {
          const c = s.charCodeAt(i) || 0;
          b = op === "and" ? b & c : op === "or" ? b | c : b ^ c;
        }
        want += String.fromCharCode(b);
      }
      expect(bitop(op, used)).toBe(want);
    }
  });

  it("set and get single bits past the end", () => {
    expect(setBit("", 9, 1)).toBe("\0\x40");
    expect(getBit("\0\x40", 9)).toBe(1);
    expect(getBit("\0\x40", 900)).toBe(0);
    expect(popcount("\xff\x01\x03", 0, 3)).toBe(11);
  });
});

describe("bitmaps of 16 MB", () => {
  const size = 16 * 1024 * 1024;

  it("are counted, searched and combined well under a second each", () => {
    const { run } = setup();
    const rng = new Rng(7);
    // A value of every byte: 4 KB of random bytes repeated (built as one flat string).
    const tile = rng.bytes(4096);
    run("SET", "big", tile.repeat(size / 4096));
    run("SET", "zeros", "\0".repeat(size - 1) + "\x01");
    const timed = (argv: string[]): number => {
      const t0 = performance.now();
      run(...argv);
      return performance.now() - t0;
    };
    const tilePopcount = popcount(tile, 0, tile.length);
    expect(run("BITCOUNT", "big")).toBe(tilePopcount * (size / 4096));
    expect(run("BITPOS", "zeros", "1")).toBe(size * 8 - 1);
    expect(timed(["BITCOUNT", "big"])).toBeLessThan(1000);
    expect(timed(["BITCOUNT", "big", "1", "-2", "BIT"])).toBeLessThan(1000);
    expect(timed(["BITPOS", "zeros", "1"])).toBeLessThan(1000);
    expect(timed(["BITPOS", "big", "0", "0", "-1"])).toBeLessThan(1000);
    expect(timed(["BITOP", "XOR", "dst", "big", "zeros"])).toBeLessThan(1000);
    expect(timed(["BITOP", "NOT", "dst", "big"])).toBeLessThan(1000);
    expect(run("STRLEN", "dst")).toBe(size);
    expect(timed(["SETBIT", "big", String(size * 8 - 1), "1"])).toBeLessThan(1000);
    expect(timed(["BITFIELD", "big", "INCRBY", "u32", "#100", "1"])).toBeLessThan(1000);
  });
});
