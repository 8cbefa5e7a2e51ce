/**
 * Differential generators for the set and sorted set families, on top of the shared half
 * in test/support/differential.ts (its argument makers, used read-only; the PRNG is
 * test/support/random.ts). A sequence is seeded, runs over a few keys in one hash tag
 * ({t}) so every multi-key command stays in one slot, and mixes valid commands with every
 * class of bad argument (wrong type, not an integer, not a float, bad range item, syntax,
 * out of range, arity).
 *
 * Keys: three sets, three sorted sets, one "lex" sorted set whose scores are all 0 (the
 * only kind Redis defines lex ranges for: with mixed scores the answer depends on Redis's
 * skiplist levels), a string (WRONGTYPE) and a key that is never written. Commands mostly
 * name keys of their own type, sometimes any key.
 *
 * How replies are compared (`SzMode`), and why:
 * - `exact`: byte for byte (most commands, sorted set ranges and set algebra included).
 * - `set-order`: a set reply. Redis lists an intset in numeric order, as Hotslot does, so
 *   the reply must match exactly when its order comes from an intset; a hashtable's order is
 *   Redis's dict order, so otherwise the members are compared as a multiset.
 * - `scan`: SSCAN/ZSCAN. An intset or listpack is returned whole (cursor 0): exact. A
 *   hashtable scan from 0 that finished in one call compares its elements as a multiset;
 *   an unfinished one (cursors are each server's own) only its shape.
 * - `random`: SRANDMEMBER/ZRANDMEMBER. Each side's reply is checked against the (shared)
 *   state: right length, members of the key, distinct when the count is positive, right
 *   scores; a count covering the whole set is deterministic and compared as `set-order`
 *   (ZRANDMEMBER's whole-set reply, highest score first, exactly).
 * - `spop`: SPOP. Checked like `random`, then the two sides are resynced: Hotslot's set is
 *   replaced by what Redis kept (contents and encoding), so the sequences go on agreeing.
 */
import { Gen } from "./differential";
import { Rng } from "./random";

// --- keys --------------------------------------------------------------------------------------

export const SET_KEYS = ["{t}s1", "{t}s2", "{t}s\x00\xff"];
export const ZSET_KEYS = ["{t}z1", "{t}z2", "{t}z\r\n"];
export const LEX_KEY = "{t}zl";
/** Always a string: never a store destination, so a WRONGTYPE probe stays one. */
export const STRING_KEY = "{t}str";
/** Never written. */
const MISSING_KEY = "{t}none";
/** Starts empty; store commands and COPY write anything there (over any type). */
const ANY_KEY = "{t}any";
export const SZ_KEYS: readonly string[] = [...SET_KEYS, ...ZSET_KEYS, LEX_KEY, STRING_KEY, MISSING_KEY, ANY_KEY];
/** Keys a lex command may name besides the lex key: none can hold a zset of mixed scores. */
const LEX_OTHER_KEYS = [STRING_KEY, MISSING_KEY];

function setKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(SET_KEYS) : g.rng.pick(SZ_KEYS);
}

function zsetKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(ZSET_KEYS) : g.rng.pick(SZ_KEYS);
}

/**
 * A key whose scores a command may change: not the lex key (its scores stay 0), nor the
 * missing key (lex commands name it, so it must never hold a sorted set of mixed scores).
 */
function zsetWriteKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(ZSET_KEYS) : g.rng.pick(SZ_KEYS.filter((k) => k !== LEX_KEY && k !== MISSING_KEY));
}

/** A key written by a store command: never the lex, string or missing key. */
function storeKey(g: Gen, own: readonly string[]): string {
  return g.rng.chance(0.85) ? g.rng.pick(own) : g.rng.pick([ANY_KEY, ...SET_KEYS, ...ZSET_KEYS]);
}

function lexKey(g: Gen): string {
  return g.rng.chance(0.9) ? LEX_KEY : g.rng.pick(LEX_OTHER_KEYS);
}

/** Input keys for set algebra: mostly sets (and sorted sets for the Z commands). */
function inputKeys(g: Gen, pool: readonly string[], min: number, max: number): string[] {
  return Array.from({ length: g.rng.range(min, max) }, () => (g.rng.chance(0.92) ? g.rng.pick(pool) : g.rng.pick(SZ_KEYS)));
}

// --- members, scores, counts ----------------------------------------------------------------------

