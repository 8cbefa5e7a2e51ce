/**
 * Bounded replies: the one mechanism that keeps a reply inside what a shard can build and
 * send. A Durable Object has a 128 MB isolate and a 32 MiB limit on an RPC's serialized
 * return value, while Redis streams replies of any size (SRANDMEMBER key -50000000 on a
 * three-member set answers fifty million elements). Hotslot refuses a reply that would
 * exceed MAX_REPLY_ELEMENTS elements or MAX_REPLY_BYTES bytes with
 * `ERR reply too large: …`, BEFORE it is built where the handler knows its size up front
 * (a count, a range's length, a collection's size): handlers charge `ctx.replyBudget`
 * with what they are about to produce. The executor resets the budget per command, and
 * measures every built reply as a safety net (per command, and per batch: the replies of
 * one RPC share one serialized message).
 */
import type { Reply } from "../protocol/reply";
import { CommandError } from "./errors";

/** Default MAX_REPLY_ELEMENTS: a million elements, a few MB of references and RPC framing. */
export const DEFAULT_MAX_REPLY_ELEMENTS = 1_000_000;
/**
 * Default MAX_REPLY_BYTES: 24 MiB of payload, so that with the serializer's few bytes of
 * framing per element (a million of them) a reply still fits the 32 MiB RPC limit.
 */
export const DEFAULT_MAX_REPLY_BYTES = 24 * 1024 * 1024;

/** What a handler's reply may hold; charged by the handler, reset per command. */
export interface ReplyBudget {
  /** About to produce `n` more elements (array items, map/pair entries): throws when over. */
  elements(n: number): void;
  /** About to produce `n` more bytes of string payload: throws when over. */
  bytes(n: number): void;
}

export function errReplyElements(n: number, max: number): string {
  return `ERR reply too large: ${n} elements (MAX_REPLY_ELEMENTS is ${max})`;
}

export function errReplyBytes(n: number, max: number): string {
  return `ERR reply too large: ${n} bytes (MAX_REPLY_BYTES is ${max})`;
}

/** The budget of one command (the executor resets it before each). */
export class CommandReplyBudget implements ReplyBudget {
  private elementCount = 0;
  private byteCount = 0;

  constructor(
    private readonly maxElements: number,
    private readonly maxBytes: number,
  ) {}

  /** A new command: nothing charged yet. */
  reset(): void {
    this.elementCount = 0;
    this.byteCount = 0;
  }

  elements(n: number): void {
    this.elementCount += n;
    if (this.elementCount > this.maxElements) throw new CommandError(errReplyElements(this.elementCount, this.maxElements));
  }

  bytes(n: number): void {
    this.byteCount += n;
    if (this.byteCount > this.maxBytes) throw new CommandError(errReplyBytes(this.byteCount, this.maxBytes));
  }
}

/** A budget that never refuses: log replay (replies are dropped; what was accepted once replays). */
export const UNBOUNDED_BUDGET: ReplyBudget = {
  elements() {},
  bytes() {},
};

/** A reply's size as the bounds count it: elements (at every depth) and payload bytes. */
export interface ReplySize {
  elements: number;
  bytes: number;
}

/** Bytes charged for a reply that holds no string payload (an integer, a double, a null). */
const SCALAR_BYTES = 8;

/**
 * Measures `reply`, stopping early once it is past `maxElements` or `maxBytes` (so a huge
 * reply costs no more than the bound to measure): the executor's safety net after a
 * handler ran.
 */
export function measureReply(reply: Reply, maxElements: number, maxBytes: number): ReplySize {
  const size: ReplySize = { elements: 0, bytes: 0 };
  const stack: Reply[] = [reply];
  while (stack.length > 0) {
    if (size.elements > maxElements || size.bytes > maxBytes) break;
    const r = stack.pop()!;
    if (typeof r === "string") size.bytes += r.length;
    else if (r === null || typeof r !== "object") size.bytes += SCALAR_BYTES;
    else if (Array.isArray(r)) pushItems(r, stack, size, maxElements);
    else {
      switch (r.kind) {
        case "simple":
          size.bytes += r.value.length;
          break;
        case "error":
          size.bytes += r.message.length;
          break;
        case "verbatim":
        case "bignum":
          size.bytes += r.text.length;
          break;
        case "map":
          pushItems(r.entries, stack, size, maxElements);
          break;
        case "set":
        case "pairs":
          pushItems(r.items, stack, size, maxElements);
          break;
        default:
          size.bytes += SCALAR_BYTES;
      }
    }
  }
  return size;
}

function pushItems(items: Reply[], stack: Reply[], size: ReplySize, maxElements: number): void {
  size.elements += items.length;
  if (size.elements > maxElements) return;
  for (const item of items) stack.push(item);
}
