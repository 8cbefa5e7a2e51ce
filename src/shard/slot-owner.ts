/**
 * Which slots a shard owns, from its name: primaries are "shard-<i>" and own the i-th of
 * the contiguous slot ranges the router splits 16384 slots into (src/router/slots.ts
 * SlotMap.contiguous). The executor refuses a write to a key of any other slot.
 */
import type { SlotOwner } from "../commands/execute";
import { SlotMap } from "../router/slots";

/** The owner for the shard named `name` out of `shards`; null (every slot) for a name of another form. */
export function contiguousSlotOwner(name: string | undefined, shards: number): SlotOwner | null {
  const m = /^shard-(\d+)$/.exec(name ?? "");
  if (!m) return null;
  const shard = Number(m[1]);
  if (shard >= shards) return null;
  const map = SlotMap.contiguous(shards);
  return { shard, owns: (slot) => map.shardOfSlot(slot) === shard };
}
