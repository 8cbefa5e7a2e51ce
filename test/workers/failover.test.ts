/**
 * Failover inside workerd (the `failover` project): a primary made down by fault injection
 * is failed over by the monitors and writes through the router are accepted again, measured;
 * the old primary rejoins as a replica; a stale router cannot get a write acknowledged by a
 * deposed primary (split brain); the most advanced replica is promoted; with too few
 * monitors nothing happens; a controlled failover loses nothing.
 * Tests run in order and each uses its own group (or a state the previous one left).
 */
import { describe, expect, it } from "vitest";
import { cmd, connect, http } from "./helpers";
import { adminFailover, DOWN_AFTER_MS, fault, keysOfGroup, monitor, monitorConfig, monitorsWatching, setAcked, shard, topology, until } from "./failover-helpers";

describe("failover", () => {
  it("primary down: the monitors promote a replica and writes through the router are accepted again within DOWN_AFTER_MS + 2 s", async () => {
    const [key] = keysOfGroup(0, "fo-a");
    await setAcked(key, "before");
    await monitorsWatching();
    await fault("shard-0", { mode: "down" });
    const t0 = Date.now();
    // One request: the router retries it (refreshing the topology) until the new primary takes it.
    let reply: any;
    for (;;) {
      reply = await http(["SET", key, "after"]);
      if (reply.json.result === "OK" || Date.now() - t0 > 15_000) break;
    }
    const failoverMs = Date.now() - t0;
    console.log(`failover time (fault → write accepted): ${failoverMs} ms (DOWN_AFTER_MS ${DOWN_AFTER_MS})`);
    if (reply.json.result !== "OK") console.log(JSON.stringify(await topology(), null, 1));
    expect(reply.json).toEqual({ result: "OK" });
    expect(failoverMs).toBeLessThan(DOWN_AFTER_MS + 2000);
    expect(await cmd("GET", key)).toBe("after");
    const t = await topology();
    // An odd epoch (elections are held at even ones; a split vote costs one).
    const epoch = t.groups[0].epoch;
    expect(epoch % 2).toBe(1);
    expect(["shard-0-r1", "shard-0-r2"]).toContain(t.groups[0].primary);
    expect(t.groups[0].members.map((m) => m.name).sort()).toEqual(["shard-0", "shard-0-r1", "shard-0-r2"]);
    // Every monitor holds the new config.
    for (const m of ["monitor-0", "monitor-1", "monitor-2"]) expect((await monitorConfig(m, 0)).epoch).toBe(epoch);
    // A router call for the old epoch is refused by the new primary.
    const stale = await shard(t.groups[0].primary).run([{ kind: "exec", batch: [["SET", key, "stale"]] }], { epoch: 0 });
    expect(stale).toMatchObject({ staleRoute: true, epoch });
  });

  it("the old primary rejoins as a replica of the new one and converges (DEBUG DIGEST)", async () => {
    await fault("shard-0", null);
    const { primary, epoch } = await monitorConfig("monitor-0", 0);
    await until(async () => {
      const info = await shard("shard-0").roleInfo("test");
      return info.role === "replica" && info.epoch === epoch && info.primary === primary && info.linkUp === true;
    }, 10_000, "shard-0 to rejoin as a replica");
    const digest = async (name: string) => JSON.stringify(((await shard(name).exec([["DEBUG", "DIGEST"]])) as unknown[])[0]);
    await until(async () => (await digest("shard-0")) === (await digest(primary)), 10_000, "digests to converge");
  });

  it("split brain: a primary cut off from the monitors but reachable by a stale router cannot get a write acknowledged", async () => {
    const [key] = keysOfGroup(1, "fo-b");
    await setAcked(key, "v1");
    await fault("shard-1", { mode: "partition", from: ["monitor-0", "monitor-1", "monitor-2"] });
    await until(async () => (await monitorConfig("monitor-0", 1)).epoch > 0, 10_000, "group 1 to fail over");
    // A router that still routes by epoch 0 reaches the old primary directly.
    const reply = await shard("shard-1").run([{ kind: "exec", batch: [["SET", key, "split-brain"]] }], { epoch: 0, from: "stale-router" });
    if (!("staleRoute" in reply)) {
      // It ran the command but could not have it acknowledged by a replica: refused.
      expect(JSON.stringify(reply)).toMatch(/NOREPLICAS|error/i);
    }
    // Through the router (which refreshes) the write is not there; the earlier one is.
    expect(await cmd("GET", key)).toBe("v1");
    await fault("shard-1", null);
    await until(async () => (await shard("shard-1").roleInfo("test")).role === "replica", 10_000, "shard-1 to be demoted");
    expect(await cmd("GET", key)).toBe("v1");
  });

  it("promotes the most advanced replica", async () => {
    const keys = keysOfGroup(2, "fo-c", 20);
    await setAcked(keys[0], "0");
    await monitorsWatching();
    // shard-2-r1 stops receiving the stream; shard-2-r2 gets every write (min-replicas-to-write 1 holds).
    await fault("shard-2-r1", { mode: "partition", from: ["shard-2"] });
    for (const k of keys) expect(await cmd("SET", k, "x")).toBe("OK");
    const [r1, r2] = [await shard("shard-2-r1").roleInfo("test"), await shard("shard-2-r2").roleInfo("test")];
    expect(r2.offset).toBeGreaterThan(r1.offset);
    await fault("shard-2", { mode: "down" });
    await until(async () => (await monitorConfig("monitor-0", 2)).epoch > 0, 10_000, "group 2 to fail over");
    expect((await monitorConfig("monitor-0", 2)).primary).toBe("shard-2-r2");
    await fault("shard-2-r1", null);
    for (const k of keys) expect(await cmd("GET", k)).toBe("x");
    await fault("shard-2", null);
  });

  it("no quorum of monitors: no failover; once they return, the failover happens", async () => {
    const before = await monitorConfig("monitor-0", 0);
    await fault("monitor-1", { mode: "down" });
    await fault("monitor-2", { mode: "down" });
    await fault(before.primary, { mode: "down" });
    await new Promise((r) => setTimeout(r, 3 * DOWN_AFTER_MS));
    expect(await monitorConfig("monitor-0", 0)).toEqual(before);
    const view = await monitor("monitor-0").view("test");
    expect(view.members[0][0]).toMatchObject({ name: before.primary, sdown: true });
    await fault("monitor-1", null);
    await fault("monitor-2", null);
    await until(async () => (await monitorConfig("monitor-0", 0)).epoch > before.epoch, 10_000, "the failover once monitors are back");
    const [key] = keysOfGroup(0, "fo-d");
    await setAcked(key, "ok");
    await fault(before.primary, null);
  });

  it("controlled failover (POST /admin/failover/<group>): writes continue around it and none is lost", async () => {
    await monitorsWatching();
    const keys = keysOfGroup(1, "fo-e", 200);
    const acked: string[] = [];
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < keys.length; i++) {
        const r = await http(["SET", keys[i], `v${i}`]);
        if (r.json.result === "OK") acked.push(keys[i]);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const before = await monitorConfig("monitor-0", 1);
    const res = await adminFailover(1);
    stop = true;
    await writer;
    expect(res.status).toBe(200);
    expect(res.json.result.outcome.ok).toBe(true);
    const after = await monitorConfig("monitor-0", 1);
    expect(after.epoch).toBeGreaterThan(before.epoch);
    expect(after.primary).not.toBe(before.primary);
    expect(acked.length).toBeGreaterThan(0);
    for (const k of acked) expect(await cmd("GET", k)).toBe(`v${keys.indexOf(k)}`);
  });

  it("READONLY reads keep being served by replicas while the group fails over", async () => {
    await monitorsWatching();
    const [key] = keysOfGroup(2, "fo-f");
    await setAcked(key, "seen");
    const conn = await connect();
    expect(await conn.call(["READONLY"])).toBe("+OK\r\n");
    await until(async () => (await conn.call(["GET", key])) === "$4\r\nseen\r\n", 5000, "the replicas to have the key");
    const { primary, epoch } = await monitorConfig("monitor-0", 2);
    await fault(primary, { mode: "down" });
    const t0 = Date.now();
    const latencies: number[] = [];
    while ((await monitorConfig("monitor-0", 2)).epoch === epoch && Date.now() - t0 < 10_000) {
      const start = Date.now();
      expect(await conn.call(["GET", key])).toBe("$4\r\nseen\r\n");
      latencies.push(Date.now() - start);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Served all along: no read waited for the failover (DOWN_AFTER_MS and more).
    expect(latencies.length).toBeGreaterThan(5);
    expect(Math.max(...latencies)).toBeLessThan(DOWN_AFTER_MS);
    expect(await conn.call(["GET", key])).toBe("$4\r\nseen\r\n");
    conn.close();
    await fault(primary, null);
  });

  it("SENTINEL MASTERS, REPLICAS and CKQUORUM describe the groups", async () => {
    const masters = await cmd("SENTINEL", "MASTERS");
    expect(masters.length).toBe(3);
    const m0 = masters[0] as string[];
    expect(m0.slice(0, 2)).toEqual(["name", "group-0"]);
    const replicas = await cmd("SENTINEL", "REPLICAS", "group-0");
    expect(replicas.length).toBe(2);
    expect(await cmd("SENTINEL", "CKQUORUM", "group-0")).toBe("OK 3 usable Sentinels. Quorum and failover authorization can be reached");
    expect(await cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "group-0")).toEqual([(await monitorConfig("monitor-0", 0)).primary, "0"]);
    await expect(cmd("SENTINEL", "REPLICAS", "nope")).rejects.toThrow("ERR No such master with that name");
  });
});
