/**
 * Whole RDB files in and out of the cluster, over the router's shard interfaces (so it
 * runs in Node tests as in the Worker; src/router/admin.ts serves it over HTTP):
 *
 * - `rdbFile`: one RDB file (version 10) from every shard's export — the header and AUX
 *   fields, SELECTDB 0 with the total key count, each shard's key records as it hands
 *   them out, EOF and the CRC-64 of it all — produced piece by piece, never whole.
 * - `importRdb`: an RDB file read as it arrives; each key becomes a RESTORE … REPLACE
 *   (with ABSTTL for a TTL) sent to the shard owning its slot, in batches. No record is
 *   buffered past the bounds (src/engine/rdb/bounds.ts): a string over MAX_VALUE_BYTES,
 *   or a key whose value would decode to more (a RESTORE payload is one argument, so it
 *   could not be sent anyway), stops the import as soon as its declared length is read.
 *   Whatever stops it, the error says how many keys were imported before.
 */
import { RdbTooLarge, type DecodeBounds } from "../engine/rdb/bounds";
import { RdbCorrupt } from "../engine/rdb/bytes";
import { crc64Bytes, crc64Update, type Crc64 } from "../engine/rdb/crc64";
import { createDumpPayload } from "../engine/rdb/dump";
import { RDB_OPCODE, RdbFileReader, RdbFileWriter } from "../engine/rdb/file";
import { RdbUnsupported } from "../engine/rdb/object";
import { defaultSettings } from "../engine/settings";
import { isError, type Reply } from "../protocol/reply";
import { bytesToBinary } from "../util/binary";
import { REDIS_VERSION } from "../version";
import type { ShardPool } from "./dispatch";

/** Bytes asked of a shard per export pull: a few milliseconds of its time. */
export const EXPORT_PULL_BYTES = 512 * 1024;
/** RESTORE commands go to a shard in batches of about this many payload bytes. */
const IMPORT_BATCH_BYTES = 1024 * 1024;
/** MAX_VALUE_BYTES's default (src/config.ts), for callers that pass none. */
const DEFAULT_IMPORT_VALUE_BYTES = 16 * 1024 * 1024;

/** One shard's export: its key records, pulled piece by piece. */
export interface ExportSource {
  readonly keys: number;
  readonly expires: number;
  pull(maxBytes: number): Promise<{ bytes: Uint8Array; done: boolean }>;
}

/** The RDB file holding every source's keys, in pieces. */
export async function* rdbFile(sources: readonly ExportSource[], now = Date.now()): AsyncGenerator<Uint8Array> {
  const header = new RdbFileWriter(defaultSettings());
  header.aux("redis-ver", REDIS_VERSION);
  header.aux("redis-bits", "64");
  header.aux("ctime", String(Math.floor(now / 1000)));
  header.aux("used-mem", "0");
  header.aux("aof-base", "0");
  const keys = sources.reduce((n, s) => n + s.keys, 0);
  // As Redis, an empty database gets no SELECTDB.
  if (keys > 0) header.selectDb(0, keys, sources.reduce((n, s) => n + s.expires, 0));
  let crc: Crc64 = [0, 0];
  const first = header.take();
  crc = crc64Update(crc, first);
  yield first;
  for (const source of sources) {
    for (;;) {
      const { bytes, done } = await source.pull(EXPORT_PULL_BYTES);
      if (bytes.length > 0) {
        crc = crc64Update(crc, bytes);
        yield bytes;
      }
      if (done) break;
    }
  }
  const eof = new Uint8Array([RDB_OPCODE.EOF]);
  crc = crc64Update(crc, eof);
  const tail = new Uint8Array(9);
  tail.set(eof);
  tail.set(crc64Bytes(crc), 1);
  yield tail;
}

export interface ImportCounts {
  /** Keys restored. */
  keys: number;
  /** Keys skipped because their TTL had passed (Redis skips them when it loads, too). */
  expired: number;
  /** Keys of databases other than 0 (Hotslot has one), skipped. */
  otherDatabases: number;
  /** Redis 7 functions in the file, skipped. */
  functions: number;
  /** The first few RESTORE errors, as "key: error". */
  errors: string[];
}

