/**
 * Differential test for SORT and SORT_RO: seeded random SORT commands over lists, sets
 * (intset and hash table), sorted sets, hashes and strings, all in the hash tag {s}, run
 * by Hotslot's Executor in Node and by a real redis-server 7.0 started here; every reply
 * is compared as raw RESP2 bytes. Each round builds fresh data, then mixes SORTs (with
 * random BY, GET, LIMIT, ASC/DESC, ALPHA and STORE, syntax errors and wrong types) with
 * small changes to the data; after a STORE the stored list is read back on both sides.
 *
 * What cannot be compared byte for byte, and how it is compared instead:
 * - The order of a hash-table set (and of a sorted set, when it is sorted) is Redis's dict
 *   order, which nobody can match. Results that depend on it — BY nosort on such a set
 *   without STORE, and ALPHA sorts of one where two members weigh the same (equal BY
 *   weights, both missing, or equal up to a NUL without STORE) — are compared by shape
 *   (same length, or the same error), and a STORE of one is deleted on both sides after.
 * - BY/GET patterns that may reach other slots: Hotslot refuses them (Redis Cluster's
 *   rule, with patternHashSlot, which test/unit/sort.test.ts checks case by case) where a
 *   non-cluster Redis runs the command, so only Hotslot's error is checked, and whatever
 *   Redis stored is deleted on both sides.
 * - Weights that overflow or underflow (strtod's ERANGE) are left out of the random
 *   rounds: Redis 7.0 reads errno without clearing it, so after one such weight every
 *   later numeric SORT on the same connection fails too. The second test checks them one
 *   by one, on a fresh connection after every error.
 *
 * SORT_DIFF_SEEDS="1-100" and SORT_DIFF_ROUNDS explore beyond the default run;
 * SORT_DIFF_STATS=1 prints what was covered, SORT_DIFF_DUMP=<dir> writes a failing
 * round's commands there (JSON) for replay.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { ERR_SORT_BY_SLOT, ERR_SORT_GET_SLOT, patternHashSlot } from "../../src/commands/sort";
import { HashValue } from "../../src/engine/hash";
import { Keyspace } from "../../src/engine/keyspace";
import { RedisSet } from "../../src/engine/set";
import { SortedSet } from "../../src/engine/zset";
import { keySlot } from "../../src/util/keyslot";
import { formatMismatch, seedList } from "../support/differential";
import { expectSameCommandInfo, expectSameKeys, hotslotReply as run } from "../support/differential-harness";
import { Rng } from "../support/random";
import { RawRespClient, parseReply, printable } from "../support/resp-wire";
import { useReferenceRedis } from "../support/reference-redis";

const SEEDS = seedList(process.env.SORT_DIFF_SEEDS ?? "1-12");
const ROUNDS_PER_SEED = Number(process.env.SORT_DIFF_ROUNDS ?? 8);
const SORTS_PER_ROUND = 60;

const redis = useReferenceRedis();

// --- the data ------------------------------------------------------------------------------

const T = "{s}";
const LISTS = [`${T}L0`, `${T}L1`, `${T}L2`];
const INTSET = `${T}S0`;
const SET = `${T}S1`;
const ZSETS = [`${T}Z0`, `${T}Z1`];
const STRING = `${T}str`;
const HASH = `${T}hash`;
const MISSING = `${T}none`;
const DESTS = [`${T}D0`, `${T}D1`];

/** Integers in canonical form (a set of only these stays an intset). */
const INTS = ["0", "1", "2", "3", "5", "8", "13", "-1", "-7", "10", "42", "-100"];
/** Numbers strtod reads without ERANGE, in several spellings. */
const NUMBERS = [...INTS, "1.5", "-2.25", "1e2", "0x10", " 4", "+6", ".5", "inf", "-inf", "", "3.0", "-0", "007", "\t9", "2.5e-3", "0x1p3"];
/** Text: case, bytes above 127, NULs (C strings compare up to them), spaces, pattern characters. */
const WORDS = ["a", "b", "c", "B", "ab", "a\x00b", "a\x00c", "a\x00", "\xff", "\xc3\xa9", "x y", "*", "->", "{s}", "#", "A"];
/** Not numbers for strtod (none of them sets ERANGE). */
const NOT_NUMBERS = ["abc", "5 ", "nan", "1e", "0x", "--1", "1,5", "-nan"];

