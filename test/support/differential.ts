/**
 * The differential tests' shared half: the rules for comparing Hotslot's replies with real
 * Redis 7.0's, byte for byte, and what every family's command generators are built from.
 * The families themselves live beside it: gen-strings-keys.ts (strings, generic keys, TTLs),
 * gen-lists-hashes.ts, gen-sets-zsets.ts; the PRNG is test/support/random.ts.
 *
 * - `seedList`: the seeds a run covers, from their environment-variable form.
 * - `Gen`: argument makers over a small keyspace of binary-ish keys (bytes 0–255, CR LF,
 *   spaces, glob characters) and values (empty, binary, integers near the int64 limits,
 *   floats, inf/nan, malformed numbers), so collisions, type clashes and edge cases are common.
 * - `CommandGenerator`: a command's Redis arity (checked against the real server), a weight,
 *   how its keys relate to slots, and how its reply is compared; it produces one argv.
 *   `ERROR_GENERATORS` send any family's commands with wrong arities, and unknown commands.
 * - `sameReply`: exact bytes, except where Redis's reply depends on time (TTL/PTTL, within
 *   a tolerance), on hash-table order (KEYS, a complete SCAN: compared as sets; DUMP of a
 *   hash-table-encoded collection) or on chance (RANDOMKEY, an incomplete SCAN: by shape).
 * - `compareRun`, `scanAll`: send the same steps to both sides in pipelined chunks and
 *   collect mismatches (after one, both sides are flushed so later ones are not mere
 *   echoes); walk a whole keyspace with SCAN.
 */
import { lookupCommand } from "../../src/commands/table";
import "../../src/commands/index";
import { Rng } from "./random";
import { parseReply, printable, printableCommand, type Resp } from "./resp-wire";

// --- seeds ------------------------------------------------------------------------------

