/**
 * The keyspace of one shard: keys → values, the expiry index, lazy expiry, the
 * insertion-ordered index that SCAN and RANDOMKEY walk, each key's access clock (for
 * LRU/LFU eviction and OBJECT IDLETIME/FREQ), and the exact count of heap bytes held
 * (`usedMemory`, for INFO memory and maxmemory). Pure TypeScript: no Workers APIs, so it
 * runs in Node as well as in the shard Durable Object.
 *
 * Values: a string value is held as a binary string (one char per byte); collection types
 * (lists, hashes, sets, sorted sets) are objects carrying their `type`.
 *
 * Layout: the keyspace is a slot table (src/engine/slot-table.ts: keys in insertion order,
 * holes compacted, SCAN cursors that are sequence numbers, so a key present for the whole
 * scan is returned exactly once however the keyspace changes) with two columns of its
 * own: the value and the access clock.
 *
 * Every key also sits in its Redis Cluster hash slot's set (src/engine/hash-slot-index.ts),
 * so one slot's keys are found without a walk over all of them: SCAN pages in hash-slot
 * order (`scanHashSlots`), and live migration moves a slot's keys (`keysInHashSlot`).
 *
 * Keys with a TTL also sit in an expiry heap (earliest first), so the shard's alarm can
 * delete keys as they expire (active expiry) without scanning, and always knows the next
 * expiry time. Entries made stale by a changed or removed TTL are skipped when reached.
 * Hashes with field TTLs (Redis 7.4's hash field expiration) sit in a second heap, keyed by
 * their earliest field expiry (Redis's db->hexpires), so the same alarm reclaims expired
 * fields: a collection says when its first element expires (`nextElementExpiry`, read at
 * every re-measure) and drops what is due (`expireElements`, logged as HDEL through
 * onExpireFields). Lazy field expiry runs in `get`/`peek`, so no command sees an expired
 * field; a hash whose last field expires is deleted. Keyspaces without field TTLs pay one
 * size check per lookup.
 *
 * Every change goes through `set`, `delete`, `setExpire`, `persist`, `flush` or
 * `keyWritten`, which bump `dirty` (the executor logs a command that bumped it) and
 * advance the version of WATCHed keys (so EXEC can detect a change, as Redis's
 * signalModifiedKey does). `keyWritten` is the one path for a collection changed in
 * place: it deletes the key when the collection is now empty, and otherwise re-measures
 * the collection, so the memory total stays exact.
 *
 * Access tracking follows Redis's lookupKey: `get` and `has` count as an access (they
 * refresh the LRU clock or bump the LFU counter); `peek` does not (Redis's
 * LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT, MEMORY USAGE).
 *
 * Keyspace notifications (src/engine/notify.ts): handlers announce their events through
 * `notify`; the keyspace itself announces what only it sees — a key created (`new`), a
 * collection emptied and deleted (`del`), expiry (`expired`, `hexpired`) and eviction
 * (`evicted`). With notify-keyspace-events "" (the default) each of these is one check.
 */

import { EXPIRE_ENTRY_BYTES, KEY_ENTRY_BYTES, stringBytes } from "./memory";
import { initialAccess, isLfu, touchedAccess } from "./access-clock";
import { defaultSettings, type EngineSettings } from "./settings";
import { SlotTable } from "./slot-table";
import { HashSlotIndex, slotPage, slotTake } from "./hash-slot-index";
import { encodeSlotCursor } from "../util/slot-cursor";
import { SLOTS } from "../util/keyslot";
import { KeyspaceNotifier, NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_HASH } from "./notify";

type RedisType = "string" | "list" | "hash" | "set" | "zset";

/** A collection value; the data-type modules (src/engine/<type>.ts) define the classes. */
export interface Collection {
  readonly type: Exclude<RedisType, "string">;
  /** How many elements it holds (a stored collection is never empty: see keyWritten). */
  readonly size: number;
  /** Redis's OBJECT ENCODING name for the value as it is now (listpack, hashtable, …). */
  encoding(settings: EngineSettings): string;
  /** A deep copy: no later change to either value is visible in the other. */
  clone(): Collection;
  /**
   * Heap bytes the value holds: its objects, containers and element strings, costed with
   * the measured constants of src/engine/memory.ts (stringBytes, MAP_ENTRY_BYTES, …).
   * Called after every change to the value (the keyspace keeps the total exact), so it
   * must be O(1): keep a running count of element bytes in the mutating methods.
   */
  memoryUsage(): number;
  /** The earliest expiry among the collection's own elements (hash field TTLs), if any. */
  nextElementExpiry?(): number | undefined;
  /** Removes the elements whose expiry is before `now`; returns their names. */
  expireElements?(now: number): string[];
}

