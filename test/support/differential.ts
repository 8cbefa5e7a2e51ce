/**
 * The differential test's shared half: seeded random command sequences and the rules for
 * comparing Hotslot's replies with real Redis 7.0's, byte for byte.
 *
 * - `Rng`: a small seeded PRNG (mulberry32), so a seed names one exact sequence.
 * - `Gen`: argument makers over a small keyspace of binary-ish keys (bytes 0–255, CR LF,
 *   spaces, glob characters) and values (empty, binary, integers near the int64 limits,
 *   floats, inf/nan, malformed numbers), so collisions, type clashes and edge cases are common.
 * - `FAMILIES`: a table of command generators per family (strings, keys, ttl, types,
 *   errors, connection). Each generator declares the command's Redis arity (checked against
 *   the real server), a weight, how its keys relate to slots, and how its reply is compared,
 *   and produces one argv. A new data type adds a family here (lists, hashes, sets, zsets) and
 *   names it in the tests' family lists; the `errors` family then also sends its commands with
 *   wrong arities.
 * - `sameReply`: exact bytes, except where Redis's reply depends on time (TTL/PTTL, within
 *   a tolerance), on hash-table order (KEYS, a complete SCAN: compared as sets; DUMP of a
 *   hash-table-encoded collection) or on chance (RANDOMKEY, an incomplete SCAN: by shape).
 * - `stateCheckSteps`, `scanAll`, `shortTtlSteps`: whole-keyspace read-backs, and real expiry.
 * - `compareRun`: sends the same steps to both sides in pipelined chunks and collects
 *   mismatches (after one, both sides are flushed so later ones are not mere echoes).
 *
 * Not generated, and why (each is outside the string/generic-key scope or cannot agree by design):
 * - COPY … DB n with n ≥ 1 and MOVE: Hotslot has one database (db 0); a default Redis has 16,
 *   so the reference would copy/move where Hotslot must refuse. DB 0 and invalid indexes are generated.
 * - OBJECT: string encodings differ by design (src/commands/object.ts: strings keep no history,
 *   so APPEND/SETRANGE/INCRBYFLOAT results report what SET would give), and FREQ, IDLETIME,
 *   REFCOUNT are not implemented. The list/hash generators compare OBJECT ENCODING themselves.
 * - MIGRATE, WAIT (other servers, replication), SORT, SORT_RO (with the list/set/zset families).
 * - RESTORE payloads of sets and sorted sets: added with those families.
 * - Relative TTLs between 1 ms and 100 s: a key that expires mid-sequence would expire at
 *   different points on the two sides (their clocks run a few ms apart), so such TTLs are
 *   exercised in a dedicated, slept sequence instead (see the tests).
 */
import { lookupCommand } from "../../src/commands/table";
import "../../src/commands/index";
import { parseReply, printable, printableCommand, type Resp } from "./resp-wire";

// --- the PRNG -----------------------------------------------------------------------

