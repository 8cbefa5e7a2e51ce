/**
 * The set type (Redis 7.0's t_set.c type API): the only code that knows how a set is held.
 * Commands in src/commands/sets.ts call these methods. Also here: `MemberTable`, the
 * insertion-ordered member store that both sets and sorted sets (src/engine/zset.ts) are
 * built on.
 *
 * Representation: a slot table of members (src/engine/slot-table.ts), with a score column
 * for sorted sets, so adding, removing and picking a uniformly random member are all O(1)
 * (amortized), and SSCAN/ZSCAN cursors are stable across changes: a member present for a
 * whole scan is returned exactly once.
 *
 * Encoding: Redis 7.0 keeps a set as an "intset" (sorted 64-bit integers) while every
 * member is an integer (string2ll's canonical form) and there are at most
 * set-max-intset-entries of them; the first other member, or one member too many,
 * converts it to a "hashtable" for good (setTypeAdd). 7.0 has no listpack sets. We record
 * the conversion at write time, with the threshold then in force, as Redis does. An
 * intset's members are iterated in numeric order (SMEMBERS, SSCAN, … match Redis byte for
 * byte); a hashtable's order is Redis's own dict order, which nobody can match, so ours is
 * insertion order.
 */
import type { Collection } from "./keyspace";
import { ARRAY_SLOT_BYTES, EMPTY_ARRAY_BYTES, EMPTY_MAP_BYTES, MAP_ENTRY_BYTES, objectBytes, stringBytes } from "./memory";
import type { EngineSettings } from "./settings";
import { SlotTable } from "./slot-table";
import { parseInt64 } from "../util/numbers";

// --- the member table ------------------------------------------------------------------

/** The MemberTable object (slots, names, seqs, nextSeq, vals, textBytes) and its containers. */
const TABLE_FIXED_BYTES = objectBytes(6) + EMPTY_MAP_BYTES + 3 * EMPTY_ARRAY_BYTES;
/**
 * One slot of the scores array: an array holding only numbers keeps unboxed doubles
 * (8 bytes), plus growth slack. Measured on workerd with scripts/calibrate-memory.mjs's
 * method: 9.25 bytes per pushed double (8.2–10.4 over fills).
 */
const DOUBLE_SLOT_BYTES = 9;

/**
 * Members in insertion order with O(1) add/remove/lookup, O(1) expected uniform random
 * pick, and SCAN cursors that survive changes. Optionally a number per member (a score).
 */
export class MemberTable extends SlotTable {
  /** Slot → value (sorted sets' scores); null for plain sets. */
  private readonly vals: number[] | null;
  /** Running total of the members' string bytes, so memoryUsage is O(1). */
  private textBytes = 0;

  constructor(withValues = false) {
    super();
    this.vals = withValues ? [] : null;
  }

  protected override columns(): readonly unknown[][] {
    return this.vals ? [this.vals] : [];
  }

  /**
   * Heap bytes: the object and its containers, a Map entry per member, two array slots
   * (three with scores) per slot, holes included until compaction, and the strings.
   */
  memoryUsage(): number {
    const perSlot = 2 * ARRAY_SLOT_BYTES + (this.vals ? DOUBLE_SLOT_BYTES : 0);
    return TABLE_FIXED_BYTES + MAP_ENTRY_BYTES * this.size + perSlot * this.slotCount + this.textBytes;
  }

  has(member: string): boolean {
    return this.slotOf(member) !== undefined;
  }

  /** The member's value, or undefined when it is not held. */
  value(member: string): number | undefined {
    const slot = this.slotOf(member);
    return slot === undefined ? undefined : (this.vals as number[])[slot];
  }

  /** Adds `member` (with `value`); false when it was already held (nothing changes). */
  add(member: string, value = 0): boolean {
    if (this.has(member)) return false;
    const slot = this.insertSlot(member);
    if (this.vals) this.vals[slot] = value;
    this.textBytes += stringBytes(member);
    return true;
  }

