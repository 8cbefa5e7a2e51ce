// The list type (src/engine/list.ts) and the non-blocking list commands
// (src/commands/lists.ts), run through the Executor against a Keyspace with an injected
// clock. Every expected reply and error text was read from redis-server 7.0; the logged
// effects follow what Redis 7.0 propagates (t_list.c).
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { ListValue } from "../../src/engine/list";
import { EMPTY_ARRAY_BYTES, objectBytes, stringBytes } from "../../src/engine/memory";
import { defaultSettings } from "../../src/engine/settings";
import { error, NULL_ARRAY, OK, type Reply } from "../../src/protocol/reply";
import { Rng } from "../support/random";
import { arity, engine, NOT_INTEGER, NOT_POSITIVE, SYNTAX, T0, WRONGTYPE } from "../support/engine";

const INDEX_RANGE = error("ERR index out of range");
const NO_SUCH_KEY = error("ERR no such key");
const RANK_ZERO = error(
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const COUNT_NEGATIVE = error("ERR COUNT can't be negative");
const MAXLEN_NEGATIVE = error("ERR MAXLEN can't be negative");
const NUMKEYS = error("ERR numkeys should be greater than 0");
const MPOP_COUNT = error("ERR count should be greater than 0");

/** An engine holding a string at "str" (for WRONGTYPE). */
function setup() {
  const e = engine();
  e.run("SET", "str", "text");
  /** The whole list at `key` (LRANGE 0 -1). */
  return { ...e, all: (key: string): Reply => e.run("LRANGE", key, "0", "-1") };
}

describe("the list command declarations", () => {
  // name, arity, flags, first key, last key, step — as COMMAND INFO on redis-server 7.0.
  const expected: [string, number, string[], number, number, number][] = [
    ["lpush", -3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["rpush", -3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["lpushx", -3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["rpushx", -3, ["write", "denyoom", "fast"], 1, 1, 1],
    ["lpop", -2, ["write", "fast"], 1, 1, 1],
    ["rpop", -2, ["write", "fast"], 1, 1, 1],
    ["llen", 2, ["readonly", "fast"], 1, 1, 1],
    ["lrange", 4, ["readonly"], 1, 1, 1],
    ["lindex", 3, ["readonly"], 1, 1, 1],
    ["lset", 4, ["write", "denyoom"], 1, 1, 1],
    ["linsert", 5, ["write", "denyoom"], 1, 1, 1],
    ["lrem", 4, ["write"], 1, 1, 1],
    ["ltrim", 4, ["write"], 1, 1, 1],
    ["lpos", -3, ["readonly"], 1, 1, 1],
    ["lmove", 5, ["write", "denyoom"], 1, 2, 1],
    ["rpoplpush", 3, ["write", "denyoom"], 1, 2, 1],
  ];

  it.each(expected)("declares %s as Redis 7.0 does", (name, arity, flags, first, last, step) => {
    const spec = lookupCommand(name)!;
    expect(spec.group).toBe("list");
    expect(spec.routing).toBe("shard");
    expect(spec.arity).toBe(arity);
    expect([...spec.flags]).toEqual(flags);
    expect(spec.keys).toEqual({ first, last, step });
  });

  it("declares LMPOP with its keys counted by numkeys", () => {
    const spec = lookupCommand("lmpop")!;
    expect(spec.arity).toBe(-4);
    expect([...spec.flags]).toEqual(["write"]);
    expect(spec.keys).toBeUndefined();
    expect(commandKeys(spec, ["LMPOP", "2", "a", "b", "LEFT", "COUNT", "3"])).toEqual(["a", "b"]);
    expect(commandKeys(spec, ["LMPOP", "1", "a", "RIGHT"])).toEqual(["a"]);
    // A numkeys the command would refuse names no keys.
    expect(commandKeys(spec, ["LMPOP", "0", "a", "LEFT"])).toEqual([]);
    expect(commandKeys(spec, ["LMPOP", "5", "a", "LEFT"])).toEqual([]);
    expect(commandKeys(spec, ["LMPOP", "x", "a", "LEFT"])).toEqual([]);
  });

  it("lists RPOPLPUSH's and LMOVE's two keys", () => {
    expect(commandKeys(lookupCommand("lmove")!, ["LMOVE", "s", "d", "LEFT", "RIGHT"])).toEqual(["s", "d"]);
    expect(commandKeys(lookupCommand("rpoplpush")!, ["RPOPLPUSH", "s", "d"])).toEqual(["s", "d"]);
  });
});

describe("the list type", () => {
  it("pushes and pops at both ends, growing and shrinking its buffer", () => {
    const l = new ListValue();
    for (let i = 0; i < 100; i++) {
      l.pushTail(`t${i}`);
      l.pushHead(`h${i}`);
    }
    expect(l.length).toBe(200);
    expect(l.get(0)).toBe("h99");
    expect(l.get(-1)).toBe("t99");
    expect(l.get(99)).toBe("h0");
    expect(l.get(100)).toBe("t0");
    expect(l.get(200)).toBeUndefined();
    expect(l.get(-201)).toBeUndefined();
    for (let i = 99; i >= 0; i--) expect(l.popHead()).toBe(`h${i}`);
    for (let i = 99; i >= 0; i--) expect(l.popTail()).toBe(`t${i}`);
    expect(l.popHead()).toBeUndefined();
    expect(l.popTail()).toBeUndefined();
    expect(l.length).toBe(0);
  });

  it("keeps order when it wraps around its buffer repeatedly", () => {
    const l = new ListValue();
    const model: string[] = [];
    let n = 0;
    // A deterministic mix of operations at both ends, checked against a plain array.
    for (let step = 0; step < 5000; step++) {
      const op = (step * 7919) % 5;
      if (op === 0 || op === 3) {
        l.pushTail(String(n));
        model.push(String(n++));
      } else if (op === 1) {
        l.pushHead(String(n));
        model.unshift(String(n++));
      } else if (op === 2) {
        expect(l.popHead()).toBe(model.shift());
      } else {
        expect(l.popTail()).toBe(model.pop());
      }
    }
    expect([...l.values()]).toEqual(model);
  });

  it("inserts and removes in the middle, shifting whichever side is shorter", () => {
    const l = new ListValue(["a", "b", "c", "d", "e", "f"]);
    expect(l.insert("b", "B", false)).toBe(7);
    expect(l.insert("e", "E", true)).toBe(8);
    expect(l.insert("zz", "x", true)).toBe(-1);
    expect([...l.values()]).toEqual(["a", "B", "b", "c", "d", "e", "E", "f"]);
    expect(l.remove("c", 0)).toBe(1);
    expect([...l.values()]).toEqual(["a", "B", "b", "d", "e", "E", "f"]);
  });

  it("accounts its heap bytes exactly through every kind of change (O(1) memoryUsage)", () => {
    const l = new ListValue();
    const rng = new Rng(3);
    for (let i = 0; i < 4000; i++) {
      const v = "x".repeat(rng.int(40));
      switch (rng.int(8)) {
        case 0: case 1: l.pushHead(v); break;
        case 2: case 3: l.pushTail(v); break;
        case 4: l.pop(rng.pick(["head", "tail"] as const)); break;
        case 5: l.set(rng.range(-5, 5), v); break;
        case 6: l.insert("x".repeat(rng.int(40)), v, rng.chance(0.5)); break;
        default:
          if (rng.chance(0.5)) l.remove("x".repeat(rng.int(40)), rng.range(-2, 2));
          else l.trim(rng.range(-3, 3), rng.range(-3, 3));
      }
      const strings = [...l.values()].reduce((sum, e) => sum + stringBytes(e), 0);
      // What is left is the object and its buffer: 8 bytes a slot, a power of two slots.
      const slots = (l.memoryUsage() - strings - objectBytes(6) - EMPTY_ARRAY_BYTES) / 8;
      expect(Number.isInteger(Math.log2(slots)) && slots >= l.length).toBe(true);
    }
  });

  it("deep-copies itself, and always reports Redis 7.0's quicklist encoding", () => {
    const l = new ListValue(["a", "b"]);
    const copy = l.clone();
    l.pushTail("c");
    copy.set(0, "z");
    expect([...l.values()]).toEqual(["a", "b", "c"]);
    expect([...copy.values()]).toEqual(["z", "b"]);
    expect(l.type).toBe("list");
    expect(l.encoding(defaultSettings())).toBe("quicklist");
  });
});

describe("LPUSH, RPUSH, LPUSHX, RPUSHX", () => {
  it("push each element in turn and reply with the new length", () => {
    const { run, all } = setup();
    expect(run("LPUSH", "l", "a", "b", "c")).toBe(3);
    expect(all("l")).toEqual(["c", "b", "a"]);
    expect(run("RPUSH", "l", "x", "y")).toBe(5);
    expect(all("l")).toEqual(["c", "b", "a", "x", "y"]);
  });

  it("keep every byte of binary elements, the empty one included", () => {
    const { run, all } = setup();
    const bytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    expect(run("RPUSH", "l", bytes, "", "\r\n")).toBe(3);
    expect(all("l")).toEqual([bytes, "", "\r\n"]);
  });

  it("the X forms push only onto an existing list, and reply 0 otherwise", () => {
    const { run, all, db } = setup();
    expect(run("LPUSHX", "l", "a")).toBe(0);
    expect(run("RPUSHX", "l", "a", "b")).toBe(0);
    expect(db.has("l")).toBe(false);
    run("RPUSH", "l", "m");
    expect(run("LPUSHX", "l", "a", "b")).toBe(3);
    expect(run("RPUSHX", "l", "y", "z")).toBe(5);
    expect(all("l")).toEqual(["b", "a", "m", "y", "z"]);
  });

  it("refuse a key of another type and a missing element", () => {
    const { run } = setup();
    for (const cmd of ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]) {
      expect(run(cmd, "str", "a")).toEqual(WRONGTYPE);
      expect(run(cmd, "l")).toEqual(arity(cmd.toLowerCase()));
    }
  });

  it("are logged as sent, and a push onto a missing key with the X forms is not logged", () => {
    const { logged } = setup();
    expect(logged("LPUSH", "l", "a", "b")).toEqual([["LPUSH", "l", "a", "b"]]);
    expect(logged("RPUSHX", "l", "c")).toEqual([["RPUSHX", "l", "c"]]);
    expect(logged("LPUSHX", "nokey", "c")).toEqual([]);
  });
});

describe("LPOP and RPOP", () => {
  it("pop one element from either end, or nil when there is no list", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(run("LPOP", "l")).toBe("a");
    expect(run("RPOP", "l")).toBe("c");
    expect(all("l")).toEqual(["b"]);
    expect(run("LPOP", "nokey")).toBeNull();
    expect(run("RPOP", "nokey")).toBeNull();
  });

  it("with a count pop that many (fewer if the list is shorter) as an array, in pop order", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b", "c", "d", "e");
    expect(run("LPOP", "l", "2")).toEqual(["a", "b"]);
    expect(run("RPOP", "l", "2")).toEqual(["e", "d"]);
    expect(run("RPOP", "l", "10")).toEqual(["c"]);
  });

  it("with COUNT 0 reply an empty array for a list, and the null array for a missing key", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a");
    expect(run("LPOP", "l", "0")).toEqual([]);
    expect(all("l")).toEqual(["a"]);
    expect(run("LPOP", "nokey", "0")).toEqual(NULL_ARRAY);
    expect(run("RPOP", "nokey", "3")).toEqual(NULL_ARRAY);
  });

  it("delete the key when the last element is popped", () => {
    const { run, db } = setup();
    run("RPUSH", "l", "a", "b");
    expect(run("LPOP", "l", "5")).toEqual(["a", "b"]);
    expect(db.has("l")).toBe(false);
    run("RPUSH", "l", "a");
    expect(run("RPOP", "l")).toBe("a");
    expect(run("EXISTS", "l")).toBe(0);
  });

  it("refuse a count that is not a non-negative integer, before looking at the key", () => {
    const { run } = setup();
    run("RPUSH", "l", "a");
    for (const bad of ["-1", "x", "1.0", "-0", "9223372036854775808", ""]) {
      expect(run("LPOP", "l", bad)).toEqual(NOT_POSITIVE);
      expect(run("RPOP", "nokey", bad)).toEqual(NOT_POSITIVE);
    }
    expect(run("LPOP", "str", "-1")).toEqual(NOT_POSITIVE);
    expect(run("LPOP", "l", "1", "2")).toEqual(arity("lpop"));
    expect(run("RPOP", "l", "1", "2")).toEqual(arity("rpop"));
  });

  it("refuse a key of another type, whether or not a count is given", () => {
    const { run } = setup();
    expect(run("LPOP", "str")).toEqual(WRONGTYPE);
    expect(run("RPOP", "str", "0")).toEqual(WRONGTYPE);
  });

  it("are logged as sent when they pop, and not at all when they do not", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(logged("LPOP", "l", "2")).toEqual([["LPOP", "l", "2"]]);
    expect(logged("RPOP", "l")).toEqual([["RPOP", "l"]]);
    expect(logged("RPOP", "l")).toEqual([]);
    run("RPUSH", "l", "a");
    expect(logged("LPOP", "l", "0")).toEqual([]);
  });
});

