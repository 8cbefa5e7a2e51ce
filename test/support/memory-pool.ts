/**
 * A whole Hotslot cluster in memory for Node tests: one ShardCore per shard behind the
 * router's ShardPool interface, with each shard's effects recorded as its log.
 */
import { SlotState } from "../../src/shard/slot-state";
import type { ShardPool } from "../../src/router/dispatch";
import { SlotMap } from "../../src/router/slots";
import { ShardCore, type WatchedKey } from "../../src/shard/core";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import type { Reply } from "../../src/protocol/reply";

export class MemoryPool implements ShardPool {
  readonly slots: SlotMap;
  readonly shards: ShardCore[];
  readonly logs: string[][][];
  /** Number of calls each shard received (one per batch). */
  readonly calls: number[];

  constructor(shardCount: number, clock: () => number = Date.now) {
    this.slots = SlotMap.contiguous(shardCount);
    this.logs = Array.from({ length: shardCount }, () => []);
    this.calls = new Array(shardCount).fill(0);
    this.shards = this.logs.map((log) => new ShardCore(DEFAULT_LIMITS, (effects) => log.push(...effects), clock));
    // Each serves its contiguous slots, as a shard Durable Object named "shard-<i>" does (SCAN walks by them).
    this.shards.forEach((core, i) => (core.executor.slotOwner = SlotState.initial(i, shardCount)));
  }

  async exec(shard: number, batch: string[][]): Promise<Reply[]> {
    this.calls[shard]++;
    return this.shards[shard].exec(batch);
  }
  async transaction(shard: number, batch: string[][], watched: WatchedKey[]): Promise<Reply> {
    this.calls[shard]++;
    return this.shards[shard].transaction(batch, watched);
  }
  async watch(shard: number, keys: string[]): Promise<WatchedKey[]> {
    return this.shards[shard].watch(keys);
  }
  async unwatch(shard: number, keys: string[]): Promise<void> {
    this.shards[shard].unwatch(keys);
  }
  async block(shard: number, argv: string[], token: string, maxWaitMs: number): Promise<Reply> {
    this.calls[shard]++;
    return this.shards[shard].block(argv, token, { maxWaitMs, leaseMs: Infinity }) as Promise<Reply>;
  }
  async unblock(shard: number, token: string, reply?: Reply): Promise<void> {
    this.shards[shard].unblock(token, reply);
  }
}
