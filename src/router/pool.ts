/**
 * The shards as Durable Objects: shard i is the object named "shard-i" in the SHARD
 * namespace. One RPC call per batch. Stubs are made per call (cheap), so a stub broken by
 * an exception is never reused.
 */
import type { Env } from "../config";
import type { Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import type { Shard } from "../shard/shard";
import type { ShardPool } from "./dispatch";
import { SlotMap } from "./slots";

/** The Shard class's RPC methods, as the router calls them. */
type ShardRpc = Pick<Shard, "exec" | "transaction" | "watch" | "unwatch" | "block" | "unblock">;

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

  unblock(shard: number, token: string): Promise<void> {
    return this.stub(shard).unblock(token);
  }
}

const pools = new WeakMap<Env, DurableShardPool>();

/** The pool for this Worker's environment (one per isolate and env). */
export function shardPool(env: Env, shards: number): DurableShardPool {
  let p = pools.get(env);
  if (!p) pools.set(env, (p = new DurableShardPool(env, SlotMap.contiguous(shards))));
  return p;
}
