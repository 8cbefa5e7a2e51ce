/**
 * The router's topology cache (per isolate): which object is each group's primary, at which
 * epoch. It starts with the initial layout at epoch 0, so the hot path never fetches
 * anything; it is refreshed from the monitors (every monitor asked, the highest epoch per
 * group wins) only when a shard refuses a call as stale (StaleRoute: it knows a newer epoch,
 * or is not the primary) or the primary cannot be reached. Every `run` carries the epoch the
 * router routes by (`route.epoch`), so a deposed primary can tell a stale router apart.
 *
 * `RoutedShardEndpoint` is what the pool's channels call instead of a fixed stub: it sends to
 * the current primary and, on a refusal, refreshes and retries within a bound (DOWN_AFTER_MS
 * plus a few seconds: long enough for a failover) before answering an error. A call is
 * retried only when it certainly did not run: a StaleRoute answer, or an injected fault's
 * refusal (src/monitor/faults.ts). Any other failure is answered as before (the ops may have
 * run), after a refresh so the next calls go to the right place.
 *
 * Waking the monitors: the first use per isolate calls `ensureRunning` on every monitor (an
 * idempotent alarm arm, answered at once), so a deployment's monitors run once it serves.
 */
import { shardObject } from "../shard/address";
import { withTimeout } from "../util/async";
import { readMonitorConfig, type Env } from "../config";
import type { Reply } from "../protocol/reply";
import type { BlockWait, LeaseExpired, ShardOp, ShardResult } from "../shard/core";
import { initialGroupConfig, isStaleRoute, type GroupConfig, type StaleRoute } from "../shard/group";
import { isFaultRefusal } from "../monitor/faults";
import type { Monitor } from "../monitor/monitor";
import { groupLayout, monitorNames } from "../monitor/names";
import { newestConfigs } from "../monitor/topology-store";
import type { ShardEndpoint } from "./channel";

/** What the router passes with `run` (src/shard/group.ts's contract). */
export interface Route {
  readonly epoch: number;
  readonly replicaRead?: boolean;
  /** The caller, for fault injection's partitions. */
  readonly from?: string;
}

/** The Shard's RPCs as a routed call makes them. */
interface RoutedShard {
  run(ops: ShardOp[], route?: Route): Promise<ShardResult[] | StaleRoute>;
  block(argv: string[], token: string, wait: BlockWait): Promise<Reply | LeaseExpired>;
}

/** How long a monitor may take to answer a refresh. */
const REFRESH_TIMEOUT_MS = 1000;
/** Added to DOWN_AFTER_MS: the time a failover takes once a primary is down. */
const FAILOVER_ALLOWANCE_MS = 4000;

export class TopologyCache {
  /**
   * Each group's config as last learnt; a group not in it is in its initial layout (epoch 0) —
   * also the groups live resharding adds beyond SHARDS.
   */
  private readonly configs = new Map<number, GroupConfig>();
  /** Refreshes made (INFO, tests). */
  refreshes = 0;
  woken = false;

  constructor(readonly replicas: number) {}

  config(group: number): GroupConfig {
    let c = this.configs.get(group);
    if (c === undefined) this.configs.set(group, (c = initialGroupConfig(group, this.replicas)));
    return c;
  }

  /** Keeps the newer of the cached and `config`; true if it changed. */
  adopt(config: GroupConfig): boolean {
    if (config.epoch <= this.config(config.group).epoch) return false;
    this.configs.set(config.group, config);
    return true;
  }

  /** Asks every monitor for its topology; the highest epoch per group wins. True if anything changed. */
  async refresh(env: Env): Promise<boolean> {
    this.refreshes++;
    const names = monitorNames(env);
    const views = await Promise.allSettled(names.map((n) => withTimeout(monitorStub(env, n).topology("router"), REFRESH_TIMEOUT_MS)));
    let changed = false;
    const ok = views.filter((v): v is PromiseFulfilledResult<GroupConfig[]> => v.status === "fulfilled").map((v) => v.value);
    for (const c of newestConfigs(ok).values()) changed = this.adopt(c) || changed;
    return changed;
  }

  /** Arms every monitor's alarm, once per isolate (fire and forget). */
  wakeMonitors(env: Env): void {
    if (this.woken) return;
    this.woken = true;
    for (const n of monitorNames(env)) monitorStub(env, n).ensureRunning("router").catch(() => (this.woken = false));
  }
}

function monitorStub(env: Env, name: string): Monitor {
  return env.MONITOR.get(env.MONITOR.idFromName(name)) as unknown as Monitor;
}

const isolateTopology = new WeakMap<Env, TopologyCache>();

/** This isolate's topology cache for `env` (wakes the monitors on first use). */
export function topologyOf(env: Env): TopologyCache {
  let t = isolateTopology.get(env);
  const { replicas } = groupLayout(env);
  if (!t || t.replicas !== replicas) isolateTopology.set(env, (t = new TopologyCache(replicas)));
  if (readMonitorConfig(env).sentinels > 0) t.wakeMonitors(env);
  return t;
}

/** The error a call answers when its group has no reachable primary within the bound. */
export const ERR_NO_PRIMARY = "CLUSTERDOWN The cluster is down";

/** Group `group`'s current primary, as the pool's channels call it (see the header). */
export class RoutedShardEndpoint implements ShardEndpoint {
  constructor(
    private readonly env: Env,
    private readonly topology: TopologyCache,
    private readonly group: number,
  ) {}

  private stub(): { shard: RoutedShard; epoch: number } {
    const c = this.topology.config(this.group);
    return { shard: shardObject<RoutedShard>(this.env, c.primary), epoch: c.epoch };
  }

  async run(ops: ShardOp[]): Promise<ShardResult[]> {
    const bound = readMonitorConfig(this.env).downAfterMs + FAILOVER_ALLOWANCE_MS;
    const deadline = Date.now() + bound;
    for (let attempt = 0; ; attempt++) {
      const { shard, epoch } = this.stub();
      let refused: unknown;
      try {
        const result = await shard.run(ops, { epoch, from: "router" });
        if (!isStaleRoute(result)) return result;
        refused = new Error(`${ERR_NO_PRIMARY} (stale route: epoch ${epoch}, the shard knows ${result.epoch})`);
      } catch (e) {
        if (!isFaultRefusal(e)) {
          await this.topology.refresh(this.env).catch(() => {});
          throw e;
        }
        refused = e;
      }
      if (readMonitorConfig(this.env).sentinels === 0 || Date.now() >= deadline) throw refused;
      const changed = await this.topology.refresh(this.env).catch(() => false);
      if (!changed) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 500)));
    }
  }

  block(argv: string[], token: string, wait: BlockWait): Promise<Reply | LeaseExpired> {
    return this.stub().shard.block(argv, token, wait);
  }
}

/** Used by the pool: the object name group `group`'s calls go to now. */
export function currentPrimary(env: Env, group: number): string {
  return topologyOf(env).config(group).primary;
}

