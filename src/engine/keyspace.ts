/**
 * The keyspace of one shard: keys → values, the expiry index, lazy expiry, and the
 * insertion-ordered index that SCAN and RANDOMKEY walk. Pure TypeScript: no Workers APIs,
 * so it runs in Node as well as in the shard Durable Object.
 *
 * Values: a string value is held as a binary string (one char per byte); collection types
 * (lists, hashes, sets, sorted sets) are objects carrying their `type`.
 *
 * Keys with a TTL also sit in an expiry heap (earliest first), so the shard's alarm can
 * delete keys as they expire (active expiry) without scanning, and always knows the next
 * expiry time. Entries made stale by a changed or removed TTL are skipped when reached.
 *
 * Every change goes through `set`, `delete`, `setExpire`, `persist`, `flush` or
 * `signalModified`, which bump `dirty` (the executor logs a command that bumped it) and
 * advance the version of WATCHed keys (so EXEC can detect a change, as Redis's
 * signalModifiedKey does).
 */

import { defaultSettings, type EngineSettings } from "./settings";

export type RedisType = "string" | "list" | "hash" | "set" | "zset";

/** A collection value; the data-type modules (src/engine/<type>.ts) define the classes. */
export interface Collection {
  readonly type: Exclude<RedisType, "string">;
  /** Redis's OBJECT ENCODING name for the value as it is now (listpack, hashtable, …). */
  encoding(settings: EngineSettings): string;
  /** A deep copy: no later change to either value is visible in the other. */
  clone(): Collection;
}

export type Value = string | Collection;

export function typeOf(v: Value): RedisType {
  return typeof v === "string" ? "string" : v.type;
}

/** Called when lazy or active expiry deletes a key, so the deletion is logged as DEL. */
export type ExpireListener = (key: string) => void;

export class Keyspace {
  private readonly data = new Map<string, Value>();
  /** Absolute expiry time in ms for keys that have a TTL (Redis's `expires` dict). */
  private readonly expires = new Map<string, number>();
  /** Min-heap of (time, key) over `expires`; may hold stale pairs (see header). */
  private heapAt: number[] = [];
  private heapKey: string[] = [];

  /**
   * SCAN order: keys in insertion order with a sequence number each. A key deleted leaves
   * a hole (its slot holds a stale sequence); holes are compacted once they outnumber live
   * keys. A SCAN cursor is a sequence number, so a key present for the whole scan is
   * returned exactly once, however the keyspace changes meanwhile.
   */
  private scanKeys: string[] = [];
  private scanSeqs: number[] = [];
  private readonly seqOf = new Map<string, number>();
  private nextSeq = 1;

  /** Versions of WATCHed keys: key → [version, number of watchers]. */
  private readonly watched = new Map<string, [number, number]>();
  private watchClock = 0;

  /** Encoding thresholds and other settings that CONFIG SET changes. */
  readonly settings: EngineSettings = defaultSettings();
  /** Counters INFO stats reports. */
  readonly stats = { expiredKeys: 0, evictedKeys: 0 };
  /** Count of changes, as Redis's server.dirty. */
  dirty = 0;
  /** The current time in ms; the executor sets it before each command. */
  now = Date.now();
  /** When false, reads never expire keys (used while replaying the log). */
  expireOnRead = true;
  onExpire: ExpireListener | null = null;

  // --- reading --------------------------------------------------------------------

  /** The value at `key`, or undefined; an expired key is deleted first (lazy expiry). */
  get(key: string): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (this.expireIfDue(key)) return undefined;
    return v;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Absolute expiry in ms, or undefined when the key has no TTL (or does not exist). */
  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  /** Keys held, expired-but-not-yet-deleted ones included (as Redis's dbsize). */
  get size(): number {
    return this.data.size;
  }

  get expiresCount(): number {
    return this.expires.size;
  }

  /** Every key's expiry time (for INFO's statistics). */
  expiryTimes(): IterableIterator<number> {
    return this.expires.values();
  }

  /** Deletes `key` if its TTL has passed; returns true if it did. */
  expireIfDue(key: string): boolean {
    if (!this.expireOnRead) return false;
    if (!this.isExpired(key)) return false;
    this.expireKey(key);
    return true;
  }

  /** True when `key`'s TTL has passed: Redis expires a key only once now > when. */
  isExpired(key: string): boolean {
    const at = this.expires.get(key);
    return at !== undefined && at < this.now;
  }

  private expireKey(key: string): void {
    this.delete(key);
    this.stats.expiredKeys++;
    this.onExpire?.(key);
  }

  /** The earliest TTL among keys, or undefined when no key has one. */
  nextExpiry(): number | undefined {
    this.dropStaleHeapTop();
    return this.heapAt.length ? this.heapAt[0] : undefined;
  }

  /**
   * Active expiry: deletes up to `limit` keys whose TTL is at or before `now`, earliest
   * first (each reported to onExpire, so it is logged as DEL). Returns how many it deleted.
   */
  expireDue(now: number, limit: number): number {
    let n = 0;
    while (n < limit) {
      this.dropStaleHeapTop();
      if (this.heapAt.length === 0 || this.heapAt[0] >= now) break;
      const key = this.heapKey[0];
      this.heapPop();
      this.expireKey(key);
      n++;
    }
    return n;
  }

  // --- writing --------------------------------------------------------------------

  /** Stores `value` at `key`. Clears the key's TTL unless `keepTtl`. */
  set(key: string, value: Value, keepTtl = false): void {
    if (!this.data.has(key)) this.indexKey(key);
    this.data.set(key, value);
    if (!keepTtl) this.expires.delete(key);
    this.signalModified(key);
  }

