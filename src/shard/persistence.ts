/**
 * The shard's persistence: its append log and snapshots in SQLite storage, and what moves
 * between them. Recovery loads the newest complete snapshot (src/shard/snapshot-load.ts),
 * then replays the log after it. A snapshot compacts the log: SAVE takes one at once,
 * BGSAVE, BGREWRITEAOF and the automatic trigger (the log has grown by
 * auto-aof-rewrite-percentage of the last snapshot) take one in slices between requests
 * (src/shard/snapshot-job.ts), and its commit deletes the log rows it covers
 * (src/shard/snapshot-store.ts). This file is the state machine of those requests and of
 * SAVE/BGSAVE's replies, the copy-on-write hook over every walk under way (a snapshot,
 * admin exports: src/shard/export.ts), and INFO's "# Persistence" section.
 *
 * The log is written only through the shard's effect stream (src/shard/effects.ts), which
 * calls `append` here with each committed batch; a snapshot first asks the stream to bring
 * the log level with memory (`flushPending`), so it covers exactly the rows before it.
 *
 * The replication stream offset is derived from what is written, never written on its own
 * (issue 10): each log row records where it starts in the stream, each snapshot the offset
 * of its image, so after recovery the offset is the log's end, else the snapshot's, else
 * (a database from before those columns) the replication table's old offset row — exactly
 * the effects durable in storage, whatever point a crash hit (`streamOffset`).
 *
 * Damage: a snapshot chunk whose checksum fails, a missing chunk or an unreadable RDB
 * stream, or a malformed log, makes the shard refuse every command with a clear error
 * (`refusal`) rather than serve wrong data. A torn last log entry is cut and reported.
 */
import type { Persistence } from "../commands/context";
import { CommandError } from "../commands/errors";
import type { Executor } from "../commands/execute";
import type { Keyspace } from "../engine/keyspace";
import { PLATFORM_MAX_LOG_BYTES, type EngineSettings } from "../engine/settings";
import type { EffectLog } from "./effects";
import { ShardExports } from "./export";
import { PersistenceStats } from "./persistence-info";
import { AppendLog, LogCorrupt } from "./log";
import { legacyStreamOffset } from "./role";
import { SnapshotJob, type JobKind } from "./snapshot-job";
import { SnapshotLoader } from "./snapshot-load";
import { MAX_CHUNK_BYTES, SnapshotCorrupt, SnapshotStore, type SnapshotMeta, type SnapshotStorage } from "./snapshot-store";

/** Default output per background slice: about a millisecond or two of serialization. */
export const DEFAULT_SLICE_BYTES = 64 * 1024;
/** Recovery yields to the event loop after this many bytes (so its clock can advance). */
const LOAD_YIELD_BYTES = 8 * 1024 * 1024;

/** What a command asked for, carried out after its batch. */
type Request = JobKind | "reload";

export interface PersistenceOptions {
  /**
   * Brings the log level with memory: the effect stream appends what it has staged and
   * not committed yet (group commit). Called before a snapshot starts.
   */
  flushPending(): void;
  /** Runs `fn` later, between requests (default: a zero-delay timer). */
  schedule?(fn: () => void): void;
  /** Output bytes per background slice. */
  sliceBytes?: number;
  /** Where warnings go (default: console.warn). */
  warn?(message: string): void;
  /** Log bytes past which a snapshot starts whatever the settings (default FORCED_COMPACTION_LOG_BYTES). */
  forcedCompactionLogBytes?: number;
}

/**
 * The log size that starts a snapshot whatever auto-aof-rewrite-* say (even a percentage
 * of 0, or settings restored from before their bounds): half of PLATFORM_MAX_LOG_BYTES, so
 * the log keeps growing while the snapshot is taken in slices and still stays under the
 * bound that recovery can replay within the platform's start-up limits.
 */
export const FORCED_COMPACTION_LOG_BYTES = PLATFORM_MAX_LOG_BYTES / 2;

export class ShardPersistence implements Persistence, EffectLog {
  /** Written only by `append` (the effect stream), read by recovery, cut by snapshot commits. */
  private readonly log: AppendLog;
  private readonly store: SnapshotStore;
  private readonly exports: ShardExports;
  private job: SnapshotJob | null = null;
  private readonly forcedCompactionLogBytes: number;
  private requested: Request | null = null;
  private scheduledBgsave = false;
  private scheduledRewrite = false;
  /** True while `start` brings the log level (see `append`). */
  private starting = false;
  /** Set when storage is damaged: every command is refused with this error text. */
  refusal: string | null = null;

