// SORT and SORT_RO (src/commands/sort.ts), run through the Executor against a Keyspace
// with an injected clock. Every expected reply and error text was read from redis-server
// 7.0.15 (the patterns there without hash tags; here every key shares a tag, as Hotslot
// requires), except the slot rule, which is Redis Cluster's from Redis 8.0 (redis#12728).
import { describe, expect, it } from "vitest";
import { patternHashSlot, sortWeight } from "../../src/commands/sort";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { error } from "../../src/protocol/reply";
import { keySlot } from "../../src/util/keyslot";
import { arity, engine, NOT_INTEGER, SYNTAX, WRONGTYPE } from "../support/engine";

const NOT_DOUBLE = error("ERR One or more scores can't be converted into double");
const BY_SLOT = error("ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.");
const GET_SLOT = error("ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.");

const setup = () => engine();

describe("SORT: numbers", () => {
  it("sorts a list numerically, ascending by default and with ASC, descending with DESC", () => {
    const { run } = setup();
    run("RPUSH", "l", "3", "1", "2", "10", "-5");
    expect(run("SORT", "l")).toEqual(["-5", "1", "2", "3", "10"]);
    expect(run("SORT", "l", "ASC")).toEqual(["-5", "1", "2", "3", "10"]);
    expect(run("SORT", "l", "desc")).toEqual(["10", "3", "2", "1", "-5"]);
    expect(run("SORT", "l", "desc", "asc")).toEqual(["-5", "1", "2", "3", "10"]);
  });

  it("sorts sets and sorted sets by their members' values, not by score", () => {
    const { run } = setup();
    run("SADD", "s", "3", "1", "2");
    run("ZADD", "z", "1", "30", "2", "10", "3", "20");
    expect(run("SORT", "s")).toEqual(["1", "2", "3"]);
    expect(run("SORT", "z")).toEqual(["10", "20", "30"]);
  });

  it("orders equal numbers by their bytes, in either direction", () => {
    const { run } = setup();
    run("RPUSH", "t", "1.0", "1", "-0", "0", "01", "+1", " 1", "0x1");
    expect(run("SORT", "t")).toEqual(["-0", "0", " 1", "+1", "01", "0x1", "1", "1.0"]);
    expect(run("SORT", "t", "DESC")).toEqual(["1.0", "1", "0x1", "01", "+1", " 1", "0", "-0"]);
  });

  it("reads numbers as strtod does: leading white space, hex, inf, and an empty string as 0", () => {
    const { run } = setup();
    run("RPUSH", "u", "5", "\t7", "\n6", "\v8", "\f9", "\r4", " 3");
    expect(run("SORT", "u")).toEqual([" 3", "\r4", "5", "\n6", "\t7", "\v8", "\f9"]);
    run("RPUSH", "v", "0x10", "inf", "-inf", "", "1e2", ".5", "5.", "0X1P4");
    expect(run("SORT", "v")).toEqual(["-inf", "", ".5", "5.", "0X1P4", "0x10", "1e2", "inf"]);
  });

  it("refuses what is not a number, trailing bytes, NaN, overflow and inexact underflow", () => {
    const { run } = setup();
    for (const bad of ["abc", "5 ", "  ", "-", "nan", "-nan", "1e", "0x", "1e400", "1e-400", "4.9e-324", "1e-310", "2.2250738585072011e-308", "1,5"]) {
      run("DEL", "l");
      run("RPUSH", "l", "0", bad);
      expect(run("SORT", "l"), JSON.stringify(bad)).toEqual(NOT_DOUBLE);
    }
  });

  it("accepts an exact tiny number, and zero written tiny", () => {
    const { run } = setup();
    run("RPUSH", "l", "0x1p-1074", "0e-400", "2.2250738585072014e-308");
    expect(run("SORT", "l")).toEqual(["0e-400", "0x1p-1074", "2.2250738585072014e-308"]);
  });

  it("stops a weight at a NUL byte, as C does", () => {
    const { run } = setup();
    run("RPUSH", "l", "5\x00x", "3");
    expect(run("SORT", "l")).toEqual(["3", "5\x00x"]);
  });
});

