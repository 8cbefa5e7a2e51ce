/**
 * Byte strings. Redis keys and values are byte strings; Hotslot holds them as JavaScript
 * "binary strings": one char per byte, every char code 0–255. They are compact in V8
 * (one byte per char), usable as Map keys, compare like memcmp, and slice/concat by byte.
 * This file owns the conversions between binary strings and bytes, UTF-8 text and base64.
 * (TextDecoder("latin1") is windows-1252 per WHATWG, so it cannot be used here.)
 */

const CHUNK = 8192;

/** Bytes → binary string (one char per byte). */
export function bytesToBinary(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const n = end - start;
  if (n <= 0) return "";
  if (n <= 64) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
    return s;
  }
  let s = "";
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return s;
}

/** Writes a binary string's bytes into `out` at `offset`; returns the offset after it. */
export function writeBinary(s: string, out: Uint8Array, offset: number): number {
  for (let i = 0; i < s.length; i++) out[offset + i] = s.charCodeAt(i);
  return offset + s.length;
}

/** Binary string → bytes. */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  writeBinary(s, out, 0);
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8");

/** True when every char is ASCII, so the text and its binary form are the same string. */
function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Unicode text → binary string of its UTF-8 bytes. */
export function utf8ToBinary(text: string): string {
  return isAscii(text) ? text : bytesToBinary(encoder.encode(text));
}

/** Binary string → Unicode text, decoding UTF-8 (invalid sequences become U+FFFD). */
export function binaryToUtf8(s: string): string {
  return isAscii(s) ? s : decoder.decode(binaryToBytes(s));
}

/** Binary string → base64 text. */
export function binaryToBase64(s: string): string {
  return btoa(s);
}

/** Base64 text → binary string; throws on malformed input. */
export function base64ToBinary(b64: string): string {
  return atob(b64);
}
