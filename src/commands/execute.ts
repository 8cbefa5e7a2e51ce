/**
 * Runs commands against a keyspace, as a shard does: lookup → arity → handler, one at a
 * time and synchronously (the shard is single-threaded, like Redis), recording the
 * effects to log in deterministic form. Used by the shard Durable Object, by log replay,
 * and directly by unit tests in Node.
 *
 * Effects (what a command changed, as commands that replay it exactly): a command is
 * recorded as sent when it bumped `db.dirty`, or as what it `propagate`d; expiry and
 * eviction are recorded as DEL. A handler that throws after changing data is recorded as
 * the state it left its keys in (RESTORE … REPLACE ABSTTL, or DEL), not as the request:
 * replaying the request could do more, or other, than what was applied. Effects leave the
 * executor one way only: `collect` hands over everything recorded while its function ran.
 * Outside `collect` nothing is recorded (log replay, tools that only want replies).
 *
 * Memory (Redis's processCommand): when maxmemory is set, every command first evicts keys
 * by the maxmemory-policy until the keyspace fits; if it cannot, a command flagged
 * `denyoom` is refused with the OOM error while reads and deletes still run. Hotslot also
 * evicts right after each command, so a shard never sits over its limit between
 * requests (Redis leaves that to the next command). Evictions are logged as DEL.
 * maxmemory 0 (or above the platform's bound) still means the platform's bound,
 * PLATFORM_MAXMEMORY (src/engine/settings.ts `memoryLimit`): an isolate has 128 MB.
 *
 * Replies (src/commands/reply-budget.ts): handlers charge `ctx.replyBudget` before they
 * build a large reply; after each command the executor measures the reply, and the
 * replies of one batch (one `collect`, one RPC) together, refusing with
 * `ERR reply too large` what is over MAX_REPLY_ELEMENTS / MAX_REPLY_BYTES.
 *
 * Keyspace notifications (src/engine/notify.ts): while `collect` runs, the messages the
 * commands, expiry and eviction produce are gathered beside the effects and handed over
 * with them (`notifications`), for the shard to give to the Pub/Sub transport. They are not
 * effects (never logged), and replay produces none.
 *
 * Slot ownership: a shard's executor knows which slots it owns (`slotOwner`); a command
 * that would create a key of another slot is refused as the key is created (before that
 * key changes; what the command wrote before is logged as its keys' state, as for any
 * command failing part-way), so no routing fault can put a key in a shard that does not
 * own it. A plain Executor owns every slot; replay and recovery are not checked.
 */
import { Evictor } from "../engine/eviction";
import { Keyspace } from "../engine/keyspace";
import type { Notification } from "../engine/notify";
import { createDumpPayload } from "../engine/rdb/dump";
import { toRdbValue } from "../engine/rdb/values";
import { error, type ErrorReply, type Reply } from "../protocol/reply";
import { bytesToBinary } from "../util/binary";
import { keySlot } from "../util/keyslot";
import { MEMORY_ONLY, NO_SHARD, STANDALONE, WouldBlock, type DebugControl, type ExecContext, type Limits, type Persistence, type ReplicationView, type ScriptCallRules, type SlotOwner } from "./context";
import { CommandError, ERR_OOM, ERR_ROUTER_COMMAND_FROM_SCRIPT, errSlotNotOwned, errUnknownCommand, errWrongArity } from "./errors";
import {
  CommandReplyBudget,
  DEFAULT_MAX_REPLY_BYTES,
  DEFAULT_MAX_REPLY_ELEMENTS,
  errReplyBytes,
  errReplyElements,
  measureReply,
  UNBOUNDED_BUDGET,
} from "./reply-budget";
import { arityOk, commandKeys, lookupCommand, notAllowedFromScript } from "./table";
import "./index";

/**
 * Redis's proto-max-bulk-len is 512 MB, but V8's longest string is 2^29 - 24 chars, so a
 * string value can be at most that; beyond it commands reply proto-max-bulk-len's error.
 */
export const DEFAULT_LIMITS: Limits = { maxValueBytes: 2 ** 29 - 24 };

/** Re-exported for the tests that read it here (it lives in errors.ts). */
export { ERR_OOM };

export interface BatchResult {
  replies: Reply[];
  /** What to append to the log: one argv per effect, in order. */
  effects: string[][];
  /** The keyspace notifications the batch produced, in order (not logged). */
  notifications: Notification[];
}

/**
 * What a handler's throw replies: a CommandError's text; anything else is a bug, logged and
 * answered as an internal error, so it does not take the rest of the batch down with it
 * (the others, and whatever this command already changed, are still logged).
 */
