/**
 * Where snapshots live: two tables in the shard's SQLite storage. A snapshot is one RDB
 * file cut into chunk rows (`snapshot_chunk`, each under 1 MB with its own CRC-64); only a
 * complete snapshot has a metadata row (`snapshot_meta`), inserted in the same transaction
 * that deletes the previous snapshot and the log rows the new one covers (`commit`). So a
 * crash at any point leaves either the old snapshot and the whole log, or the new snapshot
 * and the log after it — never a mix. A chunk that is missing or fails its checksum is
 * `SnapshotCorrupt`: the shard then refuses to serve rather than serve wrong data.
 *
 * The metadata row also records the replication stream offset its image stands at
 * (`stream_offset`): once compaction has emptied the log, that is the offset durable in
 * storage, committed with the image it counts (issue 10). Snapshots from before the column
 * have NULL there.
 */
import { crc64, crc64Hex } from "../engine/rdb/crc64";
import type { AppendLog } from "./log";
import { addColumnIfMissing } from "./sql-schema";

/** Where snapshots and the log live: the Durable Object's storage, or a test double. */
export interface SnapshotStorage {
  readonly sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
}

/** No chunk row is larger (under 1 MB, well under the 2 MB row limit). */
export const MAX_CHUNK_BYTES = 1_000_000;

/** A snapshot's metadata row: only complete (committed) snapshots have one. */
export interface SnapshotMeta {
  id: number;
  /** The last log row the snapshot covers. */
  log_upto: number;
  chunks: number;
  bytes: number;
  keys: number;
  /** When it was started (ms since the epoch): the moment its image shows. */
  created: number;
  /** The replication stream offset the image stands at; null in snapshots from before it was recorded. */
  stream_offset: number | null;
}

/** The snapshot in storage is damaged: the shard must not serve. */
export class SnapshotCorrupt extends Error {}

export class SnapshotStore {
  constructor(private readonly storage: SnapshotStorage) {
    const sql = storage.sql;
    sql.exec(
      "CREATE TABLE IF NOT EXISTS snapshot_meta (id INTEGER PRIMARY KEY, log_upto INTEGER NOT NULL, chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, keys INTEGER NOT NULL, created INTEGER NOT NULL, stream_offset INTEGER)",
    );
    addColumnIfMissing(sql, "snapshot_meta", "stream_offset INTEGER");
    sql.exec(
      "CREATE TABLE IF NOT EXISTS snapshot_chunk (snap INTEGER NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, crc TEXT NOT NULL, PRIMARY KEY (snap, seq))",
    );
  }

  /** The newest complete snapshot, if any. */
  newest(): SnapshotMeta | null {
    const rows = this.storage.sql.exec<Record<keyof SnapshotMeta, number | null>>("SELECT * FROM snapshot_meta ORDER BY id DESC LIMIT 1").toArray();
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
        "INSERT INTO snapshot_meta (id, log_upto, chunks, bytes, keys, created, stream_offset) VALUES (?, ?, ?, ?, ?, ?, ?)",
        meta.id,
        meta.log_upto,
        meta.chunks,
        meta.bytes,
        meta.keys,
        meta.created,
        meta.stream_offset,
      );
      sql.exec("DELETE FROM snapshot_chunk WHERE snap <> ?", meta.id);
      sql.exec("DELETE FROM snapshot_meta WHERE id <> ?", meta.id);
      log.truncateThrough(meta.log_upto);
    });
  }
}
