/**
 * Whole RDB files (rdb.c's rdbSaveRio / rdbLoadRio): "REDIS" and a 4-digit version, AUX
 * fields, SELECTDB / RESIZEDB, then one record per key (optional EXPIRETIME_MS, IDLE and
 * FREQ opcodes, the object type, the key, the object), EOF and the CRC-64 of all before.
 *
 * Both directions stream: the writer hands out its bytes in pieces as they are produced
 * (a snapshot is stored in chunks, an export is sent as a stream), keeping a running CRC;
 * the reader takes bytes in pieces (snapshot chunks, an upload) and yields whole records.
 */
import { DecodeBudget, UNBOUNDED, type DecodeBounds } from "./bounds";
import { ByteReader, ByteWriter, RdbCorrupt, RdbTruncated } from "./bytes";
import { crc64Bytes, crc64Update, type Crc64 } from "./crc64";
import { ByteBuffer } from "../../util/byte-buffer";
import {
  isObjectType,
  objectType,
  RDB_VERSION,
  readLength,
  readObject,
  readString,
  writeLength,
  writeObjectBody,
  writeString,
  type EncodingSettings,
  type RdbValue,
} from "./object";

/** Opcodes (rdb.h). */
export const RDB_OPCODE = {
  FUNCTION2: 245,
  FUNCTION: 246,
  MODULE_AUX: 247,
  IDLE: 248,
  FREQ: 249,
  AUX: 250,
  RESIZEDB: 251,
  EXPIRETIME_MS: 252,
  EXPIRETIME: 253,
  SELECTDB: 254,
  EOF: 255,
} as const;

const MAGIC = "REDIS";

// --- writing ---------------------------------------------------------------------------

export class RdbFileWriter {
  private readonly w = new ByteWriter(64 * 1024);
  private crc: Crc64 = [0, 0];
  /** Bytes handed out so far. */
  written = 0;

  /**
   * `header`: start with "REDIS0010" (false for a piece of a file whose header and end
   * are written by someone else, as an export assembles shards' parts).
   */
  constructor(
    private readonly settings: EncodingSettings,
    header = true,
  ) {
    if (header) this.w.binary(`${MAGIC}${String(RDB_VERSION).padStart(4, "0")}`);
  }

  /** An AUX field (rdbSaveAuxField). */
  aux(key: string, value: string): void {
    this.w.byte(RDB_OPCODE.AUX);
    writeString(this.w, key);
    writeString(this.w, value);
  }

  /** SELECTDB and RESIZEDB, before a database's keys. */
  selectDb(db: number, keys: number, expires: number): void {
    this.w.byte(RDB_OPCODE.SELECTDB);
    writeLength(this.w, db);
    this.w.byte(RDB_OPCODE.RESIZEDB);
    writeLength(this.w, keys);
    writeLength(this.w, expires);
  }

  /** One key with its value and absolute expiry (ms), as rdbSaveKeyValuePair. */
  key(key: string, value: RdbValue, expireAt?: number): void {
    if (expireAt !== undefined) {
      this.w.byte(RDB_OPCODE.EXPIRETIME_MS);
      this.w.i64leNumber(expireAt);
    }
    this.w.byte(objectType(value));
    writeString(this.w, key);
    writeObjectBody(this.w, value, this.settings);
  }

  /** EOF and the checksum: the file is complete. */
  end(): void {
    this.w.byte(RDB_OPCODE.EOF);
    const body = this.w.view();
    const crc = crc64Update(this.crc, body);
    this.w.bytes(crc64Bytes(crc));
    this.crc = [0, 0];
    // The CRC bytes are not part of what the CRC covers: hand them out unhashed.
    const out = this.w.toBytes();
    this.pendingRaw = out;
    this.w.length = 0;
  }

  private pendingRaw: Uint8Array | null = null;

  /** Bytes produced since the last take (not yet handed out). */
  get buffered(): number {
    return this.w.length + (this.pendingRaw?.length ?? 0);
  }

  /** Hands out the bytes produced so far. */
  take(): Uint8Array {
    if (this.pendingRaw) {
      const out = this.pendingRaw;
      this.pendingRaw = null;
      this.written += out.length;
      return out;
    }
    const out = this.w.toBytes();
    this.crc = crc64Update(this.crc, out);
    this.w.length = 0;
    this.written += out.length;
    return out;
  }
}

// --- reading ---------------------------------------------------------------------------

type RdbRecord =
  | { kind: "aux"; key: string; value: string }
  | { kind: "selectdb"; db: number }
  | { kind: "resizedb"; keys: number; expires: number }
  | { kind: "key"; db: number; key: string; value: RdbValue; expireAt?: number; idleSeconds?: number; freq?: number }
  | { kind: "function"; code: string }
  | { kind: "eof" };