const INT_MEMBERS = ["1", "2", "3", "-3", "10", "0", "42", "-100", "9223372036854775807", "-9223372036854775808"];
const TEXT_MEMBERS = ["a", "b", "c", "d", "", "\x00", "x y", "\r\n", "\xff\xfe", "007", "-0", "9223372036854775808", "1.5", "A"];

/** A member: integers often (so sets stay intsets), texts, and now and then a long one. */
function member(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 45) return g.rng.pick(INT_MEMBERS);
  if (r < 85) return g.rng.pick(TEXT_MEMBERS);
  if (r < 92) return String(g.rng.range(-50, 200));
  if (r < 96) return "m".repeat(g.rng.range(60, 70));
  return g.value();
}

function members(g: Gen, min: number, max: number): string[] {
  return Array.from({ length: g.rng.range(min, max) }, () => member(g));
}

/** A lex member: letters, so ranges like [b (d find something. */
function lexMember(g: Gen): string {
  return g.rng.chance(0.9) ? g.alphabet("abcde", g.rng.range(0, 3)) : g.rng.pick(["\x00", "\xff", "B", "a\x00"]);
}

/** A ZADD score: small integers and halves mostly (ties happen), and every odd case. */
function score(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 55) return String(g.rng.range(-5, 5));
  if (r < 70) return (g.rng.range(-20, 20) / 2).toString();
  if (r < 80) return g.rng.pick(["inf", "-inf", "+inf", "1e308", "-0", "0.1", "1.1", "3.0e1", "1e-320", "0x10", "123456789.123456789"]);
  if (r < 92) return g.float();
  return g.rng.pick(["nan", "abc", "", " 1", "1e", "(1", "inf\x00"]);
}

/** One end of a score range: numbers, "(" exclusives, infinities, and malformed ones. */
function rangeScore(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 40) return String(g.rng.range(-6, 6));
  if (r < 60) return "(" + String(g.rng.range(-6, 6));
  if (r < 75) return g.rng.pick(["-inf", "+inf", "inf", "(-inf", "(+inf", "-1e999", "1e999", "(2.5", "2.5"]);
  if (r < 90) return g.rng.pick(["", " 2", "(", "1x", "nan", "(nan", "((1", "0x1p1", "1\x00x", "[1", "1 "]);
  return g.float();
}

/** One end of a lex range: "-", "+", "[x", "(x", and invalid ones. */
function rangeLex(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 15) return g.rng.pick(["-", "+"]);
  if (r < 55) return "[" + lexMember(g);
  if (r < 90) return "(" + lexMember(g);
  return g.rng.pick(["a", "", "+a", "-a", "1", "*", "+\x00x", "[", "("]);
}

/** A rank (ZRANGE, ZREMRANGEBYRANK): small, sometimes huge or malformed. */
function rank(g: Gen): string {
  return g.rng.chance(0.88) ? String(g.rng.range(-8, 8)) : g.int();
}

/** A count for SPOP, ZPOPMIN, SRANDMEMBER…: small, zero, negative, huge or malformed. */
function count(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 70) return String(g.rng.range(0, 8));
  if (r < 85) return String(g.rng.range(-8, -1));
  return g.rng.pick(["9223372036854775807", "-9223372036854775807", "-9223372036854775808", "4611686018427387904", "x", "1.5", "", "01", "20"]);
}

/**
 * A count for SRANDMEMBER/ZRANDMEMBER. No large negative one: Redis would try to send
 * that many members (and run out of memory); -2^63 and ±2^62 are refused up front.
 */
function randomCount(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 60) return String(g.rng.range(0, 8));
  if (r < 85) return String(g.rng.range(-8, -1));
  return g.rng.pick(["9223372036854775807", "-9223372036854775808", "4611686018427387904", "4611686018427387903", "x", "1.5", "", "01", "20", "-20"]);
}

/** A LIMIT offset/count pair's element. */
function limitArg(g: Gen): string {
  return g.rng.chance(0.9) ? String(g.rng.range(-2, 5)) : g.rng.pick(["x", "9223372036854775807", "-9223372036854775808", ""]);
}

function numkeys(g: Gen, n: number): string {
  const r = g.rng.int(100);
  if (r < 90) return String(n);
  return g.rng.pick(["0", "-1", String(n + 1), "x", String(n + 5), ""]);
}

