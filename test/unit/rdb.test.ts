// The RDB codec (src/engine/rdb/): CRC-64, LZF, strings, listpacks, intsets, ziplists,
// zipmaps, quicklist nodes and objects. Expected bytes marked "redis-server" were read
// from redis-server 7.0 (DUMP); the live comparisons are in
// test/reference/dump-interop.test.ts.
import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, RdbCorrupt, RdbTruncated } from "../../src/engine/rdb/bytes";
import { crc64, crc64Hex, crc64Update } from "../../src/engine/rdb/crc64";
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from "../../src/engine/rdb/dump";
import { decodeListpack, encodeListpack } from "../../src/engine/rdb/listpack";
import { lzfCompress, lzfDecompress } from "../../src/engine/rdb/lzf";
import {
  listpackScore,
  quicklistNodes,
  RDB_TYPE,
  readObject,
  readString,
  RdbUnsupported,
  writeObject,
  writeString,
  type RdbValue,
} from "../../src/engine/rdb/object";
import { decodeIntset, decodeZiplist, decodeZipmap, encodeIntset } from "../../src/engine/rdb/ziplist";
import { defaultSettings } from "../../src/engine/settings";
import { Rng } from "../support/random";
import { blob, object, writeLength, ziplist, zipmap } from "../support/rdb-craft";

const settings = defaultSettings();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const ascii = (s: string) => new TextEncoder().encode(s);

function stringBytes(s: string): string {
  const w = new ByteWriter();
  writeString(w, s);
  return hex(w.toBytes());
}

function dump(v: RdbValue): string {
  return hex(createDumpPayload(v, settings));
}

describe("CRC-64 (Jones, as Redis)", () => {
  it("gives Redis's check value for 123456789", () => {
    expect(crc64Hex(crc64(ascii("123456789")))).toBe("e9c6d914c4b8d9ca");
  });

  it("gives the same result computed in pieces as in one go", () => {
    const rng = new Rng(1);
    const data = ascii(rng.bytes(1000).replace(/[^\x00-\x7f]/g, "x"));
    let crc = crc64(data, 0, 0);
    for (let at = 0; at < data.length; at += 37) crc = crc64Update(crc, data, at, Math.min(data.length, at + 37));
    expect(crc).toEqual(crc64(data));
  });
});

describe("LZF", () => {
  it("compresses as liblzf does in redis-server (a 50-byte run)", () => {
    // redis-server: SET s5 <50 × a>, DUMP → 00 c3 09 32 01 6161e0250001 6161 …
    expect(hex(lzfCompress(ascii("a".repeat(50)), 46)!)).toBe("016161e02500016161");
  });

  it("round-trips random data of every compressibility", () => {
    const rng = new Rng(2);
    for (let t = 0; t < 300; t++) {
      const n = rng.range(1, 3000);
      const alphabet = rng.range(1, 256);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.int(alphabet);
      // liblzf needs about 104% of the input for incompressible data.
      const packed = lzfCompress(data, Math.ceil(n * 1.05) + 64);
      expect(packed).not.toBeNull();
      expect(lzfDecompress(packed!, n)).toEqual(data);
    }
  });

  it("gives up when the output would not fit the limit", () => {
    expect(lzfCompress(ascii("abcdefghijklmnopqrstuvwxyz"), 22)).toBeNull();
  });

  it("refuses a corrupt stream or a wrong length", () => {
    const packed = lzfCompress(ascii("a".repeat(50)), 46)!;
    expect(() => lzfDecompress(packed, 49)).toThrow(RdbCorrupt);
    expect(() => lzfDecompress(packed, 51)).toThrow(RdbCorrupt);
    expect(() => lzfDecompress(unhex("e0ff05"), 10)).toThrow(RdbCorrupt);
  });
});

