/**
 * Byte strings. Redis keys and values are byte strings; Hotslot holds them as JavaScript
 * "binary strings": one char per byte, every char code 0–255. They are compact in V8
 * (one byte per char), usable as Map keys, compare like memcmp, and slice/concat by byte.
 * This file owns the conversions between binary strings and bytes, UTF-8 text and base64,
 * and the C-string view of a binary string.
 * (TextDecoder("latin1") is windows-1252 per WHATWG, so it cannot be used here.)
 *
 * Speed matters here: every argument of every command goes through bytesToBinary and
 * every reply through writeBinary. ASCII (the common case) takes the native TextDecoder /
 * TextEncoder paths, which are several times faster than char-by-char code.
 */

const fromCharCode = String.fromCharCode;
/** Pure-ASCII runs of text decode identically as UTF-8 and as bytes. */
const asciiDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const utf8Decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();
const NON_ASCII = /[^\x00-\x7f]/;
/** Chunk for fromCharCode.apply: well under engines' argument-count limits. */
const APPLY_CHUNK = 8192;

/**
 * Up to 12 bytes: fromCharCode with explicit arguments. Below 13 chars V8 copies on
 * concatenation instead of building a rope, so the result is one flat string.
 */
function shortToBinary(b: Uint8Array, s: number, n: number): string {
  let head = "";
  if (n >= 8) {
    head = fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    s += 8;
    n -= 8;
  }
  switch (n) {
    case 0:
      return head;
    case 1:
      return head + fromCharCode(b[s]);
    case 2:
      return head + fromCharCode(b[s], b[s + 1]);
    case 3:
      return head + fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return head + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return head + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return head + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    default:
      return head + fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
  }
}

/** Any bytes, by fromCharCode.apply over chunks (a flat string per chunk). */
function applyToBinary(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= APPLY_CHUNK) return fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let s = "";
  for (let i = start; i < end; i += APPLY_CHUNK) {
    s += fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + APPLY_CHUNK)) as unknown as number[]);
  }
  return s;
}

/** Reused argument list: apply over a plain array of small ints is V8's fastest path. */
const scratch: number[] = [];

/** 13–48 bytes: one flat string from fromCharCode.apply. */
function mediumToBinary(b: Uint8Array, s: number, n: number): string {
  scratch.length = n;
  for (let i = 0; i < n; i++) scratch[i] = b[s + i];
  return fromCharCode.apply(null, scratch);
}

/** Bytes → binary string (one char per byte). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= 12) return shortToBinary(bytes, start, n);
  if (n <= 48) return mediumToBinary(bytes, start, n);
  // Longer: try the native UTF-8 decoder, which equals the bytes when they are all ASCII.
  // A quick look at the first bytes sends evidently binary data straight to the slow path.
  const probeEnd = start + 16;
  for (let i = start; i < probeEnd; i++) if (bytes[i] > 0x7f) return applyToBinary(bytes, start, end);
  const text = asciiDecoder.decode(bytes.subarray(start, end));
  // Every non-ASCII byte decodes to a char above 0x7f (a sequence or U+FFFD), so a text of
  // n chars all below 0x80 came from n ASCII bytes.
  if (text.length === n && !NON_ASCII.test(text)) return text;
  return applyToBinary(bytes, start, end);
}

/** Writes a binary string's bytes into `out` at `offset`; returns the offset after it. */
export function writeBinary(s: string, out: Uint8Array, offset: number): number {
  const n = s.length;
  if (n >= 128 && !NON_ASCII.test(s)) {
    // ASCII: UTF-8 encoding is the identity, and the native encoder is a bulk copy.
    encoder.encodeInto(s, out.subarray(offset, offset + n));
    return offset + n;
  }
  for (let i = 0; i < n; i++) out[offset + i] = s.charCodeAt(i);
  return offset + n;
}

/** Binary string → bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  writeBinary(s, out, 0);
  return out;
}

/** Unicode text → binary string of its UTF-8 bytes (lone surrogates become U+FFFD). */
export function utf8ToBinary(text: string): string {
  return NON_ASCII.test(text) ? bytesToBinary(encoder.encode(text)) : text;
}

/**
 * Binary string → Unicode text, decoding UTF-8 (invalid sequences become U+FFFD). A
 * leading byte-order mark is kept as U+FEFF: it is part of the value, not a signature.
 */
export function binaryToUtf8(s: string): string {
  return NON_ASCII.test(s) ? utf8Decoder.decode(binaryToBytes(s)) : s;
}

/** Binary string → base64 text (standard alphabet, padded). */
export function binaryToBase64(s: string): string {
  return btoa(s);
}

/**
 * Base64 text → binary string; throws on malformed input. As atob (WHATWG forgiving
 * base64): ASCII whitespace is ignored and padding may be left out.
 */
export function base64ToBinary(b64: string): string {
  return atob(b64);
}

/**
 * A binary string as C sees it: up to its first NUL byte. Redis compares option names with
 * strcasecmp, parses numbers with strtod/strtoul and prints with %s, all of which stop
 * there ("nx\0junk" is NX to Redis).
 */
export function cstr(s: string): string {
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}
