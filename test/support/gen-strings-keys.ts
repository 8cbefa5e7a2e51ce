/**
 * Differential generators for the string, generic-key and TTL families, on top of the
 * shared half in test/support/differential.ts (its argument makers, error generators and
 * reply comparisons). A sequence is seeded and runs over one of two key pools: keys in one
 * hash tag (every multi-key command in one slot) or keys spread over every shard.
 *
 * - `FAMILIES`: the command generators per family (strings, keys, ttl, types, errors,
 *   connection), each with its Redis arity, weight, key shape and compare mode.
 * - `generateSteps`: the steps a seed names over the chosen families and key pool.
 * - `stateCheckSteps`, `shortTtlSteps`: whole-keyspace read-backs, and real expiry.
 * - `dumpPayload`, `crc64`: RESTORE payloads framed as Redis frames them.
 *
 * Not generated, and why (each is outside the string/generic-key scope or cannot agree by design):
 * - COPY … DB n with n ≥ 1 and MOVE: Hotslot has one database (db 0); a default Redis has 16,
 *   so the reference would copy/move where Hotslot must refuse. DB 0 and invalid indexes are generated.
 * - OBJECT: string encodings differ by design (src/commands/object.ts: strings keep no history,
 *   so APPEND/SETRANGE/INCRBYFLOAT results report what SET would give), and FREQ and IDLETIME
 *   follow each server's own access clock (REFCOUNT is tested in test/unit/memory.test.ts). The list/hash generators compare OBJECT ENCODING themselves.
 * - MIGRATE, WAIT (other servers, replication), SORT, SORT_RO (with the list/set/zset families).
 * - RESTORE payloads of sets and sorted sets: added with those families.
 * - Relative TTLs between 1 ms and 100 s: a key that expires mid-sequence would expire at
 *   different points on the two sides (their clocks run a few ms apart), so such TTLs are
 *   exercised in a dedicated, slept sequence instead (see the tests).
 */
import { lookupCommand } from "../../src/commands/table";
import "../../src/commands/index";
import {
  ERROR_GENERATORS,
  FAR_FUTURE_S,
  Gen,
  INT64_MAX,
  type CommandGenerator,
  type CompareMode,
  type KeyShape,
  type Step,
} from "./differential";
import { Rng } from "./random";

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

// --- generators ------------------------------------------------------------------------

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
  errors: ERROR_GENERATORS,
  connection: CONNECTION,
};

/** The generators of real commands (not the error makers) across the named families. */
export function commandGenerators(families: readonly string[]): CommandGenerator[] {
  return families.flatMap((f) => FAMILIES[f]).filter((c) => c.arity !== 0);
}

// --- sequences ------------------------------------------------------------------------

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
