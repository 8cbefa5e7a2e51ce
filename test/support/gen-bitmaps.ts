/**
 * Differential generators for the bitmap family (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * BITFIELD, BITFIELD_RO), on top of the shared half in test/support/differential.ts (its
 * argument makers and error generators, used read-only) and the PRNG of test/support/random.ts.
 * A sequence is seeded, runs over a few keys in one hash tag ({t}) so BITOP stays in one
 * slot, and mixes valid commands with every class of bad argument: wrong type, bad
 * offsets (negative, past 2^32 - 1, malformed, "#" where it is not allowed), bad bit
 * values, bad ranges and units, bad field types, overflow words and sub-commands, arity.
 *
 * Every reply is compared byte for byte (bitmap replies are all deterministic).
 *
 * Sizes stay small: writes reach at most a few hundred bytes, while reads and errors go
 * to the edges (bit 2^32 - 1, where Redis reads zeros; 2^32 and beyond, an error), so no
 * side ever allocates a large string.
 */
import { ERROR_GENERATORS, Gen, type CommandGenerator } from "./differential";
import { Rng } from "./random";

// --- keys ------------------------------------------------------------------------------------

const BITMAP_KEYS = ["{t}b1", "{t}b2", "{t}b\x00\xff"];
/** Holds a list from the start: every command naming it gets WRONGTYPE. */
export const LIST_KEY = "{t}list";
/** Never written. */
const MISSING_KEY = "{t}none";
/** BITOP's usual destination (also read as a source at times). */
const DEST_KEY = "{t}dst";
export const BITMAP_STATE_KEYS: readonly string[] = [...BITMAP_KEYS, DEST_KEY, MISSING_KEY, LIST_KEY];

/** A key to read or write: mostly a bitmap, sometimes any key (missing, list). */
function key(g: Gen): string {
  return g.rng.chance(0.85) ? g.rng.pick(BITMAP_KEYS) : g.rng.pick(BITMAP_STATE_KEYS);
}

/** A key a write may name: never the missing key (it stays missing). */
function writeKey(g: Gen): string {
  return g.rng.chance(0.9) ? g.rng.pick(BITMAP_KEYS) : g.rng.pick([DEST_KEY, LIST_KEY]);
}

// --- arguments -----------------------------------------------------------------------------

const BAD_INTEGERS = ["", "abc", "1.5", " 1", "1 ", "+1", "01", "-0", "0x10", "1\x00"];
/** Offsets Redis accepts but that would allocate hundreds of megabytes: reads only. */
const FAR_READ_OFFSETS = ["4294967295", "4294967288", "4000000000", "2147483648"];
/** Offsets Redis refuses. */
const BAD_OFFSETS = ["-1", "-9", "4294967296", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "#1", "#0"];

/** A bit offset for a write: mostly within the first few hundred bytes. */
function writeOffset(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 70) return String(g.rng.range(0, 120));
  if (r < 85) return String(g.rng.range(0, 2500));
  if (r < 95) return g.rng.pick(BAD_OFFSETS);
  return g.rng.pick(BAD_INTEGERS);
}

/** A bit offset for a read: as for writes, and the far edges. */
function readOffset(g: Gen): string {
  return g.rng.chance(0.15) ? g.rng.pick(FAR_READ_OFFSETS) : writeOffset(g);
}

/** A range index for BITCOUNT/BITPOS: small either way, near the int64 ends, or malformed. */
function rangeIndex(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 75) return String(g.rng.range(-40, 40));
  if (r < 90) return String(g.rng.range(-300, 300));
  return g.index();
}

/** BYTE or BIT in any case, or a word that is neither. */
function unit(g: Gen): string {
  return g.rng.chance(0.9) ? g.opt(g.rng.pick(["bit", "byte"])) : g.rng.pick(["bits", "", "bytes", "b", "BITT"]);
}

