/**
 * Runs commands against a keyspace, as a shard does: lookup → arity → handler, one at a
 * time and synchronously (the shard is single-threaded, like Redis), collecting the
 * effects to log in deterministic form. Used by the shard Durable Object, by log replay,
 * and directly by unit tests in Node.
 *
 * Memory (Redis's processCommand): when maxmemory is set, every command first evicts keys
 * by the maxmemory-policy until the keyspace fits; if it cannot, a command flagged
 * `denyoom` is refused with the OOM error while reads and deletes still run. Hotslot also
 * evicts right after each command, so a shard never sits over its limit between
 * requests (Redis leaves that to the next command). Evictions are logged as DEL.
 */
import { Evictor } from "../engine/eviction";
import { Keyspace } from "../engine/keyspace";
import { error, type ErrorReply, type Reply } from "../protocol/reply";
import { MEMORY_ONLY, NO_SHARD, WouldBlock, type DebugControl, type ExecContext, type Limits, type Persistence } from "./context";
import { CommandError, errUnknownCommand, errWrongArity } from "./errors";
import { arityOk, commandKeys, lookupCommand } from "./table";
import "./index";

/**
 * Redis's proto-max-bulk-len is 512 MB, but V8's longest string is 2^29 - 24 chars, so a
 * string value can be at most that; beyond it commands reply proto-max-bulk-len's error.
 */
export const DEFAULT_LIMITS: Limits = { maxValueBytes: 2 ** 29 - 24 };

/** Redis's shared.oomerr. */
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";

export interface BatchResult {
  replies: Reply[];
  /** What to append to the log: one argv per effect, in order. */
  effects: string[][];
}

export class Executor {
  private effects: string[][] = [];
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
  /** What handlers see as ctx.persistence and ctx.debug (the shard sets its own). */
  persistence: Persistence = MEMORY_ONLY;
  debug: DebugControl = NO_SHARD;
  /**
   * Called with a write command's keys just before it runs (while a snapshot is taken in
   * slices, it saves those keys' values first: copy-on-write per key). Null when idle.
   */
  beforeWrite: ((keys: string[]) => void) | null = null;

  constructor(
    readonly db: Keyspace,
    readonly limits: Limits = DEFAULT_LIMITS,
    private readonly clock: () => number = Date.now,
  ) {
    const self = this;
    this.ctx = {
      db,
      limits,
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
    };
    db.onExpire = (key) => {
      this.effects.push(["DEL", key]);
      this.expiredDirty++;
    };
    // Evictions happen outside a command's own dirty window (before or after it runs).
    db.onEvict = (key) => this.effects.push(["DEL", key]);
    this.evictor = new Evictor(db);
  }

  /**
   * Runs a batch of commands; replies in order, plus the effects to log. `afterEach`
   * runs after every command (the shard serves blocked clients there, as Redis does).
   */
  run(batch: string[][], afterEach?: () => void): BatchResult {
    this.effects = [];
    const replies = batch.map((argv) => {
      const reply = this.runOne(argv);
      afterEach?.();
      return reply;
    });
    // Handed over, never held: what is returned here is logged once.
    return { replies, effects: this.takeEffects() };
  }

  /**
   * Runs a blocking command that may block: its reply, or the WouldBlock saying what to
   * wait for. Effects go to the current batch's effects (see `takeEffects`).
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

  /** Effects recorded since the last batch began, cleared (for work outside `run`). */
  takeEffects(): string[][] {
    const effects = this.effects;
    this.effects = [];
    return effects;
  }

  /** Runs one command (argv[0] is its name) and records its effects. */
  runOne(argv: string[]): Reply {
    const spec = lookupCommand(argv[0]);
    if (!spec || !spec.run) return error(errUnknownCommand(argv[0], argv.slice(1)));
    if (!arityOk(spec, argv.length)) return error(errWrongArity(spec.name));
    this.now = this.clock();
    this.db.now = this.now;
    const limited = !this.replaying && this.db.settings.maxmemory > 0;
    // Inside EXEC (ungated) nothing is evicted between commands: Redis evicts once, before.
    if (limited && this.oomGate && !this.evictor.perform() && spec.flags.includes("denyoom")) {
      return error(ERR_OOM);
    }
    const dirtyBefore = this.db.dirty;
    this.expiredDirty = 0;
    this.propagated = null;
    let reply: Reply;
    if (this.beforeWrite !== null && spec.isWrite) this.beforeWrite(commandKeys(spec, argv));
    try {
      reply = spec.run(this.ctx, argv);
    } catch (e) {
      if (e instanceof WouldBlock) throw e;
      if (e instanceof CommandError) reply = error(e.reply);
      else {
        // A bug must not take the rest of the batch down with it: this command fails,
        // the others (and whatever this one already changed) are still logged.
        console.error(`hotslot: '${spec.name}' failed`, e);
        reply = error(`ERR internal error in '${spec.name}': ${(e as Error)?.message ?? String(e)}`);
      }
    }
    const propagated = this.propagated as string[][] | null;
    if (propagated) this.effects.push(...propagated);
    else if (this.db.dirty - this.expiredDirty !== dirtyBefore) this.effects.push(argv);
    // After the command too (CONFIG SET may also have just set or lowered maxmemory).
    if (!this.replaying && this.oomGate && this.db.settings.maxmemory > 0) this.evictor.perform();
    return reply;
  }

  /** Evicts until under maxmemory (if one is set); the DELs join the current effects. */
  enforceMemoryLimit(): void {
    if (this.db.settings.maxmemory > 0) this.evictor.perform();
  }

  /**
   * The memory check for a MULTI/EXEC body, as Redis checks EXEC: evicts what it can
   * (the DELs join the current effects) and returns the OOM error when memory is still
   * over the limit and any queued command may grow memory; null when EXEC may run.
   */
  refuseTransaction(batch: string[][]): ErrorReply | null {
    if (this.db.settings.maxmemory <= 0) return null;
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
   * Active expiry: deletes up to `limit` keys whose TTL has passed; returns the DEL
   * effects to log (as Redis propagates expiry).
   */
  expireDue(limit: number): string[][] {
    this.effects = [];
    this.now = this.clock();
    this.db.now = this.now;
    this.db.expireDue(this.now, limit);
    return this.takeEffects();
  }

  /** Applies logged effects without logging them again (recovery, replication). */
  replay(argv: string[]): void {
    const expireOnRead = this.db.expireOnRead;
    this.db.expireOnRead = false;
    this.replaying = true;
    try {
      this.runOne(argv);
    } finally {
      this.db.expireOnRead = expireOnRead;
      this.replaying = false;
      // What is replayed is already in the log: it must not be logged again.
      this.effects = [];
    }
  }
}
