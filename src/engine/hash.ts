/**
 * The hash type (Redis's t_hash.c type API): the only code that knows how a hash is held.
 * Commands in src/commands/hashes.ts call these methods.
 *
 * Representation: a slot table of fields (src/engine/slot-table.ts) with a value column.
 * Slots keep insertion order (an update stays in place, a deleted field leaves a hole
 * until the slots are compacted), which is exactly the order Redis's listpack encoding
 * returns fields in — so HGETALL, HKEYS, HVALS and HSCAN of a small hash match Redis byte
 * for byte. HSCAN cursors are stable across changes: a field present for a whole scan is
 * returned exactly once.
 *
 * Encoding: Redis 7.0 starts a hash as a listpack and converts it to a hashtable, for
 * good, when a field or value longer than hash-max-listpack-value is written or the hash
 * grows past hash-max-listpack-entries (hashTypeTryConversion / hashTypeSet). We record
 * that conversion at write time with the thresholds then in force, as Redis does, so a
 * later CONFIG SET does not change an existing hash until it is written again.
 *
 * Field TTLs (Redis 7.4's hash field expiration: HEXPIRE, HSETEX, …) live in an optional
 * side object, created by the first field TTL and dropped with the last, so a hash without
 * field TTLs pays one empty pointer and no work. A field is expired once now > its time,
 * as keys are; expired fields are removed by `expireElements`, which the keyspace calls
 * before any command sees the hash (lazy) and from the shard's alarm (active), so no
 * command ever sees one. The earliest field expiry is kept exact (`nextElementExpiry`)
 * for the keyspace's expiry index; moving it later (persisting or deleting the earliest
 * field) rescans the TTLs, O(fields with a TTL).
 */
import type { Collection } from "./keyspace";
import {
  ARRAY_SLOT_BYTES,
  EMPTY_ARRAY_BYTES,
  EMPTY_MAP_BYTES,
  HEAP_NUMBER_BYTES,
  MAP_ENTRY_BYTES,
  objectBytes,
  stringBytes,
} from "./memory";
import type { EngineSettings } from "./settings";
import { SlotTable } from "./slot-table";

/** The HashValue object: type, listpack, slots, names, seqs, nextSeq, vals, textBytes, fieldTtls. */
const HASH_FIXED_BYTES = objectBytes(9) + EMPTY_MAP_BYTES + 3 * EMPTY_ARRAY_BYTES;
/** The FieldTtls object and its empty Map. */
const FIELD_TTLS_FIXED_BYTES = objectBytes(2) + EMPTY_MAP_BYTES;
/** Per field with a TTL: its Map entry (the name string is the slot table's) and the boxed time. */
const FIELD_TTL_ENTRY_BYTES = MAP_ENTRY_BYTES + HEAP_NUMBER_BYTES;

export type HashEntry = [field: string, value: string];

/** The TTLs of a hash's fields that have one. */
interface FieldTtls {
  /** Field → absolute expiry time in ms. */
  readonly at: Map<string, number>;
  /** The earliest time in `at` (kept exact: see the header). */
  min: number;
}

export class HashValue extends SlotTable implements Collection {
  readonly type = "hash" as const;
  /** False once converted to Redis's hashtable encoding (it never converts back). */
  private listpack = true;
  /** Slot → the field's value (see SlotTable). */
  private readonly vals: (string | undefined)[] = [];
  /** Running total of the fields' and values' string bytes, so memoryUsage is O(1). */
  private textBytes = 0;
  /** Field TTLs, or undefined while no field has one (see the header). */
  private fieldTtls: FieldTtls | undefined = undefined;

  protected override columns(): readonly unknown[][] {
    return [this.vals];
  }

  protected override releaseSlot(slot: number): void {
    this.vals[slot] = undefined;
  }

  /** Redis 7.4 calls a listpack with field TTLs "listpackex". */
  encoding(_settings: EngineSettings): string {
    if (!this.listpack) return "hashtable";
    return this.fieldTtls ? "listpackex" : "listpack";
  }

