/**
 * RDB object serialization, as Redis 7.0 writes (RDB version 10) and reads it: strings
 * (raw, integer-encoded, LZF-compressed), lists (quicklist 2 of listpacks), hashes
 * (listpack / hashtable), sets (intset / hashtable) and sorted sets (listpack / skiplist
 * as ZSET_2 with binary doubles); reading also every older encoding Redis 7.0 loads
 * (linked list, ziplist, quicklist of ziplists, zipmap, ZSET with text scores).
 *
 * Values cross this module as `RdbValue`: plain data plus the encoding Redis would hold
 * the value in. Writing uses that encoding, so the bytes equal redis-server's for the same
 * value (hashtable-encoded hashes and sets list their elements in Hotslot's order rather
 * than Redis's dict order, which no reader depends on). Reading applies rdbLoadObject's
 * rules to decide the encoding a loaded value ends up with.
 *
 * Layering: pure TypeScript over bytes; src/engine/rdb/values.ts maps RdbValue to and
 * from the engine's data types.
 */
import { formatDouble, parseInt64 } from "../../util/numbers";
import type { EngineSettings } from "../settings";
import { DecodeBudget, RdbTooLarge, UNBOUNDED, type DecodeBounds } from "./bounds";
import { ByteReader, ByteWriter, RdbCorrupt, RdbTruncated } from "./bytes";
import { decodeListpack, encodeListpack, LISTPACK_EMPTY_BYTES, listpackEntrySize } from "./listpack";
import { lzfCompress, lzfDecompress } from "./lzf";
import { decodeIntset, decodeZiplist, decodeZipmap, encodeIntset } from "./ziplist";

/** The RDB version Redis 7.0 writes (and the newest it reads). */
export const RDB_VERSION = 10;

/** Object type bytes (rdb.h). */
export const RDB_TYPE = {
  STRING: 0,
  LIST: 1,
  SET: 2,
  ZSET: 3,
  HASH: 4,
  ZSET_2: 5,
  MODULE: 6,
  MODULE_2: 7,
  HASH_ZIPMAP: 9,
  LIST_ZIPLIST: 10,
  SET_INTSET: 11,
  ZSET_ZIPLIST: 12,
  HASH_ZIPLIST: 13,
  LIST_QUICKLIST: 14,
  STREAM_LISTPACKS: 15,
  HASH_LISTPACK: 16,
  ZSET_LISTPACK: 17,
  LIST_QUICKLIST_2: 18,
  STREAM_LISTPACKS_2: 19,
} as const;

/** True for the bytes that start an object (rdbIsObjectType). */
export function isObjectType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

/** A value as RDB holds it, with the encoding Redis gives it. */
export type RdbValue =
  | { readonly type: "string"; readonly value: string }
  | { readonly type: "list"; readonly items: readonly string[] }
  | { readonly type: "hash"; readonly entries: readonly (readonly [string, string])[]; readonly listpack: boolean }
  | { readonly type: "set"; readonly members: readonly string[]; readonly intset: boolean }
  /** Entries in rank order (score, then member), as ZRANGE lists them. */
  | { readonly type: "zset"; readonly entries: readonly (readonly [string, number])[]; readonly listpack: boolean };

/** A type Hotslot cannot hold (streams, module values): refused with a clear reason. */
export class RdbUnsupported extends Error {}

/** The settings that shape encodings (a subset of EngineSettings). */
export type EncodingSettings = Pick<
  EngineSettings,
  | "listMaxListpackSize"
  | "listCompressDepth"
  | "hashMaxListpackEntries"
  | "hashMaxListpackValue"
  | "setMaxIntsetEntries"
  | "zsetMaxListpackEntries"
  | "zsetMaxListpackValue"
>;

// --- lengths -----------------------------------------------------------------------------

const ENC_INT8 = 0;
const ENC_INT16 = 1;
const ENC_INT32 = 2;
const ENC_LZF = 3;

/** rdbSaveLen: 6-bit, 14-bit, 32-bit or 64-bit (big-endian) length. */
export function writeLength(w: ByteWriter, n: number): void {
  if (n < 1 << 6) {
    w.byte(n);
  } else if (n < 1 << 14) {
    w.byte((n >>> 8) | 0x40);
    w.byte(n & 0xff);
  } else if (n <= 0xffffffff) {
    w.byte(0x80);
    w.u32be(n);
  } else {
    w.byte(0x81);
    w.u64be(n);
  }
}