describe("SORT: the strtod rules, one weight at a time", () => {
  it("reads decimal, hex and infinite numbers after leading white space", () => {
    expect(sortWeight("")).toBe(0);
    expect(sortWeight("\x00junk")).toBe(0);
    expect(sortWeight(" +.5e1")).toBe(5);
    expect(sortWeight("0x1.8p1")).toBe(3);
    expect(sortWeight("-0x.8")).toBe(-0.5);
    expect(sortWeight("INFINITY")).toBe(Infinity);
    expect(sortWeight("-Inf")).toBe(-Infinity);
    expect(Object.is(sortWeight("-0"), -0)).toBe(true);
  });

  it("calls a tiny result out of range only when it is inexact (x86 detects tininess after rounding)", () => {
    // Above DBL_MIN - 2^-1076 a value rounds up to DBL_MIN and is not tiny; at it too (a
    // tie, to even); below it, it is tiny, even where it still rounds up to DBL_MIN.
    expect(sortWeight("0x1.fffffffffffffcp-1023")).toBe(2 ** -1022);
    expect(sortWeight("0x1.fffffffffffff8p-1023")).toBe(2 ** -1022);
    expect(sortWeight("0x1.fffffffffffff7p-1023")).toBeNull();
    expect(sortWeight("0x1.fffffffffffff4p-1023")).toBeNull();
    expect(sortWeight("0x1.ffffffffffffep-1023")).toBe(2 ** -1022 - 2 ** -1074);
    expect(sortWeight("0x3p-1074")).toBe(3 * 2 ** -1074);
    expect(sortWeight("0x3.1p-1074")).toBeNull();
    expect(sortWeight("0x1p-1075")).toBeNull();
    expect(sortWeight("0x1p1024")).toBeNull();
    expect(sortWeight("0x1.fffffffffffffp1023")).toBe(Number.MAX_VALUE);
    expect(sortWeight("1.7976931348623159e308")).toBeNull();
  });

  it("answers at once for exponents far out of range", () => {
    for (const w of ["0x1p-999999999", "0x1p999999999", "1e-999999999999", "1e999999999999", "0x1.0000000000001p-1023"]) {
      expect(sortWeight(w), w).toBeNull();
    }
    expect(sortWeight("0e999999999999")).toBe(0);
    expect(sortWeight("0x1p-1023")).toBe(2 ** -1023);
  });
});

describe("SORT: ALPHA", () => {
  it("sorts by bytes up to a NUL (strcoll in the C locale), keeping ties in their order", () => {
    const { run } = setup();
    run("RPUSH", "l", "b", "\xff", "a", "\xc3\xa9", "B", "a\x00z", "a\x00b", "a", "\x80", "\x7f", "");
    expect(run("SORT", "l", "ALPHA")).toEqual(["", "B", "a", "a\x00z", "a\x00b", "a", "b", "\x7f", "\x80", "\xc3\xa9", "\xff"]);
    expect(run("SORT", "l", "ALPHA", "DESC")).toEqual(["\xff", "\xc3\xa9", "\x80", "\x7f", "b", "a", "a\x00z", "a\x00b", "a", "B", ""]);
  });

  it("compares whole binary strings when it STOREs", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "b", "a\x00z", "a\x00b", "a", "");
    expect(run("SORT", "{k}l", "ALPHA", "STORE", "{k}d")).toBe(5);
    expect(run("LRANGE", "{k}d", "0", "-1")).toEqual(["", "a", "a\x00b", "a\x00z", "b"]);
  });

  it("does not read numbers, so any text sorts", () => {
    const { run } = setup();
    run("SADD", "s", "banana", "apple", "10", "9");
    expect(run("SORT", "s", "ALPHA")).toEqual(["10", "9", "apple", "banana"]);
  });
});

