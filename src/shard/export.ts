/**
 * Admin exports (GET /admin/export, src/router/admin.ts): the shard's keyspace as it is at
 * the start, as RDB key records (no header or end: the router assembles one file from every
 * shard's records), pulled piece by piece. Each export is a SnapshotJob whose output is held
 * here until pulled; copy-on-write keeps it the image of its moment while writes go on. An
 * export nobody pulls from for EXPORT_IDLE_MS is dropped.
 */
import type { Keyspace } from "../engine/keyspace";
import { SnapshotJob } from "./snapshot-job";

/** An export nobody pulls from for this long is dropped. */
const EXPORT_IDLE_MS = 60_000;

interface Export {
  job: SnapshotJob;
  /** Output produced and not pulled yet. */
  parts: Uint8Array[];
  lastPull: number;
  /** A whole RDB file (a replica's full resync), ended when walked; else key records only. */
  whole: boolean;
}

export class ShardExports {
  private readonly exports = new Map<string, Export>();
  private seq = 0;

  constructor(
    private readonly db: Keyspace,
    /** Output bytes walked per step while a pull fills its piece. */
    private readonly stepBytes: number,
    /** Called whenever the set of walks under way changes (copy-on-write follows it). */
    private readonly changed: () => void,
  ) {}

  /** The walks under way, for copy-on-write. */
  jobs(): SnapshotJob[] {
    return [...this.exports.values()].map((e) => e.job);
  }

  /**
   * Starts an export of the keyspace as it is now. Abandoned exports expire. With
   * `settingsAux` it is a whole file, as a snapshot (header, settings, scripts, function
   * libraries, hash field TTLs, end): what a replica's full resync loads.
   */
  start(now = Date.now(), settingsAux: string | null = null): { id: string; keys: number; expires: number } {
    this.dropIdle(now);
    const id = `${now.toString(36)}-${++this.seq}`;
    const parts: Uint8Array[] = [];
    const job = new SnapshotJob(0, "bgsave", now, 0, 0, this.db, { ...this.db.settings }, settingsAux, (bytes) => parts.push(bytes));
    this.exports.set(id, { job, parts, lastPull: now, whole: settingsAux !== null });
    this.changed();
    return { id, keys: this.db.size, expires: this.db.expiresCount };
  }

  /** The next piece of an export (about `maxBytes`); `done` once all has been pulled. */
  pull(id: string, maxBytes: number, now = Date.now()): { bytes: Uint8Array; done: boolean } {
    const e = this.exports.get(id);
    if (!e) throw new Error(`no export ${id} (finished, or abandoned for ${EXPORT_IDLE_MS / 1000} s)`);
    e.lastPull = now;
    let size = e.parts.reduce((n, p) => n + p.length, 0);
    while (size < maxBytes && !e.job.done) {
      e.job.step(Math.min(this.stepBytes, maxBytes - size));
      e.job.flush();
      size = e.parts.reduce((n, p) => n + p.length, 0);
    }
    if (e.job.done && e.whole) {
      e.job.finish();
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
      this.changed();
    }
    return { bytes, done };
  }

  private dropIdle(now: number): void {
    for (const [id, e] of this.exports) if (now - e.lastPull > EXPORT_IDLE_MS) this.exports.delete(id);
    this.changed();
  }
}
