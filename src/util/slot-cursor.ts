/**
 * SCAN's cursor in hash-slot order (the deployment-wide SCAN: src/engine/keyspace.ts
 * `scanHashSlots`): `position * SLOTS + slot`, where `position` is 0 (the slot's start) or a
 * key's place inside its slot (src/engine/hash-slot-index.ts `slotPosition`, 1 + a 32-bit
 * hash). 0 starts at slot 0 and also means done, as in Redis. Positions are below 2^33, so
 * every cursor is an exact integer below 2^47. The router reads the slot to route the call;
 * the shard reads both.
 */
import { SLOTS } from "./keyslot";

/** Positions are 1 + a 32-bit hash: never this high. */
const POSITION_LIMIT = 2 ** 32 + 1;

/** A cursor in hash-slot order as its slot and in-slot position. */
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
