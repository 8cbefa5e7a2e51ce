/**
 * Property-based fuzzing of the RESP request decoder (src/protocol/resp.ts) with the
 * limits the router gives it (proto-max-bulk-len = MAX_VALUE_BYTES, the unauthenticated
 * limits before AUTH): random bytes and malformed RESP (random splits, `*`/`$` with huge,
 * negative or garbage lengths, NULs, unterminated lines, nested arrays). Properties:
 * it throws nothing but ProtocolError (and keeps throwing it once failed), its buffer stays
 * within what was pushed (a declared length never allocates), and any stream — valid or
 * not — decodes to the same commands and the same error however it is split.
 *
 * Seeded (FUZZ_SEED overrides) and bounded in runs and time so CI stays fast.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeCommandBinary, ProtocolError, RequestDecoder } from "../../src/protocol/resp";
import { binaryToBytes } from "../../src/util/binary";

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const PARAMS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 };
/** The router's default MAX_VALUE_BYTES (src/config.ts) and a small one, to hit the bound. */
const MAX_BULKS = [16 * 1024 * 1024, 1024];

// --- generators ------------------------------------------------------------------------

const ascii = (s: string) => binaryToBytes(s);

/** Numbers as a `*`/`$` header might carry them: valid, huge, negative, garbage. */
const lengthText = fc.oneof(
  fc.integer({ min: -3, max: 40 }).map(String),
  fc.constantFrom("2147483647", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "99999999999999999999999", "536870912", "536870913", "16385", "-0", "+1", " 1", "1 ", "0x10", "1e3", "", "01", "-"),
  fc.string({ maxLength: 6 }),
);

/** A fragment of a hostile stream. */
const fragment: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("*", "$"), lengthText, fc.constantFrom("\r\n", "\r", "\n", "", "\0")).map(([a, b, c]) => ascii(a + b + c)) },
  { weight: 2, arbitrary: fc.constantFrom("\r\n", "\r", "\n", "\0", "\"", "'", "\\x", " ", "*", "$", "*1\r\n*1\r\n$1\r\nx\r\n", "PING\r\n", "SET k v\n").map(ascii) },
  { weight: 2, arbitrary: fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((argv) => ascii(encodeCommandBinary(argv))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }).map((n) => new Uint8Array(n).fill(0x61)) },
);

const hostileStream = fc.array(fragment, { maxLength: 24 }).map(concat);

/** Any binary-string argument: every byte value. */
const binaryArg = fc.uint8Array({ maxLength: 40 }).map((b) => String.fromCharCode(...b));
const command = fc.array(binaryArg, { minLength: 1, maxLength: 6 });

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Split points for a stream of `length` bytes. */
function splitsOf(length: number) {
  return fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 }).map((cuts) => cuts.sort((a, b) => a - b));
}

function pieces(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(from, c));
    from = c;
  }
  return out;
}

// --- decoding as a connection does ------------------------------------------------------

interface Outcome {
  commands: string[][];
  error?: string;
}

/** Pushes each chunk and drains after it, as the WebSocket layer does; checks bounds on the way. */
function decode(chunks: Uint8Array[], maxBulkBytes: number, authRequired: boolean): Outcome {
  const d = new RequestDecoder({ maxBulkBytes });
  d.authRequired = authRequired;
  const commands: string[][] = [];
  let pushed = 0;
  for (const chunk of chunks) {
    d.push(chunk);
    pushed += chunk.length;
    try {
      commands.push(...d.drain());
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw new Error(`decoder threw ${String(e)} (not a ProtocolError)`);
      commands.push(...e.commands);
      expect(e.reply).toMatch(/^ERR Protocol error: [^\r\n]*$/);
      // Failed for good: later input is ignored and the same error repeats.
      d.push(ascii("PING\r\n"));
      expect(() => d.drain()).toThrow(ProtocolError);
      return { commands, error: e.reply };
    }
    // Never holds more than it was given: a declared length allocates nothing.
    expect(d.buffered).toBeLessThanOrEqual(pushed);
    expect(d.capacity).toBeLessThanOrEqual(Math.max(16 * 1024, 2 * pushed));
  }
  return { commands };
}

describe("RequestDecoder under fuzzing", () => {
  it("throws only ProtocolError on random bytes and malformed RESP, and stays within its buffer", () => {
    fc.assert(
      fc.property(hostileStream, fc.constantFrom(...MAX_BULKS), fc.boolean(), (bytes, maxBulk, auth) => {
        decode([bytes], maxBulk, auth);
      }),
      PARAMS,
    );
  });

  it("decodes any stream, valid or not, to the same commands and error however it is split", () => {
    fc.assert(
      fc.property(
        hostileStream.chain((bytes) => fc.tuple(fc.constant(bytes), splitsOf(bytes.length))),
        fc.constantFrom(...MAX_BULKS),
        fc.boolean(),
        ([bytes, cuts], maxBulk, auth) => {
          expect(decode(pieces(bytes, cuts), maxBulk, auth)).toEqual(decode([bytes], maxBulk, auth));
        },
      ),
      PARAMS,
    );
  });

  it("decodes a valid stream of commands, split at random points, to exactly those commands", () => {
    const stream = fc.array(command, { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(
        stream.chain((cmds) => {
          const bytes = ascii(cmds.map(encodeCommandBinary).join(""));
          return fc.tuple(fc.constant(cmds), fc.constant(bytes), splitsOf(bytes.length));
        }),
        ([cmds, bytes, cuts]) => {
          expect(decode(pieces(bytes, cuts), MAX_BULKS[0], false)).toEqual({ commands: cmds });
        },
      ),
      PARAMS,
    );
  });

  it("refuses a declared bulk over the limit before its bytes arrive, whatever the limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 2 ** 20 }), (len, maxBulk) => {
        const out = decode([ascii(`*1\r\n$${len}\r\n`)], maxBulk, false);
        if (len > maxBulk) expect(out.error).toBe("ERR Protocol error: invalid bulk length");
        else expect(out).toEqual({ commands: [] });
      }),
      PARAMS,
    );
  });
});
