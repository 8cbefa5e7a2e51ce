// The string commands (src/commands/strings.ts), run through the Executor against a
// Keyspace with an injected clock. Every expected reply and error text, and every logged
// effect, was read from redis-server 7.0 (the effects from its AOF).
import { describe, expect, it } from "vitest";
import { Executor, DEFAULT_LIMITS } from "../../src/commands/execute";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { Keyspace, type Collection } from "../../src/engine/keyspace";
import { error, map, OK } from "../../src/protocol/reply";
import { engine, NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, T0, WRONGTYPE } from "../support/engine";

const TOO_LONG = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
const invalidExpire = (cmd: string) => error(`ERR invalid expire time in '${cmd}' command`);

/** An engine holding a list at "list" (for WRONGTYPE), strings limited to `maxValueBytes`. */
function setup(maxValueBytes = DEFAULT_LIMITS.maxValueBytes) {
  const e = engine({ maxValueBytes });
  // Only its type matters to the string commands.
  const list: Collection = { type: "list", size: 1, encoding: () => "listpack", clone: () => list, memoryUsage: () => 0 };
  e.db.set("list", list);
  return { ...e, list };
}

describe("the string command declarations", () => {
  // name, arity, flags, first key, last key, step — as COMMAND INFO on redis-server 7.0.
  const expected: [string, number, string[], number, number, number][] = [
    ["get", 2, ["readonly", "fast"], 1, 1, 1],
    ["set", -3, ["write", "denyoom"], 1, 1, 1],
    ["setnx", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["setex", 4, ["write", "denyoom"], 1, 1, 1],
    ["psetex", 4, ["write", "denyoom"], 1, 1, 1],
    ["mget", -2, ["readonly", "fast"], 1, -1, 1],
    ["mset", -3, ["write", "denyoom"], 1, -1, 2],
    ["msetnx", -3, ["write", "denyoom"], 1, -1, 2],
    ["getset", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["getdel", 2, ["write", "fast"], 1, 1, 1],
    ["getex", -2, ["write", "fast"], 1, 1, 1],
    ["append", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["strlen", 2, ["readonly", "fast"], 1, 1, 1],
    ["incr", 2, ["write", "denyoom", "fast"], 1, 1, 1],
    ["decr", 2, ["write", "denyoom", "fast"], 1, 1, 1],
    ["incrby", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["decrby", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["incrbyfloat", 3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["getrange", 4, ["readonly"], 1, 1, 1],
    ["setrange", 4, ["write", "denyoom"], 1, 1, 1],
    ["substr", 4, ["readonly"], 1, 1, 1],
    ["lcs", -3, ["readonly"], 1, 2, 1],
  ];

  it.each(expected)("declares %s as Redis 7.0 does", (name, arity, flags, first, last, step) => {
    const spec = lookupCommand(name)!;
    expect(spec.group).toBe("string");
    expect(spec.arity).toBe(arity);
    expect([...spec.flags]).toEqual(flags);
    expect(spec.keys).toEqual({ first, last, step });
  });

  it("routes MGET by splitting values, MSET by splitting with OK, and the rest to one shard", () => {
    expect(lookupCommand("mget")!.routing).toBe("split-values");
    expect(lookupCommand("mset")!.routing).toBe("split-ok");
    expect(lookupCommand("msetnx")!.routing).toBe("shard");
    expect(lookupCommand("set")!.routing).toBe("shard");
    expect(commandKeys(lookupCommand("mset")!, ["MSET", "a", "1", "b", "2"])).toEqual(["a", "b"]);
    expect(commandKeys(lookupCommand("lcs")!, ["LCS", "a", "b", "IDX"])).toEqual(["a", "b"]);
  });
});

describe("GET", () => {
  it("returns the value, or nil for a missing key", () => {
    const { run } = setup();
    run("SET", "k", "v");
    expect(run("GET", "k")).toBe("v");
    expect(run("get", "missing")).toBeNull();
  });

  it("keeps every byte of a binary value", () => {
    const { run } = setup();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    run("SET", "b", bytes);
    expect(run("GET", "b")).toBe(bytes);
  });

  it("refuses a key of another type, and a wrong argument count", () => {
    const { run } = setup();
    expect(run("GET", "list")).toEqual(WRONGTYPE);
    expect(run("GET")).toEqual(error("ERR wrong number of arguments for 'get' command"));
  });

  it("does not return a key whose TTL has passed", () => {
    const { run, clock, db } = setup();
    run("SET", "k", "v", "PX", "100");
    clock.now += 100; // Redis expires a key once now > its expire time
    expect(run("GET", "k")).toBe("v");
    clock.now += 1;
    expect(run("GET", "k")).toBeNull();
    expect(db.size).toBe(1); // only "list" is left: the expired key was deleted
  });
});

describe("SET", () => {
  it("sets a value and replies OK, clearing an old TTL", () => {
    const { run, db } = setup();
    expect(run("SET", "k", "v", "EX", "100")).toEqual(OK);
    expect(db.getExpire("k")).toBe(T0 + 100_000);
    expect(run("SET", "k", "w")).toEqual(OK);
    expect(run("GET", "k")).toBe("w");
    expect(db.getExpire("k")).toBeUndefined();
  });

  it("keeps the TTL with KEEPTTL", () => {
    const { run, db } = setup();
    run("SET", "k", "v", "PX", "5000");
    expect(run("SET", "k", "w", "KEEPTTL")).toEqual(OK);
    expect(db.getExpire("k")).toBe(T0 + 5000);
  });

  it("sets the expiry with EX, PX, EXAT and PXAT (options in any case)", () => {
    const { run, db } = setup();
    run("SET", "a", "v", "EX", "10");
    run("SET", "b", "v", "px", "10");
    run("SET", "c", "v", "ExAt", "2000000000");
    run("SET", "d", "v", "PXAT", "2000000000123");
    expect(db.getExpire("a")).toBe(T0 + 10_000);
    expect(db.getExpire("b")).toBe(T0 + 10);
    expect(db.getExpire("c")).toBe(2_000_000_000_000);
    expect(db.getExpire("d")).toBe(2_000_000_000_123);
  });

  it("sets only a missing key with NX, and only an existing one with XX", () => {
    const { run } = setup();
    expect(run("SET", "k", "v", "XX")).toBeNull();
    expect(run("GET", "k")).toBeNull();
    expect(run("SET", "k", "v", "NX")).toEqual(OK);
    expect(run("SET", "k", "w", "NX")).toBeNull();
    expect(run("SET", "k", "x", "XX")).toEqual(OK);
    expect(run("GET", "k")).toBe("x");
  });

  it("returns the old value with GET, whether or not NX/XX let it set", () => {
    const { run } = setup();
    expect(run("SET", "k", "v", "GET")).toBeNull();
    expect(run("SET", "k", "w", "GET")).toBe("v");
    expect(run("SET", "k", "x", "NX", "GET")).toBe("w");
    expect(run("GET", "k")).toBe("w");
    expect(run("SET", "missing", "x", "XX", "GET")).toBeNull();
    expect(run("GET", "missing")).toBeNull();
    expect(run("SET", "k", "y", "GET", "GET")).toBe("w");
  });

  it("refuses GET on a key of another type and leaves it alone", () => {
    const { run, db, list } = setup();
    expect(run("SET", "list", "v", "GET")).toEqual(WRONGTYPE);
    expect(run("SET", "list", "v", "NX", "GET")).toEqual(WRONGTYPE);
    expect(run("SET", "list", "v", "XX", "GET")).toEqual(WRONGTYPE);
    expect(db.get("list")).toBe(list);
    // Without GET, SET overwrites any type.
    expect(run("SET", "list", "v")).toEqual(OK);
    expect(run("GET", "list")).toBe("v");
  });

  it("refuses conflicting, unknown or incomplete options with a syntax error", () => {
    const { run } = setup();
    for (const opts of [
      ["NX", "XX"],
      ["XX", "NX"],
      ["EX", "10", "PX", "10"],
      ["PXAT", "99999999999999", "PX", "10"],
      ["EX"],
      ["KEEPTTL", "EX", "10"],
      ["EX", "10", "KEEPTTL"],
      ["EX", "10", "GET", "KEEPTTL"],
      ["PERSIST"],
      ["FOO"],
    ]) {
      expect(run("SET", "k", "v", ...opts), opts.join(" ")).toEqual(SYNTAX);
    }
    expect(run("GET", "k")).toBeNull();
  });

  it("allows an option repeated (the last expire wins)", () => {
    const { run, db } = setup();
    expect(run("SET", "k", "v", "EX", "10", "EX", "20")).toEqual(OK);
    expect(db.getExpire("k")).toBe(T0 + 20_000);
    expect(run("SET", "k", "v", "NX", "NX")).toBeNull();
  });

  it("refuses an expire time that is not a positive integer or would overflow", () => {
    const { run } = setup();
    expect(run("SET", "k", "v", "EX", "0")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "EX", "-1")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "PXAT", "0")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "EX", "9223372036854775")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "EX", "9223372036854776")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "PX", "9223372036854775807")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "EXAT", "9223372036854776")).toEqual(invalidExpire("set"));
    expect(run("SET", "k", "v", "EX", "abc")).toEqual(NOT_INTEGER);
    expect(run("SET", "k", "v", "EX", "1.5")).toEqual(NOT_INTEGER);
    expect(run("GET", "k")).toBeNull();
  });

  it("accepts the largest absolute times", () => {
    const { run } = setup();
    expect(run("SET", "k", "v", "EXAT", "9223372036854775")).toEqual(OK);
    expect(run("SET", "k", "v", "PXAT", "9223372036854775807")).toEqual(OK);
    expect(run("GET", "k")).toBe("v");
  });

  it("checks the expire time before the type of the old value", () => {
    const { run } = setup();
    expect(run("SET", "list", "v", "EX", "0", "GET")).toEqual(invalidExpire("set"));
  });

  it("sets a key with an absolute time already past, which then reads as missing", () => {
    const { run, logged } = setup();
    expect(logged("SET", "k", "v", "PXAT", "1")).toEqual([["SET", "k", "v", "PXAT", "1"]]);
    expect(run("SET", "k2", "v", "EXAT", "1", "GET")).toBeNull();
    expect(run("GET", "k")).toBeNull();
    expect(run("GET", "k2")).toBeNull();
  });

  it("logs a relative TTL as an absolute PXAT, without NX/XX/GET", () => {
    const { logged } = setup();
    expect(logged("SET", "k", "v", "EX", "10")).toEqual([["SET", "k", "v", "PXAT", String(T0 + 10_000)]]);
    expect(logged("set", "k", "v", "px", "10", "GET", "XX")).toEqual([["SET", "k", "v", "PXAT", String(T0 + 10)]]);
    expect(logged("SET", "k", "v", "PXAT", "99999999999999", "GET")).toEqual([
      ["SET", "k", "v", "PXAT", "99999999999999"],
    ]);
  });

  it("logs SET … GET without GET, and a plain SET as sent", () => {
    const { logged } = setup();
    expect(logged("set", "k", "v", "get")).toEqual([["set", "k", "v"]]);
    expect(logged("set", "k", "v", "KEEPTTL", "Get", "XX", "GET")).toEqual([["set", "k", "v", "KEEPTTL", "XX"]]);
    expect(logged("SET", "k", "w")).toEqual([["SET", "k", "w"]]);
  });

  it("logs nothing when NX/XX stop it or it fails", () => {
    const { logged, run } = setup();
    run("SET", "k", "v");
    expect(logged("SET", "k", "w", "NX")).toEqual([]);
    expect(logged("SET", "k", "w", "NX", "GET")).toEqual([]);
    expect(logged("SET", "nope", "w", "XX")).toEqual([]);
    expect(logged("SET", "k", "w", "EX", "0")).toEqual([]);
  });

  it("logs the deletion of an expired key before the write that replaced it", () => {
    const { logged, run, clock } = setup();
    run("SET", "k", "v", "PX", "10");
    clock.now += 11;
    expect(logged("SET", "k", "w")).toEqual([
      ["DEL", "k"],
      ["SET", "k", "w"],
    ]);
  });
});