  clone(): HashValue {
    const copy = new HashValue();
    copy.listpack = this.listpack;
    for (const [f, v] of this.entries()) copy.append(f, v);
    if (this.fieldTtls) copy.fieldTtls = { at: new Map(this.fieldTtls.at), min: this.fieldTtls.min };
    return copy;
  }

  /**
   * Heap bytes: the object and its empty containers, a Map entry per field, three array
   * slots per slot (holes included, until compaction), and the strings.
   */
  memoryUsage(): number {
    return (
      HASH_FIXED_BYTES +
      MAP_ENTRY_BYTES * this.size +
      3 * ARRAY_SLOT_BYTES * this.slotCount +
      this.textBytes +
      (this.fieldTtls ? FIELD_TTLS_FIXED_BYTES + FIELD_TTL_ENTRY_BYTES * this.fieldTtls.at.size : 0)
    );
  }

  /** True while the hash is listpack-encoded (its replies follow insertion order). */
  get isListpack(): boolean {
    return this.listpack;
  }

  // --- reading -------------------------------------------------------------------------

  get(field: string): string | undefined {
    const slot = this.slotOf(field);
    return slot === undefined ? undefined : this.vals[slot];
  }

  has(field: string): boolean {
    return this.slotOf(field) !== undefined;
  }

  /** Every field and value, in slot (insertion) order. */
  *entries(): IterableIterator<HashEntry> {
    for (let i = 0; i < this.slotCount; i++) {
      const f = this.nameAt(i);
      if (f !== undefined) yield [f, this.vals[i] as string];
    }
  }

  // --- writing -------------------------------------------------------------------------

  /**
   * Sets `field` to `value` (hashTypeSet); returns true when the field is new. An
   * overwrite discards the field's TTL, as HSET does, unless `keepTtl` (HINCRBY,
   * HINCRBYFLOAT and HSETEX KEEPTTL change a value without replacing the field). Converts
   * to the hashtable encoding when either string is longer than hash-max-listpack-value
   * or the hash now has more than hash-max-listpack-entries fields. Setting the pairs of
   * one HSET in turn converts exactly when Redis's up-front hashTypeTryConversion would,
   * since conversion only ever goes one way.
   */
  set(field: string, value: string, settings: EngineSettings, keepTtl = false): boolean {
    if (
      this.listpack &&
      (field.length > settings.hashMaxListpackValue || value.length > settings.hashMaxListpackValue)
    ) {
      this.listpack = false;
    }
    const slot = this.slotOf(field);
    if (slot !== undefined) {
      this.textBytes += stringBytes(value) - stringBytes(this.vals[slot] as string);
      this.vals[slot] = value;
      if (this.fieldTtls && !keepTtl) this.persistField(field);
    } else {
      this.append(field, value);
    }
    // Checked after an update too, so a lowered threshold converts on the next write.
    if (this.listpack && this.size > settings.hashMaxListpackEntries) this.listpack = false;
    return slot === undefined;
  }

  /** Removes `field`; returns whether it was there. */
  delete(field: string): boolean {
    const slot = this.slotOf(field);
    if (slot === undefined) return false;
    this.textBytes -= stringBytes(field) + stringBytes(this.vals[slot] as string);
    if (this.fieldTtls) this.persistField(field);
    this.removeSlot(field);
    return true;
  }

  // --- field TTLs (hash field expiration) --------------------------------------------

  /** True when at least one field has a TTL. */
  get hasFieldTtls(): boolean {
    return this.fieldTtls !== undefined;
  }

  /** The field's absolute expiry time in ms, or undefined when it has none (or is not held). */
  fieldExpireAt(field: string): number | undefined {
    return this.fieldTtls?.at.get(field);
  }

