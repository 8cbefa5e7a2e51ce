/**
 * The shard Durable Object: hosts one engine keyspace, executes batches of commands sent
 * by the router (one RPC per pipeline per shard), and makes every write durable in its
 * append log before the reply leaves (the output gate holds the reply until the SQLite
 * write commits). On start it rebuilds the keyspace by replaying the log.
 */
import { DurableObject } from "cloudflare:workers";
import { Executor } from "../commands/execute";
import { Keyspace } from "../engine/keyspace";
import { NULL_ARRAY, type Reply } from "../protocol/reply";
import { readConfig, type Env } from "../config";
import { AppendLog } from "./log";

/** A key being watched by a transaction, with the version WATCH returned. */
export type WatchedKey = [key: string, version: number];

export class Shard extends DurableObject<Env> {
  private readonly db = new Keyspace();
  private readonly executor: Executor;
  private readonly log: AppendLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = readConfig(env);
    this.executor = new Executor(this.db, { maxValueBytes: config.maxValueBytes });
    this.log = new AppendLog(ctx.storage.sql);
    ctx.blockConcurrencyWhile(async () => {
      this.db.now = Date.now();
      this.log.replay((argv) => this.executor.replay(argv));
    });
  }

  /** Runs a pipeline batch; replies in order. */
  async exec(batch: string[][]): Promise<Reply[]> {
    const { replies, effects } = this.executor.run(batch);
    this.log.append(effects);
    return replies;
  }

  /**
   * Runs a MULTI/EXEC transaction atomically. Returns null (EXEC's null array) when a
   * watched key changed since WATCH; watches are released either way.
   */
  async transaction(batch: string[][], watched: WatchedKey[]): Promise<Reply> {
    this.db.now = Date.now();
    const aborted = watched.some(([key, version]) => this.db.changedSince(key, version));
    for (const [key] of watched) this.db.unwatch(key);
    if (aborted) return NULL_ARRAY;
    return this.exec(batch);
  }

  /** WATCH: returns each key's current version, to hand back at EXEC. */
  async watch(keys: string[]): Promise<WatchedKey[]> {
    return keys.map((key) => [key, this.db.watch(key)]);
  }

  /** UNWATCH, DISCARD or a closed connection: releases watches. */
  async unwatch(keys: string[]): Promise<void> {
    for (const key of keys) this.db.unwatch(key);
  }
}
