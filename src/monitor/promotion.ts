/**
 * Which replica a failover promotes, and whether it may promote at all: the safety rule that
 * makes "no acknowledged write lost under min-replicas-to-write N" hold. Plain TS, no I/O.
 *
 * With N ≥ 1 every acknowledged write is on at least N of the R replicas, so any R − N + 1 of
 * them include one that holds it; the most advanced of those then holds every acknowledged
 * write. With N = 0 nothing guarantees a replica holds a write: the most advanced reachable
 * replica is promoted and what is lost is bounded by the replication lag.
 */
import type { ShardRoleInfo } from "../shard/group";

/** How many of the R replicas a failover must reach (and fence) before it may promote one. */
export function requiredReachable(replicas: number, minReplicasToWrite: number): number {
  if (minReplicasToWrite <= 0 || minReplicasToWrite > replicas) return 1;
  return replicas - minReplicasToWrite + 1;
}

export type PromotionChoice =
  | { readonly ok: true; readonly chosen: ShardRoleInfo }
  | { readonly ok: false; readonly reason: string };

/**
 * The replica to promote among those reached (`reached`: their role info, taken after they
 * were fenced so their offsets no longer move): the highest applied offset, ties broken by
 * name so every monitor would choose the same one.
 */
export function choosePromotion(reached: readonly ShardRoleInfo[], replicas: number, minReplicasToWrite: number): PromotionChoice {
  const need = requiredReachable(replicas, minReplicasToWrite);
  if (reached.length < need) {
    return { ok: false, reason: `reached ${reached.length} of ${replicas} replicas, need ${need} (min-replicas-to-write ${minReplicasToWrite})` };
  }
  let best: ShardRoleInfo | null = null;
  for (const r of reached) {
    if (best === null || r.offset > best.offset || (r.offset === best.offset && r.name < best.name)) best = r;
  }
  return { ok: true, chosen: best! };
}
