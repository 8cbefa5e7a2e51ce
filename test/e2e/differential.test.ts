/**
 * Differential test, full stack: the seeded sequences of test/support/gen-strings-keys.ts sent
 * as pipelined chunks over raw TCP to the bridge (→ WebSocket → router Worker → 4 shard
 * Durable Objects) and to the harness's real redis-server 7.0, replies compared as raw RESP2
 * bytes. Adds what the engine-level test cannot see: router commands (PING, ECHO), pipelines
 * split per shard and re-ordered, fanned-out commands (KEYS, SCAN, DBSIZE, RANDOMKEY,
 * FLUSHALL), and the split-and-merge commands (MGET, MSET, DEL, EXISTS, TOUCH, UNLINK) over
 * keys spread across every shard, whose merged replies must equal Redis's.
 */
import { appendFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { SlotMap } from "../../src/router/slots";
import { compareRun, formatMismatch, scanAll, type Mismatch, type Side, type Step } from "../support/differential";
import { SPREAD_KEYS, TAGGED_KEYS, generateSteps, shortTtlSteps, stateCheckSteps } from "../support/gen-strings-keys";
import { RawRespClient } from "../support/resp-wire";

const SHARDS = 4;
const ALL_FAMILIES = ["strings", "keys", "ttl", "types", "errors", "connection"];
const STEPS_PER_SEED = 1000;
/** DIFF_E2E_ROUNDS=n runs n times the seeds (exploring); DIFF_LOG=path appends mismatches as JSON lines. */
const ROUNDS = Number(process.env.DIFF_E2E_ROUNDS ?? 1);
const seeds = (first: number, perRound: number) => Array.from({ length: perRound * ROUNDS }, (_, i) => first + i);

function logMismatches(mismatches: readonly Mismatch[]): void {
  const path = process.env.DIFF_LOG;
  if (path) for (const m of mismatches) appendFileSync(path, JSON.stringify(m) + "\n");
}

let hot: RawRespClient;
let ref: RawRespClient;
const hotslot: Side = { send: (cmds) => hot.pipeline(cmds) };
const redis: Side = { send: (cmds) => ref.pipeline(cmds) };

beforeAll(async () => {
  hot = await RawRespClient.connect(inject("bridgePort"));
  ref = await RawRespClient.connect(inject("redisPort"));
});

afterAll(async () => {
  await Promise.all([hot?.close(), ref?.close()]);
});

async function resetBoth(): Promise<void> {
  const [ours, theirs] = await Promise.all([hot.call("FLUSHALL"), ref.call("FLUSHALL")]);
  expect([ours, theirs]).toEqual(["+OK\r\n", "+OK\r\n"]);
}

/** Steps, then every pool key read back, then a full SCAN walk on each side compared as sets. */
async function runAndCheck(label: string, seed: number, steps: readonly Step[], keyPool: readonly string[]): Promise<Mismatch[]> {
  await resetBoth();
  const common = { seed, hotslot, redis, reset: resetBoth, maxChunk: 200 };
  const mismatches = await compareRun({ label, steps, ...common });
  mismatches.push(...(await compareRun({ label: `${label} state`, steps: stateCheckSteps(keyPool), ...common })));
  const [ours, theirs] = [await scanAll(hotslot), await scanAll(redis)];
  if (ours.join("") !== theirs.join("")) {
    mismatches.push({ label: `${label} full SCAN walk`, index: 0, argv: ["SCAN", "…", "COUNT", "3"], mode: "unordered", hotslot: ours.join(""), redis: theirs.join("") });
  }
  return mismatches;
}

describe("differential test against redis-server 7.0 (full stack, through the bridge)", () => {
  for (const seed of seeds(101, 4)) {
    it(`replies as Redis does to ${STEPS_PER_SEED} pipelined commands in one hash tag, router commands included (seed ${seed})`, async () => {
      const steps = generateSteps(seed, STEPS_PER_SEED, { families: ALL_FAMILIES, keyPool: TAGGED_KEYS });
      const mismatches = await runAndCheck(`e2e seed ${seed}`, seed, steps, TAGGED_KEYS);
      logMismatches(mismatches);
      expect(mismatches.map(formatMismatch)).toEqual([]);
    });
  }

  it("spreads the second key pool over every shard", () => {
    const slots = SlotMap.contiguous(SHARDS);
    expect(new Set(SPREAD_KEYS.map((k) => slots.shardOfKey(k))).size).toBe(SHARDS);
  });

  for (const seed of seeds(201, 2)) {
    it(`replies as Redis does when keys span every shard: split MGET/MSET/DEL/EXISTS/TOUCH/UNLINK merge exactly (seed ${seed})`, async () => {
      // Commands whose keys must share a slot (RENAME, COPY, LCS, MSETNX) would rightly get
      // CROSSSLOT here, which Redis (not a cluster) never sends: they are left to the first phase.
      const steps = generateSteps(seed, STEPS_PER_SEED, {
        families: ALL_FAMILIES,
        keyPool: SPREAD_KEYS,
        filter: (c) => c.keys !== "same-slot",
      });
      expect(steps.filter((s) => /^(mget|mset|del|exists|touch|unlink)$/i.test(s.argv[0]) && s.argv.length > 2).length).toBeGreaterThan(50);
      const mismatches = await runAndCheck(`e2e spread seed ${seed}`, seed, steps, SPREAD_KEYS);
      logMismatches(mismatches);
      expect(mismatches.map(formatMismatch)).toEqual([]);
    });
  }

  it("expires short TTLs as Redis does (lazily on read, and by the shard's alarm)", async () => {
    const { before, after, sleepMs } = shortTtlSteps(TAGGED_KEYS, Date.now());
    await resetBoth();
    const common = { seed: 1, hotslot, redis, reset: resetBoth, maxChunk: 1000 };
    const early = await compareRun({ label: "e2e short TTLs, before", steps: before, ...common });
    await new Promise((r) => setTimeout(r, sleepMs));
    const late = await compareRun({ label: "e2e short TTLs, after", steps: after, ...common });
    expect([...early, ...late].map(formatMismatch)).toEqual([]);
  });
});
