/**
 * A migration batch interrupted by a failover of its TARGET group (the `failover` project:
 * SHARDS=3, REPLICAS=2, three monitors): the source's in-flight marker names the target
 * group, so settling it rolls the batch back on the group's promoted primary (the old
 * target is down, or demoted and refusing) instead of leaving the source refusing every call;
 * the move then carries on to the promoted primary and the keys stay served.
 */
import { describe, expect, it } from "vitest";
import { cmd } from "./helpers";
import { fault, keysOfMigratingSlot, monitorConfig, monitorsWatching, shard, until } from "./failover-helpers";

describe("migration batch across a target failover", () => {
  it("settles the in-flight batch on the target group's new primary and moves on", async () => {
    // Slot `slot` of group 0 migrating to group 1, pushed to every member of both groups.
    const { slot, keys } = await keysOfMigratingSlot("t", 5);
    await monitorsWatching();

    // The target goes down mid-batch: the source keeps its keys and its in-flight marker.
    await fault("shard-1", { mode: "down" });
    const refused = await shard("shard-0").migrateSlots([slot], "shard-1", 100, 1 << 20).then(() => null, (e: Error) => e);
    expect(String(refused)).toMatch(/hotslot-fault/);
    await until(async () => (await monitorConfig("monitor-0", 1)).primary !== "shard-1", 15_000, "group 1 to fail over");
    const promoted = (await monitorConfig("monitor-0", 1)).primary;

    // The source settles (rolls back on the promoted primary) before serving: reads work.
    for (const k of keys) expect(await cmd("GET", k)).toBe(`v-${k}`);
    const moved = await shard("shard-0").migrateSlots([slot], promoted, 100, 1 << 20);
    expect(moved.moved).toBe(keys.length);
    expect((await shard(promoted).slotReport([slot])).keyCount).toEqual([keys.length]);
    // Served by the target now (through the source's ASK), held by it alone.
    for (const k of keys) expect(await cmd("GET", k)).toBe(`v-${k}`);
    expect((await shard("shard-0").slotReport([slot])).keyCount).toEqual([0]);
    await fault("shard-1", null);
  });
});