describe("SETNX, SETEX, PSETEX", () => {
  it("SETNX sets only a missing key and replies 1 or 0", () => {
    const { run, logged } = setup();
    expect(logged("SETNX", "k", "v")).toEqual([["SETNX", "k", "v"]]);
    expect(run("SETNX", "k", "w")).toBe(0);
    expect(run("SETNX", "list", "w")).toBe(0);
    expect(run("GET", "k")).toBe("v");
    expect(logged("SETNX", "k", "w")).toEqual([]);
  });

  it("SETEX and PSETEX set a value with a TTL, logged as SET … PXAT", () => {
    const { run, db, logged } = setup();
    expect(run("SETEX", "k", "100", "v")).toEqual(OK);
    expect(db.getExpire("k")).toBe(T0 + 100_000);
    expect(run("GET", "k")).toBe("v");
    expect(run("PSETEX", "k", "100", "w")).toEqual(OK);
    expect(db.getExpire("k")).toBe(T0 + 100);
    expect(logged("SETEX", "a", "5", "v")).toEqual([["SET", "a", "v", "PXAT", String(T0 + 5000)]]);
    expect(logged("PSETEX", "a", "5", "v")).toEqual([["SET", "a", "v", "PXAT", String(T0 + 5)]]);
  });

  it("SETEX and PSETEX name themselves in the invalid-expire error", () => {
    const { run } = setup();
    expect(run("SETEX", "k", "0", "v")).toEqual(invalidExpire("setex"));
    expect(run("SETEX", "k", "-5", "v")).toEqual(invalidExpire("setex"));
    expect(run("PSETEX", "k", "0", "v")).toEqual(invalidExpire("psetex"));
    expect(run("SETEX", "k", "x", "v")).toEqual(NOT_INTEGER);
    expect(run("SETEX", "k", "10")).toEqual(error("ERR wrong number of arguments for 'setex' command"));
  });
});

