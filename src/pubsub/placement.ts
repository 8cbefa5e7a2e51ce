/**
 * Where a Pub/Sub channel lives: hub i of `hubs` (the object named "hub-<i>" in the HUB
 * namespace) holds the channels whose slot falls in its contiguous range, as shards hold
 * keys — but independently of the shards, so resharding and failover never move a
 * subscriber. A shard channel (SSUBSCRIBE/SPUBLISH) lives in the hub of its slot too, in a
 * namespace of its own. Patterns are registered in every hub, so every PUBLISH sees them.
 */
import { keySlot, SLOTS } from "../util/keyslot";

export const DEFAULT_HUBS = 4;

/** The object name of hub `i`. */
export function hubName(i: number): string {
  return `hub-${i}`;
}

/** The hub holding `channel` (classic or shard) among `hubs`. */
export function hubOfChannel(channel: string, hubs: number): number {
  return Math.floor((keySlot(channel) * hubs) / SLOTS);
}

/** The three subscription namespaces: channels, patterns, shard channels. */
export type SubscriptionKind = "channel" | "pattern" | "shard";
