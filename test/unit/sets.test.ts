// The set type (src/engine/set.ts) and the set commands (src/commands/sets.ts), run
// through the Executor against a Keyspace with an injected clock. Every expected reply and
// error text was read from redis-server 7.0; the logged effects follow what Redis 7.0
// propagates (t_set.c: SPOP becomes SREM of the popped members, or DEL when all go).
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { MemberTable, RedisSet } from "../../src/engine/set";
import { defaultSettings } from "../../src/engine/settings";
import { error, set, type Reply } from "../../src/protocol/reply";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { generateSzSteps } from "../support/gen-sets-zsets";
import { arity, COUNT_RANGE, engine, INVALID_CURSOR, NOT_INTEGER, NOT_POSITIVE, SYNTAX, T0, WRONGTYPE } from "../support/engine";

/** An engine holding a string at "str" (for WRONGTYPE). */
function setup() {
  const e = engine();
  e.run("SET", "str", "text");
  return e;
}

/** The items of a set reply (or array), sorted: for hashtable sets, whose order is Redis's own. */
function sorted(r: Reply): string[] {
  const list = Array.isArray(r) ? r : (r as { items: Reply[] }).items;
  return (list as string[]).slice().sort();
}

describe("SADD", () => {
  it("adds new members and counts only those", () => {
    const { run } = setup();
    expect(run("SADD", "s", "a", "b", "a")).toBe(2);
    expect(run("SADD", "s", "b", "c")).toBe(1);
    expect(run("SCARD", "s")).toBe(3);
  });

  it("refuses a key holding another type, and a call without members", () => {
    const { run } = setup();
    expect(run("SADD", "str", "a")).toEqual(WRONGTYPE);
    expect(run("SADD", "s")).toEqual(arity("sadd"));
  });

  it("keeps integers in an intset, listed in numeric order, until a text member comes", () => {
    const { run, encoding } = setup();
    run("SADD", "s", "10", "-3", "2", "9223372036854775807", "-9223372036854775808", "0");
    expect(encoding("s")).toBe("intset");
    expect(run("SMEMBERS", "s")).toEqual(set(["-9223372036854775808", "-3", "0", "2", "10", "9223372036854775807"]));
    run("SADD", "s", "x");
    expect(encoding("s")).toBe("hashtable");
  });

  it("counts only canonical 64-bit integers as intset members", () => {
    const { run, encoding } = setup();
    for (const m of ["01", "+1", "-0", "1.0", " 1", "9223372036854775808"]) {
      run("DEL", "s");
      run("SADD", "s", m);
      expect(encoding("s"), m).toBe("hashtable");
    }
  });

  it("converts an intset past set-max-intset-entries, and never back", () => {
    const { run, encoding } = setup();
    run("CONFIG", "SET", "set-max-intset-entries", "3");
    run("SADD", "s", "1", "2", "3");
    expect(encoding("s")).toBe("intset");
    run("SADD", "s", "4");
    expect(encoding("s")).toBe("hashtable");
    run("SREM", "s", "4", "3");
    expect(encoding("s")).toBe("hashtable");
  });

  it("logs itself only when it added something", () => {
    const { logged } = setup();
    expect(logged("SADD", "s", "a")).toEqual([["SADD", "s", "a"]]);
    expect(logged("SADD", "s", "a")).toEqual([]);
  });
});

describe("SREM", () => {
  it("removes members, counts them, and deletes the key when it empties", () => {
    const { run } = setup();
    run("SADD", "s", "a", "b", "c");
    expect(run("SREM", "s", "a", "x", "a")).toBe(1);
    expect(run("SREM", "s", "b", "c", "d")).toBe(2);
    expect(run("EXISTS", "s")).toBe(0);
    expect(run("SREM", "s", "a")).toBe(0);
  });

  it("refuses another type and logs only real removals", () => {
    const { run, logged } = setup();
    expect(run("SREM", "str", "a")).toEqual(WRONGTYPE);
    run("SADD", "s", "a", "b");
    expect(logged("SREM", "s", "x")).toEqual([]);
    expect(logged("SREM", "s", "a")).toEqual([["SREM", "s", "a"]]);
  });
});

