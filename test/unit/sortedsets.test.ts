// The sorted set type (src/engine/zset.ts, its OrderTree included) and the sorted set
// commands (src/commands/sortedsets.ts), run through the Executor against a Keyspace with
// an injected clock. Every expected reply and error text was read from redis-server 7.0;
// the logged effects follow what Redis 7.0 propagates (t_zset.c: ZMPOP becomes ZPOPMIN or
// ZPOPMAX with a count; everything else is deterministic and logged as sent).
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { RedisSet } from "../../src/engine/set";
import { OrderTree, SortedSet } from "../../src/engine/zset";
import { double, error, NULL_ARRAY, pairs, type Reply } from "../../src/protocol/reply";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { Rng } from "../support/random";
import { generateSzSteps } from "../support/gen-sets-zsets";
import { arity, engine, INVALID_CURSOR, NOT_FLOAT, NOT_INTEGER, NOT_POSITIVE, SYNTAX, T0, WRONGTYPE } from "../support/engine";

const RANGE_NOT_FLOAT = error("ERR min or max is not a float");
const RANGE_NOT_LEX = error("ERR min or max not valid string range item");
const NAN_SCORE = error("ERR resulting score is not a number (NaN)");

/** An engine holding a string at "str" (for WRONGTYPE). */
function setup() {
  const e = engine();
  e.run("SET", "str", "text");
  return e;
}

/** A WITHSCORES reply: member, score, member, score… */
function scored(...flat: (string | number)[]): Reply {
  return pairs(flat.map((x) => (typeof x === "number" ? double(x) : x)));
}

function wire(r: Reply, resp: 2 | 3): string {
  return bytesToBinary(encodeReply(r, resp));
}

