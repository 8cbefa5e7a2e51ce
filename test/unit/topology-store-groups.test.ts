/**
 * The monitors' group count follows the slot map (src/monitor/topology-store.ts setGroups):
 * groups a reshard adds are watched, retired ones no longer.
 */
import { describe, expect, it } from "vitest";
import { MemoryConfigStore, TopologyStore } from "../../src/monitor/topology-store";

describe("TopologyStore group count", () => {
  it("watches the groups the slot map names", () => {
    const t = new TopologyStore(new MemoryConfigStore(), 3, 1);
    expect(t.all().map((c) => c.group)).toEqual([0, 1, 2]);
    expect(t.accept({ group: 4, epoch: 1, primary: "shard-4-r1", replicas: ["shard-4"] })).toBe(false);
    expect(t.setGroups(5)).toBe(true);
    expect(t.all().map((c) => c.primary)).toEqual(["shard-0", "shard-1", "shard-2", "shard-3", "shard-4"]);
    expect(t.accept({ group: 4, epoch: 1, primary: "shard-4-r1", replicas: ["shard-4"] })).toBe(true);
    expect(t.setGroups(5)).toBe(false);
    expect(t.setGroups(0)).toBe(false);
    expect(t.setGroups(2)).toBe(true);
    expect(t.all().length).toBe(2);
  });
});
