/**
 * CRC-64 as Redis computes it for RDB files and DUMP payloads (crc64.c): the "Jones"
 * polynomial 0xad93d23594c935a9, reflected input and output, initial value 0, no final
 * xor. Check value: crc64("123456789") = 0xe9c6d914c4b8d9ca.
 *
 * JavaScript has no fast 64-bit integers, so the CRC is kept as two 32-bit halves and the
 * tables are split likewise. Slicing-by-8 (eight tables, eight bytes per step) keeps a
 * 64 MB snapshot's checksum to a fraction of a second.
 */

/** The reflected Jones polynomial (bit-reversed 0xad93d23594c935a9). */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/**
 * tables[k] = [hi, lo] halves for slice k. Int32Array keeps every value a 32-bit integer
 * in V8 (a Uint32Array element above 2^31 would be a heap number), which keeps the inner
 * loop on integer operations.
 */
const HI: Int32Array[] = [];
const LO: Int32Array[] = [];

function buildTables(): void {
  const hi0 = new Int32Array(256);
  const lo0 = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let hi = 0;
    let lo = i;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | ((hi & 1) << 31);
      hi = hi >>> 1;
      if (carry) {
        hi ^= POLY_HI;
        lo ^= POLY_LO;
      }
    }
    hi0[i] = hi;
    lo0[i] = lo;
  }
  HI.push(hi0);
  LO.push(lo0);
  for (let k = 1; k < 8; k++) {
    const ph = HI[k - 1];
    const pl = LO[k - 1];
    const h = new Int32Array(256);
    const l = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      // Shift the previous slice's entry one more byte through the CRC.
      const idx = pl[i] & 0xff;
      l[i] = ((pl[i] >>> 8) | ((ph[i] & 0xff) << 24)) ^ lo0[idx];
      h[i] = (ph[i] >>> 8) ^ hi0[idx];
    }
    HI.push(h);
    LO.push(l);
  }
}
buildTables();

/** A running CRC-64: [hi, lo] halves. */
export type Crc64 = [hi: number, lo: number];

/** Continues `crc` over `bytes[start, end)`. */
export function crc64Update(crc: Crc64, bytes: Uint8Array, start = 0, end = bytes.length): Crc64 {
  let hi = crc[0] | 0;
  let lo = crc[1] | 0;
  let i = start;
  const [H0, H1, H2, H3, H4, H5, H6, H7] = HI;
  const [L0, L1, L2, L3, L4, L5, L6, L7] = LO;
  const b = bytes;
  const end8 = end - 7;
  while (i < end8) {
    const a = lo ^ (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24));
    const c = hi ^ (b[i + 4] | (b[i + 5] << 8) | (b[i + 6] << 16) | (b[i + 7] << 24));
    lo = L7[a & 0xff] ^ L6[(a >>> 8) & 0xff] ^ L5[(a >>> 16) & 0xff] ^ L4[a >>> 24] ^ L3[c & 0xff] ^ L2[(c >>> 8) & 0xff] ^ L1[(c >>> 16) & 0xff] ^ L0[c >>> 24];
    hi = H7[a & 0xff] ^ H6[(a >>> 8) & 0xff] ^ H5[(a >>> 16) & 0xff] ^ H4[a >>> 24] ^ H3[c & 0xff] ^ H2[(c >>> 8) & 0xff] ^ H1[(c >>> 16) & 0xff] ^ H0[c >>> 24];
    i += 8;
  }
  for (; i < end; i++) {
    const idx = (lo ^ b[i]) & 0xff;
    lo = ((lo >>> 8) | ((hi & 0xff) << 24)) ^ L0[idx];
    hi = (hi >>> 8) ^ H0[idx];
  }
  return [hi >>> 0, lo >>> 0];
}

/** CRC-64 of `bytes`, from 0. */
export function crc64(bytes: Uint8Array, start = 0, end = bytes.length): Crc64 {
  return crc64Update([0, 0], bytes, start, end);
}

/** The 8 little-endian bytes Redis writes after an RDB file or DUMP payload. */
export function crc64Bytes(crc: Crc64): Uint8Array {
  const out = new Uint8Array(8);
  const [hi, lo] = crc;
  for (let k = 0; k < 4; k++) {
    out[k] = (lo >>> (8 * k)) & 0xff;
    out[4 + k] = (hi >>> (8 * k)) & 0xff;
  }
  return out;
}

/** True when the 8 bytes at `bytes[at]` are `crc` in Redis's little-endian layout. */
export function crc64Matches(crc: Crc64, bytes: Uint8Array, at: number): boolean {
  const want = crc64Bytes(crc);
  for (let k = 0; k < 8; k++) if (bytes[at + k] !== want[k]) return false;
  return true;
}

/** The CRC as 16 hex digits (tests, logs). */
export function crc64Hex(crc: Crc64): string {
  return crc[0].toString(16).padStart(8, "0") + crc[1].toString(16).padStart(8, "0");
}