describe("LMPOP", () => {
  it("pops from the first non-empty list named, replying with its key and the elements", () => {
    const { run, all } = setup();
    run("RPUSH", "b", "1", "2", "3");
    run("RPUSH", "c", "x");
    expect(run("LMPOP", "3", "a", "b", "c", "LEFT")).toEqual(["b", ["1"]]);
    expect(run("LMPOP", "3", "a", "b", "c", "right", "COUNT", "5")).toEqual(["b", ["3", "2"]]);
    expect(run("EXISTS", "b")).toBe(0);
    expect(run("LMPOP", "2", "b", "c", "LEFT", "count", "1")).toEqual(["c", ["x"]]);
    expect(all("c")).toEqual([]);
  });

  it("replies with the null array when no list has elements", () => {
    const { run } = setup();
    expect(run("LMPOP", "2", "a", "b", "LEFT")).toEqual(NULL_ARRAY);
  });

  it("refuses a key of another type it reaches before a list", () => {
    const { run } = setup();
    run("RPUSH", "l", "a");
    expect(run("LMPOP", "2", "nokey", "str", "LEFT")).toEqual(WRONGTYPE);
    expect(run("LMPOP", "2", "str", "l", "LEFT")).toEqual(WRONGTYPE);
    // A list first: the later key is never looked at.
    expect(run("LMPOP", "2", "l", "str", "LEFT")).toEqual(["l", ["a"]]);
  });

  it("checks numkeys, the direction and COUNT in Redis's order and words", () => {
    const { run } = setup();
    run("RPUSH", "l", "a");
    expect(run("LMPOP", "0", "l", "LEFT")).toEqual(NUMKEYS);
    expect(run("LMPOP", "-1", "l", "LEFT")).toEqual(NUMKEYS);
    expect(run("LMPOP", "x", "l", "LEFT")).toEqual(NUMKEYS);
    expect(run("LMPOP", "1.0", "l", "LEFT")).toEqual(NUMKEYS);
    // numkeys leaving no room for the direction.
    expect(run("LMPOP", "2", "l", "LEFT")).toEqual(SYNTAX);
    expect(run("LMPOP", "9223372036854775807", "l", "LEFT")).toEqual(SYNTAX);
    expect(run("LMPOP", "1", "l", "MIDDLE")).toEqual(SYNTAX);
    expect(run("LMPOP", "1", "l", "LEFT", "COUNT", "0")).toEqual(MPOP_COUNT);
    expect(run("LMPOP", "1", "l", "LEFT", "COUNT", "-1")).toEqual(MPOP_COUNT);
    expect(run("LMPOP", "1", "l", "LEFT", "COUNT", "x")).toEqual(MPOP_COUNT);
    expect(run("LMPOP", "1", "l", "LEFT", "COUNT")).toEqual(SYNTAX);
    expect(run("LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "2")).toEqual(SYNTAX);
    expect(run("LMPOP", "1", "l", "LEFT", "FOO")).toEqual(SYNTAX);
    // Arguments are checked before any key: the type error comes after them.
    expect(run("LMPOP", "1", "str", "LEFT", "COUNT", "0")).toEqual(MPOP_COUNT);
    expect(run("LMPOP", "1", "l")).toEqual(arity("lmpop"));
    expect(run("LLEN", "l")).toBe(1);
  });

  it("is logged as LPOP or RPOP of the key with the number popped", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(logged("LMPOP", "2", "nokey", "l", "LEFT", "COUNT", "2")).toEqual([["LPOP", "l", "2"]]);
    expect(logged("LMPOP", "1", "l", "RIGHT", "COUNT", "100")).toEqual([["RPOP", "l", "1"]]);
    expect(logged("LMPOP", "1", "l", "RIGHT")).toEqual([]);
  });
});

describe("LLEN, LINDEX, LRANGE", () => {
  it("LLEN is the length, 0 for a missing key", () => {
    const { run } = setup();
    run("RPUSH", "l", "a", "b");
    expect(run("LLEN", "l")).toBe(2);
    expect(run("LLEN", "nokey")).toBe(0);
    expect(run("LLEN", "str")).toEqual(WRONGTYPE);
  });

  it("LINDEX reads by index from either end, nil out of range or for a missing key", () => {
    const { run } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(run("LINDEX", "l", "0")).toBe("a");
    expect(run("LINDEX", "l", "-1")).toBe("c");
    expect(run("LINDEX", "l", "-3")).toBe("a");
    expect(run("LINDEX", "l", "-4")).toBeNull();
    expect(run("LINDEX", "l", "3")).toBeNull();
    expect(run("LINDEX", "l", "9223372036854775807")).toBeNull();
    expect(run("LINDEX", "nokey", "0")).toBeNull();
  });

  it("LINDEX looks the key up before it reads the index", () => {
    const { run } = setup();
    run("RPUSH", "l", "a");
    expect(run("LINDEX", "nokey", "x")).toBeNull();
    expect(run("LINDEX", "str", "x")).toEqual(WRONGTYPE);
    expect(run("LINDEX", "l", "x")).toEqual(NOT_INTEGER);
    expect(run("LINDEX", "l", "9223372036854775808")).toEqual(NOT_INTEGER);
  });

  it("LRANGE clamps its range as Redis does", () => {
    const { run } = setup();
    run("RPUSH", "l", "a", "b", "c", "d");
    expect(run("LRANGE", "l", "0", "-1")).toEqual(["a", "b", "c", "d"]);
    expect(run("LRANGE", "l", "1", "2")).toEqual(["b", "c"]);
    expect(run("LRANGE", "l", "-2", "-1")).toEqual(["c", "d"]);
    expect(run("LRANGE", "l", "-100", "100")).toEqual(["a", "b", "c", "d"]);
    expect(run("LRANGE", "l", "2", "1")).toEqual([]);
    expect(run("LRANGE", "l", "4", "10")).toEqual([]);
    expect(run("LRANGE", "l", "0", "-5")).toEqual([]);
    expect(run("LRANGE", "l", "9223372036854775807", "-9223372036854775808")).toEqual([]);
    expect(run("LRANGE", "nokey", "0", "-1")).toEqual([]);
  });

  it("LRANGE reads its indexes before the key", () => {
    const { run } = setup();
    expect(run("LRANGE", "nokey", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("LRANGE", "nokey", "0", "1.5")).toEqual(NOT_INTEGER);
    expect(run("LRANGE", "str", "0", "1")).toEqual(WRONGTYPE);
  });
});

describe("LSET", () => {
  it("replaces the element at an index from either end", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(run("LSET", "l", "1", "B")).toEqual(OK);
    expect(run("LSET", "l", "-1", "")).toEqual(OK);
    expect(all("l")).toEqual(["a", "B", ""]);
  });

  it("refuses an index out of range, a missing key and a bad index, key first", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b");
    expect(run("LSET", "l", "2", "x")).toEqual(INDEX_RANGE);
    expect(run("LSET", "l", "-3", "x")).toEqual(INDEX_RANGE);
    expect(run("LSET", "nokey", "0", "x")).toEqual(NO_SUCH_KEY);
    expect(run("LSET", "nokey", "x", "x")).toEqual(NO_SUCH_KEY);
    expect(run("LSET", "str", "x", "x")).toEqual(WRONGTYPE);
    expect(run("LSET", "l", "x", "x")).toEqual(NOT_INTEGER);
    expect(all("l")).toEqual(["a", "b"]);
  });

  it("is logged as sent, and not when it fails", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a");
    expect(logged("LSET", "l", "0", "z")).toEqual([["LSET", "l", "0", "z"]]);
    expect(logged("LSET", "l", "1", "z")).toEqual([]);
  });
});

