/**
 * The keyspace's keys grouped by Redis Cluster hash slot (Redis's slot-to-keys index): what
 * lets a shard walk, count or move one slot's keys without visiting every key. It serves
 * the deployment-wide SCAN, which pages in hash-slot order (src/commands/keys.ts), and live
 * slot migration (src/shard/slot-migration.ts: a batch's keys, a target's imported keys).
 *
 * Each slot's keys are a Set in insertion order, which is also the order of the keyspace's
 * SCAN sequence numbers (a key gets both when it is created), so a position inside a slot
 * can be given as a sequence number. A slot's Set exists only while it holds a key.
 *
 * The slot cursor: SCAN's cursor in hash-slot order is `position * SLOTS + slot` (0 starts
 * at slot 0 and also means done, as in Redis), where `position` is 0 (the slot's start) or
 * the sequence number of the slot's next key on the shard that gave the cursor. Sequence
 * numbers stay below 2^39, so every cursor is an exact integer below 2^53.
 */
import { keySlot, SLOTS } from "../util/keyslot";

/** Sequence numbers (and so in-slot positions) stay below this (see the header). */
export const MAX_SLOT_POSITION = 2 ** 39;

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
  keys(slot: number): IterableIterator<string> | readonly string[] {
    return this.bySlot[slot]?.values() ?? [];
  }
}

/** A cursor in hash-slot order (see the header) as its slot and in-slot position. */
export function decodeSlotCursor(cursor: bigint): { slot: number; position: number } {
  const slot = Number(cursor % BigInt(SLOTS));
  const position = cursor / BigInt(SLOTS);
  // Past any position a shard hands out (2^64 - 1, from "-1"): the walk is over.
  return position >= BigInt(MAX_SLOT_POSITION) ? { slot: SLOTS, position: 0 } : { slot, position: Number(position) };
}

/** The cursor continuing at `slot`, `position` (SLOTS: done, "0"). */
export function encodeSlotCursor(slot: number, position: number): string {
  return slot >= SLOTS ? "0" : String(position * SLOTS + slot);
}