/** rdbLoadLen: a length, or (encoded = true) a special string encoding number. */
function readLengthOrEncoding(r: ByteReader): { n: number; encoded: boolean } {
  const b = r.byte();
  const kind = b >>> 6;
  if (kind === 3) return { n: b & 0x3f, encoded: true };
  if (kind === 0) return { n: b & 0x3f, encoded: false };
  if (kind === 1) return { n: ((b & 0x3f) << 8) | r.byte(), encoded: false };
  if (b === 0x80) return { n: r.u32be(), encoded: false };
  if (b === 0x81) return { n: r.u64be(), encoded: false };
  throw new RdbCorrupt(`Unknown length encoding ${kind} in rdbLoadLen()`);
}

export function readLength(r: ByteReader): number {
  const { n, encoded } = readLengthOrEncoding(r);
  if (encoded) throw new RdbCorrupt("unexpected encoded length");
  return n;
}

// --- strings -----------------------------------------------------------------------------

/** rdbEncodeInteger: the INT8/16/32 encoding of n, or false when n needs more bits. */
function writeIntegerEncoded(w: ByteWriter, n: number): boolean {
  if (n >= -128 && n <= 127) {
    w.byte(0xc0 | ENC_INT8);
    w.byte(n & 0xff);
  } else if (n >= -32768 && n <= 32767) {
    w.byte(0xc0 | ENC_INT16);
    w.u16le(n & 0xffff);
  } else if (n >= -2147483648 && n <= 2147483647) {
    w.byte(0xc0 | ENC_INT32);
    w.u32le(n >>> 0);
  } else {
    return false;
  }
  return true;
}

/**
 * rdbSaveRawString (with rdbcompression yes): a string of up to 11 bytes that reads as
 * an integer fitting 32 bits is integer-encoded; a string longer than 20 bytes is
 * LZF-compressed when that saves at least 4 bytes; otherwise length + bytes.
 */
export function writeString(w: ByteWriter, s: string): void {
  const len = s.length;
  if (len <= 11 && len > 0) {
    const n = parseInt64(s);
    if (n !== null && n >= -2147483648n && n <= 2147483647n && writeIntegerEncoded(w, Number(n))) return;
  }
  if (len > 20) {
    const raw = binaryBytes(s);
    const packed = lzfCompress(raw, len - 4);
    if (packed) {
      writeLzfBlob(w, packed, len);
      return;
    }
    writeLength(w, len);
    w.bytes(raw);
    return;
  }
  writeLength(w, len);
  w.binary(s);
}

/** Raw bytes as a string (listpacks, intsets), with the same integer/LZF choices. */
function writeBlob(w: ByteWriter, bytes: Uint8Array): void {
  const len = bytes.length;
  if (len > 20) {
    const packed = lzfCompress(bytes, len - 4);
    if (packed) {
      writeLzfBlob(w, packed, len);
      return;
    }
  } else if (len <= 11) {
    // A blob is never text of an integer in practice, but rdbSaveRawString checks.
    let s = "";
    for (const b of bytes) s += String.fromCharCode(b);
    writeString(w, s);
    return;
  }
  writeLength(w, len);
  w.bytes(bytes);
}

function writeLzfBlob(w: ByteWriter, packed: Uint8Array, originalLength: number): void {
  w.byte(0xc0 | ENC_LZF);
  writeLength(w, packed.length);
  writeLength(w, originalLength);
  w.bytes(packed);
}

const encodeScratch = new ByteWriter(256);
function binaryBytes(s: string): Uint8Array {
  encodeScratch.length = 0;
  encodeScratch.binary(s);
  return encodeScratch.toBytes();
}

/**
 * rdbGenericLoadStringObject as bytes: integer-encoded, LZF or plain. Declared lengths
 * are checked against `budget` before the bytes are waited for or allocated.
 */
