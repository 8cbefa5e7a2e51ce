/**
 * The router's per-isolate copy of the slot map (live resharding). It starts as the
 * SHARDS formula at epoch 0 — no fetch on the hot path — and is refetched from the
 * SlotCoordinator (src/monitor/coordinator.ts) when a shard refuses a key with MOVED
 * (src/router/redirect.ts) and, at most once a second, before a keyspace-wide command (so
 * DBSIZE/KEYS/SCAN reach every group that holds keys). A newer epoch replaces an older one,
 * never the reverse. No promise is shared across requests (workerd ties I/O to its request).
 *
 * SHARDS is the initial layout only: when the stored map was built from another SHARDS and
 * has another number of groups, the configuration was changed by hand instead of by a
 * reshard, and every command reaching a shard is refused with `refusal` (data is never
 * silently re-mapped away).
 */
import type { Env } from "../config";
import type { SlotMapData } from "../monitor/slot-map-data";
import { SlotMap } from "./slots";

type CoordinatorRpc = { getMap(): Promise<SlotMapData> };

export function errShardsChanged(configured: number, map: SlotMapData): string {
  return (
    `ERR SHARDS is ${configured} but the slot map (epoch ${map.epoch}) has ${map.groups} groups, built from SHARDS=${map.initialShards}: ` +
    `change the shard count with \`npm run reshard -- --shards ${configured}\` (POST /admin/reshard), or set SHARDS back to ${map.initialShards}`
  );
}

export class SlotMapCache {
  current: SlotMap;
  /** When the map was last fetched (0: never). */
  fetchedAt = 0;
  /** Set when SHARDS was changed by hand (see the header). */
  refusal: string | null = null;

  constructor(
    private readonly env: Env,
    private readonly shards: number,
  ) {
    this.current = SlotMap.contiguous(shards);
  }

  /** Fetches the coordinator's map; keeps the newer of it and the cached one. */
  async refresh(): Promise<void> {
    const ns = this.env.COORDINATOR;
    if (!ns) return;
    const stub = ns.get(ns.idFromName("slot-map")) as unknown as CoordinatorRpc;
    const data = await stub.getMap();
    this.fetchedAt = Date.now();
    this.refusal = data.initialShards !== this.shards && data.groups !== this.shards ? errShardsChanged(this.shards, data) : null;
    if (data.epoch > this.current.epoch || (data.epoch === this.current.epoch && data.groups !== this.current.shardCount)) {
      this.current = SlotMap.fromData(data);
    }
  }

  /** Refreshes when the map is older than `maxAgeMs`. */
  async fresh(maxAgeMs: number): Promise<void> {
    if (Date.now() - this.fetchedAt > maxAgeMs) await this.refresh();
  }
}

const caches = new WeakMap<Env, SlotMapCache>();

/** The isolate's cache for this environment and SHARDS. */
export function slotMapCache(env: Env, shards: number): SlotMapCache {
  let c = caches.get(env);
  if (!c || (c as unknown as { shards: number }).shards !== shards) caches.set(env, (c = new SlotMapCache(env, shards)));
  return c;
}
