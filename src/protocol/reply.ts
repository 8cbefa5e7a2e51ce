/**
 * Reply values: what a command returns, before any wire encoding. Handlers return these;
 * only the edge turns them into RESP2, RESP3 or Upstash JSON. They are plain data (no
 * class instances) so they cross Durable Object RPC by structured clone unchanged.
 *
 *   string          bulk string (a binary string: one char per byte)
 *   number | bigint integer (a number is always integral here)
 *   null            null bulk string (RESP2 `$-1`, RESP3 `_`)
 *   Reply[]         array
 *   tagged objects  simple string, error, double, map, set, pairs, null array, verbatim text,
 *                   big number, boolean
 */

export type Reply =
  | string
  | number
  | bigint
  | null
  | Reply[]
  | SimpleReply
  | ErrorReply
  | DoubleReply
  | MapReply
  | SetReply
  | NullArrayReply
  | VerbatimReply
  | BigNumberReply
  | BooleanReply
  | PairsReply
  | PushReply
  | SequenceReply;

interface SimpleReply { readonly kind: "simple"; readonly value: string }
/** `message` starts with the error code, as Redis sends it: "ERR syntax error". */
export interface ErrorReply { readonly kind: "error"; readonly message: string }
/**
 * A double: RESP3 `,`; in RESP2 a bulk string formatted as Redis 7.0 does (%.17g), or as
 * `text` when Redis prints this double otherwise (addReplyHumanLongDouble: GEOPOS).
 */
interface DoubleReply { readonly kind: "double"; readonly value: number; readonly text?: string }
/** RESP3 map; in RESP2 a flat array. `entries` is flat: key, value, key, value, … */
interface MapReply { readonly kind: "map"; readonly entries: Reply[] }
/** RESP3 set; in RESP2 an array. */
interface SetReply { readonly kind: "set"; readonly items: Reply[] }
/** The null array: RESP2 `*-1`, RESP3 `_` (EXEC aborted by WATCH, BLPOP timeout). */
interface NullArrayReply { readonly kind: "nullarray" }
/** RESP3 verbatim string (INFO, CLIENT INFO); in RESP2 a bulk string. */
interface VerbatimReply { readonly kind: "verbatim"; readonly format: string; readonly text: string }
/** RESP3 big number `(` (only scripts return one: {big_number=...}); in RESP2 a bulk string. */
interface BigNumberReply { readonly kind: "bignum"; readonly text: string }
/**
 * RESP3 boolean `#t`/`#f`; in RESP2 (and JSON) the integer 1 or 0, as Redis's addReplyBool.
 * Only scripts return one: a Lua boolean after redis.setresp(3).
 */
interface BooleanReply { readonly kind: "boolean"; readonly value: boolean }
/**
 * Pairs in order (member/score for WITHSCORES, field/value for WITHVALUES): `items` is flat
 * (a, b, a, b, …). RESP2 (and JSON) a flat array; RESP3 an array of two-element arrays, as
 * Redis 7.0 replies there (an array, not a map, so order is kept).
 */
export interface PairsReply { readonly kind: "pairs"; readonly items: Reply[] }

/** Pub/Sub: a push (RESP3 `>`, RESP2 an array), as Redis sends subscribe replies and messages. */
export interface PushReply { readonly kind: "push"; readonly items: Reply[] }
/**
 * Several top-level replies from one command, sent one after the other (SUBSCRIBE a b
 * answers one push per channel). Only at the top level of a RESP session's reply.
 */
export interface SequenceReply { readonly kind: "sequence"; readonly replies: Reply[] }

export const OK: SimpleReply = { kind: "simple", value: "OK" };
export const QUEUED: SimpleReply = { kind: "simple", value: "QUEUED" };
export const NULL_ARRAY: NullArrayReply = { kind: "nullarray" };

export function simple(value: string): SimpleReply {
  return { kind: "simple", value };
}
export function error(message: string): ErrorReply {
  return { kind: "error", message };
}
/**
 * An integer reply from an int64 (or an integral double beyond ±2^53): a number when
 * exact, else the bigint, so the encoders print every digit.
 */
export function integer(v: number | bigint): number | bigint {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v : BigInt(v);
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}
export function double(value: number, text?: string): DoubleReply {
  return text === undefined ? { kind: "double", value } : { kind: "double", value, text };
}
export function map(entries: Reply[]): MapReply {
  return { kind: "map", entries };
}
export function set(items: Reply[]): SetReply {
  return { kind: "set", items };
}
export function pairs(items: Reply[]): PairsReply {
  return { kind: "pairs", items };
}
export function verbatim(text: string, format = "txt"): VerbatimReply {
  return { kind: "verbatim", format, text };
}

export function bigNumber(text: string): BigNumberReply {
  return { kind: "bignum", text };
}

export function boolean(value: boolean): BooleanReply {
  return { kind: "boolean", value };
}

export function push(items: Reply[]): PushReply {
  return { kind: "push", items };
}
export function sequence(replies: Reply[]): SequenceReply {
  return { kind: "sequence", replies };
}

export function isError(r: Reply): r is ErrorReply {
  return r !== null && typeof r === "object" && !Array.isArray(r) && r.kind === "error";
}
