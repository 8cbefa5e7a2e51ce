/**
 * What a shard does, without the Durable Object around it: runs batches and transactions
 * against its keyspace, hands each batch's effects to the shard's effect stream (`stage`,
 * src/shard/effects.ts: the log, later replicas) — every operation that may change the
 * keyspace runs inside `collected`, the one path effects take out of here — and tracks
 * WATCHed keys, and parks clients of blocking commands (BLPOP, …) until a key they wait
 * on changes — serving them in arrival order after each command, as Redis does — or
 * their timeout passes. Pure TypeScript, so Node tests can run a whole cluster in memory.
 */
import { WouldBlock, type Limits } from "../commands/context";
import { Executor } from "../commands/execute";
import { Keyspace } from "../engine/keyspace";
import type { Notification } from "../engine/notify";
import { NULL_ARRAY, type Reply } from "../protocol/reply";
import { CallOrder } from "./slot-state";

/** A key being watched by a transaction, with the version WATCH returned. */
export type WatchedKey = [key: string, version: number, expiredAtWatch: boolean];

/**
 * One operation of a router's call to a shard (`Shard.run`): ops run in order, each
 * synchronously, and the whole call commits its effects once.
 */
export type ShardOp =
  /** `asking`: the router was redirected here by ASK (a slot being imported; src/shard/slot-state.ts). */
  | { readonly kind: "exec"; readonly batch: string[][]; readonly asking?: boolean }
  | { readonly kind: "transaction"; readonly batch: string[][]; readonly watched: WatchedKey[]; readonly asking?: boolean }
  | { readonly kind: "watch"; readonly keys: string[] }
  | { readonly kind: "unwatch"; readonly keys: string[] }
  /** `reply`: what the client gets (CLIENT UNBLOCK … ERROR); default its timeout reply. */
  | { readonly kind: "unblock"; readonly token: string; readonly reply?: Reply }
  /** Read-your-writes: the object's replication offset once this call committed (null: no replication); answered by Shard.run. */
  | { readonly kind: "offset" };

/** Each op's result: exec → its replies, transaction → EXEC's reply, watch → versions, else null. */
export type ShardResult = Reply[] | Reply | WatchedKey[] | null;

/**
 * What a blocking command answers when the router's lease ran out before the command's own
 * timeout: the router calls again (with `deadline`) if its client is still there, so a
 * waiter parked by a router that died is gone within one lease.
 */
export interface LeaseExpired {
  readonly leaseExpired: true;
  /** When the command's own wait ends (ms since the epoch; Infinity: never). */
  readonly deadline: number;
}

export function isLeaseExpired(r: unknown): r is LeaseExpired {
  return r !== null && typeof r === "object" && (r as { leaseExpired?: unknown }).leaseExpired === true;
}

/** How long a blocking command waits, as the router asks. */
export interface BlockWait {
  /** The most the command may wait in all (HTTP caps it; Infinity: as the command says). */
  readonly maxWaitMs: number;
  /** The most this call parks the client before answering LeaseExpired (Infinity: no lease). */
  readonly leaseMs: number;
  /** Set on a call after LeaseExpired: the command's wait ends then, whatever it says. */
  readonly deadline?: number;
  /** Redirected here by ASK (see ShardOp's exec). */
  readonly asking?: boolean;
}

/**
 * Slot routing (src/shard/slot-state.ts, live resharding): `check` refuses a command for
 * keys of slots this shard does not serve (a reply) or returns its slot (-1: keyless);
 * `served` counts what a command of a slot cost (CLUSTER SLOT-STATS).
 */
export interface SlotGate {
  /** `order`: the router call's CallOrder (a later command waits behind a redirected one of its slot). */
  check(argv: string[], asking: boolean, order?: CallOrder): Reply | number;
  /** A MULTI/EXEC's keys together: a refusal, or null when each command is then checked alone. */
  checkTransaction?(batch: string[][], asking: boolean): Reply | null;
  served(slot: number): void;
}