describe("ZADD", () => {
  it("adds members, updates scores, and counts additions (or changes with CH)", () => {
    const { run } = setup();
    expect(run("ZADD", "z", "1", "a", "2", "b")).toBe(2);
    expect(run("ZADD", "z", "5", "a", "3", "c")).toBe(1);
    expect(run("ZADD", "z", "CH", "6", "a", "2", "b", "4", "d")).toBe(2);
    expect(run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(scored("b", 2, "c", 3, "d", 4, "a", 6));
  });

  it("orders equal scores by member bytes", () => {
    const { run } = setup();
    run("ZADD", "z", "0", "b", "0", "a", "0", "\xff", "0", "", "0", "ab", "-1", "z");
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["z", "", "a", "ab", "b", "\xff"]);
  });

  it("honours NX, XX, GT and LT (GT/LT only hold back updates, never additions)", () => {
    const { run } = setup();
    run("ZADD", "z", "5", "a");
    expect(run("ZADD", "z", "NX", "1", "a", "1", "b")).toBe(1);
    expect(run("ZADD", "z", "XX", "1", "c", "7", "a")).toBe(0);
    expect(run("ZADD", "z", "GT", "CH", "3", "a", "9", "b", "1", "new")).toBe(2);
    expect(run("ZADD", "z", "LT", "CH", "8", "a", "10", "b")).toBe(0);
    expect(run("ZADD", "z", "LT", "CH", "6", "a")).toBe(1);
    expect(run("ZADD", "z", "XX", "GT", "CH", "100", "a")).toBe(1);
    expect(run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(scored("new", 1, "b", 9, "a", 100));
    expect(run("ZADD", "nokey", "XX", "1", "a")).toBe(0);
    expect(run("EXISTS", "nokey")).toBe(0);
  });

  it("with INCR adds to the score and replies the new score, or nil when held back", () => {
    const { run } = setup();
    expect(run("ZADD", "z", "INCR", "1.5", "a")).toEqual(double(1.5));
    expect(run("ZADD", "z", "INCR", "2", "a")).toEqual(double(3.5));
    expect(run("ZADD", "z", "NX", "INCR", "1", "a")).toBe(null);
    expect(run("ZADD", "z", "XX", "INCR", "1", "nope")).toBe(null);
    expect(run("ZADD", "nokey", "XX", "INCR", "1", "a")).toBe(null);
    expect(run("ZADD", "z", "GT", "INCR", "-1", "a")).toBe(null);
    expect(run("ZADD", "z", "INCR", "inf", "a")).toEqual(double(Infinity));
    expect(run("ZADD", "z", "INCR", "-inf", "a")).toEqual(NAN_SCORE);
    expect(run("ZSCORE", "z", "a")).toEqual(double(Infinity));
  });

  it("refuses conflicting options, odd pairs, bad scores and another type, changing nothing", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a");
    expect(run("ZADD", "z", "NX", "XX", "1", "a")).toEqual(error("ERR XX and NX options at the same time are not compatible"));
    for (const opts of [["GT", "LT"], ["NX", "GT"], ["LT", "NX"]]) {
      expect(run("ZADD", "z", ...opts, "1", "a")).toEqual(error("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    expect(run("ZADD", "z", "INCR", "1", "a", "2", "b")).toEqual(error("ERR INCR option supports a single increment-element pair"));
    expect(run("ZADD", "z", "1", "a", "2")).toEqual(SYNTAX);
    expect(run("ZADD", "z", "NX", "CH")).toEqual(SYNTAX);
    expect(run("ZADD", "z", "2", "b", "x", "c")).toEqual(NOT_FLOAT);
    expect(run("ZADD", "z", "nan", "c")).toEqual(NOT_FLOAT);
    expect(run("ZADD", "str", "1", "a")).toEqual(WRONGTYPE);
    expect(run("ZADD", "z", "1")).toEqual(arity("zadd"));
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["a"]);
  });

  it("reads scores as strtod does: inf, hex, exponents, but no spaces or trailing bytes", () => {
    const { run } = setup();
    run("ZADD", "z", "+inf", "a", "-inf", "b", "0x10", "c", "1e2", "d", ".5", "e");
    expect(run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(scored("b", -Infinity, "e", 0.5, "c", 16, "d", 100, "a", Infinity));
    for (const bad of [" 1", "1 ", "1e", "", "1\x00", "1e400"]) expect(run("ZADD", "z", bad, "x"), bad).toEqual(NOT_FLOAT);
  });

  it("is a listpack until it passes zset-max-listpack-entries or -value, then a skiplist for good", () => {
    const { run, encoding } = setup();
    run("CONFIG", "SET", "zset-max-listpack-entries", "3");
    run("CONFIG", "SET", "zset-max-listpack-value", "4");
    run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    expect(encoding("z")).toBe("listpack");
    run("ZADD", "z", "4", "d");
    expect(encoding("z")).toBe("skiplist");
    run("ZREM", "z", "a", "b", "c");
    expect(encoding("z")).toBe("skiplist");
    run("ZADD", "y", "1", "short");
    expect(encoding("y")).toBe("skiplist");
    run("ZADD", "w", "1", "ok", "2", "toolong");
    expect(encoding("w")).toBe("skiplist");
    run("CONFIG", "SET", "zset-max-listpack-entries", "0");
    run("ZADD", "v", "1", "a");
    expect(encoding("v")).toBe("skiplist");
  });

  it("turns a -0 score into 0 in a listpack, and keeps it in a skiplist, as Redis does", () => {
    const { run } = setup();
    run("ZADD", "lp", "-0", "a");
    expect(run("ZSCORE", "lp", "a")).toEqual(double(0));
    expect(wire(run("ZSCORE", "lp", "a"), 2)).toBe("$1\r\n0\r\n");
    run("CONFIG", "SET", "zset-max-listpack-entries", "0");
    run("ZADD", "sl", "-0", "a");
    expect(wire(run("ZSCORE", "sl", "a"), 2)).toBe("$2\r\n-0\r\n");
  });

  it("logs itself only when it changed something", () => {
    const { logged } = setup();
    expect(logged("ZADD", "z", "1", "a")).toEqual([["ZADD", "z", "1", "a"]]);
    expect(logged("ZADD", "z", "1", "a")).toEqual([]);
    expect(logged("ZADD", "z", "NX", "2", "a")).toEqual([]);
    expect(logged("ZADD", "z", "INCR", "1", "a")).toEqual([["ZADD", "z", "INCR", "1", "a"]]);
  });
});

describe("ZINCRBY", () => {
  it("adds to a score (creating the member) and replies the new score", () => {
    const { run } = setup();
    expect(run("ZINCRBY", "z", "2", "a")).toEqual(double(2));
    expect(run("ZINCRBY", "z", "0.1", "a")).toEqual(double(2.1));
    expect(wire(run("ZINCRBY", "z", "1", "a"), 2)).toBe("$18\r\n3.1000000000000001\r\n");
    expect(wire(run("ZSCORE", "z", "a"), 3)).toBe(",3.1000000000000001\r\n");
  });

  it("refuses a NaN result, a bad increment and another type", () => {
    const { run } = setup();
    run("ZADD", "z", "inf", "a");
    expect(run("ZINCRBY", "z", "-inf", "a")).toEqual(NAN_SCORE);
    expect(run("ZINCRBY", "z", "x", "a")).toEqual(NOT_FLOAT);
    // Parsed by ZADD's option reader, as in Redis: an option word is a syntax error.
    expect(run("ZINCRBY", "z", "nx", "a")).toEqual(SYNTAX);
    expect(run("ZINCRBY", "str", "1", "a")).toEqual(WRONGTYPE);
  });
});

describe("ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK", () => {
  it("answer for members and missing ones", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    expect(run("ZCARD", "z")).toBe(3);
    expect(run("ZSCORE", "z", "b")).toEqual(double(2));
    expect(run("ZSCORE", "z", "x")).toBe(null);
    expect(run("ZMSCORE", "z", "a", "x", "c")).toEqual([double(1), null, double(3)]);
    expect(run("ZMSCORE", "nokey", "a")).toEqual([null]);
    expect(run("ZRANK", "z", "a")).toBe(0);
    expect(run("ZREVRANK", "z", "a")).toBe(2);
    expect(run("ZRANK", "z", "x")).toBe(null);
    expect(run("ZRANK", "nokey", "a")).toBe(null);
    expect(run("ZREM", "z", "a", "x", "a")).toBe(1);
    expect(run("ZREM", "z", "b", "c")).toBe(2);
    expect(run("EXISTS", "z")).toBe(0);
    expect(run("ZCARD", "z")).toBe(0);
  });

  it("refuse another type", () => {
    const { run } = setup();
    for (const argv of [["ZREM", "str", "a"], ["ZCARD", "str"], ["ZSCORE", "str", "a"], ["ZMSCORE", "str", "a"], ["ZRANK", "str", "a"], ["ZREVRANK", "str", "a"]]) {
      expect(run(...argv), argv[0]).toEqual(WRONGTYPE);
    }
  });

  it("ZREM logs only real removals", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "1", "a", "2", "b");
    expect(logged("ZREM", "z", "x")).toEqual([]);
    expect(logged("ZREM", "z", "a")).toEqual([["ZREM", "z", "a"]]);
  });
});

