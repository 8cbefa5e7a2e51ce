/**
 * Upgrading a shard's SQLite tables in place: a database written by an earlier version is
 * brought to the current schema when the object starts (the log's and the snapshot's
 * replication-offset columns), so no deployment has to be wiped to upgrade.
 */

/** Adds `column` (a definition: name and type) to `table` when a database from before it lacks it. */
export function addColumnIfMissing(sql: SqlStorage, table: string, column: string): void {
  const name = column.split(" ")[0];
  for (const c of sql.exec<{ name: string }>(`PRAGMA table_info(${table})`)) if (c.name === name) return;
  sql.exec(`ALTER TABLE ${table} ADD COLUMN ${column}`);
}
