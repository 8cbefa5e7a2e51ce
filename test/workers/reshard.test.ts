/**
 * Live resharding inside workerd (src/monitor/coordinator.ts, src/shard/slot-migration.ts,
 * src/router/redirect.ts): 4 → 8 → 3 groups while several clients keep writing, checked
 * against a shadow copy — every key, type and TTL preserved, none visible twice in
 * KEYS/DBSIZE, and no key left in a group that does not own its slot.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SlotMap } from "../../src/router/slots";
import { cmd } from "./helpers";

const ADMIN = { Authorization: "Bearer test-admin-token", "content-type": "application/json" };

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch(`http://hotslot${path}`, { method, headers: ADMIN, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** Waits for the running job to end (the coordinator's alarm drives it), running `load` meanwhile. */
async function reshardTo(shards: number, load: () => Promise<void>): Promise<any> {
  const start = await admin("POST", "/admin/reshard", { shards });
  expect(start.status, JSON.stringify(start.json)).toBe(202);
  for (let i = 0; i < 2000; i++) {
    await load();
    const t = await admin("GET", "/admin/topology");
    if (t.json.slots.job === null) return t.json.slots;
  }
  throw new Error("reshard did not finish");
}

/** Every key of every group object, by group (straight from the objects, past the router). */
async function keysByGroup(groups: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let g = 0; g < groups; g++) {
    const stub = env.SHARD.get(env.SHARD.idFromName(`shard-${g}`)) as any;
    const [replies] = await stub.run([{ kind: "exec", batch: [["KEYS", "*"]] }]);
    out.push(replies[0]);
  }
  return out;
}

