/**
 * Lua-based client libraries against Hotslot through the TCP bridge: redlock (distributed
 * locks from EVAL/EVALSHA scripts) and rate-limiter-flexible's RateLimiterRedis (one
 * INCRBY/PTTL script per consume), with ioredis and node-redis. Both rely on a script being
 * atomic: under concurrency a lock has at most one holder and a limiter admits exactly its
 * points in a window.
 *
 * The Worker is shared with other e2e files: every key here starts with a per-run prefix.
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
// @ts-expect-error redlock 4 ships no type declarations
import Redlock from "redlock";

const bridgePort = inject("bridgePort");

const P = `e2e:libs:${process.pid}:${Date.now().toString(36)}:`;

/** The slice of redlock 4's API used here. */
interface Lock {
  readonly value: string;
  unlock(): Promise<void>;
  extend(ttlMs: number): Promise<Lock>;
}
interface RedlockClient {
  lock(resource: string, ttlMs: number): Promise<Lock>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const clients: Redis[] = [];
async function connect(): Promise<Redis> {
  const client = new Redis({ host: "127.0.0.1", port: bridgePort, lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit()));
});

describe("redlock", () => {
  const N = 6;
  let conns: Redis[];
  beforeAll(async () => {
    conns = await Promise.all(Array.from({ length: N }, connect));
  });

  it("gives a resource to at most one of N racing clients at a time", async () => {
    const resource = `${P}lock:race`;
    const counter = `${P}lock:counter`;
    const rounds = 4;
    let holders = 0;
    let maxHolders = 0;
    const worker = async (conn: Redis) => {
      const redlock: RedlockClient = new Redlock([conn], { retryCount: 500, retryDelay: 20, retryJitter: 20 });
      for (let i = 0; i < rounds; i++) {
        const lock = await redlock.lock(resource, 5000);
        holders++;
        maxHolders = Math.max(maxHolders, holders);
        // A read-modify-write that loses updates unless the lock is exclusive.
        const seen = Number((await conn.get(counter)) ?? "0");
        await sleep(5);
        await conn.set(counter, String(seen + 1));
        holders--;
        await lock.unlock();
      }
    };
    await Promise.all(conns.map(worker));
    expect(maxHolders).toBe(1);
    expect(await conns[0].get(counter)).toBe(String(N * rounds));
    expect(await conns[0].exists(resource)).toBe(0);
  });

  it("refuses a held lock to another client, extends it, and frees it on release", async () => {
    const resource = `${P}lock:extend`;
    const first: RedlockClient = new Redlock([conns[0]], { retryCount: 0 });
    const second: RedlockClient = new Redlock([conns[1]], { retryCount: 0 });
    const lock = await first.lock(resource, 1000);
    expect(await conns[2].get(resource)).toBe(lock.value);
    await expect(second.lock(resource, 1000)).rejects.toThrow(/attempts to lock/);

    const extended = await lock.extend(20_000);
    const pttl = await conns[2].pttl(resource);
    expect(pttl).toBeGreaterThan(10_000);
    expect(pttl).toBeLessThanOrEqual(20_000);
    await expect(second.lock(resource, 1000)).rejects.toThrow(/attempts to lock/);

    await extended.unlock();
    expect(await conns[2].exists(resource)).toBe(0);
    const next = await second.lock(resource, 1000);
    await next.unlock();
  });

  it("does not let a stale holder release or extend a lock taken by another", async () => {
    const resource = `${P}lock:stale`;
    const first: RedlockClient = new Redlock([conns[0]], { retryCount: 0 });
    const second: RedlockClient = new Redlock([conns[1]], { retryCount: 0 });
    const stale = await first.lock(resource, 200);
    await sleep(400);
    // The TTL ran out: the lock is free for another client.
    expect(await conns[2].exists(resource)).toBe(0);
    const fresh = await second.lock(resource, 10_000);
    await expect(stale.extend(10_000)).rejects.toThrow();
    await stale.unlock().catch(() => undefined);
    expect(await conns[2].get(resource)).toBe(fresh.value);
    await fresh.unlock();
    expect(await conns[2].exists(resource)).toBe(0);
  });
});

describe("rate-limiter-flexible RateLimiterRedis", () => {
  const POINTS = 10;
  const ATTEMPTS = 30;

  /** Fires ATTEMPTS concurrent consumes; how many were allowed and the rejections. */
  async function race(limiters: RateLimiterRedis[], key: string) {
    const outcomes = await Promise.allSettled(
      Array.from({ length: ATTEMPTS }, (_, i) => limiters[i % limiters.length].consume(key)),
    );
    const allowed = outcomes.filter((o) => o.status === "fulfilled") as PromiseFulfilledResult<RateLimiterRes>[];
    const rejected = outcomes.filter((o) => o.status === "rejected") as PromiseRejectedResult[];
    return { allowed, rejected };
  }

  it("with ioredis: N concurrent consumes allow exactly the limit, reject the rest, and reset after the window", async () => {
    const conns = await Promise.all(Array.from({ length: 4 }, connect));
    const limiters = conns.map((storeClient) => new RateLimiterRedis({ storeClient, points: POINTS, duration: 1, keyPrefix: `${P}rl-io` }));
    const { allowed, rejected } = await race(limiters, "user");
    expect(allowed).toHaveLength(POINTS);
    expect(allowed.map((a) => a.value.remainingPoints).sort((a, b) => a - b)).toEqual(Array.from({ length: POINTS }, (_, i) => i));
    expect(rejected).toHaveLength(ATTEMPTS - POINTS);
    for (const r of rejected) {
      expect(r.reason).toBeInstanceOf(RateLimiterRes);
      expect(r.reason.remainingPoints).toBe(0);
      expect(r.reason.msBeforeNext).toBeGreaterThan(0);
      expect(r.reason.msBeforeNext).toBeLessThanOrEqual(1000);
    }
    expect(Number(await conns[0].get(`${P}rl-io:user`))).toBe(ATTEMPTS);

    const state = await limiters[0].get("user");
    expect(state?.consumedPoints).toBe(ATTEMPTS);
    await sleep(1100);
    const again = await race(limiters, "user");
    expect(again.allowed).toHaveLength(POINTS);
  });

  it("with node-redis (useRedisPackage): the same limit under concurrency", async () => {
    const conns = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const c = createClient({ socket: { host: "127.0.0.1", port: bridgePort } });
        await c.connect();
        return c;
      }),
    );
    try {
      const limiters = conns.map(
        (storeClient) => new RateLimiterRedis({ storeClient, useRedisPackage: true, points: POINTS, duration: 5, keyPrefix: `${P}rl-nr` }),
      );
      const { allowed, rejected } = await race(limiters, "user");
      expect(allowed).toHaveLength(POINTS);
      expect(rejected).toHaveLength(ATTEMPTS - POINTS);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(RateLimiterRes);
      const penalty = await limiters[0].penalty("user", 5);
      expect(penalty.consumedPoints).toBe(ATTEMPTS + 5);
      await limiters[0].delete("user");
      expect((await race(limiters, "user")).allowed).toHaveLength(POINTS);
    } finally {
      await Promise.all(conns.map((c) => c.quit()));
    }
  });
});
