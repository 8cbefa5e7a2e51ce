/**
 * HyperLogLog values in Redis 7.0's own representation (hyperloglog.c), so the strings
 * Hotslot stores are byte for byte those redis-server stores for the same inserts, and
 * move between the two by DUMP/RESTORE or RDB unchanged:
 *
 * - a 16-byte header: "HYLL", the encoding (0 dense, 1 sparse), 3 unused bytes, and the
 *   cached cardinality as a little-endian uint64 whose top bit marks it invalid;
 * - dense: 16384 registers of 6 bits, least significant bits first (12288 bytes);
 * - sparse: run-length opcodes ZERO (00xxxxxx: 1–64 zero registers), XZERO (01xxxxxx
 *   yyyyyyyy: 1–16384 zero registers) and VAL (1vvvvvxx: 1–4 registers of value 1–32).
 *
 * The element hash is MurmurHash64A with seed 0xadc83b19, computed in 32-bit halves: the
 * low 14 bits pick the register, the run of zero bits above them (plus one, at most 51)
 * is the value. The estimator is Otmar Ertl's (Redis 7.0's hllCount): the register
 * histogram through hllTau/hllSigma.
 *
 * A value being changed lives in an `HllBuffer` (bytes with room to grow, the byte past the
 * end always 0, as the NUL after an sds string that Redis reads at the edges). Everything
 * that reads untrusted bytes stays within bounds and reports corruption instead of throwing.
 */
import { bytesToBinary } from "../util/binary";

// --- layout ------------------------------------------------------------------------------

export const HLL_REGISTERS = 16384;
const HLL_P = 14;
const HLL_P_MASK = HLL_REGISTERS - 1;
/** 64 - HLL_P: the value of a register is at most HLL_Q + 1. */
const HLL_Q = 50;
const HLL_REGISTER_MAX = 63;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + (HLL_REGISTERS * 6) / 8;
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
/** Offset of the encoding byte and of the cached cardinality in the header. */
const ENCODING_AT = 4;
const CARD_AT = 8;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;

// --- validating a stored string -----------------------------------------------------------

/**
 * Whether a string value holds an HLL (Redis's isHLLObjectOrReply): at least a header,
 * the magic, a known encoding, and exactly the dense size when dense. A sparse value's
 * opcodes are only checked when read (corruption is reported then).
 */
export function isHllString(s: string): boolean {
  if (s.length < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 0x48 || s.charCodeAt(1) !== 0x59 || s.charCodeAt(2) !== 0x4c || s.charCodeAt(3) !== 0x4c) return false;
  const enc = s.charCodeAt(ENCODING_AT);
  if (enc > HLL_SPARSE) return false;
  return enc !== HLL_DENSE || s.length === HLL_DENSE_SIZE;
}

export function encodingOf(s: string): number {
  return s.charCodeAt(ENCODING_AT);
}

