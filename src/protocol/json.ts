/**
 * The Upstash REST dialect's JSON: request bodies (a command as a JSON array; a pipeline
 * as an array of arrays) to argv of binary strings, and replies to JSON values as Upstash
 * sends them — RESP2 shapes (maps flattened, doubles as strings), bulk strings as UTF-8
 * text, or base64 under `Upstash-Encoding: base64` (every string except the status "OK").
 */
import { binaryToBase64, binaryToUtf8, utf8ToBinary } from "../util/binary";
import { formatDouble } from "./resp";
import type { Reply } from "./reply";

export class JsonCommandError extends Error {}

/** One JSON command (array of strings, numbers or booleans) → argv. */
export function jsonToArgv(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new JsonCommandError("ERR command must be a non-empty JSON array");
  }
  return value.map((a) => {
    if (typeof a === "string") return utf8ToBinary(a);
    if (typeof a === "number" || typeof a === "boolean") return String(a);
    throw new JsonCommandError("ERR command arguments must be strings or numbers");
  });
}

/** A JSON pipeline body (array of commands) → list of argv. */
export function jsonToPipeline(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new JsonCommandError("ERR pipeline must be a non-empty JSON array of commands");
  }
  return value.map(jsonToArgv);
}

/** A reply as Upstash's JSON value. Integers beyond 2^53 keep their digits (see stringify). */
export function replyToJson(r: Reply, base64: boolean): unknown {
  if (typeof r === "string") return base64 ? binaryToBase64(r) : binaryToUtf8(r);
  if (typeof r === "number" || r === null) return r;
  if (typeof r === "bigint") return Number.isSafeInteger(Number(r)) ? Number(r) : new BigIntJson(r);
  if (Array.isArray(r)) return r.map((x) => replyToJson(x, base64));
  switch (r.kind) {
    case "simple":
      return base64 && r.value !== "OK" ? binaryToBase64(r.value) : r.value;
    case "error":
      return { error: r.message };
    case "double":
      return replyToJson(formatDouble(r.value), base64);
    case "map":
      return r.entries.map((x) => replyToJson(x, base64));
    case "set":
      return r.items.map((x) => replyToJson(x, base64));
    case "nullarray":
      return null;
    case "verbatim":
      return replyToJson(r.text, base64);
  }
}

/** A wide integer that serializes as its exact digits. */
class BigIntJson {
  constructor(readonly value: bigint) {}
}

/** JSON.stringify that writes wide integers exactly. */
export function stringifyJson(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v) => {
    if (v instanceof BigIntJson) {
      marks.push(v.value.toString());
      return `\u0000big${marks.length - 1}\u0000`;
    }
    return v;
  });
  if (marks.length === 0) return text;
  return text.replace(/"\\u0000big(\d+)\\u0000"/g, (_m, i) => marks[Number(i)]);
}