describe("live resharding", () => {
  it("moves 4 → 8 → 3 under load, preserving every key, type and TTL exactly once", async () => {
    const shadow = new Map<string, string>();
    // Every type, some with TTLs.
    for (let i = 0; i < 300; i++) {
      await cmd("SET", `s:${i}`, `v${i}`);
      shadow.set(`s:${i}`, `v${i}`);
    }
    await cmd("RPUSH", "list", "a", "b", "c");
    await cmd("HSET", "hash", "f1", "1", "f2", "2");
    await cmd("SADD", "set", "x", "y");
    await cmd("ZADD", "zset", "1", "one", "2", "two");
    await cmd("SET", "ttl", "t", "EX", "1000");
    await cmd("PFADD", "hll", "a", "b", "c");
    let n = 300;
    const load = async () => {
      // Several clients writing at once (new keys and overwrites) while slots move.
      await Promise.all(
        Array.from({ length: 4 }, async (_, c) => {
          const k = `s:${(n + c) % 500}`;
          const v = `w${n}-${c}`;
          await cmd("SET", k, v);
          shadow.set(k, v);
        }),
      );
      n += 4;
      // A straddling multi-key command may be refused with TRYAGAIN; a single-slot one never is.
      const got = await cmd("GET", "s:1");
      expect(got).toBe(shadow.get("s:1"));
      // An RDB export is refused while keys move (it could hold a moving key twice).
      if (exportChecks < 2) {
        const before = (await admin("GET", "/admin/topology")).json.slots.job;
        const res = await SELF.fetch("http://hotslot/admin/export", { headers: ADMIN });
        const body = await res.text();
        const after = (await admin("GET", "/admin/topology")).json.slots.job;
        if (before !== null && after !== null && before.id === after.id) {
          expect(res.status, body).toBe(409);
          expect(JSON.parse(body).error).toMatch(/^ERR a slot migration is running/);
          exportChecks++;
        }
      }
    };
    let exportChecks = 0;

    const t8 = await reshardTo(8, load);
    expect(t8.groups).toBe(8);
    expect(new Set(t8.ranges.map((r: number[]) => r[2])).size).toBe(8);

    expect(exportChecks).toBe(2);
    const t3 = await reshardTo(3, load);
    expect(t3.groups).toBe(3);

    // Values, types, TTLs.
    for (const [k, v] of shadow) expect(await cmd("GET", k), k).toBe(v);
    expect(await cmd("LRANGE", "list", 0, -1)).toEqual(["a", "b", "c"]);
    expect(await cmd("HGETALL", "hash")).toEqual(["f1", "1", "f2", "2"]);
    expect((await cmd("SMEMBERS", "set")).sort()).toEqual(["x", "y"]);
    expect(await cmd("ZRANGE", "zset", 0, -1, "WITHSCORES")).toEqual(["one", "1", "two", "2"]);
    expect(await cmd("TYPE", "hll")).toBe("string");
    expect(await cmd("PFCOUNT", "hll")).toBe(3);
    const ttl = await cmd("TTL", "ttl");
    expect(ttl).toBeGreaterThan(900);

    // Exactly once: DBSIZE and KEYS match the shadow; each key sits only in its slot's owner.
    const expected = shadow.size + 6;
    expect(await cmd("DBSIZE")).toBe(expected);
    expect((await cmd("KEYS", "*")).length).toBe(expected);
    const map = SlotMap.fromData({ epoch: t3.epoch, groups: 8, ranges: t3.ranges, initialShards: 4 });
    const byGroup = await keysByGroup(8);
    const seen = new Set<string>();
    byGroup.forEach((keys, g) => {
      for (const k of keys) {
        expect(map.shardOfKey(k), `${k} in group ${g}`).toBe(g);
        expect(seen.has(k), k).toBe(false);
        seen.add(k);
      }
    });
    expect(seen.size).toBe(expected);
    for (let g = 3; g < 8; g++) expect(byGroup[g]).toEqual([]);

    // CLUSTER answers from the map.
    const slots = await cmd("CLUSTER", "SLOTS");
    expect(new Set(slots.map((r: any[]) => r[2][2])).size).toBe(3);
    // Over HTTP no bridge announced itself: the NULL endpoint, "the address you are connected to".
    expect(slots[0][2].slice(0, 2)).toEqual([null, 6379]);
    const info = await cmd("CLUSTER", "INFO");
    expect(info).toMatch(/^cluster_state:ok\r\ncluster_slots_assigned:16384\r\n/);
    expect(info).toContain("\r\ncluster_size:3\r\n");
    expect(await cmd("CLUSTER", "COUNTKEYSINSLOT", await cmd("CLUSTER", "KEYSLOT", "list"))).toBeGreaterThanOrEqual(1);
    expect(await cmd("CLUSTER", "GETKEYSINSLOT", await cmd("CLUSTER", "KEYSLOT", "list"), 10)).toContain("list");

    // No migration running: the export is served again.
    const exported = await SELF.fetch("http://hotslot/admin/export", { headers: ADMIN });
    expect(exported.status).toBe(200);
    await exported.arrayBuffer();

    // Back to the layout the other test files expect.
    await reshardTo(4, async () => {});
    expect(await cmd("DBSIZE")).toBe(expected);
    await cmd("FLUSHALL");
  }, 300_000);

  it("imports an RDB file while slots move: every key lands in its slot's owner, once", async () => {
    await cmd("FLUSHALL");
    for (let i = 0; i < 300; i++) await cmd("SET", `imp:${i}`, `v${i}`);
    const exported = await SELF.fetch("http://hotslot/admin/export", { headers: ADMIN });
    expect(exported.status).toBe(200);
    const file = new Uint8Array(await exported.arrayBuffer());
    await cmd("FLUSHALL");
    // Filler keys, so the reshard has batches to move for a while (small batches, a rest between).
    for (let i = 0; i < 40; i++) await cmd("MSET", ...Array.from({ length: 50 }, (_, j) => [`{f${i % 16}}fill:${i}:${j}`, "x"]).flat());
    const start = await admin("POST", "/admin/reshard", { shards: 6, batchKeys: 20, pauseMs: 20 });
    expect(start.status, JSON.stringify(start.json)).toBe(202);
    // The import runs while the job does: keys of moving slots go where the slot's state says.
    const imported = await SELF.fetch("http://hotslot/admin/import", { method: "POST", headers: { Authorization: ADMIN.Authorization }, body: file });
    const result = (await imported.json()) as any;
    expect(imported.status, JSON.stringify(result)).toBe(200);
    expect(result.result.keys).toBe(300);
    // It did overlap the move (the job was still running once it was done).
    expect((await admin("GET", "/admin/topology")).json.slots.job).not.toBeNull();
    let job = (await admin("GET", "/admin/topology")).json.slots;
    for (let i = 0; job.job !== null && i < 2000; i++) job = (await admin("GET", "/admin/topology")).json.slots;
    expect(job.job).toBeNull();
    for (let i = 0; i < 300; i++) expect(await cmd("GET", `imp:${i}`)).toBe(`v${i}`);
    expect(await cmd("DBSIZE")).toBe(300 + 40 * 50);
    const map = SlotMap.fromData({ epoch: job.epoch, groups: 6, ranges: job.ranges, initialShards: 4 });
    const seen = new Set<string>();
    (await keysByGroup(6)).forEach((keys, g) => {
      for (const k of keys) {
        expect(map.shardOfKey(k), `${k} in group ${g}`).toBe(g);
        expect(seen.has(k), k).toBe(false);
        seen.add(k);
      }
    });
    await reshardTo(4, async () => {});
    await cmd("FLUSHALL");
  }, 300_000);

  it("refuses a second reshard while one runs, and bad bodies", async () => {
    expect((await admin("POST", "/admin/reshard", { shards: 0 })).status).toBe(409);
    expect((await admin("POST", "/admin/reshard", { nope: 1 })).status).toBe(400);
  });
});