describe("SCARD, SISMEMBER, SMISMEMBER, SMEMBERS", () => {
  it("answer for a set, and as an empty set for a missing key", () => {
    const { run } = setup();
    run("SADD", "s", "a", "1");
    expect(run("SCARD", "s")).toBe(2);
    expect(run("SCARD", "nokey")).toBe(0);
    expect(run("SISMEMBER", "s", "a")).toBe(1);
    expect(run("SISMEMBER", "s", "b")).toBe(0);
    expect(run("SISMEMBER", "nokey", "a")).toBe(0);
    expect(run("SMISMEMBER", "s", "a", "b", "1")).toEqual([1, 0, 1]);
    expect(run("SMISMEMBER", "nokey", "a", "b")).toEqual([0, 0]);
    expect(sorted(run("SMEMBERS", "s"))).toEqual(["1", "a"]);
    expect(run("SMEMBERS", "nokey")).toEqual(set([]));
  });

  it("refuse another type", () => {
    const { run } = setup();
    for (const argv of [["SCARD", "str"], ["SISMEMBER", "str", "a"], ["SMISMEMBER", "str", "a"], ["SMEMBERS", "str"]]) {
      expect(run(...argv), argv[0]).toEqual(WRONGTYPE);
    }
  });

  it("reply with a RESP3 set for SMEMBERS", () => {
    const { run } = setup();
    run("SADD", "s", "2", "1");
    expect(bytesToBinary(encodeReply(run("SMEMBERS", "s"), 3))).toBe("~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    expect(bytesToBinary(encodeReply(run("SMEMBERS", "s"), 2))).toBe("*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
  });

  it("keep binary members byte for byte", () => {
    const { run } = setup();
    const weird = "\x00\xff\r\n";
    run("SADD", "s", weird, "");
    expect(run("SISMEMBER", "s", weird)).toBe(1);
    expect(run("SISMEMBER", "s", "")).toBe(1);
    expect(sorted(run("SMEMBERS", "s"))).toEqual(["", weird]);
  });
});

describe("SRANDMEMBER", () => {
  it("returns one random member, or nil for a missing key", () => {
    const { run } = setup();
    run("SADD", "s", "a", "b", "c");
    expect(["a", "b", "c"]).toContain(run("SRANDMEMBER", "s"));
    expect(run("SRANDMEMBER", "nokey")).toBe(null);
  });

  it("returns distinct members for a positive count, the whole set when it asks for more", () => {
    const { run } = setup();
    run("SADD", "s", ...Array.from({ length: 20 }, (_, i) => "m" + i));
    for (const n of [1, 2, 7, 15, 19]) {
      const r = run("SRANDMEMBER", "s", String(n)) as string[];
      expect(r).toHaveLength(n);
      expect(new Set(r).size).toBe(n);
    }
    expect(sorted(run("SRANDMEMBER", "s", "100"))).toEqual(sorted(run("SMEMBERS", "s")));
    run("DEL", "i");
    run("SADD", "i", "3", "1", "2");
    expect(run("SRANDMEMBER", "i", "5")).toEqual(["1", "2", "3"]);
  });

  it("allows repeats for a negative count and returns exactly that many", () => {
    const { run } = setup();
    run("SADD", "s", "only");
    expect(run("SRANDMEMBER", "s", "-4")).toEqual(["only", "only", "only", "only"]);
    expect(run("SRANDMEMBER", "s", "0")).toEqual([]);
    expect(run("SRANDMEMBER", "nokey", "-3")).toEqual([]);
  });

  it("checks the count before the key, and refuses -2^63 and extra arguments", () => {
    const { run } = setup();
    expect(run("SRANDMEMBER", "str", "x")).toEqual(NOT_INTEGER);
    expect(run("SRANDMEMBER", "str", "1")).toEqual(WRONGTYPE);
    expect(run("SRANDMEMBER", "s", "-9223372036854775808")).toEqual(COUNT_RANGE);
    expect(run("SRANDMEMBER", "s", "1", "2")).toEqual(SYNTAX);
  });

  it("is a read: nothing is logged", () => {
    const { run, logged } = setup();
    run("SADD", "s", "a");
    expect(logged("SRANDMEMBER", "s", "-3")).toEqual([]);
  });
});

describe("SPOP", () => {
  it("pops one member and logs it as SREM of that member", () => {
    const { run, ex } = setup();
    run("SADD", "s", "a", "b", "c");
    const { replies, effects } = ex.run([["SPOP", "s"]]);
    const popped = replies[0] as string;
    expect(["a", "b", "c"]).toContain(popped);
    expect(effects).toEqual([["SREM", "s", popped]]);
    expect(run("SISMEMBER", "s", popped)).toBe(0);
    expect(run("SCARD", "s")).toBe(2);
  });

  it("deletes the key with its last member", () => {
    const { run } = setup();
    run("SADD", "s", "a");
    expect(run("SPOP", "s")).toBe("a");
    expect(run("EXISTS", "s")).toBe(0);
    expect(run("SPOP", "s")).toBe(null);
  });

  it("pops a count of distinct members as a set reply, logged as one SREM", () => {
    const { run, ex } = setup();
    run("SADD", "s", ...Array.from({ length: 30 }, (_, i) => "m" + i));
    for (const n of [3, 20]) {
      const before = sorted(run("SMEMBERS", "s"));
      const { replies, effects } = ex.run([["SPOP", "s", String(n)]]);
      const popped = sorted(replies[0]);
      expect(popped).toHaveLength(n);
      expect(new Set(popped).size).toBe(n);
      expect(effects).toEqual([["SREM", "s", ...(replies[0] as { items: string[] }).items]]);
      expect(sorted(run("SMEMBERS", "s"))).toEqual(before.filter((m) => !popped.includes(m)));
    }
  });

  it("pops everything when the count covers the set, logged as DEL", () => {
    const { run, ex } = setup();
    run("SADD", "s", "3", "1", "2");
    const { replies, effects } = ex.run([["SPOP", "s", "3"]]);
    expect(replies).toEqual([set(["1", "2", "3"])]);
    expect(effects).toEqual([["DEL", "s"]]);
    expect(run("EXISTS", "s")).toBe(0);
  });

  it("answers a count of 0 or a missing key with an empty set, logging nothing", () => {
    const { run, logged } = setup();
    run("SADD", "s", "a");
    expect(run("SPOP", "s", "0")).toEqual(set([]));
    expect(run("SPOP", "nokey", "2")).toEqual(set([]));
    expect(logged("SPOP", "s", "0")).toEqual([]);
  });

  it("refuses a negative or non-integer count (before the key), another type, and extra arguments", () => {
    const { run } = setup();
    expect(run("SPOP", "str", "-1")).toEqual(NOT_POSITIVE);
    expect(run("SPOP", "s", "x")).toEqual(NOT_POSITIVE);
    expect(run("SPOP", "str", "1")).toEqual(WRONGTYPE);
    expect(run("SPOP", "str")).toEqual(WRONGTYPE);
    expect(run("SPOP", "s", "1", "2")).toEqual(SYNTAX);
  });

  it("rebuilds what remains when it pops most of a set, as Redis does (an intset again if it can)", () => {
    const { run, encoding } = setup();
    run("SADD", "s", "x", "1", "2", "3", "4", "5");
    expect(encoding("s")).toBe("hashtable");
    // Popping 5 of 6 keeps 1: Redis builds the remainder as a new set, an intset when it is a number.
    for (let attempt = 0; attempt < 50; attempt++) {
      run("DEL", "s");
      run("SADD", "s", "x", "1", "2", "3", "4", "5");
      run("SPOP", "s", "5");
      const [left] = (run("SMEMBERS", "s") as { items: string[] }).items;
      expect(encoding("s")).toBe(left === "x" ? "hashtable" : "intset");
    }
  });
});

describe("SMOVE", () => {
  it("moves a member, creating the destination and deleting an emptied source", () => {
    const { run, logged } = setup();
    run("SADD", "src", "a", "b");
    expect(logged("SMOVE", "src", "dst", "a")).toEqual([["SMOVE", "src", "dst", "a"]]);
    expect(run("SMEMBERS", "dst")).toEqual(set(["a"]));
    expect(run("SMOVE", "src", "dst", "b")).toBe(1);
    expect(run("EXISTS", "src")).toBe(0);
    expect(sorted(run("SMEMBERS", "dst"))).toEqual(["a", "b"]);
  });

  it("answers 1 when the destination already holds the member (which leaves the source)", () => {
    const { run } = setup();
    run("SADD", "src", "a", "z");
    run("SADD", "dst", "a");
    expect(run("SMOVE", "src", "dst", "a")).toBe(1);
    expect(run("SMEMBERS", "src")).toEqual(set(["z"]));
  });

  it("answers 0 for a missing member or source (even when the destination is another type)", () => {
    const { run, logged } = setup();
    run("SADD", "src", "a");
    expect(logged("SMOVE", "src", "dst", "x")).toEqual([]);
    expect(run("SMOVE", "nokey", "str", "a")).toBe(0);
  });

  it("refuses another type at either end", () => {
    const { run } = setup();
    run("SADD", "src", "a");
    expect(run("SMOVE", "str", "src", "a")).toEqual(WRONGTYPE);
    expect(run("SMOVE", "src", "str", "a")).toEqual(WRONGTYPE);
    expect(run("SISMEMBER", "src", "a")).toBe(1);
  });

  it("to the same key only says whether the member is there", () => {
    const { run, logged } = setup();
    run("SADD", "s", "a");
    expect(run("SMOVE", "s", "s", "a")).toBe(1);
    expect(run("SMOVE", "s", "s", "b")).toBe(0);
    expect(logged("SMOVE", "s", "s", "a")).toEqual([]);
  });

  it("creates the destination as an intset for an integer member", () => {
    const { run, encoding } = setup();
    run("SADD", "src", "x", "7");
    run("SMOVE", "src", "dst", "7");
    expect(encoding("dst")).toBe("intset");
  });
});

describe("SINTER, SINTERCARD, SINTERSTORE", () => {
  it("intersect sets; a missing key makes the result empty", () => {
    const { run } = setup();
    run("SADD", "a", "1", "2", "3", "x");
    run("SADD", "b", "2", "3", "x", "y");
    run("SADD", "c", "3", "x");
    expect(sorted(run("SINTER", "a", "b", "c"))).toEqual(["3", "x"]);
    expect(run("SINTER", "a", "nokey")).toEqual(set([]));
    expect(run("SINTERCARD", "3", "a", "b", "c")).toBe(2);
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT", "1")).toBe(1);
    expect(run("SINTERCARD", "2", "a", "b", "LIMIT", "0")).toBe(3);
  });

  it("list an intersection of intsets in numeric order", () => {
    const { run } = setup();
    run("SADD", "a", "30", "-1", "2", "7");
    run("SADD", "b", "7", "30", "2", "-1", "99");
    expect(run("SINTER", "b", "a")).toEqual(set(["-1", "2", "7", "30"]));
  });

  it("store the result, replacing the destination and its TTL, or delete it when empty", () => {
    const { run, logged } = setup();
    run("SADD", "a", "1", "2");
    run("SADD", "b", "2", "3");
    run("SET", "dst", "old", "EX", "100");
    expect(logged("SINTERSTORE", "dst", "a", "b")).toEqual([["SINTERSTORE", "dst", "a", "b"]]);
    expect(run("SMEMBERS", "dst")).toEqual(set(["2"]));
    expect(run("TTL", "dst")).toBe(-1);
    expect(run("SINTERSTORE", "dst", "a", "nokey")).toBe(0);
    expect(run("EXISTS", "dst")).toBe(0);
    expect(logged("SINTERSTORE", "dst", "a", "nokey")).toEqual([]);
  });

  it("refuse another type among the keys", () => {
    const { run } = setup();
    run("SADD", "a", "1");
    expect(run("SINTER", "a", "str")).toEqual(WRONGTYPE);
    expect(run("SINTER", "nokey", "str")).toEqual(WRONGTYPE);
    expect(run("SINTERSTORE", "dst", "a", "str")).toEqual(WRONGTYPE);
    expect(run("SINTERCARD", "2", "a", "str")).toEqual(WRONGTYPE);
  });

  it("SINTERCARD checks numkeys and LIMIT before reading any key", () => {
    const { run } = setup();
    expect(run("SINTERCARD", "0", "a")).toEqual(error("ERR numkeys should be greater than 0"));
    expect(run("SINTERCARD", "x", "a")).toEqual(error("ERR numkeys should be greater than 0"));
    expect(run("SINTERCARD", "2", "a")).toEqual(error("ERR Number of keys can't be greater than number of args"));
    expect(run("SINTERCARD", "1", "str", "LIMIT", "-1")).toEqual(error("ERR LIMIT can't be negative"));
    expect(run("SINTERCARD", "1", "str", "LIMIT", "x")).toEqual(error("ERR LIMIT can't be negative"));
    expect(run("SINTERCARD", "1", "str", "LIMIT")).toEqual(SYNTAX);
    expect(run("SINTERCARD", "1", "str", "FOO", "1")).toEqual(SYNTAX);
    expect(run("SINTERCARD", "1")).toEqual(arity("sintercard"));
  });
});

describe("SUNION, SDIFF and their STORE forms", () => {
  it("unite and subtract sets, missing keys counting as empty", () => {
    const { run } = setup();
    run("SADD", "a", "1", "2", "x");
    run("SADD", "b", "2", "y");
    expect(sorted(run("SUNION", "a", "b", "nokey"))).toEqual(["1", "2", "x", "y"]);
    expect(sorted(run("SDIFF", "a", "b", "nokey"))).toEqual(["1", "x"]);
    expect(run("SDIFF", "nokey", "a")).toEqual(set([]));
    expect(run("SDIFF", "a", "a")).toEqual(set([]));
  });

  it("list an all-integer result in numeric order, as Redis's scratch intset does", () => {
    const { run, encoding } = setup();
    run("SADD", "a", "x", "5", "-2");
    run("SADD", "b", "10", "x");
    expect(run("SUNION", "b", "a")).toEqual(set(["10", "x", "5", "-2"]));
    expect(run("SDIFF", "a", "b")).toEqual(set(["-2", "5"]));
    expect(run("SDIFFSTORE", "d", "a", "b")).toBe(2);
    expect(encoding("d")).toBe("intset");
  });

  it("store results as Redis builds them: an intset when the result allows", () => {
    const { run, encoding, logged } = setup();
    run("SADD", "a", "1", "2");
    run("SADD", "b", "3", "z");
    expect(logged("SUNIONSTORE", "u", "a", "b")).toEqual([["SUNIONSTORE", "u", "a", "b"]]);
    expect(encoding("u")).toBe("hashtable");
    expect(run("SUNIONSTORE", "u", "a")).toBe(2);
    expect(encoding("u")).toBe("intset");
    expect(run("SDIFFSTORE", "u", "a", "a")).toBe(0);
    expect(run("EXISTS", "u")).toBe(0);
  });

  it("keep SDIFF's result a hashtable when Redis's second algorithm filled it with text first", () => {
    const { run, encoding } = setup();
    // A large first set against small ones: Redis copies the first set whole, then removes.
    run("SADD", "big", "t", ...Array.from({ length: 20 }, (_, i) => String(i)));
    run("SADD", "small", "t");
    run("SADD", "small2", "q");
    expect(run("SDIFFSTORE", "d", "big", "small")).toBe(20);
    expect(encoding("d")).toBe("intset");
    expect(run("SDIFFSTORE", "d", "big", "small", "small2")).toBe(20);
    expect(encoding("d")).toBe("hashtable");
    // Small against large: Redis adds only what survives.
    run("SADD", "few", "t", "1");
    run("SDIFFSTORE", "d", "few", "big");
    expect(run("EXISTS", "d")).toBe(0);
    run("SADD", "few2", "t", "100");
    run("SDIFFSTORE", "d", "few2", "small", "big");
    expect(encoding("d")).toBe("intset");
  });

  it("refuse another type", () => {
    const { run } = setup();
    expect(run("SUNION", "nokey", "str")).toEqual(WRONGTYPE);
    expect(run("SDIFF", "str")).toEqual(WRONGTYPE);
    expect(run("SUNIONSTORE", "d", "str")).toEqual(WRONGTYPE);
    expect(run("SDIFFSTORE", "d", "nokey", "str")).toEqual(WRONGTYPE);
  });
});

describe("SSCAN", () => {
  it("returns an intset whole, in order, with cursor 0 (whatever the cursor)", () => {
    const { run } = setup();
    run("SADD", "s", "3", "1", "2");
    expect(run("SSCAN", "s", "0")).toEqual(["0", ["1", "2", "3"]]);
    expect(run("SSCAN", "s", "77", "COUNT", "1")).toEqual(["0", ["1", "2", "3"]]);
    expect(run("SSCAN", "s", "0", "MATCH", "[12]")).toEqual(["0", ["1", "2"]]);
  });

  it("walks a hashtable returning every member present throughout exactly once, under changes", () => {
    const { run } = setup();
    const all = Array.from({ length: 300 }, (_, i) => "m" + i);
    run("SADD", "s", ...all);
    const seen: string[] = [];
    let cursor = "0";
    let round = 0;
    do {
      const [next, members] = run("SSCAN", "s", cursor, "COUNT", "7") as [string, string[]];
      seen.push(...members);
      cursor = next;
      // Churn while scanning: remove members already seen, add new ones.
      run("SREM", "s", "m" + round);
      run("SADD", "s", "new" + round++);
    } while (cursor !== "0");
    const stayed = all.slice(round);
    const counts = new Map<string, number>();
    for (const m of seen) counts.set(m, (counts.get(m) ?? 0) + 1);
    for (const m of stayed) expect(counts.get(m), m).toBe(1);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
  });

  it("answers an empty scan for a missing key before reading the options", () => {
    const { run } = setup();
    expect(run("SSCAN", "nokey", "0", "COUNT", "0")).toEqual(["0", []]);
  });

  it("refuses a bad cursor, bad options and another type", () => {
    const { run } = setup();
    run("SADD", "s", "a");
    expect(run("SSCAN", "s", "x")).toEqual(INVALID_CURSOR);
    expect(run("SSCAN", "s", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(run("SSCAN", "s", "0", "COUNT", "x")).toEqual(NOT_INTEGER);
    expect(run("SSCAN", "s", "0", "TYPE", "set")).toEqual(SYNTAX);
    expect(run("SSCAN", "s", "0", "MATCH")).toEqual(SYNTAX);
    expect(run("SSCAN", "str", "0")).toEqual(WRONGTYPE);
  });
});

describe("the set commands' declarations", () => {
  it("name their keys as Redis does, numkeys ones included", () => {
    const keys = (...argv: string[]) => commandKeys(lookupCommand(argv[0])!, argv);
    expect(keys("SMOVE", "a", "b", "m")).toEqual(["a", "b"]);
    expect(keys("SINTERSTORE", "d", "a", "b")).toEqual(["d", "a", "b"]);
    expect(keys("SINTERCARD", "2", "a", "b", "LIMIT", "1")).toEqual(["a", "b"]);
    expect(keys("SINTERCARD", "3", "a", "b")).toEqual([]);
    expect(keys("SINTERCARD", "x", "a")).toEqual([]);
  });
});

describe("the set type", () => {
  it("copies deeply (COPY), keeping the encoding", () => {
    const { run, encoding } = setup();
    run("SADD", "s", "1", "2");
    expect(run("COPY", "s", "t")).toBe(1);
    run("SADD", "t", "x");
    expect(run("SMEMBERS", "s")).toEqual(set(["1", "2"]));
    expect(encoding("s")).toBe("intset");
    expect(encoding("t")).toBe("hashtable");
  });

  it("accounts its memory from the member table and grows with its members", () => {
    const settings = defaultSettings();
    const s = RedisSet.forMember("a");
    const empty = s.memoryUsage();
    s.add("a", settings);
    s.add("bb", settings);
    expect(s.memoryUsage()).toBeGreaterThan(empty);
    s.remove("a");
    s.remove("bb");
    expect(s.memoryUsage()).toBe(empty);
  });

  it("picks random members uniformly enough, with holes left by removals", () => {
    const t = new MemberTable();
    for (let i = 0; i < 100; i++) t.add("m" + i);
    for (let i = 0; i < 100; i += 2) t.delete("m" + i);
    const counts = new Map<string, number>();
    for (let i = 0; i < 50_000; i++) {
      const m = t.randomMember();
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect(counts.size).toBe(50);
    for (const c of counts.values()) expect(c).toBeGreaterThan(600);
  });
});

describe("replaying the logged effects", () => {
  it("rebuilds the same sets in a fresh keyspace, SPOP's choices included", () => {
    for (const seed of [11, 12, 13]) {
      const db = new Keyspace();
      const ex = new Executor(db, undefined, () => T0);
      const log: string[][] = [];
      for (const step of generateSzSteps(seed, 1500, ["sets"])) log.push(...ex.run([step.argv]).effects);
      const fresh = new Keyspace();
      const replayer = new Executor(fresh, undefined, () => T0);
      for (const argv of log) replayer.replay(argv);
      expect(dump(fresh), `seed ${seed}`).toEqual(dump(db));
      expect(log.some((e) => e[0] === "SREM" || e[0] === "DEL")).toBe(true);
    }
  });
});

/** Every key with its type and sorted members (for sets) or value. */
function dump(db: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...db.keys()].sort()) {
    const v = db.get(key);
    out[key] = v instanceof RedisSet ? ["set", v.members().sort()] : v;
  }
  return out;
}
