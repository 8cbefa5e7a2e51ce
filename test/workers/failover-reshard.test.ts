/**
 * Resharding with replicas and failover (the `failover` project: SHARDS=3, REPLICAS=2, three
 * monitors): reshard 3 → 5, then the monitors watch the added groups (the coordinator tells
 * them the slot map's group count), group 4's primary is made down and failed over, and the
 * keys the reshard moved into group 4 stay readable and writable, with DBSIZE unchanged (the
 * promoted replica has the group's slot config: the coordinator pushes it to replicas too).
 */
import { describe, expect, it } from "vitest";
import { keySlot } from "../../src/util/keyslot";
import { cmd, http } from "./helpers";
import { admin, fault, monitor, monitorConfig, shard, until } from "./failover-helpers";

describe("resharding with failover", () => {
  it("reshards 3 → 5, fails over group 4, and its keys keep being served", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `rf:${i}`);
    for (const k of keys) await until(async () => (await http(["SET", k, `v-${k}`])).json.result === "OK", 10_000, `SET ${k}`);
    const start = await admin("POST", "/admin/reshard", { shards: 5 });
    expect(start.status, JSON.stringify(start.json)).toBe(202);
    await until(async () => (await admin("GET", "/admin/topology")).json.slots.job === null, 50_000, "the reshard to finish");
    const map = (await admin("GET", "/admin/topology")).json.slots;
    expect(map.groups).toBe(5);

    // The monitors watch the two groups the reshard added.
    const monitors = ["monitor-0", "monitor-1", "monitor-2"];
    await until(async () => (await Promise.all(monitors.map(async (m) => (await monitor(m).topology("test")).length))).every((n) => n === 5), 10_000, "the monitors to watch 5 groups");
    const slotsOf4 = map.ranges.filter((r: number[]) => r[2] === 4);
    const mine = keys.filter((k) => slotsOf4.some((r: number[]) => keySlot(k) >= r[0] && keySlot(k) <= r[1]));
    expect(mine.length).toBeGreaterThan(0);
    await until(
      async () => {
        const views = await Promise.all(monitors.map((m) => monitor(m).view("test")));
        return views.every((v: any) => v.members[4].every((m: any) => m.lastOkAt !== null && Date.now() - m.lastOkAt < 1000));
      },
      15_000,
      "every monitor to watch group 4",
    );

    await fault("shard-4", { mode: "down" });
    await until(async () => (await monitorConfig("monitor-0", 4)).primary !== "shard-4", 15_000, "group 4 to fail over");
    const promoted = (await monitorConfig("monitor-0", 4)).primary;
    expect(["shard-4-r1", "shard-4-r2"]).toContain(promoted);
    // The promoted replica was pushed the group's slot config as a replica: it gates keys at the map's epoch.
    expect((await shard(promoted).slotReport([0])).epoch).toBe(map.epoch);

    // Group 4's keys: readable where the reshard put them, and writable.
    for (const k of mine) expect(await cmd("GET", k)).toBe(`v-${k}`);
    for (const k of mine) await until(async () => (await http(["SET", k, `w-${k}`])).json.result === "OK", 10_000, `SET ${k} after failover`);
    for (const k of mine) expect(await cmd("GET", k)).toBe(`w-${k}`);
    expect(await cmd("DBSIZE")).toBe(keys.length);
    await fault("shard-4", null);
  });
});