/** A client parked by a blocking command. */
interface Waiter {
  readonly token: string;
  readonly argv: string[];
  readonly keys: string[];
  readonly timeoutReply: Reply;
  resolve(reply: Reply | LeaseExpired): void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class ShardCore {
  readonly db = new Keyspace();
  /** Public so the shard can attach its persistence (ctx.persistence, the copy-on-write hook). */
  readonly executor: Executor;
  /** Parked clients per key, in arrival order. */
  private readonly waiters = new Map<string, Waiter[]>();
  /** Live resharding's routing gate; null: every command is served (a plain core, tests). */
  slotGate: SlotGate | null = null;
  private readonly serveBlocked = () => {
    if (this.waiters.size > 0) this.serveReadyKeys();
  };

  constructor(
    limits: Limits,
    /** Receives each batch's effects before its replies are returned (EffectStream.stage). */
    private readonly stage: (effects: string[][]) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.executor = new Executor(this.db, limits, clock);
  }

  /**
   * Runs `fn` and stages every effect recorded while it ran (commands, blocked clients
   * served, expiry, eviction) as one batch: the only way effects leave the shard's core.
   */
  private collected<T>(fn: () => T): T {
    const { result, effects, notifications } = this.executor.collect(fn);
    if (effects.length > 0) this.stage(effects);
    // Keyspace notifications (none unless notify-keyspace-events is set) go to Pub/Sub.
    if (notifications.length > 0) this.onNotifications?.(notifications);
    return result;
  }

  /** Receives each batch's keyspace notifications (src/shard/notify-publisher.ts). */
  onNotifications: ((notifications: Notification[]) => void) | null = null;

  /** Runs a router call's ops in order (see ShardOp); one result per op. */
  run(ops: readonly ShardOp[]): ShardResult[] {
    const results: ShardResult[] = new Array(ops.length);
    // Live resharding: the call's commands keep their order across a redirect (CallOrder).
    const order = this.slotGate ? new CallOrder() : undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      switch (op.kind) {
        case "exec":
          results[i] = this.exec(op.batch, op.asking === true, order);
          break;
        case "transaction":
          results[i] = this.transaction(op.batch, op.watched, op.asking === true);
          break;
        case "watch":
          results[i] = this.watch(op.keys);
          break;
        case "unwatch":
          this.unwatch(op.keys);
          results[i] = null;
          break;
        case "unblock":
          this.unblock(op.token, op.reply);
          results[i] = null;
          break;
        case "offset":
          results[i] = null;
          break;
      }
    }
    return results;
  }

  /** Runs a pipeline batch; replies in order. Blocked clients are served after each command. */
  exec(batch: string[][], asking = false, order = this.slotGate ? new CallOrder() : undefined): Reply[] {
    return this.collected(() =>
      batch.map((argv) => {
        const gate = this.slotGate;
        if (gate === null) {
          const reply = this.executor.runOne(argv);
          this.serveBlocked();
          return reply;
        }
        const slot = gate.check(argv, asking, order);
        if (typeof slot !== "number") return slot;
        const reply = this.executor.runOne(argv);
        if (slot >= 0) gate.served(slot);
        this.serveBlocked();
        return reply;
      }),
    );
  }

  /** The gate's refusal of any command of a batch (MOVED, ASK, TRYAGAIN), or null. */
  private refusedBySlot(batch: string[][], asking: boolean): Reply | null {
    const gate = this.slotGate;
    if (gate === null) return null;
    // Live resharding: a transaction's keys are checked together first (src/shard/slot-state.ts).
    const whole = gate.checkTransaction?.(batch, asking) ?? null;
    if (whole !== null) return whole;
    for (const argv of batch) {
      const r = gate.check(argv, asking);
      if (typeof r !== "number") return r;
    }
    return null;
  }

  /**
   * Applies a live migration's records (RESTORE … REPLACE ABSTTL on the target, DEL on the
   * source) as effects of their own: logged like any write, past the routing gate.
   */
  applyMigration(records: string[][]): Reply[] {
    return this.collected(() => {
      const replies = records.map((argv) => this.executor.runOne(argv));
      this.serveBlocked();
      return replies;
    });
  }

  /**
   * Each key's state as a migration record (RESTORE … REPLACE ABSTTL with its DUMP payload,
   * or DEL when gone), read inside `collected` so a key expiring as it is read is logged.
   */
  exportKeys(keys: string[]): string[][] {
    return this.collected(() => keys.map((key) => this.executor.keyState(key)));
  }

  /**
   * Releases parked clients whose command `redirect` now refuses (their slot moved away or
   * is migrating: the router retries where the refusal points), as Redis Cluster unblocks
   * clients of a slot it no longer serves.
   */
  redirectBlocked(redirect: (argv: string[]) => Reply | null): void {
    const all = new Set<Waiter>();
    for (const queue of this.waiters.values()) for (const w of queue) all.add(w);
    for (const w of all) {
      const r = redirect(w.argv);
      if (r !== null) this.release(w, r);
    }
  }

  /** Runs commands as one atomic unit: blocked clients are served only after all of them. */
  private execAtomically(batch: string[][]): Reply[] {
    const replies = this.executor.ungated(() => batch.map((argv) => this.executor.runOne(argv)));
    // The memory limit is enforced again once the whole transaction has run.
    this.executor.enforceMemoryLimit();
    this.serveBlocked();
    return replies;
  }

