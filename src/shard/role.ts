/**
 * A shard's replication identity, persisted in its SQLite storage next to the log: the group
 * configuration it knows (epoch, primary, replicas), its replication id and offset, and the
 * previous replication id it may still serve partial resynchronisations for (after a
 * promotion, as Redis's replid2). The offset row is written in the same storage transaction
 * as the log rows it counts (the effect stream's commit), so offset and data never disagree
 * after a restart. A shard that was never configured assumes initialGroupConfig.
 */
import { initialGroupConfig, type GroupConfig } from "./group";

export interface RoleState {
  config: GroupConfig;
  /** The stream this object holds: its own (primary) or the one it follows (replica); "" = none (must resync in full). */
  replid: string;
  offset: number;
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
      offset: Number(rows.get("offset") ?? 0),
      replid2: rows.get("replid2") ?? "",
      replid2End: Number(rows.get("replid2End") ?? -1),
    };
  }

  /** Writes every field (a configuration change, a full resync). */
  save(s: RoleState): void {
    this.put("config", JSON.stringify(s.config));
    this.put("replid", s.replid);
    this.put("replid2", s.replid2);
    this.put("replid2End", String(s.replid2End));
    this.saveOffset(s.offset);
  }

  /** The offset alone: once per commit, in the commit's storage transaction. */
  saveOffset(offset: number): void {
    this.put("offset", String(offset));
  }

  private put(k: string, v: string): void {
    this.sql.exec("INSERT OR REPLACE INTO replication (k, v) VALUES (?, ?)", k, v);
  }
}
