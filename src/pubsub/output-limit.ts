/**
 * The slow-subscriber bound: `CONFIG SET client-output-buffer-limit "pubsub <hard> …"` is
 * held by the shards (like every CONFIG parameter) and read by a router from shard 0 when a
 * connection first subscribes; past the hard limit of unsent output the subscriber is
 * disconnected. Until (or unless) the shard answers, Redis's default applies.
 */
import type { Reply } from "../protocol/reply";
import type { ShardPool } from "../router/dispatch";

/** Redis's default pubsub hard limit (32mb). */
export const DEFAULT_PUBSUB_OUTPUT_LIMIT = 32 * 1024 * 1024;

/** The pubsub hard limit in CONFIG GET client-output-buffer-limit's reply, or null. */
export function pubsubHardLimit(reply: Reply): number | null {
  // CONFIG GET answers a map (a flat array in RESP2): [name, value].
  const entries = Array.isArray(reply) ? reply : reply !== null && typeof reply === "object" && reply.kind === "map" ? reply.entries : null;
  const value = entries?.[1];
  if (typeof value !== "string") return null;
  const m = /(?:^| )pubsub (\d+) /.exec(value);
  return m ? Number(m[1]) : null;
}

/** Asks shard 0; 0 means no limit (as Redis). */
export async function readPubsubOutputLimit(pool: ShardPool): Promise<number> {
  try {
    const [reply] = await pool.exec(0, [["CONFIG", "GET", "client-output-buffer-limit"]]);
    const hard = pubsubHardLimit(reply);
    if (hard === null) return DEFAULT_PUBSUB_OUTPUT_LIMIT;
    return hard === 0 ? Infinity : hard;
  } catch {
    return DEFAULT_PUBSUB_OUTPUT_LIMIT;
  }
}
