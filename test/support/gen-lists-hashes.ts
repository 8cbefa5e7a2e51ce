/**
 * Differential generators for the list and hash families, on top of the shared half in
 * test/support/differential.ts (its argument makers, error generators and reply comparisons,
 * used read-only) and the PRNG of test/support/random.ts. A sequence is seeded, runs over a few keys in one hash tag ({t}) so every
 * multi-key command stays in one slot, and mixes valid commands with every class of bad
 * argument (wrong type, not an integer, syntax, out of range, wrong arity).
 *
 * Comparison modes beyond exact bytes, and why:
 * - `shape` (HRANDFIELD): the reply depends on chance; the type and length must match.
 * - `hash-order` (HKEYS, HVALS, HGETALL, HSCAN): exact while the hash is listpack-encoded
 *   (Redis then returns insertion order, as Hotslot does); once it is a hashtable Redis's
 *   order is its dict's, so the elements are compared as a multiset of (field, value)
 *   pairs, and an HSCAN that did not finish in one call (or started from a cursor other
 *   than 0) by shape. Which case applies is
 *   decided from Hotslot's encoding just before the command runs; OBJECT ENCODING steps in
 *   the sequence check that both sides agree on it.
 */
import { ERROR_GENERATORS, Gen, sameReply, type CommandGenerator } from "./differential";
import { Rng } from "./random";
import { parseReply, type Resp } from "./resp-wire";

/**
 * Keys in one slot: a handful, so lists and hashes grow and commands collide. Lists mostly
 * use the first three and hashes the next three (so each type reaches sizes where its
 * edge cases live), but each sometimes names any key, meeting the other types (WRONGTYPE).
 */
const LIST_KEYS = ["{t}a", "{t}b", "{t}\x00\xff"];
const HASH_KEYS = ["{t}h", "{t}i", "{t}\r\n"];
export const LH_KEYS: readonly string[] = [...LIST_KEYS, ...HASH_KEYS, "{t}s"];

function listKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(LIST_KEYS) : g.key();
}

function hashKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(HASH_KEYS) : g.key();
}

export type LhMode = "exact" | "shape" | "hash-order";

export interface LhStep {
  argv: string[];
  mode: LhMode;
}

interface LhGenerator {
  name: string;
  arity: number;
  weight: number;
  mode: LhMode;
  gen(g: Gen): string[];
}

function gen(name: string, arity: number, weight: number, make: (g: Gen) => string[], mode: LhMode = "exact"): LhGenerator {
  return { name, arity, weight, mode, gen: make };
}

// --- argument makers -------------------------------------------------------------------

const ELEMENTS = ["a", "b", "c", "a", "b", "", "1", "-1", "\x00", "x y", "\r\n", "\xff\xfe"];

/** A list element: mostly from a small set (so LREM, LPOS, LINSERT find matches). */
function element(g: Gen): string {
  return g.rng.chance(0.85) ? g.rng.pick(ELEMENTS) : g.value();
}

function elements(g: Gen, min: number, max: number): string[] {
  return Array.from({ length: g.rng.range(min, max) }, () => element(g));
}

/** A list index: mostly within ±8, sometimes at the int64 limits or malformed. */
function index(g: Gen): string {
  return g.rng.chance(0.85) ? String(g.rng.range(-8, 8)) : g.index();
}

/** A count for LPOP/RPOP/LPOS/LMPOP: small, zero, negative, huge or malformed. */
function count(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 70) return String(g.rng.range(0, 6));
  if (r < 80) return String(g.rng.range(-3, -1));
  return g.rng.pick(["9223372036854775807", "9223372036854775808", "-9223372036854775808", "x", "1.5", "", "01"]);
}

/** Like `count`, but valid (0–5) nine times in ten, for commands with several of them. */
function smallCount(g: Gen): string {
  return g.rng.chance(0.9) ? String(g.rng.range(0, 5)) : count(g);
}

function end(g: Gen): string {
  return g.rng.chance(0.95) ? g.opt(g.rng.pick(["left", "right"])) : g.rng.pick(["up", "LEFTX", ""]);
}

const FIELDS = ["f", "g", "h", "1", "-7", "", "\x00", "f\r\n", "\xff", "long-field-name-of-twenty-five"];

