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
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { HashValue } from "../../src/engine/hash";
import { Keyspace } from "../../src/engine/keyspace";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import {
  generateLhSteps,
  HASH_GENERATORS,
  lhStateSteps,
  LIST_GENERATORS,
  sameLhReply,
  type LhStep,
} from "../support/gen-lists-hashes";
import { RawRespClient, parseReply, printable, printableCommand, type Resp } from "../support/resp-wire";
import { startReferenceRedis, type ReferenceRedis } from "../support/reference-redis";
import { seedList } from "../support/differential";

const SEEDS = seedList(process.env.LH_DIFF_SEEDS ?? "1-25");
const STEPS_PER_SEED = Number(process.env.LH_DIFF_STEPS ?? 2000);


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
  step: LhStep;
  hotslot: string;
  redis: string;
}

function describeMismatch(m: Mismatch): string {
  return (
    `seed ${m.seed} #${m.index}: ${printableCommand(m.step.argv)} (${m.step.mode})\n` +
    `    hotslot: ${printable(m.hotslot)}\n    redis:   ${printable(m.redis)}`
  );
}

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
  const chunkRng = seed * 7919;
  for (let i = 0, c = 0; i < steps.length; c++) {
    const size = 1 + ((chunkRng + c * 104729) % 250);
    const chunk = steps.slice(i, i + size);
    const theirs = await redis.pipeline(chunk.map((s) => s.argv));
    for (let j = 0; j < chunk.length; j++) {
      const step = chunk[j];
      const v = step.mode === "hash-order" ? db.get(step.argv[1]) : undefined;
      const listpack = !(v instanceof HashValue) || v.isListpack;
      const ours = bytesToBinary(encodeReply(ex.runOne(step.argv)));
      if (ours.startsWith("-")) errors++;
      if (step.argv[0].toLowerCase() === "object" && ours.startsWith("$") && !ours.startsWith("$-1")) {
        encodings.add(parseReply(ours).type === "$" ? (parseReply(ours) as { text: string }).text : "");
      }
      if (!sameLhReply(step, listpack, ours, theirs[j])) {
        return { mismatch: { seed, index: i + j, step, hotslot: ours, redis: theirs[j] }, errors, encodings };
      }
    }
    i += chunk.length;
  }
  return { mismatch: null, errors, encodings };
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
    const names = [...LIST_GENERATORS, ...HASH_GENERATORS].map((g) => g.name);
    const info = parseReply(await redis.call("COMMAND", "INFO", ...names));
    expect(info.type).toBe("*");
    const rows = (info as { items: Resp[] }).items;
    expect(rows).toHaveLength(names.length);
    for (const row of rows) {
      const [name, arity, flags, first, last, step, categories] = (row as { items: Resp[] }).items as Resp[];
      const n = (name as { text: string }).text;
      const spec = lookupCommand(n)!;
      const text = (r: Resp) => (r as { text: string }).text;
      const list = (r: Resp) => ((r as { items: Resp[] }).items ?? []).map(text);
      expect(spec.arity, n).toBe(Number(text(arity)));
      // movablekeys is derived from getKeys, not declared.
      expect([...spec.flags].sort(), n).toEqual(list(flags).filter((f) => f !== "movablekeys").sort());
      const keys = spec.keys ?? { first: 0, last: 0, step: 0 };
      expect([keys.first, keys.last, keys.step], n).toEqual([first, last, step].map((r) => Number(text(r))));
      expect([...spec.categories].sort(), n).toEqual(list(categories).map((c) => c.slice(1)).sort());
      expect(spec.getKeys !== undefined, n).toBe(list(flags).includes("movablekeys"));
    }
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
      expect(mismatches.map(describeMismatch).join("\n")).toBe("");
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
      expect(r.mismatch ? describeMismatch(r.mismatch) : "").toBe("");
      for (const e of r.encodings) encodings.add(e);
    }
    // Both sides reported (and agreed on) every encoding these types have.
    expect([...encodings].sort()).toEqual(expect.arrayContaining(["embstr", "hashtable", "listpack", "quicklist"]));
  }, 60_000);
});
