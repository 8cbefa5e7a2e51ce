/**
 * The shard Durable Object: hosts one ShardCore (keyspace + executor), runs the ops the
 * router's channels send (`run`: batches, transactions, watches of any number of
 * pipelined frames, in order, in one RPC) and blocking commands (`block`, under a lease),
 * and waits for every call's effects to be committed to its log before the reply leaves
 * (src/shard/effects.ts: a call alone commits at its end, calls running together share one
 * commit, and the output gate holds replies until it is durable). Its persistence (src/shard/persistence.ts) takes snapshots that compact the
 * log; on start it loads the newest snapshot and replays the log after it; if storage is
 * damaged the shard refuses every command.
 * Its alarm is always set to the earliest key expiry; when it fires, expired keys are
 * deleted in bounded batches (each logged as DEL) and the alarm is set again.
 * It also hosts its group role (src/shard/replication.ts) and its part of live resharding
 * (src/shard/slot-migration.ts; `importedKeys` and the exclusive DBSIZE / KEYS of a source:
 * src/shard/keyspace-view.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, readMonitorConfig, type Env } from "../config";
import { memoryLimit } from "../engine/settings";
import { error, type Reply } from "../protocol/reply";
import { AlarmSchedule } from "./alarm";
import { ShardCore, type BlockWait, type LeaseExpired, type ShardOp, type ShardResult, type WatchedKey } from "./core";
import { EffectStream } from "./effects";
import { ShardPersistence } from "./persistence";
import { initialSlotState } from "./slot-owner";
import { isRedirect, type ShardSlotConfig } from "./slot-state";
import { SlotMigration, type MigrateResult, type SlotReport } from "./slot-migration";
import { CallViews, importedKeys, type ImportedKeys, type MovedKeysQuery } from "./keyspace-view";
import { groupOfName, isStaleRoute, type GroupConfig, type ShardRoleInfo, type StaleRoute } from "./group";
import { shardObject } from "./address";
import { ShardReplication, type ReplicationPeer, type RouteInfo } from "./replication";
import type { ReplAck, ReplMessage } from "./replication-source";
import { answerOffsets, committedOnReplicas, ERR_NOREPLICAS, READ_YOUR_WRITES_WAIT_MS, replicasReady, runOnReplica, withMinReplicas } from "./replica-ops";
import { NotifyPublisher } from "./notify-publisher";
import { FaultGate, callerOf, type FaultSpec } from "../monitor/faults";
import { TopologyCache } from "../router/topology";
import { COORDINATOR_NAME, type SlotCoordinator } from "../monitor/coordinator";
import { withFreshCallee, withTimeout } from "../util/async";

export type { BlockWait, LeaseExpired, ShardOp, ShardResult, WatchedKey };

/** A command op's result when storage is damaged: every command refused with the same error. */
function refused(op: Extract<ShardOp, { kind: "exec" | "transaction" }>, refusal: string): ShardResult {
  return op.kind === "exec" ? op.batch.map(() => error(refusal)) : error(refusal);
}

/**
 * Whether the first `run` call of a timer turn commits synchronously at its end (see
 * EffectStream.commit). Measured (redis-benchmark SET, same sitting): always deferring to a
 * timer costs a pipelined single connection up to 3-6x (c1 P16 1.2-2.5k vs 7.4-8.6k);
 * always committing at once loses the group commit of many connections (c50 P16 5-6k vs
 * 20-22k); first-of-turn keeps both.
 */
const COMMIT_AT_END = true;

/** How long a promoted primary waits for the coordinator's slot config (issue 13). */
const COORDINATOR_MS = 5000;

/** How long a source waits for a target's imported keys (it holds itself exclusively meanwhile). */
const IMPORTED_KEYS_MS = 5000;

/** Keys deleted per active-expiry batch: bounds how long one alarm holds the shard. */
export const EXPIRE_BATCH = 2000;