describe("ZCOUNT and ZLEXCOUNT", () => {
  it("count within inclusive and exclusive score ranges", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "inf", "d");
    expect(run("ZCOUNT", "z", "-inf", "+inf")).toBe(4);
    expect(run("ZCOUNT", "z", "(1", "3")).toBe(2);
    expect(run("ZCOUNT", "z", "(1", "(3")).toBe(1);
    expect(run("ZCOUNT", "z", "3", "1")).toBe(0);
    expect(run("ZCOUNT", "z", "(2", "(2")).toBe(0);
    expect(run("ZCOUNT", "z", "(inf", "+inf")).toBe(0);
    expect(run("ZCOUNT", "nokey", "0", "1")).toBe(0);
  });

  it("read range ends as zslParseRange does: strtod with spaces skipped, empty as 0, overflow as inf", () => {
    const { run } = setup();
    run("ZADD", "z", "0", "a", "1", "b");
    expect(run("ZCOUNT", "z", "", "")).toBe(1);
    expect(run("ZCOUNT", "z", " 1", "1e999")).toBe(1);
    expect(run("ZCOUNT", "z", "(", "1")).toBe(1);
    for (const [min, max] of [["x", "1"], ["1", "nan"], ["1 ", "2"], ["((1", "2"], ["[1", "2"]]) {
      expect(run("ZCOUNT", "z", min, max), `${min} ${max}`).toEqual(RANGE_NOT_FLOAT);
    }
    expect(run("ZCOUNT", "str", "x", "1")).toEqual(RANGE_NOT_FLOAT);
    expect(run("ZCOUNT", "str", "0", "1")).toEqual(WRONGTYPE);
  });

  it("read hex range ends that leave the double range as strtod saturates them: by value, not by exponent", () => {
    const { run } = setup();
    run("ZADD", "z", "0", "a", "1", "b");
    // Many digits and no exponent: past the largest double, so +inf (redis-server 7.0: 2).
    expect(run("ZCOUNT", "z", "-inf", "0x" + "f".repeat(300))).toBe(2);
    // A positive exponent on a tiny fraction: underflows to 0, so "(…" excludes only 0.
    expect(run("ZCOUNT", "z", "(0x0." + "0".repeat(300) + "1p+5", "+inf")).toBe(1);
  });

  it("count within lex ranges of equal scores", () => {
    const { run } = setup();
    run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d");
    expect(run("ZLEXCOUNT", "z", "-", "+")).toBe(4);
    expect(run("ZLEXCOUNT", "z", "[b", "[c")).toBe(2);
    expect(run("ZLEXCOUNT", "z", "(b", "(d")).toBe(1);
    expect(run("ZLEXCOUNT", "z", "[c", "[b")).toBe(0);
    expect(run("ZLEXCOUNT", "z", "+", "-")).toBe(0);
    expect(run("ZLEXCOUNT", "z", "[", "(b")).toBe(1);
    for (const [min, max] of [["a", "[b"], ["[a", "b"], ["+a", "+"], ["-", "++"], ["", "+"]]) {
      expect(run("ZLEXCOUNT", "z", min, max), `${min} ${max}`).toEqual(RANGE_NOT_LEX);
    }
    expect(run("ZLEXCOUNT", "str", "-", "+")).toEqual(WRONGTYPE);
  });
});

