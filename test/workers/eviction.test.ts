/**
 * Bounded memory inside workerd: CONFIG SET maxmemory through the router reaches every
 * shard, and writing several times that much over HTTP leaves each shard within its
 * limit (INFO memory's used_memory, summed over shards by the router, stays under
 * maxmemory × shards), evicting under allkeys-lru while every shard keeps answering.
 */
import { runInDurableObject } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { cmd, http, shardStub, SHARDS } from "./helpers";

const LIMIT = 64 * 1024;

function field(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  if (!m) throw new Error(`no ${name} in INFO`);
  return m[1].trim();
}

describe("maxmemory through the router", () => {
  afterAll(async () => {
    // Give the other tests of this project their default limit back.
    await cmd("CONFIG", "SET", "maxmemory", "64mb");
  });

  it("applies CONFIG SET to every shard and keeps each under its limit while written 8× over", async () => {
    expect(await cmd("CONFIG", "SET", "maxmemory", String(LIMIT), "maxmemory-policy", "allkeys-lru")).toBe("OK");
    expect(await cmd("CONFIG", "GET", "maxmemory")).toEqual(["maxmemory", String(LIMIT)]);
    const value = "v".repeat(1000);
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => ["SET", `evict:${round}:${i}`, value]);
      const { status, json } = await http(batch, "/pipeline");
      expect(status).toBe(200);
      expect(json.every((r: { result?: string }) => r.result === "OK")).toBe(true);
    }
    const info: string = await cmd("INFO", "memory");
    expect(Number(field(info, "used_memory"))).toBeLessThanOrEqual(LIMIT * SHARDS);
    expect(Number(field(info, "maxmemory"))).toBe(LIMIT * SHARDS);
    expect(field(info, "maxmemory_policy")).toBe("allkeys-lru");
    const stats: string = await cmd("INFO", "stats");
    expect(Number(field(stats, "evicted_keys"))).toBeGreaterThan(1000);

    for (let i = 0; i < SHARDS; i++) {
      const used: number = await (runInDurableObject as any)(shardStub(i), (shard: any) => shard.core.db.usedMemory);
      expect(used).toBeLessThanOrEqual(LIMIT);
    }
    // Every shard still answers, and a write after the flood is kept. (Not the flood's own
    // last keys: the LRU clock counts seconds, as Redis's, so keys written within the same
    // second tie and any of them may be evicted. One written a second later is newer than
    // all of them, so sampling never picks it while older keys are there.)
    expect(await cmd("DBSIZE")).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await cmd("SET", "after", value)).toBe("OK");
    expect(await cmd("GET", "after")).toBe(value);
    expect(await cmd("GET", "evict:19:99")).toSatisfy((v: unknown) => v === null || v === value);
  });
});