describe("GETSET and GETDEL", () => {
  it("GETSET returns the old value, sets the new one, clears the TTL, and is logged as SET", () => {
    const { run, db, logged } = setup();
    expect(run("GETSET", "k", "v")).toBeNull();
    run("SET", "k", "v", "EX", "10");
    expect(logged("GETSET", "k", "w")).toEqual([["SET", "k", "w"]]);
    expect(db.getExpire("k")).toBeUndefined();
    expect(run("GETSET", "k", "x")).toBe("w");
    expect(run("GETSET", "list", "x")).toEqual(WRONGTYPE);
  });

  it("GETDEL returns the value and deletes the key, logged as DEL", () => {
    const { run, logged } = setup();
    run("SET", "k", "v");
    expect(logged("GETDEL", "k")).toEqual([["DEL", "k"]]);
    run("SET", "k", "v");
    expect(run("GETDEL", "k")).toBe("v");
    expect(run("GET", "k")).toBeNull();
    expect(run("GETDEL", "k")).toBeNull();
    expect(logged("GETDEL", "k")).toEqual([]);
    expect(run("GETDEL", "list")).toEqual(WRONGTYPE);
  });
});

describe("GETEX", () => {
  it("without options is a GET that logs nothing", () => {
    const { run, logged } = setup();
    run("SET", "k", "v");
    expect(run("GETEX", "k")).toBe("v");
    expect(logged("GETEX", "k")).toEqual([]);
    expect(run("GETEX", "missing")).toBeNull();
  });

  it("sets the expiry with EX/PX/EXAT/PXAT, logged as PEXPIREAT", () => {
    const { run, db, logged } = setup();
    run("SET", "k", "v");
    expect(run("GETEX", "k", "EX", "10")).toBe("v");
    expect(db.getExpire("k")).toBe(T0 + 10_000);
    expect(logged("GETEX", "k", "px", "10")).toEqual([["PEXPIREAT", "k", String(T0 + 10)]]);
    expect(logged("GETEX", "k", "EXAT", "2000000000")).toEqual([["PEXPIREAT", "k", "2000000000000"]]);
    expect(logged("GETEX", "k", "PXAT", "2000000000001")).toEqual([["PEXPIREAT", "k", "2000000000001"]]);
    expect(db.getExpire("k")).toBe(2_000_000_000_001);
    expect(logged("GETEX", "k", "EXAT", "9223372036854775")).toEqual([["PEXPIREAT", "k", "9223372036854775000"]]);
  });

  it("removes the TTL with PERSIST, logged as PERSIST only when there was one", () => {
    const { run, db, logged } = setup();
    run("SET", "k", "v", "EX", "10");
    expect(logged("GETEX", "k", "PERSIST")).toEqual([["PERSIST", "k"]]);
    expect(db.getExpire("k")).toBeUndefined();
    expect(logged("GETEX", "k", "persist")).toEqual([]);
    expect(run("GETEX", "k", "PERSIST", "PERSIST")).toBe("v");
  });

  it("deletes the key when an absolute time has passed, logged as DEL, and still returns it", () => {
    const { run, logged } = setup();
    run("SET", "k", "v");
    expect(run("GETEX", "k", "PXAT", "1")).toBe("v");
    expect(run("GET", "k")).toBeNull();
    run("SET", "k", "v");
    expect(logged("GETEX", "k", "PXAT", String(T0))).toEqual([["DEL", "k"]]);
  });

  it("refuses SET's options and conflicting ones with a syntax error", () => {
    const { run } = setup();
    run("SET", "k", "v");
    for (const opts of [["FOO"], ["EX"], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["PERSIST", "EX", "10"], ["EX", "10", "PERSIST"], ["EX", "1", "PX", "1"]]) {
      expect(run("GETEX", "k", ...opts), opts.join(" ")).toEqual(SYNTAX);
    }
    // Options are checked before the key is looked up.
    expect(run("GETEX", "missing", "FOO")).toEqual(SYNTAX);
  });

  it("looks the key up before it validates the expire time", () => {
    const { run } = setup();
    run("SET", "k", "v");
    expect(run("GETEX", "missing", "EX", "0")).toBeNull();
    expect(run("GETEX", "missing", "EX", "abc")).toBeNull();
    expect(run("GETEX", "list", "EX", "0")).toEqual(WRONGTYPE);
    expect(run("GETEX", "k", "EX", "0")).toEqual(invalidExpire("getex"));
    expect(run("GETEX", "k", "EXAT", "0")).toEqual(invalidExpire("getex"));
    expect(run("GETEX", "k", "PXAT", "-1")).toEqual(invalidExpire("getex"));
    expect(run("GETEX", "k", "EX", "9223372036854775")).toEqual(invalidExpire("getex"));
    expect(run("GETEX", "k", "EXAT", "9223372036854776")).toEqual(invalidExpire("getex"));
    expect(run("GETEX", "k", "EX", "x")).toEqual(NOT_INTEGER);
  });
});