describe("LINSERT", () => {
  it("inserts before or after the first occurrence of the pivot and replies with the length", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b", "c", "b");
    expect(run("LINSERT", "l", "BEFORE", "a", "x")).toBe(5);
    expect(run("LINSERT", "l", "after", "b", "y")).toBe(6);
    expect(run("LINSERT", "l", "After", "b", "z")).toBe(7);
    expect(all("l")).toEqual(["x", "a", "b", "z", "y", "c", "b"]);
  });

  it("replies -1 when the pivot is absent and 0 when the key is missing", () => {
    const { run, db } = setup();
    run("RPUSH", "l", "a");
    expect(run("LINSERT", "l", "BEFORE", "zz", "x")).toBe(-1);
    expect(run("LINSERT", "nokey", "BEFORE", "a", "x")).toBe(0);
    expect(db.has("nokey")).toBe(false);
  });

  it("checks the direction before the key, then the type", () => {
    const { run } = setup();
    expect(run("LINSERT", "str", "MIDDLE", "a", "x")).toEqual(SYNTAX);
    expect(run("LINSERT", "nokey", "MIDDLE", "a", "x")).toEqual(SYNTAX);
    expect(run("LINSERT", "str", "BEFORE", "a", "x")).toEqual(WRONGTYPE);
  });

  it("is logged only when it inserts", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a");
    expect(logged("LINSERT", "l", "AFTER", "a", "b")).toEqual([["LINSERT", "l", "AFTER", "a", "b"]]);
    expect(logged("LINSERT", "l", "AFTER", "q", "b")).toEqual([]);
  });
});