const BY_PATTERNS = [
  `${T}w_*`, `${T}w_*`, `${T}w_*`, `${T}h_*->f`, `${T}h_*->g`, "nosort", `${T}none_*`, `${T}h_*`, `${T}w_*->f`,
  `${T}w_*\x00z`, `${T}w\x00_*`, `${T}h_*->\x00f`, `${T}h_*->f\x00g`, `w_${T}*`, `${T}w_?*`, `${T}const`,
];
const GET_PATTERNS = [
  "#", "#", `${T}w_*`, `${T}w_*`, `${T}h_*->f`, `${T}h_*->g`, `${T}const`, `${T}h_*->`, `${T}w_*\x00z`, "#\x00x", `${T}h_*`,
];
/** Patterns whose keys may hash outside {s}'s slot: Hotslot refuses them. */
const DENIED_BY = ["w_*", "{x}w_*", "*{s}", "\\{s}w_*", "{}{s}w_*", "{s*}w", "[{s}]*"];
const DENIED_GET = ["w_*", "{x}w_*", "const", "*", "#x", "{}{s}w_*"];

interface Round {
  /** What list elements and set members are drawn from. */
  elements: readonly string[];
  /** What weights (strings and hash fields) are drawn from. */
  weights: readonly string[];
}

function pickRound(rng: Rng): Round {
  const r = rng.int(4);
  if (r === 0) return { elements: INTS, weights: NUMBERS };
  if (r === 1) return { elements: NUMBERS, weights: NUMBERS };
  if (r === 2) return { elements: [...NUMBERS, ...WORDS], weights: [...NUMBERS, ...WORDS] };
  return { elements: [...INTS, ...WORDS, ...NOT_NUMBERS], weights: [...NUMBERS, ...WORDS, ...NOT_NUMBERS] };
}

/** Commands that build a round's data from nothing. */
function setupCommands(rng: Rng, round: Round): string[][] {
  const cmds: string[][] = [["FLUSHALL"]];
  for (const key of LISTS) {
    // Some long enough for pqsort's median of nine (above 40 elements).
    const n = rng.chance(0.3) ? rng.range(41, 70) : rng.range(0, 14);
    if (n > 0) cmds.push(["RPUSH", key, ...Array.from({ length: n }, () => rng.pick(round.elements))]);
  }
  cmds.push(["SADD", INTSET, ...Array.from({ length: rng.range(1, 10) }, () => rng.pick(INTS))]);
  cmds.push(["SADD", SET, ...Array.from({ length: rng.range(1, 30) }, () => rng.pick(round.elements))]);
  for (const key of ZSETS) {
    const n = rng.range(1, 25);
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(String(rng.range(-3, 3)), rng.pick(round.elements));
    cmds.push(["ZADD", key, ...args]);
  }
  for (const e of [...new Set(round.elements)]) {
    if (rng.chance(0.75)) cmds.push(["SET", `${T}w_${e}`, rng.pick(round.weights)]);
    if (rng.chance(0.6)) {
      const args = [`${T}h_${e}`];
      if (rng.chance(0.8)) args.push("f", rng.pick(round.weights));
      if (rng.chance(0.5)) args.push("g", rng.pick(round.weights));
      if (args.length === 1) args.push("other", "x");
      cmds.push(["HSET", ...args]);
    }
  }
  cmds.push(["SET", `${T}const`, "c"], ["SET", STRING, "5"], ["HSET", HASH, "f", "1"]);
  // A weight key holding another type: its lookups give nothing.
  cmds.push(["RPUSH", `${T}w_${rng.pick(round.elements)}`, "1"]);
  return cmds;
}

/** A small change between SORTs, so weights and collections move under them. */
function mutation(rng: Rng, round: Round): string[] {
  const e = rng.pick(round.elements);
  switch (rng.int(8)) {
    case 0:
      return ["SET", `${T}w_${e}`, rng.pick(round.weights)];
    case 1:
      return ["DEL", `${T}w_${e}`];
    case 2:
      return ["HSET", `${T}h_${e}`, rng.pick(["f", "g"]), rng.pick(round.weights)];
    case 3:
      return ["RPUSH", rng.pick(LISTS), e];
    case 4:
      return ["LPOP", rng.pick(LISTS)];
    case 5:
      return ["SADD", SET, e];
    case 6:
      return ["SREM", SET, e];
    default:
      return ["ZADD", rng.pick(ZSETS), String(rng.range(-3, 3)), e];
  }
}

