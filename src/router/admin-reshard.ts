/**
 * The admin side of live resharding (behind the admin token, mounted by src/router/admin.ts):
 *   POST /admin/reshard  {"shards": n}           → moves slots so n groups own them all
 *                        (optional "batchKeys": keys per migration batch, "pauseMs": a
 *                        rest between a source's batches; each left out adapts to the
 *                        sources' load: src/monitor/migration-job.ts)
 *                        {"rebalance": "keys" | "memory" | "load"} → evens out the groups
 *   GET  /admin/topology → {"slots": slotsTopology(…)} (the map, the running and last job)
 *   GET  /admin/slot-keys[?groups=n] → per group object, its epoch and [slot, keys] for
 *                        every slot it holds keys of (audits: a key held by a group that
 *                        does not own its slot, or by two groups, shows here)
 * Both talk to the SlotCoordinator (src/monitor/coordinator.ts); the job runs on its alarm,
 * so the POST returns at once and progress is read from the topology.
 */
import type { Env } from "../config";
import type { RebalanceBy, SlotCoordinator } from "../monitor/coordinator";
import { currentPrimary } from "./topology";
import type { Shard } from "../shard/shard";
import { SLOTS } from "../util/keyslot";

type CoordinatorRpc = Pick<SlotCoordinator, "topology" | "startReshard" | "startRebalance">;

function coordinator(env: Env): CoordinatorRpc {
  const ns = env.COORDINATOR;
  if (!ns) throw new Error("ERR the COORDINATOR binding (SlotCoordinator) is missing from wrangler.toml");
  return ns.get(ns.idFromName("slot-map")) as unknown as CoordinatorRpc;
}

/**
 * The slot part of GET /admin/topology, as a JSON object (the lead merges it under "slots"):
 * epoch, groups, ranges [first, last, group], and the job's progress.
 */
export async function slotsTopology(env: Env): Promise<Record<string, unknown>> {
  const t = await coordinator(env).topology();
  return { epoch: t.map.epoch, groups: t.map.groups, initialShards: t.map.initialShards, ranges: t.map.ranges, job: t.job, lastJob: t.lastJob };
}

/** What GET /admin/export refuses (reshard-tune, issue 13): an image taken while keys move. */
export const ERR_EXPORT_DURING_MIGRATION =
  "ERR a slot migration is running: an RDB export now could hold a moving key twice or miss it; export when it is done (GET /admin/topology)";

/**
 * The slot map's epoch, or null while a reshard/rebalance runs (or without a coordinator:
 * the epoch 0). An export whose shard images were all taken between two calls answering
 * the same epoch saw no key move: a job bumps the epoch when it starts (its `init` step) and
 * before its first batch, and batches run only while the job runs.
 */
export async function quietEpoch(env: Env): Promise<number | null> {
  if (!env.COORDINATOR) return 0;
  const t = await coordinator(env).topology();
  return t.job === null ? t.map.epoch : null;
}

/** POST /admin/reshard's body → the coordinator's answer ({job} or {error}) and an HTTP status. */
export async function startReshard(env: Env, body: unknown): Promise<{ status: number; body: unknown }> {
  const b = (body ?? {}) as { shards?: unknown; rebalance?: unknown; batchKeys?: unknown; pauseMs?: unknown };
  let r: Awaited<ReturnType<CoordinatorRpc["startReshard"]>>;
  if (b.rebalance !== undefined) {
    const by = b.rebalance === true ? "keys" : b.rebalance;
    if (by !== "keys" && by !== "memory" && by !== "load") return { status: 400, body: { error: 'ERR rebalance must be "keys", "memory" or "load"' } };
    r = await coordinator(env).startRebalance(by as RebalanceBy);
  } else if (typeof b.shards === "number") {
    if (b.batchKeys !== undefined && typeof b.batchKeys !== "number") return { status: 400, body: { error: "ERR batchKeys must be a number" } };
    if (b.pauseMs !== undefined && typeof b.pauseMs !== "number") return { status: 400, body: { error: "ERR pauseMs must be a number" } };
    r = await coordinator(env).startReshard(b.shards, b.batchKeys, b.pauseMs);
  } else {
    return { status: 400, body: { error: 'ERR expected {"shards": n} or {"rebalance": "keys"|"memory"|"load"}' } };
  }
  return "error" in r ? { status: 409, body: r } : { status: 202, body: { result: r.job ?? "nothing to move" } };
}

/**
 * GET /admin/slot-keys: what every group object holds, slot by slot, straight from the
 * objects (past the routing gate and the KEYS filter): groups 0..n-1, n = ?groups or the
 * slot map's group count.
 */
export async function slotKeys(env: Env, groupsParam: string | null): Promise<{ status: number; body: unknown }> {
  const t = await coordinator(env).topology();
  const groups = groupsParam === null ? t.map.groups : Number(groupsParam);
  if (!Number.isInteger(groups) || groups < 1 || groups > 1024) return { status: 400, body: { error: "ERR groups must be an integer from 1 to 1024" } };
  const all = Array.from({ length: SLOTS }, (_, i) => i);
  const reports = await Promise.all(
    Array.from({ length: groups }, async (_, g) => {
      // The group's current primary (after a failover, no longer "shard-g").
      const stub = env.SHARD.get(env.SHARD.idFromName(currentPrimary(env, g))) as unknown as Pick<Shard, "slotReport">;
      const r = await stub.slotReport(all);
      const slots: Array<[number, number]> = [];
      r.keyCount.forEach((n, i) => n > 0 && slots.push([r.slots[i], n]));
      return { group: g, epoch: r.epoch, keys: slots.reduce((n, [, k]) => n + k, 0), slots };
    }),
  );
  return { status: 200, body: { epoch: t.map.epoch, groups: reports } };
}