describe("strings", () => {
  it("are written as redis-server writes them", () => {
    expect(stringBytes("hello")).toBe("0568656c6c6f");
    // Integers of up to 11 bytes that fit 32 bits: INT8, INT16, INT32.
    expect(stringBytes("-7")).toBe("c0f9");
    expect(stringBytes("12345")).toBe("c13930");
    expect(stringBytes("-40000")).toBe("c2c063ffff");
    // Beyond 32 bits, or not canonical: plain text.
    expect(stringBytes("4294967296")).toBe("0a34323934393637323936");
    expect(stringBytes("007")).toBe("03303037");
    expect(stringBytes("-0")).toBe("022d30");
    expect(stringBytes("")).toBe("00");
    // Over 20 bytes and compressible: LZF.
    expect(stringBytes("a".repeat(50))).toBe("c30932016161e02500016161");
  });

  it("use 14-bit and 32-bit lengths for longer strings", () => {
    const w = new ByteWriter();
    writeLength(w, 100);
    writeLength(w, 16383);
    writeLength(w, 16384);
    writeLength(w, 2 ** 32);
    expect(hex(w.toBytes())).toBe("4064" + "7fff" + "8000004000" + "810000000100000000");
  });

  it("read back whatever the encoding", () => {
    const rng = new Rng(3);
    for (let t = 0; t < 200; t++) {
      const s = rng.pick([String(rng.range(-1e10, 1e10)), rng.bytes(rng.int(300)), "ab".repeat(rng.int(200))]);
      const w = new ByteWriter();
      writeString(w, s);
      const r = new ByteReader(w.toBytes());
      expect(readString(r)).toBe(s);
      expect(r.remaining).toBe(0);
    }
  });
});

describe("listpacks", () => {
  it("encode elements as redis-server does (integers in their smallest encoding)", () => {
    // redis-server: HSET h a 1 b hello c -4097 → the listpack inside DUMP h.
    expect(hex(encodeListpack(["a", "1", "b", "hello", "c", "-4097"]))).toBe(
      "1d000000060081610201018162028568656c6c6f06816302f1ffef03ff",
    );
  });

  it("round-trip every entry encoding", () => {
    const elements = [
      "0", "127", "128", "-1", "4095", "-4096", "4096", "-4097", "32767", "-32768", "32768", "8388607", "-8388608",
      "8388608", "2147483647", "-2147483648", "2147483648", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "01", "+1", "", "x".repeat(63), "x".repeat(64), "y".repeat(4095), "y".repeat(4096), "\x00\xff",
    ];
    expect(decodeListpack(encodeListpack(elements))).toEqual(elements);
  });

  it("are refused when damaged", () => {
    const good = encodeListpack(["a", "bb", "300"]);
    const wrongSize = good.slice();
    wrongSize[0]++;
    expect(() => decodeListpack(wrongSize)).toThrow(RdbCorrupt);
    const wrongBacklen = good.slice();
    wrongBacklen[8] = 9;
    expect(() => decodeListpack(wrongBacklen)).toThrow(RdbCorrupt);
    const wrongCount = good.slice();
    wrongCount[4] = 2;
    expect(() => decodeListpack(wrongCount)).toThrow(RdbCorrupt);
    expect(() => decodeListpack(good.slice(0, good.length - 1))).toThrow(RdbCorrupt);
  });
});

describe("intsets", () => {
  it("are written sorted, in the narrowest width (redis-server's SADD st 5 -70000)", () => {
    expect(hex(encodeIntset([5n, -70000n]))).toBe("04000000020000009" + "0eefeff05000000");
    expect(hex(encodeIntset([3n, 1n]))).toBe("02000000020000000100" + "0300");
    expect(decodeIntset(encodeIntset([2n ** 40n, -1n]))).toEqual(["-1", String(2 ** 40)]);
  });

  it("are refused unsorted, empty or with a bad width", () => {
    expect(() => decodeIntset(unhex("0200000002000000" + "0300" + "0100"))).toThrow(RdbCorrupt);
    expect(() => decodeIntset(unhex("0200000000000000"))).toThrow(RdbCorrupt);
    expect(() => decodeIntset(unhex("0300000001000000" + "010000"))).toThrow(RdbCorrupt);
  });
});

