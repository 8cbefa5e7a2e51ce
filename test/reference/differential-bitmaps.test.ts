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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { seedList } from "../support/differential";
import {
  BITMAP_GENERATORS,
  BITMAP_STATE_KEYS,
  bitmapSetupSteps,
  bitmapStateSteps,
  generateBitmapSteps,
  type BitmapStep,
} from "../support/gen-bitmaps";
import { startReferenceRedis, type ReferenceRedis } from "../support/reference-redis";
import { parseReply, printable, printableCommand, RawRespClient, type Resp } from "../support/resp-wire";

const SEEDS = seedList(process.env.BM_DIFF_SEEDS ?? "1-30");
const STEPS_PER_SEED = Number(process.env.BM_DIFF_STEPS ?? 1000);

// --- the reference server ----------------------------------------------------------------

let redis: RawRespClient;
let reference: ReferenceRedis | undefined;

beforeAll(async () => {
  reference = await startReferenceRedis();
  redis = reference.client;
});

afterAll(async () => {
  await reference?.stop();
});

// --- running a sequence --------------------------------------------------------------------

interface Mismatch {
  seed: number;
  index: number;
  step: BitmapStep;
  hotslot: string;
  redis: string;
}

function describeMismatch(m: Mismatch): string {
  return `seed ${m.seed} #${m.index}: ${printableCommand(m.step.argv)}\n    hotslot: ${printable(m.hotslot)}\n    redis:   ${printable(m.redis)}`;
}

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
  for (let i = 0, c = 0; i < steps.length; c++) {
    const size = 1 + ((seed * 7919 + c * 104729) % 250);
    const chunk = steps.slice(i, i + size);
    const theirs = await redis.pipeline(chunk.map((s) => s.argv));
    for (let j = 0; j < chunk.length; j++) {
      const step = chunk[j];
      const { replies, effects } = ex.run([step.argv]);
      for (const e of effects) replay.replay(e);
      const ours = bytesToBinary(encodeReply(replies[0]));
      const name = step.argv[0].toLowerCase();
      if (ours.startsWith("-")) errors++;
      else successes.set(name, (successes.get(name) ?? 0) + 1);
      if (ours !== theirs[j]) {
        return { mismatch: { seed, index: i + j, step, hotslot: ours, redis: theirs[j] }, errors, successes, live, replayed };
      }
    }
    i += chunk.length;
  }
  return { mismatch: null, errors, successes, live, replayed };
}

const items = (r: Resp): Resp[] => (r.type === "*" ? (r.items ?? []) : []);
const text = (r: Resp): string => (r.type === "*" ? "" : (r.text ?? ""));

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
    const names = ["setbit", "getbit", "bitcount", "bitpos", "bitop", "bitfield", "bitfield_ro"];
    const rows = items(parseReply(await redis.call("COMMAND", "INFO", ...names)));
    expect(rows).toHaveLength(names.length);
    for (const row of rows) {
      const [name, arity, flags, first, last, step, categories] = items(row);
      const n = text(name);
      const spec = lookupCommand(n)!;
      const list = (r: Resp) => items(r).map(text);
      expect(spec.arity, n).toBe(Number(text(arity)));
      expect([...spec.flags].sort(), n).toEqual(list(flags).sort());
      const keys = spec.keys ?? { first: 0, last: 0, step: 0 };
      expect([keys.first, keys.last, keys.step], n).toEqual([first, last, step].map((r) => Number(text(r))));
      expect([...spec.categories].sort(), n).toEqual(list(categories).map((c) => c.slice(1)).sort());
    }
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
      expect(mismatches.map(describeMismatch).join("\n")).toBe("");
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
