/**
 * The shard Durable Object: hosts one ShardCore (keyspace + executor), runs the batches
 * the router sends (one RPC per pipeline per shard), and appends every write batch's
 * effects to its log in SQLite storage before the reply leaves (the output gate holds the
 * reply until the write commits). On start it rebuilds the keyspace by replaying the log.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Env } from "../config";
import type { Reply } from "../protocol/reply";
import { ShardCore, type WatchedKey } from "./core";
import { AppendLog } from "./log";

export type { WatchedKey };

export class Shard extends DurableObject<Env> {
  private readonly core: ShardCore;
  private readonly log: AppendLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = readConfig(env);
    this.log = new AppendLog(ctx.storage.sql);
    this.core = new ShardCore({ maxValueBytes: config.maxValueBytes }, (effects) => this.log.append(effects));
    ctx.blockConcurrencyWhile(async () => {
      this.core.db.now = Date.now();
      this.log.replay((argv) => this.core.replay(argv));
    });
  }

  async exec(batch: string[][]): Promise<Reply[]> {
    return this.core.exec(batch);
  }

  async transaction(batch: string[][], watched: WatchedKey[]): Promise<Reply> {
    return this.core.transaction(batch, watched);
  }

  async watch(keys: string[]): Promise<WatchedKey[]> {
    return this.core.watch(keys);
  }

  async unwatch(keys: string[]): Promise<void> {
    this.core.unwatch(keys);
  }
}
