/**
 * Small helpers shared by command modules: the "…OrReply" readers that turn Redis's number
 * rules (src/util/numbers.ts) into the error replies Redis sends; option and subcommand
 * matching; the argument shapes several commands share (SCAN options, numkeys key lists,
 * the MPOP family, random-pick counts); and the typed key lookup and store-or-delete that
 * every type module does the same way. Keep it generic: anything command-specific stays in
 * its module.
 */
import { NOTIFY_GENERIC } from "../engine/notify";
import type { Keyspace, Value } from "../engine/keyspace";
import { cstr } from "../util/binary";
import {
  formatLongDouble,
  INT64_MIN,
  isFiniteLongDouble,
  parseDouble,
  parseInt64,
  parseInt64Number,
  parseLongDouble,
  type LongDouble,
} from "../util/numbers";
import {
  CommandError,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_NOT_POSITIVE,
  ERR_NUMKEYS,
  ERR_OUT_OF_RANGE,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
} from "./errors";

// --- option and subcommand names ----------------------------------------------------

/**
 * True when `arg` is the option `name` (given lowercase), as Redis's strcasecmp decides:
 * over the C string, so "nx\0junk" is NX.
 */
export function isOption(arg: string, name: string): boolean {
  const s = cstr(arg);
  return s.length === name.length && s.toLowerCase() === name;
}

/**
 * Whether `arg` names the subcommand `name` (lowercase). Redis finds subcommands in a dict
 * keyed by the whole binary-safe name, case-insensitively, so unlike an option a NUL byte
 * does not end the comparison ("ENCODING\0x" is unknown); the error quotes it up to the NUL.
 */
export function isSubcommand(arg: string, name: string): boolean {
  return arg.length === name.length && arg.toLowerCase() === name;
}

/**
 * An option name in ASCII upper case, read as a C string, as strcasecmp compares: only
 * a–z change (toUpperCase alone would turn "ß" into "SS" or "ÿ" into "Ÿ").
 */
export function upper(s: string): string {
  return cstr(s).replace(/[a-z]+/g, (m) => m.toUpperCase());
}

// --- numbers ----------------------------------------------------------------------------

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

/**
 * A count of 0 or more, as getPositiveLongFromObjectOrReply: text that is not an integer
 * gets the same error as a negative one (`err`, by default Redis's "must be positive").
 */
export function nonNegativeOrReply(arg: string, err: string = ERR_NOT_POSITIVE): number {
  const v = parseInt64Number(arg);
  if (v === null || v < 0) throw new CommandError(err);
  return v;
}

/** A count of 1 or more, as getRangeLongFromObjectOrReply(1, LONG_MAX, err): `err` for any fault. */
export function atLeastOneOrReply(arg: string, err: string): number {
  const v = parseInt64Number(arg);
  if (v === null || v < 1) throw new CommandError(err);
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
  // Past 17 decimals (1e-18, 1e-400) the text rounds to 0, but a positive value rounds up to 1 ms.
  if (ms === 0 && v.kind === "finite" && !v.neg && v.mant !== 0n) return 1;
  return ms;
}

// --- random picks: SRANDMEMBER, ZRANDMEMBER, HRANDFIELD -----------------------------------

const ERR_COUNT_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/** Longest JS array: a repeat count beyond it cannot be answered at all. */
const MAX_REPLY_ITEMS = 2 ** 32 - 1;

/**
 * The count of SRANDMEMBER, ZRANDMEMBER and HRANDFIELD: an int64 within ±LONG_MAX, as
 * Redis 7.0.x reads it (getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX), its fix for
 * LONG_MIN, whose negation overflows).
 */
export function randomCountOrReply(arg: string): bigint {
  const v = int64OrReply(arg);
  if (v === INT64_MIN) throw new CommandError(ERR_COUNT_RANGE);
  return v;
}

/** LONG_MAX / 2: the bound on a count whose reply holds two entries per pick. */
const HALF_LONG_MAX = (2n ** 63n - 1n) / 2n;

/**
 * ZRANDMEMBER … WITHSCORES and HRANDFIELD … WITHVALUES refuse a count outside ±LONG_MAX/2
 * (their reply length would overflow), before looking at the key, as Redis 7.0 does.
 */
export function pairedCountOrReply(count: bigint): void {
  if (count < -HALF_LONG_MAX || count > HALF_LONG_MAX) throw new CommandError(ERR_OUT_OF_RANGE);
}

/**
 * How many independent picks (repeats allowed) a random-pick command makes: `n`, refused
 * with "value is out of range" above `max`. Redis would stream any number of them; here
 * the reply is an array, so the default is the longest one, and a command may ask for less.
 */
export function repeatsOrReply(n: bigint, max: number = MAX_REPLY_ITEMS): number {
  if (n > BigInt(max)) throw new CommandError(ERR_OUT_OF_RANGE);
  return Number(n);
}

// --- SCAN, SSCAN, HSCAN, ZSCAN ------------------------------------------------------------

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