describe("ZRANGE", () => {
  function zset() {
    const t = setup();
    t.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    return t;
  }

  it("ranges by rank, negative indexes counting from the end, and REV from the top", () => {
    const { run } = zset();
    expect(run("ZRANGE", "z", "0", "1")).toEqual(["a", "b"]);
    expect(run("ZRANGE", "z", "-2", "-1")).toEqual(["d", "e"]);
    expect(run("ZRANGE", "z", "-100", "100")).toEqual(["a", "b", "c", "d", "e"]);
    expect(run("ZRANGE", "z", "3", "1")).toEqual([]);
    expect(run("ZRANGE", "z", "0", "1", "REV")).toEqual(["e", "d"]);
    expect(run("ZREVRANGE", "z", "1", "2", "WITHSCORES")).toEqual(scored("d", 4, "c", 3));
    expect(run("ZRANGE", "nokey", "0", "-1")).toEqual([]);
  });

  it("ranges by score with LIMIT (a negative count is no limit, a negative offset nothing)", () => {
    const { run } = zset();
    expect(run("ZRANGE", "z", "(1", "4", "BYSCORE")).toEqual(["b", "c", "d"]);
    expect(run("ZRANGE", "z", "4", "(1", "BYSCORE", "REV")).toEqual(["d", "c", "b"]);
    expect(run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2")).toEqual(["b", "c"]);
    expect(run("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES")).toEqual(scored("d", 4, "c", 3));
    expect(run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1")).toEqual(["d", "e"]);
    expect(run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2")).toEqual([]);
    expect(run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "5", "2")).toEqual([]);
    expect(run("ZRANGEBYSCORE", "z", "2", "3", "WITHSCORES")).toEqual(scored("b", 2, "c", 3));
    expect(run("ZREVRANGEBYSCORE", "z", "3", "2")).toEqual(["c", "b"]);
  });

  it("ranges by lex among equal scores", () => {
    const { run } = setup();
    run("ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d");
    expect(run("ZRANGE", "z", "[b", "+", "BYLEX")).toEqual(["b", "c", "d"]);
    expect(run("ZRANGE", "z", "(c", "-", "BYLEX", "REV")).toEqual(["b", "a"]);
    expect(run("ZRANGE", "z", "-", "+", "BYLEX", "LIMIT", "1", "2")).toEqual(["b", "c"]);
    expect(run("ZRANGEBYLEX", "z", "[a", "(c")).toEqual(["a", "b"]);
    expect(run("ZREVRANGEBYLEX", "z", "+", "[c", "LIMIT", "0", "1")).toEqual(["d"]);
  });

  it("replies WITHSCORES flat in RESP2 and as [member, score] pairs in RESP3", () => {
    const { run } = setup();
    run("ZADD", "z", "1.5", "a", "inf", "b");
    const r = run("ZRANGE", "z", "0", "-1", "WITHSCORES");
    expect(wire(r, 2)).toBe("*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$3\r\ninf\r\n");
    expect(wire(r, 3)).toBe("*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,inf\r\n");
  });

  it("refuses options that do not combine, in Redis's order, and bad ranges", () => {
    const { run } = zset();
    expect(run("ZRANGE", "z", "0", "1", "LIMIT", "0", "1")).toEqual(
      error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"),
    );
    // LIMIT 0 -1 is the default, so it is accepted by rank.
    expect(run("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1")).toEqual(["a", "b"]);
    expect(run("ZRANGE", "z", "[a", "[b", "BYLEX", "WITHSCORES")).toEqual(
      error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    );
    expect(run("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX")).toEqual(SYNTAX);
    expect(run("ZRANGE", "z", "0", "1", "LIMIT", "0")).toEqual(SYNTAX);
    expect(run("ZRANGE", "z", "0", "1", "LIMIT", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("ZRANGE", "z", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("ZRANGE", "z", "x", "1", "BYSCORE")).toEqual(RANGE_NOT_FLOAT);
    expect(run("ZRANGE", "z", "a", "b", "BYLEX")).toEqual(RANGE_NOT_LEX);
    expect(run("ZREVRANGE", "z", "0", "1", "REV")).toEqual(SYNTAX);
    expect(run("ZRANGEBYSCORE", "z", "0", "1", "BYSCORE")).toEqual(SYNTAX);
    expect(run("ZRANGEBYLEX", "z", "-", "+", "WITHSCORES")).toEqual(
      error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
    );
    expect(run("ZRANGE", "str", "0", "1")).toEqual(WRONGTYPE);
  });
});

describe("ZRANGESTORE", () => {
  it("stores a range (dropping the destination's TTL) and replies its size", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    run("SET", "dst", "x", "EX", "100");
    expect(logged("ZRANGESTORE", "dst", "z", "1", "-1")).toEqual([["ZRANGESTORE", "dst", "z", "1", "-1"]]);
    expect(run("ZRANGE", "dst", "0", "-1", "WITHSCORES")).toEqual(scored("b", 2, "c", 3));
    expect(run("TTL", "dst")).toBe(-1);
    expect(run("ZRANGESTORE", "dst", "z", "+inf", "2", "BYSCORE", "REV", "LIMIT", "0", "1")).toBe(1);
    expect(run("ZRANGE", "dst", "0", "-1")).toEqual(["c"]);
  });

  it("deletes the destination for an empty range, and refuses WITHSCORES", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a");
    run("ZADD", "dst", "1", "x");
    expect(run("ZRANGESTORE", "dst", "z", "5", "9")).toBe(0);
    expect(run("EXISTS", "dst")).toBe(0);
    expect(run("ZRANGESTORE", "dst", "nokey", "0", "-1")).toBe(0);
    expect(run("ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES")).toEqual(SYNTAX);
    expect(run("ZRANGESTORE", "dst", "str", "0", "-1")).toEqual(WRONGTYPE);
  });

  it("sizes the result by rank up front, as 7.0.15 does (which decides whether -0 survives)", () => {
    const { run } = setup();
    run("CONFIG", "SET", "zset-max-listpack-entries", "1");
    run("ZADD", "src", "1", "b", "2", "c");
    run("ZADD", "src", "-0", "a");
    expect(wire(run("ZSCORE", "src", "a"), 2)).toBe("$2\r\n-0\r\n");
    run("ZRANGESTORE", "dst", "src", "0", "-1");
    expect(wire(run("ZSCORE", "dst", "a"), 2)).toBe("$2\r\n-0\r\n");
    // By score the size is unknown: the first member goes through a listpack first.
    run("ZRANGESTORE", "dst", "src", "-inf", "+inf", "BYSCORE");
    expect(wire(run("ZSCORE", "dst", "a"), 2)).toBe("$1\r\n0\r\n");
  });
});

describe("ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX", () => {
  it("remove ranges, reply how many, and delete an emptied key", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    expect(run("ZREMRANGEBYRANK", "z", "-1", "-1")).toBe(1);
    expect(run("ZREMRANGEBYSCORE", "z", "(1", "2")).toBe(1);
    expect(logged("ZREMRANGEBYSCORE", "z", "100", "200")).toEqual([]);
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["a", "c"]);
    expect(run("ZREMRANGEBYRANK", "z", "0", "10")).toBe(2);
    expect(run("EXISTS", "z")).toBe(0);
    run("ZADD", "l", "0", "a", "0", "b", "0", "c");
    expect(run("ZREMRANGEBYLEX", "l", "[a", "(c")).toBe(2);
    expect(run("ZRANGE", "l", "0", "-1")).toEqual(["c"]);
    expect(run("ZREMRANGEBYRANK", "nokey", "0", "1")).toBe(0);
  });

  it("check the range before the key", () => {
    const { run } = setup();
    expect(run("ZREMRANGEBYRANK", "str", "x", "1")).toEqual(NOT_INTEGER);
    expect(run("ZREMRANGEBYSCORE", "str", "x", "1")).toEqual(RANGE_NOT_FLOAT);
    expect(run("ZREMRANGEBYLEX", "str", "x", "+")).toEqual(RANGE_NOT_LEX);
    expect(run("ZREMRANGEBYRANK", "str", "0", "1")).toEqual(WRONGTYPE);
  });
});

