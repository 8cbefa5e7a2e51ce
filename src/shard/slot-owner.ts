/**
 * Which slots a shard owns before the coordinator tells it, from its name: group g
 * ("shard-<g>", replicas "shard-<g>-r<k>") owns the g-th of the contiguous slot ranges the
 * router splits 16384 slots into (src/router/slots.ts SlotMap.contiguous). The executor
 * refuses a write to a key of any other slot.
 */
import { SlotState } from "./slot-state";
import { groupOfName } from "./group";

/**
 * The slot state of a member of group g ("shard-<g>" or its replica "shard-<g>-r<k>") before
 * the coordinator configures it (live resharding, src/shard/slot-state.ts): group g < shards
 * owns its contiguous range; a group beyond the initial layout (added by a reshard) owns
 * nothing until it is told. Every member has one — the coordinator pushes each slot config
 * to the whole group — so a promoted replica gates keys at once and a replica's READONLY
 * reads answer MOVED for slots its group does not own. Null for a name of another form (a
 * test object): no routing gate.
 */
export function initialSlotState(name: string | undefined, shards: number): SlotState | null {
  const group = groupOfName(name);
  return group === null ? null : SlotState.initial(group, shards);
}
