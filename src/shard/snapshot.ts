/**
 * Snapshots and compaction: the shard's persistence. The keyspace is written as one RDB
 * file (src/engine/rdb/file.ts), cut into chunk rows of under 1 MB in SQLite storage, each
 * with its own CRC-64; the snapshot's metadata row is inserted in the same transaction
 * that deletes the previous snapshot and the log rows the new one covers. So a crash at
 * any point leaves either the old snapshot and the whole log, or the new snapshot and the
 * log after it — never a mix — and recovery loads the newest complete snapshot, then
 * replays the log after it.
 *
 * No long pause: a background snapshot (BGSAVE, BGREWRITEAOF, or automatic when the log
 * has grown by auto-aof-rewrite-percentage of the last snapshot) walks the keyspace in
 * slices of about `sliceBytes` of output, between requests. The image stays the one of
 * the moment it started by copy-on-write per key: just before a write command runs, each
 * key it names that the walk has not reached yet is saved first, as it still is (the
 * walk follows SCAN order, and a key's SCAN sequence says whether the walk has passed it,
 * so no key is saved twice and a snapshot is a valid RDB file as it stands). Keys that
 * disappear without a write command naming them (expiry, eviction, FLUSHALL) need no copy:
 * their deletion is in the log after the snapshot, and replaying a deletion is harmless.
 *
 * Damage: a snapshot chunk whose checksum fails, a missing chunk or an unreadable RDB
 * stream, or a malformed log, makes the shard refuse every command with a clear error
 * (`refusal`) rather than serve wrong data. A torn last log entry is cut and reported.
 */
import type { Persistence } from "../commands/context";
import { CommandError } from "../commands/errors";
import type { Executor } from "../commands/execute";
import type { Keyspace, Value } from "../engine/keyspace";
import { RdbCorrupt, RdbTruncated } from "../engine/rdb/bytes";
import { crc64, crc64Hex } from "../engine/rdb/crc64";
import { RdbFileReader, RdbFileWriter } from "../engine/rdb/file";
import { RdbUnsupported } from "../engine/rdb/object";
import { fromRdbValue, toRdbValue } from "../engine/rdb/values";
import type { EngineSettings } from "../engine/settings";
import { REDIS_VERSION } from "../version";
import { AppendLog, LogCorrupt } from "./log";

/** Where snapshots and the log live: the Durable Object's storage, or a test double. */
export interface SnapshotStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
}

/** Chunks are cut once this much output has gathered. */
const CHUNK_TARGET = 512 * 1024;
/** No chunk row is larger (under 1 MB, well under the 2 MB row limit). */
export const MAX_CHUNK_BYTES = 1_000_000;
/** Default output per background slice: about a millisecond or two of serialization. */
export const DEFAULT_SLICE_BYTES = 64 * 1024;
/** Keys walked per slice at most (small keys cost per key, not per byte). */
const SLICE_KEYS = 4096;
/** Keys examined per keyspace scan step. */
const SCAN_STEP = 256;
/** Recovery yields to the event loop after this many bytes (so its clock can advance). */
const LOAD_YIELD_BYTES = 8 * 1024 * 1024;
/** An export nobody pulls from for this long is dropped. */
const EXPORT_IDLE_MS = 60_000;
/** The AUX field holding the settings that differ from the shard's configured ones. */
const SETTINGS_AUX = "hotslot-settings";

/** A snapshot's metadata row: only complete (committed) snapshots have one. */
interface SnapshotMeta {
  id: number;
  /** The last log row the snapshot covers. */
  log_upto: number;
  chunks: number;
  bytes: number;
  keys: number;
  /** When it was started (ms since the epoch): the moment its image shows. */
  created: number;
}

/** The snapshot in storage is damaged: the shard must not serve. */
export class SnapshotCorrupt extends Error {}

type JobKind = "save" | "bgsave" | "bgrewriteaof" | "auto";
type Request = JobKind | "reload";