  /** Changes the value of a member that is held. */
  setValue(member: string, value: number): void {
    (this.vals as number[])[this.slotOf(member) as number] = value;
  }

  /** Removes `member`; false when it was not held. */
  delete(member: string): boolean {
    if (this.removeSlot(member) === undefined) return false;
    this.textBytes -= stringBytes(member);
    return true;
  }

  /** A uniformly random member (the table must not be empty). */
  randomMember(): string {
    return this.nameAt(this.randomSlot(Math.random)) as string;
  }

  /** Every member, in slot (insertion) order. */
  members(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.slotCount; i++) {
      const m = this.nameAt(i);
      if (m !== undefined) out.push(m);
    }
    return out;
  }

  /**
   * One SCAN step: the members in about `count` slots from `cursor` (a sequence number;
   * 0 starts), and the cursor to continue from (0 when done).
   */
  scan(cursor: number, count: number): { cursor: number; members: string[] } {
    const members: string[] = [];
    const next = this.scanSlots(cursor, count, (m) => members.push(m));
    return { cursor: next, members };
  }

  clone(): MemberTable {
    const copy = new MemberTable(this.vals !== null);
    for (let i = 0; i < this.slotCount; i++) {
      const m = this.nameAt(i);
      if (m !== undefined) copy.add(m, this.vals ? this.vals[i] : 0);
    }
    return copy;
  }
}

// --- integers as intset orders them ---------------------------------------------------

/** True when Redis would hold `s` in an intset (string2ll accepts it). */
export function isIntsetMember(s: string): boolean {
  return s.length <= 20 && parseInt64(s) !== null;
}

/**
 * Numeric order of two canonical int64 texts (no '+', no leading zeros, no "-0"), without
 * BigInt: negatives first; then by length; then digit by digit.
 */
function compareIntTexts(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let c = a.length - b.length;
  if (c === 0) c = a < b ? -1 : a > b ? 1 : 0;
  return an ? -c : c;
}

// --- the set ---------------------------------------------------------------------------

/** The RedisSet object: type, table, intset, sortedCache. */
const SET_OBJECT_BYTES = objectBytes(4);

/** intsets hold at most 2^30 entries whatever set-max-intset-entries says (setTypeAdd). */
const INTSET_HARD_LIMIT = 1 << 30;

/** How much bigger than the remainder a set must be for SPOP to pop one by one (t_set.c). */
const SPOP_MOVE_STRATEGY_MUL = 5;
/** Below this ratio SRANDMEMBER copies the set and removes members instead of sampling. */
const SRANDMEMBER_SUB_STRATEGY_MUL = 3;

export class RedisSet implements Collection {
  readonly type = "set" as const;
  private table = new MemberTable();
  /** True while Redis would hold this set as an intset (never true again once false). */
  private intset: boolean;
  /** The members in numeric order while an intset; rebuilt after a change. */
  private sortedCache: string[] | null = null;

  private constructor(intset: boolean) {
    this.intset = intset;
  }

  /**
   * A new empty set for `first`, the member about to be added (setTypeCreate): an intset
   * when it is an integer, else a hashtable.
   */
  static forMember(first: string): RedisSet {
    return new RedisSet(isIntsetMember(first));
  }

  /**
   * A new empty set that starts as an intset whatever comes (createIntsetObject), as the
   * results of SINTERSTORE, SUNIONSTORE and SDIFFSTORE (and SUNION/SDIFF's scratch set) do.
   */
  static empty(): RedisSet {
    return new RedisSet(true);
  }

  encoding(_settings: EngineSettings): string {
    return this.intset ? "intset" : "hashtable";
  }

  /** Heap bytes (O(1)): this object and its member table (the intset order cache aside). */
  memoryUsage(): number {
    return SET_OBJECT_BYTES + this.table.memoryUsage();
  }