describe("ZPOPMIN and ZPOPMAX", () => {
  it("pop the lowest or highest, flat without a count, as pairs with one", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    const one = run("ZPOPMIN", "z");
    expect(one).toEqual(["a", double(1)]);
    expect(wire(one, 3)).toBe("*2\r\n$1\r\na\r\n,1\r\n");
    const two = run("ZPOPMAX", "z", "2");
    expect(two).toEqual(scored("d", 4, "c", 3));
    expect(wire(two, 3)).toBe("*2\r\n*2\r\n$1\r\nd\r\n,4\r\n*2\r\n$1\r\nc\r\n,3\r\n");
    expect(run("ZPOPMIN", "z", "10")).toEqual(scored("b", 2));
    expect(run("EXISTS", "z")).toBe(0);
    expect(run("ZPOPMIN", "z")).toEqual([]);
    expect(run("ZPOPMIN", "z", "3")).toEqual([]);
  });

  it("with a count of 0 reply empty and change nothing; bad counts and types are refused", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "1", "a");
    expect(logged("ZPOPMIN", "z", "0")).toEqual([]);
    expect(run("ZPOPMIN", "z", "0")).toEqual([]);
    expect(run("ZPOPMIN", "z", "-1")).toEqual(NOT_POSITIVE);
    expect(run("ZPOPMIN", "z", "x")).toEqual(NOT_POSITIVE);
    expect(run("ZPOPMIN", "z", "1", "2")).toEqual(SYNTAX);
    expect(run("ZPOPMAX", "str")).toEqual(WRONGTYPE);
  });

  it("are logged as sent (deterministic given the data)", () => {
    const { run, logged } = setup();
    run("ZADD", "z", "1", "a", "2", "b");
    expect(logged("ZPOPMAX", "z", "1")).toEqual([["ZPOPMAX", "z", "1"]]);
  });
});