/** A casing of an option name, as clients send them. */
function word(rng: Rng, w: string): string {
  const r = rng.int(4);
  return r === 0 ? w.toUpperCase() : r === 1 ? w[0].toUpperCase() + w.slice(1) : w;
}

function limitArg(rng: Rng): string {
  const r = rng.int(40);
  if (r < 34) return String(rng.range(-2, 14));
  if (r < 38) return rng.pick(["9223372036854775807", "-9223372036854775808", "60", "45"]);
  return rng.pick(["1.5", "x", "", "9223372036854775808", " 1"]);
}

function genSort(rng: Rng): string[] {
  const ro = rng.chance(0.25);
  const argv = [word(rng, ro ? "sort_ro" : "sort")];
  const r = rng.int(100);
  argv.push(
    r < 36 ? rng.pick(LISTS) : r < 50 ? INTSET : r < 66 ? SET : r < 88 ? rng.pick(ZSETS) : r < 92 ? rng.pick(DESTS) : rng.pick([STRING, HASH, MISSING]),
  );
  const n = rng.range(0, 5);
  for (let i = 0; i < n; i++) {
    const k = rng.int(100);
    if (k < 12) argv.push(word(rng, "desc"));
    else if (k < 18) argv.push(word(rng, "asc"));
    else if (k < 36) argv.push(word(rng, "alpha"));
    else if (k < 52) argv.push(word(rng, "limit"), limitArg(rng), limitArg(rng));
    else if (k < 70) argv.push(word(rng, "by"), rng.pick(BY_PATTERNS));
    else if (k < 88) argv.push(word(rng, "get"), rng.pick(GET_PATTERNS));
    else if (k < 96) {
      // SORT_RO has no STORE: a syntax error there, as in Redis.
      if (!ro || rng.chance(0.2)) argv.push(word(rng, "store"), rng.pick([...DESTS, ...DESTS, rng.pick(LISTS), SET, `${T}w_1`]));
    } else if (k < 98) {
      argv.push(rng.pick(["bogus", "limit", "by", "get", "store", "limit 1"]));
    } else {
      // Patterns that may leave the slot.
      if (rng.chance(0.5)) argv.push("BY", rng.pick(DENIED_BY));
      else argv.push("GET", rng.pick(DENIED_GET));
    }
  }
  return argv;
}

/**
 * The error Hotslot must give instead of Redis's reply: the first BY (with a `*`) or GET
 * (not `#`) pattern that may leave the key's slot, when every option before it parses.
 * Null when the command never reaches such a pattern.
 */
function firstDenial(argv: string[]): string | null {
  const ro = cstr(argv[0]).toLowerCase() === "sort_ro";
  const slot = keySlot(argv[1]);
  const int64 = (a: string) => /^(0|-?[1-9][0-9]{0,18})$/.test(a) && BigInt(a) >= -(2n ** 63n) && BigInt(a) < 2n ** 63n;
  for (let j = 2; j < argv.length; j++) {
    const a = cstr(argv[j]).toLowerCase();
    const left = argv.length - j - 1;
    if (a === "asc" || a === "desc" || a === "alpha") continue;
    if (a === "limit" && left >= 2) {
      if (!int64(argv[j + 1]) || !int64(argv[j + 2])) return null;
      j += 2;
    } else if (a === "store" && !ro && left >= 1) j++;
    else if (a === "by" && left >= 1) {
      const p = argv[++j];
      if (cstr(p).includes("*") && patternHashSlot(p) !== slot) return ERR_SORT_BY_SLOT;
    } else if (a === "get" && left >= 1) {
      const p = argv[++j];
      if (cstr(p) !== "#" && patternHashSlot(p) !== slot) return ERR_SORT_GET_SLOT;
    } else return null;
  }
  return null;
}

// --- when Redis's order is its own -----------------------------------------------------------

