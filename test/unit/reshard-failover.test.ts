/**
 * Resharding with replicas and failover, the pure parts: where the coordinator pushes a
 * group's slot config (src/monitor/migration-job.ts slotPushPlan), the config it re-pushes to a
 * primary it has not configured (currentGroupConfig), and the slot state every group member
 * starts with (src/shard/slot-owner.ts initialSlotState).
 */
import { describe, expect, it } from "vitest";
import { currentGroupConfig, groupConfig, newJob, slotPushPlan, takeChunk } from "../../src/monitor/migration-job";
import { contiguousOwner, ownerOf, planReshard, initialSlotMap } from "../../src/monitor/slot-map-data";
import { initialSlotState } from "../../src/shard/slot-owner";
import { MIGRATING, NOT_OWNED, OWNED } from "../../src/shard/slot-state";

describe("resharding with replicas", () => {
  it("pushes a group's slot config to its current primary first, then its replicas", () => {
    expect(slotPushPlan({ group: 5, epoch: 3, primary: "shard-5-r1", replicas: ["shard-5"] })).toEqual([
      { name: "shard-5-r1", member: "primary" },
      { name: "shard-5", member: "replica" },
    ]);
    expect(slotPushPlan({ group: 0, epoch: 0, primary: "shard-0", replicas: [] })).toEqual([{ name: "shard-0", member: "primary" }]);
  });

  it("re-pushes a chunk in its finish phase as still moving, never as owned by the source", () => {
    const map = initialSlotMap(4);
    const job = newJob("reshard", 6, 4, planReshard(ownerOf(map.ranges), 6), 0);
    const chunk = takeChunk(job)!;
    const owner = ownerOf(map.ranges);
    chunk.phase = "finish";
    const source = currentGroupConfig(owner, chunk.from, 7, chunk);
    expect(source.migrating.length).toBe(chunk.slots.length);
    expect(source.owned.some(([a, b]) => chunk.slots.some((s) => s >= a && s <= b))).toBe(false);
    expect(currentGroupConfig(owner, chunk.to, 7, chunk).importing.length).toBe(chunk.slots.length);
    chunk.phase = "move";
    expect(currentGroupConfig(owner, chunk.from, 7, chunk)).toEqual(groupConfig(owner, chunk.from, 7, chunk));
  });

  it("gives every member of a group (replicas too) the group's initial slot state", () => {
    const owner = contiguousOwner(4);
    const first = owner.indexOf(1);
    for (const name of ["shard-1", "shard-1-r1", "shard-1-r2"]) {
      const st = initialSlotState(name, 4)!;
      expect(st.shard).toBe(1);
      expect(st.state[first]).toBe(OWNED);
      expect(st.state[0]).toBe(NOT_OWNED);
    }
    // A group beyond the initial layout owns nothing until the coordinator tells it.
    expect(initialSlotState("shard-5-r1", 4)!.slotsIn(OWNED)).toEqual([]);
    expect(initialSlotState("monitor-0", 4)).toBeNull();
    expect(MIGRATING).not.toBe(OWNED);
  });
});