/** The options of SCAN and its per-value forms, as scanGenericCommand reads them. */
export interface ScanOptions {
  count: number;
  /** null when there is no pattern or it is the lone "*" (which Redis skips). */
  pattern: string | null;
  /** TYPE's name, lowercase (SCAN only); null when not given. */
  type: string | null;
}

/**
 * Parses COUNT, MATCH and (when `allowType`: SCAN, not SSCAN/HSCAN/ZSCAN) TYPE from
 * `argv[from]` on, in order; the first error wins, as in Redis.
 */
export function parseScanOptions(argv: string[], from: number, allowType: boolean): ScanOptions {
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = from; i < argv.length; i += 2) {
    const hasValue = i + 1 < argv.length;
    if (isOption(argv[i], "count") && hasValue) {
      opts.count = parseIntegerArg(argv[i + 1]);
      if (opts.count < 1) throw new CommandError(ERR_SYNTAX);
    } else if (isOption(argv[i], "match") && hasValue) {
      // The lone "*" is skipped, as Redis does, so SCAN also returns the empty key.
      opts.pattern = argv[i + 1] === "*" ? null : argv[i + 1];
    } else if (allowType && isOption(argv[i], "type") && hasValue) {
      // Redis 7.0 compares type names with strcasecmp; an unknown name matches nothing.
      opts.type = cstr(argv[i + 1]).toLowerCase();
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return opts;
}

// --- commands that name their keys with a count (numkeys) -----------------------------

const ERR_COUNT_POSITIVE = "ERR count should be greater than 0";

/**
 * The indexes of the keys of a command that names them with a count, as Redis's
 * genericGetKeys: the store key (if any) first, then `numkeys` keys after the count. No
 * keys when the count is not a positive number of keys that fit (the command then fails).
 */
export function numkeysKeys(argv: string[], countIndex: number, storeIndex = 0): number[] {
  const n = parseInt64Number(argv[countIndex] ?? "");
  const first = countIndex + 1;
  if (n === null || n < 1 || n > argv.length - first) return [];
  const keys = storeIndex > 0 ? [storeIndex] : [];
  for (let i = 0; i < n; i++) keys.push(first + i);
  return keys;
}

/**
 * The arguments of LMPOP/BLMPOP and ZMPOP/BZMPOP from numkeys (at `first`): the keys, one
 * of the two direction `words` (lowercase: "left"/"right", "min"/"max"), then an optional
 * COUNT given once. Errors in Redis's order: numkeys, missing direction, direction, options.
 */
export function parseMpopArgs<W extends string>(
  argv: string[],
  first: number,
  words: readonly [W, W],
): { keys: string[]; where: W; count: number } {
  const numkeys = atLeastOneOrReply(argv[first], ERR_NUMKEYS);
  const whereIdx = first + 1 + numkeys;
  if (whereIdx >= argv.length) throw new CommandError(ERR_SYNTAX);
  const where = words.find((w) => isOption(argv[whereIdx], w));
  if (where === undefined) throw new CommandError(ERR_SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < argv.length; j++) {
    if (count === -1 && isOption(argv[j], "count") && j + 1 < argv.length) {
      count = atLeastOneOrReply(argv[++j], ERR_COUNT_POSITIVE);
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return { keys: argv.slice(first + 1, whereIdx), where, count: count === -1 ? 1 : count };
}

// --- keys of a type ---------------------------------------------------------------------

/**
 * The value at `key` when it is an instance of one of the collection `classes` (ListValue,
 * HashValue, …); undefined when the key is missing; WRONGTYPE for any other type.
 * Redis's lookupKey… followed by checkType.
 */
export function lookupOfType<C extends (Function & { prototype: Value })[]>(
  db: Keyspace,
  key: string,
  // Any class, its constructor private or not: only `instanceof` is used.
  ...classes: C
): C[number]["prototype"] | undefined {
  const v = db.get(key);
  if (v === undefined) return undefined;
  for (const cls of classes) if (v instanceof cls) return v as C[number]["prototype"];
  throw new CommandError(ERR_WRONGTYPE);
}

/** The string at `key`, undefined when missing; WRONGTYPE for another type. */
export function lookupString(db: Keyspace, key: string): string | undefined {
  const v = db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new CommandError(ERR_WRONGTYPE);
  return v;
}

/**
 * Stores a command's result at `dst` (setKey: any old value and TTL go) and returns its
 * size; an empty result (`size` 0) deletes `dst` instead, as Redis's STORE forms do.
 * `make` builds the value only when there is one to store. Announces `event` (of class
 * `type`) on `dst`, or `del` when that deleted it.
 */
export function storeOrDelete(db: Keyspace, dst: string, size: number, make: () => Value, type: number, event: string): number {
  if (size === 0) {
    if (db.delete(dst)) db.notify(NOTIFY_GENERIC, "del", dst);
    return 0;
  }
  db.set(dst, make());
  db.notify(type, event, dst);
  return size;
}