describe("ZMPOP", () => {
  it("pops from the first non-empty key, replying [key, [[member, score], …]]", () => {
    const { run, ex } = setup();
    run("ZADD", "b", "1", "x", "2", "y", "3", "z");
    const { replies, effects } = ex.run([["ZMPOP", "2", "nokey", "b", "MAX", "COUNT", "2"]]);
    expect(replies[0]).toEqual(["b", [["z", double(3)], ["y", double(2)]]]);
    expect(effects).toEqual([["ZPOPMAX", "b", "2"]]);
    expect(ex.run([["ZMPOP", "1", "b", "MIN", "COUNT", "10"]]).effects).toEqual([["ZPOPMIN", "b", "1"]]);
    expect(run("ZMPOP", "1", "b", "MIN")).toEqual(NULL_ARRAY);
    expect(wire(NULL_ARRAY, 2)).toBe("*-1\r\n");
  });

  it("checks the type of the first existing key only", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a");
    expect(run("ZMPOP", "2", "str", "z", "MIN")).toEqual(WRONGTYPE);
    expect(run("ZMPOP", "2", "z", "str", "MIN")).toEqual(["z", [["a", double(1)]]]);
  });

  it("refuses bad numkeys, where and count", () => {
    const { run } = setup();
    expect(run("ZMPOP", "0", "z", "MIN")).toEqual(error("ERR numkeys should be greater than 0"));
    expect(run("ZMPOP", "x", "z", "MIN")).toEqual(error("ERR numkeys should be greater than 0"));
    expect(run("ZMPOP", "2", "z", "MIN")).toEqual(SYNTAX);
    expect(run("ZMPOP", "1", "z", "MID")).toEqual(SYNTAX);
    expect(run("ZMPOP", "1", "z", "MIN", "COUNT", "0")).toEqual(error("ERR count should be greater than 0"));
    expect(run("ZMPOP", "1", "z", "MIN", "COUNT", "x")).toEqual(error("ERR count should be greater than 0"));
    expect(run("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1")).toEqual(SYNTAX);
    expect(run("ZMPOP", "1", "z")).toEqual(arity("zmpop"));
  });
});

describe("ZRANDMEMBER", () => {
  it("returns a random member, nil for a missing key", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b");
    expect(["a", "b"]).toContain(run("ZRANDMEMBER", "z"));
    expect(run("ZRANDMEMBER", "nokey")).toBe(null);
    expect(run("ZRANDMEMBER", "nokey", "3")).toEqual([]);
  });

  it("returns the whole set highest first when the count covers it", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    expect(run("ZRANDMEMBER", "z", "3")).toEqual(["c", "b", "a"]);
    expect(run("ZRANDMEMBER", "z", "10", "WITHSCORES")).toEqual(scored("c", 3, "b", 2, "a", 1));
  });

  it("returns distinct members for a positive count, repeats for a negative one", () => {
    const { run } = setup();
    run("ZADD", "z", ...Array.from({ length: 40 }, (_, i) => [String(i), "m" + i]).flat());
    for (const n of [1, 5, 20, 39]) {
      const r = run("ZRANDMEMBER", "z", String(n)) as string[];
      expect(new Set(r).size).toBe(n);
    }
    run("ZADD", "one", "7", "x");
    expect(run("ZRANDMEMBER", "one", "-3", "WITHSCORES")).toEqual(scored("x", 7, "x", 7, "x", 7));
  });

  it("refuses bad counts (before the key) and options", () => {
    const { run } = setup();
    expect(run("ZRANDMEMBER", "str", "x")).toEqual(NOT_INTEGER);
    expect(run("ZRANDMEMBER", "z", "-9223372036854775808")).toEqual(
      error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"),
    );
    expect(run("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES")).toEqual(error("ERR value is out of range"));
    expect(run("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES")).toEqual(error("ERR value is out of range"));
    expect(run("ZRANDMEMBER", "z", "1", "WITHSCORE")).toEqual(SYNTAX);
    expect(run("ZRANDMEMBER", "z", "1", "WITHSCORES", "x")).toEqual(SYNTAX);
    expect(run("ZRANDMEMBER", "str", "1")).toEqual(WRONGTYPE);
  });
});

