/**
 * The messages on a subscriber socket between a router session and a hub (text frames of
 * JSON; Redis strings are binary strings, one char per byte, which JSON carries as is).
 *
 *   router → hub   {"id":7,"op":"sub"|"unsub","kind":"channel"|"pattern"|"shard","names":[…]}
 *   hub → router   {"ack":7}                      the op is in force (replies follow it)
 *                  [["message",ch,msg],["pmessage",pat,ch,msg],…]   pushes, in publish order
 *                  [["monitor",line],…]           MONITOR lines (to monitor sockets)
 *   router → hub   "ping" every HEARTBEAT_MS, answered "pong" by the runtime (hub asleep)
 */
import type { SubscriptionKind } from "./placement";

export interface ControlFrame {
  readonly id: number;
  readonly op: "sub" | "unsub";
  /** "monitor": the socket becomes a MONITOR (names unused; hub 0 only). */
  readonly kind: SubscriptionKind | "monitor";
  readonly names: string[];
}

export interface AckFrame {
  readonly ack: number;
}

/** A push as Redis shapes it: ["message", channel, message] and the like. */
export type Push = string[];

export function isControlFrame(x: unknown): x is ControlFrame {
  const f = x as ControlFrame;
  return (
    typeof f === "object" && f !== null && typeof f.id === "number" && (f.op === "sub" || f.op === "unsub") &&
    (f.kind === "channel" || f.kind === "pattern" || f.kind === "shard" || f.kind === "monitor") && Array.isArray(f.names) && f.names.every((n) => typeof n === "string")
  );
}

/** How often a router's subscriber socket says it is alive (the hub's ghost sweep reads it). */
export const HEARTBEAT_MS = 30_000;
export const HEARTBEAT_PING = "ping";
export const HEARTBEAT_PONG = "pong";
