/**
 * Following a shard's slot refusals inside the router (live resharding; the shard side is
 * src/shard/slot-state.ts): clients never see MOVED or ASK.
 *   MOVED <slot> <epoch>  the slot is served by another group: refetch the slot map
 *                         (src/router/slot-map-cache.ts) and send the command where it now points;
 *   ASK <slot> <group>    the slot is migrating and the key is not (or no longer) on the
 *                         source: send the command once to `group`, flagged asking.
 * A command redirected more than MAX_REDIRECTS times answers TRYAGAIN (the slot kept moving).
 */
import { NULL_ARRAY, error, type Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import { isRedirect } from "../shard/slot-state";
import type { ShardPool } from "./dispatch";

export const MAX_REDIRECTS = 5;

export function errStillMoving(slot: number): string {
  return `TRYAGAIN slot ${slot} moved while the command was being routed, try again`;
}

/** Where a refusal sends a command: the group and whether to flag it asking. */
function destination(pool: ShardPool, message: string): { shard: number; asking: boolean; slot: number } {
  const [kind, slot, arg] = message.split(" ");
  if (kind === "ASK") return { shard: Number(arg), asking: true, slot: Number(slot) };
  return { shard: pool.slots.shardOfSlot(Number(slot)), asking: false, slot: Number(slot) };
}

async function refreshIfMoved(pool: ShardPool, replies: Reply[]): Promise<void> {
  if (replies.some((r) => isRedirect(r) && r.message.startsWith("MOVED ")) && pool.refreshSlots) await pool.refreshSlots();
}

/**
 * Re-sends every command of `batches` whose reply in `results` is a refusal, until none is
 * left (or MAX_REDIRECTS rounds), writing the final replies back into `results`.
 */
export async function followRedirects(pool: ShardPool, batches: string[][][], results: Reply[][]): Promise<void> {
  for (let round = 0; ; round++) {
    const todo: Array<{ shard: number; index: number }> = [];
    results.forEach((replies, shard) => replies.forEach((r, index) => isRedirect(r) && todo.push({ shard, index })));
    if (todo.length === 0) return;
    if (round === MAX_REDIRECTS) {
      for (const { shard, index } of todo) {
        const slot = Number((results[shard][index] as { message: string }).message.split(" ")[1]);
        results[shard][index] = error(errStillMoving(slot));
      }
      return;
    }
    await refreshIfMoved(pool, todo.map(({ shard, index }) => results[shard][index]));
    const groups = new Map<string, { shard: number; asking: boolean; argv: string[][]; from: typeof todo }>();
    for (const t of todo) {
      const d = destination(pool, (results[t.shard][t.index] as { message: string }).message);
      const k = `${d.shard}:${d.asking}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { shard: d.shard, asking: d.asking, argv: [], from: [] }));
      g.argv.push(batches[t.shard][t.index]);
      g.from.push(t);
    }
    await Promise.all(
      [...groups.values()].map(async (g) => {
        let replies: Reply[];
        try {
          replies = await pool.exec(g.shard, g.argv, g.asking);
        } catch (e) {
          replies = g.argv.map(() => error(`ERR shard ${g.shard} unavailable: ${(e as Error).message}`));
        }
        g.from.forEach((t, i) => (results[t.shard][t.index] = replies[i]));
      }),
    );
  }
}

/**
 * A transaction refused by its shard: re-sent where the refusal points, unless keys were
 * WATCHed there (their versions live on the shard that lost the slot: the moved keys count
 * as changed, so EXEC fails, as Redis Cluster's MIGRATE deleting them would make it fail).
 */
export async function followTransactionRedirect(
  pool: ShardPool,
  first: Reply,
  batch: string[][],
  watched: WatchedKey[],
): Promise<Reply> {
  let result = first;
  for (let round = 0; isRedirect(result); round++) {
    if (watched.length > 0) return NULL_ARRAY;
    const slot = Number(result.message.split(" ")[1]);
    if (round === MAX_REDIRECTS) return error(errStillMoving(slot));
    await refreshIfMoved(pool, [result]);
    const d = destination(pool, result.message);
    result = await pool.transaction(d.shard, batch, [], d.asking);
  }
  return result;
}

/** A blocking command refused by its shard: re-sent where the refusal points. */
export async function followBlockingRedirect(
  pool: ShardPool,
  first: Reply,
  send: (shard: number, asking: boolean) => Promise<Reply>,
): Promise<Reply> {
  let result = first;
  for (let round = 0; isRedirect(result); round++) {
    const slot = Number(result.message.split(" ")[1]);
    if (round === MAX_REDIRECTS) return error(errStillMoving(slot));
    await refreshIfMoved(pool, [result]);
    const d = destination(pool, result.message);
    result = await send(d.shard, d.asking);
  }
  return result;
}