describe("MGET, MSET, MSETNX", () => {
  it("MGET returns values in order, nil for missing keys and keys of another type", () => {
    const { run } = setup();
    run("SET", "a", "1");
    run("SET", "b", "2");
    expect(run("MGET", "a", "list", "missing", "b")).toEqual(["1", null, null, "2"]);
  });

  it("MSET sets every pair (the last of a repeated key wins) and clears TTLs", () => {
    const { run, db } = setup();
    run("SET", "a", "old", "EX", "10");
    expect(run("MSET", "a", "1", "b", "2", "b", "3")).toEqual(OK);
    expect(run("MGET", "a", "b")).toEqual(["1", "3"]);
    expect(db.getExpire("a")).toBeUndefined();
  });

  it("MSET and MSETNX refuse an odd number of arguments", () => {
    const { run } = setup();
    expect(run("MSET", "a", "1", "b")).toEqual(error("ERR wrong number of arguments for 'mset' command"));
    expect(run("MSETNX", "a", "1", "b")).toEqual(error("ERR wrong number of arguments for 'msetnx' command"));
    expect(run("MSET", "a")).toEqual(error("ERR wrong number of arguments for 'mset' command"));
    expect(run("GET", "a")).toBeNull();
  });

  it("MSETNX sets all keys only when none exists", () => {
    const { run, logged } = setup();
    expect(logged("MSETNX", "a", "1", "b", "2")).toEqual([["MSETNX", "a", "1", "b", "2"]]);
    expect(run("MSETNX", "a", "x", "c", "3")).toBe(0);
    expect(run("MSETNX", "c", "x", "list", "3")).toBe(0);
    expect(run("MGET", "a", "c")).toEqual(["1", null]);
    expect(run("MSETNX", "d", "1", "d", "2")).toBe(1);
    expect(run("GET", "d")).toBe("2");
  });
});

