/**
 * Binary strings (src/util/binary.ts): bytes ↔ binary strings for every byte value and
 * every size class the implementation treats differently (short, medium, ASCII fast path,
 * chunked), UTF-8 text ↔ binary strings, and base64.
 */
import { describe, expect, it } from "vitest";
import {
  base64ToBinary,
  binaryToBase64,
  binaryToBytes,
  binaryToUtf8,
  bytesToBinary,
  utf8ToBinary,
  writeBinary,
} from "../../src/util/binary";
import { seededFloats } from "../support/random";

/** The obvious one-char-per-byte conversion, as the reference. */
function naiveBinary(bytes: ArrayLike<number>): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Index of the first difference between two byte arrays, or -1 (toEqual is too slow for MBs). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
/** Lengths at and around every boundary between the implementation's paths. */
const LENGTHS = [0, 1, 2, 7, 8, 9, 12, 13, 16, 17, 47, 48, 49, 64, 127, 128, 129, 255, 256, 8191, 8192, 8193, 20000];

describe("bytesToBinary and binaryToBytes", () => {
  it("turn each of the 256 byte values into the char with that code and back", () => {
    for (let b = 0; b < 256; b++) {
      const s = bytesToBinary(Uint8Array.of(b));
      expect(s).toBe(String.fromCharCode(b));
      expect(Array.from(binaryToBytes(s))).toEqual([b]);
    }
  });

  it("round-trip all 256 byte values in one array, in order and reversed", () => {
    const s = bytesToBinary(ALL_BYTES);
    expect(s.length).toBe(256);
    for (let i = 0; i < 256; i++) expect(s.charCodeAt(i)).toBe(i);
    expect(binaryToBytes(s)).toEqual(ALL_BYTES);
    const reversed = ALL_BYTES.slice().reverse();
    expect(binaryToBytes(bytesToBinary(reversed))).toEqual(reversed);
  });

  it("match the one-char-per-byte reference for random binary and ASCII arrays of every length class", () => {
    const rand = seededFloats(1);
    for (const len of LENGTHS) {
      for (const ascii of [false, true]) {
        const bytes = Uint8Array.from({ length: len }, () => Math.floor(rand() * (ascii ? 128 : 256)));
        const s = bytesToBinary(bytes);
        expect(s).toBe(naiveBinary(bytes));
        expect(binaryToBytes(s)).toEqual(bytes);
      }
    }
  });

  it("keep a single non-ASCII byte at any position of a long ASCII run", () => {
    // Long runs first try the UTF-8 decoder; one high byte anywhere must send them back
    // to the byte-exact path, including past the first bytes it looks at.
    for (const high of [0x80, 0x9f, 0xa0, 0xc3, 0xef, 0xff]) {
      for (let pos = 0; pos < 100; pos++) {
        const bytes = new Uint8Array(100).fill(0x61);
        bytes[pos] = high;
        expect(bytesToBinary(bytes)).toBe(naiveBinary(bytes));
      }
    }
  });

  it("keep valid UTF-8 sequences and a byte-order mark as their separate bytes", () => {
    const ascii = "x".repeat(40);
    for (const seq of [[0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0xef, 0xbb, 0xbf]]) {
      for (const bytes of [[...seq, ...binaryToBytes(ascii)], [...binaryToBytes(ascii), ...seq]]) {
        const arr = Uint8Array.from(bytes);
        expect(bytesToBinary(arr)).toBe(naiveBinary(arr));
      }
    }
  });

  it("convert a start..end slice without touching the bytes around it", () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 255);
    for (const [start, end] of [[0, 0], [5, 5], [10, 11], [3, 15], [100, 160], [1, 299], [0, 300]]) {
      expect(bytesToBinary(bytes, start, end)).toBe(naiveBinary(bytes.subarray(start, end)));
    }
    expect(bytesToBinary(bytes, 10, 5)).toBe("");
  });

  it("round-trip a 5 MB array of every byte value", () => {
    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 131 + (i >> 8)) & 255;
    const s = bytesToBinary(big);
    expect(s.length).toBe(big.length);
    expect(s.charCodeAt(12345)).toBe(big[12345]);
    expect(s.slice(0, 300)).toBe(naiveBinary(big.subarray(0, 300)));
    expect(firstDifference(binaryToBytes(s), big)).toBe(-1);
  });

  it("round-trip a 5 MB ASCII array", () => {
    const big = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = 32 + (i % 95);
    const s = bytesToBinary(big);
    expect(s.length).toBe(big.length);
    expect(s.slice(-300)).toBe(naiveBinary(big.subarray(big.length - 300)));
    expect(firstDifference(binaryToBytes(s), big)).toBe(-1);
  });
});