describe("ziplists and zipmaps (read only)", () => {
  it("decode every ziplist entry encoding", () => {
    const items = ["0", "12", "13", "-1", "-128", "-129", "40000", "-8000000", "2147483648", "a", "x".repeat(70), "y".repeat(17000)];
    expect(decodeZiplist(ziplist(items))).toEqual(items);
  });

  it("refuse a ziplist whose entry lengths do not chain", () => {
    const zl = ziplist(["a", "b"]);
    zl[13] = 5; // the second entry's prevlen
    expect(() => decodeZiplist(zl)).toThrow(RdbCorrupt);
  });

  it("decode zipmaps, long lengths included", () => {
    const pairs: [string, string][] = [["f", "v"], ["long", "z".repeat(300)], ["", ""]];
    expect(decodeZipmap(zipmap(pairs))).toEqual(pairs);
  });
});

describe("quicklist nodes", () => {
  it("split where quicklistPushTail starts a node, for each list-max-listpack-size", () => {
    const items = Array.from({ length: 1000 }, (_, i) => `element-${i}-${"x".repeat(i % 50)}`);
    const sizes = (fill: number) => quicklistNodes(items, fill).map((n) => n.length);
    // Positive fill: at most that many entries per node (and 8 KB at most).
    expect(sizes(128).every((n) => n <= 128)).toBe(true);
    expect(sizes(128).slice(0, -1).every((n) => n === 128)).toBe(true);
    // Negative fill: a byte limit of 4, 8, 16, 32 or 64 KB (clamped at -5).
    for (const [fill, limit] of [[-1, 4096], [-2, 8192], [-3, 16384], [-4, 32768], [-5, 65536], [-9, 65536]]) {
      for (const node of quicklistNodes(items, fill)) expect(encodeListpack(node).length).toBeLessThanOrEqual(limit);
    }
    expect(sizes(-1).length).toBeGreaterThan(sizes(-2).length);
    expect(quicklistNodes(items, -2).flat()).toEqual(items);
  });

  it("give a big element a node of its own", () => {
    expect(quicklistNodes(["a", "b".repeat(9000), "c"], -2).map((n) => n.length)).toEqual([1, 1, 1]);
  });
});

describe("sorted set scores in listpacks", () => {
  it("are integers when integral within ±2^62, else %.17g (redis-server's d2string)", () => {
    expect(listpackScore(1.5)).toBe("1.5");
    expect(listpackScore(0.1)).toBe("0.10000000000000001");
    expect(listpackScore(1e17)).toBe("100000000000000000");
    expect(listpackScore(2 ** 62)).toBe("4611686018427387904");
    expect(listpackScore(9.2e18)).toBe("9.2e+18");
    expect(listpackScore(-0)).toBe("0");
    expect(listpackScore(Infinity)).toBe("inf");
    expect(listpackScore(-Infinity)).toBe("-inf");
  });
});

describe("DUMP payloads", () => {
  it("of small values equal redis-server's bytes", () => {
    expect(dump({ type: "string", value: "hello" })).toBe("000568656c6c6f0a006372df766534200a");
    expect(dump({ type: "string", value: "12345" })).toBe("00c139300a009d94ea2793fc08b9");
    expect(dump({ type: "list", items: ["1", "x", "300"] })).toBe("1201020f0f00000003000101817802c12c02ff0a0055997d6101e59322");
    expect(dump({ type: "hash", entries: [["a", "1"], ["b", "hello"], ["c", "-4097"]], listpack: true })).toBe(
      "101d1d000000060081610201018162028568656c6c6f06816302f1ffef03ff0a00de845129a14cf986",
    );
    expect(dump({ type: "set", members: ["5", "-70000"], intset: true })).toBe("0b10040000000200000090eefeff050000000a007959d34c8acb73f6");
    expect(dump({ type: "zset", entries: [["a", 1.5], ["b", 2]], listpack: true })).toBe(
      "111414000000040081610283312e35048162020201ff0a00fa02b425af188763",
    );
  });

  it("are verified by version and checksum", () => {
    const p = createDumpPayload({ type: "string", value: "v" }, settings);
    expect(verifyDumpPayload(p)).toBe(true);
    const flipped = p.slice();
    flipped[1] ^= 1;
    expect(verifyDumpPayload(flipped)).toBe(false);
    const newer = p.slice();
    newer[p.length - 10] = 11;
    expect(verifyDumpPayload(newer)).toBe(false);
    expect(verifyDumpPayload(p.slice(0, 9))).toBe(false);
  });

  it("round-trip every type and encoding", () => {
    const values: RdbValue[] = [
      { type: "string", value: "\x00\xff binary" },
      { type: "list", items: Array.from({ length: 3000 }, (_, i) => String(i * 7919)) },
      { type: "hash", entries: [["f", "v"]], listpack: true },
      { type: "hash", entries: Array.from({ length: 600 }, (_, i): [string, string] => [`f${i}`, `v${i}`]), listpack: false },
      { type: "set", members: ["-3", "7"], intset: true },
      { type: "set", members: ["a", "b"], intset: false },
      { type: "zset", entries: [["m", -1], ["n", 0.5]], listpack: true },
      { type: "zset", entries: Array.from({ length: 200 }, (_, i): [string, number] => [`m${i}`, i / 3]), listpack: false },
    ];
    for (const v of values) expect(parseDumpPayload(createDumpPayload(v, settings), settings)).toEqual(v);
  });
});