export type Value = string | Collection;

export function typeOf(v: Value): RedisType {
  return typeof v === "string" ? "string" : v.type;
}

/** Called when lazy or active expiry deletes a key, so the deletion is logged as DEL. */
type ExpireListener = (key: string) => void;
/** Called when eviction deletes a key, so the deletion is logged as DEL. */
type EvictListener = (key: string) => void;
/** Called when lazy or active expiry removes elements (hash fields), so it is logged as HDEL. */
type ExpireFieldsListener = (key: string, fields: string[]) => void;

/** How a SCAN in hash-slot order treats a slot on this shard (the shard's slot state decides). */
export type ScanRole = typeof SCAN_SERVE | typeof SCAN_WHOLE | typeof SCAN_AWAY | typeof SCAN_SKIP;
/** A slot this shard serves. */
export const SCAN_SERVE = 0;
/** A slot this shard answers for only alone on a page (a slot it is migrating out: its keys are on two groups). */
export const SCAN_WHOLE = 1;
/** A slot another group answers for: the walk stops before it (the router sends the next call there). */
export const SCAN_AWAY = 2;
/** A slot passed over, the walk going on (a script's SCAN: this shard's own keys, as on a Redis Cluster node). */
export const SCAN_SKIP = 3;

export class Keyspace extends SlotTable {
  /** Per slot (see SlotTable): the key's value (undefined for a hole) and its access clock. */
  private readonly slotValue: (Value | undefined)[] = [];
  private readonly slotAccess: number[] = [];
  /** Keys by hash slot (see header). */
  private readonly hashSlots = new HashSlotIndex();

  /** Absolute expiry time in ms for keys that have a TTL (Redis's `expires` dict). */
  private readonly expires = new Map<string, number>();
  /** Min-heap of (time, key) over `expires`; may hold stale pairs (see header). */
  private heap = new ExpiryHeap();
  /** Keys of collections with expiring elements → the earliest element expiry (see header). */
  private readonly subexpires = new Map<string, number>();
  /** Min-heap of (time, key) over `subexpires`; may hold stale pairs. */
  private subHeap = new ExpiryHeap();

  /** Accounted bytes of each collection value as last measured (strings are costed by length). */
  private readonly collectionBytes = new Map<string, number>();
  private used = 0;
  private peakUsed = 0;

  /** Versions of WATCHed keys: key → [version, number of watchers]. */
  private readonly watched = new Map<string, [number, number]>();
  /**
   * Starts at a random point, so versions handed out before a restart of the shard can
   * never match versions handed out after it (a WATCH must not survive that unnoticed).
   */
  private watchClock = Math.floor(Math.random() * 2 ** 50);

  /** Encoding thresholds, maxmemory and the other settings that CONFIG SET changes. */
  readonly settings: EngineSettings = defaultSettings();
  /** Keyspace notifications; the executor gives it a sink while it collects. */
  readonly notifier = new KeyspaceNotifier(this.settings);
  /** Counters INFO stats reports. */
  readonly stats = { expiredKeys: 0, evictedKeys: 0, expiredFields: 0, rpcCalls: 0 };
  /** Count of changes, as Redis's server.dirty. */
  dirty = 0;
  private nowMs = Date.now();
  /** The key the current command last looked up (see `set`). */
  private lastAccessed: string | undefined;
  /** When false, reads never expire keys (used while replaying the log). */
  expireOnRead = true;
  /**
   * A replica's keyspace: a key past its TTL reads as missing but is not deleted (the
   * primary's DEL removes it, as Redis replicas do). Field TTLs are left to the primary too.
   */
  hideExpired = false;
  onExpire: ExpireListener | null = null;
  onEvict: EvictListener | null = null;
  onExpireFields: ExpireFieldsListener | null = null;
  /** Random source for LFU increments, RANDOMKEY and eviction sampling (tests inject one). */
  random: () => number = Math.random;

