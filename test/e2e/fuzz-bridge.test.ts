/**
 * Fuzzing through the TCP bridge (scripts/bridge.mjs) against wrangler dev: several
 * connections at once send random byte streams (random bytes, malformed RESP headers with
 * huge / negative / garbage lengths, NULs, unterminated lines, valid commands on junk keys)
 * in random chunks, while one well-behaved connection keeps doing SET/GET and checks every
 * value it reads. Properties: the well-behaved client never sees a wrong reply, the bridge
 * keeps accepting connections and wrangler dev keeps answering.
 *
 * The fuzzed commands cannot reach the well-behaved client's keys or connection (no
 * FLUSHALL, CLIENT, CONFIG…). Seeded and bounded: a few runs of a few seconds.
 */
import fc from "fast-check";
import net from "node:net";
import { afterAll, describe, expect, inject, it } from "vitest";
import { encodeCommand, RawRedis } from "./setup/tools";

const bridgePort = inject("bridgePort");
const hotslotUrl = inject("hotslotUrl");
const token = inject("token");

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
const P = `e2e:fuzz:${process.pid}:${Date.now().toString(36)}:`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SAFE_COMMANDS = [
  "GET", "SET", "DEL", "INCR", "APPEND", "GETRANGE", "SETRANGE", "MGET", "MSET", "EXPIRE", "TTL", "TYPE", "LPUSH",
  "RPOP", "LRANGE", "HSET", "HGETALL", "SADD", "SMEMBERS", "ZADD", "ZRANGE", "PING", "ECHO", "MULTI", "EXEC", "DISCARD",
  "WATCH", "HELLO", "AUTH", "QUIT", "RESET", "NOSUCH",
];
const junkKey = fc.string({ maxLength: 5 }).map((s) => `fzjunk:${s}`);
const arg = fc.oneof(junkKey, fc.constantFrom("0", "-1", "3", "99999999999999999999", "EX", "NX", "2", "3"), fc.uint8Array({ maxLength: 10 }).map((b) => Buffer.from(b)));
const fuzzCommand = fc.tuple(fc.constantFrom(...SAFE_COMMANDS), fc.array(arg, { maxLength: 4 })).map(([c, rest]) => [c, ...rest]);
const lengthText = fc.oneof(
  fc.integer({ min: -3, max: 12 }).map(String),
  fc.constantFrom("2147483647", "9223372036854775808", "536870913", "-0", "+1", "x", ""),
);
const fragment: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 3, arbitrary: fuzzCommand.map((c) => encodeCommand(c)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("*", "$"), lengthText, fc.constantFrom("\r\n", "\r", "\n", "\0", "")).map(([a, b, c]) => Buffer.from(a + b + c, "latin1")) },
  { weight: 1, arbitrary: fc.constantFrom("\r\n", "\0", "\"", "PING\r\n", "*1\r\n*1\r\n").map((s) => Buffer.from(s, "latin1")) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 100_000 }).map((n) => Buffer.alloc(n, 0x61)) },
);
/** One connection's stream, as the chunks it is written in. */
const stream = fc.array(fc.array(fragment, { minLength: 1, maxLength: 6 }).map((f) => Buffer.concat(f)), { minLength: 1, maxLength: 8 });

/** Writes the chunks with short pauses, then waits until the bridge closes or goes quiet. */
async function fuzzConnection(chunks: Buffer[]): Promise<void> {
  const socket = net.connect({ host: "127.0.0.1", port: bridgePort });
  socket.on("error", () => {});
  let closed = false;
  let lastActivity = Date.now();
  socket.on("data", () => (lastActivity = Date.now()));
  socket.on("close", () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  for (const c of chunks) {
    if (closed) break;
    socket.write(c);
    await sleep(5);
  }
  lastActivity = Date.now();
  while (!closed && Date.now() - lastActivity < 300) await sleep(20);
  socket.destroy();
}

/** The well-behaved client: SET then GET of its own keys, checking every reply, until stopped. */
function wellBehaved(client: RawRedis) {
  let stop = false;
  let rounds = 0;
  const done = (async () => {
    while (!stop) {
      const key = `${P}good:${rounds % 7}`;
      const value = Buffer.from(`v${rounds}:\u0000\r\n\u00ff`.repeat(1 + (rounds % 5)), "latin1");
      const [set, get] = await client.pipeline([["SET", key, value], ["GET", key]]);
      expect(set).toBe("+OK\r\n");
      expect(get).toBe(`$${value.length}\r\n${value.toString("latin1")}\r\n`);
      rounds++;
    }
  })();
  return {
    rounds: () => rounds,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

const clients: RawRedis[] = [];
afterAll(() => clients.forEach((c) => c.close()));

describe("the bridge under fuzzing", () => {
  it("serves a well-behaved client correctly while other connections send random bytes", async () => {
    const good = await RawRedis.connect(bridgePort);
    clients.push(good);
    const loop = wellBehaved(good);
    await fc.assert(
      fc.asyncProperty(fc.array(stream, { minLength: 3, maxLength: 4 }), async (streams) => {
        await Promise.all(streams.map(fuzzConnection));
        // The bridge still accepts connections, and the good client still gets answers.
        const probe = await RawRedis.connect(bridgePort);
        clients.push(probe);
        expect(await probe.call("PING")).toBe("+PONG\r\n");
        probe.close();
      }),
      { seed: SEED, numRuns: 6, interruptAfterTimeLimit: 20_000 },
    );
    const roundsDuring = loop.rounds();
    await loop.stop();
    expect(roundsDuring).toBeGreaterThan(0);
    // wrangler dev still answers HTTP.
    const res = await fetch(`${hotslotUrl}/ping`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await res.json()).toEqual({ result: "PONG" });
  }, 90_000);
});
