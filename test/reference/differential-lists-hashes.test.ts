/**
 * Differential test for lists and hashes, engine level: seeded random command sequences
 * (test/support/gen-lists-hashes.ts) run by Hotslot's Executor in Node and by a real
 * redis-server 7.0 started here on a free port; every reply is compared as raw RESP2 bytes,
 * except HRANDFIELD (by shape) and the orderings of hashtable-encoded hashes (as
 * multisets of field/value pairs). After each sequence the whole state of every key
 * (type, encoding, contents) is read back on both sides and compared too.
 *
 * LH_DIFF_SEEDS="1-200" and LH_DIFF_STEPS explore beyond the default run.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { HashValue } from "../../src/engine/hash";
import { Keyspace } from "../../src/engine/keyspace";
import { formatMismatch, seedList, type Mismatch } from "../support/differential";
import { expectSameCommandInfo, hotslotReply, runInChunks, seededChunkLength } from "../support/differential-harness";
import {
  generateLhSteps,
  HASH_GENERATORS,
  lhStateSteps,
  LIST_GENERATORS,
  sameLhReply,
  type LhStep,
} from "../support/gen-lists-hashes";
import { useReferenceRedis } from "../support/reference-redis";
import { parseReply } from "../support/resp-wire";

const SEEDS = seedList(process.env.LH_DIFF_SEEDS ?? "1-25");
const STEPS_PER_SEED = Number(process.env.LH_DIFF_STEPS ?? 2000);

const redis = useReferenceRedis();

// --- running a sequence --------------------------------------------------------------------

/**
 * Runs the steps on both sides in pipelined chunks and returns the first mismatch, if any
 * (later ones would mostly echo it). Also counts the replies that were errors, so the test
 * can show the error paths were exercised.
 */
async function runSequence(
  seed: number,
  steps: readonly LhStep[],
): Promise<{ mismatch: Mismatch | null; errors: number; encodings: Set<string> }> {
  const db = new Keyspace();
  const ex = new Executor(db);
  await redis.call("FLUSHALL");
  let errors = 0;
  const encodings = new Set<string>();
  const mismatch = await runInChunks({
    steps,
    argv: (step) => step.argv,
    chunkLength: (c) => seededChunkLength(seed, c, 250),
    redis,
    judge(step, index, theirs): Mismatch | null {
      const v = step.mode === "hash-order" ? db.get(step.argv[1]) : undefined;
      const listpack = !(v instanceof HashValue) || v.isListpack;
      const ours = hotslotReply(ex, step.argv);
      if (ours.startsWith("-")) errors++;
      if (step.argv[0].toLowerCase() === "object" && ours.startsWith("$") && !ours.startsWith("$-1")) {
        encodings.add(parseReply(ours).type === "$" ? (parseReply(ours) as { text: string }).text : "");
      }
      if (sameLhReply(step, listpack, ours, theirs)) return null;
      return { label: `seed ${seed}`, index, argv: step.argv, mode: step.mode, hotslot: ours, redis: theirs };
    },
  });
  return { mismatch, errors, encodings };
}

describe("lists and hashes against redis-server 7.0", () => {
  it("generates every list and hash command Hotslot declares, with Redis's arity", () => {
    for (const g of [...LIST_GENERATORS, ...HASH_GENERATORS]) {
      const spec = lookupCommand(g.name);
      expect(spec, g.name).toBeDefined();
      expect(spec!.arity, g.name).toBe(g.arity);
    }
    const names = new Set([...LIST_GENERATORS, ...HASH_GENERATORS].map((g) => g.name));
    for (const name of ["lpush", "lpos", "lmpop", "lmove", "hset", "hincrbyfloat", "hrandfield", "hscan"]) {
      expect(names.has(name)).toBe(true);
    }
  });

  it("declares every list and hash command as the server's COMMAND INFO does", async () => {
    await expectSameCommandInfo(redis, [...LIST_GENERATORS, ...HASH_GENERATORS].map((g) => g.name));
  });

  it(
    `agrees reply for reply over ${SEEDS.length} seeds of ${STEPS_PER_SEED} commands, and on the final state`,
    async () => {
      const mismatches: Mismatch[] = [];
      let total = 0;
      let errors = 0;
      for (const seed of SEEDS) {
        const steps = [...generateLhSteps(seed, STEPS_PER_SEED, ["lists", "hashes"]), ...lhStateSteps()];
        total += steps.length;
        const r = await runSequence(seed, steps);
        errors += r.errors;
        if (r.mismatch) mismatches.push(r.mismatch);
      }
      expect(mismatches.map((m) => formatMismatch(m)).join("\n")).toBe("");
      expect(total).toBeGreaterThanOrEqual(10_000);
      // The sequences exercise the error paths too, not only the happy ones.
      expect(errors).toBeGreaterThan(total / 20);
    },
    120_000,
  );

  it("agrees one family at a time, through the hashes' listpack-to-hashtable conversions", async () => {
    const encodings = new Set<string>();
    for (const [seed, family] of [
      [1001, "lists"],
      [1002, "hashes"],
      [1003, "hashes"],
    ] as const) {
      const r = await runSequence(seed, [...generateLhSteps(seed, 1500, [family]), ...lhStateSteps()]);
      expect(r.mismatch ? formatMismatch(r.mismatch) : "").toBe("");
      for (const e of r.encodings) encodings.add(e);
    }
    // Both sides reported (and agreed on) every encoding these types have.
    expect([...encodings].sort()).toEqual(expect.arrayContaining(["embstr", "hashtable", "listpack", "quicklist"]));
  }, 60_000);
});