function thrownReply(name: string, e: unknown, where: string): Reply {
  if (e instanceof CommandError) return error(e.reply);
  console.error(`hotslot: '${name}' failed${where}`, e);
  return error(`ERR internal error in '${name}': ${(e as Error)?.message ?? String(e)}`);
}

export class Executor {
  /** Effects recorded inside the current `collect`; null when nobody collects. */
  private recording: string[][] | null = null;
  /** Keyspace notifications produced inside the current `collect`; null when nobody collects. */
  private notifying: Notification[] | null = null;
  private propagated: string[][] | null = null;
  private readonly ctx: ExecContext;
  private now = 0;
  private mayBlock = false;
  /** Dirty count caused by expiry during the current command (not the command's own). */
  private expiredDirty = 0;
  private readonly evictor: Evictor;
  /** True while replaying the log: logged commands were accepted once and evictions are logged. */
  private replaying = false;
  /** False inside EXEC: Redis checks memory once, for EXEC, not for each command in it. */
  private oomGate = true;
  /** True when memory was still over the limit before the current command (script calls check it). */
  private overMemory = false;
  /** What handlers see as ctx.persistence and ctx.debug (the shard sets its own). */
  persistence: Persistence = MEMORY_ONLY;
  debug: DebugControl = NO_SHARD;
  /** What INFO replication and ROLE report (the shard sets its own when it is in a group). */
  replication: ReplicationView = STANDALONE;
  /**
   * Called with a write command's keys just before it runs (while a snapshot is taken in
   * slices, it saves those keys' values first: copy-on-write per key). Null when idle.
   */
  beforeWrite: ((keys: string[]) => void) | null = null;
  /** The slots this executor may write (the shard sets it); null: every slot. */
  slotOwner: SlotOwner | null = null;
  /** Commands a script is running now (redis.call inside redis.call is not possible: 0 or 1). */
  private scriptCalls = 0;
  private readonly maxReplyElements: number;
  private readonly maxReplyBytes: number;
  private readonly budget: CommandReplyBudget;
  /** Reply bytes the current batch (`collect`) has produced so far. */
  private batchReplyBytes = 0;
  /** Payload bytes of the last reply `runOne` returned, as the reply budget measured it (CLUSTER SLOT-STATS reads it). */
  lastReplyBytes = 0;