export interface PersistenceOptions {
  /** Appends effects gathered but not yet logged (group commit), so the log matches memory. */
  flushPending(): void;
  /** Runs `fn` later, between requests (default: a zero-delay timer). */
  schedule?(fn: () => void): void;
  /** Output bytes per background slice. */
  sliceBytes?: number;
  /** Where warnings go (default: console.warn). */
  warn?(message: string): void;
}

// --- storage --------------------------------------------------------------------------

class SnapshotStore {
  constructor(private readonly storage: SnapshotStorage) {
    const sql = storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS snapshot_meta (id INTEGER PRIMARY KEY, log_upto INTEGER NOT NULL, chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, keys INTEGER NOT NULL, created INTEGER NOT NULL)",
    );
    sql.exec(
      "CREATE TABLE IF NOT EXISTS snapshot_chunk (snap INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, crc TEXT NOT NULL, PRIMARY KEY (snap, seq))",
    );
  }

  /** The newest complete snapshot, if any. */
  newest(): SnapshotMeta | null {
    const rows = this.storage.sql.exec<Record<keyof SnapshotMeta, number>>("SELECT * FROM snapshot_meta ORDER BY id DESC LIMIT 1").toArray();
    return rows.length ? (rows[0] as SnapshotMeta) : null;
  }

  /** An id above every snapshot's, complete or not. */
  nextId(): number {
    const row = this.storage.sql
      .exec<{ a: number | null; b: number | null }>("SELECT (SELECT MAX(id) FROM snapshot_meta) AS a, (SELECT MAX(snap) FROM snapshot_chunk) AS b")
      .one();
    return Math.max(row.a ?? 0, row.b ?? 0) + 1;
  }

  /** Drops chunks of snapshots that never completed (a crash or an abort mid-way). */
  dropIncomplete(): void {
    this.storage.sql.exec("DELETE FROM snapshot_chunk WHERE snap NOT IN (SELECT id FROM snapshot_meta)");
  }

  dropChunks(snap: number): void {
    this.storage.sql.exec("DELETE FROM snapshot_chunk WHERE snap = ?", snap);
  }

  writeChunk(snap: number, seq: number, data: Uint8Array): void {
    this.storage.sql.exec("INSERT INTO snapshot_chunk (snap, seq, data, crc) VALUES (?, ?, ?, ?)", snap, seq, data, crc64Hex(crc64(data)));
  }

  /** Chunk `seq` of snapshot `snap`, its checksum verified. */
  readChunk(snap: number, seq: number): Uint8Array {
    const rows = this.storage.sql.exec<{ data: ArrayBuffer; crc: string }>("SELECT data, crc FROM snapshot_chunk WHERE snap = ? AND seq = ?", snap, seq).toArray();
    if (rows.length === 0) throw new SnapshotCorrupt(`snapshot ${snap} is missing chunk ${seq}`);
    const data = new Uint8Array(rows[0].data);
    if (crc64Hex(crc64(data)) !== rows[0].crc) throw new SnapshotCorrupt(`snapshot ${snap} chunk ${seq} fails its checksum`);
    return data;
  }

  /**
   * Makes `meta` the snapshot, atomically: its metadata row, the previous snapshot's
   * removal and the deletion of the log rows it covers, in one transaction.
   */
  commit(meta: SnapshotMeta, log: AppendLog): void {
    this.storage.transactionSync(() => {
      const sql = this.storage.sql;
      sql.exec(
        "INSERT INTO snapshot_meta (id, log_upto, chunks, bytes, keys, created) VALUES (?, ?, ?, ?, ?, ?)",
        meta.id,
        meta.log_upto,
        meta.chunks,
        meta.bytes,
        meta.keys,
        meta.created,
      );
      sql.exec("DELETE FROM snapshot_chunk WHERE snap <> ?", meta.id);
      sql.exec("DELETE FROM snapshot_meta WHERE id <> ?", meta.id);
      log.truncateThrough(meta.log_upto);
    });
  }
}

// --- a snapshot being taken -------------------------------------------------------------