function scanTail(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.range(0, 2);
  for (let i = 0; i < n; i++) {
    const r = g.rng.int(10);
    if (r < 4) out.push(g.opt("count"), g.rng.chance(0.85) ? String(g.rng.range(1, 20)) : g.rng.pick(["0", "-1", "x"]));
    else if (r < 8) out.push(g.opt("match"), g.rng.pick(["*", "a*", "*1*", "[a-c]", "?", "\\*", "m*", ""]));
    else out.push(g.rng.pick(["type", "COUNT", "novalues", "MATCH"]), ...(g.rng.chance(0.5) ? ["set"] : []));
  }
  return out;
}

// --- generators ------------------------------------------------------------------------------------

export type SzMode = "exact" | "set-order" | "scan" | "random" | "spop";

export interface SzStep {
  argv: string[];
  mode: SzMode;
}

export interface SzGenerator {
  name: string;
  arity: number;
  weight: number;
  mode: SzMode;
  gen(g: Gen): string[];
}

function gen(name: string, arity: number, weight: number, make: (g: Gen) => string[], mode: SzMode = "exact"): SzGenerator {
  return { name, arity, weight, mode, gen: make };
}

export const SET_GENERATORS: readonly SzGenerator[] = [
  gen("sadd", -3, 14, (g) => [g.name("sadd"), setKey(g), ...members(g, 1, 6)]),
  gen("srem", -3, 5, (g) => [g.name("srem"), setKey(g), ...members(g, 1, 4)]),
  gen("scard", 2, 2, (g) => [g.name("scard"), setKey(g)]),
  gen("sismember", 3, 3, (g) => [g.name("sismember"), setKey(g), member(g)]),
  gen("smismember", -3, 2, (g) => [g.name("smismember"), setKey(g), ...members(g, 1, 4)]),
  gen("smembers", 2, 4, (g) => [g.name("smembers"), setKey(g)], "set-order"),
  gen("srandmember", -2, 4, (g) => [g.name("srandmember"), setKey(g), ...(g.rng.chance(0.8) ? [randomCount(g)] : []), ...(g.rng.chance(0.03) ? ["x"] : [])], "random"),
  gen("spop", -2, 4, (g) => [g.name("spop"), setKey(g), ...(g.rng.chance(0.6) ? [count(g)] : []), ...(g.rng.chance(0.03) ? ["1"] : [])], "spop"),
  gen("smove", 4, 4, (g) => [g.name("smove"), setKey(g), setKey(g), member(g)]),
  gen("sinter", -2, 3, (g) => [g.name("sinter"), ...inputKeys(g, SET_KEYS, 1, 3)], "set-order"),
  gen("sintercard", -3, 3, (g) => {
    const keys = inputKeys(g, SET_KEYS, 1, 3);
    const tail = g.rng.chance(0.4) ? [g.opt("limit"), g.rng.chance(0.85) ? String(g.rng.range(0, 4)) : g.rng.pick(["-1", "x"])] : [];
    if (g.rng.chance(0.05)) tail.push(g.rng.pick(["LIMIT", "foo"]));
    return [g.name("sintercard"), numkeys(g, keys.length), ...keys, ...tail];
  }),
  gen("sinterstore", -3, 3, (g) => [g.name("sinterstore"), storeKey(g, SET_KEYS), ...inputKeys(g, SET_KEYS, 1, 3)]),
  gen("sunion", -2, 3, (g) => [g.name("sunion"), ...inputKeys(g, SET_KEYS, 1, 3)], "set-order"),
  gen("sunionstore", -3, 3, (g) => [g.name("sunionstore"), storeKey(g, SET_KEYS), ...inputKeys(g, SET_KEYS, 1, 3)]),
  gen("sdiff", -2, 3, (g) => [g.name("sdiff"), ...inputKeys(g, SET_KEYS, 1, 3)], "set-order"),
  gen("sdiffstore", -3, 3, (g) => [g.name("sdiffstore"), storeKey(g, SET_KEYS), ...inputKeys(g, SET_KEYS, 1, 3)]),
  gen("sscan", -3, 3, (g) => [g.name("sscan"), setKey(g), g.rng.chance(0.9) ? "0" : g.rng.pick(["x", "-1", "5"]), ...scanTail(g)], "scan"),
];

/** ZADD's options, in any order and combination (conflicts included). */
function zaddOptions(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.chance(0.5) ? 0 : g.rng.range(1, 3);
  for (let i = 0; i < n; i++) out.push(g.opt(g.rng.pick(["nx", "xx", "gt", "lt", "ch", "incr", "ch", "gt", "xx"])));
  return out;
}