  /**
   * Runs a MULTI/EXEC transaction atomically. Returns the null array (EXEC aborted) when a
   * watched key changed since WATCH; the watches are released either way.
   */
  transaction(batch: string[][], watched: WatchedKey[], asking = false): Reply {
    this.db.now = this.clock();
    const aborted = watched.some(([key, version, expired]) => this.db.changedSince(key, version, expired));
    for (const [key] of watched) this.db.unwatch(key);
    if (aborted) return NULL_ARRAY;
    // A key of a slot not served here (moved, moving): the router retries elsewhere, or
    // the client gets TRYAGAIN; nothing has run.
    const refusal = this.refusedBySlot(batch, asking);
    if (refusal !== null) return refusal;
    // Out of memory with nothing to evict: EXEC is refused whole, as Redis refuses it
    // (what the check evicted is logged either way).
    return this.collected(() => this.executor.refuseTransaction(batch) ?? this.execAtomically(batch));
  }

  /**
   * Runs a blocking command. If it has nothing to serve, the client is parked until a
   * key it waits on changes or its timeout (capped at `wait.maxWaitMs`, or ending at
   * `wait.deadline`) passes — or, first, its lease (`wait.leaseMs`) runs out: then it
   * answers LeaseExpired. `token` names the client, so `unblock` can release it when it
   * disconnects.
   */
  block(argv: string[], token: string, wait: BlockWait = { maxWaitMs: Infinity, leaseMs: Infinity }): Promise<Reply | LeaseExpired> {
    const refusal = this.refusedBySlot([argv], wait.asking === true);
    if (refusal !== null) return Promise.resolve(refusal);
    const result = this.collected(() => {
      const r = this.executor.runBlocking(argv);
      if (!(r instanceof WouldBlock)) this.serveBlocked();
      return r;
    });
    if (!(result instanceof WouldBlock)) return Promise.resolve(result);
    const now = this.clock();
    const own = Math.min(result.timeoutMs === 0 ? Infinity : result.timeoutMs, wait.maxWaitMs);
    const deadline = wait.deadline ?? now + own;
    if (deadline <= now) return Promise.resolve(result.timeoutReply);
    return new Promise<Reply | LeaseExpired>((resolve) => {
      const waiter: Waiter = { token, argv, keys: result.keys, timeoutReply: result.timeoutReply, resolve, timer: null };
      for (const key of result.keys) {
        const queue = this.waiters.get(key);
        if (queue) queue.push(waiter);
        else this.waiters.set(key, [waiter]);
      }
      const left = deadline - now;
      if (wait.leaseMs < left) {
        waiter.timer = setTimeout(() => this.release(waiter, { leaseExpired: true, deadline }), wait.leaseMs);
      } else if (Number.isFinite(left)) {
        waiter.timer = setTimeout(() => this.release(waiter, waiter.timeoutReply), left);
      }
    });
  }

  /**
   * Releases a parked client: it disconnected, or CLIENT UNBLOCK asked, which may give
   * `reply` (the UNBLOCKED error); else it gets its timeout reply.
   */
  unblock(token: string, reply?: Reply): void {
    for (const queue of this.waiters.values()) {
      const w = queue.find((x) => x.token === token);
      if (w) return this.release(w, reply ?? w.timeoutReply);
    }
  }

  /** Number of clients parked on blocking commands (INFO's blocked_clients). */
  get blockedClients(): number {
    const all = new Set<Waiter>();
    for (const queue of this.waiters.values()) for (const w of queue) all.add(w);
    return all.size;
  }

  private release(w: Waiter, reply: Reply | LeaseExpired): void {
    if (w.timer) clearTimeout(w.timer);
    for (const key of w.keys) {
      const queue = this.waiters.get(key);
      if (!queue) continue;
      const i = queue.indexOf(w);
      if (i >= 0) queue.splice(i, 1);
      if (queue.length === 0) this.waiters.delete(key);
    }
    w.resolve(reply);
  }

  /**
   * Serves parked clients whose keys now hold data, first come first served, each by
   * running its command again (inside the current `collected`: its effects join the batch).
   */
  private serveReadyKeys(): void {
    for (const [key, queue] of [...this.waiters]) {
      if (this.db.get(key) === undefined) continue;
      for (const w of [...queue]) {
        if (!this.waiters.get(key)?.includes(w)) continue;
        const result = this.executor.runBlocking(w.argv);
        if (result instanceof WouldBlock) break;
        this.release(w, result);
        if (this.db.get(key) === undefined) break;
      }
    }
  }

  /** WATCH: each key's current version, to hand back at EXEC. */
  watch(keys: string[]): WatchedKey[] {
    // Redis 7.0 remembers whether a key was already expired at WATCH: only expiring
    // after it aborts the transaction.
    this.db.now = this.clock();
    return keys.map((key) => [key, this.db.watch(key), this.db.isExpired(key)]);
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
    this.collected(() => this.executor.expireDue(limit));
    const next = this.db.nextExpiry();
    return next !== undefined && next < this.db.now;
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