describe("APPEND and STRLEN", () => {
  it("APPEND creates or extends a string, keeps the TTL, and replies the new length", () => {
    const { run, db } = setup();
    expect(run("APPEND", "k", "abc")).toBe(3);
    run("SET", "k", "abc", "EX", "10");
    expect(run("APPEND", "k", "def")).toBe(6);
    expect(run("GET", "k")).toBe("abcdef");
    expect(db.getExpire("k")).toBe(T0 + 10_000);
    expect(run("APPEND", "list", "x")).toEqual(WRONGTYPE);
  });

  it("APPEND refuses to grow a string past the maximum value size", () => {
    const { run } = setup(8);
    run("SET", "k", "12345");
    expect(run("APPEND", "k", "678")).toBe(8);
    expect(run("APPEND", "k", "9")).toEqual(TOO_LONG);
    expect(run("GET", "k")).toBe("12345678");
  });

  it("STRLEN counts bytes, 0 for a missing key", () => {
    const { run } = setup();
    run("SET", "k", "Hello World");
    run("SET", "n", "12345");
    expect(run("STRLEN", "k")).toBe(11);
    expect(run("STRLEN", "n")).toBe(5);
    expect(run("STRLEN", "missing")).toBe(0);
    expect(run("STRLEN", "list")).toEqual(WRONGTYPE);
  });
});