/** The value a pattern names for an element (BY/GET's rules), read without side effects. */
function patternValue(db: Keyspace, pattern: string, element: string): string | null {
  const c = cstr(pattern);
  if (c === "#") return element;
  const star = c.indexOf("*");
  if (star < 0) return null;
  const arrow = c.indexOf("->", star + 1);
  const field = arrow >= 0 && arrow + 2 < c.length ? pattern.slice(arrow + 2) : null;
  const v = db.peek(pattern.slice(0, star) + element + pattern.slice(star + 1, field === null ? pattern.length : arrow));
  if (v === undefined) return null;
  if (field !== null) return v instanceof HashValue ? (v.get(field) ?? null) : null;
  return typeof v === "string" ? v : null;
}

function cstr(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

/** The options of a SORT that parsed (as sortCommandGeneric walks them). */
function sortOptions(argv: string[]): { alpha: boolean; by: string | null; dontSort: boolean; store: string | null } {
  const ro = cstr(argv[0]).toLowerCase() === "sort_ro";
  const o = { alpha: false, by: null as string | null, dontSort: false, store: null as string | null };
  for (let j = 2; j < argv.length; j++) {
    const a = cstr(argv[j]).toLowerCase();
    if (a === "alpha") o.alpha = true;
    else if (a === "limit") j += 2;
    else if (a === "get") j++;
    else if (a === "store" && !ro && j + 1 < argv.length) o.store = argv[++j];
    else if (a === "by" && j + 1 < argv.length) {
      o.by = argv[++j];
      if (!cstr(o.by).includes("*")) o.dontSort = true;
    }
  }
  return o;
}

/**
 * "shape" when Redis's reply to this SORT depends on its dict order (see the header),
 * else "exact". Malformed options fail the same either way.
 */
function compareModeFor(db: Keyspace, argv: string[]): "exact" | "shape" {
  const { alpha, by, dontSort } = sortOptions(argv);
  const store = sortOptions(argv).store !== null;
  const v = db.peek(argv[1]);
  let members: string[];
  if (v instanceof RedisSet) {
    if (v.encoding(db.settings) === "intset") return "exact";
    if (dontSort && !store) return "shape";
    if (dontSort) return "exact"; // sorted ALPHA by the members themselves, whole bytes
    members = v.members();
  } else if (v instanceof SortedSet) {
    if (dontSort) return "exact";
    members = v.entries({ from: 0, to: v.size - 1 }).members;
  } else {
    return "exact";
  }
  if (!alpha) return "exact"; // equal numbers fall back to the members' bytes
  const seen = new Set<string | null>();
  for (const m of members) {
    const w = by === null ? m : patternValue(db, by, m);
    const k = w === null || store ? w : cstr(w);
    if (seen.has(k)) return "shape";
    seen.add(k);
  }
  return "exact";
}

function sameShape(ours: string, theirs: string): boolean {
  const a = parseReply(ours);
  const b = parseReply(theirs);
  if (a.type === "*" && b.type === "*") return (a.items?.length ?? -1) === (b.items?.length ?? -1);
  return ours === theirs;
}

// --- running --------------------------------------------------------------------------------

interface Step {
  argv: string[];
  mode: "exact" | "shape" | "denied" | "resync";
  expected?: string;
  ours: string;
}

interface Stats {
  sorts: number;
  exact: number;
  shape: number;
  denied: number;
  stores: number;
  errors: Map<string, number>;
  nonEmpty: number;
}

async function runRound(seed: number, roundNo: number, stats: Stats): Promise<string | null> {
  const rng = new Rng(seed * 1000 + roundNo);
  const round = pickRound(rng);
  const db = new Keyspace();
  const ex = new Executor(db);
  const steps: Step[] = [];
  const add = (argv: string[], mode: Step["mode"] = "exact", expected?: string) =>
    steps.push({ argv, mode, expected, ours: run(ex, argv) });
  for (const c of setupCommands(rng, round)) add(c);
  for (let i = 0; i < SORTS_PER_ROUND; i++) {
    if (rng.chance(0.2)) add(mutation(rng, round));
    const argv = genSort(rng);
    stats.sorts++;
    const denied = firstDenial(argv);
    if (denied !== null) {
      add(argv, "denied", denied);
      stats.denied++;
      // Redis ran it: drop what it may have stored, on both sides.
      const dst = sortOptions(argv).store;
      if (dst !== null) add(["DEL", dst], "resync");
      continue;
    }
    const mode = compareModeFor(db, argv);
    stats[mode]++;
    add(argv, mode);
    const ours = steps[steps.length - 1].ours;
    if (ours.startsWith("-")) {
      const msg = ours.slice(1, -2);
      stats.errors.set(msg, (stats.errors.get(msg) ?? 0) + 1);
    } else if (ours.startsWith("*") && !ours.startsWith("*0\r\n")) {
      stats.nonEmpty++;
    }
    // After a STORE, read back what was stored (and drop it if the two may differ).
    const dst = sortOptions(argv).store;
    if (dst !== null && ours.startsWith(":")) {
      stats.stores++;
      add(["LRANGE", dst, "0", "-1"], mode);
      if (mode === "shape") add(["DEL", dst]);
    }
  }
  const theirs = await redis.pipeline(steps.map((s) => s.argv));
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    const ok =
      s.mode === "exact"
        ? s.ours === theirs[i]
        : s.mode === "shape"
          ? sameShape(s.ours, theirs[i])
          : s.mode === "denied"
            ? s.ours === `-${s.expected}\r\n`
            : true;
    if (!ok) {
      if (process.env.SORT_DIFF_DUMP) {
        const fs = await import("node:fs");
        fs.writeFileSync(`${process.env.SORT_DIFF_DUMP}/round-${seed}-${roundNo}.json`, JSON.stringify(steps.slice(0, i + 1).map((x) => x.argv)));
      }
      return formatMismatch({ label: `seed ${seed} round ${roundNo}`, index: i, argv: s.argv, mode: s.mode, hotslot: s.ours, redis: theirs[i] });
    }
  }
  return null;
}