function zaddPairs(g: Gen, lex: boolean): string[] {
  const n = g.rng.chance(0.97) ? g.rng.range(1, 5) : 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(lex ? "0" : score(g), lex ? lexMember(g) : member(g));
  if (g.rng.chance(0.03)) out.push(score(g));
  return out;
}

/** ZRANGE's options (ZRANGE takes them all; the older forms only some). */
function zrangeOptions(g: Gen, allowed: readonly string[]): string[] {
  const out: string[] = [];
  const n = g.rng.range(0, 2);
  for (let i = 0; i < n; i++) {
    const o = g.rng.pick(allowed);
    if (o === "limit") out.push(g.opt("limit"), limitArg(g), limitArg(g));
    else out.push(g.opt(o));
  }
  return out;
}

/** ZRANGE / ZRANGESTORE's min and max for a by-rank, by-score or by-lex range. */
function zrangeCall(g: Gen, store: boolean): string[] {
  const kind = g.rng.pick(["rank", "score", "lex"]);
  const key = kind === "lex" ? lexKey(g) : zsetKey(g);
  const [min, max] = kind === "rank" ? [rank(g), rank(g)] : kind === "score" ? [rangeScore(g), rangeScore(g)] : [rangeLex(g), rangeLex(g)];
  const opts: string[] = [];
  if (kind === "score" && g.rng.chance(0.95)) opts.push(g.opt("byscore"));
  if (kind === "lex" && g.rng.chance(0.95)) opts.push(g.opt("bylex"));
  if (g.rng.chance(0.35)) opts.push(g.opt("rev"));
  if (!store && g.rng.chance(0.35)) opts.push(g.opt("withscores"));
  if (kind !== "rank" && g.rng.chance(0.35)) opts.push(g.opt("limit"), limitArg(g), limitArg(g));
  if (g.rng.chance(0.06)) opts.push(g.rng.pick(["limit", "bylex", "withscores", "foo", "rev", "byscore"]));
  g.rng.shuffle(opts);
  return store ? [g.name("zrangestore"), storeKey(g, ZSET_KEYS), key, min, max, ...opts] : [g.name("zrange"), key, min, max, ...opts];
}

/** ZUNION/ZINTER/ZDIFF and STORE forms: keys, then WEIGHTS / AGGREGATE / WITHSCORES. */
function zsetOpCall(g: Gen, name: string, store: boolean, diff: boolean): string[] {
  const keys = inputKeys(g, [...ZSET_KEYS, ...ZSET_KEYS, SET_KEYS[0]], 1, 3);
  const tail: string[] = [];
  if (!diff && g.rng.chance(0.35)) {
    tail.push(g.opt("weights"));
    for (let i = 0; i < keys.length + (g.rng.chance(0.05) ? -1 : 0); i++) {
      tail.push(g.rng.chance(0.9) ? g.rng.pick(["1", "2", "0", "-1", "0.5", "inf", "-inf"]) : g.rng.pick(["x", "nan", ""]));
    }
  }
  if (!diff && g.rng.chance(0.35)) tail.push(g.opt("aggregate"), g.rng.chance(0.9) ? g.opt(g.rng.pick(["sum", "min", "max"])) : "avg");
  if (!store && g.rng.chance(0.4)) tail.push(g.opt("withscores"));
  if (g.rng.chance(0.05)) tail.push(g.rng.pick(["weights", "aggregate", "withscores", "limit", "1"]));
  const head = store ? [g.name(name), storeKey(g, ZSET_KEYS)] : [g.name(name)];
  return [...head, numkeys(g, keys.length), ...keys, ...tail];
}

