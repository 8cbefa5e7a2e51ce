/**
 * The shard Durable Object: hosts one ShardCore (keyspace + executor), runs the batches
 * the router sends (one RPC per pipeline per shard), and appends every write batch's
 * effects to its log in SQLite storage before the reply leaves (the output gate holds the
 * reply until the write commits). On start it rebuilds the keyspace by replaying the log.
 * Its alarm is always set to the earliest key expiry; when it fires, expired keys are
 * deleted in bounded batches (each logged as DEL) and the alarm is set again.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Env } from "../config";
import type { Reply } from "../protocol/reply";
import { AlarmSchedule } from "./alarm";
import { ShardCore, type WatchedKey } from "./core";
import { AppendLog } from "./log";

export type { WatchedKey };

/** Keys deleted per active-expiry batch: bounds how long one alarm holds the shard. */
export const EXPIRE_BATCH = 2000;

export class Shard extends DurableObject<Env> {
  private readonly core: ShardCore;
  private readonly log: AppendLog;
  private readonly schedule: AlarmSchedule;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = readConfig(env);
    this.log = new AppendLog(ctx.storage.sql);
    this.core = new ShardCore({ maxValueBytes: config.maxValueBytes }, (effects) => this.log.append(effects));
    this.schedule = new AlarmSchedule(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      this.core.db.now = Date.now();
      this.log.replay((argv) => this.core.replay(argv));
      this.afterWrite();
    });
  }

  async exec(batch: string[][]): Promise<Reply[]> {
    const replies = this.core.exec(batch);
    this.afterWrite();
    return replies;
  }

  async transaction(batch: string[][], watched: WatchedKey[]): Promise<Reply> {
    const reply = this.core.transaction(batch, watched);
    this.afterWrite();
    return reply;
  }

  /** A blocking command: resolves when served or timed out (see ShardCore.block). */
  async block(argv: string[], token: string, maxWaitMs: number): Promise<Reply> {
    const reply = this.core.block(argv, token, maxWaitMs);
    this.afterWrite();
    return reply;
  }

  async unblock(token: string): Promise<void> {
    this.core.unblock(token);
  }

  async watch(keys: string[]): Promise<WatchedKey[]> {
    return this.core.watch(keys);
  }

  async unwatch(keys: string[]): Promise<void> {
    this.core.unwatch(keys);
  }

  /** Active expiry. At-least-once delivery is harmless: it only deletes what is due. */
  async alarm(): Promise<void> {
    this.schedule.fired();
    const more = this.core.expireDue(EXPIRE_BATCH);
    // More due keys: come back at once (other requests run in between); else next expiry.
    this.schedule.set("expiry", more ? Date.now() : this.core.nextExpiry());
  }

  private afterWrite(): void {
    this.schedule.set("expiry", this.core.nextExpiry());
  }
}
