/**
 * Soak: ten times maxmemory of data written through the router (RESP sessions over an
 * in-memory 4-shard cluster) under allkeys-lru. Every shard's accounted used memory stays
 * at or under its maxmemory after every pipeline, evictions are logged as DEL, the shards
 * keep answering, and INFO memory through the router adds the shards up.
 */
import { describe, expect, it } from "vitest";
import { Authenticator } from "../../src/router/auth";
import { RespSession } from "../../src/router/session";
import { MemoryPool } from "../support/memory-pool";
import { lcgInts } from "../support/random";

const SHARDS = 4;
const MAXMEMORY = 256 * 1024;

describe("a cluster written far past maxmemory under allkeys-lru", () => {
  it("keeps every shard within maxmemory, evicting (and logging) as it goes", async () => {
    const pool = new MemoryPool(SHARDS);
    const s = new RespSession(pool, new Authenticator({ token: null, readonlyToken: null }), null);
    expect(await s.handle([["CONFIG", "SET", "maxmemory", String(MAXMEMORY), "maxmemory-policy", "allkeys-lru"]])).toBe("+OK\r\n");
    for (const shard of pool.shards) expect(shard.db.settings.maxmemory).toBe(MAXMEMORY);

    const rnd = lcgInts(1);
    let written = 0;
    let n = 0;
    while (written < 10 * MAXMEMORY * SHARDS) {
      const batch: string[][] = [];
      for (let i = 0; i < 100; i++, n++) {
        const size = 10 + rnd(2000);
        written += size;
        switch (rnd(10)) {
          case 0:
            batch.push(["RPUSH", `list:${rnd(50)}`, "x".repeat(size)]);
            break;
          case 1:
            batch.push(["HSET", `hash:${rnd(50)}`, `f${rnd(20)}`, "y".repeat(size)]);
            break;
          case 2:
            batch.push(["GET", `key:${n - 1 - rnd(50)}`]);
            break;
          default:
            batch.push(["SET", `key:${n}`, "v".repeat(size), ...(rnd(3) === 0 ? ["EX", "3600"] : [])]);
        }
      }
      const out = await s.handle(batch);
      expect(out).not.toContain("-OOM");
      for (const shard of pool.shards) expect(shard.db.usedMemory).toBeLessThanOrEqual(MAXMEMORY);
    }

    const evicted = pool.shards.reduce((sum, shard) => sum + shard.db.stats.evictedKeys, 0);
    expect(evicted).toBeGreaterThan(1000);
    const logged = pool.logs.reduce((sum, log) => sum + log.filter((e) => e[0] === "DEL").length, 0);
    expect(logged).toBe(evicted);

    // The shards still answer, and the most recent write is still there.
    expect(await s.handle([["SET", "last", "value"], ["GET", "last"]])).toBe("+OK\r\n$5\r\nvalue\r\n");
    const info = await s.handle([["INFO", "memory"]]);
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    expect(used).toBe(pool.shards.reduce((sum, shard) => sum + shard.db.usedMemory, 0));
    expect(used).toBeLessThanOrEqual(MAXMEMORY * SHARDS);
    expect(info).toContain(`maxmemory:${MAXMEMORY * SHARDS}\r\n`);
    expect(info).toContain("maxmemory_policy:allkeys-lru\r\n");
  }, 20_000);
});