export const ZSET_GENERATORS: readonly SzGenerator[] = [
  gen("zadd", -4, 16, (g) => {
    const lex = g.rng.chance(0.2);
    return [g.name("zadd"), lex ? LEX_KEY : zsetWriteKey(g), ...(lex ? [] : zaddOptions(g)), ...zaddPairs(g, lex)];
  }),
  gen("zincrby", 4, 4, (g) => [g.name("zincrby"), zsetWriteKey(g), g.rng.chance(0.95) ? score(g) : g.rng.pick(["nx", "incr"]), member(g)]),
  gen("zrem", -3, 5, (g) => [g.name("zrem"), g.rng.chance(0.2) ? LEX_KEY : zsetKey(g), ...members(g, 1, 4)]),
  gen("zcard", 2, 2, (g) => [g.name("zcard"), zsetKey(g)]),
  gen("zscore", 3, 3, (g) => [g.name("zscore"), zsetKey(g), member(g)]),
  gen("zmscore", -3, 2, (g) => [g.name("zmscore"), zsetKey(g), ...members(g, 1, 4)]),
  gen("zrank", 3, 3, (g) => [g.name("zrank"), zsetKey(g), member(g)]),
  gen("zrevrank", 3, 2, (g) => [g.name("zrevrank"), zsetKey(g), member(g)]),
  gen("zcount", 4, 3, (g) => [g.name("zcount"), zsetKey(g), rangeScore(g), rangeScore(g)]),
  gen("zlexcount", 4, 3, (g) => [g.name("zlexcount"), lexKey(g), rangeLex(g), rangeLex(g)]),
  gen("zrange", -4, 10, (g) => zrangeCall(g, false)),
  gen("zrangestore", -5, 3, (g) => zrangeCall(g, true)),
  gen("zrevrange", -4, 3, (g) => [g.name("zrevrange"), zsetKey(g), rank(g), rank(g), ...zrangeOptions(g, ["withscores", "withscores", "limit", "rev"])]),
  gen("zrangebyscore", -4, 3, (g) => [g.name("zrangebyscore"), zsetKey(g), rangeScore(g), rangeScore(g), ...zrangeOptions(g, ["withscores", "limit", "limit", "byscore"])]),
  gen("zrevrangebyscore", -4, 3, (g) => [g.name("zrevrangebyscore"), zsetKey(g), rangeScore(g), rangeScore(g), ...zrangeOptions(g, ["withscores", "limit", "limit"])]),
  gen("zrangebylex", -4, 3, (g) => [g.name("zrangebylex"), lexKey(g), rangeLex(g), rangeLex(g), ...zrangeOptions(g, ["limit", "limit", "withscores"])]),
  gen("zrevrangebylex", -4, 2, (g) => [g.name("zrevrangebylex"), lexKey(g), rangeLex(g), rangeLex(g), ...zrangeOptions(g, ["limit", "limit"])]),
  gen("zremrangebyrank", 4, 2, (g) => [g.name("zremrangebyrank"), zsetKey(g), rank(g), rank(g)]),
  gen("zremrangebyscore", 4, 2, (g) => [g.name("zremrangebyscore"), zsetKey(g), rangeScore(g), rangeScore(g)]),
  gen("zremrangebylex", 4, 1, (g) => [g.name("zremrangebylex"), lexKey(g), rangeLex(g), rangeLex(g)]),
  gen("zpopmin", -2, 3, (g) => [g.name("zpopmin"), zsetKey(g), ...(g.rng.chance(0.6) ? [count(g)] : []), ...(g.rng.chance(0.03) ? ["1"] : [])]),
  gen("zpopmax", -2, 3, (g) => [g.name("zpopmax"), g.rng.chance(0.15) ? LEX_KEY : zsetKey(g), ...(g.rng.chance(0.6) ? [count(g)] : [])]),
  gen("zmpop", -4, 3, (g) => {
    const keys = inputKeys(g, ZSET_KEYS, 1, 3);
    const tail = [g.rng.chance(0.95) ? g.opt(g.rng.pick(["min", "max"])) : g.rng.pick(["mid", ""])];
    if (g.rng.chance(0.5)) tail.push(g.opt("count"), g.rng.chance(0.85) ? String(g.rng.range(1, 6)) : g.rng.pick(["0", "-1", "x"]));
    if (g.rng.chance(0.04)) tail.push(g.rng.pick(["count", "COUNT", "1"]));
    return [g.name("zmpop"), numkeys(g, keys.length), ...keys, ...tail];
  }),
  gen("zrandmember", -2, 4, (g) => {
    const out = [g.name("zrandmember"), zsetKey(g)];
    if (g.rng.chance(0.8)) out.push(randomCount(g));
    if (out.length === 3 && g.rng.chance(0.5)) out.push(g.rng.chance(0.95) ? g.opt("withscores") : "withscore");
    return out;
  }, "random"),
  gen("zunion", -3, 3, (g) => zsetOpCall(g, "zunion", false, false)),
  gen("zinter", -3, 3, (g) => zsetOpCall(g, "zinter", false, false)),
  gen("zdiff", -3, 3, (g) => zsetOpCall(g, "zdiff", false, true)),
  gen("zunionstore", -4, 2, (g) => zsetOpCall(g, "zunionstore", true, false)),
  gen("zinterstore", -4, 2, (g) => zsetOpCall(g, "zinterstore", true, false)),
  gen("zdiffstore", -4, 2, (g) => zsetOpCall(g, "zdiffstore", true, true)),
  gen("zintercard", -3, 2, (g) => {
    const keys = inputKeys(g, [...ZSET_KEYS, SET_KEYS[0]], 1, 3);
    const tail = g.rng.chance(0.4) ? [g.opt("limit"), g.rng.chance(0.85) ? String(g.rng.range(0, 4)) : g.rng.pick(["-1", "x"])] : [];
    if (g.rng.chance(0.05)) tail.push(g.rng.pick(["LIMIT", "withscores"]));
    return [g.name("zintercard"), numkeys(g, keys.length), ...keys, ...tail];
  }),
  gen("zscan", -3, 3, (g) => [g.name("zscan"), g.rng.chance(0.15) ? LEX_KEY : zsetKey(g), g.rng.chance(0.9) ? "0" : g.rng.pick(["x", "-1", "5"]), ...scanTail(g)], "scan"),
];