class SnapshotJob {
  readonly writer: RdbFileWriter;
  /** Keys created after the start have a sequence at or above this: they are not walked. */
  private readonly limit: number;
  /** Every key with a smaller sequence has been walked (saved, or found gone). */
  private walkSeq = 0;
  private cursor = 0;
  /** Keys from the last scan step and their sequences, walked from `next` on. */
  private batch: string[] = [];
  private batchSeqs: number[] = [];
  private next = 0;
  private scanDone = false;
  private walked = false;
  /** Keys ahead of the walk that copy-on-write has saved already. */
  private readonly captured = new Set<string>();
  keys = 0;

  /**
   * `settingsAux`: write a whole RDB file (header, AUX fields, SELECTDB) with these
   * settings recorded; null: key records only (an export's part). `sink` receives the
   * output in pieces as it is produced.
   */
  constructor(
    readonly id: number,
    readonly kind: JobKind,
    readonly started: number,
    readonly logUpto: number,
    readonly dirtyAtStart: number,
    private readonly db: Keyspace,
    private readonly settings: EngineSettings,
    settingsAux: string | null,
    private readonly sink: (bytes: Uint8Array) => void,
  ) {
    this.limit = db.sequenceLimit;
    this.writer = new RdbFileWriter(settings, settingsAux !== null);
    if (settingsAux === null) return;
    this.writer.aux("redis-ver", REDIS_VERSION);
    this.writer.aux("redis-bits", "64");
    this.writer.aux("ctime", String(Math.floor(started / 1000)));
    this.writer.aux("used-mem", String(db.usedMemory));
    this.writer.aux("aof-base", "0");
    this.writer.aux(SETTINGS_AUX, settingsAux);
    this.writer.selectDb(0, db.size, db.expiresCount);
  }

  /**
   * Copy-on-write: before a write changes them, saves the keys the walk has not reached
   * yet, as they are now. Keys already walked, and keys created since the start, need
   * nothing; so every key is saved at most once.
   */
  capture(keys: string[]): void {
    const db = this.db;
    const saved = db.expireOnRead;
    db.expireOnRead = false;
    try {
      for (const key of keys) {
        const seq = db.sequenceOf(key);
        if (seq === undefined || seq < this.walkSeq || seq >= this.limit || this.captured.has(key)) continue;
        this.captured.add(key);
        this.emit(key, db.peek(key)!, db.getExpire(key));
      }
    } finally {
      db.expireOnRead = saved;
    }
  }

  /** One slice of the walk: about `budget` bytes of output. Returns true once walked. */
  step(budget: number): boolean {
    const db = this.db;
    const saved = db.expireOnRead;
    db.expireOnRead = false;
    const before = this.writer.written + this.writer.buffered;
    let examined = 0;
    try {
      while (!this.walked && examined < SLICE_KEYS && this.writer.written + this.writer.buffered - before < budget) {
        if (this.next >= this.batch.length) {
          if (this.scanDone) {
            this.walked = true;
            break;
          }
          const { cursor, keys } = db.scan(this.cursor, SCAN_STEP);
          this.batch = keys;
          this.batchSeqs = keys.map((k) => db.sequenceOf(k)!);
          this.next = 0;
          this.cursor = cursor;
          if (cursor === 0) this.scanDone = true;
          continue;
        }
        const key = this.batch[this.next];
        const seq = this.batchSeqs[this.next++];
        examined++;
        // Scan order is sequence order: from here on every key is newer than the start.
        if (seq >= this.limit) {
          this.walked = true;
          break;
        }
        this.walkSeq = seq + 1;
        // Gone since the scan step (or gone and created again, with a new sequence).
        if (db.sequenceOf(key) !== seq || this.captured.has(key)) continue;
        this.emit(key, db.peek(key)!, db.getExpire(key));
      }
    } finally {
      db.expireOnRead = saved;
    }
    return this.walked;
  }