/**
 * A streaming RDB file parser: `push` bytes as they come, `next` returns the next whole
 * record, or null when more bytes are needed; `finish` says no more will come (a record
 * cut short is then corruption). The checksum is verified at EOF (0 means none, as Redis).
 */
export class RdbFileReader {
  private readonly input = new ByteBuffer(64 * 1024);
  private finished = false;
  /** After a record was cut short: don't retry until this many bytes are buffered. */
  private retryAt = 0;
  private crc: Crc64 = [0, 0];
  version = 0;
  private db = 0;
  private done = false;

  /**
   * `bounds`: each record's declared lengths are checked against them as they are read
   * (src/engine/rdb/bounds.ts), so a record declaring more fails at once with
   * RdbTooLarge instead of being buffered until it all arrives.
   */
  constructor(
    private readonly settings: EncodingSettings,
    private readonly bounds: DecodeBounds = UNBOUNDED,
  ) {}

  push(bytes: Uint8Array): void {
    this.input.append(bytes);
  }

  finish(): void {
    this.finished = true;
  }

  /** True once EOF and the checksum have been read. */
  get complete(): boolean {
    return this.done;
  }

  next(): RdbRecord | null {
    if (this.done) return null;
    const avail = this.input.length;
    if (!this.finished && avail < this.retryAt) return null;
    const r = new ByteReader(this.input.bytes, this.input.start, this.input.end);
    try {
      const record = this.version === 0 ? this.header(r) : this.record(r);
      this.consume(r.pos);
      this.retryAt = 0;
      return record;
    } catch (e) {
      if (!(e instanceof RdbTruncated)) throw e;
      if (this.finished) throw new RdbCorrupt("the RDB file ends in the middle of a record");
      // Wait for twice as much data before parsing this record again (linear overall).
      this.retryAt = Math.max(avail * 2, avail + 1);
      return null;
    }
  }

  private consume(to: number): void {
    if (!this.done) this.crc = crc64Update(this.crc, this.input.bytes, this.input.start, to);
    this.input.start = to;
  }

  private header(r: ByteReader): RdbRecord | null {
    const magic = r.binary(9);
    if (!magic.startsWith(MAGIC) || !/^\d{4}$/.test(magic.slice(5))) throw new RdbCorrupt("Wrong signature trying to load DB from file");
    const version = Number(magic.slice(5));
    if (version < 1 || version > RDB_VERSION) throw new RdbCorrupt(`Can't handle RDB format version ${version}`);
    this.version = version;
    this.consume(r.pos);
    return this.record(r);
  }

  private record(r: ByteReader): RdbRecord {
    const budget = new DecodeBudget(this.bounds);
    let expireAt: number | undefined;
    let idleSeconds: number | undefined;
    let freq: number | undefined;
    for (;;) {
      const op = r.byte();
      switch (op) {
        case RDB_OPCODE.EXPIRETIME_MS:
          expireAt = Number(r.i64le());
          continue;
        case RDB_OPCODE.EXPIRETIME:
          expireAt = (r.u32le() | 0) * 1000;
          continue;
        case RDB_OPCODE.IDLE:
          idleSeconds = readLength(r);
          continue;
        case RDB_OPCODE.FREQ:
          freq = r.byte();
          continue;
        case RDB_OPCODE.AUX:
          return { kind: "aux", key: readString(r, budget), value: readString(r, budget) };
        case RDB_OPCODE.SELECTDB:
          this.db = readLength(r);
          return { kind: "selectdb", db: this.db };
        case RDB_OPCODE.RESIZEDB:
          return { kind: "resizedb", keys: readLength(r), expires: readLength(r) };
        case RDB_OPCODE.FUNCTION2:
          return { kind: "function", code: readString(r, budget) };
        case RDB_OPCODE.FUNCTION:
        case RDB_OPCODE.MODULE_AUX:
          throw new RdbCorrupt(`unsupported RDB opcode ${op} (Redis modules or a pre-release function format)`);
        case RDB_OPCODE.EOF: {
          if (this.version >= 5) {
            // Checked against everything before the checksum itself.
            const expected = crc64Update(this.crc, this.input.bytes, this.input.start, r.pos);
            const stored = r.bytes(8);
            const zero = stored.every((b) => b === 0);
            const want = crc64Bytes(expected);
            if (!zero && !stored.every((b, i) => b === want[i])) throw new RdbCorrupt("Wrong RDB checksum");
          }
          this.done = true;
          return { kind: "eof" };
        }
        default: {
          if (!isObjectType(op)) throw new RdbCorrupt(`Unknown RDB type ${op}`);
          const key = readString(r, budget);
          const value = readObject(r, op, this.settings, budget);
          return { kind: "key", db: this.db, key, value, expireAt, idleSeconds, freq };
        }
      }
    }
  }
}
