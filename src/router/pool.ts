/**
 * The shards as Durable Objects: shard i is the object named "shard-i" in the SHARD
 * namespace. A pool is one request's (a WebSocket connection's, an HTTP request's): every
 * command call it makes to a shard goes through a channel to that shard — the request's own,
 * or in a gateway (src/gateway/gateway.ts) one shared by all the gateway's requests
 * (src/router/channel.ts: one stub, calls in order, coalesced while one is out). The
 * command path (the ShardPool interface of src/router/dispatch.ts) and the admin
 * endpoints' exports (on stubs of their own) go through here.
 */
import { readMonitorConfig, type Env } from "../config";
import type { Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import type { Shard } from "../shard/shard";
import { ShardChannel, ShardLink, type ShardEndpoint } from "./channel";
import type { ShardPool } from "./dispatch";
import type { SlotMap } from "./slots";
import { slotMapCache, type SlotMapCache } from "./slot-map-cache";
import { RoutedShardEndpoint, topologyOf } from "./topology";
import { topologySnapshot } from "./topology-view";
import type { TopologySnapshot } from "../commands/router-context";
import { isStaleRoute, primaryName, type GroupConfig } from "../shard/group";
import { shardObject } from "../shard/address";
import type { ShardOp, ShardResult } from "../shard/core";
import type { RouteInfo } from "../shard/replication";
import { raiseOffset, type SyncOffsets } from "./sync-token";
import { redirectFollower } from "./redirect";

/** The Shard class's admin RPC methods, as the router calls them. */
type ExportRpc = Pick<Shard, "exportStart" | "exportPull" | "slotReport">;

/** The object name of shard (group) `index`'s initial primary. */
export const shardName = primaryName;

export class DurableShardPool implements ShardPool {
  constructor(
    private readonly env: Env,
    /** The isolate's slot map (live resharding: src/router/slot-map-cache.ts). */
    private readonly slotCache: SlotMapCache,
    /**
     * The channels, one per shard (group), made as first used: this request's own, or a
     * gateway's, shared by all its connections (src/gateway/gateway.ts).
     */
    private readonly channels: ShardChannel[] = [],
  ) {}

  /** The newest slot map this isolate has. */
  get slots(): SlotMap {
    return this.slotCache.current;
  }

  /** Refetches the slot map (a shard answered MOVED). */
  refreshSlots(): Promise<void> {
    return this.slotCache.refresh();
  }

  /** Refetches the slot map if older than `maxAgeMs` (before a keyspace-wide command). */
  freshSlots(maxAgeMs: number): Promise<void> {
    return this.slotCache.fresh(maxAgeMs);
  }

  /** Set when SHARDS was changed by hand: what every shard command answers. */
  get slotRefusal(): string | null {
    return this.slotCache.refusal;
  }

  /** Group `shard`'s ordered channel; its calls go to the group's current primary (failover: src/router/topology.ts). */
  private channel(shard: number): ShardChannel {
    return (this.channels[shard] ??= new ShardChannel(new ShardLink((): ShardEndpoint => new RoutedShardEndpoint(this.env, topologyOf(this.env), shard))));
  }

  /** Group `shard`'s current primary, for admin calls. */
  private stub(shard: number): ExportRpc {
    return shardObject<ExportRpc>(this.env, topologyOf(this.env).config(shard).primary);
  }

  /** Per-slot numbers of group `shard` (CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT, SLOT-STATS). */
  slotReport(shard: number, slots: number[], keysOf = 0): ReturnType<Shard["slotReport"]> {
    return this.stub(shard).slotReport(slots, keysOf);
  }

  /**
   * Live resharding (redirect-order): a refused command is followed inside its channel, which
   * holds its queue meanwhile (src/router/channel.ts); `resent`: the follower's re-send.
   */
  exec(shard: number, batch: string[][], asking?: boolean, resent?: boolean): Promise<Reply[]> {
    const op: ShardOp = asking ? { kind: "exec", batch, asking } : { kind: "exec", batch };
    return this.withOffset(shard, this.channel(shard).call(op, resent ? undefined : this.followRedirects, resent), resent) as Promise<Reply[]>;
  }

  /** Follows a call's refusals for its channel (src/router/redirect.ts). */
  private readonly followRedirects = redirectFollower(this);

  transaction(shard: number, batch: string[][], watched: WatchedKey[], asking?: boolean): Promise<Reply> {
    return this.withOffset(shard, this.channel(shard).call(asking ? { kind: "transaction", batch, watched, asking } : { kind: "transaction", batch, watched })) as Promise<Reply>;
  }

  watch(shard: number, keys: string[]): Promise<WatchedKey[]> {
    return this.channel(shard).call({ kind: "watch", keys }) as Promise<WatchedKey[]>;
  }

  async unwatch(shard: number, keys: string[]): Promise<void> {
    await this.channel(shard).call({ kind: "unwatch", keys });
  }

  async block(shard: number, argv: string[], token: string, maxWaitMs: number, signal?: AbortSignal, asking?: boolean): Promise<Reply> {
    const reply = await this.channel(shard).block(argv, token, maxWaitMs, signal, asking);
    // Read-your-writes: a blocking command runs alone, so its offset costs one more call (HTTP only).
    if (this.syncOffsets !== null) await this.withOffset(shard, Promise.resolve(null)).catch(() => {});
    return reply;
  }

  /** Alone on this request's stub, so it reaches the shard after this request's BLOCK. */
  unblock(shard: number, token: string, reply?: Reply): Promise<void> {
    return this.channel(shard).unblock(token, reply);
  }

  /** Failover: the groups and monitors now (SENTINEL commands, src/router/topology-view.ts). */
  topology(): Promise<TopologySnapshot> {
    return topologySnapshot(this.env);
  }

  // --- replication (src/shard/replication.ts) ---------------------------------------------

  /**
   * A read-only batch on a replica of group `shard` (one picked at random), as a replica
   * read; a replica that refuses (syncing, behind) leaves the batch to the primary, on this
   * request's ordered channel; one that cannot be reached or knows a newer epoch first makes
   * this isolate try the group's other replica it knows, then refresh its topology and try
   * another pick.
   */
  async execReplica(shard: number, batch: string[][]): Promise<Reply[]> {
    const picked = this.pickReplica(shard);
    if (picked === null) return this.exec(shard, batch);
    const first = await this.tryReplica(shard, batch, picked);
    if (Array.isArray(first)) return first;
    // Unreachable, or it knows a newer epoch: this isolate's topology is behind a failover (the
    // "replica" picked may be the primary now, down). Another replica it knows serves at once:
    // the monitors a refresh asks may answer only after REFRESH_TIMEOUT_MS while they fail the
    // group over (seen: READONLY reads waiting a second in the failover suite).
    if (first === "stale-topology") {
      const other = this.pickReplica(shard, picked);
      const second = other === null ? null : await this.tryReplica(shard, batch, other);
      if (Array.isArray(second)) return second;
    }
    // Refresh the topology and try once more.
    if (first === "stale-topology" && readMonitorConfig(this.env).sentinels > 0 && (await topologyOf(this.env).refresh(this.env).catch(() => false))) {
      const again = this.pickReplica(shard);
      const third = again === null ? null : await this.tryReplica(shard, batch, again);
      if (Array.isArray(third)) return third;
    }
    return this.exec(shard, batch);
  }

  /** One of group `shard`'s replicas at random, other than `avoid` (null: none). */
  private pickReplica(shard: number, avoid?: string): string | null {
    const replicas = groupConfigOf(this.env, shard).replicas;
    const choices = avoid === undefined ? replicas : replicas.filter((r) => r !== avoid);
    return choices.length === 0 ? null : choices[Math.floor(Math.random() * choices.length)];
  }

  /**
   * A read-only batch on replica `name` of group `shard`: its replies, or why not —
   * "refused" (syncing, behind the client's offset) or "stale-topology" (unreachable, or it
   * knows a newer epoch than this isolate).
   */
  private async tryReplica(shard: number, batch: string[][], name: string): Promise<Reply[] | "refused" | "stale-topology"> {
    const group = groupConfigOf(this.env, shard);
    try {
      const stub = shardObject<{ run(ops: ShardOp[], route: RouteInfo): Promise<ShardResult[] | unknown> }>(this.env, name);
      // Read-your-writes: the replica serves the read only once it has applied what the client has seen.
      const seen = this.syncOffsets;
      const minOffset = seen?.get(shard) ?? 0;
      const ops: ShardOp[] = seen === null ? [{ kind: "exec", batch }] : [{ kind: "exec", batch }, { kind: "offset" }];
      const results = await stub.run(ops, minOffset > 0 ? { epoch: group.epoch, replicaRead: true, minOffset } : { epoch: group.epoch, replicaRead: true });
      if (!isStaleRoute(results)) {
        if (seen !== null) raiseOffset(seen, shard, (results as ShardResult[])[1]);
        return (results as ShardResult[])[0] as Reply[];
      }
      return results.epoch > group.epoch ? "stale-topology" : "refused";
    } catch {
      return "stale-topology";
    }
  }

  // --- read-your-writes (HTTP upstash-sync-token: src/router/sync-token.ts) ------------------

  /**
   * Per group, the replication offset this request's client has seen (its sync token), raised
   * by every call this request makes; null: not tracked (RESP connections), no offset asked.
   */
  syncOffsets: SyncOffsets | null = null;

  /**
   * `call`'s result, once the shard's offset after that call (an "offset" op riding the same
   * RPC: the channel coalesces ops of one turn) has been recorded in syncOffsets.
   */
  private withOffset<T>(shard: number, call: Promise<T>, resent?: boolean): Promise<T> {
    const seen = this.syncOffsets;
    if (seen === null) return call;
    // A re-send's offset rides with it, never held behind the hold the re-send ends (redirect-order).
    const offset = this.channel(shard).call({ kind: "offset" }, undefined, resent);
    return Promise.all([call, offset.then((o) => raiseOffset(seen, shard, o)).catch(() => {})]).then(([result]) => result);
  }

  /** WAIT: replicas that acknowledged group `shard`'s current offset, once `count` have or `timeoutMs` passed. */
  waitAcks(shard: number, count: number, timeoutMs: number): Promise<number> {
    const group = groupConfigOf(this.env, shard);
    return shardObject<{ waitAcks(count: number, timeoutMs: number): Promise<number> }>(this.env, group.primary).waitAcks(count, timeoutMs);
  }

  /** Admin export: starts a point-in-time image of the shard's keys (src/shard/export.ts). */
  exportStart(shard: number): Promise<{ id: string; keys: number; expires: number }> {
    return this.stub(shard).exportStart();
  }

  /** The next piece (about `maxBytes`) of export `id` of the shard. */
  exportPull(shard: number, id: string, maxBytes: number): Promise<{ bytes: Uint8Array; done: boolean }> {
    return this.stub(shard).exportPull(id, maxBytes);
  }
}

/** Group `group`'s members as the router knows them: the topology cache (src/router/topology.ts). */
export function groupConfigOf(env: Env, group: number): GroupConfig {
  return topologyOf(env).config(group);
}
/**
 * A pool for the current request (a WebSocket connection, an HTTP request): channels of its
 * own, or in a gateway the gateway's `channels`, shared by all its requests.
 */
export function shardPool(env: Env, shards: number, channels?: ShardChannel[]): DurableShardPool {
  return new DurableShardPool(env, slotMapCache(env, shards), channels);
}