export function readStringBytes(r: ByteReader, budget = new DecodeBudget(UNBOUNDED)): Uint8Array {
  const { n, encoded } = readLengthOrEncoding(r);
  if (!encoded) {
    budget.string(r, n);
    return r.bytes(n);
  }
  switch (n) {
    case ENC_INT8:
    case ENC_INT16:
    case ENC_INT32:
      return new TextEncoder().encode(String(readEncodedInteger(r, n)));
    case ENC_LZF: {
      const clen = readLength(r);
      const len = readLength(r);
      budget.lzf(r, clen, len);
      return lzfDecompress(r.bytes(clen), len);
    }
    default:
      throw new RdbCorrupt(`Unknown RDB string encoding type ${n}`);
  }
}

function readEncodedInteger(r: ByteReader, enc: number): number {
  if (enc === ENC_INT8) {
    const b = r.byte();
    return b >= 128 ? b - 256 : b;
  }
  if (enc === ENC_INT16) {
    const v = r.u16le();
    return v >= 32768 ? v - 65536 : v;
  }
  return r.u32le() | 0;
}

/** A string as a binary string (declared lengths checked against `budget` first). */
export function readString(r: ByteReader, budget = new DecodeBudget(UNBOUNDED)): string {
  const { n, encoded } = readLengthOrEncoding(r);
  if (!encoded) {
    budget.string(r, n);
    return r.binary(n);
  }
  if (n === ENC_LZF) {
    const clen = readLength(r);
    const len = readLength(r);
    budget.lzf(r, clen, len);
    const out = lzfDecompress(r.bytes(clen), len);
    return new ByteReader(out).binary(out.length);
  }
  if (n === ENC_INT8 || n === ENC_INT16 || n === ENC_INT32) return String(readEncodedInteger(r, n));
  throw new RdbCorrupt(`Unknown RDB string encoding type ${n}`);
}

// --- lists: quicklist nodes ----------------------------------------------------------------

/** quicklist.c's size limits for negative fill (list-max-listpack-size -1 … -5). */
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;
const MIN_COMPRESS_BYTES = 48;
const MIN_COMPRESS_IMPROVE = 8;
const CONTAINER_PLAIN = 1;
const CONTAINER_PACKED = 2;

/** quicklistSetFill: fill is clamped to [-5, 32767]. */
function clampFill(fill: number): number {
  return fill > 32767 ? 32767 : fill < -5 ? -5 : fill;
}

/**
 * _quicklistNodeAllowInsert: may an element of `sz` bytes join a node of `nodeBytes`
 * bytes holding `count` elements?
 */
function allowInsert(nodeBytes: number, count: number, fill: number, sz: number): boolean {
  const newSize = nodeBytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0 && newSize <= OPTIMIZATION_LEVEL[-fill - 1]) return true;
  if (newSize > SIZE_SAFETY_LIMIT) return false;
  return count < fill;
}

/**
 * The nodes a quicklist built by RPUSH of `items` holds: consecutive runs of elements,
 * split where quicklistPushTail would start a new node.
 */
export function quicklistNodes(items: readonly string[], fillSetting: number): string[][] {
  const fill = clampFill(fillSetting);
  const nodes: string[][] = [];
  let current: string[] | null = null;
  let bytes = 0;
  for (const item of items) {
    if (current && allowInsert(bytes, current.length, fill, item.length)) {
      current.push(item);
      bytes += listpackEntrySize(item);
    } else {
      current = [item];
      nodes.push(current);
      bytes = LISTPACK_EMPTY_BYTES + listpackEntrySize(item);
    }
  }
  return nodes;
}

function writeList(w: ByteWriter, items: readonly string[], settings: EncodingSettings): void {
  const nodes = quicklistNodes(items, settings.listMaxListpackSize);
  const depth = settings.listCompressDepth;
  writeLength(w, nodes.length);
  nodes.forEach((node, i) => {
    writeLength(w, CONTAINER_PACKED);
    const lp = encodeListpack(node);
    // Nodes deeper than list-compress-depth from both ends are held LZF-compressed
    // (__quicklistCompressNode) and saved compressed as they are.
    if (depth > 0 && i >= depth && i < nodes.length - depth && lp.length >= MIN_COMPRESS_BYTES) {
      const packed = lzfCompress(lp, lp.length);
      if (packed && packed.length + MIN_COMPRESS_IMPROVE < lp.length) {
        writeLzfBlob(w, packed, lp.length);
        return;
      }
    }
    writeBlob(w, lp);
  });
}

// --- writing objects -----------------------------------------------------------------------

