/**
 * The append log in the shard's SQLite storage: every write batch's effects, as RESP
 * multibulk commands (the AOF format), in rows of at most CHUNK_BYTES (well under the
 * storage row limit). Rows concatenated in id order form one RESP stream; a batch always
 * starts a new row, so a snapshot taken between batches covers exactly the rows up to
 * some id, and compaction deletes them (`truncateThrough`).
 *
 * Each row also records where its bytes start in the replication stream (`stream_start`,
 * bytes of effects since the stream began, as src/shard/replication-backlog.ts counts them),
 * so the offset durable in storage is the last row's start plus its length: written in the
 * same INSERT as the bytes it counts, never in a statement of its own, and it can never
 * disagree with them after a crash (issue 10). Rows written before the column existed
 * have NULL there; a log that holds only such rows takes its offset from elsewhere
 * (ShardPersistence.recover: the snapshot's, else the replication table's).
 *
 * Replay is strict: the stream must be multibulk commands only. A command cut short at
 * the very end (a torn last entry) is dropped and cut from storage, so appends continue
 * from the last complete command, and reported, as Redis's aof-load-truncated does;
 * malformed bytes anywhere are corruption (`LogCorrupt`), and the shard refuses to serve.
 */
import { addColumnIfMissing } from "./sql-schema";
import { encodeCommandBinary } from "../protocol/resp";
import { binaryToBytes, bytesToBinary } from "../util/binary";
import { ByteBuffer } from "../util/byte-buffer";

/** Row payload size limit: well under SQLite storage's 2 MB per value. */
export const CHUNK_BYTES = 1024 * 1024;

/** The log holds bytes that are not a command stream. */
export class LogCorrupt extends Error {}

// --- parsing (pure) -------------------------------------------------------------------

const CR = 13;
const LF = 10;
const INCOMPLETE = null;

/**
 * A strict RESP multibulk stream parser over bytes pushed in pieces. `next` returns the
 * next command, null when the bytes so far end inside one, and throws LogCorrupt on bytes
 * that can never be a command. `offset` is the stream position after the last command.
 */
export class LogParser {
  /** Replaying many rows reuses it, so it needs about one row's worth of memory. */
  private readonly input = new ByteBuffer(4096);

  push(bytes: Uint8Array): void {
    this.input.append(bytes);
  }

  /** Stream offset just after the last complete command. */
  get offset(): number {
    return this.input.streamOffset(this.input.start);
  }

  /** Bytes after the last complete command. */
  get buffered(): number {
    return this.input.length;
  }

  next(): string[] | null {
    if (this.input.start >= this.input.end) return INCOMPLETE;
    const b = this.input.bytes;
    let p = this.input.start;
    if (b[p] !== 42 /* '*' */) throw new LogCorrupt(`expected '*' at log offset ${this.offset}`);
    const count = this.number(p + 1);
    if (count === INCOMPLETE) return INCOMPLETE;
    if (count.value < 1) throw new LogCorrupt(`bad command length at log offset ${this.offset}`);
    p = count.next;
    const argv: string[] = new Array(count.value);
    for (let i = 0; i < count.value; i++) {
      if (p >= this.input.end) return INCOMPLETE;
      if (b[p] !== 36 /* '$' */) throw new LogCorrupt(`expected '$' at log offset ${this.input.streamOffset(p)}`);
      const len = this.number(p + 1);
      if (len === INCOMPLETE) return INCOMPLETE;
      const dataEnd = len.next + len.value;
      if (dataEnd + 2 > this.input.end) return INCOMPLETE;
      if (b[dataEnd] !== CR || b[dataEnd + 1] !== LF) throw new LogCorrupt(`bad bulk terminator at log offset ${this.input.streamOffset(dataEnd)}`);
      argv[i] = bytesToBinary(b, len.next, dataEnd);
      p = dataEnd + 2;
    }
    this.input.start = p;
    return argv;
  }

  /** A decimal number ended by CRLF at `p`; null when the line is not complete yet. */
  private number(p: number): { value: number; next: number } | null {
    const b = this.input.bytes;
    let value = 0;
    let digits = 0;
    for (; p < this.input.end; p++) {
      const c = b[p];
      if (c >= 48 && c <= 57 && digits < 15) {
        value = value * 10 + (c - 48);
        digits++;
        continue;
      }
      if (c !== CR || digits === 0) throw new LogCorrupt(`bad number at log offset ${this.input.streamOffset(p)}`);
      if (p + 1 >= this.input.end) return INCOMPLETE;
      if (b[p + 1] !== LF) throw new LogCorrupt(`bad line end at log offset ${this.input.streamOffset(p)}`);
      return { value, next: p + 2 };
    }
    return INCOMPLETE;
  }
}

// --- the log in storage ---------------------------------------------------------------