/** The cached cardinality of a valid HLL string, or null when the cache is invalid. */
export function cachedCardinality(s: string): number | bigint | null {
  const top = s.charCodeAt(CARD_AT + 7);
  if (top & 0x80) return null;
  let lo = 0;
  for (let i = 3; i >= 0; i--) lo = lo * 256 + s.charCodeAt(CARD_AT + i);
  let hi = 0;
  for (let i = 7; i >= 4; i--) hi = hi * 256 + s.charCodeAt(CARD_AT + i);
  if (hi < 0x200000) return hi * 2 ** 32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** `s` (a valid HLL string) with `card` written as its cached cardinality (valid). */
export function withCachedCardinality(s: string, card: number): string {
  let bytes = "";
  let v = card;
  for (let i = 0; i < 8; i++) {
    bytes += String.fromCharCode(v % 256);
    v = Math.floor(v / 256);
  }
  return s.slice(0, CARD_AT) + bytes + s.slice(CARD_AT + 8);
}

// --- the hash ------------------------------------------------------------------------------

// MurmurHash64A's multiplier 0xc6a4a7935bd1e995, in halves.
const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const SEED_LO = 0xadc83b19;

/** The result of mul64 (a module-level pair, so hashing allocates nothing). */
let mulHi = 0;
let mulLo = 0;

/** (ah:al) * (bh:bl) mod 2^64 into mulHi:mulLo, exactly, with 16-bit partial products. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  mulLo = (((mid & 0xffff) << 16) | (p00 & 0xffff)) >>> 0;
  const carry = a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  mulHi = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** Hash results: high and low 32 bits of the last `murmur64` call. */
let hashHi = 0;
let hashLo = 0;

/** MurmurHash64A (seed 0xadc83b19) of a binary string, into hashHi:hashLo. */
function murmur64(s: string): void {
  const len = s.length;
  mul64(0, len, M_HI, M_LO);
  let hh = mulHi;
  let hl = (mulLo ^ SEED_LO) >>> 0;
  const blocks = len - (len & 7);
  for (let i = 0; i < blocks; i += 8) {
    const kl = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24)) >>> 0;
    const kh = (s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24)) >>> 0;
    mul64(kh, kl, M_HI, M_LO);
    // k ^= k >> 47: only the high word's top 17 bits reach the low word.
    mul64(mulHi, (mulLo ^ (mulHi >>> 15)) >>> 0, M_HI, M_LO);
    hh = (hh ^ mulHi) >>> 0;
    hl = (hl ^ mulLo) >>> 0;
    mul64(hh, hl, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  const rest = len & 7;
  if (rest > 0) {
    // The tail bytes, little-endian, as the switch's fall-through XORs them in.
    for (let j = rest - 1; j >= 0; j--) {
      const b = s.charCodeAt(blocks + j);
      if (j >= 4) hh ^= b << (8 * (j - 4));
      else hl ^= b << (8 * j);
    }
    mul64(hh >>> 0, hl >>> 0, M_HI, M_LO);
    hh = mulHi;
    hl = mulLo;
  }
  hl = (hl ^ (hh >>> 15)) >>> 0;
  mul64(hh, hl, M_HI, M_LO);
  hashHi = mulHi;
  hashLo = (mulLo ^ (mulHi >>> 15)) >>> 0;
}

/** The 64-bit MurmurHash64A of `s` (seed 0xadc83b19), for tests. */
export function hllHash(s: string): bigint {
  murmur64(s);
  return (BigInt(hashHi) << 32n) | BigInt(hashLo);
}

/** Count of trailing zero bits of a non-zero 32-bit value. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * The register an element updates and the value it offers (Redis's hllPatLen): the low
 * 14 bits of the hash, and 1 + the number of zero bits above them (bit 50 of the shifted
 * hash is forced on, so at most 51). Packed as index * 64 + count.
 */
export function elementRegister(s: string): number {
  murmur64(s);
  const index = hashLo & HLL_P_MASK;
  const lo = ((hashLo >>> HLL_P) | (hashHi << (32 - HLL_P))) >>> 0;
  const count = lo !== 0 ? ctz32(lo) + 1 : ctz32((hashHi >>> HLL_P) | (1 << (HLL_Q - 32))) + 33;
  return index * 64 + count;
}

// --- a value being read or changed --------------------------------------------------------

/** An HLL's bytes with room to grow: `len` bytes used, bytes[len] always 0. */
export class HllBuffer {
  constructor(
    public bytes: Uint8Array,
    public len: number,
  ) {}

  static fromString(s: string, room = 0): HllBuffer {
    const bytes = new Uint8Array(s.length + 1 + room);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    return new HllBuffer(bytes, s.length);
  }

  /** A new, empty HLL as PFADD creates it: sparse, one XZERO of 16384, cache 0 and valid. */
  static empty(): HllBuffer {
    const b = new HllBuffer(new Uint8Array(64), HLL_HDR_SIZE + 2);
    b.bytes.set([0x48, 0x59, 0x4c, 0x4c, HLL_SPARSE]);
    setXzero(b.bytes, HLL_HDR_SIZE, HLL_REGISTERS);
    return b;
  }