/** A hash field: from a small set (so updates and deletes hit), sometimes anything. */
function field(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(FIELDS) : g.value();
}

/** A hash value: numeric-looking half the time, so the counters find integers and floats. */
function hvalue(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 35) return String(g.rng.range(-50, 50));
  if (r < 45) return g.float();
  return g.value();
}

function lposOptions(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.range(0, 3);
  for (let i = 0; i < n; i++) {
    const r = g.rng.int(10);
    if (r < 3) out.push(g.opt("rank"), g.rng.chance(0.9) ? String(g.rng.range(-4, 4)) : g.int());
    else if (r < 6) out.push(g.opt("count"), smallCount(g));
    else if (r < 9) out.push(g.opt("maxlen"), smallCount(g));
    else out.push(g.rng.pick(["FOO", "RANK", "COUNT"]));
  }
  return out;
}

function lmpop(g: Gen): string[] {
  const n = g.rng.range(1, 3);
  const keys = Array.from({ length: n }, () => listKey(g));
  const r = g.rng.int(100);
  // Mostly the right numkeys; sometimes one that is bad or overruns the arguments.
  const numkeys = r < 85 ? String(n) : g.rng.pick(["0", "-1", "x", String(n + 1), String(n + 5), "9223372036854775807"]);
  const argv = [g.name("lmpop"), numkeys, ...keys, end(g)];
  if (g.rng.chance(0.6)) argv.push(g.opt("count"), g.rng.chance(0.9) ? String(g.rng.range(1, 5)) : count(g));
  if (g.rng.chance(0.05)) argv.push(g.rng.pick(["COUNT", "FOO"]));
  return argv;
}

function hscanOptions(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.range(0, 2);
  for (let i = 0; i < n; i++) {
    const r = g.rng.int(10);
    if (r < 5) out.push(g.opt("count"), g.rng.pick(["1000", "1000", "1000", "3", "1", "0", "-1", "x"]));
    else if (r < 9) out.push(g.opt("match"), g.rng.pick(["*", "f*", "?", "[fg]", "*\x00*", "h", "", "[", "\\f"]));
    else out.push(g.rng.pick(["TYPE", "FOO", "COUNT"]), "hash");
  }
  return out;
}

function fieldValuePairs(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.range(1, 3);
  for (let i = 0; i < n; i++) out.push(field(g), hvalue(g));
  if (g.rng.chance(0.04)) out.pop();
  return out;
}

// --- the families ---------------------------------------------------------------------------

export const LIST_GENERATORS: readonly LhGenerator[] = [
  gen("lpush", -3, 6, (g) => [g.name("lpush"), listKey(g), ...elements(g, 1, 4)]),
  gen("rpush", -3, 6, (g) => [g.name("rpush"), listKey(g), ...elements(g, 1, 4)]),
  gen("lpushx", -3, 2, (g) => [g.name("lpushx"), listKey(g), ...elements(g, 1, 2)]),
  gen("rpushx", -3, 2, (g) => [g.name("rpushx"), listKey(g), ...elements(g, 1, 2)]),
  gen("lpop", -2, 3, (g) => (g.rng.chance(0.5) ? [g.name("lpop"), listKey(g)] : [g.name("lpop"), listKey(g), count(g)])),
  gen("rpop", -2, 3, (g) => (g.rng.chance(0.5) ? [g.name("rpop"), listKey(g)] : [g.name("rpop"), listKey(g), count(g)])),
  gen("llen", 2, 2, (g) => [g.name("llen"), listKey(g)]),
  gen("lrange", 4, 4, (g) => [g.name("lrange"), listKey(g), index(g), index(g)]),
  gen("lindex", 3, 3, (g) => [g.name("lindex"), listKey(g), index(g)]),
  gen("lset", 4, 3, (g) => [g.name("lset"), listKey(g), index(g), element(g)]),
  gen("linsert", 5, 3, (g) => [
    g.name("linsert"),
    listKey(g),
    g.rng.chance(0.95) ? g.opt(g.rng.pick(["before", "after"])) : "middle",
    element(g),
    element(g),
  ]),
  gen("lrem", 4, 3, (g) => [g.name("lrem"), listKey(g), g.rng.chance(0.9) ? String(g.rng.range(-3, 3)) : g.int(), element(g)]),
  gen("ltrim", 4, 2, (g) => [g.name("ltrim"), listKey(g), index(g), index(g)]),
  gen("lpos", -3, 4, (g) => [g.name("lpos"), listKey(g), element(g), ...lposOptions(g)]),
  gen("lmove", 5, 3, (g) => [g.name("lmove"), listKey(g), listKey(g), end(g), end(g)]),
  gen("rpoplpush", 3, 2, (g) => [g.name("rpoplpush"), listKey(g), listKey(g)]),
  gen("lmpop", -4, 3, lmpop),
];