  /** Sets the absolute expiry time (ms) of `field`, which must be held. */
  setFieldExpire(field: string, atMs: number): void {
    let ttls = this.fieldTtls;
    if (!ttls) ttls = this.fieldTtls = { at: new Map(), min: Infinity };
    const before = ttls.at.get(field);
    ttls.at.set(field, atMs);
    if (atMs < ttls.min) ttls.min = atMs;
    else if (before === ttls.min && atMs > before) ttls.min = earliest(ttls.at);
  }

  /** Removes the field's TTL; returns whether it had one. */
  persistField(field: string): boolean {
    const ttls = this.fieldTtls;
    if (!ttls) return false;
    const before = ttls.at.get(field);
    if (before === undefined) return false;
    ttls.at.delete(field);
    if (ttls.at.size === 0) this.fieldTtls = undefined;
    else if (before === ttls.min) ttls.min = earliest(ttls.at);
    return true;
  }

  /** Every field with a TTL and its time (snapshots). */
  fieldExpiries(): IterableIterator<[field: string, atMs: number]> {
    return (this.fieldTtls?.at ?? NO_TTLS).entries();
  }

  /** The earliest field expiry, or undefined (the keyspace's expiry index hook, see Collection). */
  nextElementExpiry(): number | undefined {
    return this.fieldTtls?.min;
  }

  /**
   * Deletes the fields whose TTL has passed (now > time, as for keys); returns their
   * names (the keyspace logs them as HDEL). The hash may be empty afterwards.
   */
  expireElements(now: number): string[] {
    const ttls = this.fieldTtls;
    if (!ttls || ttls.min >= now) return [];
    const due: string[] = [];
    for (const [field, at] of ttls.at) if (at < now) due.push(field);
    for (const field of due) this.delete(field);
    return due;
  }

  // --- random fields (HRANDFIELD) ------------------------------------------------------

  /** One uniformly random entry, or undefined when empty. */
  randomEntry(): HashEntry | undefined {
    if (this.size === 0) return undefined;
    const slot = this.randomSlot(Math.random);
    return [this.nameAt(slot) as string, this.vals[slot] as string];
  }

  /**
   * `count` random entries with repeats allowed (HRANDFIELD with a negative count), each
   * drawn uniformly and independently.
   */
  randomEntriesWithRepeats(count: number): HashEntry[] {
    const out: HashEntry[] = [];
    if (this.size === 0) return out;
    for (let k = 0; k < count; k++) out.push(this.randomEntry() as HashEntry);
    return out;
  }

  /**
   * min(count, size) distinct random entries (HRANDFIELD with a positive count). As in
   * Redis, asking for the whole hash or more returns it in its own order; otherwise
   * the order is random.
   */
  randomDistinctEntries(count: number): HashEntry[] {
    const all = [...this.entries()];
    if (count >= all.length) return all;
    // A partial Fisher–Yates shuffle: the first `count` positions are a uniform sample.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (all.length - i));
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    all.length = count;
    return all;
  }

  // --- HSCAN ----------------------------------------------------------------------------

  /**
   * One HSCAN step. A listpack-encoded hash is returned whole with cursor 0 whatever the
   * cursor, as Redis does. Otherwise about `count` slots are examined from `cursor` (a
   * slot sequence number) and the next cursor is returned (0 when done).
   */
  scan(cursor: number, count: number): { cursor: number; entries: HashEntry[] } {
    if (this.listpack) return { cursor: 0, entries: [...this.entries()] };
    const entries: HashEntry[] = [];
    const next = this.scanSlots(cursor, count, (f, slot) => entries.push([f, this.vals[slot] as string]));
    return { cursor: next, entries };
  }

  // --- internals -------------------------------------------------------------------------

  private append(field: string, value: string): void {
    this.vals[this.insertSlot(field)] = value;
    this.textBytes += stringBytes(field) + stringBytes(value);
  }
}

const NO_TTLS: ReadonlyMap<string, number> = new Map();

/** The smallest time in a non-empty TTL map. */
function earliest(at: Map<string, number>): number {
  let min = Infinity;
  for (const t of at.values()) if (t < min) min = t;
  return min;
}
