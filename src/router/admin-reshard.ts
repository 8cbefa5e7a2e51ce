/**
 * The admin side of live resharding (behind the admin token, mounted by src/router/admin.ts):
 *   POST /admin/reshard  {"shards": n}           → moves slots so n groups own them all
 *                        {"rebalance": "keys" | "memory" | "load"} → evens out the groups
 *   GET  /admin/topology → {"slots": slotsTopology(…)} (the map, the running and last job)
 * Both talk to the SlotCoordinator (src/monitor/coordinator.ts); the job runs on its alarm,
 * so the POST returns at once and progress is read from the topology.
 */
import type { Env } from "../config";
import type { RebalanceBy, SlotCoordinator } from "../monitor/coordinator";

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

/** POST /admin/reshard's body → the coordinator's answer ({job} or {error}) and an HTTP status. */
export async function startReshard(env: Env, body: unknown): Promise<{ status: number; body: unknown }> {
  const b = (body ?? {}) as { shards?: unknown; rebalance?: unknown };
  let r: Awaited<ReturnType<CoordinatorRpc["startReshard"]>>;
  if (b.rebalance !== undefined) {
    const by = b.rebalance === true ? "keys" : b.rebalance;
    if (by !== "keys" && by !== "memory" && by !== "load") return { status: 400, body: { error: 'ERR rebalance must be "keys", "memory" or "load"' } };
    r = await coordinator(env).startRebalance(by as RebalanceBy);
  } else if (typeof b.shards === "number") {
    r = await coordinator(env).startReshard(b.shards);
  } else {
    return { status: 400, body: { error: 'ERR expected {"shards": n} or {"rebalance": "keys"|"memory"|"load"}' } };
  }
  return "error" in r ? { status: 409, body: r } : { status: 202, body: { result: r.job ?? "nothing to move" } };
}
