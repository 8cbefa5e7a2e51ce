/**
 * The bitmap commands of Redis 7.0 (bitops.c), over string values: SETBIT, GETBIT,
 * BITCOUNT, BITPOS, BITOP, BITFIELD and BITFIELD_RO. Each is declared once with the flags,
 * arity and key positions `COMMAND INFO` reports on redis-server 7.0; the byte-level work
 * is src/engine/bitops.ts, so handlers only parse, validate, look up and reply.
 *
 * Redis's order of checks is kept, as its replies to bad input depend on it: GETBIT and
 * SETBIT read their arguments before the key; BITCOUNT and BITPOS look the key up first
 * (a missing key answers 0 / -1 whatever the range says); BITFIELD parses every operation
 * before it looks at the key.
 *
 * Bounds: a bit offset is accepted up to 2^32 - 1, as Redis's default proto-max-bulk-len
 * (512 MB) allows, with Redis's "bit offset is not an integer or out of range" beyond; so
 * every read answers as Redis does (zeros past the end). A write that would grow the string
 * past `maxValueBytes` (MAX_VALUE_BYTES) is refused with proto-max-bulk-len's error, "string
 * exceeds maximum allowed size", as SETRANGE and APPEND refuse it, before anything changes.
 *
 * What is logged: every effect is deterministic, so a command that changed a key is logged
 * as sent. A SETBIT that changes nothing (the bit already so, no growth) and a BITFIELD of
 * GETs only, or whose writes all failed on OVERFLOW FAIL without growing the string, change
 * nothing and are not logged, as Redis 7.0 leaves server.dirty alone then.
 */
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../engine/notify";
import type { Reply } from "../protocol/reply";
import { bitop, countBitRange, findBit, getBit, padTo, readBits, setBit, writeBits, type BitOp } from "../engine/bitops";
import { cstr } from "../util/binary";
import { parseInt64 } from "../util/numbers";
import { int64OrReply, isOption, lookupString } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_NOT_INTEGER, ERR_STRING_TOO_LONG, ERR_SYNTAX } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";
import { boundWork } from "./work-bound";

// --- errors only the bitmap commands send ---------------------------------------------

const ERR_BIT_OFFSET = "ERR bit offset is not an integer or out of range";
const ERR_BIT_VALUE = "ERR bit is not an integer or out of range";
const ERR_BIT_ARG = "ERR The bit argument must be 1 or 0.";
const ERR_BITOP_NOT = "ERR BITOP NOT must be called with a single source key.";
const ERR_BITFIELD_TYPE = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const ERR_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified";
const ERR_BITFIELD_RO = "ERR BITFIELD_RO only supports the GET subcommand";

// --- arguments ---------------------------------------------------------------------------

/** Redis's default proto-max-bulk-len: bit offsets address bytes below it (bits < 2^32). */
const OFFSET_LIMIT_BYTES = 512n * 1024n * 1024n;

/**
 * A bit offset, as Redis's getBitOffsetFromArgument: an int64, or with `fieldBits` > 0
 * (BITFIELD) "#n" meaning n × fieldBits (multiplied as C does, wrapping in int64); not
 * negative, and below 2^32.
 */
function bitOffsetOrReply(arg: string, fieldBits = 0): number {
  const hash = fieldBits > 0 && arg.startsWith("#");
  let v = parseInt64(hash ? arg.slice(1) : arg);
  if (v === null) throw new CommandError(ERR_BIT_OFFSET);
  if (hash) v = BigInt.asIntN(64, v * BigInt(fieldBits));
  if (v < 0n || v >> 3n >= OFFSET_LIMIT_BYTES) throw new CommandError(ERR_BIT_OFFSET);
  return Number(v);
}

/** Refuses a write that needs the string to be `length` bytes long when no value may be. */
function checkGrowthOrReply(ctx: ExecContext, length: number): void {
  if (length > ctx.limits.maxValueBytes) throw new CommandError(ERR_STRING_TOO_LONG);
}

/**
 * A range of BITCOUNT/BITPOS made absolute, as Redis 7.0 does: negative indexes count
 * from the end, then both are clamped into the string (`total` bytes or bits). Compared
 * as int64, since indexes near the int64 limits are not exact as doubles. Empty when
 * start > end afterwards.
 */
function clampRange(start: bigint, end: bigint, total: number): { start: number; end: number } {
  const len = BigInt(total);
  if (start < 0n) start += len;
  if (end < 0n) end += len;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= len) end = len - 1n;
  return { start: Number(start), end: Number(end) };
}