  /** The current time in ms; the executor sets it before each command. */
  get now(): number {
    return this.nowMs;
  }

  set now(ms: number) {
    this.nowMs = ms;
    this.lastAccessed = undefined;
  }

  // --- reading --------------------------------------------------------------------

  /** The value at `key`, or undefined; an expired key is deleted first (lazy expiry). An access. */
  get(key: string): Value | undefined {
    const slot = this.slotOf(key);
    if (slot === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return undefined;
    if (this.subexpires.size !== 0 && this.expireElementsIfDue(key)) return undefined;
    this.slotAccess[slot] = touchedAccess(this.slotAccess[slot], this.nowMs, this.settings, this.random);
    this.lastAccessed = key;
    return this.slotValue[slot];
  }

  /** Whether `key` exists (lazy expiry applies). An access, as `get`. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The value at `key` without counting an access (lazy expiry still applies). */
  peek(key: string): Value | undefined {
    const slot = this.slotOf(key);
    if (slot === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfDue(key)) return undefined;
    if (this.subexpires.size !== 0 && this.expireElementsIfDue(key)) return undefined;
    return this.slotValue[slot];
  }

  /** Absolute expiry in ms, or undefined when the key has no TTL (or does not exist). */
  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  // (`size`, from SlotTable, counts every key held, expired-but-not-yet-deleted ones
  // included, as Redis's dbsize.)

  get expiresCount(): number {
    return this.expires.size;
  }

  /** How many keys hold collections with expiring elements (INFO keyspace's subexpiry). */
  get subexpiresCount(): number {
    return this.subexpires.size;
  }

  /** Every key's expiry time (for INFO's statistics). */
  expiryTimes(): IterableIterator<number> {
    return this.expires.values();
  }

  /** Deletes `key` if its TTL has passed; returns true if it did. */
  expireIfDue(key: string): boolean {
    if (!this.expireOnRead) return false;
    if (!this.isExpired(key)) return false;
    // A replica: the key is gone for readers, but only the primary's DEL removes it.
    if (this.hideExpired) return true;
    this.expireKey(key);
    return true;
  }

  /** True when `key`'s TTL has passed: Redis expires a key only once now > when. */
  isExpired(key: string): boolean {
    const at = this.expires.get(key);
    return at !== undefined && at < this.nowMs;
  }

  private expireKey(key: string): void {
    this.delete(key);
    this.stats.expiredKeys++;
    this.onExpire?.(key);
    this.notify(NOTIFY_EXPIRED, "expired", key);
  }

  /**
   * Removes the expired elements of the collection at `key` (lazy field expiry), if any is
   * due; returns true when that emptied and so deleted the key.
   */
  private expireElementsIfDue(key: string): boolean {
    if (!this.expireOnRead || this.hideExpired) return false;
    const at = this.subexpires.get(key);
    if (at === undefined || at >= this.nowMs) return false;
    return this.expireElements(key);
  }

  /** Removes the due elements of the collection at `key`, logging them; true when it emptied. */
  private expireElements(key: string): boolean {
    const value = this.slotValue[this.slotOf(key)!] as Collection;
    const fields = value.expireElements?.(this.nowMs) ?? [];
    if (fields.length === 0) {
      // The index was early (nothing is due yet): only move it.
      this.indexElementExpiry(key, value.nextElementExpiry?.());
      return false;
    }
    this.stats.expiredFields += fields.length;
    this.onExpireFields?.(key, fields);
    // Re-measures and re-indexes (or deletes the emptied key): one change either way.
    this.keyWritten(key, value);
    // One event per pass, then `del` when it emptied the hash (as Redis 7.4's active expiry).
    this.notify(NOTIFY_HASH, "hexpired", key);
    return value.size === 0;
  }

  /** The earliest TTL among keys and expiring elements, or undefined when none has one. */
  nextExpiry(): number | undefined {
    this.dropStaleHeapTop();
    this.dropStaleSubHeapTop();
    const key = this.heap.at.length ? this.heap.at[0] : undefined;
    const sub = this.subHeap.at.length ? this.subHeap.at[0] : undefined;
    if (key === undefined) return sub;
    return sub === undefined || key <= sub ? key : sub;
  }

  /**
   * Active expiry: deletes up to `limit` keys whose TTL is before `now`, and reclaims the
   * expired elements of collections (a collection counting once), earliest first (each key
   * reported to onExpire, so it is logged as DEL; elements to onExpireFields, as HDEL).
   * Returns how many keys and collections it handled.
   */
  expireDue(now: number, limit: number): number {
    let n = 0;
    while (n < limit) {
      this.dropStaleHeapTop();
      this.dropStaleSubHeapTop();
      const keyAt = this.heap.at.length ? this.heap.at[0] : Infinity;
      const subAt = this.subHeap.at.length ? this.subHeap.at[0] : Infinity;
      if (keyAt <= subAt) {
        if (keyAt >= now) break;
        const key = this.heap.key[0];
        this.heap.pop();
        this.expireKey(key);
      } else {
        if (subAt >= now) break;
        const key = this.subHeap.key[0];
        this.subHeap.pop();
        this.expireElements(key);
      }
      n++;
    }
    return n;
  }

  // --- keyspace notifications (src/engine/notify.ts) -------------------------------

  /**
   * Announces `event` (of class `type`, a NOTIFY_* flag) on `key`, as Redis's
   * notifyKeyspaceEvent: a handler calls it once per event, in Redis's order, after the
   * change. Nothing but one check while notify-keyspace-events is "".
   */
  notify(type: number, event: string, key: string): void {
    if (this.settings.notifyKeyspaceEvents !== 0) this.notifier.notify(type, event, key);
  }

  // --- writing --------------------------------------------------------------------

  /**
   * Called with every key about to be created while set (null: none): throws to refuse
   * it, before anything changes. The executor sets it while a command runs on a shard
   * that owns only some slots (src/commands/execute.ts), so no key lands in a slot the
   * shard does not own; recovery and replay run without it.
   */
  newKeyGuard: ((key: string) => void) | null = null;

  /**
   * Stores `value` at `key`. Clears the key's TTL unless `keepTtl`. A new key starts a
   * fresh access clock (createObject); overwriting keeps the LFU counter, counting the
   * overwrite as an access unless the command already looked the key up (dbOverwrite
   * after lookupKeyWrite), and restarts the LRU clock.
   */
  set(key: string, value: Value, keepTtl = false): void {
    let slot = this.slotOf(key);
    if (slot === undefined) {
      if (this.newKeyGuard !== null) this.newKeyGuard(key);
      if (this.settings.notifyKeyspaceEvents !== 0) this.notifier.created(key);
      slot = this.insertSlot(key);
      this.hashSlots.add(key);
      this.slotValue[slot] = value;
      this.slotAccess[slot] = initialAccess(this.nowMs, this.settings);
      this.used += KEY_ENTRY_BYTES + stringBytes(key);
    } else {
      this.used -= this.valueBytes(key, this.slotValue[slot]!);
      this.slotValue[slot] = value;
      if (!isLfu(this.settings.maxmemoryPolicy) || this.lastAccessed !== key) {
        this.slotAccess[slot] = touchedAccess(this.slotAccess[slot], this.nowMs, this.settings, this.random);
      }
    }
    this.used += this.measure(key, value);
    if (!keepTtl) this.dropExpire(key);
    this.changed(key);
  }

  /** Removes `key`; returns whether it existed. */
  delete(key: string): boolean {
    const slot = this.slotOf(key);
    if (slot === undefined) return false;
    this.used -= KEY_ENTRY_BYTES + stringBytes(key) + this.valueBytes(key, this.slotValue[slot]!);
    this.collectionBytes.delete(key);
    this.dropExpire(key);
    if (this.subexpires.size !== 0) this.indexElementExpiry(key, undefined);
    this.removeSlot(key);
    this.hashSlots.remove(key);
    this.changed(key);
    return true;
  }

  /** Sets an absolute expiry (ms) on an existing key. */
  setExpire(key: string, atMs: number): void {
    if (!this.expires.has(key)) this.used += EXPIRE_ENTRY_BYTES;
    this.expires.set(key, atMs);
    this.heap.push(atMs, key);
    if (this.heap.at.length > 64 && this.heap.at.length > 2 * this.expires.size) this.rebuildHeap();
    this.changed(key);
  }

  /** Removes a key's TTL; returns whether it had one. */
  persist(key: string): boolean {
    if (!this.dropExpire(key)) return false;
    this.changed(key);
    return true;
  }

  /**
   * The one path for "the collection `value` at `key` was written" (collections change in
   * place), so no write skips WATCH, dirty or memory accounting:
   * - `key` does not hold `value` yet (a collection just built for it): it is stored, as `set`;
   * - `value` is now empty: the key is deleted, as Redis never keeps an empty collection;
   * - else the value is re-measured, and the change counts for WATCH and the log.
   */
  keyWritten(key: string, value: Collection): void {
    const slot = this.slotOf(key);
    if (slot === undefined || this.slotValue[slot] !== value) {
      if (value.size > 0) this.set(key, value);
    } else if (value.size === 0) {
      this.delete(key);
      if (this.settings.notifyKeyspaceEvents !== 0) this.notifier.emptied(key);
    } else {
      this.used -= this.collectionBytes.get(key) ?? 0;
      this.used += this.measure(key, value);
      this.changed(key);
    }
  }

  /** Deletes every key; returns how many there were. */
  flush(): number {
    const n = this.size;
    // As Redis 7.0's touchAllWatchedKeysInDb: only watched keys that existed are touched.
    for (const [key, w] of this.watched) if (this.slotOf(key) !== undefined) w[0] = ++this.watchClock;
    this.clearSlots();
    this.hashSlots.clear();
    this.expires.clear();
    this.heap = new ExpiryHeap();
    this.subexpires.clear();
    this.subHeap = new ExpiryHeap();
    this.collectionBytes.clear();
    this.used = 0;
    this.dirty += n;
    return n;
  }

  /** The slot arrays SlotTable keeps aligned with the keys. */
  protected override columns(): readonly unknown[][] {
    return [this.slotValue, this.slotAccess];
  }

  /** A deleted key's value is released at once (access clocks are plain numbers). */
  protected override releaseSlot(slot: number): void {
    this.slotValue[slot] = undefined;
  }

  /** The keyspace tolerates more holes before compacting than a small collection does. */
  protected override get minCompactSlots(): number {
    return 64;
  }

  private changed(key: string): void {
    this.dirty++;
    if (this.used > this.peakUsed) this.peakUsed = this.used;
    const w = this.watched.get(key);
    if (w) w[0] = ++this.watchClock;
  }

  // --- memory ---------------------------------------------------------------------

  /** Heap bytes held by keys, values, TTLs and their index entries (INFO's used_memory). */
  get usedMemory(): number {
    return this.used;
  }

  /** The most `usedMemory` has been (used_memory_peak). */
  get peakMemory(): number {
    return this.peakUsed;
  }

  /**
   * Bytes one key costs, name, value, TTL and index entries together (MEMORY USAGE), or
   * undefined when it does not exist. Not an access.
   */
  memoryUsage(key: string): number | undefined {
    const v = this.peek(key);
    if (v === undefined) return undefined;
    const value = typeof v === "string" ? stringBytes(v) : (v.memoryUsage?.() ?? 0);
    const ttls = (this.expires.has(key) ? EXPIRE_ENTRY_BYTES : 0) + (this.subexpires.has(key) ? EXPIRE_ENTRY_BYTES : 0);
    return KEY_ENTRY_BYTES + stringBytes(key) + value + ttls;
  }

  /** Measures a value just stored at `key` (remembering a collection's size). */
  private measure(key: string, value: Value): number {
    if (typeof value === "string") {
      this.collectionBytes.delete(key);
      if (this.subexpires.size !== 0) this.indexElementExpiry(key, undefined);
      return stringBytes(value);
    }
    // (Optional call: a test double without the method counts as nothing.)
    const bytes = value.memoryUsage?.() ?? 0;
    this.collectionBytes.set(key, bytes);
    // Every write of a collection passes here, so the element expiry index follows it.
    const at = value.nextElementExpiry?.();
    if (at !== undefined || this.subexpires.size !== 0) this.indexElementExpiry(key, at);
    return bytes;
  }

  /**
   * Records (or, with undefined, forgets) the earliest element expiry of the collection at
   * `key` in the second heap. Its entry costs what a key TTL's does (a Map entry and a heap
   * pair), accounted in `used`.
   */
  private indexElementExpiry(key: string, at: number | undefined): void {
    const before = this.subexpires.get(key);
    if (before === at) return;
    if (at === undefined) {
      this.subexpires.delete(key);
      this.used -= EXPIRE_ENTRY_BYTES;
      return;
    }
    if (before === undefined) this.used += EXPIRE_ENTRY_BYTES;
    this.subexpires.set(key, at);
    this.subHeap.push(at, key);
    if (this.subHeap.at.length > 64 && this.subHeap.at.length > 2 * this.subexpires.size) {
      this.subHeap = new ExpiryHeap();
      for (const [k, t] of this.subexpires) this.subHeap.push(t, k);
    }
  }

  /** The bytes accounted for the value now at `key`. */
  private valueBytes(key: string, value: Value): number {
    return typeof value === "string" ? stringBytes(value) : (this.collectionBytes.get(key) ?? 0);
  }

  /** Removes a TTL (the heap entry goes stale); returns whether there was one. */
  private dropExpire(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.used -= EXPIRE_ENTRY_BYTES;
    return true;
  }

  // --- access clock (src/engine/access-clock.ts) and eviction (src/engine/eviction.ts) --

  /** Sets the key's access field (RESTORE … IDLETIME / FREQ). */
  setAccess(key: string, access: number): void {
    const slot = this.slotOf(key);
    if (slot !== undefined) this.slotAccess[slot] = access;
  }

  /** The key's access field (LRU clock or LFU minutes and counter), without touching it. */
  accessOf(key: string): number | undefined {
    const slot = this.slotOf(key);
    return slot === undefined ? undefined : this.slotAccess[slot];
  }

  /**
   * `count` distinct keys drawn at random from every key, or from the keys with a TTL when
   * `volatile` (all of them when there are no more than `count`). Eviction's sample.
   */
  sampleKeys(count: number, volatile: boolean): string[] {
    const size = volatile ? this.expires.size : this.size;
    if (size <= count) return [...(volatile ? this.expires.keys() : this.liveNames())];
    const out = new Set<string>();
    // Slots are at least half live (see SlotTable) and heap entries at least half
    // current (see setExpire), and count < size, so draws succeed often; the bound on
    // tries only guards against a pathological run of luck.
    for (let tries = 0; out.size < count && tries < count * 64; tries++) {
      if (volatile) {
        const i = Math.floor(this.random() * this.heap.at.length);
        const key = this.heap.key[i];
        if (this.expires.get(key) === this.heap.at[i]) out.add(key);
      } else {
        const key = this.nameAt(Math.floor(this.random() * this.slotCount));
        if (key !== undefined) out.add(key);
      }
    }
    return [...out];
  }

  /** The key with a TTL that expires first (volatile-ttl's choice), if any. */
  soonestExpiring(): string | undefined {
    this.dropStaleHeapTop();
    return this.heap.key.length ? this.heap.key[0] : undefined;
  }

  /** Deletes `key` to free memory: counted in evicted_keys and reported to onEvict. */
  evict(key: string): void {
    if (!this.delete(key)) return;
    this.stats.evictedKeys++;
    this.onEvict?.(key);
    this.notify(NOTIFY_EVICTED, "evicted", key);
  }

  // --- iteration ------------------------------------------------------------------

  /** Every key held (including expired ones not yet deleted), in insertion order. */
  keys(): IterableIterator<string> {
    return this.liveNames();
  }

  /**
   * One SCAN step: examines about `count` slots from `cursor` and returns the keys found
   * and the next cursor (0 when done). Expired keys are skipped (and deleted).
   */
  scan(cursor: number, count: number): { cursor: number; keys: string[] } {
    const seen: string[] = [];
    const next = this.scanSlots(cursor, count, (key) => seen.push(key));
    // Expired keys are deleted after the walk, which must not change the slots.
    const keys = seen.filter((key) => !this.expireIfDue(key));
    return { cursor: next, keys };
  }

  /**
   * One SCAN step in hash-slot order (the deployment-wide SCAN: the router sends it to the
   * group serving the cursor's slot, src/router/dispatch.ts). From `from` at `position`,
   * walks consecutive slots that `role` says this shard serves, taking about `count` keys,
   * and returns them with the cursor to continue from (src/util/slot-cursor.ts):
   *   - it stops before a SCAN_AWAY slot, so the next call goes to that slot's group, and
   *     passes over a SCAN_SKIP one;
   *   - a page holds whole slots, except a slot holding more keys than the page has room
   *     for: it starts a page of its own and is taken by position (src/engine/hash-slot-index.ts
   *     `slotTake`: COUNT, or at least 1/32 of the slot), the cursor saying where to go on;
   *   - a SCAN_WHOLE slot at `from` is the page's only slot, taken by position the same way
   *     (the shard adds the keys moved out of it: src/shard/keyspace-view.ts); one met later
   *     ends the page.
   * So a key present for the whole walk is returned exactly once, whichever groups its slot
   * moves between, and whatever restarts. The caller answers for a SCAN_AWAY `from` (the
   * router re-routes it). Expired keys are skipped (and deleted).
   */
  scanHashSlots(from: number, position: number, count: number, role: (slot: number) => ScanRole): { cursor: string; keys: string[] } {
    let seen: string[] = [];
    let next = SLOTS;
    let nextPosition = 0;
    let budget = Math.max(1, count);
    for (let s = from; s < SLOTS; s++) {
      const r = role(s);
      if (r === SCAN_SKIP) continue;
      if (r === SCAN_AWAY || (r === SCAN_WHOLE && s !== from)) {
        next = s;
        break;
      }
      const n = this.hashSlots.count(s);
      if (n === 0 && r === SCAN_SERVE) continue;
      const start = s === from ? position : 0;
      if (r === SCAN_SERVE && start === 0 && n <= budget) {
        for (const key of this.hashSlots.keys(s)) seen.push(key);
        budget -= n;
        if (budget > 0) continue;
        next = s + 1;
        break;
      }
      // Too large for what is left of the page: it starts the next one.
      if (seen.length > 0) {
        next = s;
        break;
      }
      const page = slotPage(this.hashSlots.keys(s), start, slotTake(budget, n));
      seen = page.keys;
      if (page.next > 0) {
        next = s;
        nextPosition = page.next;
      } else next = s + 1;
      break;
    }
    // Expired keys are deleted after the walk, which must not change the slot sets.
    const keys = seen.filter((key) => !this.expireIfDue(key));
    return { cursor: encodeSlotCursor(next, nextPosition), keys };
  }

  /** The keys held in hash slot `slot` (expired ones not yet deleted included); do not change the keyspace while iterating. */
  keysInHashSlot(slot: number): Iterable<string> {
    return this.hashSlots.keys(slot);
  }

  /** How many keys hash slot `slot` holds (expired ones not yet deleted included). */
  countInHashSlot(slot: number): number {
    return this.hashSlots.count(slot);
  }

  /**
   * A key's SCAN sequence number, or undefined: fixed while the key exists (a key deleted
   * and created again gets a new, higher one). A snapshot walking in SCAN order uses it to
   * tell keys it has passed from keys still ahead (src/shard/snapshot-job.ts).
   */
  sequenceOf(key: string): number | undefined {
    const slot = this.slotOf(key);
    return slot === undefined ? undefined : this.sequenceAt(slot);
  }

  /** The sequence number the next new key will get: every key now has a smaller one. */
  get sequenceLimit(): number {
    return this.nextSequence;
  }

  /** A uniformly random live key, or undefined when empty. */
  randomKey(): string | undefined {
    while (this.size > 0) {
      const key = this.nameAt(this.randomSlot(this.random)) as string;
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
  changedSince(key: string, version: number, expiredAtWatch: boolean): boolean {
    const w = this.watched.get(key);
    return !w || w[0] !== version || (!expiredAtWatch && this.isExpired(key));
  }

  // --- the expiry heaps ---------------------------------------------------------

  private dropStaleHeapTop(): void {
    const h = this.heap;
    while (h.at.length && this.expires.get(h.key[0]) !== h.at[0]) h.pop();
  }

  private dropStaleSubHeapTop(): void {
    const h = this.subHeap;
    while (h.at.length && this.subexpires.get(h.key[0]) !== h.at[0]) h.pop();
  }

  private rebuildHeap(): void {
    this.heap = new ExpiryHeap();
    for (const [key, at] of this.expires) this.heap.push(at, key);
  }
}

/** A binary min-heap of (time, key) pairs, in two parallel arrays (no object per pair). */
class ExpiryHeap {
  readonly at: number[] = [];
  readonly key: string[] = [];

  push(at: number, key: string): void {
    const A = this.at;
    const K = this.key;
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

  pop(): void {
    const A = this.at;
    const K = this.key;
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
}
