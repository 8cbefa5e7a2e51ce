/**
 * Listpack, the packed encoding Redis 7.0 uses for small hashes and sorted sets and for
 * every quicklist node (listpack.c). Encoding follows lpAppend exactly — a string that
 * reads as a 64-bit integer (string2ll) is stored as the smallest integer encoding —
 * so the bytes equal Redis's for the same elements.
 *
 * Layout: total bytes (u32 LE), element count (u16 LE; 65535 = too many to count), the
 * entries, and 0xFF. Each entry is encoding+data followed by its "backlen": the size of
 * encoding+data in 1–5 bytes of 7 bits, readable right to left.
 */
import { parseInt64 } from "../../util/numbers";
import { ByteReader, ByteWriter, RdbCorrupt } from "./bytes";

const HEADER = 6;
const EOF_BYTE = 0xff;

/** Size of an entry's backlen for an encoding+data of `l` bytes. */
function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

function writeBacklen(w: ByteWriter, l: number): void {
  switch (backlenSize(l)) {
    case 1:
      w.byte(l);
      break;
    case 2:
      w.byte(l >>> 7);
      w.byte((l & 127) | 128);
      break;
    case 3:
      w.byte(l >>> 14);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
      break;
    case 4:
      w.byte(l >>> 21);
      w.byte(((l >>> 14) & 127) | 128);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
      break;
    default:
      w.byte(Math.floor(l / 2 ** 28));
      w.byte(((l >>> 21) & 127) | 128);
      w.byte(((l >>> 14) & 127) | 128);
      w.byte(((l >>> 7) & 127) | 128);
      w.byte((l & 127) | 128);
  }
}

/** Appends one element's entry (encoding, data, backlen); returns its full size. */
function writeEntry(w: ByteWriter, s: string): number {
  const start = w.length;
  const n = s.length <= 20 ? parseInt64(s) : null;
  if (n !== null) {
    // lpEncodeIntegerGetType: the smallest of the integer encodings that holds n.
    if (n >= 0n && n <= 127n) {
      w.byte(Number(n));
    } else if (n >= -4096n && n <= 4095n) {
      const v = Number(n < 0n ? (1n << 13n) + n : n);
      w.byte((v >>> 8) | 0xc0);
      w.byte(v & 0xff);
    } else if (n >= -32768n && n <= 32767n) {
      const v = Number(n < 0n ? (1n << 16n) + n : n);
      w.byte(0xf1);
      w.byte(v & 0xff);
      w.byte(v >>> 8);
    } else if (n >= -8388608n && n <= 8388607n) {
      const v = Number(n < 0n ? (1n << 24n) + n : n);
      w.byte(0xf2);
      w.byte(v & 0xff);
      w.byte((v >>> 8) & 0xff);
      w.byte(v >>> 16);
    } else if (n >= -2147483648n && n <= 2147483647n) {
      w.byte(0xf3);
      w.u32le(Number(BigInt.asUintN(32, n)));
    } else {
      w.byte(0xf4);
      w.i64le(n);
    }
  } else {
    const len = s.length;
    if (len < 64) {
      w.byte(0x80 | len);
    } else if (len < 4096) {
      w.byte(0xe0 | (len >>> 8));
      w.byte(len & 0xff);
    } else {
      w.byte(0xf0);
      w.u32le(len);
    }
    w.binary(s);
  }
  const l = w.length - start;
  writeBacklen(w, l);
  return w.length - start;
}

/** The listpack holding `elements` in order, as lpAppend builds it. */
export function encodeListpack(elements: Iterable<string>): Uint8Array {
  const w = new ByteWriter(64);
  w.u32le(0);
  w.u16le(0);
  let count = 0;
  for (const e of elements) {
    writeEntry(w, e);
    count++;
  }
  w.byte(EOF_BYTE);
  w.patchU32le(0, w.length);
  w.patchU16le(4, count < 65535 ? count : 65535);
  return w.toBytes();
}

/** Bytes one element adds to a listpack (its entry, backlen included). */
export function listpackEntrySize(s: string): number {
  const w = scratch;
  w.length = 0;
  return writeEntry(w, s);
}
const scratch = new ByteWriter(64);

/** Bytes of an empty listpack (header and end byte). */
export const LISTPACK_EMPTY_BYTES = HEADER + 1;

/**
 * The elements of a listpack, integers written as decimal strings (as lpGet returns
 * them). Checks the header, every entry's bounds and backlen, the count and the end byte
 * (lpValidateIntegrity with deep checking); throws RdbCorrupt on any mismatch.
 */
export function decodeListpack(bytes: Uint8Array): string[] {
  if (bytes.length < HEADER + 1) throw new RdbCorrupt("listpack too short");
  const r = new ByteReader(bytes);
  const total = r.u32le();
  const declared = r.u16le();
  if (total !== bytes.length) throw new RdbCorrupt("listpack size mismatch");
  const out: string[] = [];
  const end = bytes.length - 1;
  if (bytes[end] !== EOF_BYTE) throw new RdbCorrupt("listpack without end byte");
  try {
    while (r.pos < end) {
      const start = r.pos;
      const b = r.byte();
      let value: string;
      if (b < 0x80) {
        value = String(b);
      } else if ((b & 0xc0) === 0x80) {
        value = r.binary(b & 0x3f);
      } else if ((b & 0xe0) === 0xc0) {
        let v = ((b & 0x1f) << 8) | r.byte();
        if (v >= 1 << 12) v -= 1 << 13;
        value = String(v);
      } else if ((b & 0xf0) === 0xe0) {
        value = r.binary(((b & 0x0f) << 8) | r.byte());
      } else {
        switch (b) {
          case 0xf0:
            value = r.binary(r.u32le());
            break;
          case 0xf1: {
            let v = r.u16le();
            if (v >= 1 << 15) v -= 1 << 16;
            value = String(v);
            break;
          }
          case 0xf2: {
            let v = r.byte() | (r.byte() << 8) | (r.byte() << 16);
            if (v >= 1 << 23) v -= 1 << 24;
            value = String(v);
            break;
          }
          case 0xf3:
            value = String(r.u32le() | 0);
            break;
          case 0xf4:
            value = String(r.i64le());
            break;
          default:
            throw new RdbCorrupt("bad listpack entry encoding");
        }
      }
      const l = r.pos - start;
      const size = backlenSize(l);
      if (r.pos + size > end) throw new RdbCorrupt("listpack entry overflows");
      // The backlen must say l (it lets Redis walk the listpack backwards).
      let back = 0;
      for (let k = 0; k < size; k++) back = back * 128 + (bytes[r.pos + k] & 127);
      if (back !== l) throw new RdbCorrupt("listpack backlen mismatch");
      r.pos += size;
      out.push(value);
    }
  } catch (e) {
    if (e instanceof RdbCorrupt) throw e;
    throw new RdbCorrupt("listpack entry overflows");
  }
  if (r.pos !== end) throw new RdbCorrupt("listpack entry overflows");
  if (declared !== 65535 && declared !== out.length) throw new RdbCorrupt("listpack count mismatch");
  return out;
}