describe("SORT: LIMIT", () => {
  function list() {
    const s = setup();
    s.run("RPUSH", "l", "3", "1", "2");
    return s;
  }

  it("takes count elements from offset, clamping a negative offset to 0", () => {
    const { run } = list();
    expect(run("SORT", "l", "LIMIT", "1", "1")).toEqual(["2"]);
    expect(run("SORT", "l", "LIMIT", "-5", "2")).toEqual(["1", "2"]);
    expect(run("SORT", "l", "LIMIT", "2", "5")).toEqual(["3"]);
  });

  it("takes everything from offset with a negative count, and nothing with 0 or past the end", () => {
    const { run } = list();
    expect(run("SORT", "l", "LIMIT", "1", "-1")).toEqual(["2", "3"]);
    expect(run("SORT", "l", "LIMIT", "0", "-100")).toEqual(["1", "2", "3"]);
    expect(run("SORT", "l", "LIMIT", "2", "0")).toEqual([]);
    expect(run("SORT", "l", "LIMIT", "3", "1")).toEqual([]);
  });

  it("clamps the 64-bit extremes without overflowing", () => {
    const { run } = list();
    expect(run("SORT", "l", "LIMIT", "1", "9223372036854775807")).toEqual(["2", "3"]);
    expect(run("SORT", "l", "LIMIT", "2", "9223372036854775807")).toEqual(["3"]);
    expect(run("SORT", "l", "LIMIT", "9223372036854775807", "1")).toEqual([]);
    expect(run("SORT", "l", "LIMIT", "-9223372036854775808", "-9223372036854775808")).toEqual(["1", "2", "3"]);
  });

  it("uses the last LIMIT given", () => {
    const { run } = list();
    expect(run("SORT", "l", "LIMIT", "0", "1", "LIMIT", "1", "2")).toEqual(["2", "3"]);
  });

  it("refuses offsets and counts that are not 64-bit integers", () => {
    const { run } = list();
    expect(run("SORT", "l", "LIMIT", "x", "0")).toEqual(NOT_INTEGER);
    expect(run("SORT", "l", "LIMIT", "0", "x")).toEqual(NOT_INTEGER);
    expect(run("SORT", "l", "LIMIT", "1.5", "1")).toEqual(NOT_INTEGER);
    expect(run("SORT", "l", "LIMIT", "9223372036854775808", "0")).toEqual(NOT_INTEGER);
  });
});

