/**
 * Hash field TTLs inside workerd: the shard's alarm fires for the earliest field expiry and
 * reclaims fields nothing reads (the hash goes with its last field), and field TTLs survive
 * the shard being evicted from memory, rebuilt from the log alone and from a snapshot
 * (where they travel in a Hotslot AUX field) plus the log after it.
 */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, shardStubOfKey } from "./helpers";

/** Runs a batch on the shard owning `key`, straight to the Durable Object. */
function shardExec(key: string, batch: string[][]): Promise<any[]> {
  return (runInDurableObject as any)(shardStubOfKey(key), (shard: any) => shard.exec(batch));
}

/** The fields the shard holds for `key`, read from its memory (no lazy expiry). */
function heldFields(key: string): Promise<string[] | undefined> {
  return (runInDurableObject as any)(shardStubOfKey(key), (shard: any) => {
    const db = shard.core.db;
    const saved = db.expireOnRead;
    db.expireOnRead = false;
    try {
      const hash = db.peek(key);
      return hash === undefined ? undefined : [...hash.entries()].map((e: [string, string]) => e[0]);
    } finally {
      db.expireOnRead = saved;
    }
  });
}

function alarmAt(key: string): Promise<number | null> {
  return (runInDurableObject as any)(shardStubOfKey(key), (_: unknown, state: DurableObjectState) => state.storage.getAlarm());
}

const HOUR = 3_600_000;

describe("hash field expiry by alarm", () => {
  it("reclaims expired fields nothing reads, then the emptied hash", async () => {
    const key = "{hfe}alarm";
    await cmd("HSET", key, "short", "1", "later", "2", "kept", "3");
    expect(await cmd("HPEXPIRE", key, "300", "FIELDS", "1", "short")).toEqual([1]);
    expect(await cmd("HPEXPIRE", key, "600", "FIELDS", "1", "later")).toEqual([1]);
    const at = await alarmAt(key);
    expect(at).not.toBeNull();
    expect(at!).toBeLessThanOrEqual(Date.now() + 300);
    await new Promise((r) => setTimeout(r, 350));
    await runDurableObjectAlarm(shardStubOfKey(key)); // it may have run by itself already
    expect(await heldFields(key)).toEqual(["later", "kept"]);
    await new Promise((r) => setTimeout(r, 300));
    await runDurableObjectAlarm(shardStubOfKey(key));
    expect(await heldFields(key)).toEqual(["kept"]);
    expect(await cmd("HPEXPIRE", key, "200", "FIELDS", "1", "kept")).toEqual([1]);
    await new Promise((r) => setTimeout(r, 250));
    await runDurableObjectAlarm(shardStubOfKey(key));
    expect(await heldFields(key)).toBeUndefined();
    expect(await cmd("EXISTS", key)).toBe(0);
  });
});

describe("hash field TTLs persist", () => {
  it("across a restart from the log alone", async () => {
    const key = "{hfe}log";
    const at = Date.now() + HOUR;
    await cmd("HSET", key, "a", "1", "b", "2", "c\x00\xff", "3");
    await cmd("HPEXPIREAT", key, String(at), "FIELDS", "2", "a", "c\x00\xff");
    await cmd("HSETEX", key, "PX", String(HOUR), "FIELDS", "1", "d", "4");
    const before = await cmd("HPEXPIRETIME", key, "FIELDS", "4", "a", "b", "c\x00\xff", "d");
    await evictDurableObject(shardStubOfKey(key));
    expect(await cmd("HPEXPIRETIME", key, "FIELDS", "4", "a", "b", "c\x00\xff", "d")).toEqual(before);
    expect(before.slice(0, 2)).toEqual([at, -1]);
  });

  it("across a snapshot and a restart, with field TTLs set after the snapshot replayed on top", async () => {
    const key = "{hfe}snap";
    const at = Date.now() + HOUR;
    await cmd("HSET", key, "a", "1", "b", "2", "c", "3", "gone", "4");
    await cmd("HPEXPIREAT", key, String(at), "FIELDS", "2", "a", "b");
    await cmd("HPEXPIRE", key, "150", "FIELDS", "1", "gone");
    await cmd("HSET", "{hfe}snap-plain", "x", "1");
    expect(await shardExec(key, [["SAVE"]])).toEqual([{ kind: "simple", value: "OK" }]);
    await cmd("HPEXPIREAT", key, String(at + 1), "FIELDS", "1", "c");
    await cmd("HPERSIST", key, "FIELDS", "1", "b");
    await new Promise((r) => setTimeout(r, 200));
    await evictDurableObject(shardStubOfKey(key));
    expect(await cmd("HPEXPIRETIME", key, "FIELDS", "4", "a", "b", "c", "gone")).toEqual([at, -1, at + 1, -2]);
    expect(await cmd("HGETALL", key)).toEqual(["a", "1", "b", "2", "c", "3"]);
    expect(await cmd("HTTL", "{hfe}snap-plain", "FIELDS", "1", "x")).toEqual([-1]);
    const [info] = await shardExec(key, [["INFO", "keyspace"]]);
    expect(info).toMatch(/subexpiry=\d+/);
    // The alarm knows the reloaded field TTLs: it is set no later than the earliest.
    const alarm = await alarmAt(key);
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(at);
  });
});