/** BITCOUNT/BITPOS's unit word: true for BIT, false for BYTE, else a syntax error. */
function isBitUnitOrReply(arg: string): boolean {
  if (isOption(arg, "bit")) return true;
  if (isOption(arg, "byte")) return false;
  throw new CommandError(ERR_SYNTAX);
}

// --- SETBIT / GETBIT -----------------------------------------------------------------------

defineCommand({
  name: "setbit",
  arity: 4,
  ...writesOneKey("denyoom"),
  group: "bitmap",
  run: (ctx, argv) => {
    const key = argv[1];
    const offset = bitOffsetOrReply(argv[2]);
    const on = parseInt64(argv[3]);
    if (on === null || (on !== 0n && on !== 1n)) throw new CommandError(ERR_BIT_VALUE);
    const bit = on === 1n ? 1 : 0;
    const cur = lookupString(ctx.db, key);
    checkGrowthOrReply(ctx, Math.floor(offset / 8) + 1);
    const old = getBit(cur ?? "", offset);
    // Written only when the key is new, grows, or the bit flips (as Redis 7.0's dirty).
    if (cur === undefined || Math.floor(offset / 8) >= cur.length || old !== bit) {
      ctx.db.set(key, setBit(cur ?? "", offset, bit), true);
      ctx.db.notify(NOTIFY_STRING, "setbit", key);
    }
    return old;
  },
});

defineCommand({
  name: "getbit",
  arity: 3,
  ...readsOneKey("fast"),
  group: "bitmap",
  run: (ctx, argv) => {
    const offset = bitOffsetOrReply(argv[2]);
    const cur = lookupString(ctx.db, argv[1]);
    return cur === undefined ? 0 : getBit(cur, offset);
  },
});

// --- BITCOUNT / BITPOS -------------------------------------------------------------------------

defineCommand({
  name: "bitcount",
  arity: -2,
  ...readsOneKey(),
  group: "bitmap",
  run: (ctx, argv) => {
    const s = lookupString(ctx.db, argv[1]);
    if (s === undefined) return 0;
    if (argv.length === 2) return countBitRange(s, 0, s.length * 8 - 1);
    if (argv.length !== 4 && argv.length !== 5) throw new CommandError(ERR_SYNTAX);
    const start = int64OrReply(argv[2]);
    const end = int64OrReply(argv[3]);
    // Two negative indexes the wrong way round: empty before any clamping (and, in Redis
    // 7.0, before the unit is even read).
    if (start < 0n && end < 0n && start > end) return 0;
    const bits = argv.length === 5 && isBitUnitOrReply(argv[4]);
    const r = clampRange(start, end, bits ? s.length * 8 : s.length);
    if (r.start > r.end) return 0;
    return bits ? countBitRange(s, r.start, r.end) : countBitRange(s, r.start * 8, r.end * 8 + 7);
  },
});

defineCommand({
  name: "bitpos",
  arity: -3,
  ...readsOneKey(),
  group: "bitmap",
  run: (ctx, argv) => {
    const bit = int64OrReply(argv[2]);
    if (bit !== 0n && bit !== 1n) throw new CommandError(ERR_BIT_ARG);
    const s = lookupString(ctx.db, argv[1]);
    // A missing key is an endless run of zeros.
    if (s === undefined) return bit === 1n ? -1 : 0;
    if (argv.length > 6) throw new CommandError(ERR_SYNTAX);
    let start = 0n;
    let end = BigInt(s.length) - 1n;
    let bits = false;
    const endGiven = argv.length >= 5;
    if (argv.length >= 4) {
      // Redis 7.0's order: start, then the unit, then end.
      start = int64OrReply(argv[3]);
      if (argv.length === 6) bits = isBitUnitOrReply(argv[5]);
      if (endGiven) end = int64OrReply(argv[4]);
    }
    const r = clampRange(start, end, bits ? s.length * 8 : s.length);
    if (r.start > r.end) return -1;
    const first = bits ? r.start : r.start * 8;
    const last = bits ? r.end : r.end * 8 + 7;
    const pos = findBit(s, bit === 1n ? 1 : 0, first, last);
    // No clear bit up to the end of the string, and no end given: the string reads as
    // padded with zeros, so the first clear bit is the one just after it.
    if (pos === -1 && bit === 0n && !endGiven) return (r.end + 1) * 8;
    return pos;
  },
});

