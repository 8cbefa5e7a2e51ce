/**
 * A shard's replication identity, persisted in its SQLite storage next to the log: the group
 * configuration it knows (epoch, primary, replicas), its replication id, and the previous
 * replication id it may still serve partial resynchronisations for (after a promotion, as
 * Redis's replid2). These change rarely (a role change, a full resync, a promotion) and are
 * written only then. A shard that was never configured assumes initialGroupConfig.
 *
 * The replication offset is not here: it is derived from what the log and the snapshot hold
 * (ShardPersistence.streamOffset), written with the rows it counts, so no commit writes a
 * statement of its own for it and offset and data never disagree after a restart (issue 10).
 * Databases written before that kept it here, as an `offset` row updated by every commit;
 * recovery still reads that row when neither the log nor the snapshot records an offset
 * (`legacyStreamOffset`).
 */
import { initialGroupConfig, type GroupConfig } from "./group";

export interface RoleState {
  config: GroupConfig;
  /** The stream this object holds: its own (primary) or the one it follows (replica); "" = none (must resync in full). */
  replid: string;
  /** The stream it followed before its promotion, valid up to `replid2End` (partial resync for its old peers). */
  replid2: string;
  replid2End: number;
}

/** A fresh 40-hex-digit replication id, as Redis's. */
export function newReplid(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The offset a database from before issue 10 kept in the replication table (every commit
 * wrote it, in the commit's transaction), or null when there is no such row.
 */
export function legacyStreamOffset(sql: SqlStorage): number | null {
  const table = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'replication'").one();
  if (table.n === 0) return null;
  const rows = sql.exec<{ v: string }>("SELECT v FROM replication WHERE k = 'offset'").toArray();
  return rows.length === 0 ? null : Number(rows[0].v);
}

export class RoleStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS replication (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
  }

  /** The persisted state, or the initial one (the group's first layout, a new stream). */
  load(group: number, replicas: number): RoleState {
    const rows = new Map<string, string>();
    for (const r of this.sql.exec<{ k: string; v: string }>("SELECT k, v FROM replication")) rows.set(r.k, r.v);
    const config = rows.has("config") ? (JSON.parse(rows.get("config")!) as GroupConfig) : initialGroupConfig(group, replicas);
    return {
      config,
      replid: rows.get("replid") ?? "",
      replid2: rows.get("replid2") ?? "",
      replid2End: Number(rows.get("replid2End") ?? -1),
    };
  }

  /** Writes every field (a configuration change, a full resync, a promotion): never per commit. */
  save(s: RoleState): void {
    this.put("config", JSON.stringify(s.config));
    this.put("replid", s.replid);
    this.put("replid2", s.replid2);
    this.put("replid2End", String(s.replid2End));
  }

  private put(k: string, v: string): void {
    this.sql.exec("INSERT OR REPLACE INTO replication (k, v) VALUES (?, ?)", k, v);
  }
}
