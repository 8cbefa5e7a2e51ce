/**
 * What the shard's persistence has done, as INFO's "# Persistence" section reports it
 * (Redis 7.0's field names, plus Hotslot's own log and snapshot sizes): the current
 * snapshot's size, the last save and its outcome, the counts of saves and log rewrites, and
 * what the last recovery loaded. ShardPersistence records into it; `section` renders it.
 */
import type { Keyspace } from "../engine/keyspace";
import type { SnapshotJob } from "./snapshot-job";
import type { SnapshotMeta } from "./snapshot-store";

/** What the last recovery did. */
export interface LoadReport {
  ms: number;
  keys: number;
  logEntries: number;
  tornBytes: number;
}

export class PersistenceStats {
  /** The current snapshot (the log's base). */
  snapshotBytes = 0;
  snapshotChunks = 0;
  snapshotKeys = 0;
  /** Unix seconds of the last successful save (LASTSAVE). */
  lastSaveTime = Math.floor(Date.now() / 1000);
  /** db.dirty when the last snapshot's image was taken. */
  dirtyAtLastSave = 0;
  private lastStatus: "ok" | "err" = "ok";
  private lastJobSeconds = -1;
  private saves = 0;
  private rewrites = 0;
  lastLoad: LoadReport = { ms: 0, keys: 0, logEntries: 0, tornBytes: 0 };

  /** `meta` is the snapshot in storage (found at recovery, or just committed). */
  base(meta: SnapshotMeta): void {
    this.snapshotBytes = meta.bytes;
    this.snapshotChunks = meta.chunks;
    this.snapshotKeys = meta.keys;
    this.lastSaveTime = Math.floor(meta.created / 1000);
  }

  /** `job` completed as snapshot `meta`. */
  saved(job: SnapshotJob, meta: SnapshotMeta): void {
    this.base(meta);
    this.dirtyAtLastSave = job.dirtyAtStart;
    this.lastStatus = "ok";
    this.lastJobSeconds = Math.round((Date.now() - job.started) / 1000);
    if (job.kind === "bgrewriteaof" || job.kind === "auto") this.rewrites++;
    else this.saves++;
  }

  failed(): void {
    this.lastStatus = "err";
  }

  /** The section, header first. */
  section(db: Keyspace, job: SnapshotJob | null, logBytes: number, rewriteScheduled: boolean): string[] {
    const running = job ? Math.round((Date.now() - job.started) / 1000) : -1;
    const saving = job !== null && (job.kind === "bgsave" || job.kind === "save");
    const rewriting = job !== null && (job.kind === "bgrewriteaof" || job.kind === "auto");
    return [
      "# Persistence",
      "loading:0",
      "async_loading:0",
      `current_save_keys_processed:${job ? job.keys : 0}`,
      `current_save_keys_total:${job ? db.size : 0}`,
      `rdb_changes_since_last_save:${db.dirty - this.dirtyAtLastSave}`,
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
      `aof_rewrite_scheduled:${rewriteScheduled ? 1 : 0}`,
      `aof_last_rewrite_time_sec:${this.lastJobSeconds}`,
      `aof_current_rewrite_time_sec:${rewriting ? running : -1}`,
      `aof_last_bgrewrite_status:${this.lastStatus}`,
      `aof_rewrites:${this.rewrites}`,
      "aof_last_write_status:ok",
      `aof_current_size:${logBytes + this.snapshotBytes}`,
      `aof_base_size:${this.snapshotBytes}`,
      `aof_last_load_truncated:${this.lastLoad.tornBytes > 0 ? 1 : 0}`,
      `aof_last_load_truncated_bytes:${this.lastLoad.tornBytes}`,
      `log_bytes:${logBytes}`,
      `snapshot_bytes:${this.snapshotBytes}`,
      `snapshot_chunks:${this.snapshotChunks}`,
      `snapshot_keys:${this.snapshotKeys}`,
      `last_load_time_ms:${this.lastLoad.ms}`,
      `last_load_log_entries:${this.lastLoad.logEntries}`,
    ];
  }
}