describe("INCR, DECR, INCRBY, DECRBY", () => {
  it("count from 0 for a missing key", () => {
    const { run } = setup();
    expect(run("INCR", "a")).toBe(1);
    expect(run("INCR", "a")).toBe(2);
    expect(run("DECR", "b")).toBe(-1);
    expect(run("INCRBY", "c", "10")).toBe(10);
    expect(run("DECRBY", "d", "5")).toBe(-5);
    expect(run("INCRBY", "e", "0")).toBe(0);
    expect(run("GET", "c")).toBe("10");
  });

  it("reach the int64 limits exactly and refuse to overflow them", () => {
    const { run } = setup();
    run("SET", "big", "9223372036854775806");
    expect(run("INCR", "big")).toBe(9223372036854775807n);
    expect(run("INCR", "big")).toEqual(OVERFLOW);
    expect(run("GET", "big")).toBe("9223372036854775807");
    run("SET", "small", "-9223372036854775808");
    expect(run("DECR", "small")).toEqual(OVERFLOW);
    expect(run("DECRBY", "small", "1")).toEqual(OVERFLOW);
    expect(run("INCRBY", "small", "-1")).toEqual(OVERFLOW);
    expect(run("INCRBY", "big", "-1")).toBe(9223372036854775806n);
  });

  it("refuse DECRBY of the smallest int64, whose negation does not fit", () => {
    const { run } = setup();
    expect(run("DECRBY", "x", "-9223372036854775808")).toEqual(error("ERR decrement would overflow"));
    expect(run("DECRBY", "list", "-9223372036854775808")).toEqual(error("ERR decrement would overflow"));
    expect(run("GET", "x")).toBeNull();
  });

  it("refuse a value or increment that is not a strict int64", () => {
    const { run } = setup();
    for (const v of ["1.5", " 1", "+1", "01", "-0", "", "abc", "99999999999999999999"]) {
      run("SET", "v", v);
      expect(run("INCR", "v"), JSON.stringify(v)).toEqual(NOT_INTEGER);
    }
    expect(run("INCRBY", "x", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(run("INCRBY", "x", " 1")).toEqual(NOT_INTEGER);
    // The increment is read before the key's type is checked.
    expect(run("INCRBY", "list", "abc")).toEqual(NOT_INTEGER);
    expect(run("INCR", "list")).toEqual(WRONGTYPE);
  });

  it("keep the TTL and are logged as sent", () => {
    const { run, db, logged } = setup();
    run("SET", "n", "5", "EX", "10");
    expect(logged("INCRBY", "n", "3")).toEqual([["INCRBY", "n", "3"]]);
    expect(run("GET", "n")).toBe("8");
    expect(db.getExpire("n")).toBe(T0 + 10_000);
    expect(logged("INCR", "list")).toEqual([]);
  });
});

describe("INCRBYFLOAT", () => {
  it("adds in long double precision: 1.1 + 2.2 is 3.3", () => {
    const { run } = setup();
    expect(run("INCRBYFLOAT", "f", "1.1")).toBe("1.1");
    expect(run("INCRBYFLOAT", "f", "2.2")).toBe("3.3");
    expect(run("INCRBYFLOAT", "f", "-3.3")).toBe("0");
    expect(run("INCRBYFLOAT", "g", "5.0e3")).toBe("5000");
    expect(run("INCRBYFLOAT", "h", "-1e-5")).toBe("-0.00001");
    expect(run("INCRBYFLOAT", "i", "0x1p3")).toBe("8");
  });

  it("reads an integer value and stores the formatted result", () => {
    const { run } = setup();
    run("SET", "n", "10");
    expect(run("INCRBYFLOAT", "n", "0.5")).toBe("10.5");
    expect(run("GET", "n")).toBe("10.5");
    expect(run("INCR", "n")).toEqual(NOT_INTEGER);
  });

  it("is logged as SET of the result with KEEPTTL, and keeps the TTL", () => {
    const { run, db, logged } = setup();
    run("SET", "f", "1.1", "EX", "10");
    expect(logged("INCRBYFLOAT", "f", "2.2")).toEqual([["SET", "f", "3.3", "KEEPTTL"]]);
    expect(db.getExpire("f")).toBe(T0 + 10_000);
  });

  it("refuses a value or increment that is not a valid float", () => {
    const { run } = setup();
    for (const v of ["nan", " 1", "1 ", "", "abc", "1e5000", "1e-5000"]) {
      expect(run("INCRBYFLOAT", "x", v), JSON.stringify(v)).toEqual(NOT_FLOAT);
    }
    run("SET", "e", "");
    expect(run("INCRBYFLOAT", "e", "1")).toEqual(NOT_FLOAT);
    expect(run("INCRBYFLOAT", "list", "1")).toEqual(WRONGTYPE);
    expect(run("INCRBYFLOAT", "list", "abc")).toEqual(WRONGTYPE);
    expect(run("GET", "x")).toBeNull();
  });

  it("refuses a result that is infinite or NaN", () => {
    const { run } = setup();
    const err = error("ERR increment would produce NaN or Infinity");
    expect(run("INCRBYFLOAT", "x", "inf")).toEqual(err);
    expect(run("INCRBYFLOAT", "x", "infinity")).toEqual(err);
    run("SET", "i", "inf");
    expect(run("INCRBYFLOAT", "i", "-inf")).toEqual(err);
    expect(run("GET", "x")).toBeNull();
  });
});

describe("GETRANGE and SUBSTR", () => {
  it("return the inclusive range, counting negative indexes from the end", () => {
    const { run } = setup();
    run("SET", "s", "Hello World");
    expect(run("GETRANGE", "s", "0", "4")).toBe("Hello");
    expect(run("GETRANGE", "s", "-3", "-1")).toBe("rld");
    expect(run("GETRANGE", "s", "0", "100")).toBe("Hello World");
    expect(run("GETRANGE", "s", "-100", "2")).toBe("Hel");
    expect(run("GETRANGE", "s", "10", "10")).toBe("d");
    expect(run("GETRANGE", "s", "-1", "-1")).toBe("d");
    expect(run("SUBSTR", "s", "0", "3")).toBe("Hell");
  });

  it("clamp as Redis 7.0 does: both ends before the start give the first byte", () => {
    const { run } = setup();
    run("SET", "s", "Hello World");
    expect(run("GETRANGE", "s", "-100", "-50")).toBe("H");
    expect(run("GETRANGE", "s", "0", "9223372036854775807")).toBe("Hello World");
    expect(run("GETRANGE", "s", "-9223372036854775808", "-1")).toBe("Hello World");
    run("SET", "t", "abc");
    expect(run("GETRANGE", "t", "-9", "-5")).toBe("a");
    expect(run("GETRANGE", "t", "-9", "-9")).toBe("a");
    // …but two negative indexes the wrong way round are empty before any clamping.
    expect(run("GETRANGE", "t", "-5", "-9")).toBe("");
  });

  it("return an empty string for an empty range, an empty value or a missing key", () => {
    const { run } = setup();
    run("SET", "s", "Hello World");
    run("SET", "e", "");
    expect(run("GETRANGE", "s", "-1", "-5")).toBe("");
    expect(run("GETRANGE", "s", "5", "3")).toBe("");
    expect(run("GETRANGE", "s", "11", "11")).toBe("");
    expect(run("GETRANGE", "s", "20", "30")).toBe("");
    expect(run("GETRANGE", "e", "0", "-1")).toBe("");
    expect(run("GETRANGE", "missing", "0", "1")).toBe("");
  });

  it("refuse non-integer indexes before checking the type", () => {
    const { run } = setup();
    expect(run("GETRANGE", "s", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("GETRANGE", "s", "0", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(run("GETRANGE", "list", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("GETRANGE", "list", "0", "1")).toEqual(WRONGTYPE);
  });
});

describe("SETRANGE", () => {
  it("overwrites in place, padding with zero bytes, and replies the new length", () => {
    const { run } = setup();
    run("SET", "k", "hello");
    expect(run("SETRANGE", "k", "1", "EL")).toBe(5);
    expect(run("GET", "k")).toBe("hELlo");
    expect(run("SETRANGE", "k", "8", "xy")).toBe(10);
    expect(run("GET", "k")).toBe("hELlo\0\0\0xy");
    expect(run("SETRANGE", "new", "2", "ab")).toBe(4);
    expect(run("GET", "new")).toBe("\0\0ab");
  });

  it("writes nothing for an empty value: 0 for a missing key, else the current length", () => {
    const { run, logged } = setup();
    run("SET", "k", "hello");
    expect(run("SETRANGE", "missing", "3", "")).toBe(0);
    expect(run("GET", "missing")).toBeNull();
    expect(logged("SETRANGE", "k", "10", "")).toEqual([]);
    expect(run("SETRANGE", "k", "536870912", "")).toBe(5);
  });

  it("keeps the TTL and is logged as sent", () => {
    const { run, db, logged } = setup();
    run("SET", "k", "hello", "EX", "10");
    expect(logged("SETRANGE", "k", "0", "J")).toEqual([["SETRANGE", "k", "0", "J"]]);
    expect(db.getExpire("k")).toBe(T0 + 10_000);
  });

  it("refuses a negative offset, a non-integer one, and results past the maximum size", () => {
    const { run } = setup(16);
    expect(run("SETRANGE", "k", "-1", "x")).toEqual(error("ERR offset is out of range"));
    expect(run("SETRANGE", "list", "-1", "x")).toEqual(error("ERR offset is out of range"));
    expect(run("SETRANGE", "k", "abc", "x")).toEqual(NOT_INTEGER);
    expect(run("SETRANGE", "k", "15", "x")).toBe(16);
    expect(run("SETRANGE", "k", "16", "x")).toEqual(TOO_LONG);
    expect(run("SETRANGE", "k2", "9223372036854775807", "x")).toEqual(TOO_LONG);
    expect(run("SETRANGE", "list", "0", "x")).toEqual(WRONGTYPE);
    expect(run("SETRANGE", "list", "0", "")).toEqual(WRONGTYPE);
  });

  it("uses Redis's default limit of 512 MB", () => {
    const { run } = setup();
    expect(run("SETRANGE", "k", "536870912", "x")).toEqual(TOO_LONG);
    expect(run("SETRANGE", "k", "9223372036854775800", "abc")).toEqual(TOO_LONG);
  });
});

describe("LCS", () => {
  function withTexts() {
    const s = setup();
    s.run("SET", "s1", "ohmytext");
    s.run("SET", "s2", "mynewtext");
    return s;
  }

  it("returns the longest common subsequence, or its length with LEN", () => {
    const { run } = withTexts();
    expect(run("LCS", "s1", "s2")).toBe("mytext");
    expect(run("LCS", "s1", "s2", "len")).toBe(6);
    expect(run("LCS", "s1", "s2", "LEN", "LEN")).toBe(6);
    expect(run("LCS", "missing", "s1")).toBe("");
  });

  it("returns the matching ranges with IDX, filtered by MINMATCHLEN, with WITHMATCHLEN", () => {
    const { run } = withTexts();
    expect(run("LCS", "s1", "s2", "IDX")).toEqual(
      map([
        "matches",
        [
          [
            [4, 7],
            [5, 8],
          ],
          [
            [2, 3],
            [0, 1],
          ],
        ],
        "len",
        6,
      ]),
    );
    expect(run("LCS", "s1", "s2", "IDX", "MINMATCHLEN", "4")).toEqual(
      map([
        "matches",
        [
          [
            [4, 7],
            [5, 8],
          ],
        ],
        "len",
        6,
      ]),
    );
    expect(run("LCS", "s1", "s2", "minmatchlen", "-5", "idx", "withmatchlen")).toEqual(
      map([
        "matches",
        [
          [[4, 7], [5, 8], 4],
          [[2, 3], [0, 1], 2],
        ],
        "len",
        6,
      ]),
    );
    expect(run("LCS", "missing", "s1", "IDX")).toEqual(map(["matches", [], "len", 0]));
  });

  it("refuses other types, unknown options, LEN with IDX, and a bad MINMATCHLEN", () => {
    const { run } = withTexts();
    const typeErr = error("ERR The specified keys must contain string values");
    expect(run("LCS", "s1", "list")).toEqual(typeErr);
    expect(run("LCS", "list", "s1", "FOO")).toEqual(typeErr);
    expect(run("LCS", "s1", "s2", "FOO")).toEqual(SYNTAX);
    expect(run("LCS", "s1", "s2", "MINMATCHLEN")).toEqual(SYNTAX);
    expect(run("LCS", "s1", "s2", "MINMATCHLEN", "x")).toEqual(NOT_INTEGER);
    expect(run("LCS", "s1", "s2", "MINMATCHLEN", "x", "LEN", "IDX")).toEqual(NOT_INTEGER);
    expect(run("LCS", "s1", "s2", "LEN", "IDX", "FOO")).toEqual(SYNTAX);
    expect(run("LCS", "s1", "s2", "LEN", "IDX")).toEqual(
      error("ERR If you want both the length and indexes, please just use IDX."),
    );
    expect(run("LCS", "s1")).toEqual(error("ERR wrong number of arguments for 'lcs' command"));
  });

  it("refuses when its table would exceed the maximum value size", () => {
    const { run } = setup(1024);
    run("SET", "a", "x".repeat(15));
    run("SET", "b", "y".repeat(15));
    expect(run("LCS", "a", "b", "LEN")).toBe(0); // 16 × 16 × 4 = 1024 bytes: allowed
    run("SET", "b", "y".repeat(16));
    expect(run("LCS", "a", "b", "LEN")).toEqual(
      error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"),
    );
  });
});

describe("replaying the logged effects", () => {
  it("rebuilds the same keyspace, values and TTLs, at any later time", () => {
    const { ex, db, clock } = setup();
    const effects: string[][] = [];
    const step = (...argv: string[]) => effects.push(...ex.run([argv]).effects);
    step("SET", "a", "1", "EX", "100");
    step("INCRBYFLOAT", "a", "0.1");
    step("SET", "b", "x", "GET");
    step("GETSET", "b", "y");
    step("SETEX", "c", "50", "z");
    step("MSET", "d", "1", "e", "2");
    step("GETDEL", "d");
    step("APPEND", "e", "34");
    step("SETRANGE", "e", "6", "!");
    step("INCRBY", "f", "41");
    step("INCR", "f");
    step("PSETEX", "g", "10", "gone");
    step("GETEX", "c", "EX", "500");
    step("SET", "h", "v", "EX", "5");
    step("GETEX", "h", "PERSIST");
    clock.now += 20; // g expires
    step("SET", "g2", "v");
    step("APPEND", "g", "new");

    const replica = new Keyspace();
    const rex = new Executor(replica, undefined, () => T0 + 1_000_000);
    for (const argv of effects) rex.replay(argv);

    const dump = (k: Keyspace) =>
      [...k.keys()].filter((key) => key !== "list").sort().map((key) => [key, k.get(key), k.getExpire(key)]);
    replica.expireOnRead = false;
    db.expireOnRead = false;
    expect(dump(replica)).toEqual(dump(db));
    expect(dump(db)).toEqual([
      ["a", "1.1", T0 + 100_000],
      ["b", "y", undefined],
      ["c", "z", T0 + 500_000],
      ["e", "234\0\0\0!", undefined],
      ["f", "42", undefined],
      ["g", "new", undefined],
      ["g2", "v", undefined],
      ["h", "v", undefined],
    ]);
  });
});
