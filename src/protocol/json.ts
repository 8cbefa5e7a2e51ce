/**
 * The Upstash REST dialect's JSON, both ways.
 *
 * Requests: a command is a JSON array (`["SET","k","v",...]`), a pipeline or transaction
 * an array of such arrays. Strings become the binary string of their UTF-8 bytes; numbers
 * keep the digits exactly as written (so 9007199254740993 is not rounded); booleans become
 * "true"/"false". Anything else is refused, as is a body that is not JSON. A body's shape
 * and size (commands, arguments) are checked on its text before it is parsed
 * (checkRequestShape), so a body of millions of tiny arrays is refused before it becomes
 * millions of objects.
 *
 * Replies: written straight to JSON text, in RESP2 shapes (maps flattened, sets as
 * arrays, doubles as their RESP2 strings, the null array as null). Bulk and simple
 * strings are UTF-8 text (invalid sequences become U+FFFD, as Upstash documents), or
 * base64 of the raw bytes under `Upstash-Encoding: base64` — every string except the
 * status reply "OK" at the top of a result, which @upstash/redis reads unencoded
 * (pkg/http.ts `decode`: `raw === "OK" ? "OK" : base64decode(raw)`). Nested strings are
 * always encoded, since the client base64-decodes every string inside an array. Integers
 * are JSON numbers with all their digits, even past 2^53. Error texts are never encoded.
 */
import { binaryToBase64, binaryToUtf8, utf8ToBinary } from "../util/binary";
import { formatDouble } from "../util/numbers";
import type { Reply } from "./reply";

/** A malformed request body: answered with HTTP 400 and this message, nothing runs. */
export class JsonCommandError extends Error {}

export const ERR_BAD_JSON = "ERR failed to parse the request body: it is not valid JSON";
export const ERR_NOT_COMMAND =
  "ERR the request body must be a command as a non-empty JSON array, like [\"SET\",\"key\",\"value\"]";
export const ERR_NOT_PIPELINE =
  "ERR the request body must be a non-empty JSON array of commands, each a non-empty JSON array, like [[\"SET\",\"key\",\"value\"],[\"GET\",\"key\"]]";
export const ERR_BAD_ARGUMENT = "ERR command arguments must be JSON strings, numbers or booleans";

// --- requests ------------------------------------------------------------------------

/** What JSON.parse's reviver gets as third argument where source text access exists. */
interface ReviverContext {
  source?: string;
}

/**
 * Parses a request body. Numbers are replaced by their source text (JSON.parse source
 * text access), so integers wider than 2^53 and literals like 1.50 reach Redis as sent;
 * where the runtime lacks it, the number's shortest form is used instead. A reviver costs
 * about 4× the parse (it is called for every value), so `numbers` false — the body holds
 * no number, as checkRequestShape tells — parses without one.
 */
export function parseJsonBody(text: string, numbers = true): unknown {
  try {
    if (!numbers) return JSON.parse(text);
    return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: ReviverContext) {
      if (typeof value === "number") return context?.source ?? String(value);
      return value;
    } as (this: unknown, key: string, value: unknown) => unknown);
  } catch {
    throw new JsonCommandError(ERR_BAD_JSON);
  }
}

/** Limits on one request body, from configuration (MAX_PIPELINE_COMMANDS, MAX_REQUEST_ARGS). */
export interface BodyLimits {
  maxCommands: number;
  maxArgs: number;
}

export function errTooManyCommands(max: number): string {
  return `ERR too many commands in the request body: at most ${max} (MAX_PIPELINE_COMMANDS)`;
}

