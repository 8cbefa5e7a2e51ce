/**
 * The slot map as the router reads it: which group (shard) owns each hash slot, as of an
 * epoch. It is data: a new deployment starts from `contiguous(SHARDS)` (epoch 0) and the
 * SlotCoordinator (src/monitor/coordinator.ts) changes it when slots move; routers cache
 * the newest they have seen (src/router/slot-map-cache.ts).
 */
import { contiguousOwner, ownerOf, rangesOf, type SlotMapData } from "../monitor/slot-map-data";
import { keySlot } from "../util/keyslot";

/** Slot → shard (group) index. */
export class SlotMap {
  private readonly owner: Uint16Array;

  private constructor(
    /** Groups that may hold keys: fan-out commands go to 0..shardCount-1. */
    readonly shardCount: number,
    owner: Uint16Array,
    readonly epoch = 0,
  ) {
    this.owner = owner;
  }

  /** Slots split over `shards` primaries in contiguous, near-equal ranges. */
  static contiguous(shards: number): SlotMap {
    return new SlotMap(shards, contiguousOwner(shards));
  }

  /** The map the coordinator stores. */
  static fromData(data: SlotMapData): SlotMap {
    return new SlotMap(data.groups, ownerOf(data.ranges), data.epoch);
  }

  shardOfSlot(slot: number): number {
    return this.owner[slot];
  }

  shardOfKey(key: string): number {
    return this.owner[keySlot(key)];
  }

  /** The [first, last] slot range of each shard (for CLUSTER-style reporting). */
  ranges(): Array<[number, number, number]> {
    return rangesOf(this.owner);
  }
}