/** A BITFIELD type: i1–i64, u1–u63, and malformed ones (u64, i0, 8, I8, u08, …). */
function fieldType(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 45) return "i" + g.rng.range(1, 64);
  if (r < 85) return "u" + g.rng.range(1, 63);
  if (r < 92) return g.rng.pick(["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u63", "i1", "u1"]);
  return g.rng.pick(["u64", "i65", "i0", "u0", "8", "I8", "U8", "u08", "i-1", "", "u8\x00x", "i+8", "ix"]);
}

/** A BITFIELD offset: plain or "#n" (n × width), small for writes, far or bad at times. */
function fieldOffset(g: Gen, write: boolean): string {
  const r = g.rng.int(100);
  if (r < 55) return String(g.rng.range(0, 200));
  if (r < 80) return "#" + g.rng.range(0, 12);
  if (r < 86) return g.rng.pick(["#-1", "#", "#+1", "# 1", "##1", "#2305843009213693952", "#1152921504606846976"]);
  if (r < 93 && !write) return g.rng.pick(FAR_READ_OFFSETS);
  return g.rng.pick([...BAD_OFFSETS.filter((o) => !o.startsWith("#")), ...BAD_INTEGERS]);
}

/** A SET value or INCRBY increment: small, near the field limits, at the int64 ends, or malformed. */
function fieldValue(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 50) return String(g.rng.range(-300, 300));
  if (r < 70) {
    const e = BigInt(g.rng.range(1, 63));
    const v = (1n << e) + BigInt(g.rng.range(-2, 1));
    return (g.rng.chance(0.5) ? -v : v).toString();
  }
  if (r < 90) return g.int();
  return g.rng.pick(BAD_INTEGERS);
}

/** BITFIELD's operations: GET/SET/INCRBY/OVERFLOW, and now and then a bad one. */
function fieldOps(g: Gen, readOnly: boolean): string[] {
  const out: string[] = [];
  const n = g.rng.range(0, 5);
  for (let i = 0; i < n; i++) {
    const r = g.rng.int(100);
    const writeChance = readOnly ? 8 : 60;
    if (r < 100 - writeChance - 10) {
      out.push(g.opt("get"), fieldType(g), fieldOffset(g, false));
    } else if (r < 100 - 10) {
      out.push(g.opt(g.rng.chance(0.5) ? "set" : "incrby"), fieldType(g), fieldOffset(g, true), fieldValue(g));
    } else if (r < 97) {
      out.push(g.opt("overflow"), g.rng.chance(0.9) ? g.opt(g.rng.pick(["wrap", "sat", "fail"])) : g.rng.pick(["saturate", "", "x"]));
    } else {
      // A sub-command lacking arguments (at the end) or unknown.
      out.push(g.rng.pick(["get", "set", "incrby", "overflow", "foo", "getx"]));
      if (g.rng.chance(0.5)) out.push(fieldType(g));
    }
  }
  return out;
}

/** A value to start a bitmap from: bytes of any kind, runs of 0x00 and 0xff, text. */
function bitmapValue(g: Gen): string {
  const r = g.rng.int(100);
  if (r < 40) return g.rng.bytes(g.rng.range(0, 40));
  if (r < 55) return "\xff".repeat(g.rng.range(1, 20)) + g.rng.bytes(g.rng.range(0, 3));
  if (r < 70) return "\x00".repeat(g.rng.range(1, 20)) + g.rng.bytes(g.rng.range(0, 3));
  return g.value();
}

// --- generators ------------------------------------------------------------------------------

function gen(name: string, arity: number, weight: number, make: (g: Gen) => string[]): CommandGenerator {
  return { name, arity, weight, keys: name === "bitop" ? "same-slot" : "one", compare: "exact", gen: make };
}