export function errTooManyArgs(max: number): string {
  return `ERR too many arguments in the request body: at most ${max} (MAX_REQUEST_ARGS)`;
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

/**
 * Walks a body's text once, without building anything, and refuses it (JsonCommandError)
 * when its shape cannot be a command (`kind` "command": an array of scalars) or a pipeline
 * (an array of non-empty arrays of scalars), or when it holds more commands or arguments
 * than `limits`. Syntax is otherwise JSON.parse's job afterwards; but a body with a wrong
 * shape is not parsed at all, so here it is only told apart from text that is cut short or
 * has more after its value ("not valid JSON", as before). A top-level scalar passes (it is
 * one value: parsing tells whether it is JSON at all). Returns whether the body holds a
 * number (outside strings), for parseJsonBody.
 */
export function checkRequestShape(text: string, kind: "command" | "pipeline", limits: BodyLimits): boolean {
  const shapeError = kind === "command" ? ERR_NOT_COMMAND : ERR_NOT_PIPELINE;
  // Depth of the arrays holding arguments: the body's own for a command, its items' for a pipeline.
  const commandDepth = kind === "command" ? 1 : 2;
  let problem: string | null = null;
  const refuse = (message: string) => (problem ??= message);
  let depth = 0;
  let started = false;
  let expectValue = true;
  let commands = 0;
  let args = 0;
  let argsInCommand = 0;
  let numbers = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (WHITESPACE.has(c)) continue;
    if (started && depth === 0) throw new JsonCommandError(ERR_BAD_JSON);
    if (!started) {
      if (c !== "[" && c !== "{") return true;
      started = true;
      if (c === "{") refuse(shapeError);
      depth = 1;
      continue;
    }
    if (problem !== null) {
      // Refused already: only whether the text is complete still matters.
      if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") depth--;
      else if (c === '"') i = endOfString(text, i);
      continue;
    }
    if (c === ",") {
      expectValue = true;
      continue;
    }
    if (c === "]" || c === "}") {
      if (depth === commandDepth && argsInCommand === 0) refuse(shapeError);
      else if (depth === 1 && kind === "pipeline" && commands === 0) refuse(shapeError);
      depth--;
      expectValue = false;
      continue;
    }
    if (c === "[" && depth === 1 && kind === "pipeline") {
      if (++commands > limits.maxCommands) refuse(errTooManyCommands(limits.maxCommands));
      depth = 2;
      argsInCommand = 0;
      expectValue = true;
      continue;
    }
    if (c === "[" || c === "{") {
      // Inside a command it is not an argument; at a pipeline's top, not a command.
      refuse(depth === commandDepth ? ERR_BAD_ARGUMENT : shapeError);
      depth++;
      continue;
    }
    if (depth !== commandDepth) refuse(shapeError);
    else if (expectValue) {
      if (++args > limits.maxArgs) refuse(errTooManyArgs(limits.maxArgs));
      argsInCommand++;
      expectValue = false;
    }
    if (c === '"') i = endOfString(text, i);
    else if (c === "-" || (c >= "0" && c <= "9")) numbers = true;
  }
  // Cut short (an unclosed array or string), or nothing but whitespace: not JSON.
  if (depth !== 0 || !started) {
    if (started) throw new JsonCommandError(ERR_BAD_JSON);
    return true;
  }
  if (problem !== null) throw new JsonCommandError(problem);
  return numbers;
}

/** The index of the quote closing the string that opens at `start` (or the text's end). */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const q = text.indexOf('"', at);
    if (q < 0) return text.length;
    let backslashes = 0;
    for (let b = q - 1; b > start && text[b] === "\\"; b--) backslashes++;
    if (backslashes % 2 === 0) return q;
    at = q + 1;
  }
}

/** A command's body (POST /) → argv, its shape and size checked before it is parsed. */
export function commandFromJson(text: string, limits: BodyLimits): string[] {
  return jsonToArgv(parseJsonBody(text, checkRequestShape(text, "command", limits)));
}

/** A /pipeline or /multi-exec body → one argv per command, checked before it is parsed. */
export function pipelineFromJson(text: string, limits: BodyLimits): string[][] {
  return jsonToPipeline(parseJsonBody(text, checkRequestShape(text, "pipeline", limits)));
}

