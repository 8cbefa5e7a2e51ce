/**
 * The slot table: names (keys, members, fields) in insertion order, each in a numbered
 * slot, with O(1) add / remove / lookup, an O(1) expected uniformly random pick, and
 * SCAN cursors that survive any change. The keyspace (src/engine/keyspace.ts), the member
 * table of sets and sorted sets (src/engine/set.ts) and hashes (src/engine/hash.ts)
 * extend it; its API is protected, so each keeps its own public surface.
 *
 * Layout (chosen for bytes per entry, see src/engine/memory.ts): a Map from name to slot
 * and parallel arrays per slot: the name, its sequence number, and the subclass's own
 * columns (a value, a score, an access clock), which compaction keeps aligned. It is a
 * base class rather than a member object so that a small hash or set costs no extra
 * object: the fields here are the four each of them held before.
 *
 * A removal leaves a hole (the name becomes undefined), so the slots of other names hold
 * still; once holes outnumber live names (above `minCompactSlots` slots), or the table
 * empties, the slots are compacted in place, keeping order. Random picks therefore need
 * fewer than two draws on average.
 *
 * Sequence numbers grow with the slot and survive compaction: a SCAN cursor is one (0
 * starts and ends a scan), so a name present for the whole scan is returned exactly once
 * however the table changes between steps.
 */
export abstract class SlotTable {
  private readonly slots = new Map<string, number>();
  /** Slot → name; undefined marks a hole left by a removal. */
  private readonly names: (string | undefined)[] = [];
  /** Slot → sequence number, strictly increasing with the slot. */
  private readonly seqs: number[] = [];
  private nextSeq = 1;

  /** Live names. */
  get size(): number {
    return this.slots.size;
  }

  // --- what a subclass provides -------------------------------------------------------

  /** The subclass's arrays kept parallel to the slots (it writes a new slot's cells). */
  protected columns(): readonly unknown[][] {
    return [];
  }

  /**
   * Called when `slot` is freed, before any compaction: clear cells that reference
   * something, so it can be collected (number columns keep theirs, so they stay unboxed).
   */
  protected releaseSlot(_slot: number): void {}

  /** Compaction never runs below this many slots (a few holes are cheap to skip). */
  protected get minCompactSlots(): number {
    return 16;
  }

  // --- reading --------------------------------------------------------------------------

  /** The slot holding `name`, or undefined. */
  protected slotOf(name: string): number | undefined {
    return this.slots.get(name);
  }

  /** The name in `slot`, or undefined for a hole (or past the end). */
  protected nameAt(slot: number): string | undefined {
    return this.names[slot];
  }

  /** The sequence number of `slot`. */
  protected sequenceAt(slot: number): number {
    return this.seqs[slot];
  }

  /** Slots, holes included (what the parallel arrays cost). */
  protected get slotCount(): number {
    return this.names.length;
  }

  /** The sequence number the next new name will get: every name now has a smaller one. */
  protected get nextSequence(): number {
    return this.nextSeq;
  }

  /** Every name, in insertion order. */
  protected liveNames(): IterableIterator<string> {
    return this.slots.keys();
  }

  // --- writing --------------------------------------------------------------------------

  /** Puts `name`, which must not be held, in a new last slot; the subclass fills its cells. */
  protected insertSlot(name: string): number {
    const slot = this.names.length;
    this.slots.set(name, slot);
    this.names.push(name);
    this.seqs.push(this.nextSeq++);
    return slot;
  }

  /** Removes `name`; returns the slot it had, or undefined when it was not held. */
  protected removeSlot(name: string): number | undefined {
    const slot = this.slots.get(name);
    if (slot === undefined) return undefined;
    this.slots.delete(name);
    this.names[slot] = undefined;
    this.releaseSlot(slot);
    const n = this.names.length;
    if (this.slots.size === 0) this.truncate(0);
    else if (n > this.minCompactSlots && n > 2 * this.slots.size) this.compact();
    return slot;
  }

  /** Removes every name (sequence numbers keep growing). */
  protected clearSlots(): void {
    this.slots.clear();
    this.truncate(0);
  }

  // --- random picks and SCAN -------------------------------------------------------------

  /**
   * A uniformly random live slot, drawing slots from `random` until one is live. The
   * table must not be empty: holes are at most half the slots (or a handful), so the
   * expected number of draws is below two.
   */
  protected randomSlot(random: () => number): number {
    // Empty collections are never stored (their key is deleted), so this is a caller's bug.
    if (this.slots.size === 0) throw new Error("randomSlot of an empty slot table");
    for (;;) {
      const slot = Math.floor(random() * this.names.length);
      if (this.names[slot] !== undefined) return slot;
    }
  }

  /**
   * One SCAN step: visits the names in about `count` slots from `cursor` (a sequence
   * number; 0 starts), in slot order, and returns the cursor to continue from (0 when
   * done). `visit` must not change the table.
   */
  protected scanSlots(cursor: number, count: number, visit: (name: string, slot: number) => void): number {
    let i = this.positionOf(cursor);
    const end = Math.min(this.names.length, i + Math.max(1, count));
    for (; i < end; i++) {
      const name = this.names[i];
      if (name !== undefined) visit(name, i);
    }
    return i >= this.names.length ? 0 : this.seqs[i];
  }

  // --- compaction -------------------------------------------------------------------------

  /** Moves live slots down over the holes, in order, keeping their sequence numbers. */
  private compact(): void {
    const names = this.names;
    const seqs = this.seqs;
    const columns = this.columns();
    let live = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      if (name === undefined) continue;
      if (live !== i) {
        names[live] = name;
        seqs[live] = seqs[i];
        for (const cells of columns) cells[live] = cells[i];
        this.slots.set(name, live);
      }
      live++;
    }
    this.truncate(live);
  }

  private truncate(length: number): void {
    this.names.length = length;
    this.seqs.length = length;
    for (const cells of this.columns()) cells.length = length;
  }

  /** Index of the first slot whose sequence is >= cursor (binary search). */
  private positionOf(cursor: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid] < cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
