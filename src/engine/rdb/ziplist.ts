/**
 * The older packed encodings Redis 7.0 still loads from RDB files and RESTORE payloads
 * written by earlier versions (read only; Redis 7.0 never writes them):
 * - ziplist (ziplist.c): lists, hashes and sorted sets before 7.0;
 * - zipmap (zipmap.c): hashes before 2.6.
 * And the intset (intset.c), which Redis 7.0 still writes for small integer sets.
 */
import { ByteReader, ByteWriter, RdbCorrupt, RdbTruncated } from "./bytes";

/** Runs `read`, turning running off the end of the blob into corruption. */
function within<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RdbTruncated) throw new RdbCorrupt(`${what} entry overflows`);
    throw e;
  }
}

// --- ziplist ---------------------------------------------------------------------------

/**
 * The elements of a ziplist, integers as decimal strings. Layout: zlbytes (u32 LE),
 * zltail (u32 LE), zllen (u16 LE), entries (prevlen, encoding, data), 0xFF.
 */
export function decodeZiplist(bytes: Uint8Array): string[] {
  if (bytes.length < 11) throw new RdbCorrupt("ziplist too short");
  const r = new ByteReader(bytes);
  const total = r.u32le();
  const tail = r.u32le();
  const declared = r.u16le();
  if (total !== bytes.length || bytes[bytes.length - 1] !== 0xff) throw new RdbCorrupt("ziplist size mismatch");
  if (tail >= bytes.length) throw new RdbCorrupt("ziplist tail offset out of range");
  const end = bytes.length - 1;
  const out: string[] = [];
  let prevSize = 0;
  within("ziplist", () => {
    const inner = new ByteReader(bytes, 10, end);
    while (inner.pos < end) {
      const start = inner.pos;
      let prevlen = inner.byte();
      if (prevlen === 0xfe) prevlen = inner.u32le();
      else if (prevlen === 0xff) throw new RdbCorrupt("bad ziplist prevlen");
      if (prevlen !== prevSize) throw new RdbCorrupt("ziplist prevlen mismatch");
      const enc = inner.byte();
      const kind = enc >>> 6;
      let value: string;
      if (kind === 0) {
        value = inner.binary(enc & 0x3f);
      } else if (kind === 1) {
        value = inner.binary(((enc & 0x3f) << 8) | inner.byte());
      } else if (kind === 2) {
        if (enc !== 0x80) throw new RdbCorrupt("bad ziplist encoding");
        value = inner.binary(inner.u32be());
      } else {
        switch (enc) {
          case 0xc0: {
            let v = inner.u16le();
            if (v >= 1 << 15) v -= 1 << 16;
            value = String(v);
            break;
          }
          case 0xd0:
            value = String(inner.u32le() | 0);
            break;
          case 0xe0:
            value = String(inner.i64le());
            break;
          case 0xf0: {
            let v = inner.byte() | (inner.byte() << 8) | (inner.byte() << 16);
            if (v >= 1 << 23) v -= 1 << 24;
            value = String(v);
            break;
          }
          case 0xfe: {
            let v = inner.byte();
            if (v >= 128) v -= 256;
            value = String(v);
            break;
          }
          default:
            // 1111xxxx: an immediate 0..12 stored as xxxx - 1 (xxxx in 0001..1101).
            if (enc >= 0xf1 && enc <= 0xfd) value = String((enc & 0x0f) - 1);
            else throw new RdbCorrupt("bad ziplist encoding");
        }
      }
      prevSize = inner.pos - start;
      out.push(value);
    }
  });
  if (declared !== 65535 && declared !== out.length) throw new RdbCorrupt("ziplist count mismatch");
  return out;
}

// --- zipmap ----------------------------------------------------------------------------

/**
 * A zipmap's field/value pairs. Layout: a count byte, then per pair: field length,
 * field, value length, a "free" byte, value, free padding; then 0xFF. A length is one
 * byte below 254, or 254 followed by a u32 LE.
 */
export function decodeZipmap(bytes: Uint8Array): [string, string][] {
  const out: [string, string][] = [];
  within("zipmap", () => {
    const r = new ByteReader(bytes);
    r.byte(); // count (unreliable past 253)
    const len = () => {
      const b = r.byte();
      if (b < 254) return b;
      if (b === 254) return r.u32le();
      throw new RdbCorrupt("bad zipmap length");
    };
    for (;;) {
      if (r.peek() === 0xff) {
        r.byte();
        break;
      }
      const field = r.binary(len());
      const vlen = len();
      const free = r.byte();
      const value = r.binary(vlen);
      r.bytes(free);
      out.push([field, value]);
    }
    if (r.remaining !== 0) throw new RdbCorrupt("zipmap has trailing bytes");
  });
  return out;
}

// --- intset ----------------------------------------------------------------------------

/** Smallest intset element width (2, 4 or 8 bytes) holding every member. */
function intsetWidth(members: readonly bigint[]): number {
  let width = 2;
  for (const m of members) {
    if (m < -2147483648n || m > 2147483647n) return 8;
    if (m < -32768n || m > 32767n) width = 4;
  }
  return width;
}

/**
 * The intset of `members` (distinct 64-bit integers): encoding width (u32 LE), count
 * (u32 LE), then the members ascending, little-endian — as intsetAdd leaves it.
 */
export function encodeIntset(members: readonly bigint[]): Uint8Array {
  const sorted = [...members].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const width = intsetWidth(sorted);
  const w = new ByteWriter(8 + width * sorted.length);
  w.u32le(width);
  w.u32le(sorted.length);
  for (const m of sorted) {
    if (width === 2) w.u16le(Number(BigInt.asUintN(16, m)));
    else if (width === 4) w.u32le(Number(BigInt.asUintN(32, m)));
    else w.i64le(m);
  }
  return w.toBytes();
}

/** An intset's members as decimal strings; checks the header, size and strict order. */
export function decodeIntset(bytes: Uint8Array): string[] {
  if (bytes.length < 8) throw new RdbCorrupt("intset too short");
  const r = new ByteReader(bytes);
  const width = r.u32le();
  const count = r.u32le();
  if (width !== 2 && width !== 4 && width !== 8) throw new RdbCorrupt("bad intset encoding");
  if (8 + width * count !== bytes.length) throw new RdbCorrupt("intset size mismatch");
  if (count === 0) throw new RdbCorrupt("empty intset");
  const out: string[] = [];
  let prev: bigint | null = null;
  for (let i = 0; i < count; i++) {
    let v: bigint;
    if (width === 2) {
      let x = r.u16le();
      if (x >= 1 << 15) x -= 1 << 16;
      v = BigInt(x);
    } else if (width === 4) {
      v = BigInt(r.u32le() | 0);
    } else {
      v = r.i64le();
    }
    if (prev !== null && v <= prev) throw new RdbCorrupt("intset not sorted");
    prev = v;
    out.push(String(v));
  }
  return out;
}
