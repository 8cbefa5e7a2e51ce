/**
 * LZF, the compression RDB uses for long strings (Marc Lehmann's liblzf, BSD-licensed,
 * as vendored in Redis: lzf_c.c / lzf_d.c with lzfP.h's settings HLOG 16, VERY_FAST).
 * The compressor follows liblzf's algorithm step for step — same hash, same match rules
 * (a match may start up to the last three bytes), same literal runs — so a string
 * compresses to the bytes redis-server 7.0 writes (checked against it on hundreds of
 * samples), and a DUMP payload from Hotslot is byte-identical to Redis's.
 *
 * One thing cannot be copied: Redis leaves liblzf's hash table uninitialised (INIT_HTAB
 * 0), so a stale entry from an earlier compression at the same address can, rarely, make
 * it pick a different (equally valid) back reference. Ours starts empty every time.
 *
 * Format: 000LLLLL + L+1 literal bytes; LLLooooo oooooooo = back reference of length
 * L+2 at offset o+1; 111ooooo LLLLLLLL oooooooo = back reference of length L+9.
 */
import { RdbCorrupt } from "./bytes";

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/**
 * Hash table of input positions, reused between calls. Entries hold `base + position`;
 * each call moves `base` past every value an earlier call stored, so older entries read
 * as empty without clearing 64K slots per call (a string of 30 bytes would otherwise pay
 * for a 256 KB fill). The result is as if the table started empty every time.
 */
const htab = new Int32Array(HSIZE);
let base = 0;
const BASE_LIMIT = 0x7fffffff - (1 << 30);

/** liblzf's IDX for VERY_FAST: h is a 32-bit value of the next three bytes. */
function idx(h: number): number {
  return ((h >>> (3 * 8 - HLOG)) - Math.imul(h, 5)) & (HSIZE - 1);
}

/**
 * Compresses `input` into at most `outLimit` bytes; returns null when the result would
 * not fit (liblzf returns 0 then, and Redis stores the string uncompressed).
 */
export function lzfCompress(input: Uint8Array, outLimit: number): Uint8Array | null {
  const inLen = input.length;
  if (inLen === 0 || outLimit <= 0) return null;
  const out = new Uint8Array(outLimit + 1);
  const outEnd = outLimit;
  if (base + inLen >= BASE_LIMIT) {
    htab.fill(0);
    base = 0;
  }
  // Positions are stored as base + 1 + ip, so 0 (and anything below base + 1) is empty.
  const b0 = base + 1;
  base += inLen + 1;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start a literal run
  let hval = ((input[0] << 8) | input[1]) >>> 0;
  while (ip < inLen - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = idx(hval);
    const ref = htab[slot] - b0;
    htab[slot] = b0 + ip;
    let off: number;
    if (
      ref >= 0 &&
      ref < ip &&
      (off = ip - ref - 1) < MAX_OFF &&
      ref > 0 &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      let maxlen = inLen - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      out[op - lit - 1] = lit - 1; // stop the literal run
      if (lit === 0) op--; // undo an empty run
      if (op + 3 + 1 >= outEnd) return null;
      // liblzf first compares up to 16 bytes unrolled, without the maxlen bound (it may
      // run one or two bytes past maxlen), then byte by byte up to maxlen.
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // the match is len + 2 bytes long
      ip++;
      if (len < 7) {
        out[op++] = (off >>> 8) + (len << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start a literal run
      ip += len + 1;
      if (ip >= inLen - 2) break;
      // VERY_FAST: hash the two positions before the new ip, then continue.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = b0 + ip;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[idx(hval)] = b0 + ip;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inLen) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end the run
  if (lit === 0) op--;
  return out.slice(0, op);
}

/** Decompresses LZF data that must expand to exactly `outLen` bytes. */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  const inLen = input.length;
  while (ip < inLen) {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++; // literal run of ctrl bytes
      if (op + ctrl > outLen) throw new RdbCorrupt("Invalid LZF compressed string");
      if (ip + ctrl > inLen) throw new RdbCorrupt("Invalid LZF compressed string");
      out.set(input.subarray(ip, ip + ctrl), op);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >>> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inLen) throw new RdbCorrupt("Invalid LZF compressed string");
      if (len === 7) {
        len += input[ip++];
        if (ip >= inLen) throw new RdbCorrupt("Invalid LZF compressed string");
      }
      ref -= input[ip++];
      len += 2;
      if (op + len > outLen || ref < 0) throw new RdbCorrupt("Invalid LZF compressed string");
      // Byte by byte: the reference may overlap the bytes being written (runs).
      for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  }
  if (op !== outLen) throw new RdbCorrupt("Invalid LZF compressed string");
  return out;
}
