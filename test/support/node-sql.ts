/**
 * A stand-in for a Durable Object's SQLite storage (`ctx.storage.sql` and
 * `transactionSync`) on Node's built-in SQLite, so the shard's persistence
 * (src/shard/persistence.ts, log.ts) can run in Node: unit tests and scripts/snapshot-bench.
 * Only what Hotslot uses: exec with bindings, and cursors' toArray / one / iteration.
 */
import { DatabaseSync } from "node:sqlite";
import type { SnapshotStorage } from "../../src/shard/snapshot-store";

class Cursor<T> {
  constructor(private readonly rows: T[]) {}
  toArray(): T[] {
    return this.rows;
  }
  one(): T {
    if (this.rows.length !== 1) throw new Error(`expected exactly one row, got ${this.rows.length}`);
    return this.rows[0];
  }
  [Symbol.iterator](): Iterator<T> {
    return this.rows[Symbol.iterator]();
  }
}

export class NodeSqlStorage implements SnapshotStorage {
  readonly db: DatabaseSync;
  private depth = 0;

  constructor(path = ":memory:") {
    this.db = new DatabaseSync(path);
    // Durable Object storage commits once per event, not per statement (see `turn`).
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  }

  /** Runs `fn` as one Durable Object event would: its writes commit together at the end. */
  turn<T>(fn: () => T): T {
    return this.transactionSync(fn);
  }

  readonly sql = {
    exec: <T>(query: string, ...bindings: unknown[]) => {
      const stmt = this.db.prepare(query);
      const rows = stmt.all(...(bindings as never[])) as T[];
      return new Cursor<T>(rows);
    },
    get databaseSize(): number {
      return 0;
    },
  } as unknown as SqlStorage;

  transactionSync<T>(closure: () => T): T {
    if (this.depth > 0) return closure();
    this.db.exec("BEGIN");
    this.depth++;
    try {
      const out = closure();
      this.db.exec("COMMIT");
      return out;
    } catch (e) {
      this.db.exec("ROLLBACK");
      throw e;
    } finally {
      this.depth--;
    }
  }

  close(): void {
    this.db.close();
  }
}
