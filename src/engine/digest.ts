/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE, with Redis 7.0's algorithm (debug.c: xorDigest,
 * mixDigest, xorObjectDigest, computeDatasetDigest), so a dataset's digest equals
 * redis-server's for the same data whatever the encodings or orders:
 *
 * - xorDigest(d, x): d ^= SHA1(x); mixDigest(d, x): xorDigest(d, x) then d = SHA1(d).
 * - A value's digest starts at zero, mixes its type (4 bytes, big-endian), then: a
 *   string's bytes; each list element in order; each set member xor'ed in (order-free);
 *   each hash field/value pair and sorted set member/score ("%.17g") as its own mixed
 *   digest xor'ed in; and "!!expire!!" xor'ed in when the key has a TTL.
 * - A key's digest mixes the key name first; the dataset's digest xors in (xorDigest)
 *   every key's, after mixing in the database number (0) when the database is not empty.
 *
 * SHA-1 is computed here, synchronously (Web Crypto's digest is asynchronous).
 */
import { writeBinary } from "../util/binary";
import { formatDouble } from "../util/numbers";
import type { HashValue } from "./hash";
import type { Keyspace, Value } from "./keyspace";
import type { ListValue } from "./list";
import type { RedisSet } from "./set";
import type { SortedSet } from "./zset";

// --- SHA-1 --------------------------------------------------------------------------------

const W = new Int32Array(80);

/** SHA-1 of `data` (20 bytes). */
export function sha1(data: Uint8Array): Uint8Array {
  const bitLen = data.length * 8;
  const padded = new Uint8Array(((data.length + 9 + 63) >> 6) << 6);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) W[i] = view.getInt32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3] ^ W[i - 8] ^ W[i - 14] ^ W[i - 16];
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  const ov = new DataView(out.buffer);
  [h0, h1, h2, h3, h4].forEach((h, i) => ov.setInt32(i * 4, h));
  return out;
}

// --- Redis's digest operations -----------------------------------------------------------------

/** A 20-byte digest. */
type Digest = Uint8Array;

export function zeroDigest(): Digest {
  return new Uint8Array(20);
}

function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  writeBinary(s, out, 0);
  return out;
}

/** digest ^= SHA1(data). */
function xorDigest(digest: Digest, data: Uint8Array): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

/** xorDigest, then digest = SHA1(digest). */
function mixDigest(digest: Digest, data: Uint8Array): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

const TYPE_CODE = { string: 0, list: 1, set: 2, zset: 3, hash: 4 } as const;
const EXPIRE_MARK = bytesOf("!!expire!!");

/** xorObjectDigest: a value's digest mixed into `digest` (DIGEST-VALUE starts from zero). */
function mixValueDigest(digest: Digest, value: Value, hasExpire: boolean): void {
  const type = typeof value === "string" ? "string" : value.type;
  mixDigest(digest, new Uint8Array([0, 0, 0, TYPE_CODE[type]]));
  if (typeof value === "string") {
    mixDigest(digest, bytesOf(value));
  } else if (value.type === "list") {
    for (const e of (value as ListValue).values()) mixDigest(digest, bytesOf(e));
  } else if (value.type === "set") {
    for (const m of (value as RedisSet).members()) xorDigest(digest, bytesOf(m));
  } else if (value.type === "zset") {
    const z = value as SortedSet;
    z.forEachInRange({ from: 0, to: z.size - 1 }, false, (m, score) => {
      const e = zeroDigest();
      mixDigest(e, bytesOf(m));
      mixDigest(e, bytesOf(formatDouble(score)));
      xorDigest(digest, e);
    });
  } else if (value.type === "hash") {
    for (const [f, v] of (value as HashValue).entries()) {
      const e = zeroDigest();
      mixDigest(e, bytesOf(f));
      mixDigest(e, bytesOf(v));
      xorDigest(digest, e);
    }
  }
  if (hasExpire) xorDigest(digest, EXPIRE_MARK);
}

/** DEBUG DIGEST-VALUE of one key (zeros when it does not exist). */
export function valueDigest(db: Keyspace, key: string): Digest {
  const d = zeroDigest();
  const saved = db.expireOnRead;
  db.expireOnRead = false; // as Redis: logically expired keys count too
  try {
    const v = db.peek(key);
    if (v !== undefined) mixValueDigest(d, v, db.getExpire(key) !== undefined);
  } finally {
    db.expireOnRead = saved;
  }
  return d;
}

/** The part of DB 0's digest that does not depend on its keys: mixDigest(0, htonl(0)). */
function databaseMix(): Digest {
  const d = zeroDigest();
  mixDigest(d, new Uint8Array(4));
  return d;
}

/** DEBUG DIGEST of a keyspace (zeros when empty). */
export function datasetDigest(db: Keyspace): Digest {
  const final = zeroDigest();
  if (db.size === 0) return final;
  final.set(databaseMix());
  const saved = db.expireOnRead;
  db.expireOnRead = false;
  try {
    for (const key of db.keys()) {
      const d = zeroDigest();
      mixDigest(d, bytesOf(key));
      mixValueDigest(d, db.peek(key)!, db.getExpire(key) !== undefined);
      xorDigest(final, d);
    }
  } finally {
    db.expireOnRead = saved;
  }
  return final;
}

export function digestHex(d: Digest): string {
  let s = "";
  for (const b of d) s += b.toString(16).padStart(2, "0");
  return s;
}

export function hexDigest(hex: string): Digest {
  const d = zeroDigest();
  for (let i = 0; i < 20; i++) d[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return d;
}

/**
 * The cluster's DEBUG DIGEST from each shard's: keys are xor'ed in, so the xor of the
 * shards' digests has every key once and the database mix once per non-empty shard;
 * that is corrected to exactly once (none when all are empty).
 */
export function mergeDatasetDigests(hexes: readonly string[]): string {
  const out = zeroDigest();
  let nonEmpty = 0;
  for (const h of hexes) {
    if (/^0+$/.test(h)) continue;
    nonEmpty++;
    const d = hexDigest(h);
    for (let i = 0; i < 20; i++) out[i] ^= d[i];
  }
  // Each non-empty shard contributed the mix; keep exactly one (none when all are empty).
  if (nonEmpty > 0 && nonEmpty % 2 === 0) {
    const m = databaseMix();
    for (let i = 0; i < 20; i++) out[i] ^= m[i];
  }
  return digestHex(out);
}