// --- BITOP --------------------------------------------------------------------------------------

const BITOPS: readonly BitOp[] = ["and", "or", "xor", "not"];
/**
 * Source bytes counted as one step of MAX_COMMAND_WORK: a byte costs about 1.75 ns on
 * workerd, so the bound (320,000,000 source bytes: nineteen 16 MiB keys) is about half a second.
 */
const BITOP_BYTES_PER_STEP = 16;

defineCommand({
  name: "bitop",
  arity: -4,
  flags: ["write", "denyoom"],
  group: "bitmap",
  keys: { first: 2, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => {
    const op = BITOPS.find((o) => isOption(argv[1], o));
    if (op === undefined) throw new CommandError(ERR_SYNTAX);
    if (op === "not" && argv.length !== 4) throw new CommandError(ERR_BITOP_NOT);
    const dest = argv[2];
    // Every source is read (and type-checked) before anything is written.
    const sources = argv.slice(3).map((k) => lookupString(ctx.db, k) ?? "");
    // Each source is walked byte by byte (a 16 MB key named 200 times is 3.2 GB of work).
    let bytes = 0;
    for (const s of sources) bytes += s.length;
    boundWork("bitop", Math.ceil(bytes / BITOP_BYTES_PER_STEP));
    const result = bitop(op, sources);
    if (result.length > 0) {
      ctx.db.set(dest, result);
      ctx.db.notify(NOTIFY_STRING, "set", dest);
    } else if (ctx.db.delete(dest)) {
      ctx.db.notify(NOTIFY_GENERIC, "del", dest);
    }
    return result.length;
  },
});

// --- BITFIELD / BITFIELD_RO ---------------------------------------------------------------------

type Overflow = "wrap" | "sat" | "fail";
const OVERFLOWS: readonly Overflow[] = ["wrap", "sat", "fail"];

interface FieldOp {
  kind: "get" | "set" | "incrby";
  signed: boolean;
  bits: number;
  offset: number;
  /** SET's value or INCRBY's increment. */
  value: bigint;
  overflow: Overflow;
}

/** A field type "i1".."i64" or "u1".."u63", as getBitfieldTypeFromArgument (read as a C string). */
function fieldTypeOrReply(arg: string): { signed: boolean; bits: number } {
  const signed = arg[0] === "i";
  if (!signed && arg[0] !== "u") throw new CommandError(ERR_BITFIELD_TYPE);
  const bits = parseInt64(cstr(arg.slice(1)));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) throw new CommandError(ERR_BITFIELD_TYPE);
  return { signed, bits: Number(bits) };
}

