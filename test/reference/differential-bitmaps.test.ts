/**
 * Differential test for the bitmap commands, engine level: seeded random command sequences
 * (test/support/gen-bitmaps.ts) run by Hotslot's Executor in Node and by a real
 * redis-server 7.0 started here on a free port; every reply is compared as raw RESP2 bytes.
 * After each sequence the state of every key (type, length, bytes) is read back on both
 * sides and compared too, and the effects Hotslot logged are replayed into an empty
 * keyspace, which must end byte for byte where the live one did (the log is exact) with
 * the same memory accounted.
 *
 * BM_DIFF_SEEDS="1-200" and BM_DIFF_STEPS explore beyond the default run.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { formatMismatch, seedList, type Mismatch } from "../support/differential";
import { expectSameCommandInfo, runInChunks, seededChunkLength } from "../support/differential-harness";
import {
  BITMAP_GENERATORS,
  BITMAP_STATE_KEYS,
  bitmapSetupSteps,
  bitmapStateSteps,
  generateBitmapSteps,
  type BitmapStep,
} from "../support/gen-bitmaps";
import { useReferenceRedis } from "../support/reference-redis";
import { printable } from "../support/resp-wire";

const SEEDS = seedList(process.env.BM_DIFF_SEEDS ?? "1-30");
const STEPS_PER_SEED = Number(process.env.BM_DIFF_STEPS ?? 1000);

const redis = useReferenceRedis();

// --- running a sequence --------------------------------------------------------------------

interface SequenceResult {
  mismatch: Mismatch | null;
  errors: number;
  /** Replies per command name that were not errors (each command's happy path ran). */
  successes: Map<string, number>;
  /** The live keyspace and one rebuilt from the logged effects alone. */
  live: Keyspace;
  replayed: Keyspace;
}

/**
 * Runs the steps on both sides in pipelined chunks; stops at the first mismatch (later
 * ones would mostly echo it). Every effect Hotslot logs is replayed on a second executor.
 */
async function runSequence(seed: number, steps: readonly BitmapStep[]): Promise<SequenceResult> {
  const live = new Keyspace();
  const replayed = new Keyspace();
  const ex = new Executor(live);
  const replay = new Executor(replayed);
  await redis.call("FLUSHALL");
  let errors = 0;
  const successes = new Map<string, number>();
  const mismatch = await runInChunks({
    steps,
    argv: (step) => step.argv,
    chunkLength: (c) => seededChunkLength(seed, c, 250),
    redis,
    judge(step, index, theirs): Mismatch | null {
      const { replies, effects } = ex.run([step.argv]);
      for (const e of effects) replay.replay(e);
      const ours = bytesToBinary(encodeReply(replies[0]));
      const name = step.argv[0].toLowerCase();
      if (ours.startsWith("-")) errors++;
      else successes.set(name, (successes.get(name) ?? 0) + 1);
      return ours === theirs ? null : { label: `seed ${seed}`, index, argv: step.argv, hotslot: ours, redis: theirs };
    },
  });
  return { mismatch, errors, successes, live, replayed };
}

describe("bitmaps against redis-server 7.0", () => {
  it("generates every bitmap command Hotslot declares, with Redis's arity", () => {
    for (const g of BITMAP_GENERATORS) {
      const spec = lookupCommand(g.name);
      expect(spec, g.name).toBeDefined();
      expect(spec!.arity, g.name).toBe(g.arity);
    }
    const names = new Set(BITMAP_GENERATORS.map((g) => g.name));
    for (const name of ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]) {
      expect(names.has(name), name).toBe(true);
    }
  });

  it("declares every bitmap command as the server's COMMAND INFO does", async () => {
    await expectSameCommandInfo(redis, ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]);
  });

  it(
    `agrees reply for reply over ${SEEDS.length} seeds of ${STEPS_PER_SEED} commands, on the final state, and replays its log exactly`,
    async () => {
      const mismatches: Mismatch[] = [];
      const successes = new Map<string, number>();
      let total = 0;
      let errors = 0;
      for (const seed of SEEDS) {
        const steps = [...bitmapSetupSteps(), ...generateBitmapSteps(seed, STEPS_PER_SEED), ...bitmapStateSteps()];
        total += steps.length;
        const r = await runSequence(seed, steps);
        errors += r.errors;
        for (const [k, v] of r.successes) successes.set(k, (successes.get(k) ?? 0) + v);
        if (r.mismatch) {
          mismatches.push(r.mismatch);
          continue;
        }
        // The log rebuilt the same keys, byte for byte, with the same memory accounted.
        for (const key of BITMAP_STATE_KEYS) {
          expect(r.replayed.peek(key), `seed ${seed} ${printable(key)}`).toEqual(r.live.peek(key));
        }
        expect(r.replayed.usedMemory, `seed ${seed}`).toBe(r.live.usedMemory);
      }
      expect(mismatches.map((m) => formatMismatch(m)).join("\n")).toBe("");
      expect(total).toBeGreaterThanOrEqual(10_000);
      // The sequences exercise the error paths too, not only the happy ones, and every
      // command succeeds often.
      expect(errors).toBeGreaterThan(total / 20);
      for (const name of ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"]) {
        expect(successes.get(name) ?? 0, name).toBeGreaterThan(100);
      }
    },
    300_000,
  );
});
