/**
 * A replica that missed a reshard's slot-config pushes (it was down, then cut off from the
 * coordinator) and is promoted after the reshard ended (the `failover` project: SHARDS=3,
 * REPLICAS=2, three monitors). As a replica it takes its primary's slot config with the
 * stream it catches up on (src/shard/replication-source.ts), so its READONLY reads redirect
 * keys of the slots its group gave away instead of answering nil; promoted, it also takes its
 * group's current slot config from the coordinator before it serves (src/shard/slot-migration.ts,
 * promotion settle), and refuses those keys.
 */
import { describe, expect, it } from "vitest";
import { contiguousOwner, ownerOf } from "../../src/monitor/slot-map-data";
import { keySlot } from "../../src/util/keyslot";
import { cmd, connect } from "./helpers";
import { admin, adminFailover, fault, monitorsWatching, setAcked, shard, until } from "./failover-helpers";

describe("slot config of a replica promoted after a reshard it missed", () => {
  it("takes the current slot config before it serves and refuses the slots its group gave away", async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `pc:${i}`);
    for (const k of keys) await setAcked(k, `v-${k}`);
    await monitorsWatching();

    // shard-0-r1 is down for the whole reshard 3 → 5: it misses every slot-config push.
    await fault("shard-0-r1", { mode: "down" });
    const start = await admin("POST", "/admin/reshard", { shards: 5 });
    expect(start.status, JSON.stringify(start.json)).toBe(202);
    await until(async () => (await admin("GET", "/admin/topology")).json.slots.job === null, 50_000, "the reshard to finish");
    const map = (await admin("GET", "/admin/topology")).json.slots;
    // Back up, but cut off from the coordinator: only its primary can tell it the config it missed.
    await fault("shard-0-r1", { mode: "partition", from: ["coordinator"] });

    // Keys group 0 had and gave away (to groups 3 and 4); r1 catches up on the stream.
    const before = contiguousOwner(3);
    const after = ownerOf(map.ranges);
    const gone = keys.filter((k) => before[keySlot(k)] === 0 && after[keySlot(k)] !== 0);
    const kept = keys.filter((k) => after[keySlot(k)] === 0);
    expect(gone.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    await until(async () => (await shard("shard-0-r1").roleInfo()).offset === (await shard("shard-0").roleInfo()).offset, 15_000, "shard-0-r1 to catch up");
    // Its READONLY reads redirect keys its group gave away (the router follows MOVED to their
    // owner), where its older config answered nil: it no longer holds them.
    const epoch = (await shard("shard-0-r1").roleInfo()).epoch;
    const read = await shard("shard-0-r1").run([{ kind: "exec", batch: [["GET", gone[0]], ["GET", kept[0]]] }], { epoch, replicaRead: true });
    expect(read).toEqual([[{ kind: "error", message: `MOVED ${keySlot(gone[0])} ${map.epoch}` }, `v-${kept[0]}`]]);
    // No push reached it, yet its slot config is its primary's: it came with the stream.
    expect((await shard("shard-0").slotReport([0])).epoch).toBe(map.epoch);
    expect((await shard("shard-0-r1").slotReport([0])).epoch).toBe(map.epoch);
    // Through the router, a READONLY connection reads every key's value (from a replica, or
    // where a redirect sends it).
    const conn = await connect();
    expect(await conn.call(["READONLY"])).toBe("+OK\r\n");
    for (const k of [...gone, ...kept]) expect(await conn.call(["GET", k])).toBe(`$${`v-${k}`.length}\r\nv-${k}\r\n`);
    conn.close();

    // Promote r1 (r2 down: the controlled failover can only choose r1), no reshard running.
    await fault("shard-0-r1", null);
    await fault("shard-0-r2", { mode: "down" });
    const failover = await adminFailover(0);
    expect(failover.status, JSON.stringify(failover.json)).toBe(200);
    await until(async () => (await shard("shard-0-r1").roleInfo()).role === "primary", 10_000, "shard-0-r1 to lead group 0");

    // Asked directly, the promoted primary refuses keys of the slots its group gave away
    // (reads and writes, MOVED at the map's epoch), and serves the ones it kept.
    const replies = await shard("shard-0-r1").exec([["GET", gone[0]], ["SET", gone[1] ?? gone[0], "x"], ["GET", kept[0]]]);
    expect(replies[0]).toMatchObject({ kind: "error", message: `MOVED ${keySlot(gone[0])} ${map.epoch}` });
    expect(replies[1]).toMatchObject({ kind: "error", message: `MOVED ${keySlot(gone[1] ?? gone[0])} ${map.epoch}` });
    expect(replies[2]).toBe(`v-${kept[0]}`);
    expect((await shard("shard-0-r1").slotReport([0])).epoch).toBe(map.epoch);

    // Through the router every key is where the map says, once.
    for (const k of keys) expect(await cmd("GET", k)).toBe(`v-${k}`);
    expect(await cmd("DBSIZE")).toBe(keys.length);
    await fault("shard-0-r2", null);
  });
});