describe("SORT: BY", () => {
  function weighted() {
    const s = setup();
    s.run("RPUSH", "{k}l", "a", "b", "c", "d");
    s.run("MSET", "{k}w_a", "3", "{k}w_b", "1", "{k}w_c", "2");
    s.run("HSET", "{k}h_a", "f", "z");
    s.run("HSET", "{k}h_b", "f", "y");
    s.run("HSET", "{k}h_c", "f", "x");
    return s;
  }

  it("sorts by the numbers the pattern's keys hold; a missing weight counts as 0", () => {
    const { run } = weighted();
    expect(run("SORT", "{k}l", "BY", "{k}w_*")).toEqual(["d", "b", "c", "a"]);
    expect(run("SORT", "{k}l", "BY", "{k}w_*", "DESC")).toEqual(["a", "c", "b", "d"]);
  });

  it("reads a hash field with pattern->field, and sorts a missing weight first with ALPHA", () => {
    const { run } = weighted();
    expect(run("SORT", "{k}l", "BY", "{k}h_*->f", "ALPHA")).toEqual(["d", "c", "b", "a"]);
    expect(run("SORT", "{k}l", "BY", "{k}h_*->f", "ALPHA", "DESC")).toEqual(["a", "b", "c", "d"]);
  });

  it("treats a key of the wrong type as missing, and reads no number from the elements then", () => {
    const { run } = weighted();
    // {k}w_* names strings, so ->f finds nothing; {k}h_* names hashes, not strings.
    expect(run("SORT", "{k}l", "BY", "{k}w_*->f")).toEqual(["a", "b", "c", "d"]);
    expect(run("SORT", "{k}l", "BY", "{k}h_*")).toEqual(["a", "b", "c", "d"]);
  });

  it("refuses weights that are not numbers unless ALPHA", () => {
    const { run } = weighted();
    expect(run("SORT", "{k}l", "BY", "{k}h_*->f")).toEqual(NOT_DOUBLE);
  });

  it("keeps tied weights in their order when sorting everything, and as pqsort leaves them within a LIMIT", () => {
    const { run } = setup();
    run("RPUSH", "{t}l", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9");
    expect(run("SORT", "{t}l", "BY", "{t}w_*", "ALPHA")).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
    expect(run("SORT", "{t}l", "BY", "{t}w_*", "ALPHA", "LIMIT", "0", "3")).toEqual(["e9", "e1", "e2"]);
    expect(run("SORT", "{t}l", "BY", "{t}w_*", "ALPHA", "DESC", "LIMIT", "1", "4")).toEqual(["e1", "e2", "e3", "e4"]);
    run("MSET", "{t}w_e3", "b", "{t}w_e7", "a", "{t}w_e1", "b");
    expect(run("SORT", "{t}l", "BY", "{t}w_*", "ALPHA", "LIMIT", "0", "5")).toEqual(["e9", "e6", "e8", "e0", "e2"]);
    expect(run("SORT", "{t}l", "BY", "{t}w_*", "ALPHA", "LIMIT", "5", "5")).toEqual(["e4", "e5", "e7", "e1", "e3"]);
  });

  it("finds '*' and '->' up to a NUL, but builds the key and the field from every byte", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "a", "b");
    run("SET", "{k}w_a\x00z", "2");
    run("SET", "{k}w_b\x00z", "1");
    expect(run("SORT", "{k}l", "BY", "{k}w_*\x00z")).toEqual(["b", "a"]);
    run("HSET", "{k}h_a", "f\x00g", "2");
    run("HSET", "{k}h_b", "f\x00g", "1");
    expect(run("SORT", "{k}l", "BY", "{k}h_*->f\x00g")).toEqual(["b", "a"]);
    // A '*' after the NUL is not seen: the BY is constant and nothing is sorted.
    expect(run("SORT", "{k}l", "BY", "{k}w\x00*", "DESC")).toEqual(["b", "a"]);
  });
});

describe("SORT: BY nosort (a pattern without '*')", () => {
  it("keeps a list's order, reversed by DESC, cut by LIMIT", () => {
    const { run } = setup();
    run("RPUSH", "l", "3", "1", "2");
    expect(run("SORT", "l", "BY", "nosort")).toEqual(["3", "1", "2"]);
    expect(run("SORT", "l", "BY", "nosort", "DESC")).toEqual(["2", "1", "3"]);
    expect(run("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "-1")).toEqual(["1", "3"]);
    expect(run("SORT", "l", "BY", "nosort", "LIMIT", "2", "5")).toEqual(["2"]);
  });

  it("keeps a sorted set's order, reversed by DESC, cut by LIMIT", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    expect(run("SORT", "z", "BY", "nosort")).toEqual(["a", "b", "c", "d"]);
    expect(run("SORT", "z", "BY", "nosort", "LIMIT", "1", "2")).toEqual(["b", "c"]);
    expect(run("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2")).toEqual(["c", "b"]);
  });

  it("keeps an intset's numeric order, ignoring DESC", () => {
    const { run } = setup();
    run("SADD", "s", "30", "-1", "7");
    expect(run("SORT", "s", "BY", "nosort", "DESC")).toEqual(["-1", "7", "30"]);
  });

  it("sorts a set ALPHA when it STOREs, so the stored list is the same everywhere", () => {
    const { run } = setup();
    run("SADD", "{k}s", "b", "c", "a", "10");
    expect(run("SORT", "{k}s", "BY", "nosort", "STORE", "{k}d")).toBe(4);
    expect(run("LRANGE", "{k}d", "0", "-1")).toEqual(["10", "a", "b", "c"]);
  });

  it("never sorts once a BY without '*' was given, whatever BY follows", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "3", "1", "2");
    expect(run("SORT", "{k}l", "BY", "nosort", "BY", "{k}w_*")).toEqual(["3", "1", "2"]);
    expect(run("SORT", "{k}l", "BY", "{k}w_*", "BY", "nosort")).toEqual(["3", "1", "2"]);
  });
});