/** What replay found. */
export interface ReplayReport {
  /** Commands applied. */
  entries: number;
  /** Bytes of a torn last entry that were dropped (0 when the log ended cleanly). */
  tornBytes: number;
}

export class AppendLog {
  /** Bytes held in the log rows. */
  bytes = 0;
  /** Id of the last row (0 when empty). */
  lastId = 0;
  /**
   * The replication stream offset after the last byte appended: the next row's
   * `stream_start`. Set by recovery (`durableOffset`, or what the snapshot says), moved
   * by `append`, and by a full resynchronisation (ShardPersistence.loadImage).
   */
  streamOffset = 0;

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, data BLOB NOT NULL, stream_start INTEGER)");
    addColumnIfMissing(sql, "log", "stream_start INTEGER");
    const row = sql.exec<{ n: number | null; last: number | null }>("SELECT SUM(LENGTH(data)) AS n, MAX(id) AS last FROM log").one();
    this.bytes = row.n ?? 0;
    this.lastId = row.last ?? 0;
  }

  /** Appends effects; they become durable with the Durable Object's implicit transaction. */
  append(effects: readonly string[][]): void {
    if (effects.length === 0) return;
    let text = "";
    for (const argv of effects) text += encodeCommandBinary(argv);
    for (let off = 0; off < text.length; off += CHUNK_BYTES) {
      const bytes = binaryToBytes(text.slice(off, off + CHUNK_BYTES));
      // Explicit ids that only grow, even after compaction empties the table (SQLite would
      // otherwise reuse ids below a snapshot's mark, and recovery would skip those rows).
      // One statement per row: the offset rides in the row it counts.
      this.sql.exec("INSERT INTO log (id, data, stream_start) VALUES (?, ?, ?)", ++this.lastId, bytes, this.streamOffset);
      this.bytes += bytes.length;
      this.streamOffset += bytes.length;
    }
  }

  /**
   * The stream offset the log's rows reach: the last row's start plus its length (after a
   * torn entry was cut, the bytes kept); null when the log is empty or its last row is from
   * before `stream_start` existed.
   */
  durableOffset(): number | null {
    const rows = this.sql.exec<{ end: number | null }>("SELECT stream_start + LENGTH(data) AS end FROM log ORDER BY id DESC LIMIT 1").toArray();
    return rows.length === 0 ? null : rows[0].end;
  }

  /**
   * Streams every command in rows after `afterId`, in order, to `apply`. A torn last
   * entry is cut from storage and reported; malformed bytes throw LogCorrupt.
   */
  replay(afterId: number, apply: (argv: string[]) => void): ReplayReport {
    const parser = new LogParser();
    let entries = 0;
    /** Rows whose bytes are not all consumed yet: [id, stream offset of their start, length]. */
    const open: [number, number, number][] = [];
    let streamEnd = 0;
    for (const row of this.sql.exec<{ id: number; data: ArrayBuffer }>("SELECT id, data FROM log WHERE id > ? ORDER BY id", afterId)) {
      const data = new Uint8Array(row.data);
      open.push([row.id, streamEnd, data.length]);
      streamEnd += data.length;
      parser.push(data);
      for (let argv = parser.next(); argv; argv = parser.next()) {
        apply(argv);
        entries++;
      }
      // Rows wholly before the parse position are done with.
      while (open.length > 1 && open[1][1] <= parser.offset) open.shift();
    }
    const tornBytes = parser.buffered;
    if (tornBytes > 0) this.cutAt(open, parser.offset);
    return { entries, tornBytes };
  }

  /** Cuts the stream at `offset`: the row holding it keeps its prefix, later rows go. */
  private cutAt(open: [number, number, number][], offset: number): void {
    for (const [id, start, length] of open) {
      if (start >= offset) {
        this.sql.exec("DELETE FROM log WHERE id = ?", id);
        this.bytes -= length;
      } else if (start + length > offset) {
        const keep = offset - start;
        const row = this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM log WHERE id = ?", id).one();
        this.sql.exec("UPDATE log SET data = ? WHERE id = ?", new Uint8Array(row.data).slice(0, keep), id);
        this.bytes -= length - keep;
      }
    }
  }

  /** New rows get ids above `id` (a snapshot's mark), whatever the table holds. */
  idsAfter(id: number): void {
    if (id > this.lastId) this.lastId = id;
  }

  /** Deletes the rows up to `id` (covered by a snapshot). Part of the snapshot's commit. */
  truncateThrough(id: number): void {
    this.sql.exec("DELETE FROM log WHERE id <= ?", id);
    const row = this.sql.exec<{ n: number | null }>("SELECT SUM(LENGTH(data)) AS n FROM log").one();
    this.bytes = row.n ?? 0;
  }

  /** Total bytes held in the log. */
  size(): number {
    return this.bytes;
  }
}
