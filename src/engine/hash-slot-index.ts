/**
 * The keyspace's keys grouped by Redis Cluster hash slot (Redis's slot-to-keys index): what
 * lets a shard walk, count or move one slot's keys without visiting every key. It serves
 * the deployment-wide SCAN, which pages in hash-slot order (Keyspace.scanHashSlots), and
 * live slot migration (src/shard/slot-migration.ts: a batch's keys, a target's imported keys).
 * A slot's keys are a Set in creation order, which exists only while the slot holds a key.
 *
 * SCAN's cursor (src/util/slot-cursor.ts) is a slot and a position in it: 0 (the slot's
 * start) or where to go on inside a slot too large for one page. Keys are ordered inside a
 * slot by a hash of their name (`slotPosition`), which is the same in every group and every
 * life of a shard, so a slot can be continued exactly on whichever group holds it when the
 * next page is asked.
 */
import { keySlot, SLOTS } from "../util/keyslot";

export class HashSlotIndex {
  private readonly bySlot: (Set<string> | undefined)[] = new Array(SLOTS);

  add(key: string): void {
    const slot = keySlot(key);
    const keys = this.bySlot[slot];
    if (keys === undefined) this.bySlot[slot] = new Set([key]);
    else keys.add(key);
  }

  remove(key: string): void {
    const slot = keySlot(key);
    const keys = this.bySlot[slot];
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.bySlot[slot] = undefined;
  }

  clear(): void {
    this.bySlot.fill(undefined);
  }

  /** Keys held in `slot` (expired ones not yet deleted included). */
  count(slot: number): number {
    return this.bySlot[slot]?.size ?? 0;
  }

  /** The keys of `slot`, in creation order (do not change the keyspace while iterating). */
  keys(slot: number): Iterable<string> {
    return this.bySlot[slot] ?? [];
  }
}

/** A key's place inside its slot for SCAN: 1 + its 32-bit FNV-1a hash (the same everywhere). */
export function slotPosition(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) + 1;
}

/**
 * One page of a slot's `keys`: those at positions ≥ `from` (0: all), and when there are
 * more than `take`, the first by position — at least `take`, never splitting keys of equal
 * position — with the position the next page starts at (0: the slot is done).
 */
export function slotPage(keys: Iterable<string>, from: number, take: number): { keys: string[]; next: number } {
  const candidates: string[] = [];
  const positions: number[] = [];
  for (const key of keys) {
    const p = slotPosition(key);
    if (p < from) continue;
    candidates.push(key);
    positions.push(p);
  }
  if (candidates.length <= take) return { keys: candidates, next: 0 };
  // The cut: the first position past the `take` smallest (sorted unboxed; keys kept in one pass).
  const sorted = Float64Array.from(positions).sort();
  let end = Math.max(1, take);
  while (end < sorted.length && sorted[end] === sorted[end - 1]) end++;
  if (end === sorted.length) return { keys: candidates, next: 0 };
  const next = sorted[end];
  const out: string[] = [];
  for (let i = 0; i < candidates.length; i++) if (positions[i] < next) out.push(candidates[i]);
  return { keys: out, next };
}

/** Keys a page takes from a slot of `size` keys: COUNT, or 1/MAX_PAGES_PER_SLOT of the slot when more (a large slot takes a bounded number of pages). */
export function slotTake(count: number, size: number): number {
  return Math.max(1, count, Math.ceil(size / MAX_PAGES_PER_SLOT));
}

/** A large slot is walked in at most about this many SCAN pages, whatever COUNT says. */
export const MAX_PAGES_PER_SLOT = 32;