/** mulberry32: tiny, fast, and good enough to drive a fuzzer reproducibly. */
/** A seed list from its environment-variable form: "1-25", "3,7,10-12". */
export function seedList(spec: string): number[] {
  return spec.split(",").flatMap((part) => {
    const [lo, hi = lo] = part.split("-").map(Number);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** `n` random bytes (0–255) as a binary string. */
  bytes(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(256));
    return s;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

// --- key pools ------------------------------------------------------------------------

/**
 * Keys sharing the hash tag {t}, so every multi-key command stays in one slot (no CROSSSLOT
 * through the router). Binary-ish on purpose: NUL, high bytes, CR LF, spaces, glob characters,
 * the bare tag, and a tag that is not at the start.
 */
export const TAGGED_KEYS: readonly string[] = [
  "{t}a",
  "{t}b",
  "{t}c",
  "{t}n",
  "{t}",
  "{t}\x00",
  "{t}\xff\x80",
  "{t}\r\n",
  "{t} sp ace",
  "{t}*?[",
  "x{t}y",
];

/**
 * Keys spread over many slots (and so over every shard of a 4-shard router), for the
 * commands the router splits per shard and merges: MGET, MSET, DEL, UNLINK, EXISTS, TOUCH.
 */
export const SPREAD_KEYS: readonly string[] = [
  "a",
  "b",
  "c",
  "n",
  "",
  "\x00",
  "\xff\x80",
  "\r\n",
  "user:1",
  "user:2",
  "{u}a",
  "{v}a",
  "key:42",
  "x{t}y",
];

// --- values ------------------------------------------------------------------------------

const INT64_MAX = "9223372036854775807";
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
const FAR_FUTURE_S = 4102444800;
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
 * - `ttl` / `pttl`: integers within 1 s / 500 ms (the two clocks differ by a few ms), negative
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
  /** Redis 7.0's arity (the unit test checks it against the real server's COMMAND INFO). */
  readonly arity: number;
  /** Relative frequency within the sequence (any positive number). */
  readonly weight: number;
  readonly keys: KeyShape;
  readonly compare: CompareMode;
  gen(g: Gen): string[];
  /** The compare mode for one generated argv, when it depends on the arguments. */
  compareFor?(argv: string[]): CompareMode;
}

function cmd(
  name: string,
  arity: number,
  gen: (g: Gen) => string[],
  opts: { weight?: number; keys?: KeyShape; compare?: CompareMode; compareFor?: (argv: string[]) => CompareMode } = {},
): CommandGenerator {
  const { weight = 2, keys = "one", compare = "exact", compareFor } = opts;
  return { name, arity, weight, keys, compare, gen, ...(compareFor ? { compareFor } : {}) };
}

/** Up to `max` options from `choices`, in random order, each made by its function. */
function someOptions(g: Gen, max: number, choices: readonly ((g: Gen) => string[])[]): string[] {
  const n = g.rng.range(0, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(...g.rng.pick(choices)(g));
  return out;
}

const setOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("nx")],
  (g) => [g.opt("xx")],
  (g) => [g.opt("get")],
  (g) => [g.opt("get")],
  (g) => [g.opt("ex"), g.ttlSeconds()],
  (g) => [g.opt("px"), g.ttlMillis()],
  (g) => [g.opt("exat"), g.atSeconds()],
  (g) => [g.opt("pxat"), g.atMillis()],
  (g) => [g.opt("keepttl")],
  (g) => [g.opt("keepttl")],
  (g) => [g.rng.pick(["EX", "PX", "EXAT", "PXAT"])], // missing value: syntax error
  (g) => [g.rng.pick(["FOO", "NXX", "", "E X"])],
];

const getexOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("ex"), g.ttlSeconds()],
  (g) => [g.opt("px"), g.ttlMillis()],
  (g) => [g.opt("exat"), g.atSeconds()],
  (g) => [g.opt("pxat"), g.atMillis()],
  (g) => [g.opt("persist")],
  (g) => [g.opt("persist")],
  (g) => [g.rng.pick(["EX", "PERSIST1", "KEEPTTL", "GET"])],
];

const expireOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("nx")],
  (g) => [g.opt("xx")],
  (g) => [g.opt("gt")],
  (g) => [g.opt("lt")],
  (g) => [g.rng.pick(["FOO", "", "NXX"])],
];

const lcsOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("len")],
  (g) => [g.opt("idx")],
  (g) => [g.opt("idx")],
  (g) => [g.opt("minmatchlen"), g.rng.chance(0.8) ? String(g.rng.range(-1, 4)) : g.int()],
  (g) => [g.opt("withmatchlen")],
  (g) => [g.rng.pick(["FOO", "MINMATCHLEN"])],
];

const copyOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("replace")],
  // DB 0 and invalid indexes only: see the header (one database).
  (g) => [g.opt("db"), g.rng.pick(["0", "0", "-1", "16", "1x", "99999999999", "2147483648", "-2147483649", ""])],
  (g) => [g.rng.pick(["FOO", "DB"])],
];

const scanOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("match"), g.pattern()],
  (g) => [g.opt("count"), g.rng.pick(["1000", "1000", "10000", "5", "1", "0", "-1", "abc", INT64_MAX])],
  (g) => [g.opt("type"), g.rng.pick(["string", "STRING", "list", "hash", "set", "zset", "foo", ""])],
  (g) => [g.rng.pick(["FOO", "COUNT", "MATCH"])],
];

function scanCursor(g: Gen): string {
  return g.rng.chance(0.85) ? "0" : g.rng.pick(["1", "17", "abc", "-1", " 0", "18446744073709551615", "18446744073709551616"]);
}

// --- DUMP payloads -----------------------------------------------------------------------

const CRC64_TABLE = (() => {
  // Redis's crc64 (Jones polynomial, reflected): 0xad93d23594c935a9 bit-reversed.
  const poly = 0x95ac9329ac4bc9b5n;
  const t: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let b = 0; b < 8; b++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    t.push(c);
  }
  return t;
})();

/** Redis's crc64 of a binary string ("123456789" → 0xe9c6d914c4b8d9ca). */
export function crc64(s: string): bigint {
  let crc = 0n;
  for (let i = 0; i < s.length; i++) crc = CRC64_TABLE[Number((crc ^ BigInt(s.charCodeAt(i))) & 0xffn)] ^ (crc >> 8n);
  return crc;
}

/** A DUMP payload: body, RDB version (2 bytes LE), crc64 of both (8 bytes LE), as Redis frames it. */
export function dumpPayload(body: string, rdbVersion = 10): string {
  const framed = body + String.fromCharCode(rdbVersion & 0xff, rdbVersion >> 8);
  let crc = crc64(framed);
  let tail = "";
  for (let i = 0; i < 8; i++, crc >>= 8n) tail += String.fromCharCode(Number(crc & 0xffn));
  return framed + tail;
}

/** An RDB string object (type 0) with the plain length-prefixed encoding. */
function rdbStringBody(v: string): string {
  const n = v.length;
  let len: string;
  if (n < 64) len = String.fromCharCode(n);
  else if (n < 16384) len = String.fromCharCode(0x40 | (n >> 8), n & 0xff);
  else len = String.fromCharCode(0x80, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  return "\x00" + len + v;
}

function hex(h: string): string {
  return h.replace(/../g, (b) => String.fromCharCode(parseInt(b, 16)));
}

/** Payloads DUMPed by redis-server 7.0 (a list and a hash, listpack-encoded), footers included. */
const REDIS_PAYLOADS = [
  hex("1201021313000000040081610281620201018200ff03ff0a00b8465f7478c57c5e"), // list a b 1 \x00\xff
  hex("101111000000040081660281760201018001ff0a00a54683e6787486b7"), // hash f v 1 ""
];

/** A RESTORE payload: valid strings and collections, and every way to be invalid. */
function payload(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 45) return dumpPayload(rdbStringBody(g.value()));
  if (r < 60) return g.rng.pick(REDIS_PAYLOADS);
  const good = dumpPayload(rdbStringBody(g.value()));
  if (r < 68) return good.slice(0, -1) + String.fromCharCode(good.charCodeAt(good.length - 1) ^ 1); // bad checksum
  if (r < 74) return dumpPayload(rdbStringBody(g.value()), 11); // newer RDB version
  if (r < 80) return dumpPayload(g.rng.pick(["\x00\x64abc", "\x63abc", "\x00", "", "\x00\x03abcd"])); // bad body, good footer
  return g.rng.pick(["", "\x00", "abc", "\x00\x00\x0a\x00", good.slice(0, 9)]); // too short
}

