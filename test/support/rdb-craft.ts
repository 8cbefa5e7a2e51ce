/**
 * Hand-built RDB bytes for tests: the encodings Redis 7.0 still reads but no longer
 * writes (ziplist, zipmap, linked lists, text-score sorted sets, quicklist of ziplists),
 * so loading them can be tested against redis-server itself, plus DUMP payload framing.
 * Written from the formats (ziplist.c, zipmap.c), not from Redis's encoders.
 */
import { ByteWriter } from "../../src/engine/rdb/bytes";
import { crc64, crc64Bytes } from "../../src/engine/rdb/crc64";
import { writeLength, writeString } from "../../src/engine/rdb/object";
import { bytesToBinary } from "../../src/util/binary";

/** A ziplist of `items`, integers in the smallest integer encoding (as ziplistPush does). */
export function ziplist(items: string[]): Uint8Array {
  const w = new ByteWriter();
  w.u32le(0);
  w.u32le(0);
  w.u16le(items.length);
  let prev = 0;
  let tail = 10;
  for (const item of items) {
    const start = w.length;
    tail = start;
    if (prev < 254) w.byte(prev);
    else {
      w.byte(0xfe);
      w.u32le(prev);
    }
    const n = /^(?:0|-?[1-9][0-9]{0,18})$/.test(item) ? BigInt(item) : null;
    if (n !== null && n >= 0n && n <= 12n) {
      w.byte(0xf1 + Number(n));
    } else if (n !== null && n >= -128n && n <= 127n) {
      w.byte(0xfe);
      w.byte(Number(n) & 0xff);
    } else if (n !== null && n >= -32768n && n <= 32767n) {
      w.byte(0xc0);
      w.u16le(Number(n) & 0xffff);
    } else if (n !== null && n >= -8388608n && n <= 8388607n) {
      w.byte(0xf0);
      const v = Number(n) & 0xffffff;
      w.byte(v & 0xff);
      w.byte((v >>> 8) & 0xff);
      w.byte(v >>> 16);
    } else if (n !== null && n >= -2147483648n && n <= 2147483647n) {
      w.byte(0xd0);
      w.u32le(Number(n) >>> 0);
    } else if (n !== null && n >= -(2n ** 63n) && n < 2n ** 63n) {
      w.byte(0xe0);
      w.i64le(n);
    } else if (item.length < 64) {
      w.byte(item.length);
      w.binary(item);
    } else if (item.length < 16384) {
      w.byte(0x40 | (item.length >>> 8));
      w.byte(item.length & 0xff);
      w.binary(item);
    } else {
      w.byte(0x80);
      w.u32be(item.length);
      w.binary(item);
    }
    prev = w.length - start;
  }
  w.byte(0xff);
  w.patchU32le(0, w.length);
  w.patchU32le(4, tail);
  return w.toBytes();
}

/** A zipmap of field/value pairs (Redis 2.4 and earlier hashes). */
export function zipmap(pairs: [string, string][]): Uint8Array {
  const w = new ByteWriter();
  w.byte(pairs.length < 254 ? pairs.length : 254);
  const len = (n: number) => {
    if (n < 254) w.byte(n);
    else {
      w.byte(254);
      w.u32le(n);
    }
  };
  for (const [f, v] of pairs) {
    len(f.length);
    w.binary(f);
    len(v.length);
    w.byte(0); // no free bytes
    w.binary(v);
  }
  w.byte(0xff);
  return w.toBytes();
}

/** An object body writer: type byte then whatever `body` writes. */
export function object(type: number, body: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  w.byte(type);
  body(w);
  return w.toBytes();
}

/** A blob stored as an RDB string (plain length + bytes: what older Redis wrote). */
export function blob(w: ByteWriter, bytes: Uint8Array): void {
  writeLength(w, bytes.length);
  w.bytes(bytes);
}

export { writeLength, writeString };

/** Frames an object as a DUMP payload with RDB version `version`, as a binary string. */
export function payload(obj: Uint8Array, version = 9): string {
  const w = new ByteWriter();
  w.bytes(obj);
  w.u16le(version);
  w.bytes(crc64Bytes(crc64(w.view())));
  return bytesToBinary(w.toBytes());
}
