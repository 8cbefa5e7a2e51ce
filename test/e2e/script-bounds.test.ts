/**
 * A script's memory is bounded in the deployed bundle (wrangler dev builds it as
 * `wrangler deploy` does): scripts that allocate without end — a string doubling, a table
 * growing, a library buffer growing inside one call, string.rep of a gigabyte — are killed
 * with SCRIPT_OUT_OF_MEMORY instead of taking the shard past its isolate's memory, and the
 * shard keeps its data and serves the next command. (The metering wraps fengari's module
 * functions before its VM loads them, which only a real bundle shows: the vitest workers pool
 * loads fengari's CommonJS files through a loader of its own.)
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { SCRIPT_OUT_OF_MEMORY } from "../../src/scripting/memory-budget";

const bridgePort = inject("bridgePort");
// A hash tag: the script also touches `<key>:n`, which must hash to the same slot.
const key = `{e2e:script-bounds:${process.pid}:${Date.now().toString(36)}}`;
let client: Redis;

beforeAll(async () => {
  client = new Redis({ host: "127.0.0.1", port: bridgePort, lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
});
afterAll(async () => {
  await client.quit();
});

it.each([
  ["a doubling string", "local s = 'x' while true do s = s .. s end"],
  ["a growing table", "local t = {} local i = 0 while true do i = i + 1 t[i] = i end"],
  ["a buffer growing inside one gsub", "local s = string.rep('x', 1024 * 1024) return #string.gsub(s, 'x', s)"],
  ["string.rep of 1 GB", "return #string.rep('x', 1024 * 1024 * 1024)"],
  ["pcall around a doubling string", "while true do pcall(function() local s = 'x' while true do s = s .. s end end) end"],
])("kills %s with the out-of-memory error; the shard keeps its data", async (_, script) => {
  await client.set(key, "kept");
  await expect(client.eval(script, 1, key)).rejects.toThrow(SCRIPT_OUT_OF_MEMORY);
  expect(await client.get(key)).toBe("kept");
  expect(await client.eval("return redis.call('incr', KEYS[1] .. ':n')", 1, key)).toBeGreaterThan(0);
});
