/**
 * A migration batch interrupted by a failover of its SOURCE group (the `failover` project:
 * SHARDS=3, REPLICAS=2, MIN_REPLICAS_TO_WRITE=1, three monitors). The source, cut off from
 * its replicas and the monitors, sends a batch: the target applies it (hidden: its slot is
 * importing) and the source deletes its keys, but that DEL never reaches a replica. The
 * promoted source still holds the keys, and must drop the target's copies before it serves
 * (src/shard/slot-migration.ts, promotion settle): else a client DEL on the new source would
 * let the target's stale copy show through ASK. The old source, its DEL unacknowledged,
 * answers NOREPLICAS and keeps its keys; its own roll-back is refused by the target.
 */
import { describe, expect, it } from "vitest";
import { cmd } from "./helpers";
import { fault, keysOfMigratingSlot, monitorConfig, monitorsWatching, shard, until } from "./failover-helpers";

describe("migration batch across a source failover", () => {
  it("the promoted source drops the batch's hidden copies on the target before it serves", async () => {
    // Slot `slot` of group 0 migrating to group 1, pushed to every member of both groups.
    const { slot, keys } = await keysOfMigratingSlot("s", 5);
    await monitorsWatching();

    // The source is cut off from its replicas, the monitors and the router (it still takes
    // this test's calls) and sends a batch: the target applies it (hidden: its slot is
    // importing), the source deletes its copies, but that DEL reaches no replica.
    const cut = ["shard-0-r1", "shard-0-r2", "monitor-0", "monitor-1", "monitor-2", "router"];
    await fault("shard-0", { mode: "partition", from: cut });
    const batch = shard("shard-0").migrateSlots([slot], "shard-1", 100, 1 << 20).then(
      () => null,
      (e: Error) => e,
    );
    await until(async () => (await shard("shard-1").slotReport([slot])).keyCount[0] === keys.length, 10_000, "the batch to land on the target");
    await until(async () => (await monitorConfig("monitor-0", 0)).primary !== "shard-0", 15_000, "group 0 to fail over");
    const promoted = (await monitorConfig("monitor-0", 0)).primary;
    expect(["shard-0-r1", "shard-0-r2"]).toContain(promoted);

    // The promoted source serves the keys; a key it deletes stays deleted (no stale copy via ASK).
    for (const k of keys) expect(await cmd("GET", k)).toBe(`v-${k}`);
    expect(await cmd("DEL", keys[0])).toBe(1);
    expect(await cmd("GET", keys[0])).toBe(null);
    expect(await cmd("EXISTS", keys[0])).toBe(0);
    await until(async () => (await cmd("SET", keys[1], `w-${keys[1]}`)) === "OK", 10_000, `SET ${keys[1]}`);

    // The move carries on from the promoted source: every remaining key exactly once, current values.
    const moved = await shard(promoted).migrateSlots([slot], "shard-1", 100, 1 << 20);
    expect(moved.moved).toBe(keys.length - 1);
    expect((await shard("shard-1").slotReport([slot])).keyCount).toEqual([keys.length - 1]);
    expect((await shard(promoted).slotReport([slot])).keyCount).toEqual([0]);
    expect(await cmd("GET", keys[0])).toBe(null);
    expect(await cmd("GET", keys[1])).toBe(`w-${keys[1]}`);
    for (const k of keys.slice(2)) expect(await cmd("GET", k)).toBe(`v-${k}`);
    // The old source never saw its DEL acknowledged: it answered NOREPLICAS and kept the keys
    // (no client of it saw them gone). Its own roll-back is refused by the target: the
    // monitors name another primary of group 0, and the keys moved since stay.
    expect(String(await batch)).toMatch(/NOREPLICAS/);
    const refused = await shard("shard-0").slotReport([slot]).then(
      () => null,
      (e: Error) => e,
    );
    expect(String(refused)).toMatch(/not its group's primary/);
    expect((await shard("shard-1").slotReport([slot])).keyCount).toEqual([keys.length - 1]);
    await fault("shard-0", null);
  });
});
