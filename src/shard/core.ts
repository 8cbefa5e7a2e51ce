/**
 * What a shard does, without the Durable Object around it: runs batches and transactions
 * against its keyspace, hands each batch's effects to a sink (the append log), and tracks
 * WATCHed keys. Pure TypeScript, so Node tests can run a whole cluster in memory.
 */
import type { Limits } from "../commands/context";
import { Executor } from "../commands/execute";
import { Keyspace } from "../engine/keyspace";
import { NULL_ARRAY, type Reply } from "../protocol/reply";

/** A key being watched by a transaction, with the version WATCH returned. */
export type WatchedKey = [key: string, version: number];

export class ShardCore {
  readonly db = new Keyspace();
  private readonly executor: Executor;

  constructor(
    limits: Limits,
    /** Receives each batch's effects before its replies are returned (to make them durable). */
    private readonly sink: (effects: string[][]) => void,
    clock: () => number = Date.now,
  ) {
    this.executor = new Executor(this.db, limits, clock);
  }

  /** Runs a pipeline batch; replies in order. */
  exec(batch: string[][]): Reply[] {
    const { replies, effects } = this.executor.run(batch);
    if (effects.length > 0) this.sink(effects);
    return replies;
  }

  /**
   * Runs a MULTI/EXEC transaction atomically. Returns the null array (EXEC aborted) when a
   * watched key changed since WATCH; the watches are released either way.
   */
  transaction(batch: string[][], watched: WatchedKey[]): Reply {
    this.db.now = Date.now();
    const aborted = watched.some(([key, version]) => this.db.changedSince(key, version));
    for (const [key] of watched) this.db.unwatch(key);
    return aborted ? NULL_ARRAY : this.exec(batch);
  }

  /** WATCH: each key's current version, to hand back at EXEC. */
  watch(keys: string[]): WatchedKey[] {
    return keys.map((key) => [key, this.db.watch(key)]);
  }

  /** UNWATCH, DISCARD or a closed connection: releases watches. */
  unwatch(keys: string[]): void {
    for (const key of keys) this.db.unwatch(key);
  }

  /**
   * Deletes up to `limit` expired keys (active expiry), logging each as DEL. Returns
   * whether more expired keys remain.
   */
  expireDue(limit: number): boolean {
    const effects = this.executor.expireDue(limit);
    if (effects.length > 0) this.sink(effects);
    const next = this.db.nextExpiry();
    return next !== undefined && next <= this.db.now;
  }

  /** When the next key expires (ms since the epoch), if any key has a TTL. */
  nextExpiry(): number | undefined {
    return this.db.nextExpiry();
  }

  /** Applies one logged effect (recovery). */
  replay(argv: string[]): void {
    this.executor.replay(argv);
  }
}
