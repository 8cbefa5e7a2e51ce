/**
 * The append log in the shard's SQLite storage. Each write batch's effects are appended
 * as RESP multibulk commands (the AOF format), in rows of at most CHUNK_BYTES so no row
 * nears the storage row limit. Rows concatenated in id order form one RESP stream, so a
 * command may span rows. Snapshots (a later issue) will record the last row id they
 * cover, and recovery will replay only the rows after it.
 */
import { encodeCommandBinary, RequestDecoder } from "../protocol/resp";
import { binaryToBytes } from "../util/binary";

/** Row payload size limit: well under SQLite storage's 2 MB per value. */
export const CHUNK_BYTES = 1024 * 1024;

export class AppendLog {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  }

  /** Appends effects; they become durable with the Durable Object's implicit transaction. */
  append(effects: readonly string[][]): void {
    if (effects.length === 0) return;
    let text = "";
    for (const argv of effects) text += encodeCommandBinary(argv);
    for (let off = 0; off < text.length; off += CHUNK_BYTES) {
      const bytes = binaryToBytes(text.slice(off, off + CHUNK_BYTES));
      this.sql.exec("INSERT INTO log (data) VALUES (?)", bytes);
    }
  }

  /** Streams every logged command, in order, to `apply`. */
  replay(apply: (argv: string[]) => void): number {
    const decoder = new RequestDecoder();
    let count = 0;
    for (const row of this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM log ORDER BY id")) {
      decoder.push(new Uint8Array(row.data));
      for (let argv = decoder.next(); argv; argv = decoder.next()) {
        apply(argv);
        count++;
      }
    }
    return count;
  }

  /** Total bytes held in the log. */
  size(): number {
    const row = this.sql.exec<{ n: number | null }>("SELECT SUM(LENGTH(data)) AS n FROM log").one();
    return row.n ?? 0;
  }
}