export const HASH_GENERATORS: readonly LhGenerator[] = [
  gen("hset", -4, 8, (g) => [g.name("hset"), hashKey(g), ...fieldValuePairs(g)]),
  gen("hmset", -4, 2, (g) => [g.name("hmset"), hashKey(g), ...fieldValuePairs(g)]),
  gen("hsetnx", 4, 2, (g) => [g.name("hsetnx"), hashKey(g), field(g), hvalue(g)]),
  gen("hget", 3, 4, (g) => [g.name("hget"), hashKey(g), field(g)]),
  gen("hmget", -3, 2, (g) => [g.name("hmget"), hashKey(g), field(g), field(g)]),
  gen("hdel", -3, 3, (g) => [g.name("hdel"), hashKey(g), ...Array.from({ length: g.rng.range(1, 3) }, () => field(g))]),
  gen("hlen", 2, 2, (g) => [g.name("hlen"), hashKey(g)]),
  gen("hstrlen", 3, 2, (g) => [g.name("hstrlen"), hashKey(g), field(g)]),
  gen("hexists", 3, 2, (g) => [g.name("hexists"), hashKey(g), field(g)]),
  gen("hkeys", 2, 2, (g) => [g.name("hkeys"), hashKey(g)], "hash-order"),
  gen("hvals", 2, 2, (g) => [g.name("hvals"), hashKey(g)], "hash-order"),
  gen("hgetall", 2, 3, (g) => [g.name("hgetall"), hashKey(g)], "hash-order"),
  gen("hincrby", 4, 4, (g) => [g.name("hincrby"), hashKey(g), field(g), g.rng.chance(0.8) ? String(g.rng.range(-20, 20)) : g.int()]),
  gen("hincrbyfloat", 4, 4, (g) => [g.name("hincrbyfloat"), hashKey(g), field(g), g.float()]),
  gen(
    "hrandfield",
    -2,
    3,
    (g) => {
      const argv = [g.name("hrandfield"), hashKey(g)];
      if (g.rng.chance(0.8)) argv.push(g.rng.chance(0.85) ? String(g.rng.range(-12, 12)) : g.rng.pick(["x", "-9223372036854775808", "9223372036854775808"]));
      if (argv.length === 3 && g.rng.chance(0.5)) argv.push(g.rng.chance(0.95) ? g.opt("withvalues") : "WITHVALUE");
      return argv;
    },
    "shape",
  ),
  gen(
    "hscan",
    -3,
    3,
    (g) => [g.name("hscan"), hashKey(g), g.rng.chance(0.9) ? "0" : g.rng.pick(["abc", "-1", "7"]), ...hscanOptions(g)],
    "hash-order",
  ),
];

/** Other commands over the same keys: strings (for WRONGTYPE), deletion, inspection. */
export const SHARED_GENERATORS: readonly LhGenerator[] = [
  // Mostly on the string key: a string elsewhere stays until DEL, starving the other types.
  gen("set", -3, 1, (g) => [g.name("set"), g.rng.chance(0.8) ? "{t}s" : g.key(), g.value()]),
  gen("del", -2, 2, (g) => [g.name("del"), g.key()]),
  gen("type", 2, 1, (g) => [g.name("type"), g.key()]),
  gen("exists", -2, 1, (g) => [g.name("exists"), g.key()]),
  // The subcommand without NUL-suffixed variants: Redis's lookup of those depends on its
  // per-start hash seed.
  gen("object", -2, 2, (g) => [g.name("object"), g.name("encoding"), g.key()]),
];