const restoreOptions: readonly ((g: Gen) => string[])[] = [
  (g) => [g.opt("replace")],
  (g) => [g.opt("replace")],
  (g) => [g.opt("absttl")],
  (g) => [g.opt("idletime"), g.rng.pick(["0", "100", "-1", "abc", INT64_MAX])],
  (g) => [g.opt("freq"), g.rng.pick(["0", "5", "255", "256", "-1", "x"])],
  (g) => [g.rng.pick(["FOO", "IDLETIME", "FREQ"])],
];

/**
 * RESTORE key ttl payload [options]: the TTL is absolute under ABSTTL (then past times are
 * fair: the key is not created), relative otherwise (then only 0, long or invalid ones: a
 * past absolute time read as relative would be a TTL of a few ms, racing the two clocks).
 */
function restore(g: Gen): string[] {
  const opts = someOptions(g, 2, restoreOptions);
  const absolute = opts.some((o) => /^absttl(\x00|$)/i.test(o));
  const r = g.rng.int(10);
  const ttl = r < 5 ? "0" : absolute ? g.atMillis() : r < 8 ? g.ttlMillis() : String(FAR_FUTURE_S * 1000 + g.rng.int(1_000_000_000));
  return [g.name("restore"), g.key(), ttl, payload(g), ...opts];
}

/** FLUSHDB/FLUSHALL's optional ASYNC|SYNC, sometimes a wrong one or two (syntax errors). */
function flushOption(g: Gen): string[] {
  const r = g.rng.int(10);
  if (r < 4) return [];
  if (r < 8) return [g.opt(g.rng.pick(["async", "sync"]))];
  return g.rng.pick([["LAZY"], ["ASYNC", "SYNC"], [""]]);
}

/** Key/value pairs for MSET / MSETNX; sometimes one value short (wrong arity). */
function pairs(g: Gen): string[] {
  const out: string[] = [];
  const n = g.rng.range(1, 4);
  for (let i = 0; i < n; i++) out.push(g.key(), g.value());
  if (g.rng.chance(0.05)) out.pop();
  return out;
}

const STRINGS: CommandGenerator[] = [
  cmd("get", 2, (g) => [g.name("get"), g.key()], { weight: 5 }),
  cmd("set", -3, (g) => [g.name("set"), g.key(), g.value(), ...someOptions(g, 3, setOptions)], { weight: 8 }),
  cmd("setnx", 3, (g) => [g.name("setnx"), g.key(), g.value()]),
  cmd("setex", 4, (g) => [g.name("setex"), g.key(), g.ttlSeconds(), g.value()]),
  cmd("psetex", 4, (g) => [g.name("psetex"), g.key(), g.ttlMillis(), g.value()]),
  cmd("getset", 3, (g) => [g.name("getset"), g.key(), g.value()]),
  cmd("getdel", 2, (g) => [g.name("getdel"), g.key()]),
  cmd("getex", -2, (g) => [g.name("getex"), g.key(), ...someOptions(g, 2, getexOptions)], { weight: 3 }),
  cmd("mget", -2, (g) => [g.name("mget"), ...g.keys(1, 5)], { keys: "split", weight: 3 }),
  cmd("mset", -3, (g) => [g.name("mset"), ...pairs(g)], { keys: "split", weight: 3 }),
  cmd("msetnx", -3, (g) => [g.name("msetnx"), ...pairs(g)], { keys: "same-slot" }),
  cmd("append", 3, (g) => [g.name("append"), g.key(), g.value()], { weight: 3 }),
  cmd("strlen", 2, (g) => [g.name("strlen"), g.key()]),
  cmd("incr", 2, (g) => [g.name("incr"), g.key()], { weight: 3 }),
  cmd("decr", 2, (g) => [g.name("decr"), g.key()]),
  cmd("incrby", 3, (g) => [g.name("incrby"), g.key(), g.int()], { weight: 3 }),
  cmd("decrby", 3, (g) => [g.name("decrby"), g.key(), g.int()]),
  cmd("incrbyfloat", 3, (g) => [g.name("incrbyfloat"), g.key(), g.float()], { weight: 4 }),
  cmd("getrange", 4, (g) => [g.name("getrange"), g.key(), g.index(), g.index()], { weight: 3 }),
  cmd("substr", 4, (g) => [g.name("substr"), g.key(), g.index(), g.index()]),
  cmd("setrange", 4, (g) => [g.name("setrange"), g.key(), g.offset(), g.value()], { weight: 3 }),
  cmd("lcs", -3, (g) => [g.name("lcs"), g.key(), g.key(), ...someOptions(g, 3, lcsOptions)], { keys: "same-slot", weight: 3 }),
];

