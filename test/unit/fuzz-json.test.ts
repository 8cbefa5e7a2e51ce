/**
 * Property-based fuzzing of the Upstash JSON codec (src/protocol/json.ts): malformed,
 * deeply nested and oversized request bodies either become argv arrays of binary strings
 * or fail with JsonCommandError (the documented error: HTTP 400, nothing runs) — never any
 * other exception; and every reply, however shaped, encodes to valid JSON.
 *
 * Seeded (FUZZ_SEED overrides) and bounded in runs and time so CI stays fast.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonCommandError, jsonToArgv, jsonToPipeline, parseJsonBody, repliesJson, replyJson } from "../../src/protocol/json";
import { double, error, map, NULL_ARRAY, set, simple, verbatim, type Reply } from "../../src/protocol/reply";

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const PARAMS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 };

/** Runs `fn`; anything thrown must be a JsonCommandError. */
function onlyJsonErrors<T>(fn: () => T): T | JsonCommandError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof JsonCommandError) return e;
    throw new Error(`threw ${String(e)} (not a JsonCommandError)`);
  }
}

/** Parses a body the way the router does for `/` and for `/pipeline`, checking both. */
function parseBoth(text: string): void {
  const parsed = onlyJsonErrors(() => parseJsonBody(text));
  if (parsed instanceof JsonCommandError) return;
  const argv = onlyJsonErrors(() => jsonToArgv(parsed));
  if (!(argv instanceof JsonCommandError)) {
    expect(argv.length).toBeGreaterThan(0);
    for (const a of argv) expect(typeof a).toBe("string");
  }
  const pipeline = onlyJsonErrors(() => jsonToPipeline(parsed));
  if (!(pipeline instanceof JsonCommandError)) {
    expect(pipeline.length).toBeGreaterThan(0);
    for (const cmd of pipeline) for (const a of cmd) expect(typeof a).toBe("string");
  }
}

/** Text that is JSON-ish: fragments of JSON syntax, numbers, strings with odd code points. */
const jsonish = fc
  .array(
    fc.oneof(
      fc.constantFrom("[", "]", "{", "}", ",", ":", "\"", "\\", "\\u", "\\ud800", "null", "true", "false", "-", "1e999", "0.1", "9007199254740993", " ", "\n"),
      fc.string({ maxLength: 6, unit: "grapheme" }),
      fc.string({ maxLength: 4, unit: "binary" }),
      fc.integer().map(String),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(""));

describe("Upstash JSON requests under fuzzing", () => {
  it("never throw anything but JsonCommandError on arbitrary or JSON-ish text", () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: "binary" }), jsonish), parseBoth), PARAMS);
  });

  it("never throw anything but JsonCommandError on any JSON value", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => parseBoth(JSON.stringify(v))), PARAMS);
  });

  it("turn every string, number and boolean argument into a binary string, and refuse the rest", () => {
    const arg = fc.oneof(fc.string({ unit: "binary" }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.object(), fc.array(fc.string()));
    fc.assert(
      fc.property(fc.array(arg, { minLength: 1, maxLength: 8 }), (cmd) => {
        const text = JSON.stringify(cmd);
        // As sent: NaN and ±Infinity are written as null.
        const sent = JSON.parse(text) as unknown[];
        const ok = sent.every((a) => ["string", "number", "boolean"].includes(typeof a));
        const argv = onlyJsonErrors(() => jsonToArgv(parseJsonBody(text)));
        if (!ok) {
          expect(argv).toBeInstanceOf(JsonCommandError);
        } else {
          expect(argv).not.toBeInstanceOf(JsonCommandError);
          expect((argv as string[]).every((a) => /^[\0-\xff]*$/.test(a))).toBe(true);
        }
      }),
      PARAMS,
    );
  });

  it("survive deeply nested and oversized bodies", () => {
    // Nesting past the reviver's stack depth is a parse failure (JsonCommandError), not a crash.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom("[", "{\"a\":", "[1,"), (depth, open) => {
        parseBoth(open.repeat(depth));
        parseBoth("[".repeat(depth) + "]".repeat(depth));
      }),
      { ...PARAMS, numRuns: 8 },
    );
    parseBoth(JSON.stringify(["SET", "k", "x".repeat(8 * 1024 * 1024)]));
    parseBoth(JSON.stringify(Array.from({ length: 100_000 }, () => ["GET", "k"])));
  }, 20_000);
});

/** A binary string (what replies carry): bytes 0–255 as chars. */
const bytes = fc.uint8Array({ maxLength: 24 }).map((b) => String.fromCharCode(...b));

/** Any reply the engine can produce. */
const reply: fc.Arbitrary<Reply> = fc.letrec<{ r: Reply }>((tie) => ({
  r: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    bytes,
    fc.integer(),
    fc.bigInt(),
    fc.double(),
    fc.constant(null),
    fc.constant(NULL_ARRAY),
    bytes.map(simple),
    bytes.map(error),
    fc.double().map(double),
    bytes.map((t) => verbatim(t)),
    fc.array(tie("r"), { maxLength: 4 }),
    fc.array(tie("r"), { maxLength: 4 }).map((items) => set(items)),
    fc.array(tie("r"), { maxLength: 3 }).map((items) => map(items.flatMap((i) => [i, i]))),
  ),
})).r;

describe("Upstash JSON replies under fuzzing", () => {
  it("encode every reply to valid JSON, in UTF-8 and in base64", () => {
    fc.assert(
      fc.property(fc.array(reply, { maxLength: 4 }), fc.boolean(), (replies, base64) => {
        for (const r of replies) expect(() => JSON.parse(replyJson(r, base64))).not.toThrow();
        expect(JSON.parse(repliesJson(replies, base64))).toHaveLength(replies.length);
      }),
      PARAMS,
    );
  });
});