/** The object type byte for a value in its encoding (rdbSaveObjectType). */
export function objectType(v: RdbValue): number {
  switch (v.type) {
    case "string":
      return RDB_TYPE.STRING;
    case "list":
      return RDB_TYPE.LIST_QUICKLIST_2;
    case "hash":
      return v.listpack ? RDB_TYPE.HASH_LISTPACK : RDB_TYPE.HASH;
    case "set":
      return v.intset ? RDB_TYPE.SET_INTSET : RDB_TYPE.SET;
    case "zset":
      return v.listpack ? RDB_TYPE.ZSET_LISTPACK : RDB_TYPE.ZSET_2;
  }
}

/** Writes the type byte and the object (rdbSaveObjectType + rdbSaveObject). */
export function writeObject(w: ByteWriter, v: RdbValue, settings: EncodingSettings): void {
  w.byte(objectType(v));
  writeObjectBody(w, v, settings);
}

/** Writes the object without its type byte (rdbSaveObject). */
export function writeObjectBody(w: ByteWriter, v: RdbValue, settings: EncodingSettings): void {
  switch (v.type) {
    case "string":
      writeString(w, v.value);
      return;
    case "list":
      writeList(w, v.items, settings);
      return;
    case "hash":
      if (v.listpack) {
        writeBlob(w, encodeListpack(flattenPairs(v.entries)));
      } else {
        writeLength(w, v.entries.length);
        for (const [f, val] of v.entries) {
          writeString(w, f);
          writeString(w, val);
        }
      }
      return;
    case "set":
      if (v.intset) {
        writeBlob(w, encodeIntset(v.members.map((m) => BigInt(m))));
      } else {
        writeLength(w, v.members.length);
        for (const m of v.members) writeString(w, m);
      }
      return;
    case "zset":
      if (v.listpack) {
        const flat: string[] = [];
        for (const [m, score] of v.entries) flat.push(m, listpackScore(score));
        writeBlob(w, encodeListpack(flat));
      } else {
        // Saved from the greatest to the smallest, so loading inserts at the head.
        writeLength(w, v.entries.length);
        for (let i = v.entries.length - 1; i >= 0; i--) {
          writeString(w, v.entries[i][0]);
          w.f64le(v.entries[i][1]);
        }
      }
      return;
  }
}

/** (double)(LLONG_MAX / 2): double2ll's bound. */
const DOUBLE2LL_MAX = 4611686018427387904;

/**
 * A score as zzlInsertAt stores it in a listpack (Redis 7.0's d2string): an integral
 * score within ±LLONG_MAX/2 as an integer (so -0 becomes 0, and the listpack then holds
 * it in an integer encoding), any other as "%.17g".
 */
export function listpackScore(score: number): string {
  if (score >= -DOUBLE2LL_MAX && score <= DOUBLE2LL_MAX && Number.isInteger(score)) {
    return Number.isSafeInteger(score) ? String(score === 0 ? 0 : score) : BigInt(score).toString();
  }
  return formatDouble(score);
}

function* flattenPairs(pairs: readonly (readonly [string, string])[]): IterableIterator<string> {
  for (const [a, b] of pairs) {
    yield a;
    yield b;
  }
}

// --- reading objects -----------------------------------------------------------------------

/** rdbLoadObject's "empty key" outcome: a collection with no elements is refused. */
function nonEmpty<T extends { length: number }>(xs: T, what: string): T {
  if (xs.length === 0) throw new RdbCorrupt(`empty ${what}`);
  return xs;
}

function pairs(flat: string[], what: string): [string, string][] {
  if (flat.length % 2 !== 0) throw new RdbCorrupt(`${what} with an odd number of elements`);
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    if (seen.has(flat[i])) throw new RdbCorrupt(`${what} with duplicate elements`);
    seen.add(flat[i]);
    out.push([flat[i], flat[i + 1]]);
  }
  return out;
}

/** A score stored as listpack text, parsed as zzlStrtod (strtod) does. */
function parseScore(s: string): number {
  const t = s.trim().toLowerCase();
  if (t === "inf" || t === "+inf" || t === "infinity" || t === "+infinity") return Infinity;
  if (t === "-inf" || t === "-infinity") return -Infinity;
  const x = Number(s);
  if (Number.isNaN(x)) throw new RdbCorrupt("bad sorted set score");
  return x;
}

