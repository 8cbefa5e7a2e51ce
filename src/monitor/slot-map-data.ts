/**
 * The slot map as data: which group owns each of the 16384 hash slots, with an epoch that
 * every change bumps. Stored by the SlotCoordinator (src/monitor/coordinator.ts), cached by
 * routers (src/router/slot-map-cache.ts), pushed to shards as their own slot state
 * (src/shard/slot-state.ts). Plain data (JSON-safe: ranges, not a 16384-entry array), so it
 * crosses RPCs and storage as it is. Pure functions only.
 */
import { SLOTS } from "../util/keyslot";

/** [first slot, last slot, group], ascending, covering 0..16383 without gaps. */
export type SlotRange = [first: number, last: number, group: number];

export interface SlotMapData {
  /** Bumped by every change of ownership or of a slot's migration state. */
  readonly epoch: number;
  /**
   * Groups that may hold keys: 0..groups-1 (during a migration, the larger of the old and
   * the new count, so fan-out commands reach every group holding keys).
   */
  readonly groups: number;
  readonly ranges: readonly SlotRange[];
  /** The SHARDS value the map was first built from (the deployment's initial layout). */
  readonly initialShards: number;
}

/** Slot → group of `shards` contiguous, near-equal ranges (the formula SHARDS always meant). */
export function contiguousOwner(shards: number): Uint16Array {
  const owner = new Uint16Array(SLOTS);
  for (let s = 0; s < SLOTS; s++) owner[s] = Math.floor((s * shards) / SLOTS);
  return owner;
}

/** Slot → group array as ranges. */
export function rangesOf(owner: ArrayLike<number>): SlotRange[] {
  const out: SlotRange[] = [];
  let start = 0;
  for (let s = 1; s <= SLOTS; s++) {
    if (s === SLOTS || owner[s] !== owner[start]) {
      out.push([start, s - 1, owner[start]]);
      start = s;
    }
  }
  return out;
}

/** Ranges as a slot → group array. */
export function ownerOf(ranges: readonly SlotRange[]): Uint16Array {
  const owner = new Uint16Array(SLOTS);
  for (const [first, last, group] of ranges) owner.fill(group, first, last + 1);
  return owner;
}

/** The map a new deployment starts from: epoch 0, `shards` contiguous ranges. */
export function initialSlotMap(shards: number): SlotMapData {
  return { epoch: 0, groups: shards, ranges: rangesOf(contiguousOwner(shards)), initialShards: shards };
}

/** Groups that own at least one slot. */
export function groupsInUse(ranges: readonly SlotRange[]): number {
  let max = -1;
  for (const [, , g] of ranges) max = Math.max(max, g);
  return max + 1;
}

/** Checks a map read from storage or an RPC: throws on anything malformed. */
export function validateSlotMap(m: SlotMapData): SlotMapData {
  let next = 0;
  for (const [first, last, group] of m.ranges) {
    if (first !== next || last < first || last >= SLOTS || group < 0 || group >= m.groups) throw new Error("invalid slot map");
    next = last + 1;
  }
  if (next !== SLOTS) throw new Error("invalid slot map: slots not covered");
  return m;
}

/** One slot to move. */
export interface SlotMove {
  readonly slot: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The moves that turn `owner` into `shards` groups with the fewest slots moved: every group
 * keeps what it can of its slots up to its quota (16384 / shards, the remainder to the first
 * groups), and the surplus — all slots of groups ≥ shards — goes to the groups under quota.
 * Moves are ordered by source then slot, so a source empties range by range.
 */
export function planReshard(owner: ArrayLike<number>, shards: number): SlotMove[] {
  const quota = (g: number) => Math.floor(SLOTS / shards) + (g < SLOTS % shards ? 1 : 0);
  const count = new Map<number, number>();
  const surplus: number[] = [];
  for (let s = 0; s < SLOTS; s++) {
    const g = owner[s];
    const n = count.get(g) ?? 0;
    if (g < shards && n < quota(g)) count.set(g, n + 1);
    else surplus.push(s);
  }
  return fill(surplus, owner, shards, (g) => quota(g) - (count.get(g) ?? 0));
}

/** Gives the `surplus` slots to the groups with room, in group order. */
function fill(surplus: number[], owner: ArrayLike<number>, shards: number, room: (g: number) => number): SlotMove[] {
  const moves: SlotMove[] = [];
  let g = 0;
  let left = shards > 0 ? room(0) : 0;
  for (const slot of surplus) {
    while (left <= 0 && g < shards - 1) left = room(++g);
    if (left <= 0) break;
    left--;
    moves.push({ slot, from: owner[slot], to: g });
  }
  return moves.sort((a, b) => a.from - b.from || a.slot - b.slot);
}

/**
 * Rebalance by weight (a slot's keys, bytes or load from CLUSTER SLOT-STATS): moves the
 * heaviest-per-unit slots from groups above the mean to groups below it, greedily, until no
 * move brings a group closer to the mean. Slots with no weight never move.
 */
export function planRebalance(owner: ArrayLike<number>, groups: number, weight: ArrayLike<number>): SlotMove[] {
  const load = new Array<number>(groups).fill(0);
  const bySource = new Map<number, number[]>();
  for (let s = 0; s < SLOTS; s++) {
    const g = owner[s];
    if (g >= groups) continue;
    load[g] += weight[s];
    if (weight[s] > 0) (bySource.get(g) ?? bySource.set(g, []).get(g)!).push(s);
  }
  const total = load.reduce((a, b) => a + b, 0);
  const mean = total / groups;
  const moves: SlotMove[] = [];
  for (const [from, slots] of bySource) {
    slots.sort((a, b) => weight[b] - weight[a]);
    for (const slot of slots) {
      if (load[from] <= mean) break;
      const w = weight[slot];
      let to = -1;
      for (let g = 0; g < groups; g++) if (g !== from && (to < 0 || load[g] < load[to])) to = g;
      // Only a move that narrows the gap between the two groups.
      if (to < 0 || load[to] + w >= load[from]) continue;
      load[from] -= w;
      load[to] += w;
      moves.push({ slot, from, to });
    }
  }
  return moves.sort((a, b) => a.from - b.from || a.slot - b.slot);
}
