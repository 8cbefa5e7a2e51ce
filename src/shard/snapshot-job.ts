/**
 * A snapshot being taken: a walk of the keyspace in SCAN order that writes every key as an
 * RDB record (src/engine/rdb/file.ts), in slices of about a given number of output bytes,
 * so no request waits long. The image stays the one of the moment the walk started by
 * copy-on-write per key: just before a write command runs, each key it names that the walk
 * has not reached yet is saved first, as it still is (a key's SCAN sequence says whether
 * the walk has passed it, so no key is saved twice and the output is a valid RDB stream as
 * it stands). Keys that disappear without a write command naming them (expiry, eviction,
 * FLUSHALL) need no copy: their deletion is in the log after the snapshot, and replaying a
 * deletion is harmless.
 *
 * The same walk serves snapshots (a whole RDB file, header and AUX fields included) and
 * admin exports (key records only: the router assembles one file from every shard's).
 *
 * Hash field TTLs (Redis 7.4) have no place in an RDB v10 key record: a snapshot writes them
 * in a Hotslot AUX field (FIELD_TTLS_AUX) right after the hash's record, holding the JSON
 * array [key, field, time, field, time, …] (binary strings stay one char per byte). RDB
 * loaders skip AUX fields they do not know, so the file stays a valid Redis 7.0 RDB.
 * Exports, for redis-server 7.0, carry the hashes without their field TTLs.
 */
import { functionStoreOf } from "../commands/functions";
import { scriptCacheOf } from "../commands/scripting";
import { HashValue } from "../engine/hash";
import type { Keyspace, Value } from "../engine/keyspace";
import { RdbFileWriter } from "../engine/rdb/file";
import { toRdbValue } from "../engine/rdb/values";
import type { EngineSettings } from "../engine/settings";
import { REDIS_VERSION } from "../version";

/** Output is handed to the sink once this much has gathered. */
const CHUNK_TARGET = 512 * 1024;
/** Keys walked per slice at most (small keys cost per key, not per byte). */
const SLICE_KEYS = 4096;
/** Keys examined per keyspace scan step. */
const SCAN_STEP = 256;
/** The AUX field holding the settings that differ from the shard's configured ones. */
export const SETTINGS_AUX = "hotslot-settings";
/** An AUX field holding one cached Lua script's body (EVALSHA works after a restart). */
export const SCRIPT_AUX = "hotslot-script";
/** An AUX field holding one function library's code (FCALL works after a restart). */
export const FUNCTION_AUX = "hotslot-function";
/** The AUX field holding one hash's field TTLs (see the header). */
export const FIELD_TTLS_AUX = "hotslot-field-ttls";

/** Why a snapshot is taken (INFO tells saves from log rewrites). */
export type JobKind = "save" | "bgsave" | "bgrewriteaof" | "auto";

export class SnapshotJob {
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
  /** A whole snapshot file (field TTLs included), not an export's key records. */
  private readonly snapshot: boolean;
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
    this.snapshot = settingsAux !== null;
    if (settingsAux === null) return;
    this.writer.aux("redis-ver", REDIS_VERSION);
    this.writer.aux("redis-bits", "64");
    this.writer.aux("ctime", String(Math.floor(started / 1000)));
    this.writer.aux("used-mem", String(db.usedMemory));
    this.writer.aux("aof-base", "0");
    this.writer.aux(SETTINGS_AUX, settingsAux);
    for (const body of scriptCacheOf(db).scripts()) this.writer.aux(SCRIPT_AUX, body);
    for (const library of functionStoreOf(db).list()) this.writer.aux(FUNCTION_AUX, library.code);
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
    if (this.snapshot && value instanceof HashValue && value.hasFieldTtls) {
      const flat: (string | number)[] = [key];
      for (const [field, at] of value.fieldExpiries()) flat.push(field, at);
      this.writer.aux(FIELD_TTLS_AUX, JSON.stringify(flat));
    }
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