const KEYS: CommandGenerator[] = [
  cmd("del", -2, (g) => [g.name("del"), ...g.keys(1, 4)], { keys: "split", weight: 3 }),
  cmd("unlink", -2, (g) => [g.name("unlink"), ...g.keys(1, 4)], { keys: "split" }),
  cmd("exists", -2, (g) => [g.name("exists"), ...g.keys(1, 5)], { keys: "split", weight: 3 }),
  cmd("touch", -2, (g) => [g.name("touch"), ...g.keys(1, 5)], { keys: "split" }),
  cmd("type", 2, (g) => [g.name("type"), g.key()], { weight: 3 }),
  cmd("rename", 3, (g) => [g.name("rename"), g.key(), g.key()], { keys: "same-slot" }),
  cmd("renamenx", 3, (g) => [g.name("renamenx"), g.key(), g.key()], { keys: "same-slot" }),
  cmd("copy", -3, (g) => [g.name("copy"), g.key(), g.key(), ...someOptions(g, 2, copyOptions)], { keys: "same-slot" }),
  cmd("keys", 2, (g) => [g.name("keys"), g.pattern()], { keys: "all", compare: "unordered" }),
  cmd("scan", -2, (g) => [g.name("scan"), scanCursor(g), ...someOptions(g, 3, scanOptions)], {
    keys: "all",
    compare: "scan",
    compareFor: (argv) => (argv[1] === "0" ? "scan" : "scan-shape"),
  }),
  cmd("randomkey", 1, (g) => [g.name("randomkey")], { keys: "all", compare: "shape", weight: 1 }),
  cmd("dump", 2, (g) => [g.name("dump"), g.key()], { weight: 2, compare: "dump" }),
  cmd("restore", -4, restore, { weight: 2 }),
  cmd("dbsize", 1, (g) => [g.name("dbsize")], { keys: "all", weight: 1 }),
  // Rare: each one empties the keyspace, which the rest of the sequence then refills.
  cmd("flushdb", -1, (g) => [g.name("flushdb"), ...flushOption(g)], { keys: "all", weight: 0.1 }),
  cmd("flushall", -1, (g) => [g.name("flushall"), ...flushOption(g)], { keys: "all", weight: 0.1 }),
];

const TTL: CommandGenerator[] = [
  cmd("expire", -3, (g) => [g.name("expire"), g.key(), g.ttlSeconds(), ...someOptions(g, 2, expireOptions)], { weight: 3 }),
  cmd("pexpire", -3, (g) => [g.name("pexpire"), g.key(), g.ttlMillis(), ...someOptions(g, 2, expireOptions)], { weight: 3 }),
  cmd("expireat", -3, (g) => [g.name("expireat"), g.key(), g.atSeconds(), ...someOptions(g, 2, expireOptions)], { weight: 3 }),
  cmd("pexpireat", -3, (g) => [g.name("pexpireat"), g.key(), g.atMillis(), ...someOptions(g, 2, expireOptions)], { weight: 3 }),
  cmd("ttl", 2, (g) => [g.name("ttl"), g.key()], { compare: "ttl", weight: 3 }),
  cmd("pttl", 2, (g) => [g.name("pttl"), g.key()], { compare: "pttl", weight: 3 }),
  cmd("expiretime", 2, (g) => [g.name("expiretime"), g.key()], { compare: "ttl" }),
  cmd("pexpiretime", 2, (g) => [g.name("pexpiretime"), g.key()], { compare: "pttl" }),
  cmd("persist", 2, (g) => [g.name("persist"), g.key()], { weight: 3 }),
];