/**
 * The `count` steps named by `seed`. The first steps pick the listpack thresholds for the
 * run (the same CONFIG SET is sent to both sides), so conversions happen at small sizes.
 */
export function generateLhSteps(seed: number, count: number, families: readonly ("lists" | "hashes")[]): LhStep[] {
  const rng = new Rng(seed);
  const chosen: LhGenerator[] = [...SHARED_GENERATORS];
  if (families.includes("lists")) chosen.push(...LIST_GENERATORS);
  if (families.includes("hashes")) chosen.push(...HASH_GENERATORS);
  const active: CommandGenerator[] = chosen.map((c) => ({ ...c, keys: "one", compare: "exact" }));
  const g = new Gen(rng, LH_KEYS, active);
  const steps: LhStep[] = [
    { argv: ["CONFIG", "SET", "hash-max-listpack-entries", String(rng.pick([2, 4, 8, 16, 512]))], mode: "exact" },
    { argv: ["CONFIG", "SET", "hash-max-listpack-value", String(rng.pick([4, 8, 16, 64]))], mode: "exact" },
    { argv: ["SET", "{t}s", "string"], mode: "exact" },
  ];
  const errorWeight = 3;
  const total = chosen.reduce((s, c) => s + c.weight, 0) + errorWeight;
  while (steps.length < count) {
    let r = rng.int(total);
    if (r < errorWeight) {
      const e = rng.pick(ERROR_GENERATORS);
      steps.push({ argv: e.gen(g), mode: "exact" });
      continue;
    }
    r -= errorWeight;
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

/** Reads back every key: type, encoding and whole contents (lists by LRANGE, hashes by HGETALL). */
export function lhStateSteps(): LhStep[] {
  return LH_KEYS.flatMap((k) => [
    { argv: ["TYPE", k], mode: "exact" as const },
    { argv: ["OBJECT", "ENCODING", k], mode: "exact" as const },
    { argv: ["LRANGE", k, "0", "-1"], mode: "exact" as const },
    { argv: ["HGETALL", k], mode: "hash-order" as const },
  ]);
}

// --- comparing ---------------------------------------------------------------------------------

/** The (field, value) pairs of a flat array reply, sorted; null when it is not one. */
function sortedPairs(r: Resp): string[] | null {
  if (r.type !== "*" || r.items === null || r.items.length % 2 !== 0) return null;
  const pairs: string[] = [];
  for (let i = 0; i < r.items.length; i += 2) pairs.push(JSON.stringify([r.items[i].raw, r.items[i + 1].raw]));
  return pairs.sort();
}

function sameSorted(x: string[] | null, y: string[] | null): boolean {
  return x !== null && y !== null && x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Whether Hotslot's reply matches Redis's for a step. `listpack` says whether the hash the
 * command read was listpack-encoded on Hotslot's side just before it ran (or absent).
 */
export function sameLhReply(step: LhStep, listpack: boolean, ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (step.mode === "exact") return false;
  if (step.mode === "shape") return sameReply("shape", ours, theirs);
  // hash-order on a hashtable-encoded hash.
  if (listpack) return false;
  const a = parseReply(ours);
  const b = parseReply(theirs);
  const name = step.argv[0].toLowerCase();
  if (name === "hkeys" || name === "hvals") return sameReply("unordered", ours, theirs);
  if (name === "hgetall") return sameSorted(sortedPairs(a), sortedPairs(b));
  // HSCAN: a scan from 0 that finished compares its pairs; an unfinished one, or one from
  // a cursor the server never handed out (its meaning is the server's own: Redis's is a
  // reverse-binary bucket index), only its shape.
  if (a.type !== "*" || b.type !== "*" || a.items?.length !== 2 || b.items?.length !== 2) return false;
  const [ca, ia] = a.items;
  const [cb, ib] = b.items;
  if (ca.type !== "$" || cb.type !== "$" || ia.type !== "*" || ib.type !== "*") return false;
  if (step.argv[2] === "0" && ca.text === "0" && cb.text === "0") return sameSorted(sortedPairs(ia), sortedPairs(ib));
  return sortedPairs(ia) !== null && sortedPairs(ib) !== null;
}