describe("LREM", () => {
  it("removes the first count matches from the head, or from the tail for a negative count", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "1", "2", "3", "2", "1", "2");
    expect(run("LREM", "l", "-2", "2")).toBe(2);
    expect(all("l")).toEqual(["1", "2", "3", "1"]);
    expect(run("LREM", "l", "1", "1")).toBe(1);
    expect(all("l")).toEqual(["2", "3", "1"]);
  });

  it("removes every match for count 0, deleting the key when the list empties", () => {
    const { run, db } = setup();
    run("RPUSH", "l", "a", "b", "a", "a");
    expect(run("LREM", "l", "0", "a")).toBe(3);
    expect(run("LREM", "l", "0", "b")).toBe(1);
    expect(db.has("l")).toBe(false);
    expect(run("LREM", "l", "0", "b")).toBe(0);
  });

  it("treats the most negative count as 'all from the tail'", () => {
    const { run } = setup();
    run("RPUSH", "l", "a", "a", "b", "a");
    expect(run("LREM", "l", "-9223372036854775808", "a")).toBe(3);
    expect(run("LRANGE", "l", "0", "-1")).toEqual(["b"]);
  });

  it("reads the count before the key, and refuses another type", () => {
    const { run } = setup();
    expect(run("LREM", "nokey", "x", "a")).toEqual(NOT_INTEGER);
    expect(run("LREM", "str", "0", "a")).toEqual(WRONGTYPE);
  });

  it("is logged only when it removes something", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a", "b");
    expect(logged("LREM", "l", "0", "zz")).toEqual([]);
    expect(logged("LREM", "l", "0", "a")).toEqual([["LREM", "l", "0", "a"]]);
  });
});