describe("SORT and SORT_RO against redis-server 7.0", () => {
  it("declares SORT and SORT_RO as the server's COMMAND INFO does", async () => {
    await expectSameCommandInfo(redis, ["sort", "sort_ro"]);
  });

  it("finds the same keys as COMMAND GETKEYS", async () => {
    await expectSameKeys(redis, [
      ["sort", "k"],
      ["sort", "k", "store", "d"],
      ["sort", "k", "STORE", "d", "store", "e"],
      ["sort", "k", "store"],
      ["sort", "k", "limit", "store", "x", "y", "store", "z"],
      ["sort", "k", "store", "limit", "1", "2"],
      ["sort", "k", "by", "store", "get", "store", "store", "q"],
      ["sort", "k", "alpha", "desc", "limit", "0", "1", "get", "#", "store", "d"],
      ["sort_ro", "k", "by", "x", "get", "y"],
      ["sort_ro", "k", "store", "d"],
    ]);
  });

  it("refuses only patterns that may leave {s}'s slot (the pools are what they claim)", () => {
    const slot = keySlot(T);
    for (const p of DENIED_GET.filter((p) => !p.includes("*") && !p.startsWith("{"))) expect(keySlot(p)).not.toBe(slot);
    expect(keySlot("{x}")).not.toBe(slot);
  });

  it(
    `agrees reply for reply over ${SEEDS.length} seeds of ${ROUNDS_PER_SEED} rounds`,
    async () => {
      const stats: Stats = { sorts: 0, exact: 0, shape: 0, denied: 0, stores: 0, errors: new Map(), nonEmpty: 0 };
      const mismatches: string[] = [];
      for (const seed of SEEDS) {
        for (let r = 0; r < ROUNDS_PER_SEED; r++) {
          const m = await runRound(seed, r, stats);
          if (m) {
            mismatches.push(m);
            break;
          }
        }
      }
      if (process.env.SORT_DIFF_STATS) console.log(JSON.stringify({ ...stats, errors: [...stats.errors] }));
      expect(mismatches.join("\n")).toBe("");
      expect(stats.sorts).toBeGreaterThanOrEqual(5_000);
      // Nearly everything is compared byte for byte, and every path was taken.
      expect(stats.exact).toBeGreaterThan(stats.sorts * 0.75);
      expect(stats.nonEmpty).toBeGreaterThan(stats.sorts / 4);
      expect(stats.stores).toBeGreaterThan(100);
      expect(stats.denied).toBeGreaterThan(20);
      expect([...stats.errors.keys()].sort()).toEqual([
        "ERR One or more scores can't be converted into double",
        "ERR syntax error",
        "ERR value is not an integer or out of range",
        "WRONGTYPE Operation against a key holding the wrong kind of value",
      ]);
    },
    120_000,
  );
});