  /** Removes `key`; returns whether it existed. */
  delete(key: string): boolean {
    if (!this.data.delete(key)) return false;
    this.expires.delete(key);
    this.unindexKey(key);
    this.signalModified(key);
    return true;
  }

  /** Sets an absolute expiry (ms) on an existing key. */
  setExpire(key: string, atMs: number): void {
    this.expires.set(key, atMs);
    this.heapPush(atMs, key);
    if (this.heapAt.length > 64 && this.heapAt.length > 2 * this.expires.size) this.rebuildHeap();
    this.signalModified(key);
  }

  /** Removes a key's TTL; returns whether it had one. */
  persist(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.signalModified(key);
    return true;
  }

  /** Records an in-place change to the value at `key` (collections change in place). */
  signalModified(key: string): void {
    this.dirty++;
    const w = this.watched.get(key);
    if (w) w[0] = ++this.watchClock;
  }

  /** Deletes every key; returns how many there were. */
  flush(): number {
    const n = this.data.size;
    this.data.clear();
    this.expires.clear();
    this.heapAt = [];
    this.heapKey = [];
    this.scanKeys = [];
    this.scanSeqs = [];
    this.seqOf.clear();
    for (const w of this.watched.values()) w[0] = ++this.watchClock;
    this.dirty += n;
    return n;
  }

  // --- iteration ------------------------------------------------------------------

  /** Every key held (including expired ones not yet deleted), in insertion order. */
  keys(): IterableIterator<string> {
    return this.data.keys();
  }

  /**
   * One SCAN step: examines about `count` slots from `cursor` and returns the keys found
   * and the next cursor (0 when done). Expired keys are skipped (and deleted).
   */
  scan(cursor: number, count: number): { cursor: number; keys: string[] } {
    let i = this.positionOf(cursor);
    const out: string[] = [];
    const end = Math.min(this.scanKeys.length, i + Math.max(1, count));
    for (; i < end; i++) {
      const key = this.scanKeys[i];
      if (this.seqOf.get(key) !== this.scanSeqs[i]) continue;
      if (this.expireIfDue(key)) continue;
      out.push(key);
    }
    return { cursor: i >= this.scanKeys.length ? 0 : this.scanSeqs[i], keys: out };
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(): string | undefined {
    while (this.data.size > 0) {
      const i = Math.floor(Math.random() * this.scanKeys.length);
      const key = this.scanKeys[i];
      if (this.seqOf.get(key) !== this.scanSeqs[i]) continue;
      if (this.expireIfDue(key)) continue;
      return key;
    }
    return undefined;
  }

  // --- WATCH ----------------------------------------------------------------------

  /** Starts watching `key`; returns its current version. */
  watch(key: string): number {
    const w = this.watched.get(key);
    if (w) {
      w[1]++;
      return w[0];
    }
    this.watched.set(key, [this.watchClock, 1]);
    return this.watchClock;
  }

  /** Stops one watcher of `key`. */
  unwatch(key: string): void {
    const w = this.watched.get(key);
    if (!w) return;
    if (--w[1] <= 0) this.watched.delete(key);
  }

  /**
   * True when `key` changed since `version`, or (as Redis 7.0 does) it expired meanwhile.
   */
  changedSince(key: string, version: number): boolean {
    const w = this.watched.get(key);
    return !w || w[0] !== version || this.isExpired(key);
  }

  // --- the expiry heap -----------------------------------------------------------

  private dropStaleHeapTop(): void {
    while (this.heapAt.length && this.expires.get(this.heapKey[0]) !== this.heapAt[0]) this.heapPop();
  }

  private rebuildHeap(): void {
    this.heapAt = [];
    this.heapKey = [];
    for (const [key, at] of this.expires) this.heapPush(at, key);
  }

  private heapPush(at: number, key: string): void {
    const A = this.heapAt;
    const K = this.heapKey;
    let i = A.push(at) - 1;
    K.push(key);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (A[p] <= at) break;
      A[i] = A[p];
      K[i] = K[p];
      i = p;
    }
    A[i] = at;
    K[i] = key;
  }

  private heapPop(): void {
    const A = this.heapAt;
    const K = this.heapKey;
    const at = A.pop()!;
    const key = K.pop()!;
    const n = A.length;
    if (n === 0) return;
    let i = 0;
    while (true) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && A[l + 1] < A[l] ? l + 1 : l;
      if (A[c] >= at) break;
      A[i] = A[c];
      K[i] = K[c];
      i = c;
    }
    A[i] = at;
    K[i] = key;
  }

  // --- the SCAN index ------------------------------------------------------------

  private indexKey(key: string): void {
    const seq = this.nextSeq++;
    this.scanKeys.push(key);
    this.scanSeqs.push(seq);
    this.seqOf.set(key, seq);
  }

  private unindexKey(key: string): void {
    this.seqOf.delete(key);
    if (this.scanKeys.length > 64 && this.scanKeys.length > 2 * this.data.size) this.compact();
  }

  private compact(): void {
    const keys: string[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < this.scanKeys.length; i++) {
      if (this.seqOf.get(this.scanKeys[i]) === this.scanSeqs[i]) {
        keys.push(this.scanKeys[i]);
        seqs.push(this.scanSeqs[i]);
      }
    }
    this.scanKeys = keys;
    this.scanSeqs = seqs;
  }

  /** Index of the first slot whose sequence is >= cursor (binary search). */
  private positionOf(cursor: number): number {
    let lo = 0;
    let hi = this.scanSeqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.scanSeqs[mid] < cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