  get encoding(): number {
    return this.bytes[ENCODING_AT];
  }

  toString(): string {
    return bytesToBinary(this.bytes, 0, this.len);
  }

  /** Marks the cached cardinality invalid (HLL_INVALIDATE_CACHE). */
  invalidateCache(): void {
    this.bytes[CARD_AT + 7] |= 0x80;
  }

  /** Makes sure `extra` more bytes (and the 0 after them) fit. */
  reserve(extra: number): void {
    if (this.len + extra + 1 <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.len + extra + 1, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.len));
    this.bytes = grown;
  }
}

// --- dense registers -------------------------------------------------------------------------

/** Register `i` of the dense registers starting at `at` (reads the byte after, as Redis). */
function denseGet(b: Uint8Array, at: number, i: number): number {
  const bit = i * 6;
  const byte = at + (bit >>> 3);
  const fb = bit & 7;
  return ((b[byte] >>> fb) | (b[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSet(b: Uint8Array, at: number, i: number, v: number): void {
  const bit = i * 6;
  const byte = at + (bit >>> 3);
  const fb = bit & 7;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | (v << fb);
  b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >>> (8 - fb))) | (v >>> (8 - fb));
}

/** Register `i` of a dense HLL string, read without copying it. */
export function denseRegisterOf(s: string, i: number): number {
  const bit = i * 6;
  const byte = HLL_HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  // Past the last byte reads 0, as the NUL after Redis's string.
  const next = byte + 1 < s.length ? s.charCodeAt(byte + 1) : 0;
  return ((s.charCodeAt(byte) >>> fb) | (next << (8 - fb))) & HLL_REGISTER_MAX;
}

/**
 * PFADD's registers set in a dense HLL string by splicing the two bytes each change
 * touches (V8 joins the pieces lazily, then flattens with one native copy), rather than
 * copying 12 KB to bytes and back. The cache is invalidated when anything changed.
 */
export function denseAddToString(s: string, packed: readonly number[]): string {
  let out = s;
  let changed = false;
  for (const p of packed) {
    const i = p >>> 6;
    const count = p & 63;
    if (denseRegisterOf(out, i) >= count) continue;
    const bit = i * 6;
    const byte = HLL_HDR_SIZE + (bit >>> 3);
    const fb = bit & 7;
    const b0 = (out.charCodeAt(byte) & ~(HLL_REGISTER_MAX << fb) & 0xff) | ((count << fb) & 0xff);
    if (byte + 1 < out.length) {
      const b1 = (out.charCodeAt(byte + 1) & ~(HLL_REGISTER_MAX >>> (8 - fb))) | (count >>> (8 - fb));
      out = out.slice(0, byte) + String.fromCharCode(b0, b1) + out.slice(byte + 2);
    } else {
      out = out.slice(0, byte) + String.fromCharCode(b0);
    }
    changed = true;
  }
  if (!changed) return s;
  const top = out.charCodeAt(CARD_AT + 7) | 0x80;
  return out.slice(0, CARD_AT + 7) + String.fromCharCode(top) + out.slice(CARD_AT + 8);
}

// --- sparse opcodes ----------------------------------------------------------------------------

const isZero = (op: number) => (op & 0xc0) === 0;
const isXzero = (op: number) => (op & 0xc0) === 0x40;
const zeroLen = (op: number) => (op & 0x3f) + 1;
const xzeroLen = (b: Uint8Array, p: number) => (((b[p] & 0x3f) << 8) | b[p + 1]) + 1;
const valValue = (op: number) => ((op >>> 2) & 0x1f) + 1;
const valLen = (op: number) => (op & 0x3) + 1;
const valOp = (value: number, len: number) => 0x80 | ((value - 1) << 2) | (len - 1);

function setXzero(b: Uint8Array, p: number, len: number): void {
  const l = len - 1;
  b[p] = (l >>> 8) | 0x40;
  b[p + 1] = l & 0xff;
}

/** Appends the opcodes for a run of `len` zero registers (one ZERO or one XZERO). */
function pushZeros(seq: number[], len: number): void {
  if (len > SPARSE_ZERO_MAX_LEN) seq.push(((len - 1) >>> 8) | 0x40, (len - 1) & 0xff);
  else seq.push(len - 1);
}

/**
 * The sparse HLL in `h` as a dense one (hllSparseToDense): the header is kept (magic,
 * unused bytes, cached cardinality), the encoding becomes dense. False (and `h` unchanged)
 * when the opcodes do not cover exactly 16384 registers.
 */
export function sparseToDense(h: HllBuffer): boolean {
  if (h.encoding === HLL_DENSE) return true;
  const src = h.bytes;
  const dense = new Uint8Array(HLL_DENSE_SIZE + 1);
  dense.set(src.subarray(0, HLL_HDR_SIZE));
  dense[ENCODING_AT] = HLL_DENSE;
  let idx = 0;
  for (let p = HLL_HDR_SIZE; p < h.len; ) {
    const op = src[p];
    if (isZero(op)) {
      idx += zeroLen(op);
      p++;
    } else if (isXzero(op)) {
      idx += xzeroLen(src, p);
      p += 2;
    } else {
      const runlen = valLen(op);
      const v = valValue(op);
      // Past the last register: corrupt (redis-server 7.0 refuses it even when the
      // registers before it add up to exactly 16384).
      if (runlen + idx > HLL_REGISTERS) return false;
      for (let k = 0; k < runlen; k++) denseSet(dense, HLL_HDR_SIZE, idx++, v);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  h.bytes = dense;
  h.len = HLL_DENSE_SIZE;
  return true;
}

/**
 * Sets register `index` to `count` when that is larger (hllSparseSet / hllDenseSet):
 * 1 when it changed, 0 when not, -1 when the sparse opcodes are corrupt. A sparse HLL
 * is promoted to dense when `count` is above 32 or the result would pass `maxBytes`
 * (hll-sparse-max-bytes). The sparse result is the one Redis's in-place edit leaves,
 * adjacent equal VAL opcodes merged over the same window of opcodes.
 */
export function setRegister(h: HllBuffer, index: number, count: number, maxBytes: number): number {
  if (h.encoding === HLL_DENSE) {
    if (denseGet(h.bytes, HLL_HDR_SIZE, index) >= count) return 0;
    denseSet(h.bytes, HLL_HDR_SIZE, index, count);
    return 1;
  }
  if (count > SPARSE_VAL_MAX_VALUE) return promoteAndSet(h, index, count);
  h.reserve(3);
  const b = h.bytes;
  const sparse = HLL_HDR_SIZE;
  let end = h.len;
  // Step 1: the opcode covering `index`.
  let p = sparse;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if (isZero(op)) span = zeroLen(op);
    else if (!isXzero(op)) span = valLen(op);
    else {
      span = xzeroLen(b, p);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  const zero = isZero(op);
  const xzero = isXzero(op);
  const next = xzero ? p + 2 : p + 1;
  const runlen = zero ? zeroLen(op) : xzero ? xzeroLen(b, p) : valLen(op);

  let done = false;
  if (!zero && !xzero) {
    if (valValue(op) >= count) return 0;
    if (runlen === 1) {
      b[p] = valOp(count, 1);
      done = true;
    }
  }
  if (!done && zero && runlen === 1) {
    b[p] = valOp(count, 1);
    done = true;
  }
  if (!done) {
    // Step 2: split the opcode around the register.
    const seq: number[] = [];
    const last = first + span - 1;
    if (zero || xzero) {
      if (index !== first) pushZeros(seq, index - first);
      seq.push(valOp(count, 1));
      if (index !== last) pushZeros(seq, last - index);
    } else {
      const cur = valValue(op);
      if (index !== first) seq.push(valOp(cur, index - first));
      seq.push(valOp(count, 1));
      if (index !== last) seq.push(valOp(cur, last - index));
    }
    // Step 3: replace the old opcode by the sequence.
    const delta = seq.length - (xzero ? 2 : 1);
    if (delta > 0 && h.len + delta > maxBytes) return promoteAndSet(h, index, count);
    if (delta !== 0 && next < end) b.copyWithin(next + delta, next, end);
    for (let k = 0; k < seq.length; k++) b[p + k] = seq[k];
    end += delta;
    h.len = end;
    b[end] = 0;
  }
  // Step 4: merge adjacent VAL opcodes of equal value, over up to 5 opcodes from prev.
  p = prev >= 0 ? prev : sparse;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const o = b[p];
    if (isXzero(o)) {
      p += 2;
      continue;
    }
    if (isZero(o)) {
      p++;
      continue;
    }
    if (p + 1 < end && !isZero(b[p + 1]) && !isXzero(b[p + 1])) {
      const v = valValue(o);
      if (v === valValue(b[p + 1])) {
        const len = valLen(o) + valLen(b[p + 1]);
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v, len);
          b.copyWithin(p, p + 1, end + 1);
          end--;
          h.len = end;
          b[end] = 0;
          continue;
        }
      }
    }
    p++;
  }
  h.invalidateCache();
  return 1;
}

function promoteAndSet(h: HllBuffer, index: number, count: number): number {
  if (!sparseToDense(h)) return -1;
  denseSet(h.bytes, HLL_HDR_SIZE, index, count);
  return 1;
}

// --- merging and counting ----------------------------------------------------------------------

/**
 * max[i] = MAX(max[i], register i) over a valid HLL string (hllMerge). False when a sparse
 * HLL's opcodes do not cover exactly 16384 registers.
 */
export function mergeInto(max: Uint8Array, s: string): boolean {
  if (encodingOf(s) === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseRegisterOf(s, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  let i = 0;
  const end = s.length;
  for (let p = HLL_HDR_SIZE; p < end; ) {
    const op = s.charCodeAt(p);
    if (isZero(op)) {
      i += zeroLen(op);
      p++;
    } else if (isXzero(op)) {
      const low = p + 1 < end ? s.charCodeAt(p + 1) : 0;
      i += (((op & 0x3f) << 8) | low) + 1;
      p += 2;
    } else {
      let runlen = valLen(op);
      const v = valValue(op);
      if (runlen + i > HLL_REGISTERS) return false;
      while (runlen-- > 0) {
        if (v > max[i]) max[i] = v;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

/** The register histogram of a valid HLL string; null when its sparse opcodes are corrupt. */
export function histogramOf(s: string): Int32Array | null {
  const histo = new Int32Array(64);
  if (encodingOf(s) === HLL_DENSE) {
    // 4 registers in every 3 bytes.
    for (let at = HLL_HDR_SIZE; at < HLL_DENSE_SIZE; at += 3) {
      const b0 = s.charCodeAt(at);
      const b1 = s.charCodeAt(at + 1);
      const b2 = s.charCodeAt(at + 2);
      histo[b0 & 63]++;
      histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
      histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
      histo[b2 >>> 2]++;
    }
    return histo;
  }
  let idx = 0;
  const end = s.length;
  for (let p = HLL_HDR_SIZE; p < end; ) {
    const op = s.charCodeAt(p);
    let runlen: number;
    if (isZero(op)) {
      runlen = zeroLen(op);
      histo[0] += runlen;
      p++;
    } else if (isXzero(op)) {
      const low = p + 1 < end ? s.charCodeAt(p + 1) : 0;
      runlen = (((op & 0x3f) << 8) | low) + 1;
      histo[0] += runlen;
      p += 2;
    } else {
      runlen = valLen(op);
      histo[valValue(op)] += runlen;
      p++;
    }
    idx += runlen;
  }
  return idx === HLL_REGISTERS ? histo : null;
}

/** The histogram of raw registers (one byte each), as PFCOUNT of several keys counts. */
export function histogramOfRegisters(max: Uint8Array): Int32Array {
  const histo = new Int32Array(64);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]]++;
  return histo;
}

/** hllSigma of Ertl's estimator. */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let zPrime: number;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** hllTau of Ertl's estimator. */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let zPrime: number;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** 0.5 / ln(2): the estimator's alpha for m → infinity. */
const HLL_ALPHA_INF = 0.721347520444481703680;

/** The cardinality estimate from a register histogram (Redis 7.0's hllCount). */
export function estimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  // llroundl: halves away from zero (the estimate is never negative).
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

// --- PFDEBUG's views --------------------------------------------------------------------------

/** PFDEBUG DECODE: the opcodes of a sparse HLL string, as "z:3 Z:100 v:2,1". */
export function decodeSparse(s: string): string {
  const parts: string[] = [];
  const end = s.length;
  for (let p = HLL_HDR_SIZE; p < end; ) {
    const op = s.charCodeAt(p);
    if (isZero(op)) {
      parts.push(`z:${zeroLen(op)}`);
      p++;
    } else if (isXzero(op)) {
      const low = p + 1 < end ? s.charCodeAt(p + 1) : 0;
      parts.push(`Z:${(((op & 0x3f) << 8) | low) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(op)},${valLen(op)}`);
      p++;
    }
  }
  return parts.join(" ");
}

/** All 16384 registers of a dense HLL buffer. */
export function denseRegisters(h: HllBuffer): number[] {
  const out = new Array<number>(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(h.bytes, HLL_HDR_SIZE, i);
  return out;
}

/** Sets every register of `h` to at least max[i] (PFMERGE's write into its destination). */
export function writeMax(h: HllBuffer, max: Uint8Array, maxBytes: number): void {
  for (let i = 0; i < HLL_REGISTERS; i++) {
    if (max[i] !== 0) setRegister(h, i, max[i], maxBytes);
  }
}

// --- PFSELFTEST -------------------------------------------------------------------------------

/**
 * PFSELFTEST's checks, scaled to a shard's CPU budget: dense registers keep what is set
 * without disturbing their neighbours; sparse and dense agree and stay within six standard
 * errors of the true count at each power of ten up to `upTo`. Null on success, else the
 * failure text (after "TESTFAILED ").
 */
export function selfTest(random: () => number, cycles: number, upTo: number, maxBytes: number): string | null {
  const dense = new HllBuffer(new Uint8Array(HLL_DENSE_SIZE + 1), HLL_DENSE_SIZE);
  const expected = new Uint8Array(HLL_REGISTERS);
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(random() * 64);
      expected[i] = r;
      denseSet(dense.bytes, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(dense.bytes, HLL_HDR_SIZE, i);
      if (v !== expected[i]) return `Register ${i} should be ${expected[i]} but is ${v}`;
    }
  }
  dense.bytes.fill(0);
  dense.bytes.set([0x48, 0x59, 0x4c, 0x4c, HLL_DENSE]);
  const sparse = HllBuffer.empty();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const seed = Math.floor(random() * 2 ** 32);
  let checkpoint = 1;
  for (let j = 1; j <= upTo; j++) {
    const ele = `${j ^ seed}:${j}`;
    const packed = elementRegister(ele);
    setRegister(dense, packed >>> 6, packed & 63, maxBytes);
    if (setRegister(sparse, packed >>> 6, packed & 63, maxBytes) < 0) return "sparse encoding corrupted";
    if (j !== checkpoint) continue;
    if (j < maxBytes / 2 && sparse.encoding !== HLL_SPARSE) return "sparse encoding not used";
    const a = estimate(histogramOf(dense.toString())!);
    const sparseHisto = histogramOf(sparse.toString());
    if (sparseHisto === null || estimate(sparseHisto) !== a) return "dense/sparse disagree";
    const maxerr = j === 10 ? 1 : Math.ceil(relerr * 6 * j);
    if (Math.abs(j - a) > maxerr) return `Too big error. card:${j} abserr:${Math.abs(j - a)}`;
    checkpoint *= 10;
  }
  return null;
}
