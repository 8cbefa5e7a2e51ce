/**
 * The slot map: which shard owns each hash slot. The map is data (a table), not a
 * formula, so slots can later move between shards; today it is built as contiguous ranges.
 */
import { keySlot, SLOTS } from "../util/keyslot";

/** Slot → shard index. */
export class SlotMap {
  private readonly owner: Uint16Array;

  private constructor(readonly shardCount: number, owner: Uint16Array) {
    this.owner = owner;
  }

  /** Slots split over `shards` primaries in contiguous, near-equal ranges. */
  static contiguous(shards: number): SlotMap {
    const owner = new Uint16Array(SLOTS);
    for (let s = 0; s < SLOTS; s++) owner[s] = Math.floor((s * shards) / SLOTS);
    return new SlotMap(shards, owner);
  }

  shardOfSlot(slot: number): number {
    return this.owner[slot];
  }

  shardOfKey(key: string): number {
    return this.owner[keySlot(key)];
  }

  /** The [first, last] slot range of each shard (for CLUSTER-style reporting). */
  ranges(): Array<[number, number, number]> {
    const out: Array<[number, number, number]> = [];
    let start = 0;
    for (let s = 1; s <= SLOTS; s++) {
      if (s === SLOTS || this.owner[s] !== this.owner[start]) {
        out.push([start, s - 1, this.owner[start]]);
        start = s;
      }
    }
    return out;
  }
}
