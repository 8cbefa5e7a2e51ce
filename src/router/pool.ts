/**
 * The shards as Durable Objects: shard i is the object named "shard-i" in the SHARD
 * namespace. One RPC call per batch. Stubs are made per call (cheap), so a stub broken by
 * an exception is never reused. Every call the router makes to a shard goes through here:
 * the command path (the ShardPool interface of src/router/dispatch.ts) and the admin
 * endpoints' (exports, src/router/admin.ts).
 */
import type { Env } from "../config";
import type { Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import type { Shard } from "../shard/shard";
import type { ShardPool } from "./dispatch";
import { SlotMap } from "./slots";

/** The Shard class's RPC methods, as the router calls them. */
type ShardRpc = Pick<Shard, "exec" | "transaction" | "watch" | "unwatch" | "block" | "unblock" | "exportStart" | "exportPull">;

export function shardName(index: number): string {
  return `shard-${index}`;
}

export class DurableShardPool implements ShardPool {
  private readonly ids: DurableObjectId[];

  constructor(
    private readonly env: Env,
    readonly slots: SlotMap,
  ) {
    this.ids = Array.from({ length: slots.shardCount }, (_, i) => env.SHARD.idFromName(shardName(i)));
  }

  private stub(shard: number): ShardRpc {
    return this.env.SHARD.get(this.ids[shard]) as unknown as ShardRpc;
  }

  exec(shard: number, batch: string[][]): Promise<Reply[]> {
    return this.stub(shard).exec(batch);
  }

  transaction(shard: number, batch: string[][], watched: WatchedKey[]): Promise<Reply> {
    return this.stub(shard).transaction(batch, watched);
  }

  watch(shard: number, keys: string[]): Promise<WatchedKey[]> {
    return this.stub(shard).watch(keys);
  }

  unwatch(shard: number, keys: string[]): Promise<void> {
    return this.stub(shard).unwatch(keys);
  }

  block(shard: number, argv: string[], token: string, maxWaitMs: number): Promise<Reply> {
    return this.stub(shard).block(argv, token, maxWaitMs);
  }

  unblock(shard: number, token: string, reply?: Reply): Promise<void> {
    return this.stub(shard).unblock(token, reply);
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

const pools = new WeakMap<Env, DurableShardPool>();

/** The pool for this Worker's environment (one per isolate and env). */
export function shardPool(env: Env, shards: number): DurableShardPool {
  let p = pools.get(env);
  if (!p) pools.set(env, (p = new DurableShardPool(env, SlotMap.contiguous(shards))));
  return p;
}
