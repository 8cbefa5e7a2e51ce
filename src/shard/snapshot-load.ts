/**
 * Loading a snapshot back into the keyspace (recovery, DEBUG RELOAD): its chunks are read
 * in order, each checksum verified (SnapshotStore.readChunk), and fed to the streaming RDB
 * reader, a budget of bytes at a time so recovery can yield to the event loop. An
 * unreadable stream or one that ends before its EOF marker is SnapshotCorrupt.
 */
import { HashValue } from "../engine/hash";
import type { Keyspace } from "../engine/keyspace";
import { RdbCorrupt, RdbTruncated } from "../engine/rdb/bytes";
import { RdbFileReader } from "../engine/rdb/file";
import { RdbUnsupported } from "../engine/rdb/object";
import { fromRdbValue } from "../engine/rdb/values";
import { FIELD_TTLS_AUX, FUNCTION_AUX, SCRIPT_AUX, SETTINGS_AUX } from "./snapshot-job";
import { functionStoreOf } from "../commands/functions";
import { scriptCacheOf } from "../commands/scripting";
import { SnapshotCorrupt, type SnapshotMeta, type SnapshotStore } from "./snapshot-store";

/** A snapshot being loaded chunk by chunk into the keyspace. */
export class SnapshotLoader {
  private readonly reader: RdbFileReader;
  private next = 0;
  keys = 0;

  constructor(
    private readonly meta: SnapshotMeta,
    private readonly store: SnapshotStore,
    private readonly db: Keyspace,
    private readonly applySettings: (json: string) => void,
  ) {
    this.reader = new RdbFileReader(db.settings);
  }

  /** Loads chunks until `budget` bytes are read; returns true when the snapshot is loaded. */
  step(budget: number): boolean {
    const { meta, reader } = this;
    try {
      let read = 0;
      while (this.next < meta.chunks && read < budget) {
        const chunk = this.store.readChunk(meta.id, this.next++);
        reader.push(chunk);
        this.drain();
        read += chunk.length;
      }
      if (this.next < meta.chunks) return false;
      reader.finish();
      this.drain();
    } catch (e) {
      if (e instanceof RdbCorrupt || e instanceof RdbTruncated || e instanceof RdbUnsupported) {
        throw new SnapshotCorrupt(`snapshot ${meta.id} is unreadable: ${e.message}`);
      }
      throw e;
    }
    if (!reader.complete) throw new SnapshotCorrupt(`snapshot ${meta.id} ends before its EOF marker`);
    return true;
  }

  private drain(): void {
    for (let rec = this.reader.next(); rec; rec = this.reader.next()) {
      if (rec.kind === "aux" && rec.key === SETTINGS_AUX) this.applySettings(rec.value);
      else if (rec.kind === "aux" && rec.key === FIELD_TTLS_AUX) this.applyFieldTtls(rec.value);
      else if (rec.kind === "aux" && rec.key === SCRIPT_AUX) scriptCacheOf(this.db).load(rec.value);
      else if (rec.kind === "aux" && rec.key === FUNCTION_AUX) functionStoreOf(this.db).load(rec.value, true, 0);
      else if (rec.kind === "key") {
        this.db.set(rec.key, fromRdbValue(rec.value, this.db.settings));
        if (rec.expireAt !== undefined) this.db.setExpire(rec.key, rec.expireAt);
        this.keys++;
      }
    }
  }

  /**
   * The field TTLs of the hash just loaded (FIELD_TTLS_AUX, see snapshot-job.ts). Times
   * already past are kept: the keyspace reclaims those fields as it would have.
   */
  private applyFieldTtls(json: string): void {
    let flat: unknown;
    try {
      flat = JSON.parse(json);
    } catch {
      throw new RdbCorrupt(`bad ${FIELD_TTLS_AUX} field`);
    }
    if (!Array.isArray(flat) || flat.length % 2 !== 1 || typeof flat[0] !== "string") {
      throw new RdbCorrupt(`bad ${FIELD_TTLS_AUX} field`);
    }
    const key = flat[0];
    const expireOnRead = this.db.expireOnRead;
    this.db.expireOnRead = false;
    try {
      const hash = this.db.peek(key);
      if (!(hash instanceof HashValue)) throw new RdbCorrupt(`${FIELD_TTLS_AUX} for '${key}', which is not a hash`);
      for (let i = 1; i < flat.length; i += 2) {
        const [field, at] = [flat[i], flat[i + 1]];
        if (typeof field !== "string" || typeof at !== "number") throw new RdbCorrupt(`bad ${FIELD_TTLS_AUX} field`);
        if (hash.has(field)) hash.setFieldExpire(field, at);
      }
      this.db.keyWritten(key, hash);
    } finally {
      this.db.expireOnRead = expireOnRead;
    }
  }
}