  private emit(key: string, value: Value, expireAt: number | undefined): void {
    this.writer.key(key, toRdbValue(value, this.settings), expireAt);
    this.keys++;
    if (this.writer.buffered >= CHUNK_TARGET) this.flush();
  }

  /** Hands what has been produced to the sink. */
  flush(): void {
    if (this.writer.buffered > 0) this.sink(this.writer.take());
  }

  /** Ends the RDB stream and hands out the rest. */
  finish(): void {
    this.writer.end();
    this.flush();
  }

  /** True once every key has been walked. */
  get done(): boolean {
    return this.walked;
  }
}

// --- loading ------------------------------------------------------------------------------

/** A snapshot being loaded chunk by chunk into the keyspace. */
class SnapshotLoader {
  private readonly reader: RdbFileReader;
  private next = 0;
  keys = 0;

  constructor(
    private readonly meta: SnapshotMeta,
    private readonly store: SnapshotStore,
    private readonly db: Keyspace,
    private readonly applySettings: (json: string) => void,
  ) {
    this.reader = new RdbFileReader(db.settings);
  }

  /** Loads chunks until `budget` bytes are read; returns true when the snapshot is loaded. */
  step(budget: number): boolean {
    const { meta, reader } = this;
    try {
      let read = 0;
      while (this.next < meta.chunks && read < budget) {
        const chunk = this.store.readChunk(meta.id, this.next++);
        reader.push(chunk);
        this.drain();
        read += chunk.length;
      }
      if (this.next < meta.chunks) return false;
      reader.finish();
      this.drain();
    } catch (e) {
      if (e instanceof RdbCorrupt || e instanceof RdbTruncated || e instanceof RdbUnsupported) {
        throw new SnapshotCorrupt(`snapshot ${meta.id} is unreadable: ${e.message}`);
      }
      throw e;
    }
    if (!reader.complete) throw new SnapshotCorrupt(`snapshot ${meta.id} ends before its EOF marker`);
    return true;
  }

  private drain(): void {
    for (let rec = this.reader.next(); rec; rec = this.reader.next()) {
      if (rec.kind === "aux" && rec.key === SETTINGS_AUX) this.applySettings(rec.value);
      else if (rec.kind === "key") {
        this.db.set(rec.key, fromRdbValue(rec.value, this.db.settings));
        if (rec.expireAt !== undefined) this.db.setExpire(rec.key, rec.expireAt);
        this.keys++;
      }
    }
  }
}

// --- the shard's persistence --------------------------------------------------------------

/** What the last recovery did (INFO persistence). */
interface LoadReport {
  ms: number;
  keys: number;
  logEntries: number;
  tornBytes: number;
}

export class ShardPersistence implements Persistence {
  readonly log: AppendLog;
  private readonly store: SnapshotStore;
  private job: SnapshotJob | null = null;
  private requested: Request | null = null;
  private scheduledBgsave = false;
  private scheduledRewrite = false;
  /** Set when storage is damaged: every command is refused with this error text. */
  refusal: string | null = null;

  /** The settings the shard is configured with (a snapshot stores only what differs). */
  private readonly baseline: EngineSettings;
  private snapshotBytes = 0;
  private snapshotChunks = 0;
  private snapshotKeys = 0;
  private lastSaveTime = Math.floor(Date.now() / 1000);
  private dirtyAtLastSave = 0;
  private lastStatus: "ok" | "err" = "ok";
  private lastJobSeconds = -1;
  private saves = 0;
  private rewrites = 0;
  private lastLoad: LoadReport = { ms: 0, keys: 0, logEntries: 0, tornBytes: 0 };
  private readonly sliceBytes: number;
  private readonly schedule: (fn: () => void) => void;
  private readonly warn: (message: string) => void;

  constructor(
    storage: SnapshotStorage,
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
    executor.persistence = this;
  }

  /** True while a snapshot is being taken in slices. */
  get snapshotting(): boolean {
    return this.job !== null;
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
    this.snapshotBytes = meta.bytes;
    this.snapshotChunks = meta.chunks;
    this.snapshotKeys = meta.keys;
    this.lastSaveTime = Math.floor(meta.created / 1000);
    return new SnapshotLoader(meta, this.store, this.db, (json) => this.applySettings(json));
  }

