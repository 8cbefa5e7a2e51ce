/**
 * The keyspace's keys grouped by Redis Cluster hash slot (Redis's slot-to-keys index): what
 * lets a shard walk, count or move one slot's keys without visiting every key. It serves
 * the deployment-wide SCAN, which pages in hash-slot order (Keyspace.scanHashSlots), and
 * live slot migration (src/shard/slot-migration.ts: a batch's keys, a target's imported keys).
 * A slot's keys are a Set in creation order, which exists only while the slot holds a key.
 *
 * The slot cursor: SCAN's cursor in hash-slot order is `position * SLOTS + slot` (0 starts
 * at slot 0 and also means done, as in Redis). `position` is 0 (the slot's start) or where
 * to go on inside a slot too large for one page: keys are ordered inside a slot by a hash of
 * their name (`slotPosition`), which is the same in every group and every life of a shard,
 * so a slot can be continued exactly on whichever group holds it when the next page is asked.
 * Positions are below 2^33, so every cursor is an exact integer below 2^47.
 */
import { keySlot, SLOTS } from "../util/keyslot";

/** Positions are 1 + a 32-bit hash: never this high. */
const POSITION_LIMIT = 2 ** 32 + 1;

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
 * more than `take`, the `take` first by position (never splitting keys of equal position)
 * with the position the next page starts at (0: the slot is done).
 */
export function slotPage(keys: Iterable<string>, from: number, take: number): { keys: string[]; next: number } {
  const placed: Array<[number, string]> = [];
  for (const key of keys) {
    const p = slotPosition(key);
    if (p >= from) placed.push([p, key]);
  }
  if (placed.length <= take) return { keys: placed.map(([, key]) => key), next: 0 };
  placed.sort((a, b) => a[0] - b[0]);
  let end = Math.max(1, take);
  while (end < placed.length && placed[end][0] === placed[end - 1][0]) end++;
  return { keys: placed.slice(0, end).map(([, key]) => key), next: end < placed.length ? placed[end][0] : 0 };
}

/** A cursor in hash-slot order (see the header) as its slot and in-slot position. */
export function decodeSlotCursor(cursor: bigint): { slot: number; position: number } {
  const slot = Number(cursor % BigInt(SLOTS));
  const position = cursor / BigInt(SLOTS);
  // Past any position (2^64 - 1, from "-1"): the walk is over.
  return position >= BigInt(POSITION_LIMIT) ? { slot: SLOTS, position: 0 } : { slot, position: Number(position) };
}

/** The cursor continuing at `slot`, `position` (SLOTS: done, "0"). */
export function encodeSlotCursor(slot: number, position: number): string {
  return slot >= SLOTS ? "0" : String(position * SLOTS + slot);
}