describe("ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD", () => {
  function sets() {
    const t = setup();
    t.run("ZADD", "a", "1", "x", "2", "y", "3", "z");
    t.run("ZADD", "b", "10", "y", "20", "z", "30", "w");
    t.run("SADD", "s", "z", "v");
    return t;
  }

  it("combine with SUM by default, sorted by score then member", () => {
    const { run } = sets();
    expect(run("ZUNION", "2", "a", "b", "WITHSCORES")).toEqual(scored("x", 1, "y", 12, "z", 23, "w", 30));
    expect(run("ZINTER", "2", "a", "b", "WITHSCORES")).toEqual(scored("y", 12, "z", 23));
    expect(run("ZDIFF", "2", "a", "b", "WITHSCORES")).toEqual(scored("x", 1));
    expect(run("ZUNION", "2", "a", "nokey")).toEqual(["x", "y", "z"]);
    expect(run("ZINTER", "2", "a", "nokey")).toEqual([]);
  });

  it("apply WEIGHTS and AGGREGATE MIN/MAX, taking a plain set's members as score 1", () => {
    const { run } = sets();
    expect(run("ZUNION", "2", "a", "b", "WEIGHTS", "2", "0.5", "WITHSCORES")).toEqual(scored("x", 2, "y", 9, "w", 15, "z", 16));
    expect(run("ZINTER", "2", "a", "b", "AGGREGATE", "MAX", "WITHSCORES")).toEqual(scored("y", 10, "z", 20));
    expect(run("ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES")).toEqual(scored("y", 2, "z", 3));
    expect(run("ZUNION", "2", "a", "s", "WITHSCORES")).toEqual(scored("v", 1, "x", 1, "y", 2, "z", 4));
    expect(run("ZINTER", "2", "s", "a", "WITHSCORES")).toEqual(scored("z", 4));
  });

  it("take inf + -inf and 0 × inf as 0, as Redis does", () => {
    const { run } = setup();
    run("ZADD", "p", "inf", "m");
    run("ZADD", "n", "-inf", "m");
    expect(run("ZUNION", "2", "p", "n", "WITHSCORES")).toEqual(scored("m", 0));
    expect(run("ZUNION", "1", "p", "WEIGHTS", "0", "WITHSCORES")).toEqual(scored("m", 0));
    expect(run("ZINTER", "2", "p", "p", "WITHSCORES")).toEqual(scored("m", Infinity));
  });

  it("store results (logged as sent) or delete the destination when empty", () => {
    const { run, logged, encoding } = sets();
    expect(logged("ZUNIONSTORE", "d", "2", "a", "b")).toEqual([["ZUNIONSTORE", "d", "2", "a", "b"]]);
    expect(run("ZCARD", "d")).toBe(4);
    expect(encoding("d")).toBe("listpack");
    expect(run("ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "1")).toBe(2);
    expect(run("ZDIFFSTORE", "d", "2", "a", "a")).toBe(0);
    expect(run("EXISTS", "d")).toBe(0);
    expect(logged("ZDIFFSTORE", "d", "2", "a", "a")).toEqual([]);
  });

  it("count an intersection with ZINTERCARD, up to LIMIT", () => {
    const { run } = sets();
    expect(run("ZINTERCARD", "2", "a", "b")).toBe(2);
    expect(run("ZINTERCARD", "2", "a", "b", "LIMIT", "1")).toBe(1);
    expect(run("ZINTERCARD", "3", "a", "b", "s")).toBe(1);
  });

  it("check numkeys, then the keys' types, then the options", () => {
    const { run } = sets();
    expect(run("ZUNION", "0", "a")).toEqual(error("ERR at least 1 input key is needed for 'zunion' command"));
    expect(run("ZINTERSTORE", "d", "0", "a")).toEqual(error("ERR at least 1 input key is needed for 'zinterstore' command"));
    expect(run("ZINTERCARD", "0", "a")).toEqual(error("ERR at least 1 input key is needed for 'zintercard' command"));
    expect(run("ZUNION", "x", "a")).toEqual(NOT_INTEGER);
    expect(run("ZUNION", "2", "a")).toEqual(SYNTAX);
    expect(run("ZUNION", "1", "str", "WEIGHTS", "x")).toEqual(WRONGTYPE);
    expect(run("ZUNION", "1", "a", "WEIGHTS", "x")).toEqual(error("ERR weight value is not a float"));
    expect(run("ZUNION", "1", "a", "WEIGHTS")).toEqual(SYNTAX);
    expect(run("ZUNION", "1", "a", "AGGREGATE", "AVG")).toEqual(SYNTAX);
    expect(run("ZDIFF", "1", "a", "WEIGHTS", "1")).toEqual(SYNTAX);
    expect(run("ZUNIONSTORE", "d", "1", "a", "WITHSCORES")).toEqual(SYNTAX);
    expect(run("ZINTERCARD", "1", "a", "LIMIT", "-1")).toEqual(error("ERR LIMIT can't be negative"));
    expect(run("ZINTERCARD", "1", "a", "WITHSCORES")).toEqual(SYNTAX);
  });

  it("name their keys as COMMAND GETKEYS does: the destination first", () => {
    const keys = (...argv: string[]) => commandKeys(lookupCommand(argv[0])!, argv);
    expect(keys("ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2")).toEqual(["d", "a", "b"]);
    expect(keys("ZINTER", "2", "a", "b")).toEqual(["a", "b"]);
    expect(keys("ZMPOP", "2", "a", "b", "MIN")).toEqual(["a", "b"]);
    expect(keys("ZUNION", "0", "a")).toEqual([]);
    expect(keys("ZRANGESTORE", "d", "s", "0", "1")).toEqual(["d", "s"]);
  });
});

describe("ZSCAN", () => {
  it("returns a listpack whole, in order, with scores as text", () => {
    const { run } = setup();
    run("ZADD", "z", "2", "b", "1.5", "a", "-inf", "c");
    expect(run("ZSCAN", "z", "0")).toEqual(["0", ["c", "-inf", "a", "1.5", "b", "2"]]);
    expect(run("ZSCAN", "z", "0", "MATCH", "[ab]", "COUNT", "1")).toEqual(["0", ["a", "1.5", "b", "2"]]);
  });

  it("walks a skiplist returning every member present throughout exactly once, under changes", () => {
    const { run } = setup();
    run("CONFIG", "SET", "zset-max-listpack-entries", "0");
    const all = Array.from({ length: 200 }, (_, i) => "m" + i);
    run("ZADD", "z", ...all.flatMap((m, i) => [String(i % 7), m]));
    const seen = new Map<string, number>();
    let cursor = "0";
    let round = 0;
    do {
      const [next, flat] = run("ZSCAN", "z", cursor, "COUNT", "5") as [string, string[]];
      for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], (seen.get(flat[i]) ?? 0) + 1);
      cursor = next;
      run("ZREM", "z", "m" + round);
      run("ZADD", "z", "1", "new" + round++);
    } while (cursor !== "0");
    for (const m of all.slice(round)) expect(seen.get(m), m).toBe(1);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
  });

  it("refuses a bad cursor, bad options and another type; a missing key scans empty", () => {
    const { run } = setup();
    run("ZADD", "z", "1", "a");
    expect(run("ZSCAN", "z", "x")).toEqual(INVALID_CURSOR);
    expect(run("ZSCAN", "z", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(run("ZSCAN", "z", "0", "NOVALUES")).toEqual(SYNTAX);
    expect(run("ZSCAN", "str", "0")).toEqual(WRONGTYPE);
    expect(run("ZSCAN", "nokey", "0", "COUNT", "0")).toEqual(["0", []]);
  });
});

describe("the sorted set type", () => {
  it("keeps its order-statistic tree consistent with a plain sorted list under random changes", () => {
    const rng = new Rng(99);
    for (let round = 0; round < 10; round++) {
      const tree = new OrderTree();
      let model: [number, string][] = [];
      const scoreOf = new Map<string, number>();
      const cmp = (a: [number, string], b: [number, string]) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      const universe = rng.range(1, 2000);
      for (let op = 0; op < 5000; op++) {
        const m = "m" + rng.int(universe);
        if (rng.chance(0.55)) {
          if (scoreOf.has(m)) continue;
          const s = rng.int(40);
          scoreOf.set(m, s);
          tree.insert(s, m);
          model.push([s, m]);
        } else if (scoreOf.has(m)) {
          expect(tree.remove(scoreOf.get(m)!, m)).toBe(true);
          scoreOf.delete(m);
          model = model.filter((e) => e[1] !== m);
        } else {
          expect(tree.remove(1, m)).toBe(false);
        }
      }
      model.sort(cmp);
      expect(tree.size).toBe(model.length);
      const forward: string[] = [];
      if (model.length > 0) tree.forEachInRange(0, model.length - 1, false, (m) => forward.push(m));
      expect(forward).toEqual(model.map((e) => e[1]));
      for (let k = 0; k < model.length; k += 3) expect(tree.rankOf(model[k][0], model[k][1])).toBe(k);
      const bound = rng.int(40);
      expect(tree.countBefore((s) => s < bound)).toBe(model.filter((e) => e[0] < bound).length);
      if (model.length > 4) {
        const back: string[] = [];
        tree.forEachInRange(1, model.length - 2, true, (m) => back.push(m));
        expect(back).toEqual(model.slice(1, -1).map((e) => e[1]).reverse());
      }
    }
  });

  it("copies deeply (COPY), keeping the encoding", () => {
    const { run, encoding } = setup();
    run("ZADD", "z", "1", "a");
    run("COPY", "z", "c");
    run("ZADD", "c", "2", "b");
    expect(run("ZRANGE", "z", "0", "-1")).toEqual(["a"]);
    expect(encoding("c")).toBe("listpack");
  });

  it("accounts its memory and gives it all back when emptied", () => {
    const { db } = setup();
    const z = SortedSet.forFirstMember("a", db.settings);
    const empty = z.memoryUsage();
    z.add(1, "a", 0, db.settings);
    z.add(2, "bb", 0, db.settings);
    expect(z.memoryUsage()).toBeGreaterThan(empty);
    z.remove("a");
    z.remove("bb");
    expect(z.memoryUsage()).toBe(empty);
  });
});

describe("replaying the logged effects", () => {
  it("rebuilds the same sorted sets (and sets) in a fresh keyspace", () => {
    for (const seed of [21, 22, 23]) {
      const db = new Keyspace();
      const ex = new Executor(db, undefined, () => T0);
      const log: string[][] = [];
      for (const step of generateSzSteps(seed, 1500, ["sets", "zsets"])) log.push(...ex.run([step.argv]).effects);
      // Encoding thresholds are configuration, not data: the replica runs with the same.
      const fresh = new Keyspace();
      Object.assign(fresh.settings, db.settings);
      const replayer = new Executor(fresh, undefined, () => T0);
      for (const argv of log) replayer.replay(argv);
      expect(dump(fresh), `seed ${seed}`).toEqual(dump(db));
      expect(log.some((e) => e[0] === "ZPOPMIN" || e[0] === "ZPOPMAX")).toBe(true);
    }
  });
});

/** Every key with its type and contents (sets sorted, sorted sets in order with scores). */
function dump(db: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...db.keys()].sort()) {
    const v = db.get(key);
    if (v instanceof RedisSet) out[key] = ["set", v.members().sort()];
    else if (v instanceof SortedSet) {
      const { members, scores } = v.entries({ from: 0, to: v.size - 1 });
      // Object.is keeps -0 apart from 0: replay must reproduce it too.
      out[key] = ["zset", members, scores.map((s) => (Object.is(s, -0) ? "-0" : s))];
    } else out[key] = v;
  }
  return out;
}