  private endLoad(loader: SnapshotLoader | null, started: number): void {
    this.dirtyAtLastSave = this.db.dirty;
    this.db.now = Date.now();
    const after = this.store.newest()?.log_upto ?? 0;
    const replay = this.log.replay(after, (argv) => this.executor.replay(argv));
    if (replay.tornBytes > 0) {
      this.warn(`Hotslot: the log ended with a torn entry (${replay.tornBytes} bytes); recovered up to the last complete entry and cut the rest`);
    }
    this.lastLoad = { ms: Date.now() - started, keys: loader?.keys ?? 0, logEntries: replay.entries, tornBytes: replay.tornBytes };
  }

  private applySettings(json: string): void {
    const diff = JSON.parse(json) as Record<string, unknown>;
    const settings = this.db.settings as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(diff)) if (k in settings) settings[k] = v;
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

  /** Appends a batch's effects to the log; may start an automatic snapshot. */
  append(effects: readonly string[][]): void {
    this.log.append(effects);
    if (this.job === null && this.requested === null && this.shouldCompact()) this.start("auto");
  }

  /** auto-aof-rewrite-percentage and -min-size, with the last snapshot as the base. */
  private shouldCompact(): boolean {
    const { autoAofRewritePercentage: pct, autoAofRewriteMinSize: min } = this.db.settings;
    if (pct <= 0 || this.refusal !== null) return false;
    const logBytes = this.log.bytes;
    if (logBytes === 0 || logBytes + this.snapshotBytes < min) return false;
    return (logBytes * 100) / (this.snapshotBytes || 1) >= pct;
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
    return this.lastSaveTime;
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
    this.options.flushPending();
    const id = this.store.nextId();
    const chunks = { count: 0 };
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

  /** Chunk rows written so far, per snapshot job. */
  private readonly chunksOf = new WeakMap<SnapshotJob, { count: number }>();

  /** Copy-on-write for every walk under way (a snapshot, exports), or none. */
  private hook(): void {
    const jobs: SnapshotJob[] = [];
    if (this.job && this.job.kind !== "save") jobs.push(this.job);
    for (const e of this.exports.values()) jobs.push(e.job);
    if (jobs.length === 0) this.executor.beforeWrite = null;
    else if (jobs.length === 1) this.executor.beforeWrite = (keys) => jobs[0].capture(keys);
    else this.executor.beforeWrite = (keys) => jobs.forEach((j) => j.capture(keys));
  }

  // --- exports: the keyspace as RDB key records, pulled in pieces -------------------------

  private readonly exports = new Map<string, { job: SnapshotJob; parts: Uint8Array[]; lastPull: number }>();
  private exportSeq = 0;

  /**
   * Starts an export: the keyspace as it is now, as RDB key records (no header or end:
   * the router assembles one file from every shard's records). Pulled with `exportPull`;
   * copy-on-write keeps it the image of this moment. Abandoned exports expire.
   */
  exportStart(now = Date.now()): { id: string; keys: number; expires: number } {
    this.dropIdleExports(now);
    const id = `${now.toString(36)}-${++this.exportSeq}`;
    const parts: Uint8Array[] = [];
    const job = new SnapshotJob(0, "bgsave", now, 0, 0, this.db, { ...this.db.settings }, null, (bytes) => parts.push(bytes));
    this.exports.set(id, { job, parts, lastPull: now });
    this.hook();
    return { id, keys: this.db.size, expires: this.db.expiresCount };
  }

  /** The next piece of an export (about `maxBytes`); `done` once all has been pulled. */
  exportPull(id: string, maxBytes: number, now = Date.now()): { bytes: Uint8Array; done: boolean } {
    const e = this.exports.get(id);
    if (!e) throw new Error(`no export ${id} (finished, or abandoned for ${EXPORT_IDLE_MS / 1000} s)`);
    e.lastPull = now;
    let size = e.parts.reduce((n, p) => n + p.length, 0);
    while (size < maxBytes && !e.job.done) {
      e.job.step(Math.min(this.sliceBytes * 4, maxBytes - size));
      e.job.flush();
      size = e.parts.reduce((n, p) => n + p.length, 0);
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const p of e.parts) {
      bytes.set(p, at);
      at += p.length;
    }
    e.parts.length = 0;
    const done = e.job.done;
    if (done) {
      this.exports.delete(id);
      this.hook();
    }
    return { bytes, done };
  }

  private dropIdleExports(now: number): void {
    for (const [id, e] of this.exports) if (now - e.lastPull > EXPORT_IDLE_MS) this.exports.delete(id);
    this.hook();
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
    const meta: SnapshotMeta = {
      id: job.id,
      log_upto: job.logUpto,
      chunks: this.chunksOf.get(job)!.count,
      bytes: job.writer.written,
      keys: job.keys,
      created: job.started,
    };
    this.store.commit(meta, this.log);
    this.endJob();
    this.snapshotBytes = meta.bytes;
    this.snapshotChunks = meta.chunks;
    this.snapshotKeys = meta.keys;
    this.lastSaveTime = Math.floor(job.started / 1000);
    this.dirtyAtLastSave = job.dirtyAtStart;
    this.lastStatus = "ok";
    this.lastJobSeconds = Math.round((Date.now() - job.started) / 1000);
    if (job.kind === "bgrewriteaof" || job.kind === "auto") this.rewrites++;
    else this.saves++;
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
    this.lastStatus = "err";
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
    const job = this.job;
    const running = job ? Math.round((Date.now() - job.started) / 1000) : -1;
    const saving = job !== null && (job.kind === "bgsave" || job.kind === "save");
    const rewriting = job !== null && (job.kind === "bgrewriteaof" || job.kind === "auto");
    return [
      "# Persistence",
      "loading:0",
      "async_loading:0",
      `current_save_keys_processed:${job ? job.keys : 0}`,
      `current_save_keys_total:${job ? this.db.size : 0}`,
      `rdb_changes_since_last_save:${this.db.dirty - this.dirtyAtLastSave}`,
      `rdb_bgsave_in_progress:${saving ? 1 : 0}`,
      `rdb_last_save_time:${this.lastSaveTime}`,
      `rdb_last_bgsave_status:${this.lastStatus}`,
      `rdb_last_bgsave_time_sec:${this.lastJobSeconds}`,
      `rdb_current_bgsave_time_sec:${saving ? running : -1}`,
      `rdb_saves:${this.saves}`,
      "rdb_last_load_keys_expired:0",
      `rdb_last_load_keys_loaded:${this.lastLoad.keys}`,
      "aof_enabled:1",
      `aof_rewrite_in_progress:${rewriting ? 1 : 0}`,
      `aof_rewrite_scheduled:${this.scheduledRewrite ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastJobSeconds}`,
      `aof_current_rewrite_time_sec:${rewriting ? running : -1}`,
      `aof_last_bgrewrite_status:${this.lastStatus}`,
      `aof_rewrites:${this.rewrites}`,
      "aof_last_write_status:ok",
      `aof_current_size:${this.log.bytes + this.snapshotBytes}`,
      `aof_base_size:${this.snapshotBytes}`,
      `aof_last_load_truncated:${this.lastLoad.tornBytes > 0 ? 1 : 0}`,
      `aof_last_load_truncated_bytes:${this.lastLoad.tornBytes}`,
      `log_bytes:${this.log.bytes}`,
      `snapshot_bytes:${this.snapshotBytes}`,
      `snapshot_chunks:${this.snapshotChunks}`,
      `snapshot_keys:${this.snapshotKeys}`,
      `last_load_time_ms:${this.lastLoad.ms}`,
      `last_load_log_entries:${this.lastLoad.logEntries}`,
    ];
  }
}
