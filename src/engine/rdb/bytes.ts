/**
 * Byte buffers for the RDB codec: a growable writer and a bounds-checked reader, with the
 * little- and big-endian integers, IEEE doubles and binary strings (one char per byte,
 * see src/util/binary.ts) that RDB, listpack, ziplist and intset are made of.
 *
 * The reader distinguishes two failures: `RdbTruncated` (the input ended early — a
 * streaming parser waits for more bytes) and `RdbCorrupt` (the bytes can never be valid).
 */
import { bytesToBinary, writeBinary } from "../../util/binary";

/** The input is not valid RDB (bad encoding, bad checksum, impossible length, …). */
export class RdbCorrupt extends Error {}

/** The input ended in the middle of a value: more bytes may complete it. */
export class RdbTruncated extends Error {
  constructor() {
    super("unexpected end of RDB data");
  }
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

export class ByteWriter {
  private buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** A binary string's bytes. */
  binary(s: string): void {
    this.room(s.length);
    this.length = writeBinary(s, this.buf, this.length);
  }

  u16le(v: number): void {
    this.room(2);
    this.buf[this.length++] = v & 0xff;
    this.buf[this.length++] = (v >>> 8) & 0xff;
  }

  u32le(v: number): void {
    this.room(4);
    const b = this.buf;
    let i = this.length;
    b[i++] = v & 0xff;
    b[i++] = (v >>> 8) & 0xff;
    b[i++] = (v >>> 16) & 0xff;
    b[i++] = (v >>> 24) & 0xff;
    this.length = i;
  }

  u32be(v: number): void {
    this.room(4);
    const b = this.buf;
    let i = this.length;
    b[i++] = (v >>> 24) & 0xff;
    b[i++] = (v >>> 16) & 0xff;
    b[i++] = (v >>> 8) & 0xff;
    b[i++] = v & 0xff;
    this.length = i;
  }

  /** A signed or unsigned 64-bit integer, little-endian (two's complement). */
  i64le(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.u32le(Number(u & 0xffffffffn));
    this.u32le(Number(u >> 32n));
  }

  /** A 64-bit integer given as a safe JS integer, little-endian. */
  i64leNumber(v: number): void {
    if (Number.isSafeInteger(v) && v >= 0) {
      this.u32le(v % 0x100000000);
      this.u32le(Math.floor(v / 0x100000000));
    } else {
      this.i64le(BigInt(v));
    }
  }

  /** A 64-bit unsigned integer, big-endian. */
  u64be(v: number): void {
    this.u32be(Math.floor(v / 0x100000000));
    this.u32be(v % 0x100000000);
  }

  f64le(v: number): void {
    f64[0] = v;
    this.room(8);
    // Platforms running Workers and Node are little-endian.
    this.buf.set(f64Bytes, this.length);
    this.length += 8;
  }

  /** Overwrites 4 bytes at `at` (a length field filled in afterwards). */
  patchU32le(at: number, v: number): void {
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
    this.buf[at + 2] = (v >>> 16) & 0xff;
    this.buf[at + 3] = (v >>> 24) & 0xff;
  }

  patchU16le(at: number, v: number): void {
    this.buf[at] = v & 0xff;
    this.buf[at + 1] = (v >>> 8) & 0xff;
  }

  /** The bytes written (a view: valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** Takes the bytes written and empties the writer (keeping its capacity). */
  take(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}

export class ByteReader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    /** Reading stops here (exclusive). */
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws RdbTruncated unless `n` more bytes are available. */
  need(n: number): void {
    if (this.end - this.pos < n) throw new RdbTruncated();
  }

  byte(): number {
    if (this.pos >= this.end) throw new RdbTruncated();
    return this.buf[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) throw new RdbTruncated();
    return this.buf[this.pos];
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` bytes as a binary string. */
  binary(n: number): string {
    this.need(n);
    const s = bytesToBinary(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  u16le(): number {
    this.need(2);
    const b = this.buf;
    const v = b[this.pos] | (b[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
  }

  u32be(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** A little-endian signed 64-bit integer. */
  i64le(): bigint {
    const lo = BigInt(this.u32le());
    const hi = BigInt(this.u32le());
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }

  /** A big-endian unsigned 64-bit integer, as a number (exact up to 2^53). */
  u64be(): number {
    const hi = this.u32be();
    const lo = this.u32be();
    return hi * 0x100000000 + lo;
  }

  f64le(): number {
    this.need(8);
    f64Bytes.set(this.buf.subarray(this.pos, this.pos + 8));
    this.pos += 8;
    return f64[0];
  }
}