/**
 * Keys of other types, so string commands meet WRONGTYPE and generic commands (TYPE, COPY,
 * RENAME, DUMP, SCAN TYPE, …) meet every type. Only the simplest valid forms: the families of
 * those types test the commands themselves. A creator is generated only once Hotslot declares
 * its command (SADD and ZADD join when sets and sorted sets exist): Redis would otherwise hold
 * keys Hotslot cannot, and every later command on them would differ for that one reason.
 */
const TYPES: CommandGenerator[] = [
  cmd("rpush", -3, (g) => [g.name("rpush"), g.key(), ...Array.from({ length: g.rng.range(1, 3) }, () => g.value())]),
  cmd("hset", -4, (g) => [g.name("hset"), g.key(), g.value(), g.value()]),
  cmd("sadd", -3, (g) => [g.name("sadd"), g.key(), g.value(), g.value()]),
  cmd("zadd", -4, (g) => [g.name("zadd"), g.key(), String(g.rng.range(-5, 5)), g.value()]),
].filter((c) => lookupCommand(c.name) !== undefined);

/** Names no Redis knows, some binary, one longer than the 128 bytes Redis quotes. */
// No name with a NUL byte: whether Redis's command lookup cuts it there depends on its
// per-start hash seed, so its reply is not deterministic.
const UNKNOWN_NAMES = ["foo", "GETT", "sett", "", "x\r\ny", "\xff\xfe", "hget_", "c".repeat(150)];

const ERRORS: CommandGenerator[] = [
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

/** Router-side commands: only through the full stack (the Executor does not run them). */
const CONNECTION: CommandGenerator[] = [
  cmd("ping", -1, (g) => (g.rng.chance(0.5) ? [g.name("ping")] : [g.name("ping"), g.value()]), { keys: "all" }),
  cmd("echo", 2, (g) => [g.name("echo"), g.value()], { keys: "all" }),
];

/** Every family, by name. Later data types add theirs (lists, hashes, sets, zsets). */
export const FAMILIES: Readonly<Record<string, readonly CommandGenerator[]>> = {
  strings: STRINGS,
  keys: KEYS,
  ttl: TTL,
  types: TYPES,
  errors: ERRORS,
  connection: CONNECTION,
};

/** The generators of real commands (not the error makers) across the named families. */
export function commandGenerators(families: readonly string[]): CommandGenerator[] {
  return families.flatMap((f) => FAMILIES[f]).filter((c) => c.arity !== 0);
}

// --- sequences ------------------------------------------------------------------------

export interface Step {
  argv: string[];
  compare: CompareMode;
}

export interface SequenceOptions {
  families: readonly string[];
  keyPool: readonly string[];
  /** Generators to leave out (e.g. same-slot ones when keys span slots). */
  filter?: (c: CommandGenerator) => boolean;
}

/** The `count` steps of the sequence named by `seed`: same seed, same commands. */
export function generateSteps(seed: number, count: number, opts: SequenceOptions): Step[] {
  const all = opts.families.flatMap((f) => {
    const family = FAMILIES[f];
    if (!family) throw new Error(`no command family "${f}"`);
    return family;
  });
  const chosen = opts.filter ? all.filter(opts.filter) : all;
  const g = new Gen(new Rng(seed), opts.keyPool, chosen.filter((c) => c.arity !== 0));
  const total = chosen.reduce((s, c) => s + c.weight, 0);
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    let r = g.rng.float() * total;
    let c = chosen[0];
    for (const candidate of chosen) {
      r -= candidate.weight;
      if (r < 0) {
        c = candidate;
        break;
      }
    }
    const argv = c.gen(g);
    steps.push({ argv, compare: c.compareFor?.(argv) ?? c.compare });
  }
  return steps;
}

/**
 * Reads back everything about every key of the pool: existence, type, string value, TTL,
 * plus KEYS *. Run after a sequence so a divergence the sequence never read is still found.
 */