export const BITMAP_GENERATORS: readonly CommandGenerator[] = [
  gen("setbit", 4, 10, (g) => {
    const bit = g.rng.chance(0.9) ? g.rng.pick(["0", "1"]) : g.rng.pick(["2", "-1", "", "01", "1.0", "9223372036854775808", " 1"]);
    return [g.name("setbit"), writeKey(g), writeOffset(g), bit];
  }),
  gen("getbit", 3, 8, (g) => [g.name("getbit"), key(g), readOffset(g)]),
  gen("bitcount", -2, 10, (g) => {
    const argv = [g.name("bitcount"), key(g)];
    const r = g.rng.int(100);
    if (r < 20) return argv;
    if (r < 55) return [...argv, rangeIndex(g), rangeIndex(g)];
    if (r < 92) return [...argv, rangeIndex(g), rangeIndex(g), unit(g)];
    // A range cut short, or too many words.
    return g.rng.chance(0.5) ? [...argv, rangeIndex(g)] : [...argv, rangeIndex(g), rangeIndex(g), unit(g), "x"];
  }),
  gen("bitpos", -3, 12, (g) => {
    const bit = g.rng.chance(0.92) ? g.rng.pick(["0", "1"]) : g.rng.pick(["2", "-1", "x", "", "01"]);
    const argv = [g.name("bitpos"), key(g), bit];
    const r = g.rng.int(100);
    if (r < 20) return argv;
    if (r < 40) return [...argv, rangeIndex(g)];
    if (r < 65) return [...argv, rangeIndex(g), rangeIndex(g)];
    if (r < 95) return [...argv, rangeIndex(g), rangeIndex(g), unit(g)];
    return [...argv, rangeIndex(g), rangeIndex(g), unit(g), "x"];
  }),
  gen("bitop", -4, 8, (g) => {
    const op = g.rng.chance(0.93) ? g.opt(g.rng.pick(["and", "or", "xor", "not"])) : g.rng.pick(["nand", "", "andx", "diff"]);
    // Never the list: BITOP would overwrite it, and later WRONGTYPE probes would be lost.
    const dest = g.rng.chance(0.7) ? DEST_KEY : g.rng.pick(BITMAP_KEYS);
    const n = op.toLowerCase().startsWith("not") && g.rng.chance(0.85) ? 1 : g.rng.range(1, 4);
    return [g.name("bitop"), op, dest, ...Array.from({ length: n }, () => key(g))];
  }),
  gen("bitfield", -2, 12, (g) => [g.name("bitfield"), writeKey(g), ...fieldOps(g, false)]),
  gen("bitfield_ro", -2, 5, (g) => [g.name("bitfield_ro"), key(g), ...fieldOps(g, true)]),
  // Fresh values now and then, so the bitmaps hold every kind of byte.
  gen("set", -3, 3, (g) => ["SET", g.rng.pick(BITMAP_KEYS), bitmapValue(g)]),
  gen("get", 2, 2, (g) => ["GET", key(g)]),
];

/** One command of a bitmap sequence (every reply compared exactly). */
export interface BitmapStep {
  argv: string[];
}

/** The steps that start every sequence: the list that makes WRONGTYPE. */
export function bitmapSetupSteps(): BitmapStep[] {
  return [{ argv: ["RPUSH", LIST_KEY, "a", "b"] }];
}

/** `count` steps from `seed`: bitmap commands, wrong arities and unknown commands. */
export function generateBitmapSteps(seed: number, count: number): BitmapStep[] {
  const rng = new Rng(seed);
  const active = [...BITMAP_GENERATORS];
  const g = new Gen(rng, BITMAP_STATE_KEYS, active);
  const all = [...active, ...ERROR_GENERATORS];
  const total = all.reduce((n, c) => n + c.weight, 0);
  const steps: BitmapStep[] = [];
  for (let i = 0; i < count; i++) {
    let pick = rng.float() * total;
    let c = all[0];
    for (const candidate of all) {
      pick -= candidate.weight;
      if (pick < 0) {
        c = candidate;
        break;
      }
    }
    steps.push({ argv: c.gen(g) });
  }
  return steps;
}

/** Reads back every key: type, length and whole contents. */
export function bitmapStateSteps(): BitmapStep[] {
  return BITMAP_STATE_KEYS.flatMap((k) => [{ argv: ["TYPE", k] }, { argv: ["STRLEN", k] }, { argv: ["GET", k] }]);
}