describe("SORT: GET", () => {
  it("replies with the values the patterns name, # being the element, nil where nothing is", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "x", "y");
    run("SET", "{k}v_x", "vx");
    expect(run("SORT", "{k}l", "ALPHA", "GET", "#", "GET", "{k}v_*", "GET", "{k}nothere")).toEqual(["x", "vx", null, "y", null, null]);
  });

  it("reads hash fields, treats an empty field as part of the key, and '#' up to a NUL", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "a", "b", "c");
    run("SET", "{k}h_a->", "sa");
    run("HSET", "{k}h_a", "f", "fa");
    expect(run("SORT", "{k}l", "BY", "nosort", "GET", "{k}h_*->")).toEqual(["sa", null, null]);
    expect(run("SORT", "{k}l", "BY", "nosort", "GET", "{k}h_*->f")).toEqual(["fa", null, null]);
    expect(run("SORT", "{k}l", "BY", "nosort", "GET", "#\x00x")).toEqual(["a", "b", "c"]);
  });

  it("gives nil for a key holding another type", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "a");
    run("RPUSH", "{k}v_a", "listed");
    run("SET", "{k}h_a", "text");
    expect(run("SORT", "{k}l", "ALPHA", "GET", "{k}v_*", "GET", "{k}h_*->f")).toEqual([null, null]);
  });
});

describe("SORT: STORE", () => {
  it("stores the result as a list, replacing any value and its TTL, and replies its length", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "b", "a", "c");
    run("SET", "{k}d", "x", "PX", "100000");
    expect(run("SORT", "{k}l", "ALPHA", "STORE", "{k}d")).toBe(3);
    expect(run("TYPE", "{k}d")).toEqual({ kind: "simple", value: "list" });
    expect(run("PTTL", "{k}d")).toBe(-1);
    expect(run("LRANGE", "{k}d", "0", "-1")).toEqual(["a", "b", "c"]);
  });

  it("stores GET values, with an empty string where a reply would have nil", () => {
    const { run } = setup();
    run("RPUSH", "{k}e", "x", "y");
    run("SET", "{k}w_y", "wy");
    expect(run("SORT", "{k}e", "BY", "nosort", "GET", "#", "GET", "{k}w_*", "STORE", "{k}d")).toBe(4);
    expect(run("LRANGE", "{k}d", "0", "-1")).toEqual(["x", "", "y", "wy"]);
  });

  it("deletes the destination when the result is empty, and stores into the last STORE given", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "1", "2");
    run("SET", "{k}d", "x");
    expect(run("SORT", "{k}l", "LIMIT", "5", "1", "STORE", "{k}d")).toBe(0);
    expect(run("EXISTS", "{k}d")).toBe(0);
    expect(run("SORT", "{k}missing", "STORE", "{k}d")).toBe(0);
    expect(run("SORT", "{k}l", "STORE", "{k}d", "STORE", "{k}e")).toBe(2);
    expect(run("EXISTS", "{k}d", "{k}e")).toBe(1);
  });

  it("may store over the key it sorts", () => {
    const { run } = setup();
    run("SADD", "{k}s", "2", "1");
    expect(run("SORT", "{k}s", "DESC", "STORE", "{k}s")).toBe(2);
    expect(run("LRANGE", "{k}s", "0", "-1")).toEqual(["2", "1"]);
  });

  it("stores nothing when a weight is not a number", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "a", "b");
    run("SET", "{k}d", "kept");
    expect(run("SORT", "{k}l", "STORE", "{k}d")).toEqual(NOT_DOUBLE);
    expect(run("GET", "{k}d")).toBe("kept");
  });

  it("is logged as sent when it changes the keyspace, and not at all when it changes nothing", () => {
    const { run, logged } = setup();
    run("RPUSH", "{k}l", "2", "1");
    expect(logged("SORT", "{k}l", "STORE", "{k}d")).toEqual([["SORT", "{k}l", "STORE", "{k}d"]]);
    expect(logged("SORT", "{k}l", "LIMIT", "9", "9", "STORE", "{k}d")).toEqual([["SORT", "{k}l", "LIMIT", "9", "9", "STORE", "{k}d"]]);
    expect(logged("SORT", "{k}l", "LIMIT", "9", "9", "STORE", "{k}d")).toEqual([]);
    expect(logged("SORT", "{k}l")).toEqual([]);
    expect(logged("SORT_RO", "{k}l")).toEqual([]);
  });
});