  clone(): RedisSet {
    const copy = new RedisSet(this.intset);
    copy.table = this.table.clone();
    return copy;
  }

  get size(): number {
    return this.table.size;
  }

  has(member: string): boolean {
    return this.table.has(member);
  }

  /**
   * Every member, in the order Redis iterates them: numeric for an intset, else (for a
   * hashtable, whose order is arbitrary) insertion order.
   */
  members(): string[] {
    if (!this.intset) return this.table.members();
    this.sortedCache ??= this.table.members().sort(compareIntTexts);
    return this.sortedCache.slice();
  }

  // --- writing -------------------------------------------------------------------------

  /**
   * Adds `member` (setTypeAdd); true when it is new. A non-integer member, or more than
   * set-max-intset-entries members, converts an intset to a hashtable.
   */
  add(member: string, settings: EngineSettings): boolean {
    if (!this.table.add(member)) return false;
    if (this.intset) {
      const max = Math.min(settings.setMaxIntsetEntries, INTSET_HARD_LIMIT);
      if (!isIntsetMember(member) || this.table.size > max) this.intset = false;
      this.sortedCache = null;
    }
    return true;
  }

  /** Removes `member` (setTypeRemove); true when it was there. */
  remove(member: string): boolean {
    if (!this.table.delete(member)) return false;
    this.sortedCache = null;
    return true;
  }

  // --- random members ------------------------------------------------------------------

  /** A uniformly random member (the set must not be empty). */
  randomMember(): string {
    return this.table.randomMember();
  }

  /** `count` members drawn independently, so repeats are possible (SRANDMEMBER -n). */
  randomMembersWithRepeats(count: number): string[] {
    const out = new Array<string>(count);
    for (let i = 0; i < count; i++) out[i] = this.table.randomMember();
    return out;
  }

  /**
   * `count` distinct random members (SRANDMEMBER n, srandmemberWithCountCommand): the
   * whole set, in iteration order, when it has no more than `count`; else a copy thinned
   * by random removals when `count` is close to the size; else distinct draws.
   */
  randomDistinctMembers(count: number): string[] {
    const size = this.size;
    if (count >= size) return this.members();
    if (count === 1) return [this.table.randomMember()];
    if (count * SRANDMEMBER_SUB_STRATEGY_MUL > size) {
      const copy = this.table.clone();
      while (copy.size > count) copy.delete(copy.randomMember());
      return copy.members();
    }
    const picked = new Set<string>();
    while (picked.size < count) picked.add(this.table.randomMember());
    return [...picked];
  }

  /**
   * Removes and returns `count` random members, 0 < count < size (spopWithCountCommand's
   * cases 2 and 3). When few members remain, Redis builds the remainder as a new set
   * (setTypeCreate of the first member kept, then adds) and replies with what is left in
   * the old one, so the set may come back as an intset; we keep that effect on encoding.
   */
  popRandom(count: number, settings: EngineSettings): string[] {
    const remaining = this.size - count;
    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        const m = this.table.randomMember();
        this.table.delete(m);
        out.push(m);
      }
      this.sortedCache = null;
      return out;
    }
    let kept: RedisSet | null = null;
    for (let i = 0; i < remaining; i++) {
      const m = this.table.randomMember();
      kept ??= RedisSet.forMember(m);
      kept.add(m, settings);
      this.table.delete(m);
    }
    const popped = this.members();
    const next = kept as RedisSet;
    this.table = next.table;
    this.intset = next.intset;
    this.sortedCache = null;
    return popped;
  }

  // --- SSCAN -----------------------------------------------------------------------------

  /**
   * One SSCAN step. An intset is returned whole, in order, with cursor 0 whatever the
   * cursor (scanGenericCommand does so for every non-hashtable encoding).
   */
  scan(cursor: number, count: number): { cursor: number; members: string[] } {
    if (this.intset) return { cursor: 0, members: this.members() };
    return this.table.scan(cursor, count);
  }
}
