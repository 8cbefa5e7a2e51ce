/**
 * Active expiry in the engine: the expiry heap always knows the earliest TTL, deletes due
 * keys earliest first in bounded batches, logs each deletion as DEL, and ignores TTLs that
 * were changed or removed since they were set.
 */
import { describe, expect, it } from "vitest";
import { ShardCore } from "../../src/shard/core";
import { DEFAULT_LIMITS } from "../../src/commands/execute";

function shard(start = 1_000_000) {
  let now = start;
  const log: string[][] = [];
  const core = new ShardCore(DEFAULT_LIMITS, (e) => log.push(...e), () => now);
  return { core, log, advance: (ms: number) => (now += ms), now: () => now };
}

describe("active expiry", () => {
  it("knows the earliest expiry and deletes due keys earliest first, logging DEL", () => {
    const { core, log, advance, now } = shard();
    core.exec([["SET", "a", "1", "PX", "300"], ["SET", "b", "1", "PX", "100"], ["SET", "c", "1", "PX", "200"], ["SET", "forever", "1"]]);
    expect(core.nextExpiry()).toBe(now() + 100);
    log.length = 0;
    advance(250);
    expect(core.expireDue(10)).toBe(false);
    expect(log).toEqual([["DEL", "b"], ["DEL", "c"]]);
    expect(core.db.size).toBe(2);
    expect(core.db.stats.expiredKeys).toBe(2);
    expect(core.nextExpiry()).toBe(now() + 50);
  });

  it("works in bounded batches and says when more keys are due", () => {
    const { core, advance } = shard();
    core.exec(Array.from({ length: 25 }, (_, i) => ["SET", `k${i}`, "v", "PX", String(10 + i)]));
    advance(1000);
    expect(core.expireDue(10)).toBe(true);
    expect(core.db.size).toBe(15);
    expect(core.expireDue(10)).toBe(true);
    expect(core.expireDue(10)).toBe(false);
    expect(core.db.size).toBe(0);
    expect(core.nextExpiry()).toBeUndefined();
  });

  it("skips TTLs that were extended, removed or overwritten", () => {
    const { core, log, advance, now } = shard();
    core.exec([
      ["SET", "extended", "1", "PX", "100"],
      ["PEXPIRE", "extended", "10000"],
      ["SET", "persisted", "1", "PX", "100"],
      ["PERSIST", "persisted"],
      ["SET", "overwritten", "1", "PX", "100"],
      ["SET", "overwritten", "2"],
    ]);
    expect(core.nextExpiry()).toBe(now() + 10000);
    log.length = 0;
    advance(500);
    expect(core.expireDue(100)).toBe(false);
    expect(log).toEqual([]);
    expect(core.db.size).toBe(3);
  });

  it("keeps the heap small when one key's TTL is changed many times", () => {
    const { core, advance } = shard();
    core.exec([["SET", "k", "v"]]);
    for (let i = 0; i < 10_000; i++) core.exec([["PEXPIRE", "k", String(1000 + i)]]);
    expect((core.db as any).heap.at.length).toBeLessThan(200);
    advance(20_000);
    core.expireDue(10);
    expect(core.db.size).toBe(0);
  });
});

describe("replay", () => {
  it("never logs replayed commands again", () => {
    const { core, log } = shard();
    core.replay(["SET", "a", "1"]);
    core.replay(["INCR", "a"]);
    core.transaction([["INCR", "a"]], []);
    core.exec([["GET", "a"]]);
    expect(log).toEqual([["INCR", "a"]]);
    expect(core.exec([["GET", "a"]])).toEqual(["3"]);
  });
});