/** A seed list from its environment-variable form: "1-25", "3,7,10-12". */
export function seedList(spec: string): number[] {
  return spec.split(",").flatMap((part) => {
    const [lo, hi = lo] = part.split("-").map(Number);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

// --- values ------------------------------------------------------------------------------

export const INT64_MAX = "9223372036854775807";
const INT64_MIN = "-9223372036854775808";

/** Integers at and just past the int64 limits (string2ll accepts the first four only). */
const NEAR_LIMITS = [
  INT64_MAX,
  INT64_MIN,
  "9223372036854775806",
  "-9223372036854775807",
  "9223372036854775808",
  "-9223372036854775809",
  "4611686018427387904",
  "-4611686018427387904",
  "9007199254740993",
  "-9007199254740993",
];

/** Texts that look numeric but are not integers to Redis (or only to strtod/strtold). */
const MALFORMED_NUMBERS = ["", "abc", "1.5", " 1", "1 ", "+1", "01", "-0", "1e3", "0x10", "1\x00", "--1", "١"];

const FLOATS = [
  "0",
  "1",
  "-1",
  "0.1",
  "1.1",
  "-2.5",
  "3.0e3",
  "1e-5",
  ".5",
  "5.",
  "-0.0",
  "1e308",
  "-1e308",
  "1.7976931348623157e308",
  "4.9e-324",
  "1e-320",
  "123456789.123456789",
  "0.30000000000000004",
  "10.50",
  "5.0e3",
  "inf",
  "-inf",
  "+inf",
  "nan",
  "1e4000",
  "0x10",
  "1e",
  "abc",
  "",
  " 1",
  "1 ",
  "9223372036854775807",
  "-9223372036854775808",
];

/** Values likely to matter: empty, NUL, CR LF, every byte, numeric-looking texts. */
const SPECIAL_VALUES = [
  "",
  "\x00",
  "\r\n",
  "\xff",
  " ",
  "0",
  "-0",
  "00",
  "+5",
  " 5",
  "5 ",
  "3.14",
  "1e3",
  "inf",
  "nan",
  "hello",
  "ohmytext",
  "mynewtext",
  Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(""),
];

/** Absolute times: 2100-01-01 in seconds is far enough that nothing expires mid-test. */
export const FAR_FUTURE_S = 4102444800;
/** Relative TTLs are at least this long, so none expires while a sequence runs. */
const MIN_TTL_S = 100;

/** Argument makers over one key pool, all drawn from one seeded PRNG. */
export class Gen {
  constructor(
    readonly rng: Rng,
    readonly keyPool: readonly string[],
    /** The generators in play (the wrong-arity generator picks its victims here). */
    readonly active: readonly CommandGenerator[] = [],
  ) {}

  /** A command or option name in random letter case, as clients may send it. */
  name(s: string): string {
    const r = this.rng.int(4);
    if (r === 0) return s.toUpperCase();
    if (r === 1) return s.toLowerCase();
    let out = "";
    for (const c of s) out += this.rng.chance(0.5) ? c.toUpperCase() : c.toLowerCase();
    return out;
  }

  key(): string {
    return this.rng.pick(this.keyPool);
  }

  /** Between `min` and `max` keys, repeats allowed (Redis counts a repeated key each time). */
  keys(min: number, max: number): string[] {
    const n = this.rng.range(min, max);
    return Array.from({ length: n }, () => this.key());
  }

  value(): string {
    const r = this.rng.int(100);
    if (r < 30) return String(this.rng.range(-20, 120));
    if (r < 50) return this.rng.pick(SPECIAL_VALUES);
    if (r < 72) return this.rng.bytes(this.rng.range(0, 8));
    if (r < 85) return this.alphabet("ab", this.rng.range(0, 12));
    if (r < 90) return this.alphabet("abcdefghijklmnopqrstuvwxyz", this.rng.range(40, 300));
    if (r < 96) return this.rng.pick(NEAR_LIMITS);
    return this.rng.pick(FLOATS);
  }

  alphabet(chars: string, n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += chars[this.rng.int(chars.length)];
    return s;
  }

  /** An integer argument: mostly small, sometimes near the int64 limits, sometimes malformed. */
  int(): string {
    const r = this.rng.int(100);
    if (r < 65) return String(this.rng.range(-100, 100));
    if (r < 85) return this.rng.pick(NEAR_LIMITS);
    return this.rng.pick(MALFORMED_NUMBERS);
  }

  /** A string index (GETRANGE), including ones far past either end. */
  index(): string {
    const r = this.rng.int(100);
    if (r < 80) return String(this.rng.range(-15, 15));
    if (r < 92) return this.rng.pick(NEAR_LIMITS);
    return this.rng.pick(MALFORMED_NUMBERS);
  }

  /**
   * A SETRANGE offset: small, negative, malformed, or so large the result would pass
   * 512 MB (an error). Nothing in between, so no test allocates hundreds of megabytes.
   */
  offset(): string {
    const r = this.rng.int(100);
    if (r < 75) return String(this.rng.range(0, 40));
    if (r < 82) return String(this.rng.range(-5, -1));
    if (r < 90) return this.rng.pick(["536870912", "536870913", "4294967296", INT64_MAX, "9223372036854775808"]);
    return this.rng.pick(MALFORMED_NUMBERS);
  }

  float(): string {
    const r = this.rng.int(100);
    if (r < 40) return (this.rng.range(-10000, 10000) / 100).toString();
    if (r < 55) return String(this.rng.range(-100, 100));
    return this.rng.pick(FLOATS);
  }

  /** A relative TTL in seconds: long, zero/negative (deletes), or invalid/overflowing. */
  ttlSeconds(): string {
    const r = this.rng.int(100);
    if (r < 60) return String(this.rng.range(MIN_TTL_S, 100000));
    if (r < 68) return "0";
    if (r < 76) return String(this.rng.range(-1000, -1));
    return this.rng.pick(["9223372036854775", "9223372036854776", "9000000000000000", INT64_MAX, INT64_MIN, ...MALFORMED_NUMBERS]);
  }

  /** A relative TTL in milliseconds (same classes as ttlSeconds). */
  ttlMillis(): string {
    const r = this.rng.int(100);
    if (r < 60) return String(this.rng.range(MIN_TTL_S * 1000, 100_000_000));
    if (r < 68) return "0";
    if (r < 76) return String(this.rng.range(-100000, -1));
    return this.rng.pick([INT64_MAX, INT64_MIN, "9223372036854775000", "9000000000000000000", ...MALFORMED_NUMBERS]);
  }

  /** An absolute Unix time in seconds: far future, past (deletes), or invalid/overflowing. */
  atSeconds(): string {
    const r = this.rng.int(100);
    if (r < 55) return String(FAR_FUTURE_S + this.rng.int(1_000_000));
    if (r < 75) return this.rng.pick(["1", "1000000000", "1600000000", "0", "-1"]);
    return this.rng.pick(["9223372036854775", "9223372036854776", INT64_MAX, INT64_MIN, ...MALFORMED_NUMBERS]);
  }

  /** An absolute Unix time in milliseconds. */
  atMillis(): string {
    const r = this.rng.int(100);
    if (r < 55) return String(FAR_FUTURE_S * 1000 + this.rng.int(1_000_000_000));
    if (r < 75) return this.rng.pick(["1", "1000000000000", "1600000000000", "0", "-1"]);
    return this.rng.pick([INT64_MAX, INT64_MIN, "9223372036854775808", ...MALFORMED_NUMBERS]);
  }

  /** A glob pattern for KEYS / SCAN MATCH, with classes, escapes and malformed ones. */
  pattern(): string {
    return this.rng.pick([
      "*",
      "*",
      "{t}*",
      "*a*",
      "{t}?",
      "{t}[a-c]",
      "{t}[^a]",
      "{t}[!a]*",
      "*\\**",
      "\\{t\\}*",
      "[",
      "{t}[a-",
      "*\x00*",
      "?",
      "",
      "{t}\\",
      "*[\r\n]*",
      "{t}[c-a]",
      "{t}[]a]",
      "*\xff*",
      "user:*",
      "[a-c]",
      "*{*}*",
    ]);
  }

  /** An optional word in random case, occasionally followed by NUL and junk (C's strcasecmp stops there). */
  opt(word: string): string {
    const w = this.name(word);
    return this.rng.chance(0.02) ? w + "\x00junk" : w;
  }
}

// --- generators ------------------------------------------------------------------------

/**
 * How a reply is compared with Redis's:
 * - `exact`: byte for byte.
 * - `ttl` / `pttl`: integers within 1 s / 500 ms (the two clocks differ by a few ms; beyond 2^53
 *   ms also the spacing of doubles, see `doubleSpacing`), negative
 *   ones (-1 no TTL, -2 no key) exactly. Also for EXPIRETIME / PEXPIRETIME of relative TTLs.
 * - `unordered`: arrays holding the same elements in any order (KEYS).
 * - `scan`: errors exactly; a complete SCAN (both cursors 0) as a set of keys; otherwise shape.
 * - `scan-shape`: a SCAN from a cursor the server never handed out: its meaning is the server's
 *   own (Redis's is a reverse-binary bucket index), so only the reply's shape is compared.
 * - `shape`: same reply type and nil-ness (RANDOMKEY).
 * - `dump`: DUMP payloads exactly, except a hash, set or sorted set serialised from a hash
 *   table (RDB types 2, 3, 4, 5): its element order is Redis's dict order, so only the type
 *   byte and the length must agree.
 */
export type CompareMode = "exact" | "ttl" | "pttl" | "unordered" | "scan" | "scan-shape" | "shape" | "dump";

/**
 * How a command's keys relate to slots: `one` (one key or none), `split` (the router splits
 * them per shard: MGET, MSET, DEL, UNLINK, EXISTS, TOUCH), `same-slot` (all keys must share a
 * slot: CROSSSLOT otherwise), `all` (keyspace-wide: KEYS, SCAN, RANDOMKEY).
 */
export type KeyShape = "one" | "split" | "same-slot" | "all";

export interface CommandGenerator {
  /** Lowercase name, as COMMAND INFO gives it. */
  readonly name: string;
  /** Redis 7.0's arity (test/reference/differential.test.ts checks it against the real server's COMMAND INFO). */
  readonly arity: number;
  /** Relative frequency within the sequence (any positive number). */
  readonly weight: number;
  readonly keys: KeyShape;
  readonly compare: CompareMode;
  gen(g: Gen): string[];
  /** The compare mode for one generated argv, when it depends on the arguments. */
  compareFor?(argv: string[]): CompareMode;
}

// --- error generators (every family sends them) ---------------------------------------------

/** Names no Redis knows, some binary, one longer than the 128 bytes Redis quotes. */
// No name with a NUL byte: whether Redis's command lookup cuts it there depends on its
// per-start hash seed, so its reply is not deterministic.
const UNKNOWN_NAMES = ["foo", "GETT", "sett", "", "x\r\ny", "\xff\xfe", "hget_", "c".repeat(150)];

/** Wrong-arity calls of the active generators' commands, and commands no Redis knows. */
export const ERROR_GENERATORS: readonly CommandGenerator[] = [
  {
    name: "(wrong arity)",
    arity: 0,
    weight: 4,
    keys: "one",
    compare: "exact",
    gen(g) {
      const victims = g.active.filter((c) => c.arity !== 0 && c.arity !== -1);
      const c = g.rng.pick(victims);
      let argc: number;
      if (c.arity > 0) {
        do argc = g.rng.range(1, c.arity + 2);
        while (argc === c.arity);
      } else {
        argc = g.rng.range(1, -c.arity - 1);
      }
      const argv = [g.name(c.name)];
      for (let i = 1; i < argc; i++) argv.push(g.rng.chance(0.5) ? g.key() : g.value());
      return argv;
    },
  },
  {
    name: "(unknown command)",
    arity: 0,
    weight: 2,
    keys: "one",
    compare: "exact",
    gen(g) {
      const argv = [g.rng.pick(UNKNOWN_NAMES)];
      const n = g.rng.range(0, 4);
      for (let i = 0; i < n; i++) argv.push(g.rng.chance(0.1) ? "v".repeat(g.rng.range(100, 200)) : g.value());
      return argv;
    },
  },
];

// --- steps ------------------------------------------------------------------------------

/** One command of a sequence, and how its reply is compared. */
export interface Step {
  argv: string[];
  compare: CompareMode;
}

/** True when the command exists and the router (not a shard) runs it. */
export function isRouterCommand(name: string): boolean {
  return lookupCommand(name)?.routing === "router";
}

// --- comparing ---------------------------------------------------------------------------

const TOLERANCE = { ttl: 1n, pttl: 500n } as const;

/**
 * Hotslot keeps expiry times as JavaScript numbers (exact to 2^53 ms, a documented deviation),
 * so a TTL near 2^63 ms is exact only to the spacing of doubles there (up to 2 × 1,024 ms).
 */
function doubleSpacing(v: bigint): bigint {
  const bits = v.toString(2).length;
  return bits > 53 ? 2n * (1n << BigInt(bits - 53)) : 0n;
}

function sortedItems(r: Resp): string[] | null {
  if (r.type !== "*" || r.items === null) return null;
  return r.items.map((i) => i.raw).sort();
}

/** Same reply type, same nil-ness, and (for arrays) same length. */
function sameShape(a: Resp, b: Resp): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "*" && b.type === "*") {
    if ((a.items === null) !== (b.items === null)) return false;
    return (a.items?.length ?? 0) === (b.items?.length ?? 0);
  }
  if (a.type === "$" && b.type === "$") return (a.text === null) === (b.text === null);
  return a.type !== "-" || (b.type === "-" && a.text === b.text);
}

/** True when Hotslot's reply `ours` counts as equal to Redis's `theirs` under `mode`. */
export function sameReply(mode: CompareMode, ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (mode === "exact") return false;
  const a = parseReply(ours);
  const b = parseReply(theirs);
  switch (mode) {
    case "ttl":
    case "pttl": {
      if (a.type !== ":" || b.type !== ":") return false;
      const x = BigInt(a.text);
      const y = BigInt(b.text);
      if (x < 0n || y < 0n) return false;
      const d = x > y ? x - y : y - x;
      return d <= TOLERANCE[mode] + doubleSpacing(y);
    }
    case "unordered": {
      const x = sortedItems(a);
      const y = sortedItems(b);
      return x !== null && y !== null && x.length === y.length && x.every((v, i) => v === y[i]);
    }
    case "scan":
    case "scan-shape": {
      if (a.type !== "*" || b.type !== "*" || a.items?.length !== 2 || b.items?.length !== 2) return false;
      const [ca, ka] = a.items;
      const [cb, kb] = b.items;
      if (ca.type !== "$" || cb.type !== "$" || ka.type !== "*" || kb.type !== "*") return false;
      if (!ka.items!.every((k) => k.type === "$") || !kb.items!.every((k) => k.type === "$")) return false;
      if (mode === "scan" && ca.text === "0" && cb.text === "0") return sameReply("unordered", ka.raw, kb.raw);
      return true;
    }
    case "shape":
      return sameShape(a, b);
    case "dump": {
      if (a.type !== "$" || b.type !== "$" || a.text === null || b.text === null) return false;
      const type = b.text.charCodeAt(0);
      return type >= 2 && type <= 5 && a.text.charCodeAt(0) === type && a.text.length === b.text.length;
    }
  }
}

// --- running ------------------------------------------------------------------------------

/** One side of the comparison: sends a pipelined chunk, resolves with raw reply bytes. */
export interface Side {
  send(cmds: readonly (readonly string[])[]): Promise<string[]>;
}

/** A step whose replies differed (any family's runner reports them in this form). */
export interface Mismatch {
  /** Names the run, e.g. "seed 7". */
  label: string;
  index: number;
  argv: string[];
  /** How the replies were compared, when the family has several ways. */
  mode?: string;
  hotslot: string;
  redis: string;
}

/** A mismatch for a failure message; `limit` cuts long commands and replies (HLL bytes). */
export function formatMismatch(m: Mismatch, limit = Infinity): string {
  const mode = m.mode === undefined ? "" : `  (compare: ${m.mode})`;
  return (
    `${m.label} #${m.index}: ${printableCommand(m.argv).slice(0, limit)}${mode}\n` +
    `    hotslot: ${printable(m.hotslot).slice(0, limit)}\n` +
    `    redis:   ${printable(m.redis).slice(0, limit)}`
  );
}

export interface RunOptions {
  /** Names the run in mismatch reports, e.g. "seed 7". */
  label: string;
  /** Seeds the chunking (a stream of its own, so chunking never changes the commands). */
  seed: number;
  steps: readonly Step[];
  hotslot: Side;
  redis: Side;
  /** Empties both sides (after a mismatch, so the next ones are not echoes of it). */
  reset(): Promise<void>;
  /** Largest pipelined chunk. */
  maxChunk?: number;
  /** Stop collecting after this many mismatches. */
  maxMismatches?: number;
}

/**
 * Sends the steps to both sides in pipelined chunks of random size and compares each
 * reply. Redis's chunk is written first and Hotslot's run while Redis works, so the two
 * execute each chunk close in time (TTL tolerances rely on it). After a mismatch the rest
 * of that chunk is skipped and both sides are reset.
 */
export async function compareRun(o: RunOptions): Promise<Mismatch[]> {
  const rng = new Rng(o.seed ^ 0x5bd1e995);
  const maxChunk = o.maxChunk ?? 300;
  const maxMismatches = o.maxMismatches ?? 10;
  const mismatches: Mismatch[] = [];
  let i = 0;
  while (i < o.steps.length && mismatches.length < maxMismatches) {
    const chunk = o.steps.slice(i, i + rng.range(1, maxChunk));
    const cmds = chunk.map((s) => s.argv);
    const theirsP = o.redis.send(cmds);
    const oursP = o.hotslot.send(cmds);
    const [theirs, ours] = await Promise.all([theirsP, oursP]);
    for (let j = 0; j < chunk.length; j++) {
      if (!sameReply(chunk[j].compare, ours[j], theirs[j])) {
        mismatches.push({ label: o.label, index: i + j, argv: chunk[j].argv, mode: chunk[j].compare, hotslot: ours[j], redis: theirs[j] });
        await o.reset();
        break;
      }
    }
    i += chunk.length;
  }
  return mismatches;
}

/** Walks SCAN to the end with small COUNTs; returns every key seen (as raw bulk replies). */
export async function scanAll(side: Side, count = 3): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = "0";
  for (let rounds = 0; rounds < 100_000; rounds++) {
    const [raw] = await side.send([["SCAN", cursor, "COUNT", String(count)]]);
    const r = parseReply(raw);
    if (r.type !== "*" || r.items?.length !== 2 || r.items[0].type !== "$" || r.items[1].type !== "*") {
      throw new Error(`SCAN replied ${printable(raw)}`);
    }
    for (const k of r.items[1].items!) seen.add(k.raw);
    cursor = r.items[0].text!;
    if (cursor === "0") return [...seen].sort();
  }
  throw new Error("SCAN never finished");
}
