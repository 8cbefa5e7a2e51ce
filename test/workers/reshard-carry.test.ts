/**
 * What a migration batch carries besides the value and TTL (src/shard/slot-migration.ts):
 * each key's access clock — OBJECT IDLETIME under an LRU (or no-eviction) policy, OBJECT
 * FREQ under an LFU one — so eviction on the target ranks moved keys as the source did.
 * Two group objects the router never addresses (groups 10 and 11, past SHARDS) are
 * configured by hand: 10 owns the slot, then migrates it to 11, which then owns it.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keySlot } from "../../src/util/keyslot";

type Stub = any;

const OK = { kind: "simple", value: "OK" };

function stub(name: string): Stub {
  return env.SHARD.get(env.SHARD.idFromName(name));
}

async function run(s: Stub, ...batch: string[][]): Promise<any[]> {
  const [replies] = await s.run([{ kind: "exec", batch }]);
  return replies;
}

/** Moves `slot` from shard-10 (which keeps owning `kept`) to shard-11 by hand (the coordinator's pushes and one batch). */
async function moveSlot(slot: number, epoch: number, kept: Array<[number, number]>, targetOwned: Array<[number, number]>): Promise<number> {
  const source = stub("shard-10");
  const target = stub("shard-11");
  await source.configureSlots({ epoch, owned: kept, migrating: [[slot, 11]], importing: [] });
  await target.configureSlots({ epoch, owned: targetOwned, migrating: [], importing: [[slot, 10]] });
  const r = await source.migrateSlots([slot], "shard-11", 100, 1 << 20);
  await target.configureSlots({ epoch: epoch + 1, owned: [...targetOwned, [slot, slot]], migrating: [], importing: [] });
  await source.configureSlots({ epoch: epoch + 1, owned: kept, migrating: [], importing: [] });
  return r.moved;
}

describe("migration carries access clocks", () => {
  it("keeps OBJECT IDLETIME (LRU) and OBJECT FREQ (LFU) of moved keys", async () => {
    const source = stub("shard-10");
    const target = stub("shard-11");
    const lru = "{carry}lru";
    const lfu = "{carry2}lfu";
    const lruSlot = keySlot(lru);
    const lfuSlot = keySlot(lfu);
    expect(lruSlot).not.toBe(lfuSlot);
    await source.configureSlots({ epoch: 1, owned: [[Math.min(lruSlot, lfuSlot), Math.min(lruSlot, lfuSlot)], [Math.max(lruSlot, lfuSlot), Math.max(lruSlot, lfuSlot)]], migrating: [], importing: [] });

    // LRU: a key last touched 5000 s ago (RESTORE … IDLETIME dates its clock back).
    await run(source, ["SET", lru, "v"]);
    const [dump] = await run(source, ["DUMP", lru]);
    expect(await run(source, ["RESTORE", lru, "0", dump, "REPLACE", "IDLETIME", "5000"], ["OBJECT", "IDLETIME", lru])).toEqual([OK, 5000]);
    expect(await moveSlot(lruSlot, 2, [[lfuSlot, lfuSlot]], [])).toBe(1);
    const [idle] = await run(target, ["OBJECT", "IDLETIME", lru]);
    expect(idle).toBeGreaterThanOrEqual(5000);
    expect(idle).toBeLessThan(5010);
    expect(await run(target, ["GET", lru])).toEqual(["v"]);

    // LFU: both sides count access frequency; the key's counter travels.
    for (const s of [source, target]) await run(s, ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    await run(source, ["SET", lfu, "w"]);
    const [dump2] = await run(source, ["DUMP", lfu]);
    expect(await run(source, ["RESTORE", lfu, "0", dump2, "REPLACE", "FREQ", "200"], ["OBJECT", "FREQ", lfu])).toEqual([OK, 200]);
    expect(await moveSlot(lfuSlot, 4, [], [[lruSlot, lruSlot]])).toBe(1);
    expect(await run(target, ["OBJECT", "FREQ", lfu])).toEqual([200]);
    for (const s of [source, target]) await run(s, ["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
  });
});