/** rdbLoadDoubleValue: a length byte (253 nan, 254 +inf, 255 -inf) then text. */
function readTextDouble(r: ByteReader): number {
  const len = r.byte();
  if (len === 255) return -Infinity;
  if (len === 254) return Infinity;
  if (len === 253) return NaN;
  return parseScore(r.binary(len));
}

function compareEntries(a: readonly [string, number], b: readonly [string, number]): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function zsetValue(entries: [string, number][], fromListpack: boolean, s: EncodingSettings): RdbValue {
  const seen = new Set<string>();
  let maxLen = 0;
  for (const [m, score] of entries) {
    if (Number.isNaN(score)) throw new RdbCorrupt("Zset with NAN score detected");
    if (seen.has(m)) throw new RdbCorrupt("Duplicate zset fields detected");
    seen.add(m);
    if (m.length > maxLen) maxLen = m.length;
  }
  entries.sort(compareEntries);
  // A packed payload stays packed unless it has too many entries; a skiplist payload is
  // packed after loading when it is small enough on both counts.
  const listpack = fromListpack
    ? entries.length <= s.zsetMaxListpackEntries
    : entries.length <= s.zsetMaxListpackEntries && maxLen <= s.zsetMaxListpackValue;
  return { type: "zset", entries, listpack };
}

function hashValue(entries: [string, string][], fromPacked: boolean, s: EncodingSettings, checkLengths = false): RdbValue {
  let listpack = entries.length <= s.hashMaxListpackEntries;
  if (listpack && (!fromPacked || checkLengths)) {
    for (const [f, v] of entries) {
      if (f.length > s.hashMaxListpackValue || v.length > s.hashMaxListpackValue) {
        listpack = false;
        break;
      }
    }
  }
  return { type: "hash", entries, listpack };
}

const INT_MEMBER = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * Reads an object of type `type` (the byte already read), as rdbLoadObject. Declared
 * lengths and counts are checked against `budget` (src/engine/rdb/bounds.ts) before
 * anything is allocated: RdbTooLarge when one is over a bound.
 */
export function readObject(r: ByteReader, type: number, s: EncodingSettings, budget: DecodeBudget | DecodeBounds = UNBOUNDED): RdbValue {
  const b = budget instanceof DecodeBudget ? budget : new DecodeBudget(budget);
  try {
    return readObjectUnchecked(r, type, s, b);
  } catch (e) {
    if (e instanceof RdbTruncated || e instanceof RdbCorrupt || e instanceof RdbUnsupported || e instanceof RdbTooLarge) throw e;
    // A RangeError or similar from absurd lengths: the payload is corrupt.
    throw new RdbCorrupt(String((e as Error).message ?? e));
  }
}

/** A packed blob (listpack, ziplist, intset, zipmap) and the elements decoded from it, counted. */
function packed<T extends { length: number }>(r: ByteReader, b: DecodeBudget, decode: (bytes: Uint8Array) => T, perItem = 1): T {
  const out = decode(readStringBytes(r, b));
  b.elements(out.length * perItem);
  return out;
}

