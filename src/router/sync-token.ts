/**
 * The `upstash-sync-token` of the HTTP dialect (read-your-writes, as @upstash/redis uses it
 * with its default `readYourWrites`: it sends the last token it got on every request and
 * stores the one every successful response carries, replacing its own).
 *
 * Ours encodes, per group (shard), the replication offset the client has seen: the primary's
 * offset after its write's commit, or the offset of the object that served its read. A
 * replica serves one of the client's later reads only once it has applied that much (see
 * Shard.run), so a client never reads its own write back stale, nor goes back in time.
 * Format: `<group>:<offset>` pairs joined by ",", e.g. "0:1834,3:120"; "" before anything was
 * seen. The server answers the merge (per group, the highest) of what the client sent and what
 * the request saw: the client replaces its token with ours, so nothing it had seen is dropped.
 * Anything unreadable in a sent token is ignored (a token is a hint, never an error).
 */

/** Per group, the highest replication offset seen. */
export type SyncOffsets = Map<number, number>;

/** Groups a token may name: far above any deployment's, it only bounds what a client can make us hold. */
const MAX_GROUPS = 4096;

export function parseSyncToken(text: string | undefined | null): SyncOffsets {
  const seen: SyncOffsets = new Map();
  if (!text) return seen;
  for (const pair of text.split(",", MAX_GROUPS)) {
    const m = /^(\d{1,4}):(\d{1,16})$/.exec(pair.trim());
    if (!m) continue;
    const group = Number(m[1]);
    const offset = Number(m[2]);
    if (group < MAX_GROUPS && Number.isSafeInteger(offset)) raiseOffset(seen, group, offset);
  }
  return seen;
}

export function encodeSyncToken(seen: SyncOffsets): string {
  return [...seen]
    .sort((a, b) => a[0] - b[0])
    .map(([group, offset]) => `${group}:${offset}`)
    .join(",");
}

/** Records that offset `offset` of group `group` was seen (never lowers what was). */
export function raiseOffset(seen: SyncOffsets, group: number, offset: unknown): void {
  if (typeof offset !== "number" || !(offset > (seen.get(group) ?? 0))) return;
  seen.set(group, offset);
}