describe("SORT_RO", () => {
  it("sorts as SORT does", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "b", "a");
    run("MSET", "{k}w_a", "2", "{k}w_b", "1");
    expect(run("SORT_RO", "{k}l", "BY", "{k}w_*", "GET", "#", "GET", "{k}w_*")).toEqual(["b", "1", "a", "2"]);
    expect(run("sort_ro", "{k}l", "ALPHA", "DESC", "LIMIT", "0", "1")).toEqual(["b"]);
  });

  it("has no STORE", () => {
    const { run } = setup();
    run("RPUSH", "l", "1");
    expect(run("SORT_RO", "l", "STORE", "d")).toEqual(SYNTAX);
    expect(run("EXISTS", "d")).toBe(0);
  });
});

describe("SORT: errors", () => {
  it("refuses unknown options and options missing their arguments", () => {
    const { run } = setup();
    run("RPUSH", "l", "1");
    for (const tail of [["bogus"], ["LIMIT", "1"], ["ALPHA", "LIMIT"], ["BY"], ["GET"], ["STORE"], ["ALPHA", "ASC", "bogus"]]) {
      expect(run("SORT", "l", ...tail), tail.join(" ")).toEqual(SYNTAX);
    }
  });

  it("reads the options before the key, so their errors come before WRONGTYPE", () => {
    const { run } = setup();
    run("HSET", "h", "f", "1");
    run("SET", "s", "text");
    expect(run("SORT", "h")).toEqual(WRONGTYPE);
    expect(run("SORT", "s", "ALPHA")).toEqual(WRONGTYPE);
    expect(run("SORT_RO", "s")).toEqual(WRONGTYPE);
    expect(run("SORT", "h", "bogus")).toEqual(SYNTAX);
    expect(run("SORT", "h", "LIMIT", "x", "1")).toEqual(NOT_INTEGER);
  });

  it("stops at the first bad option", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "1");
    expect(run("SORT", "{k}l", "LIMIT", "x", "1", "BY", "w_*")).toEqual(NOT_INTEGER);
    expect(run("SORT", "{k}l", "BY", "w_*", "LIMIT", "x", "1")).toEqual(BY_SLOT);
    expect(run("SORT", "{k}l", "bogus", "GET", "w_*")).toEqual(SYNTAX);
  });

  it("sorts a missing key as an empty list", () => {
    const { run } = setup();
    expect(run("SORT", "missing")).toEqual([]);
    expect(run("SORT", "missing", "BY", "nosort", "GET", "#")).toEqual([]);
  });

  it("needs a key", () => {
    const { run } = setup();
    expect(run("SORT")).toEqual(arity("sort"));
    expect(run("SORT_RO")).toEqual(arity("sort_ro"));
  });
});