export class Shard extends DurableObject<Env> {
  private readonly core: ShardCore;
  /** The append log and snapshots (src/shard/persistence.ts). */
  private readonly persistence: ShardPersistence;
  /** Every batch's effects → the log (src/shard/effects.ts); replies wait for `commit`. */
  private readonly effects: EffectStream;
  private readonly schedule: AlarmSchedule;
  /** DEBUG SLEEP asked for a pause of this many ms after the current batch. */
  private sleepMs = 0;
  /** `run` calls since the last timer turn: the first commits at once, the others as a group. */
  private callsThisTurn = 0;
  /** False after DEBUG SET-ACTIVE-EXPIRE 0. */
  private activeExpire = true;
  /** Live resharding: the slots this shard serves and its half of moving them (null: not a "shard-<g>" object). */
  private readonly migration: SlotMigration | null = null;
  /** Replication (src/shard/replication.ts); null for an object outside any group (REPLICAS=0 and never configured: today's shard). */
  private replication: ShardReplication | null = null;
  /** Failover tests: injected faults (src/monitor/faults.ts; FAULT_INJECTION = "yes" only). */
  private readonly faults: FaultGate;
  /** Resharding with failover: other groups' primaries, as the monitors know them (created on first use). */
  private groupTopology: TopologyCache | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.faults = new FaultGate(readMonitorConfig(env).faultInjection);
    const config = readConfig(env);
    const limits = { maxValueBytes: config.maxValueBytes, maxReplyElements: config.maxReplyElements, maxReplyBytes: config.maxReplyBytes };
    this.core = new ShardCore(limits, (effects) => this.effects.stage(effects));
    // Live resharding: keys of slots this shard does not serve are refused — reads with the
    // router's MOVED/ASK, writes also as they would create a key (a routing fault must not strand a key).
    const slotState = initialSlotState(ctx.id.name, config.shards);
    if (slotState !== null) {
      this.core.executor.slotOwner = slotState;
      this.migration = new SlotMigration(slotState, this.core, {
        storage: ctx.storage,
        // Synchronous: inside blockConcurrencyWhile, a group commit deferred by another
        // request's timer could not run (its callback waits for the gate): a deadlock.
        commit: async () => this.effects.flush(),
        exclusive: (fn) => ctx.blockConcurrencyWhile(fn),
        target: (name) => env.SHARD.get(env.SHARD.idFromName(name)) as unknown as Pick<Shard, "importKeys" | "dropKeys">,
        // Resharding with failover: a settle's roll-back goes to the target group's current primary.
        primaryOf: (group, fresh) => this.groupPrimary(group, fresh),
        // Resharding with failover (issue 13, reshard-faults): a promoted primary's settle, and
        // a batch's DEL confirmed by min-replicas-to-write replicas before clients see it.
        isPrimary: () => this.replication === null || this.replication.isPrimary,
        self: ctx.id.name ?? "",
        currentConfig: () => this.currentSlotConfig(slotState.shard),
        replicas: {
          ready: () => replicasReady(this.replication?.source ?? null, this.core.db.settings),
          acknowledged: () => committedOnReplicas(this.replication?.source ?? null, this.core.db.settings),
        },
      });
      const counters = slotState.counters;
      this.core.slotGate = {
        check: (argv, asking, order) => slotState.check(argv, asking, this.core.db, order),
        checkTransaction: (batch, asking) => slotState.checkTransaction(batch, asking, this.core.db),
        // cpu-usec is not measured: a Worker's clock does not advance while its code runs, so
        // timing a command always gives 0 (and the two clock reads showed in profiles).
        served: (slot) => {
          // Measured once, by the executor's reply budget.
          counters.bytesOut[slot] += this.core.executor.lastReplyBytes + 8;
        },
      };
    }
    // The deployment's memory limit and policy; logged CONFIG SETs replayed below override them.
    // 0 or above the platform's bound is stored as the bound, as CONFIG SET maxmemory 0 is.
    this.core.db.settings.maxmemory = memoryLimit({ maxmemory: config.maxmemory });
    this.core.db.settings.maxmemoryPolicy = config.maxmemoryPolicy;
    this.schedule = new AlarmSchedule(ctx.storage);
    this.persistence = new ShardPersistence(ctx.storage, this.core.db, this.core.executor, {
      // A snapshot commits what is staged first, so the log holds every effect before it.
      flushPending: () => this.effects.flush(),
    });
    // With PERSISTENCE=no (benchmarks only) nothing is logged, so nothing is snapshotted either.
    this.effects = new EffectStream(config.persistence ? this.persistence : null, {
      abort: (reason) => this.ctx.abort(reason),
    });
    // Pub/Sub: keyspace notifications go to the hubs, off the reply path.
    if (env.HUB) {
      const publisher = new NotifyPublisher(env.HUB, config.pubsubHubs);
      this.core.onNotifications = (n) => publisher.publish(n);
    }
    // DEBUG SLEEP and DEBUG SET-ACTIVE-EXPIRE.
    this.core.executor.debug = {
      sleep: (ms) => (this.sleepMs = Math.max(this.sleepMs, ms)),
      setActiveExpire: (on) => {
        this.activeExpire = on;
        if (on) this.afterWrite();
      },
    };
    // Replication: the object's group role (config.replicas = 0: none, today's behaviour).
    const group = groupOfName(ctx.id.name);
    if (group !== null && (config.replicas > 0 || ctx.id.name !== `shard-${group}`)) this.startReplication(group, config.replicas, config);
    ctx.blockConcurrencyWhile(async () => {
      // The newest complete snapshot, then the log after it.
      await this.persistence.recover();
      await this.migration?.load();
      this.replication?.start();
      this.afterWrite();
    });
  }

  /**
   * The router's one call for commands (src/router/channel.ts): a list of ops from any
   * number of connections, run in order, synchronously, then ONE commit for them all
   * before the replies leave.
   */
  async run(wrapped: ShardOp[], route?: RouteInfo): Promise<ShardResult[] | StaleRoute> {
    // Exact DBSIZE / KEYS while slots move (src/shard/keyspace-view.ts): the router's wrapped commands.
    const unwrapped = CallViews.unwrap(wrapped);
    const ops = unwrapped === null ? wrapped : unwrapped.ops;
    const views = unwrapped === null ? null : unwrapped.views;
    const results = await this.runCall(ops, route, views);
    if (views !== null && !isStaleRoute(results)) views.wrap(results);
    // Read-your-writes (HTTP upstash-sync-token): "offset" ops answer the offset this call's commit reached.
    const repl = this.replication;
    return repl === null || isStaleRoute(results) ? results : answerOffsets(ops, results, repl.source.offset);
  }

  private async runCall(ops: ShardOp[], route?: RouteInfo, views: CallViews | null = null): Promise<ShardResult[] | StaleRoute> {
    // Issue 10: awaited only when a fault holds the call (no turn per call otherwise).
    const held = this.faults.enter(callerOf(route));
    if (held) await held;
    this.core.db.stats.rpcCalls++;
    if (this.migration?.unsettled) await this.migration.settle();
    // Replication: a call for an older epoch, or not a read sent to a replica, is refused;
    // a replica serves reads; min-replicas-to-write gates and waits for writes.
    const repl = this.replication;
    if (repl !== null) {
      const stale = repl.refusal(route);
      if (stale !== null) return stale;
      if (!repl.isPrimary) {
        // Read-your-writes: not before this replica has applied what the client has seen.
        const need = route?.minOffset ?? 0;
        if (need > repl.source.offset && !(await repl.source.reached(need, READ_YOUR_WRITES_WAIT_MS))) return repl.behind();
        if (views !== null) views.epoch = this.migration?.slots.epoch ?? 0;
        return runOnReplica(this.core, ops);
      }
      const settings = this.core.db.settings;
      if (settings.minReplicasToWrite > 0) return withMinReplicas(repl.source, settings, ops, (gated) => this.runOps(gated, views));
    }
    return this.runOps(ops, views);
  }

  private async runOps(ops: ShardOp[], views: CallViews | null = null): Promise<ShardResult[]> {
    const migration = this.migration;
    // Exact DBSIZE / KEYS / SCAN on a source (src/shard/keyspace-view.ts): run and complete
    // them with the targets' keys of the migrating slots with no batch in between.
    const results =
      views !== null && views.countsKeys && migration !== null && migration.slots.migratingCount > 0 && this.persistence.refusal === null
        ? await this.ctx.blockConcurrencyWhile(async () => {
            const r = this.runNow(ops, views);
            await views.addMovedKeys(migration.slots, ops, r, (group, slots, query) => this.askTarget(group, slots, query));
            return r;
          })
        : this.runNow(ops, views);
    // SAVE, BGSAVE, DEBUG RELOAD… act now that the call's effects are all known.
    this.persistence.afterBatch();
    this.afterWrite();
    await this.holdIfAsked();
    // The only call of its turn (one connection, pipelined): commit now, no timer turn.
    // Calls arriving together (many connections): one group commit on the next turn.
    await this.effects.commit(COMMIT_AT_END && this.firstOfTurn());
    return results;
  }

  /** Runs the ops now (refused when storage is damaged), hiding importing keys; notes the slot epoch for wrapped answers. */
  private runNow(ops: ShardOp[], views: CallViews | null): ShardResult[] {
    const refusal = this.persistence.refusal;
    const results = refusal === null ? this.core.run(ops) : ops.map((op) => (op.kind === "exec" || op.kind === "transaction" ? refused(op, refusal) : this.core.run([op])[0]));
    if (this.migration) hideImporting(this.migration, ops, results);
    if (views !== null) views.epoch = this.migration?.slots.epoch ?? 0;
    return results;
  }

  /** One pipeline batch (what `run` does with one exec op); for tests inside the object (a replica serves it as a read). */
  async exec(batch: string[][]): Promise<Reply[]> {
    const results = await this.run([{ kind: "exec", batch }], { epoch: this.replication?.epoch ?? 0, replicaRead: true });
    return (results as ShardResult[])[0] as Reply[];
  }

  // --- replication (src/shard/replication.ts): the monitors', router's and peers' RPCs ---

  private startReplication(group: number, replicas: number, config: ReturnType<typeof readConfig>): void {
    this.core.db.settings.minReplicasToWrite = config.minReplicasToWrite;
    this.core.db.settings.minReplicasMaxLag = config.minReplicasMaxLag;
    this.replication = new ShardReplication({
      sql: this.ctx.storage.sql,
      name: this.ctx.id.name!,
      group,
      replicas,
      db: this.core.db,
      executor: this.core.executor,
      effects: this.effects,
      persistence: this.persistence,
      peer: (name) => this.outgoing(name, shardObject<ReplicationPeer>(this.env, name)),
      later: (fn, ms) => void setTimeout(fn, ms),
      shipIntervalMs: config.replShipIntervalMs,
      // Issue 13: the slot config rides the stream, so a replica that missed the coordinator's
      // pushes is never behind the slot config of the effects it holds (replication-source.ts).
      slots: this.migration === null ? undefined : this.migration.replicatedSlots(),
    });
    this.core.executor.replication = this.replication;
  }

  /** The health ping: role, epoch, offset (and replicas, on a primary). */
  async roleInfo(from?: string): Promise<ShardRoleInfo> {
    await this.faults.enter(from);
    return this.replicationOrStart().roleInfo();
  }

  /** A new group config from the monitors (ignored when older than the epoch known). */
  async configure(config: GroupConfig, from?: string): Promise<ShardRoleInfo> {
    await this.faults.enter(from);
    const repl = this.replicationOrStart();
    const wasPrimary = repl.isPrimary;
    const info = repl.configure(config);
    // Resharding with failover (issue 13): a promoted primary settles its slots before it serves.
    if (!wasPrimary && repl.isPrimary) await this.migration?.promote();
    return info;
  }

  /** The primary's stream (src/shard/replication-sink.ts). */
  async replicate(msg: ReplMessage): Promise<ReplAck> {
    await this.faults.enter(msg.primary);
    return this.replicationOrStart().sink.receive(msg);
  }

  /** A replica asks to be fed (it restarted). */
  async replicaHello(name: string): Promise<void> {
    await this.faults.enter(name);
    this.replication?.hello(name);
  }

  /** WAIT: how many replicas acknowledged this object's current offset, once `count` have or `timeoutMs` passed. */
  async waitAcks(count: number, timeoutMs: number): Promise<number> {
    const repl = this.replication;
    if (repl === null || !repl.isPrimary) return 0;
    await this.effects.commit(true);
    return repl.source.waitForAcks(repl.source.offset, count, timeoutMs);
  }

  /** An object of REPLICAS=0 asked about replication: it joins its group now. */
  private replicationOrStart(): ShardReplication {
    if (this.replication === null) {
      const group = groupOfName(this.ctx.id.name);
      if (group === null) throw new Error(`object ${this.ctx.id.name ?? "(unnamed)"} is not a group member`);
      this.startReplication(group, readConfig(this.env).replicas, readConfig(this.env));
      this.replication!.start();
    }
    return this.replication!;
  }

  /**
   * A blocking command: resolves when served, timed out, or when the router's lease ran
   * out (see ShardCore.block). A client served during another RPC's batch still waits for
   * that batch's log write. Never coalesced with other calls: it may be held for long.
   */
  async block(argv: string[], token: string, wait: BlockWait): Promise<Reply | LeaseExpired> {
    await this.faults.enter("router");
    this.core.db.stats.rpcCalls++;
    if (this.migration?.unsettled) await this.migration.settle();
    const refusal = this.persistence.refusal;
    if (refusal !== null) return error(refusal);
    const served = this.core.block(argv, token, wait);
    this.afterWrite();
    const reply = await served;
    await this.effects.commit(false);
    return reply;
  }

  /**
   * Admin export (src/router/admin.ts): starts a point-in-time walk of this shard's keys as
   * RDB key records; `exportPull` hands them out in pieces of about `maxBytes`.
   */
  async exportStart(): Promise<{ id: string; keys: number; expires: number }> {
    const refusal = this.persistence.refusal;
    if (refusal !== null) throw new Error(refusal);
    return this.persistence.exportStart();
  }

  async exportPull(id: string, maxBytes: number): Promise<{ bytes: Uint8Array; done: boolean }> {
    return this.persistence.exportPull(id, maxBytes);
  }

  // --- live resharding (src/shard/slot-migration.ts; driven by src/monitor/coordinator.ts) ---

  /**
   * The coordinator pushes this shard's slot state (persisted before the answer). Pushed as
   * the group's primary (`member` "primary"), it is refused by an object that is not the
   * primary: the coordinator's topology is stale, it asks the monitors and retries. Replicas
   * take it too (best effort), so a promoted replica gates keys at once.
   */
  async configureSlots(config: ShardSlotConfig, member: "primary" | "replica" = "primary"): Promise<{ epoch: number; applied: boolean }> {
    await this.faults.enter("coordinator");
    if (member === "primary") this.refuseUnlessPrimary("configureSlots");
    return this.slotMigration().configure(config);
  }

  /** Source: moves a batch of keys of `slots` to the object named `target`. */
  async migrateSlots(slots: number[], target: string, maxKeys: number, maxBytes: number): Promise<MigrateResult> {
    await this.faults.enter("coordinator");
    this.refuseUnlessPrimary("migrateSlots");
    return this.slotMigration().migrate(slots, target, maxKeys, maxBytes);
  }

  /**
   * Target: applies and logs a batch of RESTORE records; with min-replicas-to-write N, answers
   * only once N replicas acknowledged it (a failover then promotes one that holds it).
   */
  async importKeys(records: string[][]): Promise<void> {
    await this.faults.enter();
    this.refuseUnlessPrimary("importKeys");
    await this.slotMigration().importKeys(records);
    if (!(await committedOnReplicas(this.replication?.source ?? null, this.core.db.settings))) throw new Error(`${ERR_NOREPLICAS} (migration batch)`);
  }

  /** Target: drops keys of importing slots (an interrupted batch rolled back by `from`, its source group's primary). */
  async dropKeys(keys: string[], from?: string): Promise<number> {
    await this.faults.enter();
    this.refuseUnlessPrimary("dropKeys");
    return this.slotMigration().dropKeys(keys, from);
  }

  /**
   * Target: its keys of `slots` imported from group `from` (exact DBSIZE / KEYS / SCAN, see
   * src/shard/keyspace-view.ts): asked by the source while it holds itself exclusively.
   */
  async importedKeys(from: number, slots: number[], query: MovedKeysQuery): Promise<ImportedKeys> {
    await this.faults.enter();
    this.refuseUnlessPrimary("importedKeys");
    return importedKeys(this.slotMigration().slots, this.core.db, from, slots, query);
  }

  /** Group `group`'s current primary as the monitors know it (`fresh`: ask them again first). */
  private async groupPrimary(group: number, fresh: boolean): Promise<string> {
    const topology = (this.groupTopology ??= new TopologyCache(readConfig(this.env).replicas));
    if (fresh) await topology.refresh(this.env).catch(() => false);
    return topology.config(group).primary;
  }

  /** Source: asks group `group`'s primary (again, refreshed, if that fails) for its keys imported from here. */
  private async askTarget(group: number, slots: number[], query: MovedKeysQuery): Promise<ImportedKeys> {
    const from = this.slotMigration().slots.shard;
    return withFreshCallee(
      2,
      (attempt) => this.groupPrimary(group, attempt > 0),
      async (name) => {
        await this.faults.leave(name);
        const stub = shardObject<Pick<Shard, "importedKeys">>(this.env, name);
        return withTimeout(stub.importedKeys(from, slots, query), IMPORTED_KEYS_MS, `importedKeys ${name}`);
      },
    );
  }

  /**
   * Migration calls go to a group's primary only (a stale caller must look it up again).
   * Like every RPC entry they pass the fault gate first (a down object refuses them too).
   */
  private refuseUnlessPrimary(what: string): void {
    if (this.replication !== null && !this.replication.isPrimary) throw new Error(`ERR ${what}: ${this.ctx.id.name} is not its group's primary`);
  }

  /** Per-slot numbers (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT / SLOT-STATS, rebalance). */
  async slotReport(slots: number[], keysOf = 0): Promise<SlotReport & { keys: string[]; epoch: number }> {
    const m = this.slotMigration();
    if (m.unsettled) await m.settle();
    return { ...m.report(slots, keysOf), epoch: m.slots.epoch };
  }

  /**
   * Group `group`'s current slot config, from the coordinator (a promoted primary's settle,
   * issue 13); null without a coordinator. Bounded: a settle that cannot reach it fails and
   * is retried by the next call.
   */
  private async currentSlotConfig(group: number): Promise<ShardSlotConfig | null> {
    const ns = this.env.COORDINATOR;
    if (!ns) return null;
    const coordinator = ns.get(ns.idFromName(COORDINATOR_NAME)) as unknown as Pick<SlotCoordinator, "slotConfigOf">;
    await this.faults.leave("coordinator");
    return withTimeout(coordinator.slotConfigOf(group), COORDINATOR_MS, "slotConfigOf");
  }

  private slotMigration(): SlotMigration {
    if (this.migration === null) throw new Error(`ERR ${this.ctx.id.name ?? "this object"} is not a group's shard`);
    return this.migration;
  }

  /** Active expiry. At-least-once delivery is harmless: it only deletes what is due. */
  /** A peer's stub whose calls pass this object's fault gate first (a down shard calls no one). */
  private outgoing(name: string, stub: ReplicationPeer): ReplicationPeer {
    // Issue 10: no await (an extra turn per shipment) unless a fault is set.
    const gate = this.faults;
    return {
      replicate: (msg) => {
        const held = gate.leave(name);
        return held ? held.then(() => stub.replicate(msg)) : stub.replicate(msg);
      },
      replicaHello: async (from) => (await this.faults.leave(name), stub.replicaHello(from)),
    };
  }

  /** Failover tests (FAULT_INJECTION = "yes" only): sets or heals this object's injected fault. */
  async setFault(spec: FaultSpec | null): Promise<void> {
    this.faults.set(spec);
  }

  async alarm(): Promise<void> {
    this.schedule.fired();
    // DEBUG SET-ACTIVE-EXPIRE 0: keys expire only when touched; re-armed when turned on.
    if (!this.activeExpire) return;
    // A replica never expires keys itself: its primary's DELs do.
    if (this.replication !== null && !this.replication.isPrimary) return;
    const more = this.core.expireDue(EXPIRE_BATCH);
    // More due keys: come back at once (other requests run in between); else next expiry.
    this.schedule.set("expiry", more ? Date.now() : this.core.nextExpiry());
    await this.effects.commit(false);
  }

  /** Counts a `run` call; true for the first since the last timer turn. */
  private firstOfTurn(): boolean {
    if (this.callsThisTurn++ === 0) setTimeout(() => (this.callsThisTurn = 0), 0);
    return this.callsThisTurn === 1;
  }

  /** DEBUG SLEEP: no other request runs until the time has passed, as Redis blocks. */
  private async holdIfAsked(): Promise<void> {
    const ms = this.sleepMs;
    if (ms <= 0) return;
    this.sleepMs = 0;
    await this.ctx.blockConcurrencyWhile(() => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private afterWrite(): void {
    this.schedule.set("expiry", this.core.nextExpiry());
  }
}

/** A call's KEYS/DBSIZE replies without keys of slots still being imported (see SlotMigration.hideImporting). */
function hideImporting(m: SlotMigration, ops: ShardOp[], results: ShardResult[]): void {
  if (m.slots.importingCount === 0) return;
  ops.forEach((op, i) => {
    if (op.kind !== "exec") return;
    const replies = results[i] as Reply[];
    op.batch.forEach((argv, j) => (replies[j] = m.hideImporting(argv, replies[j])));
  });
}

export { isRedirect };
