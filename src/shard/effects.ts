/**
 * The shard's effect stream: the one owner of "a batch's effects → the log (→ replicas)".
 * Every write batch's effects, in the deterministic form the executor records (SPOP → SREM,
 * EXPIRE → PEXPIREAT, expiry and eviction → DEL), are staged here by ShardCore and leave
 * only through `commit` (group commit, before replies) or `flush` (at once, before a
 * snapshot). Nothing else writes the log.
 *
 * Group commit: every RPC that wrote awaits `commit()` before replying (the router's call
 * that is alone on the shard commits at once, `commit(true)`, with no timer turn). Effects staged by
 * all RPCs that ran meanwhile are appended to the log in one write, on the next timer turn,
 * and the replies go out after it — the Durable Object's output gate holds them until the
 * write is durable. One log transaction per burst instead of one per RPC: several times the
 * write throughput, the same guarantee. A failed log write leaves memory holding writes the
 * log does not: nobody is told they succeeded, and `abort` restarts the object from its
 * durable state (snapshot + log).
 *
 * Replication: each committed batch is handed to every listener (`onCommit`), in commit
 * order — the replication source (src/shard/replication.ts) ships exactly what the log
 * received.
 */

/** Where committed effects are written: the shard's append log (ShardPersistence.append). */
export interface EffectLog {
  append(effects: readonly string[][]): void;
}

/** A batch of effects as committed, for listeners (the replication source; its offset is the log's, src/shard/log.ts). */
export interface CommittedBatch {
  readonly effects: readonly string[][];
}

export type CommitListener = (batch: CommittedBatch) => void;

export interface EffectStreamOptions {
  /** Restarts the object after a failed log write (the Durable Object's ctx.abort). */
  abort(reason: string): void;
  /** Runs `fn` on a later turn, when the burst of RPCs has run (default: a zero-delay timer). */
  defer?(fn: () => void): void;
}

export class EffectStream {
  /** Effects staged and not yet committed, in order. */
  private staged: string[][] = [];
  /** The commit every RPC of the current burst waits for, once one has been scheduled. */
  private committing: Promise<void> | null = null;
  private readonly listeners: CommitListener[] = [];
  private readonly defer: (fn: () => void) => void;

  constructor(
    /** Null with PERSISTENCE=no: nothing is logged. */
    private readonly log: EffectLog | null,
    private readonly options: EffectStreamOptions,
  ) {
    this.defer = options.defer ?? ((fn) => void setTimeout(fn, 0));
  }

  /** True when something consumes the stream; otherwise staging is skipped altogether. */
  private get consumed(): boolean {
    return this.log !== null || this.listeners.length > 0;
  }

  /** Stages a batch's effects, to be committed with the others of its burst. */
  stage(effects: readonly string[][]): void {
    if (effects.length === 0 || !this.consumed) return;
    for (const e of effects) this.staged.push(e);
  }

  /**
   * Resolves once everything staged so far is in the log (and handed to listeners). A
   * caller with nothing staged does not wait; callers of one burst share one write.
   * `now`: write at once, on this turn, unless a group commit is already scheduled (then
   * join it) — for a caller that knows no other RPC is waiting to share the write.
   */
  commit(now = false): Promise<void> {
    if (this.staged.length === 0) return Promise.resolve();
    if (now && this.committing === null) {
      try {
        this.flush();
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return (this.committing ??= new Promise((resolve, reject) =>
      this.defer(() => {
        this.committing = null;
        try {
          this.flush();
          resolve();
        } catch (e) {
          reject(e);
        }
      }),
    ));
  }

  /**
   * Commits what is staged now, synchronously: a snapshot calls it (through
   * ShardPersistence's flushPending) so the log holds every effect before its image.
   */
  flush(): void {
    if (this.staged.length === 0) return;
    // Taken before the write: a snapshot the write starts flushes again and finds nothing.
    const effects = this.staged;
    this.staged = [];
    try {
      this.log?.append(effects);
    } catch (e) {
      this.options.abort(`log write failed: ${(e as Error).message}`);
      throw e;
    }
    const batch: CommittedBatch = { effects };
    for (const listener of this.listeners) listener(batch);
  }

  /** Subscribes to committed batches, in commit order (the replication source does). */
  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }
}