// --- numeric weights, one by one ------------------------------------------------------------------

/** k · 2^-1074 written out exactly in decimal (every double is a finite decimal). */
function exactSubnormal(k: bigint): string {
  const digits = (k * 5n ** 1074n).toString().padStart(1075, "0");
  return `${digits.slice(0, -1074)}.${digits.slice(-1074)}`.replace(/^0+(?=\d)/, "");
}

function weightCases(rng: Rng): string[] {
  const out = [
    "1e400", "-1e400", "1e-400", "1e308", "1.8e308", "1.7976931348623157e308", "1.7976931348623159e308",
    "2.2250738585072014e-308", "2.2250738585072011e-308", "2.2250738585072009e-308", "4.9e-324", "5e-324", "2e-324", "3e-324",
    "0x1p-1074", "0x1p-1075", "0x1.8p-1074", "0x1p-1022", "0x0.fffffffffffffp-1022", "0x1.fffffffffffffp1023", "0x1p1024",
    "0x1.00000000000008p-1022", "0e-400", "0x0p-9999", "-0x1p-1080", "1e-310", "-1e-310", "0.0e-999999999999",
    "0x1.fffffffffffffcp-1023", "0x1.fffffffffffff8p-1023", "0x1.fffffffffffff7p-1023", "0x1.fffffffffffff4p-1023",
    " \t\n 5", "0x1P-3", "INFINITY", "  inf", "1e+5", "-.e1", ".e1", "+-1", "0x.p1", "0x1p", "1e5x", "\v-0x1p-1074",
  ];
  for (let i = 0; i < 60; i++) {
    const k = BigInt(1 + rng.int(2 ** 30)) * BigInt(1 + rng.int(2 ** 22));
    const exact = exactSubnormal(k % (1n << 52n) || 1n);
    out.push(exact, exact + "1", exact.slice(0, 40 + rng.int(300)));
  }
  for (let i = 0; i < 300; i++) {
    const sign = rng.pick(["", "", "-", "+"]);
    const int = String(rng.int(1000));
    const frac = Array.from({ length: rng.int(25) }, () => String(rng.int(10))).join("");
    const exp = rng.pick([rng.range(-330, -300), rng.range(-310, -305), rng.range(300, 310), rng.range(-5, 5)]);
    out.push(`${sign}${int}${frac ? "." + frac : ""}e${exp}`);
  }
  return out;
}

describe("SORT's numeric weights against glibc's strtod", () => {
  it("refuses exactly the weights Redis refuses (overflow, inexact underflow), each on a fresh connection", async () => {
    let client = await RawRespClient.connect(redis.port);
    const db = new Keyspace();
    const ex = new Executor(db);
    const mismatches: string[] = [];
    let refused = 0;
    const cases = weightCases(new Rng(7));
    try {
      for (const w of cases) {
        const cmds = [["DEL", "{s}n"], ["RPUSH", "{s}n", "0", w], ["SORT", "{s}n"]];
        const ours = cmds.map((c) => run(ex, c));
        const theirs = await client.pipeline(cmds);
        if (ours[2] !== theirs[2]) mismatches.push(`${printable(w)}\n    hotslot: ${printable(ours[2])}\n    redis:   ${printable(theirs[2])}`);
        if (theirs[2].startsWith("-")) {
          // Redis leaves errno at ERANGE; a new connection's accept() resets it.
          refused++;
          await client.close();
          client = await RawRespClient.connect(redis.port);
        }
      }
    } finally {
      await client.close();
    }
    expect(mismatches.slice(0, 10).join("\n")).toBe("");
    expect(refused).toBeGreaterThan(cases.length / 5);
    expect(refused).toBeLessThan(cases.length * 0.8);
  }, 60_000);
});