  constructor(
    readonly db: Keyspace,
    readonly limits: Limits = DEFAULT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {
    this.maxReplyElements = limits.maxReplyElements ?? DEFAULT_MAX_REPLY_ELEMENTS;
    this.maxReplyBytes = limits.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
    this.budget = new CommandReplyBudget(this.maxReplyElements, this.maxReplyBytes);
    const self = this;
    this.ctx = {
      db,
      limits,
      get replyBudget() {
        return self.replaying ? UNBOUNDED_BUDGET : self.budget;
      },
      get now() {
        return self.now;
      },
      propagate(argv: string[]) {
        (self.propagated ??= []).push(argv);
      },
      get mayBlock() {
        return self.mayBlock;
      },
      get persistence() {
        return self.persistence;
      },
      get debug() {
        return self.debug;
      },
      get replication() {
        return self.replication;
      },
      get slotOwner() {
        return self.replaying ? null : self.slotOwner;
      },
      get inScript() {
        return self.scriptCalls > 0;
      },
      callFromScript: (argv, rules) => self.callFromScript(argv, rules),
    };
    db.onExpire = (key) => {
      this.record(["DEL", key]);
      this.expiredDirty++;
    };
    // Expired hash fields are logged as HDEL (Redis 7.4 propagates each as HDEL); the
    // emptied hash then goes with its last field on replay.
    db.onExpireFields = (key, fields) => {
      this.record(["HDEL", key, ...fields]);
      this.expiredDirty++;
    };
    // Evictions happen outside a command's own dirty window (before or after it runs).
    db.onEvict = (key) => this.record(["DEL", key]);
    db.notifier.sink = (channel, message) => {
      if (this.notifying !== null && !this.replaying) this.notifying.push({ channel, message });
    };
    this.evictor = new Evictor(db);
  }

  /** Records one effect, if someone collects (what is replayed is in the log already). */
  private record(argv: string[]): void {
    if (this.recording !== null && !this.replaying) this.recording.push(argv);
  }

  /**
   * Runs `fn` (commands, expiry, eviction…) and hands over every effect recorded while it
   * ran, in order: the executor's one hand-over, so each effect is handed over once. Not
   * reentrant: a collection inside another would split one batch's effects. The keyspace
   * notifications produced meanwhile come with them (src/commands/context.ts says where
   * they go next).
   */
  collect<T>(fn: () => T): { result: T; effects: string[][]; notifications: Notification[] } {
    if (this.recording !== null) throw new Error("Executor.collect: already collecting");
    const effects: string[][] = [];
    const notifications: Notification[] = [];
    this.recording = effects;
    this.notifying = notifications;
    this.batchReplyBytes = 0;
    try {
      return { result: fn(), effects, notifications };
    } finally {
      this.recording = null;
      this.notifying = null;
    }
  }

  /** Runs a batch of commands; replies in order, plus the effects to log. */
  run(batch: string[][]): BatchResult {
    const { result: replies, effects, notifications } = this.collect(() => batch.map((argv) => this.runOne(argv)));
    return { replies, effects, notifications };
  }

  /**
   * Runs a blocking command that may block: its reply, or the WouldBlock saying what to
   * wait for. Its effects are recorded like any command's (see `collect`).
   */
  runBlocking(argv: string[]): Reply | WouldBlock {
    this.mayBlock = true;
    try {
      return this.runOne(argv);
    } catch (e) {
      if (e instanceof WouldBlock) return e;
      throw e;
    } finally {
      this.mayBlock = false;
    }
  }

  /** Runs one command (argv[0] is its name) and records its effects. */
  runOne(argv: string[]): Reply {
    const spec = lookupCommand(argv[0]);
    if (!spec || !spec.run) return error(errUnknownCommand(argv[0], argv.slice(1)));
    if (!arityOk(spec, argv.length)) return error(errWrongArity(spec.name));
    this.now = this.clock();
    this.db.now = this.now;
    // Inside EXEC (ungated) nothing is evicted between commands: Redis evicts once, before.
    this.overMemory = !this.replaying && this.oomGate && !this.evictor.perform();
    if (this.overMemory && spec.flags.includes("denyoom")) return error(ERR_OOM);
    this.budget.reset();
    const dirtyBefore = this.db.dirty;
    this.expiredDirty = 0;
    this.propagated = null;
    let reply: Reply;
    let failed = false;
    if (this.beforeWrite !== null && spec.isWrite) this.beforeWrite(commandKeys(spec, argv));
    // A key is created only in a slot this shard owns (checked as it is created, so a
    // command's own errors — MSET k v k's arity — come first, as the router expects).
    if (this.slotOwner !== null && !this.replaying) this.db.newKeyGuard = this.ownedKeyGuard;
    try {
      reply = spec.run(this.ctx, argv);
    } catch (e) {
      if (e instanceof WouldBlock) throw e;
      failed = true;
      reply = thrownReply(spec.name, e, "");
    }
    this.db.newKeyGuard = null;
    // A key created or emptied without an event of its own still gets its `new` / `del`.
    if (this.db.notifier.enabled) this.db.notifier.endCommand();
    const changed = this.db.dirty - this.expiredDirty !== dirtyBefore;
    const keys = failed && changed && this.recording !== null && !this.replaying ? commandKeys(spec, argv) : [];
    const propagated = this.propagated as string[][] | null;
    // Failed part-way: what it applied is its keys' state now (a keyless command that
    // fails after writing has nothing better than the forms below).
    if (keys.length > 0) for (const key of keys) this.record(this.keyState(key));
    else if (propagated) for (const effect of propagated) this.record(effect);
    else if (changed) this.record(argv);
    // After the command too (CONFIG SET may also have just set or lowered maxmemory).
    if (!this.replaying && this.oomGate) this.evictor.perform();
    return this.replaying ? reply : this.boundReply(reply);
  }

  /**
   * A command called by a running script (Redis's scriptCall): Redis's refusals for script
   * calls, then the handler, in the script's time and batch. What it changed is
   * propagated as the script's effects (never the script itself, so replay never runs
   * Lua): as sent, as it propagated, or as its keys' state when it failed part-way.
   */
  private callFromScript(argv: string[], rules: ScriptCallRules): Reply {
    const spec = lookupCommand(argv[0]);
    if (!spec) return error("ERR Unknown Redis command called from script");
    if (!arityOk(spec, argv.length)) return error("ERR Wrong number of args calling Redis command from script");
    if (notAllowedFromScript(spec, argv)) return error("ERR This Redis command is not allowed from script");
    // Commands the router answers (SELECT, CLUSTER, COMMAND, …) have no handler in a shard.
    if (!spec.run) return error(ERR_ROUTER_COMMAND_FROM_SCRIPT);
    if (spec.isWrite && rules.readOnly) return error("ERR Write commands are not allowed from read-only scripts.");
    if (this.overMemory && !rules.allowOom && spec.flags.includes("denyoom")) return error(ERR_OOM);
    const keys = commandKeys(spec, argv);
    const owner = this.slotOwner;
    if (owner !== null && !this.replaying) {
      for (const key of keys) {
        const slot = keySlot(key);
        if (!owner.owns(slot)) return error("ERR Script attempted to access a non local key in a cluster node");
        if (rules.allowCrossSlot) continue;
        if (rules.slot === -1) rules.slot = slot;
        else if (rules.slot !== slot) return error("ERR Script attempted to access keys that do not hash to the same slot");
      }
    }
    const outer = this.propagated;
    this.propagated = null;
    const dirtyBefore = this.db.dirty - this.expiredDirty;
    if (this.beforeWrite !== null && spec.isWrite) this.beforeWrite(keys);
    let reply: Reply;
    let failed = false;
    this.scriptCalls++;
    try {
      reply = spec.run(this.ctx, argv);
    } catch (e) {
      failed = true;
      reply = thrownReply(spec.name, e, " in a script");
    } finally {
      this.scriptCalls--;
    }
    const changed = this.db.dirty - this.expiredDirty !== dirtyBefore;
    const own = this.propagated as string[][] | null;
    // Never null from here on: the script's command (EVAL) is logged only as these effects.
    const effects = (this.propagated = outer ?? []);
    if (failed && changed) for (const key of keys) effects.push(this.keyState(key));
    else if (own) effects.push(...own);
    else if (changed) effects.push(argv);
    return reply;
  }

  /**
   * The safety net behind the handlers' reply budget: `reply`, or the reply-too-large
   * error when it (or the batch's replies so far with it) is over the bounds.
   */
  private boundReply(reply: Reply): Reply {
    const maxBytes = this.maxReplyBytes;
    const size = measureReply(reply, this.maxReplyElements, maxBytes);
    this.lastReplyBytes = size.bytes;
    if (size.elements > this.maxReplyElements) return error(errReplyElements(size.elements, this.maxReplyElements));
    if (size.bytes > maxBytes) return error(errReplyBytes(size.bytes, maxBytes));
    // The batch's replies leave in one RPC: one more that does not fit is refused instead.
    if (this.recording !== null) {
      if (this.batchReplyBytes + size.bytes > maxBytes) return error(errReplyBytes(this.batchReplyBytes + size.bytes, maxBytes));
      this.batchReplyBytes += size.bytes;
    }
    return reply;
  }

  /** Refuses to create a key of a slot this shard does not own (the keyspace's newKeyGuard). */
  private readonly ownedKeyGuard = (key: string): void => {
    const owner = this.slotOwner;
    if (owner === null) return;
    const slot = keySlot(key);
    if (!owner.owns(slot)) throw new CommandError(errSlotNotOwned(key, slot, owner.shard));
  };

  /** Evicts until under the memory limit; each eviction is recorded as DEL. */
  enforceMemoryLimit(): void {
    this.evictor.perform();
  }

  /**
   * The memory check for a MULTI/EXEC body, as Redis checks EXEC: evicts what it can
   * (each recorded as DEL) and returns the OOM error when memory is still
   * over the limit and any queued command may grow memory; null when EXEC may run.
   */
  refuseTransaction(batch: string[][]): ErrorReply | null {
    this.now = this.clock();
    this.db.now = this.now;
    if (this.evictor.perform()) return null;
    const grows = batch.some((argv) => lookupCommand(argv[0])?.flags.includes("denyoom"));
    return grows ? error(ERR_OOM) : null;
  }

  /** Runs `fn` without the per-command OOM gate (the body of an EXEC that passed it). */
  ungated<T>(fn: () => T): T {
    const gate = this.oomGate;
    this.oomGate = false;
    try {
      return fn();
    } finally {
      this.oomGate = gate;
    }
  }

  /**
   * Active expiry: deletes up to `limit` keys whose TTL has passed, each recorded as DEL
   * (as Redis propagates expiry). Returns how many it deleted.
   */
  expireDue(limit: number): number {
    this.now = this.clock();
    this.db.now = this.now;
    return this.db.expireDue(this.now, limit);
  }

  /** Applies a logged effect without recording it again (recovery, replication). */
  replay(argv: string[]): void {
    const expireOnRead = this.db.expireOnRead;
    this.db.expireOnRead = false;
    this.replaying = true;
    try {
      this.runOne(argv);
    } finally {
      this.db.expireOnRead = expireOnRead;
      this.replaying = false;
    }
  }

  /**
   * The effect that gives `key` the state it has now, whatever it had: DEL when it is
   * gone, else RESTORE of its DUMP payload with its absolute TTL (0: none), REPLACE. Read
   * without counting an access; a key past its TTL is expired first, so it is logged gone.
   */
  keyState(key: string): string[] {
    const value = this.db.peek(key);
    if (value === undefined) return ["DEL", key];
    const payload = bytesToBinary(createDumpPayload(toRdbValue(value, this.db.settings), this.db.settings));
    return ["RESTORE", key, String(this.db.getExpire(key) ?? 0), payload, "REPLACE", "ABSTTL"];
  }
}
