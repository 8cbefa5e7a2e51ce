/**
 * A full resynchronisation carries everything a snapshot does, not only the keys: the Lua
 * script cache, function libraries, hash field TTLs and changed settings — so a replica
 * promoted after one runs EVALSHA and FCALL as its old primary did. Group 3 is reconfigured,
 * so this file's storage is its own.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SHARDS } from "./helpers";
import { converged, primaryStub, replicaStub, until, type Stub } from "./replication-helpers";
import { SlotMap } from "../../src/router/slots";
import type { Shard } from "../../src/shard/shard";
import { primaryName, replicaName } from "../../src/shard/group";

const G = 3;
const slots = SlotMap.contiguous(SHARDS);

function keyIn(g: number, prefix: string): string {
  for (let i = 0; ; i++) if (slots.shardOfKey(`${prefix}${i}`) === g) return `${prefix}${i}`;
}

function inObject<T>(stub: Stub, fn: (r: any) => T): Promise<T> {
  return runInDurableObject(stub as unknown as DurableObjectStub<Shard>, (instance: Shard) => fn((instance as any).replication));
}

describe("full resync", () => {
  it("carries scripts, function libraries, hash field TTLs and settings: EVALSHA and FCALL work on the replica once promoted", async () => {
    const primary = primaryStub(G);
    const replica = replicaStub(G);
    const key = keyIn(G, "fr:");
    const hash = keyIn(G, "frh:");
    await primary.exec([["SET", key, "value"], ["CONFIG", "SET", "repl-backlog-size", "1"]]);
    await converged(primary, replica);
    // Shipping stops: nothing below reaches the replica through the stream.
    await inObject(primary, (r) => r.source.follow());
    const [sha] = await primary.exec([["SCRIPT", "LOAD", "return redis.call('GET', KEYS[1])"]]);
    const lib = "#!lua name=frlib\nredis.register_function('frget', function(keys) return redis.call('GET', keys[1]) end)";
    expect(await primary.exec([["FUNCTION", "LOAD", lib]])).toEqual(["frlib"]);
    expect(await primary.exec([["HSET", hash, "f", "1", "g", "2"], ["HEXPIRE", hash, "1000", "FIELDS", "1", "f"], ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]])).toEqual([2, [1], { kind: "simple", value: "OK" }]);
    const fullSyncs = await inObject(replica, (r) => r.sink.fullSyncs);
    // The backlog (1 byte) no longer covers the replica: it gets a full resync.
    await inObject(primary, (r) => r.source.lead(r.deps.name, r.config));
    await until(async () => (await inObject(replica, (r) => r.sink.fullSyncs)) === fullSyncs + 1);
    await converged(primary, replica);

    const offset = (await primary.roleInfo()).offset;
    const config = { group: G, epoch: 1, primary: replicaName(G, 1), replicas: [primaryName(G)] };
    expect(await replica.configure(config)).toMatchObject({ role: "primary", epoch: 1, offset });
    const [evalsha, fcall, ttl, policy] = await replica.exec([
      ["EVALSHA", sha, "1", key],
      ["FCALL", "frget", "1", key],
      ["HTTL", hash, "FIELDS", "2", "f", "g"],
      ["CONFIG", "GET", "maxmemory-policy"],
    ]);
    expect(evalsha).toBe("value");
    expect(fcall).toBe("value");
    expect((ttl as number[])[0]).toBeGreaterThan(990);
    expect((ttl as number[])[1]).toBe(-1);
    expect(policy).toEqual({ kind: "map", entries: ["maxmemory-policy", "allkeys-lru"] });
  }, 30_000);
});