describe("SORT: patterns stay in the key's slot", () => {
  it("refuses a BY pattern whose keys may hash anywhere", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "1");
    for (const p of ["w_*", "{x}w_*", "*{k}", "\\{k}w_*", "{}{k}w_*", "{k*}w", "?{k}*", "[{k}]*"]) {
      expect(run("SORT", "{k}l", "BY", p), p).toEqual(BY_SLOT);
      expect(run("SORT_RO", "{k}l", "BY", p), p).toEqual(BY_SLOT);
    }
  });

  it("refuses a GET pattern outside the slot, constant ones included, but never GET #", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "1");
    for (const p of ["w_*", "{x}w_*", "const", "#x", "*"]) expect(run("SORT", "{k}l", "GET", p), p).toEqual(GET_SLOT);
    expect(run("SORT", "{k}l", "GET", "#")).toEqual(["1"]);
    expect(run("SORT", "{k}l", "GET", "#\x00x")).toEqual(["1"]);
  });

  it("allows patterns whose hash tag is the key's slot, wherever the '*' is after it", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "a", "b");
    run("MSET", "{k}w_a", "2", "{k}w_b", "1", "x{k}a", "A");
    expect(run("SORT", "{k}l", "BY", "{k}w_*", "GET", "#", "GET", "x{k}*", "GET", "{k}const")).toEqual(["b", null, null, "a", "A", null]);
  });

  it("allows a plain key's slot too: a pattern with no tag hashes as one key", () => {
    const { run } = setup();
    // "const" is one key; sorting it with GET const is within its own slot.
    run("RPUSH", "const", "1");
    expect(run("SORT", "const", "GET", "const")).toEqual([null]);
  });

  it("never checks a BY without '*' (nothing is read through it)", () => {
    const { run } = setup();
    run("RPUSH", "{k}l", "2", "1");
    expect(run("SORT", "{k}l", "BY", "elsewhere")).toEqual(["2", "1"]);
  });

  it("computes a pattern's slot as Redis Cluster's patternHashSlot", () => {
    expect(patternHashSlot("{k}w_*")).toBe(keySlot("{k}"));
    expect(patternHashSlot("w_{k}*")).toBe(keySlot("{k}"));
    expect(patternHashSlot("{k}")).toBe(keySlot("k"));
    expect(patternHashSlot("plain")).toBe(keySlot("plain"));
    expect(patternHashSlot("{}plain")).toBe(keySlot("{}plain"));
    expect(patternHashSlot("{}{k}")).toBe(keySlot("{}{k}"));
    for (const p of ["w_*", "*{k}", "?{k}", "[{k}]", "\\{k}", "{k*}", "{}{k}*"]) expect(patternHashSlot(p), p).toBe(-1);
  });
});

describe("SORT and SORT_RO in the command table", () => {
  it("declares SORT write/denyoom and SORT_RO readonly, both in @set @sortedset @list @dangerous", () => {
    const sort = lookupCommand("sort")!;
    const ro = lookupCommand("sort_ro")!;
    expect([sort.arity, sort.flags, sort.categories]).toEqual([-2, ["write", "denyoom"], ["write", "set", "sortedset", "list", "slow", "dangerous"]]);
    expect([ro.arity, ro.flags, ro.categories]).toEqual([-2, ["readonly"], ["read", "set", "sortedset", "list", "slow", "dangerous"]]);
  });

  it("names the sorted key and the last STORE destination as keys (sortGetKeys)", () => {
    const sort = lookupCommand("sort")!;
    const ro = lookupCommand("sort_ro")!;
    expect(commandKeys(sort, ["SORT", "k"])).toEqual(["k"]);
    expect(commandKeys(sort, ["SORT", "k", "STORE", "d", "store", "e"])).toEqual(["k", "e"]);
    expect(commandKeys(sort, ["SORT", "k", "BY", "store", "GET", "store", "STORE", "q"])).toEqual(["k", "q"]);
    expect(commandKeys(sort, ["SORT", "k", "LIMIT", "store", "x", "y", "STORE", "z"])).toEqual(["k", "z"]);
    // STORE's own argument is not skipped, as in Redis.
    expect(commandKeys(sort, ["SORT", "k", "STORE", "limit", "1", "2"])).toEqual(["k", "limit"]);
    expect(commandKeys(sort, ["SORT", "k", "STORE"])).toEqual(["k"]);
    expect(commandKeys(ro, ["SORT_RO", "k", "STORE", "d"])).toEqual(["k"]);
  });
});

describe("SORT: side effects", () => {
  it("converts a listpack sorted set to a skiplist, as Redis 7.0 does, without logging it", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "2", "b", "1", "a");
    expect(run("OBJECT", "ENCODING", "z")).toBe("listpack");
    expect(logged("SORT_RO", "z", "ALPHA")).toEqual([]);
    expect(run("OBJECT", "ENCODING", "z")).toBe("skiplist");
  });
});
