/**
 * Replication inside workerd (REPLICAS=1, the default): every group's primary ("shard-g")
 * ships its committed effects to its replica ("shard-g-r1"); replicas are reached directly
 * through env.SHARD, as the monitors do. Covers convergence (DEBUG DIGEST), partial resync
 * after restarts, full resync when the backlog is too short, expired keys on a replica,
 * WAIT / ROLE / INFO replication, READONLY reads and min-replicas-to-write. The failover
 * cases (demotion, epoch fencing) are in replication-failover.test.ts.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, connect } from "./helpers";
import { converged, primaryStub, replicaStub, until, type Stub } from "./replication-helpers";
import type { Shard } from "../../src/shard/shard";
import { SlotMap } from "../../src/router/slots";

/** The replication internals of an object (its ShardReplication). */
function replicationOf(stub: Stub): Promise<{ fullSyncs: number; syncPartialOk: number; syncFull: number }> {
  return runInDurableObject(stub as unknown as DurableObjectStub<Shard>, (instance: Shard) => {
    const r = (instance as any).replication;
    return { fullSyncs: r.sink.fullSyncs, syncPartialOk: r.source.stats.syncPartialOk, syncFull: r.source.stats.syncFull };
  });
}

describe("replication", () => {
  it("writes reach the replica: DEBUG DIGEST on primary equals the replica's after load", async () => {
    for (let i = 0; i < 200; i++) await cmd("SET", `rk${i}`, `v${i}`);
    await cmd("HSET", "rh", "a", "1", "b", "2");
    await cmd("DEL", "rk3");
    for (let g = 0; g < 4; g++) await converged(primaryStub(g), replicaStub(g));
    const info = await primaryStub(0).roleInfo();
    expect(info.role).toBe("primary");
    expect(info.replicas[0].name).toBe("shard-0-r1");
    expect(info.replicas[0].ackedOffset).toBe(info.offset);
    const r = await replicaStub(0).roleInfo();
    expect(r).toMatchObject({ role: "replica", primary: "shard-0", epoch: 0, offset: info.offset, linkUp: true });
  }, 30_000);

  it("a replica refuses writes and never expires keys itself, but never returns an expired key", async () => {
    await cmd("SET", "{e}k", "v", "PX", "200");
    // Which group holds {e}: find the primary that has it.
    let group = -1;
    for (let i = 0; i < 4; i++) if ((await primaryStub(i).exec([["EXISTS", "{e}k"]]))[0] === 1) group = i;
    expect(group).toBeGreaterThanOrEqual(0);
    await primaryStub(group).exec([["DEBUG", "SET-ACTIVE-EXPIRE", "0"]]);
    await until(async () => (await replicaStub(group).exec([["EXISTS", "{e}k"]]))[0] === 1);
    expect(JSON.stringify((await replicaStub(group).exec([["SET", "x", "1"]]))[0])).toContain("READONLY You can't write against a read only replica.");
    await new Promise((r) => setTimeout(r, 300));
    const [get, dbsize] = await replicaStub(group).exec([["GET", "{e}k"], ["DBSIZE"]]);
    expect(get).toBeNull();
    // Still held (only hidden) until the primary's DEL arrives.
    const held = await runInDurableObject(replicaStub(group) as unknown as DurableObjectStub<Shard>, (instance: Shard) => (instance as any).core.db.size);
    expect(held).toBe(dbsize);
    expect(held).toBeGreaterThan(0);
    await primaryStub(group).exec([["GET", "{e}k"]]); // lazy expiry on the primary: logged and shipped as DEL
    await converged(primaryStub(group), replicaStub(group));
  }, 30_000);

  it("resumes with a partial resync after every object restarts", async () => {
    for (let i = 0; i < 50; i++) await cmd("SET", `p${i}`, `v${i}`);
    for (let g = 0; g < 4; g++) await converged(primaryStub(g), replicaStub(g));
    await abortAllDurableObjects();
    for (let i = 0; i < 50; i++) await cmd("SET", `q${i}`, `v${i}`);
    for (let g = 0; g < 4; g++) {
      await converged(primaryStub(g), replicaStub(g));
      expect((await replicationOf(replicaStub(g))).fullSyncs).toBe(0);
    }
  }, 60_000);

  it("a replica the backlog no longer covers gets a full resync", async () => {
    const g = 2;
    const primary = primaryStub(g);
    await primary.exec([["CONFIG", "SET", "repl-backlog-size", "1"]]);
    await converged(primary, replicaStub(g));
    const before = await replicationOf(replicaStub(g));
    // Shipping stops (as if the replica were unreachable) while writes go on past the backlog.
    await runInDurableObject(primary as unknown as DurableObjectStub<Shard>, (instance: Shard) => (instance as any).replication.source.follow());
    const slots = SlotMap.contiguous(4);
    for (let i = 0, n = 0; n < 20; i++) {
      if (slots.shardOfKey(`f${i}`) !== g) continue;
      expect(JSON.stringify(await primary.exec([["SET", `f${i}`, "x".repeat(100)]]))).toContain("OK");
      n++;
    }
    await runInDurableObject(primary as unknown as DurableObjectStub<Shard>, (instance: Shard) => {
      const r = (instance as any).replication;
      r.source.lead(r.deps.name, r.config);
    });
    await converged(primary, replicaStub(g));
    expect((await replicationOf(replicaStub(g))).fullSyncs).toBe(before.fullSyncs + 1);
  }, 30_000);

  it("WAIT, WAITAOF, ROLE and INFO replication", async () => {
    const c = await connect();
    expect(await c.call(["SET", "w", "1"])).toBe("+OK\r\n");
    expect(await c.call(["WAIT", "1", "2000"])).toBe(":1\r\n");
    expect(await c.call(["WAITAOF", "0", "1", "2000"])).toBe("*2\r\n:1\r\n:1\r\n");
    expect(await c.call(["WAIT", "2", "50"])).toBe(":1\r\n");
    expect(await c.call(["WAIT", "1", "-1"])).toBe("-ERR timeout is negative\r\n");
    const role = await c.call(["ROLE"]);
    expect(role).toMatch(/^\*3\r\n\$6\r\nmaster\r\n:\d+\r\n\*1\r\n\*3\r\n\$10\r\nshard-0-r1\r\n\$1\r\n0\r\n\$\d+\r\n\d+\r\n$/);
    const info = await c.call(["INFO", "replication"]);
    expect(info).toContain("role:master");
    expect(info).toContain("connected_slaves:1");
    expect(info).toMatch(/slave0:ip=shard-0-r1,port=0,state=online,offset=\d+,lag=0/);
    expect(info).toMatch(/master_repl_offset:\d+/);
    expect(info).toContain("repl_backlog_size:1048576");
    expect(await c.call(["REPLICAOF", "localhost", "6379"])).toMatch(/^-ERR REPLICAOF is not allowed/);
    const rinfo = (await replicaStub(0).exec([["INFO", "replication"]]))[0];
    expect(JSON.stringify(rinfo)).toContain("master_link_status:up");
    c.close();
  }, 30_000);

  it("READONLY reads are served by replicas", async () => {
    const c = await connect();
    await c.call(["SET", "ro", "v1"]);
    expect(await c.call(["WAIT", "1", "2000"])).toBe(":1\r\n");
    expect(await c.call(["READONLY"])).toBe("+OK\r\n");
    expect(await c.call(["GET", "ro"])).toBe("$2\r\nv1\r\n");
    // Writes still go to the primary.
    expect(await c.call(["SET", "ro", "v2"])).toBe("+OK\r\n");
    expect(await c.call(["READWRITE"])).toBe("+OK\r\n");
    expect(await c.call(["GET", "ro"])).toBe("$2\r\nv2\r\n");
    c.close();
  }, 30_000);

  it("min-replicas-to-write: NOREPLICAS with too few good replicas; acknowledged writes are on a replica", async () => {
    const c = await connect();
    expect(await c.call(["CONFIG", "SET", "min-replicas-to-write", "2"])).toBe("+OK\r\n");
    expect(await c.call(["SET", "mr", "1"])).toBe("-NOREPLICAS Not enough good replicas to write.\r\n");
    expect(await c.call(["GET", "mr"])).toBe("$-1\r\n");
    expect(await c.call(["CONFIG", "SET", "min-replicas-to-write", "1"])).toBe("+OK\r\n");
    expect(await c.call(["SET", "mr", "2"])).toBe("+OK\r\n");
    // Acknowledged under min-replicas-to-write 1: a replica has it already.
    let found = false;
    for (let g = 0; g < 4; g++) if ((await replicaStub(g).exec([["GET", "mr"]]))[0] === "2") found = true;
    expect(found).toBe(true);
    expect(await c.call(["CONFIG", "SET", "min-replicas-to-write", "0"])).toBe("+OK\r\n");
    c.close();
  }, 30_000);
});