/** Cross-type and wrong-arity probes, compared exactly. */
function probe(g: Gen): string[] {
  const r = g.rng.int(10);
  if (r < 4) return ["OBJECT", "ENCODING", g.rng.pick(SZ_KEYS)];
  if (r < 6) return ["TYPE", g.rng.pick(SZ_KEYS)];
  if (r < 8) {
    const c = g.rng.pick([...SET_GENERATORS, ...ZSET_GENERATORS]);
    // One argument short of the arity (exact arity) or of the minimum (negative arity).
    const n = c.arity > 0 ? c.arity - 1 : -c.arity - 1;
    return [g.name(c.name), ...Array.from({ length: Math.max(0, n - 1) }, () => g.rng.pick(SZ_KEYS))];
  }
  return ["COPY", g.rng.pick([...SET_KEYS, ...ZSET_KEYS, ANY_KEY]), g.rng.pick([...SET_KEYS, ...ZSET_KEYS, ANY_KEY]), "REPLACE"];
}

/**
 * The `count` steps of the sequence named by `seed` over the given families ("sets",
 * "zsets"). It first sets small encoding thresholds (drawn from the seed) on both sides, so
 * intset → hashtable and listpack → skiplist conversions happen within a few commands.
 */
export function generateSzSteps(seed: number, count: number, families: readonly ("sets" | "zsets")[]): SzStep[] {
  const rng = new Rng(seed);
  const g = new Gen(rng, SZ_KEYS);
  const chosen = [...(families.includes("sets") ? SET_GENERATORS : []), ...(families.includes("zsets") ? ZSET_GENERATORS : [])];
  const steps: SzStep[] = [
    { argv: ["CONFIG", "SET", "set-max-intset-entries", String(rng.pick([0, 1, 3, 5, 8, 512]))], mode: "exact" },
    { argv: ["CONFIG", "SET", "zset-max-listpack-entries", String(rng.pick([0, 1, 3, 6, 10, 128]))], mode: "exact" },
    { argv: ["CONFIG", "SET", "zset-max-listpack-value", String(rng.pick([0, 2, 8, 64]))], mode: "exact" },
    { argv: ["SET", STRING_KEY, "string"], mode: "exact" },
  ];
  const probeWeight = 4;
  const total = chosen.reduce((s, c) => s + c.weight, 0) + probeWeight;
  while (steps.length < count) {
    let r = rng.int(total);
    if (r < probeWeight) {
      steps.push({ argv: probe(g), mode: "exact" });
      continue;
    }
    r -= probeWeight;
    for (const c of chosen) {
      r -= c.weight;
      if (r < 0) {
        steps.push({ argv: c.gen(g), mode: c.mode });
        break;
      }
    }
  }
  return steps;
}

/** Reads back every key: type, encoding and whole contents. */
export function szStateSteps(): SzStep[] {
  return SZ_KEYS.flatMap((k) => [
    { argv: ["TYPE", k], mode: "exact" as const },
    { argv: ["OBJECT", "ENCODING", k], mode: "exact" as const },
    { argv: ["SMEMBERS", k], mode: "set-order" as const },
    { argv: ["ZRANGE", k, "0", "-1", "WITHSCORES"], mode: "exact" as const },
  ]);
}