describe("LTRIM", () => {
  it("keeps only the range, clamped as LRANGE clamps it", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b", "c", "d", "e");
    expect(run("LTRIM", "l", "1", "-2")).toEqual(OK);
    expect(all("l")).toEqual(["b", "c", "d"]);
    expect(run("LTRIM", "l", "-100", "100")).toEqual(OK);
    expect(all("l")).toEqual(["b", "c", "d"]);
    expect(run("LTRIM", "l", "1", "1")).toEqual(OK);
    expect(all("l")).toEqual(["c"]);
  });

  it("deletes the key when the range is empty, and replies OK for a missing key", () => {
    const { run, db } = setup();
    run("RPUSH", "l", "a", "b");
    expect(run("LTRIM", "l", "5", "2")).toEqual(OK);
    expect(db.has("l")).toBe(false);
    expect(run("LTRIM", "nokey", "0", "1")).toEqual(OK);
  });

  it("reads its indexes before the key, and refuses another type", () => {
    const { run } = setup();
    expect(run("LTRIM", "nokey", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("LTRIM", "str", "0", "1")).toEqual(WRONGTYPE);
  });

  it("is logged only when it removes elements (Redis counts them as dirty)", () => {
    const { run, logged } = setup();
    run("RPUSH", "l", "a", "b", "c");
    expect(logged("LTRIM", "l", "0", "-1")).toEqual([]);
    expect(logged("LTRIM", "l", "0", "0")).toEqual([["LTRIM", "l", "0", "0"]]);
  });
});

