/**
 * The topology as an operator sees it (GET /admin/topology, SENTINEL MASTERS/REPLICAS/
 * CKQUORUM): every monitor's view (those answering), the newest config per group, and every
 * member pinged by the router just now for its offset; replica lag comes from its primary's
 * role info. Off the request path: only admin and SENTINEL commands call it.
 */
import { shardObject } from "../shard/address";
import { settle, withTimeout } from "../util/async";
import { readConfig, readMonitorConfig, type Env } from "../config";
import { slotMapCache } from "./slot-map-cache";
import type { GroupSnapshot, MemberSnapshot, MonitorSnapshot, TopologySnapshot } from "../commands/router-context";
import type { Monitor, MonitorView } from "../monitor/monitor";
import { monitorNames } from "../monitor/names";
import type { GroupConfig, ShardRoleInfo } from "../shard/group";
import { topologyOf } from "./topology";

const VIEW_TIMEOUT_MS = 1500;

interface RoleInfoRpc {
  roleInfo(from?: string): Promise<ShardRoleInfo>;
}

export async function topologySnapshot(env: Env, from = "router"): Promise<TopologySnapshot> {
  const settings = readMonitorConfig(env);
  const cache = topologyOf(env);
  const names = monitorNames(env);
  const views = await settle(names.map((n) => withTimeout((env.MONITOR.get(env.MONITOR.idFromName(n)) as unknown as Monitor).view(from), VIEW_TIMEOUT_MS)));
  for (const v of views) for (const c of v?.configs ?? []) cache.adopt(c);
  const now = Date.now();
  // Every group of the slot map (live resharding may have added some beyond SHARDS).
  const groupCount = slotMapCache(env, readConfig(env).shards).current.shardCount;
  const groups: GroupSnapshot[] = [];
  for (let g = 0; g < groupCount; g++) groups.push(await groupSnapshot(env, cache.config(g), views, now, from));
  const monitors: MonitorSnapshot[] = names.map((name, i) => ({
    name,
    reachable: views[i] !== null,
    epochs: views[i]?.configs.map((c) => c.epoch) ?? [],
    failovers: views[i]?.failovers ?? [],
  }));
  return {
    sentinels: settings.sentinels,
    quorum: settings.quorum,
    downAfterMs: settings.downAfterMs,
    intervalMs: settings.intervalMs,
    failoverTimeoutMs: settings.downAfterMs + 2 * settings.intervalMs,
    groups,
    monitors,
  };
}

async function groupSnapshot(env: Env, config: GroupConfig, views: (MonitorView | null)[], now: number, from: string): Promise<GroupSnapshot> {
  const names = [config.primary, ...config.replicas];
  const infos = await settle(names.map((n) => withTimeout(shardObject<RoleInfoRpc>(env, n).roleInfo(from), VIEW_TIMEOUT_MS)));
  const primaryInfo = infos[0];
  const members: MemberSnapshot[] = names.map((name, i) => {
    const info = infos[i];
    const seen = views.map((v) => v?.members[config.group]?.find((m) => m.name === name) ?? null).filter((m) => m !== null);
    const lastOk = Math.max(-1, ...seen.map((m) => m.lastOkAt ?? -1));
    const replicaState = primaryInfo?.replicas?.find((r) => r.name === name);
    return {
      name,
      role: i === 0 ? "primary" : "replica",
      reachable: info !== null,
      offset: info?.offset ?? null,
      lagMs: i === 0 ? null : (replicaState?.lagMs ?? null),
      linkUp: i === 0 ? null : (info?.linkUp ?? null),
      sdownBy: seen.filter((m) => m.sdown).length,
      lastOkMsAgo: lastOk < 0 ? null : Math.max(0, now - lastOk),
    };
  });
  return { group: config.group, epoch: config.epoch, primary: config.primary, members };
}