export function stateCheckSteps(keyPool: readonly string[]): Step[] {
  const steps: Step[] = [];
  for (const k of keyPool) {
    steps.push({ argv: ["EXISTS", k], compare: "exact" });
    steps.push({ argv: ["TYPE", k], compare: "exact" });
    steps.push({ argv: ["GET", k], compare: "exact" });
    steps.push({ argv: ["PTTL", k], compare: "pttl" });
  }
  steps.push({ argv: ["KEYS", "*"], compare: "unordered" });
  return steps;
}

/**
 * Real expiry, slept rather than simulated: `before` gives keys TTLs of `ttlMs` every way
 * there is (SET PX/PXAT, PSETEX, PEXPIRE, PEXPIREAT, GETEX PX, on a string and a list) and
 * reads them at once; after sleeping `sleepMs`, `after` reads and writes the expired keys
 * (reads see nothing; INCR/APPEND/SETNX start afresh; RENAME/COPY find no source; …).
 */
export function shortTtlSteps(keyPool: readonly string[], now: number): { before: Step[]; after: Step[]; sleepMs: number } {
  const ttlMs = 300;
  const [a, b, c, n, tag, nul, hi, crlf] = keyPool;
  const at = String(now + ttlMs);
  const exact = (argv: string[]): Step => ({ argv, compare: "exact" });
  const before: Step[] = [
    ["SET", a, "v", "PX", String(ttlMs)],
    ["PSETEX", b, String(ttlMs), "v"],
    ["SET", c, "5"],
    ["PEXPIRE", c, String(ttlMs)],
    ["SET", n, "v"],
    ["GETEX", n, "PX", String(ttlMs)],
    ["SET", tag, "v", "PXAT", at],
    ["SET", nul, "v", "EX", "1000"],
    ["RPUSH", hi, "x"],
    ["PEXPIRE", hi, String(ttlMs)],
    ["SET", crlf, "v"],
    ["PEXPIREAT", crlf, at],
    ["EXISTS", a, b, c, n, tag, nul, hi, crlf],
  ].map(exact);
  before.push({ argv: ["KEYS", "*"], compare: "unordered" });
  const after: Step[] = [
    ...stateCheckSteps(keyPool),
    { argv: ["SCAN", "0", "COUNT", "1000"], compare: "scan" },
    { argv: ["RANDOMKEY"], compare: "shape" },
    ...[
      ["EXISTS", a, b, c, n, tag, nul, hi, crlf],
      ["TTL", hi],
      ["INCR", c],
      ["APPEND", a, "x"],
      ["SET", b, "v", "XX"],
      ["SETNX", n, "v"],
      ["RENAME", tag, keyPool[keyPool.length - 1]],
      ["COPY", crlf, keyPool[keyPool.length - 1]],
      ["EXPIRE", hi, "100"],
      ["PERSIST", hi],
      ["RPUSH", hi, "y"],
      ["TYPE", hi],
      ["DBSIZE"],
    ].map(exact),
    ...stateCheckSteps(keyPool),
  ];
  return { before, after, sleepMs: ttlMs + 200 };
}

/** True when the command exists and the router (not a shard) runs it. */
export function isRouterCommand(name: string): boolean {
  return lookupCommand(name)?.routing === "router";
}

// --- comparing ---------------------------------------------------------------------------

const TOLERANCE = { ttl: 1n, pttl: 500n } as const;

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
      return d <= TOLERANCE[mode];
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

export interface Mismatch {
  label: string;
  index: number;
  argv: string[];
  mode: CompareMode;
  hotslot: string;
  redis: string;
}

export function formatMismatch(m: Mismatch): string {
  return (
    `${m.label} #${m.index}: ${printableCommand(m.argv)}  (compare: ${m.mode})\n` +
    `    hotslot: ${printable(m.hotslot)}\n` +
    `    redis:   ${printable(m.redis)}`
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
