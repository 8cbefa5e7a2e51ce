/**
 * Exact DBSIZE and KEYS while slots move (issue 13, exact-counts): the router's half (the
 * shard's is src/shard/keyspace-view.ts, which says how each group answers for whole slots).
 *
 * The router sends DBSIZE / KEYS to every group wrapped, and each group answers with the slot
 * epoch it answered at. Within a chunk's move the groups' answers fit together whatever
 * their order (the source answers for the moving slots whole, batches included). What can
 * fall between two answers is a slot config push (src/monitor/migration-job.ts: mark pushes
 * the source then the target, finish pushes the target "owned" then stores the map, release
 * pushes the source). Every push that changes who answers for a slot gives its group an
 * epoch newer than the map the router fetched before fanning out (the map is stored after
 * the pushes of mark and finish; release's epoch is the map's, but the target took the slots
 * before, at that same epoch), so: an answer at a newer epoch than the router's map means a
 * push may have fallen between the answers, and the router fetches the map and asks again.
 *   - finish between the answers: the source (still migrating) counted the target's keys
 *     while the target was importing, and the target answered after it took the slots, at
 *     the finish epoch → asked again; or the target answered importing (left them out) and
 *     the source after its release, at that epoch → asked again;
 *   - mark: no key has moved yet, either state counts the same; the retry is harmless.
 * A fan-out whose answers stay newer than the map (a coordinator stopped between a push and
 * storing the map) is answered after VIEW_ATTEMPTS tries, as counted.
 */
import type { CommandSpec } from "../commands/table";
import { isError, type Reply } from "../protocol/reply";
import { VIEW } from "../shard/keyspace-view";

/** Fan-outs tried before one is answered though a group's epoch stays newer than the map. */
export const VIEW_ATTEMPTS = 12;

/** The commands answered whole per slot (DBSIZE, KEYS). */
export function isViewed(spec: CommandSpec): boolean {
  return spec.name === "dbsize" || spec.name === "keys";
}

/** The command as the router sends it to each group. */
export function viewArgv(argv: string[]): string[] {
  return [VIEW, ...argv];
}

/**
 * The groups' replies unwrapped, and `newer` when one was answered at a slot epoch newer
 * than `mapEpoch` (ask again). Errors pass as they are (the merge answers the first).
 */
export function unwrapViews(replies: Reply[], mapEpoch: number): { replies: Reply[]; newer: boolean } {
  let newer = false;
  const out = replies.map((r) => {
    if (isError(r) || !Array.isArray(r) || r.length !== 2) return r;
    if (Number(r[0]) > mapEpoch) newer = true;
    return r[1];
  });
  return { replies: out, newer };
}

/** The pause before fan-out attempt `attempt` (> 0): short, growing (a coordinator's push and map write take milliseconds). */
export function viewRetryMs(attempt: number): number {
  return Math.min(200, 5 * 2 ** (attempt - 1));
}
