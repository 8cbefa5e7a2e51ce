/**
 * Runs commands against a keyspace, as a shard does: lookup → arity → handler, one at a
 * time and synchronously (the shard is single-threaded, like Redis), collecting the
 * effects to log in deterministic form. Used by the shard Durable Object, by log replay,
 * and directly by unit tests in Node.
 */
import { Keyspace } from "../engine/keyspace";
import { error, type Reply } from "../protocol/reply";
import { WouldBlock, type ExecContext, type Limits } from "./context";
import { CommandError, errUnknownCommand, errWrongArity } from "./errors";
import { arityOk, lookupCommand } from "./table";
import "./index";

export const DEFAULT_LIMITS: Limits = { maxValueBytes: 512 * 1024 * 1024 };

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
    };
    db.onExpire = (key) => {
      this.effects.push(["DEL", key]);
      this.expiredDirty++;
    };
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
    return { replies, effects: this.effects };
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
    const dirtyBefore = this.db.dirty;
    this.expiredDirty = 0;
    this.propagated = null;
    let reply: Reply;
    try {
      reply = spec.run(this.ctx, argv);
    } catch (e) {
      if (!(e instanceof CommandError)) throw e;
      reply = error(e.reply);
    }
    const propagated = this.propagated as string[][] | null;
    if (propagated) this.effects.push(...propagated);
    else if (this.db.dirty - this.expiredDirty !== dirtyBefore) this.effects.push(argv);
    return reply;
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
    return this.effects;
  }

  /** Applies logged effects without logging them again (recovery, replication). */
  replay(argv: string[]): void {
    const expireOnRead = this.db.expireOnRead;
    this.db.expireOnRead = false;
    try {
      this.runOne(argv);
    } finally {
      this.db.expireOnRead = expireOnRead;
    }
  }
}