  /** The settings the shard is configured with (a snapshot stores only what differs). */
  private readonly baseline: EngineSettings;
  private readonly stats = new PersistenceStats();
  private readonly sliceBytes: number;
  private readonly schedule: (fn: () => void) => void;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly storage: SnapshotStorage,
    private readonly db: Keyspace,
    private readonly executor: Executor,
    private readonly options: PersistenceOptions,
  ) {
    this.log = new AppendLog(storage.sql);
    this.store = new SnapshotStore(storage);
    this.baseline = { ...db.settings };
    this.sliceBytes = options.sliceBytes ?? DEFAULT_SLICE_BYTES;
    this.schedule = options.schedule ?? ((fn) => void setTimeout(fn, 0));
    this.warn = options.warn ?? ((m) => console.warn(m));
    this.forcedCompactionLogBytes = options.forcedCompactionLogBytes ?? FORCED_COMPACTION_LOG_BYTES;
    this.exports = new ShardExports(db, this.sliceBytes * 4, () => this.hook());
    executor.persistence = this;
  }

  /** True while a snapshot is being taken in slices. */
  get snapshotting(): boolean {
    return this.job !== null;
  }

  /**
   * The replication stream offset of the effects the log holds (and, once recovered, of
   * memory): bytes of effects since the stream began. Known after `recover`; moved by each
   * append and by a full resync (`loadImage`). The replication source starts from it.
   */
  get streamOffset(): number {
    return this.log.streamOffset;
  }

  // --- recovery --------------------------------------------------------------------------

  /**
   * Loads the newest complete snapshot, then replays the log after it, yielding to the
   * event loop between chunks. Damage found on the way sets `refusal` instead of throwing,
   * so the shard can say why it will not serve.
   */
  async recover(): Promise<void> {
    const started = Date.now();
    try {
      const loader = this.beginLoad();
      while (loader && !loader.step(LOAD_YIELD_BYTES)) await new Promise((r) => setTimeout(r, 0));
      this.endLoad(loader, started);
    } catch (e) {
      this.refuseIfDamaged(e);
    }
    this.recoverOffset();
  }

  /** The same, at once (DEBUG RELOAD). */
  private recoverNow(): void {
    const started = Date.now();
    try {
      const loader = this.beginLoad();
      loader?.step(Infinity);
      this.endLoad(loader, started);
    } catch (e) {
      this.refuseIfDamaged(e);
    }
    this.recoverOffset();
  }

  /**
   * The stream offset storage holds (after replay cut any torn entry): the log's end, else
   * the newest snapshot's, else the replication table's row from before either recorded one.
   */
  private recoverOffset(): void {
    this.log.streamOffset = this.log.durableOffset() ?? this.store.newest()?.stream_offset ?? legacyStreamOffset(this.storage.sql) ?? 0;
  }

  private refuseIfDamaged(e: unknown): void {
    if (!(e instanceof SnapshotCorrupt || e instanceof LogCorrupt)) throw e;
    this.refusal = `ERR shard storage is damaged, refusing to serve: ${e.message}`;
    this.warn(`Hotslot: ${this.refusal}`);
  }

  private beginLoad(): SnapshotLoader | null {
    this.store.dropIncomplete();
    const meta = this.store.newest();
    if (!meta) return null;
    this.log.idsAfter(meta.log_upto);
    this.stats.base(meta);
    return new SnapshotLoader(meta, this.store, this.db, (json) => this.applySettings(json));
  }

  private endLoad(loader: SnapshotLoader | null, started: number): void {
    this.stats.dirtyAtLastSave = this.db.dirty;
    this.db.now = Date.now();
    const after = this.store.newest()?.log_upto ?? 0;
    const replay = this.log.replay(after, (argv) => this.executor.replay(argv));
    if (replay.tornBytes > 0) {
      this.warn(`Hotslot: the log ended with a torn entry (${replay.tornBytes} bytes); recovered up to the last complete entry and cut the rest`);
    }
    this.stats.lastLoad = { ms: Date.now() - started, keys: loader?.keys ?? 0, logEntries: replay.entries, tornBytes: replay.tornBytes };
  }

  private applySettings(json: string): void {
    const diff = JSON.parse(json) as Record<string, unknown>;
    const settings = this.db.settings as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(diff)) if (Object.hasOwn(settings, k)) settings[k] = v;
  }

  /** The settings that differ from the configured ones (CONFIG SETs so far), as JSON. */
  private settingsDiff(): string {
    const diff: Record<string, unknown> = {};
    const now = this.db.settings as unknown as Record<string, unknown>;
    const base = this.baseline as unknown as Record<string, unknown>;
    for (const k of Object.keys(now)) if (now[k] !== base[k]) diff[k] = now[k];
    return JSON.stringify(diff);
  }

  // --- appending, and the automatic trigger ----------------------------------------------

  /**
   * Appends a committed batch's effects to the log (the effect stream's only way into
   * storage); may start an automatic snapshot — not while one is being started, whose
   * `flushPending` lands here.
   */
  append(effects: readonly string[][]): void {
    this.log.append(effects);
    if (this.job === null && this.requested === null && !this.starting && this.shouldCompact()) this.start("auto");
  }

  /**
   * auto-aof-rewrite-percentage and -min-size, with the last snapshot as the base; and
   * always once the log reaches the forced bound (recovery must stay able to replay it).
   */
  private shouldCompact(): boolean {
    const { autoAofRewritePercentage: pct, autoAofRewriteMinSize: min } = this.db.settings;
    if (this.refusal !== null) return false;
    const logBytes = this.log.bytes;
    if (logBytes >= this.forcedCompactionLogBytes) return true;
    if (pct <= 0) return false;
    const base = this.stats.snapshotBytes;
    if (logBytes === 0 || logBytes + base < min) return false;
    return (logBytes * 100) / (base || 1) >= pct;
  }

  // --- commands (Persistence) ------------------------------------------------------------------

  save(): void {
    if (this.job || this.requested) throw new CommandError("ERR Background save already in progress");
    this.requested = "save";
  }

  background(kind: "bgsave" | "bgrewriteaof", schedule: boolean): string {
    const busy = this.job?.kind ?? this.requested;
    if (kind === "bgsave") {
      if (busy === null) {
        this.requested = "bgsave";
        return "Background saving started";
      }
      if (busy === "bgrewriteaof" || busy === "auto") {
        if (!schedule) {
          throw new CommandError(
            "ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
          );
        }
        this.scheduledBgsave = true;
        return "Background saving scheduled";
      }
      throw new CommandError("ERR Background save already in progress");
    }
    if (busy === null) {
      this.requested = "bgrewriteaof";
      return "Background append only file rewriting started";
    }
    if (busy === "bgrewriteaof" || busy === "auto") throw new CommandError("ERR Background append only file rewriting already in progress");
    this.scheduledRewrite = true;
    return "Background append only file rewriting scheduled";
  }

  lastSave(): number {
    return this.stats.lastSaveTime;
  }

  reload(): void {
    this.requested = "reload";
  }

  /**
   * After each batch, before its replies leave: carries out what its commands asked for —
   * SAVE and DEBUG RELOAD at once, BGSAVE / BGREWRITEAOF by starting the sliced walk.
   */
  afterBatch(): void {
    const request = this.requested;
    if (request === null) return;
    this.requested = null;
    switch (request) {
      case "save":
        this.runToCompletion("save");
        return;
      case "reload":
        this.abort();
        this.runToCompletion("save");
        this.db.flush();
        this.recoverNow();
        return;
      default:
        this.start(request);
    }
  }

  // --- taking snapshots ---------------------------------------------------------------------

  /** Starts a snapshot of the keyspace as it is now (the log is brought level first). */
  private start(kind: JobKind): SnapshotJob {
    this.starting = true;
    try {
      this.options.flushPending();
    } finally {
      this.starting = false;
    }
    const id = this.store.nextId();
    // The image is memory now, which the log holds up to its stream offset (just brought level).
    const chunks = { count: 0, streamOffset: this.log.streamOffset };
    const job = new SnapshotJob(
      id,
      kind,
      Date.now(),
      this.log.lastId,
      this.db.dirty,
      this.db,
      { ...this.db.settings },
      this.settingsDiff(),
      (bytes) => {
        for (let off = 0; off < bytes.length; off += MAX_CHUNK_BYTES) {
          this.store.writeChunk(id, chunks.count++, bytes.subarray(off, Math.min(bytes.length, off + MAX_CHUNK_BYTES)));
        }
      },
    );
    this.job = job;
    this.chunksOf.set(job, chunks);
    if (kind !== "save") {
      this.hook();
      this.schedule(() => this.slice(job));
    }
    return job;
  }

  /** Chunk rows written so far, and the stream offset of its image, per snapshot job. */
  private readonly chunksOf = new WeakMap<SnapshotJob, { count: number; streamOffset: number }>();

  /** Copy-on-write for every walk under way (a snapshot, exports), or none. */
  private hook(): void {
    const jobs: SnapshotJob[] = [];
    if (this.job && this.job.kind !== "save") jobs.push(this.job);
    jobs.push(...this.exports.jobs());
    if (jobs.length === 0) this.executor.beforeWrite = null;
    else if (jobs.length === 1) this.executor.beforeWrite = (keys) => jobs[0].capture(keys);
    else this.executor.beforeWrite = (keys) => jobs.forEach((j) => j.capture(keys));
  }

  // --- replication: a full resynchronisation received (src/shard/replication-sink.ts) ------

  /**
   * Replaces the keyspace with an RDB file (in pieces) standing at `streamOffset` of the
   * primary's stream, and snapshots it at once, so the image and its offset are durable in
   * the storage transaction of the call that completed it; the log before it is compacted
   * away. A snapshot under way is abandoned.
   */
  loadImage(pieces: Uint8Array[], streamOffset: number): void {
    // Anything staged belongs to the old stream: logged at its offsets, then compacted away
    // (first, so a snapshot its append might start is abandoned with the one under way).
    this.options.flushPending();
    this.abort();
    this.requested = null;
    this.db.flush();
    const meta: SnapshotMeta = { id: 0, log_upto: 0, chunks: pieces.length, bytes: 0, keys: 0, created: Date.now(), stream_offset: streamOffset };
    const store = { readChunk: (_id: number, seq: number) => pieces[seq] } as unknown as SnapshotStore;
    new SnapshotLoader(meta, store, this.db, (json) => this.applySettings(json)).step(Infinity);
    // Only once the image loaded: a failed load must not move the log to the new stream.
    this.log.streamOffset = streamOffset;
    this.runToCompletion("save");
  }

  // --- exports (src/shard/export.ts) ------------------------------------------------------

  /** Starts an admin export: the keyspace as it is now, as RDB key records. */
  exportStart(now = Date.now()): { id: string; keys: number; expires: number } {
    return this.exports.start(now);
  }

  /** Starts a replica's full-resync image: the keyspace as it is now, as a whole snapshot file (scripts, functions, field TTLs, settings). */
  imageStart(now = Date.now()): { id: string; keys: number; expires: number } {
    return this.exports.start(now, this.settingsDiff());
  }

  /** The next piece of an export (about `maxBytes`); `done` once all has been pulled. */
  exportPull(id: string, maxBytes: number, now = Date.now()): { bytes: Uint8Array; done: boolean } {
    return this.exports.pull(id, maxBytes, now);
  }

  /** One background slice; schedules the next, or commits. */
  private slice(job: SnapshotJob): void {
    if (this.job !== job) return; // aborted meanwhile
    try {
      if (!job.step(this.sliceBytes)) {
        this.schedule(() => this.slice(job));
        return;
      }
      this.complete(job);
    } catch (e) {
      this.fail(job, e);
    }
  }

  /** SAVE: the whole walk now. */
  private runToCompletion(kind: JobKind): void {
    const job = this.start(kind);
    try {
      while (!job.step(Infinity));
      this.complete(job);
    } catch (e) {
      this.fail(job, e);
      throw e;
    }
  }

  private complete(job: SnapshotJob): void {
    job.finish();
    const { count, streamOffset } = this.chunksOf.get(job)!;
    const meta: SnapshotMeta = {
      id: job.id,
      log_upto: job.logUpto,
      chunks: count,
      bytes: job.writer.written,
      keys: job.keys,
      created: job.started,
      stream_offset: streamOffset,
    };
    this.store.commit(meta, this.log);
    this.endJob();
    this.stats.saved(job, meta);
    this.afterJob();
  }

  private fail(job: SnapshotJob, e: unknown): void {
    this.warn(`Hotslot: snapshot ${job.id} failed: ${(e as Error)?.message ?? e}`);
    this.endJob();
    try {
      this.store.dropChunks(job.id);
    } catch {
      // Left for the next start's clean-up (dropIncomplete).
    }
    this.stats.failed();
  }

  /** Abandons a snapshot under way (its chunks are dropped). */
  private abort(): void {
    const job = this.job;
    if (!job) return;
    this.endJob();
    this.store.dropChunks(job.id);
  }

  private endJob(): void {
    this.job = null;
    this.hook();
  }

  /** A BGSAVE or BGREWRITEAOF scheduled behind the one that ended, or an automatic one. */
  private afterJob(): void {
    if (this.scheduledBgsave) {
      this.scheduledBgsave = false;
      this.start("bgsave");
    } else if (this.scheduledRewrite) {
      this.scheduledRewrite = false;
      this.start("bgrewriteaof");
    } else if (this.shouldCompact()) {
      this.start("auto");
    }
  }

  // --- INFO ------------------------------------------------------------------------------------

  info(): string[] {
    return this.stats.section(this.db, this.job, this.log.bytes, this.scheduledRewrite);
  }
}