/** BITFIELD's operations, every one parsed and checked in order before any runs. */
function parseFieldOps(argv: string[]): FieldOp[] {
  const ops: FieldOp[] = [];
  let overflow: Overflow = "wrap";
  for (let j = 2; j < argv.length; j++) {
    const remaining = argv.length - j - 1;
    const sub = argv[j];
    let kind: FieldOp["kind"];
    if (isOption(sub, "get") && remaining >= 2) kind = "get";
    else if (isOption(sub, "set") && remaining >= 3) kind = "set";
    else if (isOption(sub, "incrby") && remaining >= 3) kind = "incrby";
    else if (isOption(sub, "overflow") && remaining >= 1) {
      const o = OVERFLOWS.find((w) => isOption(argv[j + 1], w));
      if (o === undefined) throw new CommandError(ERR_OVERFLOW_TYPE);
      overflow = o;
      j++;
      continue;
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
    const { signed, bits } = fieldTypeOrReply(argv[j + 1]);
    const offset = bitOffsetOrReply(argv[j + 2], bits);
    const value = kind === "get" ? 0n : int64OrReply(argv[j + 3], ERR_NOT_INTEGER);
    ops.push({ kind, signed, bits, offset, value, overflow });
    j += kind === "get" ? 2 : 3;
  }
  return ops;
}

/** A field's value as an integer reply (a JS number when exact). */
function fieldReply(v: bigint): number | bigint {
  return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v;
}

const asInt64 = (v: bigint) => BigInt.asIntN(64, v);

/**
 * Which way `value` + `incr` leaves the field (1 above, -1 below, 0 inside), as Redis 7.0's
 * checkSignedBitfieldOverflow / checkUnsignedBitfieldOverflow decide it, C's int64
 * wrap-around included: a signed SET of a value near INT64_MIN (below -2^63 + 2^(bits-1))
 * makes its `max - value` wrap negative, so Redis counts it as overflowing upwards (SAT
 * stores the maximum). A SET is checked as `value` = its argument, `incr` = 0 (an unsigned
 * field reads the argument as a uint64); an INCRBY as `value` = the field, `incr` = its
 * argument.
 */
function overflowDirection(op: FieldOp, value: bigint, incr: bigint): number {
  if (op.signed) {
    const max = (1n << BigInt(op.bits - 1)) - 1n;
    const min = -max - 1n;
    const maxIncr = asInt64(max - value);
    const minIncr = asInt64(min - value);
    const narrow = op.bits !== 64;
    if (value > max || (narrow && incr > maxIncr) || (value >= 0n && incr > 0n && incr > maxIncr)) return 1;
    if (value < min || (narrow && incr < minIncr) || (value < 0n && incr < 0n && incr < minIncr)) return -1;
    return 0;
  }
  const max = (1n << BigInt(op.bits)) - 1n;
  if (value > max || (incr > 0n && incr > asInt64(max - value))) return 1;
  if (incr < 0n && incr < asInt64(-value)) return -1;
  return 0;
}

/**
 * The value a SET or INCRBY stores under the field's overflow rule, or null when it
 * overflows under FAIL (nothing is written). WRAP keeps the low bits of the 64-bit sum (two's
 * complement for signed fields); SAT clamps to the end it passed.
 */
function storedValue(op: FieldOp, value: bigint, incr: bigint): bigint | null {
  const direction = overflowDirection(op, value, incr);
  const sum = value + incr;
  if (direction === 0) return sum;
  switch (op.overflow) {
    case "wrap":
      return op.signed ? BigInt.asIntN(op.bits, sum) : BigInt.asUintN(op.bits, sum);
    case "sat":
      if (op.signed) return direction > 0 ? (1n << BigInt(op.bits - 1)) - 1n : -(1n << BigInt(op.bits - 1));
      return direction > 0 ? (1n << BigInt(op.bits)) - 1n : 0n;
    case "fail":
      return null;
  }
}

function bitfieldGeneric(ctx: ExecContext, argv: string[], readOnlyCommand: boolean): Reply {
  const key = argv[1];
  const ops = parseFieldOps(argv);
  const writes = ops.filter((op) => op.kind !== "get");
  if (writes.length > 0 && readOnlyCommand) throw new CommandError(ERR_BITFIELD_RO);
  const cur = lookupString(ctx.db, key);
  let s = cur ?? "";
  let changed = false;
  if (writes.length > 0) {
    // As Redis, the string is first grown to reach the farthest bit any write touches,
    // whether or not the writes then happen (OVERFLOW FAIL).
    const highest = Math.max(...writes.map((op) => op.offset + op.bits - 1));
    const needed = Math.floor(highest / 8) + 1;
    checkGrowthOrReply(ctx, needed);
    s = padTo(s, needed);
    changed = cur === undefined || s.length !== cur.length;
  }
  const out: Reply[] = [];
  for (const op of ops) {
    const raw = readBits(s, op.offset, op.bits);
    const old = op.signed ? BigInt.asIntN(op.bits, raw) : raw;
    if (op.kind === "get") {
      out.push(fieldReply(old));
      continue;
    }
    // An unsigned SET reads its int64 argument as Redis's uint64 (so -1 is 2^64 - 1).
    const next =
      op.kind === "incrby"
        ? storedValue(op, old, op.value)
        : storedValue(op, op.signed ? op.value : BigInt.asUintN(64, op.value), 0n);
    if (next === null) {
      out.push(null);
      continue;
    }
    out.push(fieldReply(op.kind === "incrby" ? next : old));
    if (next !== old) {
      s = writeBits(s, op.offset, op.bits, next);
      changed = true;
    }
  }
  if (changed) {
    ctx.db.set(key, s, true);
    ctx.db.notify(NOTIFY_STRING, "setbit", key);
  }
  return out;
}

defineCommand({
  name: "bitfield",
  arity: -2,
  ...writesOneKey("denyoom"),
  group: "bitmap",
  run: (ctx, argv) => bitfieldGeneric(ctx, argv, false),
});

defineCommand({
  name: "bitfield_ro",
  arity: -2,
  ...readsOneKey("fast"),
  group: "bitmap",
  run: (ctx, argv) => bitfieldGeneric(ctx, argv, true),
});