describe("loading objects decides encodings as rdbLoadObject does", () => {
  const load = (bytes: Uint8Array, s = settings) => {
    const r = new ByteReader(bytes);
    return readObject(r, r.byte(), s);
  };

  it("packs a plain hash unless it is too long or has a long value", () => {
    const plain = (pairs: [string, string][]) =>
      object(RDB_TYPE.HASH, (w) => {
        writeLength(w, pairs.length);
        for (const [f, v] of pairs) {
          w.bytes(stringEnc(f));
          w.bytes(stringEnc(v));
        }
      });
    expect(load(plain([["a", "1"]]))).toEqual({ type: "hash", entries: [["a", "1"]], listpack: true });
    expect(load(plain([["a", "x".repeat(65)]]))).toMatchObject({ listpack: false });
    expect(load(plain([["a", "1"], ["b", "2"]]), { ...settings, hashMaxListpackEntries: 1 })).toMatchObject({ listpack: false });
  });

  it("keeps a listpack hash packed unless it has too many entries", () => {
    const lp = object(RDB_TYPE.HASH_LISTPACK, (w) => blob(w, encodeListpack(["a", "x".repeat(100)])));
    expect(load(lp)).toMatchObject({ listpack: true });
    expect(load(lp, { ...settings, hashMaxListpackEntries: 0 })).toMatchObject({ listpack: false });
  });

  it("makes a plain set of integers an intset, up to set-max-intset-entries", () => {
    const set = (members: string[]) =>
      object(RDB_TYPE.SET, (w) => {
        writeLength(w, members.length);
        for (const m of members) w.bytes(stringEnc(m));
      });
    expect(load(set(["1", "2"]))).toMatchObject({ intset: true });
    expect(load(set(["1", "a"]))).toMatchObject({ intset: false });
    expect(load(set(["1", "2"]), { ...settings, setMaxIntsetEntries: 1 })).toMatchObject({ intset: false });
  });

  it("sorts a skiplist sorted set and packs it when small", () => {
    const z = object(RDB_TYPE.ZSET_2, (w) => {
      writeLength(w, 2);
      w.bytes(stringEnc("b"));
      w.f64le(2);
      w.bytes(stringEnc("a"));
      w.f64le(1);
    });
    expect(load(z)).toEqual({ type: "zset", entries: [["a", 1], ["b", 2]], listpack: true });
    expect(load(z, { ...settings, zsetMaxListpackEntries: 1 })).toMatchObject({ listpack: false });
  });

  it("refuses streams and module values as unsupported", () => {
    expect(() => load(new Uint8Array([RDB_TYPE.STREAM_LISTPACKS_2, 0]))).toThrow(RdbUnsupported);
    expect(() => load(new Uint8Array([RDB_TYPE.MODULE_2, 0]))).toThrow(RdbUnsupported);
  });

  it("reports a body cut short as truncated, not corrupt", () => {
    const w = new ByteWriter();
    writeObject(w, { type: "list", items: ["a", "b", "c"] }, settings);
    const cut = w.toBytes().slice(0, 6);
    expect(() => load(cut)).toThrow(RdbTruncated);
  });
});

function stringEnc(s: string): Uint8Array {
  const w = new ByteWriter();
  writeString(w, s);
  return w.toBytes();
}
