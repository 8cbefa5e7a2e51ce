/**
 * Small argument helpers shared by command modules: the "…OrReply" readers that turn
 * Redis's number rules (src/util/numbers.ts) into the error replies Redis sends, and
 * option-name matching. Keep it generic: anything command-specific stays in its module.
 */
import { parseDouble, parseInt64, parseInt64Number, parseLongDouble, type LongDouble } from "../util/numbers";
import { CommandError, ERR_NOT_FLOAT, ERR_NOT_INTEGER } from "./errors";

/**
 * ASCII upper case of an option name, as strcasecmp compares: only a–z change (args are
 * binary strings, and toUpperCase alone would turn "ß" into "SS" or "ÿ" into "Ÿ").
 */
export function upper(s: string): string {
  return NON_ASCII.test(s) ? s.replace(LOWER_RUN, (m) => m.toUpperCase()) : s.toUpperCase();
}
const NON_ASCII = /[^\x00-\x7f]/;
const LOWER_RUN = /[a-z]+/g;

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