describe("LPOS", () => {
  function withList() {
    const s = setup();
    s.run("RPUSH", "l", "a", "b", "c", "a", "b", "c", "a");
    return s;
  }

  it("finds the first match, or nil", () => {
    const { run } = withList();
    expect(run("LPOS", "l", "b")).toBe(1);
    expect(run("LPOS", "l", "z")).toBeNull();
    expect(run("LPOS", "nokey", "a")).toBeNull();
  });

  it("skips matches with RANK, and searches from the tail with a negative RANK", () => {
    const { run } = withList();
    expect(run("LPOS", "l", "a", "RANK", "2")).toBe(3);
    expect(run("LPOS", "l", "a", "RANK", "-1")).toBe(6);
    expect(run("LPOS", "l", "a", "RANK", "-3")).toBe(0);
    expect(run("LPOS", "l", "a", "RANK", "4")).toBeNull();
    expect(run("LPOS", "l", "a", "RANK", "1", "rank", "2")).toBe(3);
  });

  it("returns an array of matches with COUNT (0 meaning all), empty when none or no key", () => {
    const { run } = withList();
    expect(run("LPOS", "l", "a", "COUNT", "0")).toEqual([0, 3, 6]);
    expect(run("LPOS", "l", "a", "COUNT", "2")).toEqual([0, 3]);
    expect(run("LPOS", "l", "a", "RANK", "-1", "COUNT", "0")).toEqual([6, 3, 0]);
    expect(run("LPOS", "l", "a", "RANK", "2", "COUNT", "2", "MAXLEN", "5")).toEqual([3]);
    expect(run("LPOS", "l", "a", "COUNT", "2", "COUNT", "1")).toEqual([0]);
    expect(run("LPOS", "l", "z", "COUNT", "2")).toEqual([]);
    expect(run("LPOS", "nokey", "a", "COUNT", "0")).toEqual([]);
  });

  it("compares at most MAXLEN elements (0 meaning all)", () => {
    const { run } = withList();
    expect(run("LPOS", "l", "a", "MAXLEN", "2", "COUNT", "0")).toEqual([0]);
    expect(run("LPOS", "l", "a", "MAXLEN", "0", "COUNT", "0", "RANK", "-2")).toEqual([3, 0]);
    expect(run("LPOS", "l", "c", "MAXLEN", "2")).toBeNull();
  });

  it("handles the extreme ranks exactly as Redis's C arithmetic does", () => {
    const { run } = withList();
    // LONG_MIN stays negative when negated: every match counts, and COUNT never stops it.
    expect(run("LPOS", "l", "a", "RANK", "-9223372036854775808")).toBe(6);
    expect(run("LPOS", "l", "a", "RANK", "-9223372036854775808", "COUNT", "2")).toEqual([6, 3, 0]);
    expect(run("LPOS", "l", "a", "RANK", "-9223372036854775807")).toBeNull();
    expect(run("LPOS", "l", "a", "RANK", "9223372036854775807", "COUNT", "0")).toEqual([]);
  });

  it("refuses bad options in Redis's words, before looking at the key", () => {
    const { run } = withList();
    expect(run("LPOS", "l", "a", "RANK", "0")).toEqual(RANK_ZERO);
    expect(run("LPOS", "nokey", "a", "RANK", "0")).toEqual(RANK_ZERO);
    expect(run("LPOS", "str", "a", "RANK", "0")).toEqual(RANK_ZERO);
    expect(run("LPOS", "l", "a", "RANK", "x")).toEqual(NOT_INTEGER);
    expect(run("LPOS", "l", "a", "RANK", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(run("LPOS", "l", "a", "COUNT", "-1")).toEqual(COUNT_NEGATIVE);
    expect(run("LPOS", "l", "a", "COUNT", "x")).toEqual(COUNT_NEGATIVE);
    expect(run("LPOS", "l", "a", "COUNT", "1.5")).toEqual(COUNT_NEGATIVE);
    expect(run("LPOS", "l", "a", "COUNT", "9223372036854775808")).toEqual(COUNT_NEGATIVE);
    expect(run("LPOS", "l", "a", "MAXLEN", "-1")).toEqual(MAXLEN_NEGATIVE);
    expect(run("LPOS", "l", "a", "MAXLEN", "x")).toEqual(MAXLEN_NEGATIVE);
    // The first bad option wins.
    expect(run("LPOS", "l", "a", "COUNT", "-1", "RANK", "0")).toEqual(COUNT_NEGATIVE);
    expect(run("LPOS", "l", "a", "RANK", "0", "COUNT", "-1")).toEqual(RANK_ZERO);
    expect(run("LPOS", "l", "a", "FOO")).toEqual(SYNTAX);
    expect(run("LPOS", "l", "a", "RANK")).toEqual(SYNTAX);
    expect(run("LPOS", "str", "a")).toEqual(WRONGTYPE);
  });
});

describe("LMOVE and RPOPLPUSH", () => {
  it("move an element between the chosen ends and return it", () => {
    const { run, all } = setup();
    run("RPUSH", "s", "a", "b", "c");
    run("RPUSH", "d", "x");
    expect(run("LMOVE", "s", "d", "LEFT", "RIGHT")).toBe("a");
    expect(run("LMOVE", "s", "d", "right", "left")).toBe("c");
    expect(all("s")).toEqual(["b"]);
    expect(all("d")).toEqual(["c", "x", "a"]);
    expect(run("RPOPLPUSH", "d", "s")).toBe("a");
    expect(all("s")).toEqual(["a", "b"]);
  });

  it("create the destination, and delete the source once it is empty", () => {
    const { run, all, db } = setup();
    run("RPUSH", "s", "only");
    expect(run("RPOPLPUSH", "s", "new")).toBe("only");
    expect(db.has("s")).toBe(false);
    expect(all("new")).toEqual(["only"]);
  });

  it("rotate a list moved onto itself, even a list of one", () => {
    const { run, all } = setup();
    run("RPUSH", "m", "a", "b", "c");
    expect(run("LMOVE", "m", "m", "LEFT", "RIGHT")).toBe("a");
    expect(all("m")).toEqual(["b", "c", "a"]);
    run("RPUSH", "one", "x");
    expect(run("LMOVE", "one", "one", "RIGHT", "LEFT")).toBe("x");
    expect(all("one")).toEqual(["x"]);
    expect(run("RPOPLPUSH", "m", "m")).toBe("a");
    expect(all("m")).toEqual(["a", "b", "c"]);
  });

  it("reply nil for a missing source, without checking the destination", () => {
    const { run, db } = setup();
    expect(run("LMOVE", "nokey", "str", "LEFT", "LEFT")).toBeNull();
    expect(run("RPOPLPUSH", "nokey", "d")).toBeNull();
    expect(db.has("d")).toBe(false);
  });

  it("refuse a destination of another type without popping anything", () => {
    const { run, all } = setup();
    run("RPUSH", "s", "a");
    expect(run("LMOVE", "s", "str", "LEFT", "LEFT")).toEqual(WRONGTYPE);
    expect(run("RPOPLPUSH", "s", "str")).toEqual(WRONGTYPE);
    expect(run("LMOVE", "str", "s", "LEFT", "LEFT")).toEqual(WRONGTYPE);
    expect(all("s")).toEqual(["a"]);
  });

  it("LMOVE checks both directions before anything else", () => {
    const { run } = setup();
    expect(run("LMOVE", "str", "str", "UP", "LEFT")).toEqual(SYNTAX);
    expect(run("LMOVE", "str", "str", "LEFT", "DOWN")).toEqual(SYNTAX);
  });

  it("are logged as sent", () => {
    const { run, logged } = setup();
    run("RPUSH", "s", "a", "b");
    expect(logged("LMOVE", "s", "d", "LEFT", "RIGHT")).toEqual([["LMOVE", "s", "d", "LEFT", "RIGHT"]]);
    expect(logged("RPOPLPUSH", "s", "d")).toEqual([["RPOPLPUSH", "s", "d"]]);
    expect(logged("RPOPLPUSH", "s", "d")).toEqual([]);
  });
});

describe("lists and the rest of the keyspace", () => {
  it("are typed 'list', encoded 'quicklist', and copied deeply by COPY", () => {
    const { run, all } = setup();
    run("RPUSH", "l", "a", "b");
    expect(run("TYPE", "l")).toEqual({ kind: "simple", value: "list" });
    expect(run("OBJECT", "ENCODING", "l")).toBe("quicklist");
    expect(run("COPY", "l", "c")).toBe(1);
    run("RPUSH", "c", "z");
    run("LPOP", "l");
    expect(all("l")).toEqual(["b"]);
    expect(all("c")).toEqual(["a", "b", "z"]);
  });

  it("keep their TTL while they change, and lose their elements when it passes", () => {
    const db = new Keyspace();
    const clock = { now: T0 };
    const ex = new Executor(db, undefined, () => clock.now);
    ex.runOne(["RPUSH", "l", "a"]);
    ex.runOne(["PEXPIRE", "l", "1000"]);
    ex.runOne(["RPUSH", "l", "b"]);
    ex.runOne(["LPOP", "l"]);
    expect(ex.runOne(["PTTL", "l"])).toBe(1000);
    // Redis expires a key once now is past its time.
    clock.now += 1001;
    expect(ex.runOne(["LLEN", "l"])).toBe(0);
    expect(ex.runOne(["RPUSH", "l", "c"])).toBe(1);
    expect(ex.runOne(["PTTL", "l"])).toBe(-1);
  });

  it("invalidate a WATCH when they change in place", () => {
    const { run, db } = setup();
    run("RPUSH", "l", "a", "b");
    const v = db.watch("l");
    run("LLEN", "l");
    expect(db.changedSince("l", v, false)).toBe(false);
    run("LSET", "l", "0", "z");
    expect(db.changedSince("l", v, false)).toBe(true);
  });
});

describe("replaying the log of list commands", () => {
  it("rebuilds exactly the same lists in a fresh keyspace", () => {
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => T0);
    const effects: string[][] = [];
    const batch: string[][] = [];
    // A seeded mix of every list write over a few keys, pushes outweighing pops.
    const rng = new Rng(42);
    const keys = ["a", "b", "c", "d"];
    for (let i = 0; i < 3000; i++) {
      const k = rng.pick(keys);
      const k2 = rng.pick(keys);
      const v = String(rng.int(8));
      const end = () => rng.pick(["LEFT", "RIGHT"]);
      switch (rng.int(13)) {
        case 0: case 1: batch.push(["LPUSH", k, v, String(i)]); break;
        case 2: case 3: batch.push(["RPUSH", k, v]); break;
        case 4: batch.push(["LPOP", k, String(rng.int(3))]); break;
        case 5: batch.push(["RPOP", k]); break;
        case 6: batch.push(["LSET", k, String(rng.range(-3, 3)), "s" + i]); break;
        case 7: batch.push(["LINSERT", k, rng.pick(["BEFORE", "AFTER"]), v, "i" + i]); break;
        case 8: batch.push(["LREM", k, String(rng.range(-2, 2)), v]); break;
        case 9: batch.push(["LTRIM", k, String(rng.int(3)), String(-1 - rng.int(4))]); break;
        case 10: batch.push(["LMOVE", k, k2, end(), end()]); break;
        case 11: batch.push(["RPOPLPUSH", k, k2]); break;
        default: batch.push(["LMPOP", "2", k, k2, end(), "COUNT", String(rng.range(1, 3))]); break;
      }
    }
    for (let i = 0; i < batch.length; i += 100) effects.push(...ex.run(batch.slice(i, i + 100)).effects);

    const fresh = new Keyspace();
    const replayer = new Executor(fresh, undefined, () => T0);
    for (const argv of effects) replayer.replay(argv);

    expect(effects.length).toBeGreaterThan(2000);
    expect(dump(fresh)).toEqual(dump(db));
    expect(fresh.size).toBeGreaterThan(1);
  });
});

/** Every key with its type and whole contents, for comparing two keyspaces. */
function dump(db: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...db.keys()].sort()) {
    const v = db.get(key)!;
    out[key] = v instanceof ListValue ? ["list", [...v.values()]] : typeof v === "string" ? ["string", v] : [v.type];
  }
  return out;
}
