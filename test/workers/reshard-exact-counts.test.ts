/**
 * Exact DBSIZE and KEYS while slots move (issue 13; src/shard/keyspace-view.ts and
 * src/router/keyspace-view.ts): a reshard driven step by step through the coordinator's
 * `step` (each batch, each slot-config push), with DBSIZE and KEYS * checked after every
 * step and raced against it — a key is counted once, listed once, at every moment.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd } from "./helpers";

const ADMIN = { Authorization: "Bearer test-admin-token", "content-type": "application/json" };

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch(`http://hotslot${path}`, { method, headers: ADMIN, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

function coordinator(): { step(): Promise<boolean> } {
  const ns = env.COORDINATOR!;
  return ns.get(ns.idFromName("slot-map")) as unknown as { step(): Promise<boolean> };
}

/** KEYS * as it must be: every key once. */
function expectEachOnce(keys: string[], expected: string[], when: string): void {
  expect(keys.length, `KEYS * length ${when}`).toBe(expected.length);
  expect([...keys].sort(), `KEYS * ${when}`).toEqual(expected);
}

/**
 * Starts a reshard to `shards` with small batches and a long pause (the coordinator's alarm
 * then leaves the batches to `step`), and steps it to the end, calling `check` after every
 * step and racing it against every step.
 */
async function stepReshard(shards: number, check: (when: string) => Promise<void>): Promise<number> {
  const start = await admin("POST", "/admin/reshard", { shards, batchKeys: 4, pauseMs: 60_000 });
  expect(start.status, JSON.stringify(start.json)).toBe(202);
  let steps = 0;
  for (;;) {
    const [more] = await Promise.all([coordinator().step(), check(`racing step ${steps}`), check(`racing step ${steps} (2)`)]);
    steps++;
    await check(`after step ${steps}`);
    if (!more) break;
    if (steps > 5000) throw new Error("reshard did not finish");
  }
  expect((await admin("GET", "/admin/topology")).json.slots.job).toBeNull();
  return steps;
}

describe("DBSIZE and KEYS while slots move", () => {
  it("count and list every key exactly once after and during every batch of a reshard", async () => {
    await cmd("FLUSHALL");
    const expected: string[] = [];
    // Plain keys over every slot range, and two slots with many keys (several batches each).
    for (let i = 0; i < 60; i++) {
      const keys = Array.from({ length: 10 }, (_, j) => `k:${i}:${j}`);
      await cmd("MSET", ...keys.flatMap((k) => [k, "v"]));
      expected.push(...keys);
    }
    for (const tag of ["{a}", "{zz}"]) {
      const keys = Array.from({ length: 30 }, (_, j) => `${tag}:${j}`);
      await cmd("MSET", ...keys.flatMap((k) => [k, "v"]));
      expected.push(...keys);
    }
    expected.sort();
    let checks = 0;
    const check = async (when: string) => {
      const [size, keys] = await Promise.all([cmd("DBSIZE"), cmd("KEYS", "*")]);
      expect(size, `DBSIZE ${when}`).toBe(expected.length);
      expectEachOnce(keys, expected, when);
      // A pattern goes through the same path (the target filters its moved keys by it).
      const tagged = await cmd("KEYS", "{a}:*");
      expect(tagged.length, `KEYS {a}:* ${when}`).toBe(30);
      checks++;
    };
    await check("before");
    const out = await stepReshard(5, check);
    const back = await stepReshard(4, check);
    expect(out + back).toBeGreaterThan(40);
    expect(checks).toBeGreaterThan(120);
    await cmd("FLUSHALL");
  }, 300_000);
});
