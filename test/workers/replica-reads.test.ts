/**
 * Replica reads over HTTP (`Hotslot-Read-From: replica`) and read-your-writes through
 * `upstash-sync-token` (src/router/sync-token.ts): a replica serves a read only once it has
 * applied the offset the client has seen, else the primary does. A replica is made to lag
 * by stopping its primary's shipping (as replication.test.ts does), so a stale answer is
 * certain when the token is not honoured.
 */
import { runInDurableObject, SELF } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { routeFetchToWorker, SHARDS, TOKEN } from "./helpers";
import { converged, primaryStub, replicaStub } from "./replication-helpers";
import { SlotMap } from "../../src/router/slots";
import type { Shard } from "../../src/shard/shard";

const slots = SlotMap.contiguous(SHARDS);
const REPLICA = { "Hotslot-Read-From": "replica" };

/** Group `g`'s replica, once synced (serving reads), lags from now on: its primary stops shipping. */
async function pauseShipping(g: number): Promise<void> {
  await primaryStub(g).exec([["SET", keyIn(g, "sync:"), "1"]]);
  await converged(primaryStub(g), replicaStub(g));
  await runInDurableObject(primaryStub(g) as unknown as DurableObjectStub<Shard>, (instance: Shard) => (instance as any).replication.source.follow());
}

/** Group `g`'s primary ships again (its replicas catch up). */
async function resumeShipping(g: number): Promise<void> {
  await runInDurableObject(primaryStub(g) as unknown as DurableObjectStub<Shard>, (instance: Shard) => {
    const r = (instance as any).replication;
    r.source.lead(r.deps.name, r.config);
  });
  await converged(primaryStub(g), replicaStub(g));
}

/** A key of group `g` named after `prefix`. */
function keyIn(g: number, prefix: string): string {
  for (let i = 0; ; i++) if (slots.shardOfKey(`${prefix}${i}`) === g) return `${prefix}${i}`;
}

/** One command over HTTP: its JSON body and the sync token answered. */
async function call(argv: string[], headers: Record<string, string> = {}): Promise<{ status: number; json: any; token: string | null }> {
  const res = await SELF.fetch("http://hotslot/", { method: "POST", body: JSON.stringify(argv), headers: { Authorization: `Bearer ${TOKEN}`, ...headers } });
  return { status: res.status, json: await res.json(), token: res.headers.get("upstash-sync-token") };
}

describe("HTTP replica reads", () => {
  it("Hotslot-Read-From takes primary or replica; anything else is refused", async () => {
    expect((await call(["PING"], { "Hotslot-Read-From": "Primary" })).json).toEqual({ result: "PONG" });
    expect((await call(["PING"], REPLICA)).json).toEqual({ result: "PONG" });
    expect(await call(["PING"], { "Hotslot-Read-From": "nearest" })).toMatchObject({ status: 400, json: { error: "ERR Hotslot-Read-From must be primary or replica" } });
  });

  it("a lagging replica serves reads that need no newer data, and is not used for a read that does", async () => {
    const g = 1;
    const key = keyIn(g, "lag:");
    const first = await call(["SET", key, "v1"]);
    await converged(primaryStub(g), replicaStub(g));
    await pauseShipping(g);
    try {
      const second = await call(["SET", key, "v2"], { "upstash-sync-token": first.token! });
      // The token of the second write: the replica has not applied it, so the primary answers.
      expect((await call(["GET", key], { ...REPLICA, "upstash-sync-token": second.token! })).json).toEqual({ result: "v2" });
      expect((await call(["MGET", key, key], { ...REPLICA, "upstash-sync-token": second.token! })).json).toEqual({ result: ["v2", "v2"] });
      // Without a token, or with one the replica has reached, the replica answers (stale: it lags).
      expect((await call(["GET", key], REPLICA)).json).toEqual({ result: "v1" });
      const read = await call(["GET", key], { ...REPLICA, "upstash-sync-token": first.token! });
      expect(read.json).toEqual({ result: "v1" });
      // Without the opt-in, the primary answers.
      expect((await call(["GET", key])).json).toEqual({ result: "v2" });
    } finally {
      await resumeShipping(g);
    }
    // Caught up: the replica serves the read that needs the second write.
    const third = await call(["SET", key, "v3"]);
    await converged(primaryStub(g), replicaStub(g));
    await pauseShipping(g);
    try {
      expect((await call(["GET", key], { ...REPLICA, "upstash-sync-token": third.token! })).json).toEqual({ result: "v3" });
    } finally {
      await resumeShipping(g);
    }
  }, 30_000);

  it("the token's offset is what the replica that served a read had applied, so reads never go back in time", async () => {
    const g = 2;
    const key = keyIn(g, "mono:");
    const w = await call(["SET", key, "a"]);
    await converged(primaryStub(g), replicaStub(g));
    const r = await call(["GET", key], REPLICA);
    expect(r.json).toEqual({ result: "a" });
    expect(r.token).toBe(w.token);
  }, 30_000);
});

describe("@upstash/redis with replica reads and its default readYourWrites", () => {
  routeFetchToWorker();
  // @upstash/redis sends no custom headers: the URL prefix opts in.
  const client = (opts: { readYourWrites?: boolean; enableAutoPipelining?: boolean } = {}) =>
    new Redis({ url: "http://hotslot/read-from-replica", token: TOKEN, enableTelemetry: false, ...opts });

  it("never reads its own write back stale, though the replicas lag", async () => {
    const lagging = [0, 3];
    for (const g of lagging) await pauseShipping(g);
    try {
      for (const autoPipelining of [false, true]) {
        const redis = client({ enableAutoPipelining: autoPipelining });
        for (let i = 0; i < 40; i++) {
          const key = `ryw:${autoPipelining}:${i}`;
          await redis.set(key, `v${i}`);
          expect(await redis.get(key)).toBe(`v${i}`);
          expect(await redis.incr(`${key}:n`)).toBe(1);
          expect(await redis.get(`${key}:n`)).toBe(1);
          const p = redis.pipeline();
          p.hset(`${key}:h`, { f: i });
          p.hget(`${key}:h`, "f");
          expect(await p.exec()).toEqual([1, i]);
          expect(await redis.hgetall(`${key}:h`)).toEqual({ f: i });
        }
      }
      // Control: without readYourWrites the same reads hit the lagging replicas and are stale.
      const blind = client({ readYourWrites: false, enableAutoPipelining: false });
      const key = keyIn(lagging[0], "blind:");
      await blind.set(key, "new");
      expect(await blind.get(key)).toBeNull();
    } finally {
      for (const g of lagging) await resumeShipping(g);
    }
  }, 60_000);
});
