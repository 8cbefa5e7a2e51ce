/**
 * Lua scripting inside workerd, through the router: the script cache survives every shard
 * restarting (from the log, and from a snapshot's AUX fields), EVALSHA works in every shard
 * after one SCRIPT LOAD, and real libraries built on EVAL/EVALSHA work unchanged over HTTP
 * with @upstash/redis: @upstash/ratelimit (fixed window, sliding window, token bucket) and
 * @upstash/lock, each asserting what it promises under concurrency.
 */
import { evictAllDurableObjects } from "cloudflare:test";
import { Lock } from "@upstash/lock";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { cmd, http, keyPerShard, routeFetchToWorker, TOKEN } from "./helpers";

describe("the script cache", () => {
  const body = "return redis.call('incr', KEYS[1])";

  it("serves EVALSHA in every shard after one SCRIPT LOAD, and after every shard restarts", async () => {
    const sha = await cmd("SCRIPT", "LOAD", body);
    const keys = keyPerShard("cache-");
    for (const key of keys) expect(await cmd("EVALSHA", sha, 1, key)).toBe(1);
    await evictAllDurableObjects(); // rebuilt from the log: SCRIPT LOAD was logged
    for (const key of keys) expect(await cmd("EVALSHA", sha, 1, key)).toBe(2);
    expect(await cmd("SCRIPT", "EXISTS", sha, "0".repeat(40))).toEqual([1, 0]);
    expect(await cmd("SAVE")).toBe("OK");
    await evictAllDurableObjects(); // rebuilt from the snapshot's AUX fields
    for (const key of keys) expect(await cmd("EVALSHA", sha, 1, key)).toBe(3);
  });

  it("keeps a script cached by EVAL in the shard that ran it, across a restart", async () => {
    const script = "return redis.call('set', KEYS[1], ARGV[1])";
    const [key] = keyPerShard("eval-cache-");
    expect(await cmd("EVAL", script, 1, key, "v")).toBe("OK");
    await evictAllDurableObjects();
    const { json } = await http(["EVALSHA", await cmd("SCRIPT", "LOAD", script), 1, key, "w"]);
    expect(json).toEqual({ result: "OK" });
    expect(await cmd("GET", key)).toBe("w");
  });

  it("SCRIPT EXISTS answers 1 only for a script every shard holds (EVAL caches it in one shard)", async () => {
    const evalOnly = "return 'only-in-one-shard'";
    const loaded = "return 'loaded-everywhere'";
    const [key] = keyPerShard("exists-");
    expect(await cmd("EVAL", evalOnly, 1, key)).toBe("only-in-one-shard");
    const loadedSha = await cmd("SCRIPT", "LOAD", loaded);
    const evalSha = await cmd("EVAL", "return redis.sha1hex(ARGV[1])", 0, evalOnly);
    expect(await cmd("SCRIPT", "EXISTS", evalSha, loadedSha, "0".repeat(40))).toEqual([0, 1, 0]);
  });

  it("refuses declared keys of different slots with CROSSSLOT, and SCRIPT FLUSH empties every shard", async () => {
    const { json } = await http(["EVAL", "return 1", 2, "a", "b"]);
    expect(json.error).toMatch(/^CROSSSLOT/);
    const sha = await cmd("SCRIPT", "LOAD", "return 'x'");
    expect(await cmd("SCRIPT", "FLUSH")).toBe("OK");
    for (const key of keyPerShard("flushed-")) {
      expect((await http(["EVALSHA", sha, 1, key])).json).toEqual({ error: "NOSCRIPT No matching script. Please use EVAL." });
    }
  });
});

describe("real libraries over @upstash/redis", () => {
  routeFetchToWorker();
  const redis = () => new Redis({ url: "http://hotslot", token: TOKEN, enableTelemetry: false });

  /** `n` concurrent limit() calls: how many were allowed. */
  async function allowed(limiter: Ratelimit, id: string, n: number): Promise<number> {
    const results = await Promise.all(Array.from({ length: n }, () => limiter.limit(id)));
    return results.filter((r) => r.success).length;
  }

  it("@upstash/ratelimit fixed window allows exactly the limit under concurrency", async () => {
    const limiter = new Ratelimit({ redis: redis(), limiter: Ratelimit.fixedWindow(5, "60 s"), prefix: "rl-fixed", analytics: false });
    expect(await allowed(limiter, "user-1", 12)).toBe(5);
    expect((await limiter.limit("user-1")).success).toBe(false);
    expect(await allowed(limiter, "user-2", 3)).toBe(3);
  });

  it("@upstash/ratelimit sliding window allows exactly the limit (identifier in a hash tag: its two windows' keys share a slot)", async () => {
    const limiter = new Ratelimit({ redis: redis(), limiter: Ratelimit.slidingWindow(4, "60 s"), prefix: "rl-sliding", analytics: false });
    expect(await allowed(limiter, "{user-1}", 10)).toBe(4);
    expect((await limiter.getRemaining("{user-1}")).remaining).toBe(0);
  });

  it("@upstash/ratelimit token bucket allows the bucket's tokens, then refuses", async () => {
    const limiter = new Ratelimit({ redis: redis(), limiter: Ratelimit.tokenBucket(1, "60 s", 3), prefix: "rl-bucket", analytics: false });
    expect(await allowed(limiter, "user-1", 8)).toBe(3);
    const denied = await limiter.limit("user-1");
    expect(denied.success).toBe(false);
    expect(denied.remaining).toBe(0);
  });

  it("@upstash/lock is exclusive: one holder at a time, released only by its holder", async () => {
    const locks = Array.from({ length: 5 }, () => new Lock({ id: "lock-resource", redis: redis(), lease: 10_000, retry: { attempts: 1, delay: 10 } }));
    const acquired = await Promise.all(locks.map((l) => l.acquire()));
    expect(acquired.filter(Boolean)).toHaveLength(1);
    const holder = locks[acquired.indexOf(true)];
    const other = locks[acquired.indexOf(false)];
    expect(await other.release()).toBe(false);
    expect(await holder.extend(5_000)).toBe(true);
    expect(await holder.release()).toBe(true);
    expect(await other.acquire()).toBe(true);
    expect(await other.release()).toBe(true);
  });
});