/** The file could not be read to its end: what was imported before, and why it stopped. */
export class ImportFailed extends Error {
  constructor(
    message: string,
    readonly counts: ImportCounts,
  ) {
    super(message);
  }
}

/**
 * Loads an RDB file, read as it arrives, into the shards. `maxValueBytes` bounds each
 * string and each key's decoded value. Throws ImportFailed.
 */
export async function importRdb(
  pool: Pick<ShardPool, "exec" | "slots">,
  body: AsyncIterable<Uint8Array>,
  clock: () => number = Date.now,
  maxValueBytes = DEFAULT_IMPORT_VALUE_BYTES,
): Promise<ImportCounts> {
  const settings = defaultSettings();
  const bounds: DecodeBounds = { maxStringBytes: maxValueBytes, maxObjectBytes: maxValueBytes, complete: false };
  const counts: ImportCounts = { keys: 0, expired: 0, otherDatabases: 0, functions: 0, errors: [] };
  const batches = new Map<number, { cmds: string[][]; bytes: number }>();

  const send = async (shard: number) => {
    const b = batches.get(shard);
    if (!b) return;
    batches.delete(shard);
    const replies: Reply[] = await pool.exec(shard, b.cmds);
    replies.forEach((r, i) => {
      if (!isError(r)) counts.keys++;
      else if (counts.errors.length < 10) counts.errors.push(`${b.cmds[i][1].slice(0, 100)}: ${r.message}`);
    });
  };
  const sendAll = async () => {
    for (const shard of [...batches.keys()]) await send(shard);
  };

  const reader = new RdbFileReader(settings, bounds);
  const drain = async () => {
    // A value Hotslot cannot hold (a stream) throws RdbUnsupported: the file cannot be
    // read past it, since only a parser of that type knows where it ends.
    for (let rec = reader.next(); rec; rec = reader.next()) {
      if (rec.kind === "function") counts.functions++;
      if (rec.kind !== "key") continue;
      if (rec.db !== 0) {
        counts.otherDatabases++;
        continue;
      }
      if (rec.expireAt !== undefined && rec.expireAt <= clock()) {
        counts.expired++;
        continue;
      }
      const payload = bytesToBinary(createDumpPayload(rec.value, settings));
      const cmd = ["RESTORE", rec.key, rec.expireAt !== undefined ? String(rec.expireAt) : "0", payload, "REPLACE"];
      if (rec.expireAt !== undefined) cmd.push("ABSTTL");
      const shard = pool.slots.shardOfKey(rec.key);
      let b = batches.get(shard);
      if (!b) batches.set(shard, (b = { cmds: [], bytes: 0 }));
      b.cmds.push(cmd);
      b.bytes += payload.length + rec.key.length;
      if (b.bytes >= IMPORT_BATCH_BYTES) await send(shard);
    }
  };

  try {
    for await (const piece of body) {
      reader.push(piece);
      await drain();
    }
    reader.finish();
    await drain();
    if (!reader.complete) throw new RdbCorrupt("the file ends before its EOF marker");
    await sendAll();
  } catch (e) {
    // The keys read before the failure still go in (unless sending is what failed).
    if (e instanceof RdbCorrupt || e instanceof RdbUnsupported || e instanceof RdbTooLarge) await sendAll().catch(() => {});
    throw new ImportFailed(`${importError(e)} (${counts.keys} keys were imported before it)`, counts);
  }
  return counts;
}

/** Why an import stopped, as an error text. */
function importError(e: unknown): string {
  if (e instanceof RdbCorrupt || e instanceof RdbUnsupported) return `ERR invalid RDB file: ${e.message}`;
  if (e instanceof RdbTooLarge) return `ERR RDB import stopped: a record declares ${e.message} of MAX_VALUE_BYTES`;
  // A shard that failed, or anything else: still reported with the counts.
  return `ERR RDB import failed: ${e instanceof Error ? e.message : String(e)}`;
}
