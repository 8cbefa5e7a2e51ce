/**
 * Following a shard's slot refusals inside the router (live resharding; the shard side is
 * src/shard/slot-state.ts): clients never see MOVED or ASK.
 *   MOVED <slot> <epoch>  the slot is served by another group: refetch the slot map
 *                         (src/router/slot-map-cache.ts) and send the command where it now points;
 *   ASK <slot> <group>    the slot is migrating and the key is not (or no longer) on the
 *                         source: send the command once to `group`, flagged asking;
 *   SPLIT <slot>          a command the router split by group (MGET, MSET, DEL, …) holds keys
 *                         of several slots, one of them moving: it is split per slot, each
 *                         piece routed (and redirected) on its own, the replies merged;
 *   DEFERRED <slot> <group> <asking>
 *                         not run: an earlier command of the call on its slot was redirected
 *                         (src/shard/slot-state.ts CallOrder): sent again to `group`, in the
 *                         next round, after the redirected commands before it.
 * A command redirected more than MAX_REDIRECTS times answers TRYAGAIN (the slot kept moving).
 *
 * Order across calls: a pool with channels (src/router/pool.ts) follows a call's refusals
 * inside the channel (`redirectFollower`), which holds its queue until they are followed, so
 * a connection's later command on the slot, queued for the next call, cannot overtake them
 * (src/router/channel.ts); re-sends go `resent`: first in line, never held. Commands routed
 * by a newer slot map than the connection's calls still out wait for those (src/router/session.ts).
 */
import { keyIndexes, lookupCommand } from "../commands/table";
import { NULL_ARRAY, OK, error, isError, type Reply } from "../protocol/reply";
import { keySlot } from "../util/keyslot";
import type { WatchedKey } from "../shard/core";
import { isRedirect } from "../shard/slot-state";
import type { Follower } from "./channel";
import type { ShardPool } from "./dispatch";

export const MAX_REDIRECTS = 5;

export function errStillMoving(slot: number): string {
  return `TRYAGAIN slot ${slot} moved while the command was being routed, try again`;
}

/** Where a refusal sends a command: the group and whether to flag it asking. */
function destination(pool: ShardPool, message: string): { shard: number; asking: boolean; slot: number } {
  const [kind, slot, arg] = message.split(" ");
  if (kind === "ASK") return { shard: Number(arg), asking: true, slot: Number(slot) };
  if (kind === "DEFERRED") return { shard: Number(arg), asking: message.split(" ")[3] === "1", slot: Number(slot) };
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
    // In order: the redirected commands before a SPLIT one are re-sent (and answered) before
    // it runs, and those after it once it has — a split MSET must not overtake an APPEND
    // redirected before it, nor be overtaken by one after it (pipeline order per slot).
    let segment: typeof todo = [];
    for (const t of todo) {
      if (!(results[t.shard][t.index] as { message: string }).message.startsWith("SPLIT ")) {
        segment.push(t);
        continue;
      }
      await resend(pool, batches, results, segment);
      segment = [];
      results[t.shard][t.index] = await runPerSlot(pool, batches[t.shard][t.index]);
    }
    await resend(pool, batches, results, segment);
  }
}

/**
 * What a pool's channel runs on a call's refused exec ops (ShardChannel.call's `follow`): the
 * refusals followed as routeBatch follows a call's, the final replies written back.
 */
export function redirectFollower(pool: ShardPool): Follower {
  return (batches, results) => followRedirects(pool, batches, results);
}

/** Re-sends redirected commands where their refusals point: one call per destination, in parallel. */
async function resend(pool: ShardPool, batches: string[][][], results: Reply[][], todo: Array<{ shard: number; index: number }>): Promise<void> {
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
        replies = await pool.exec(g.shard, g.argv, g.asking, true);
      } catch (e) {
        replies = g.argv.map(() => error(`ERR shard ${g.shard} unavailable: ${(e as Error).message}`));
      }
      g.from.forEach((t, i) => (results[t.shard][t.index] = replies[i]));
    }),
  );
}

/**
 * A split command (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) refused with SPLIT: one piece per
 * slot, routed by the current map and redirected like any command (a piece has one slot,
 * so it is never split again), the replies merged as the router merges a split command.
 */
async function runPerSlot(pool: ShardPool, argv: string[]): Promise<Reply> {
  const spec = lookupCommand(argv[0])!;
  const step = spec.keys?.step ?? 1;
  const pieces = new Map<number, { argv: string[]; positions: number[] }>();
  keyIndexes(spec, argv).forEach((i, n) => {
    const slot = keySlot(argv[i]);
    let p = pieces.get(slot);
    if (!p) pieces.set(slot, (p = { argv: [argv[0]], positions: [] }));
    for (let j = 0; j < step; j++) p.argv.push(argv[i + j]);
    p.positions.push(n);
  });
  const batches: string[][][] = Array.from({ length: pool.slots.shardCount }, () => []);
  const where = [...pieces].map(([slot, p]) => {
    const shard = pool.slots.shardOfSlot(slot);
    return { shard, index: batches[shard].push(p.argv) - 1, positions: p.positions };
  });
  const results = await Promise.all(
    batches.map(async (batch, shard) => {
      if (batch.length === 0) return [];
      try {
        return await pool.exec(shard, batch, false, true);
      } catch (e) {
        return batch.map(() => error(`ERR shard ${shard} unavailable: ${(e as Error).message}`));
      }
    }),
  );
  await followRedirects(pool, batches, results);
  const replies = where.map((w) => results[w.shard][w.index]);
  const failed = replies.find(isError);
  if (failed) return failed;
  switch (spec.routing) {
    case "split-sum":
      return replies.reduce<number>((sum, r) => sum + Number(r), 0);
    case "split-values": {
      const out: Reply[] = new Array(where.reduce((n, w) => n + w.positions.length, 0)).fill(null);
      where.forEach((w, n) => w.positions.forEach((pos, j) => (out[pos] = (replies[n] as Reply[])[j])));
      return out;
    }
    default:
      return OK;
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
