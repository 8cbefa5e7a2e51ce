/**
 * Small argument helpers shared by command modules: the "…OrReply" readers that turn
 * Redis's number rules (src/util/numbers.ts) into the error replies Redis sends, and
 * option-name matching. Keep it generic: anything command-specific stays in its module.
 */
import type { Keyspace, Value } from "../engine/keyspace";
import { formatLongDouble, isFiniteLongDouble, parseDouble, parseInt64, parseInt64Number, parseLongDouble, type LongDouble } from "../util/numbers";
import { CommandError, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_WRONGTYPE } from "./errors";

/**
 * An argument as C sees it: Redis compares option names with strcasecmp and prints them
 * with %s, both of which stop at the first NUL byte ("nx\0junk" is NX to Redis).
 */
export function cstr(arg: string): string {
  const nul = arg.indexOf("\0");
  return nul < 0 ? arg : arg.slice(0, nul);
}

/** True when `arg` is the option `name` (given lowercase), as Redis's strcasecmp decides. */
export function isOption(arg: string, name: string): boolean {
  const s = cstr(arg);
  return s.length === name.length && s.toLowerCase() === name;
}

/**
 * An option name in ASCII upper case, read as a C string, as strcasecmp compares: only
 * a–z change (toUpperCase alone would turn "ß" into "SS" or "ÿ" into "Ÿ").
 */
export function upper(s: string): string {
  return cstr(s).replace(/[a-z]+/g, (m) => m.toUpperCase());
}

const ERR_INVALID_CURSOR = "ERR invalid cursor";
const ULONG_MAX = (1n << 64n) - 1n;

/**
 * Reads a SCAN cursor as Redis's parseScanCursorOrReply: strtoul base 10 over the C string
 * (so up to a NUL byte), refusing a leading space, trailing bytes and overflow. strtoul's
 * quirks stay: "" is 0, a '+' is allowed, and "-n" wraps to 2^64 - n.
 */
export function scanCursorOrReply(arg: string): bigint {
  const s = cstr(arg);
  if (s.length === 0) return 0n;
  const m = /^([+-]?)([0-9]+)$/.exec(s);
  if (!m) throw new CommandError(ERR_INVALID_CURSOR);
  let v = BigInt(m[2]);
  if (v > ULONG_MAX) throw new CommandError(ERR_INVALID_CURSOR);
  if (m[1] === "-" && v !== 0n) v = ULONG_MAX + 1n - v;
  return v;
}

/**
 * A SCAN cursor as a number: shard cursors are sequence numbers far below 2^53, so a
 * larger one just means "past the end".
 */
export function parseScanCursor(arg: string): number {
  return Number(scanCursorOrReply(arg));
}

/** An int64 argument as bigint, as getLongLongFromObjectOrReply (throws `err`). */
export function int64OrReply(s: string, err: string = ERR_NOT_INTEGER): bigint {
  const v = parseInt64(s);
  if (v === null) throw new CommandError(err);
  return v;
}

/**
 * An int64 argument as a JS number (getLongLongFromObjectOrReply): exact within ±2^53,
 * the nearest double beyond. For counts, offsets and ranges.
 */
export function parseIntegerArg(s: string, err: string = ERR_NOT_INTEGER): number {
  const v = parseInt64Number(s);
  if (v === null) throw new CommandError(err);
  return v;
}

/** A double argument, as getDoubleFromObjectOrReply (throws "value is not a valid float"). */
export function doubleOrReply(s: string, err: string = ERR_NOT_FLOAT): number {
  const v = parseDouble(s);
  if (v === null) throw new CommandError(err);
  return v;
}

/** A long double argument, as getLongDoubleFromObjectOrReply. */
export function longDoubleOrReply(s: string, err: string = ERR_NOT_FLOAT): LongDouble {
  const v = parseLongDouble(s);
  if (v === null) throw new CommandError(err);
  return v;
}

/**
 * The value at `key` when it is an instance of the collection class `cls` (ListValue,
 * HashValue, …); undefined when the key is missing; WRONGTYPE for any other type.
 * Redis's lookupKey… followed by checkType.
 */
export function lookupOfType<T extends Value>(
  db: Keyspace,
  key: string,
  // Any class, its constructor private or not: only `instanceof` is used.
  cls: Function & { prototype: T },
): T | undefined {
  const v = db.get(key);
  if (v === undefined) return undefined;
  if (!(v instanceof cls)) throw new CommandError(ERR_WRONGTYPE);
  return v as T;
}

const ERR_TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
const ERR_TIMEOUT_NEGATIVE = "ERR timeout is negative";

/**
 * A blocking command's timeout in seconds, as Redis 7.0's getTimeoutFromObjectOrReply
 * reads it: a long double, times 1000, rounded up to whole milliseconds. Values whose
 * milliseconds do not fit an int64 (inf included) come out negative on Redis's x86 builds,
 * so they are refused as negative too. 0 means wait for ever.
 */
export function timeoutOrReply(arg: string): number {
  const v = parseLongDouble(arg);
  if (v === null) throw new CommandError(ERR_TIMEOUT_NOT_FLOAT);
  if (!isFiniteLongDouble(v)) throw new CommandError(ERR_TIMEOUT_NEGATIVE);
  const ms = Math.ceil(Number(formatLongDouble(v)) * 1000);
  if (ms < 0 || ms > 9223372036854775807) throw new CommandError(ERR_TIMEOUT_NEGATIVE);
  return ms;
}