function readObjectUnchecked(r: ByteReader, type: number, s: EncodingSettings, b: DecodeBudget): RdbValue {
  switch (type) {
    case RDB_TYPE.STRING:
      return { type: "string", value: readString(r, b) };

    case RDB_TYPE.LIST: {
      const n = readLength(r);
      b.count(r, n);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(readString(r, b));
      b.elements(n);
      return { type: "list", items: nonEmpty(items, "list") };
    }

    case RDB_TYPE.LIST_ZIPLIST:
      return { type: "list", items: nonEmpty(packed(r, b, decodeZiplist), "list") };

    case RDB_TYPE.LIST_QUICKLIST:
    case RDB_TYPE.LIST_QUICKLIST_2: {
      const nodes = readLength(r);
      b.count(r, nodes, type === RDB_TYPE.LIST_QUICKLIST_2 ? 2 : 1);
      const items: string[] = [];
      for (let i = 0; i < nodes; i++) {
        let container = CONTAINER_PACKED;
        if (type === RDB_TYPE.LIST_QUICKLIST_2) {
          container = readLength(r);
          if (container !== CONTAINER_PACKED && container !== CONTAINER_PLAIN) {
            throw new RdbCorrupt("Quicklist integrity check failed.");
          }
        }
        const data = readStringBytes(r, b);
        if (data.length === 0) throw new RdbCorrupt("empty quicklist node");
        if (container === CONTAINER_PLAIN) {
          items.push(new ByteReader(data).binary(data.length));
          b.elements(1);
          continue;
        }
        const elements = type === RDB_TYPE.LIST_QUICKLIST_2 ? decodeListpack(data) : decodeZiplist(data);
        b.elements(elements.length);
        // Redis skips empty nodes silently, and refuses the list if all were empty.
        for (const e of elements) items.push(e);
      }
      return { type: "list", items: nonEmpty(items, "list") };
    }

    case RDB_TYPE.SET: {
      const n = readLength(r);
      b.count(r, n);
      const members: string[] = [];
      const seen = new Set<string>();
      let intset = n <= Math.min(s.setMaxIntsetEntries, 1 << 30);
      for (let i = 0; i < n; i++) {
        const m = readString(r, b);
        if (seen.has(m)) throw new RdbCorrupt("Duplicate set members detected");
        seen.add(m);
        if (intset && !(m.length <= 20 && INT_MEMBER.test(m) && parseInt64(m) !== null)) intset = false;
        members.push(m);
      }
      b.elements(n);
      return { type: "set", members: nonEmpty(members, "set"), intset };
    }

    case RDB_TYPE.SET_INTSET: {
      const members = packed(r, b, decodeIntset);
      return { type: "set", members, intset: members.length <= s.setMaxIntsetEntries };
    }

    case RDB_TYPE.ZSET:
    case RDB_TYPE.ZSET_2: {
      const n = readLength(r);
      // A member takes at least 1 byte, a score 8 (binary) or 1 (text).
      b.count(r, n, type === RDB_TYPE.ZSET_2 ? 9 : 2);
      const entries: [string, number][] = [];
      for (let i = 0; i < n; i++) {
        const m = readString(r, b);
        const score = type === RDB_TYPE.ZSET_2 ? r.f64le() : readTextDouble(r);
        entries.push([m, score]);
      }
      b.elements(2 * n);
      return zsetValue(nonEmpty(entries, "sorted set"), false, s);
    }

    case RDB_TYPE.ZSET_ZIPLIST:
    case RDB_TYPE.ZSET_LISTPACK: {
      const flat = packed(r, b, type === RDB_TYPE.ZSET_LISTPACK ? decodeListpack : decodeZiplist);
      const entries = pairs(flat, "sorted set").map(([m, score]): [string, number] => [m, parseScore(score)]);
      return zsetValue(nonEmpty(entries, "sorted set"), true, s);
    }

    case RDB_TYPE.HASH: {
      const n = readLength(r);
      b.count(r, 2 * n);
      const entries: [string, string][] = [];
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const f = readString(r, b);
        const v = readString(r, b);
        if (seen.has(f)) throw new RdbCorrupt("Duplicate hash fields detected");
        seen.add(f);
        entries.push([f, v]);
      }
      b.elements(2 * n);
      return hashValue(nonEmpty(entries, "hash"), false, s);
    }

    case RDB_TYPE.HASH_ZIPMAP: {
      const entries = packed(r, b, decodeZipmap, 2);
      const seen = new Set<string>();
      for (const [f] of entries) {
        if (seen.has(f)) throw new RdbCorrupt("Hash zipmap with dup elements");
        seen.add(f);
      }
      return hashValue(nonEmpty(entries, "hash"), true, s, true);
    }

    case RDB_TYPE.HASH_ZIPLIST:
    case RDB_TYPE.HASH_LISTPACK: {
      const flat = packed(r, b, type === RDB_TYPE.HASH_LISTPACK ? decodeListpack : decodeZiplist);
      return hashValue(nonEmpty(pairs(flat, "hash"), "hash"), true, s);
    }

    case RDB_TYPE.STREAM_LISTPACKS:
    case RDB_TYPE.STREAM_LISTPACKS_2:
      throw new RdbUnsupported("streams are not supported");

    case RDB_TYPE.MODULE:
    case RDB_TYPE.MODULE_2:
      throw new RdbUnsupported("module values are not supported");

    default:
      throw new RdbCorrupt(`Unknown RDB encoding type ${type}`);
  }
}