describe("writeBinary", () => {
  it("writes at the offset, returns the offset after the string and leaves other bytes alone", () => {
    for (const s of ["", "a", "\x00\xff\r\n", "k".repeat(200), "\xe9".repeat(200), "a".repeat(150) + "\x80"]) {
      const out = new Uint8Array(s.length + 10).fill(0xaa);
      expect(writeBinary(s, out, 4)).toBe(4 + s.length);
      expect(Array.from(out.subarray(0, 4))).toEqual([0xaa, 0xaa, 0xaa, 0xaa]);
      expect(naiveBinary(out.subarray(4, 4 + s.length))).toBe(s);
      expect(Array.from(out.subarray(4 + s.length))).toEqual(Array(6).fill(0xaa));
    }
  });
});

describe("UTF-8 text and binary strings", () => {
  it("encodes text as the binary string of its UTF-8 bytes", () => {
    expect(utf8ToBinary("hello")).toBe("hello");
    expect(utf8ToBinary("héllo")).toBe("h\xc3\xa9llo");
    expect(utf8ToBinary("€")).toBe("\xe2\x82\xac");
    expect(utf8ToBinary("😀")).toBe("\xf0\x9f\x98\x80");
    expect(utf8ToBinary("\u00ff")).toBe("\xc3\xbf");
    expect(utf8ToBinary("")).toBe("");
  });

  it("encodes a lone surrogate as U+FFFD, as TextEncoder does", () => {
    expect(utf8ToBinary("a\ud800b")).toBe("a\xef\xbf\xbdb");
  });

  it("decodes a binary string of UTF-8 back to the same text", () => {
    for (const text of ["", "plain", "héllo wörld", "日本語", "😀 and 🎉", "\u0000\u007f\u0080\u07ff\u0800\uffff"]) {
      expect(binaryToUtf8(utf8ToBinary(text))).toBe(text);
    }
  });

  it("decodes invalid UTF-8 with U+FFFD for each bad sequence", () => {
    expect(binaryToUtf8("a\xffb")).toBe("a\ufffdb");
    expect(binaryToUtf8("\xc3")).toBe("\ufffd");
    expect(binaryToUtf8("\x80\x80")).toBe("\ufffd\ufffd");
  });

  it("keeps a leading byte-order mark as U+FEFF (it is part of the value)", () => {
    expect(binaryToUtf8("\xef\xbb\xbfhi")).toBe("\ufeffhi");
    expect(utf8ToBinary("\ufeffhi")).toBe("\xef\xbb\xbfhi");
  });
});

describe("base64", () => {
  it("encodes the RFC 4648 test vectors", () => {
    const vectors: [string, string][] = [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]];
    for (const [plain, b64] of vectors) {
      expect(binaryToBase64(plain)).toBe(b64);
      expect(base64ToBinary(b64)).toBe(plain);
    }
  });

  it("round-trips all 256 byte values and a large random value", () => {
    const all = bytesToBinary(ALL_BYTES);
    expect(binaryToBase64(all).slice(0, 8)).toBe("AAECAwQF");
    expect(base64ToBinary(binaryToBase64(all))).toBe(all);
    const rand = seededFloats(7);
    const big = bytesToBinary(Uint8Array.from({ length: 300_000 }, () => Math.floor(rand() * 256)));
    expect(base64ToBinary(binaryToBase64(big))).toBe(big);
  });

  it("accepts missing padding and ASCII whitespace, as atob does", () => {
    expect(base64ToBinary("Zm8")).toBe("fo");
    expect(base64ToBinary(" Zm9v\nYmFy ")).toBe("foobar");
  });

  it("throws on malformed base64", () => {
    expect(() => base64ToBinary("Zm9v!")).toThrow();
    expect(() => base64ToBinary("Z")).toThrow();
    expect(() => base64ToBinary("Zm9vY===")).toThrow();
  });
});