/** A parsed JSON value is one command: a non-empty array of arguments. */
function isCommand(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.length > 0;
}

function toArgv(command: unknown[]): string[] {
  return command.map((a) => {
    // Numbers arrive as their source text (see parseJsonBody): ASCII, so unchanged here.
    if (typeof a === "string") return utf8ToBinary(a);
    if (typeof a === "boolean") return a ? "true" : "false";
    if (typeof a === "number") return String(a);
    throw new JsonCommandError(ERR_BAD_ARGUMENT);
  });
}

/** The body of POST / → argv (binary strings). */
export function jsonToArgv(value: unknown): string[] {
  if (!isCommand(value)) throw new JsonCommandError(ERR_NOT_COMMAND);
  return toArgv(value);
}

/** The body of /pipeline or /multi-exec → one argv per command. */
export function jsonToPipeline(value: unknown): string[][] {
  if (!isCommand(value) || !value.every(isCommand)) throw new JsonCommandError(ERR_NOT_PIPELINE);
  return value.map((c) => toArgv(c as unknown[]));
}

// --- replies -------------------------------------------------------------------------

/** A JSON string literal of text. */
function str(text: string): string {
  return JSON.stringify(text);
}

/** A bulk/simple string's bytes as a JSON string: UTF-8 text, or base64. */
function bytes(s: string, base64: boolean): string {
  return str(base64 ? binaryToBase64(s) : binaryToUtf8(s));
}

function list(items: readonly Reply[], base64: boolean): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += value(items[i], base64);
  }
  return out + "]";
}

/** Any reply as a JSON value (inside an array: no "OK" exception). */
function value(r: Reply, base64: boolean): string {
  if (typeof r === "string") return bytes(r, base64);
  if (typeof r === "number") return Number.isFinite(r) ? String(r) : "null";
  if (typeof r === "bigint") return r.toString();
  if (r === null) return "null";
  if (Array.isArray(r)) return list(r, base64);
  switch (r.kind) {
    case "simple":
      return bytes(r.value, base64);
    case "error":
      // An error inside an array (a script's error_reply in a table): its text, unencoded.
      return `{"error":${str(binaryToUtf8(r.message))}}`;
    case "double":
      return bytes(r.text ?? formatDouble(r.value), base64);
    case "map":
      return list(r.entries, base64);
    case "set":
    case "pairs":
      return list(r.items, base64);
    case "nullarray":
      return "null";
    case "verbatim":
    case "bignum":
      return bytes(r.text, base64);
    case "boolean":
      // RESP2's view of it, as for every reply here.
      return r.value ? "1" : "0";
    case "push":
      return list(r.items, base64);
    case "sequence":
      return list(r.replies, base64);
  }
}

/** A command's result as the JSON value of `"result"`. */
function resultValueJson(r: Reply, base64: boolean): string {
  if (base64 && r !== null && typeof r === "object" && !Array.isArray(r) && r.kind === "simple" && r.value === "OK") {
    return '"OK"';
  }
  return value(r, base64);
}

/** `{"error":"…"}` for an error text (a binary string: decoded as UTF-8). */
export function errorJson(message: string): string {
  return `{"error":${str(binaryToUtf8(message))}}`;
}

/** One command's reply as Upstash sends it: `{"result":…}` or `{"error":"…"}`. */
export function replyJson(r: Reply, base64: boolean): string {
  if (r !== null && typeof r === "object" && !Array.isArray(r) && r.kind === "error") return errorJson(r.message);
  return `{"result":${resultValueJson(r, base64)}}`;
}

/** A pipeline's or transaction's replies: `[{"result":…},{"error":"…"},…]`. */
export function repliesJson(replies: readonly Reply[], base64: boolean): string {
  return "[" + replies.map((r) => replyJson(r, base64)).join(",") + "]";
}
