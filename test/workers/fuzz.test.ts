/**
 * Property-based fuzzing of the Worker as deployed (router + shard Durable Objects in
 * workerd): random HTTP requests (methods, path-form oddities — `.`, `..`, empty segments,
 * percent-encoding —, random and malformed JSON bodies, the base64 and response-format
 * headers, missing or read-only tokens) and random RESP frames over the WebSocket
 * endpoint. Properties: the Worker never answers 5xx and never closes a WebSocket as an
 * internal error (1011); every refused request carries an error body; a protocol error is
 * answered before the connection closes; and sentinel keys written first by another client
 * read back byte for byte at the end.
 *
 * The fuzzed commands come from a pool that cannot touch the sentinels (no FLUSHALL,
 * CONFIG, DEBUG, RENAME onto them…: their keys live under another prefix) and no blocking
 * command (an HTTP BLPOP may legitimately wait 25 s). Seeded (FUZZ_SEED is not read
 * here: workerd has no process.env) and bounded in runs and time.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { connect, READONLY_TOKEN, TOKEN } from "./helpers";

const SEED = 20240611;
const PARAMS = { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 8000 };

// --- sentinels -------------------------------------------------------------------------

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
const SENTINELS: [key: string, value: string][] = [
  ["sentinel:fz:bytes", ALL_BYTES],
  ["sentinel:fz:empty", ""],
  ["sentinel:fz:crlf", "\r\n*1\r\n$4\r\nPING\r\n"],
  ["sentinel:fz:big", ALL_BYTES.repeat(400)],
  ["{sentinel:fz}:text", "h\u00c3\u00a9llo"],
];
const SENTINEL_HASH = "sentinel:fz:hash";
const SENTINEL_LIST = "sentinel:fz:list";

const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
const command = (argv: string[]) => `*${argv.length}\r\n` + argv.map(bulk).join("");

/** The sentinels' expected reads, as RESP frames. */
function sentinelReads(): { request: string; expected: string }[] {
  return [
    ...SENTINELS.map(([k, v]) => ({ request: command(["GET", k]), expected: bulk(v) })),
    { request: command(["HGET", SENTINEL_HASH, ALL_BYTES]), expected: bulk(ALL_BYTES) },
    { request: command(["HLEN", SENTINEL_HASH]), expected: ":1\r\n" },
    { request: command(["LRANGE", SENTINEL_LIST, "0", "-1"]), expected: "*3\r\n" + ["a", "", ALL_BYTES].map(bulk).join("") },
    { request: command(["TTL", SENTINELS[0][0]]), expected: ":-1\r\n" },
  ];
}

beforeAll(async () => {
  const writer = await connect();
  for (const [k, v] of SENTINELS) expect(await writer.call(["SET", k, v])).toBe("+OK\r\n");
  expect(await writer.call(["HSET", SENTINEL_HASH, ALL_BYTES, ALL_BYTES])).toBe(":1\r\n");
  expect(await writer.call(["RPUSH", SENTINEL_LIST, "a", "", ALL_BYTES])).toBe(":3\r\n");
  writer.close();
  await writer.closed;
});

async function expectSentinelsIntact(): Promise<void> {
  const reader = await connect();
  for (const { request, expected } of sentinelReads()) expect(await reader.send(request)).toBe(expected);
  reader.close();
}

// --- generators ------------------------------------------------------------------------

/** Commands the fuzzers may send: data commands, on keys that cannot be the sentinels. */
const SAFE_COMMANDS = [
  "GET", "SET", "DEL", "EXISTS", "INCR", "INCRBY", "INCRBYFLOAT", "APPEND", "GETRANGE", "SETRANGE", "STRLEN", "MGET", "MSET",
  "GETDEL", "GETEX", "SETNX", "EXPIRE", "PEXPIRE", "TTL", "PTTL", "PERSIST", "TYPE", "OBJECT", "DUMP", "RESTORE", "COPY",
  "LPUSH", "RPUSH", "LPOP", "RPOP", "LRANGE", "LINSERT", "LSET", "LTRIM", "LMOVE", "HSET", "HGET", "HGETALL", "HDEL",
  "HINCRBY", "HRANDFIELD", "SADD", "SREM", "SMEMBERS", "SPOP", "SINTER", "SUNIONSTORE", "ZADD", "ZRANGE", "ZINCRBY",
  "ZRANGEBYSCORE", "ZPOPMIN", "SORT", "SCAN", "DBSIZE", "PING", "ECHO", "TIME", "COMMAND", "INFO", "CLIENT", "HELLO",
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "AUTH", "RESET", "MEMORY", "NOSUCHCMD", "",
];

const junkKey = fc.oneof(
  fc.string({ maxLength: 6 }).map((s) => `fz:${s}`),
  fc.constantFrom("fz:a", "fz:b", "{fz}:c", "{fz}:d", "fz:list", "fz:hash"),
);
/** An argument: a junk key, a number-ish token, an option word, or random bytes. */
const arg = fc.oneof(
  junkKey,
  fc.constantFrom("0", "-1", "1", "100", "9223372036854775807", "-9223372036854775809", "1e400", "nan", "inf", "+inf", "-0"),
  fc.constantFrom("EX", "PX", "NX", "XX", "KEEPTTL", "GET", "WITHSCORES", "LIMIT", "BY", "STORE", "REV", "BYSCORE", "COUNT", "MATCH", "TYPE", "KILL", "LIST", "UNBLOCK", "ID", "SKIPME", "no"),
  fc.uint8Array({ maxLength: 12 }).map((b) => String.fromCharCode(...b)),
);
const fuzzCommand = fc.tuple(fc.constantFrom(...SAFE_COMMANDS), fc.array(arg, { maxLength: 6 })).map(([c, rest]) => [c, ...rest]);

// --- HTTP ----------------------------------------------------------------------------

const segment = fc.oneof(
  fc.constantFrom(".", "..", "", "%2e", "%2E%2e", "%2F", "%", "%zz", "%00", "%ff", "%C3%A9", "pipeline", "multi-exec", "admin", "get", "set", "incr", "lpush"),
  junkKey.map(encodeURIComponent),
  fc.string({ maxLength: 6 }).map(encodeURIComponent),
  fc.constantFrom(...SAFE_COMMANDS).map((c) => c.toLowerCase()),
);
const path = fc.oneof(
  fc.array(segment, { maxLength: 5 }).map((segs) => "/" + segs.join("/")),
  fc.tuple(fc.constantFrom(...SAFE_COMMANDS), fc.array(segment, { maxLength: 4 })).map(([c, segs]) => "/" + [c, ...segs].join("/")),
  fc.constantFrom("/", "/pipeline", "/multi-exec"),
);
const query = fc.constantFrom("", "", "", "?_token=" + TOKEN, "?_token=nope", "?x=%zz", "?", "?token=" + READONLY_TOKEN);

const jsonBody = fc.oneof(
  fuzzCommand.map((c) => JSON.stringify(c)),
  fc.array(fuzzCommand, { maxLength: 5 }).map((p) => JSON.stringify(p)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", "[", "[[]]", "[[\"GET\"", "{}", "null", "[\"SET\",\"fz:x\",{}]", "[1e999]", "[\"\\ud800\"]", "[[" .repeat(300)),
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("GET", "POST", "PUT") },
  { weight: 1, arbitrary: fc.constantFrom("DELETE", "PATCH", "HEAD", "OPTIONS") },
);
/** Mostly a request that gets past the headers (so commands run), sometimes odd headers. */
const headers = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { authorization: `Bearer ${TOKEN}` },
      { authorization: `Bearer ${TOKEN}`, "upstash-encoding": "base64" },
      { authorization: `Bearer ${TOKEN}`, "upstash-response-format": "resp2" },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        authorization: fc.constantFrom(`Bearer ${TOKEN}`, `Bearer ${READONLY_TOKEN}`, "Bearer wrong", "Basic abc", "", "Bearer"),
        "upstash-encoding": fc.constantFrom("base64", "BASE64", "utf8", ""),
        "upstash-response-format": fc.constantFrom("json", "resp2", "RESP2", "xml", ""),
        "upstash-sync-token": fc.constantFrom("0", "-1", "abc", "99999999999999999999"),
        "content-type": fc.constantFrom("application/json", "text/plain", "application/octet-stream"),
      },
      { requiredKeys: [] },
    ),
  },
);

describe("HTTP under fuzzing", () => {
  it("never answers 5xx, and refuses every bad request with an error body", async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, jsonBody, headers, async (m, p, q, body, h) => {
        const withBody = m !== "GET" && m !== "HEAD";
        const res = await SELF.fetch(`http://hotslot${p}${q}`, { method: m, headers: h, body: withBody ? body : undefined });
        const text = await res.text();
        expect(res.status, `${m} ${p}${q} ${body} → ${res.status} ${text}`).toBeLessThan(500);
        if (res.status >= 400 && m !== "HEAD") {
          if (res.headers.get("content-type") === "application/octet-stream") expect(text).toMatch(/^-\S/);
          else expect(JSON.parse(text)).toHaveProperty("error");
        }
      }),
      PARAMS,
    );
    await expectSentinelsIntact();
  }, 60_000);
});

// --- RESP over WebSocket -------------------------------------------------------------------

const lengthText = fc.oneof(
  fc.integer({ min: -3, max: 20 }).map(String),
  fc.constantFrom("2147483647", "9223372036854775808", "99999999999", "536870913", "16777217", "-0", "+1", "x", ""),
);
const fragment = fc.oneof(
  { weight: 4, arbitrary: fuzzCommand.map(command) },
  { weight: 1, arbitrary: fuzzCommand.map((c) => c.join(" ") + "\r\n") },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 20 }).map((b) => String.fromCharCode(...b)) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("*", "$"), lengthText, fc.constantFrom("\r\n", "\r", "\n", "\0", "")).map(([a, b, c]) => a + b + c) },
  { weight: 1, arbitrary: fc.constantFrom("\r\n", "\0", "\"", "'unbalanced\r\n", "*1\r\n*1\r\n$4\r\nPING\r\n", "*2\r\n$3\r\nGET\r\n") },
);
/** A connection's frames: each frame a few fragments. */
const frames = fc.array(fc.array(fragment, { minLength: 1, maxLength: 4 }).map((f) => f.join("")), { minLength: 1, maxLength: 4 });

interface Session {
  received: string[];
  closeCode: number | null;
}

/** Sends raw frames on a fresh WebSocket and collects replies until it closes or goes quiet. */
async function runSession(rawFrames: string[], token: string | null): Promise<Session> {
  const res = await SELF.fetch("http://hotslot/", { headers: token ? { Upgrade: "websocket", Authorization: `Bearer ${token}` } : { Upgrade: "websocket" } });
  expect(res.status).toBe(101);
  const ws = res.webSocket!;
  ws.accept();
  const session: Session = { received: [], closeCode: null };
  // Frames in arrival order (binary frames reach the test side as Blobs: read them in order).
  const pending: Promise<string>[] = [];
  let lastActivity = Date.now();
  ws.addEventListener("message", (e) => {
    lastActivity = Date.now();
    const data = e.data as string | ArrayBuffer | Blob;
    if (typeof data === "string") pending.push(Promise.resolve(data));
    else if (data instanceof ArrayBuffer) pending.push(Promise.resolve(latin1(new Uint8Array(data))));
    else pending.push(data.arrayBuffer().then((b) => latin1(new Uint8Array(b))));
  });
  ws.addEventListener("close", (e) => {
    session.closeCode = e.code;
  });
  for (const f of rawFrames) {
    if (session.closeCode !== null) break;
    const bytes = new Uint8Array(f.length);
    for (let i = 0; i < f.length; i++) bytes[i] = f.charCodeAt(i) & 0xff;
    try {
      ws.send(bytes);
    } catch {
      break; // closed by the server meanwhile
    }
  }
  // Quiet for 60 ms (or closed): every complete command has been answered.
  while (session.closeCode === null && Date.now() - lastActivity < 60) await new Promise((r) => setTimeout(r, 10));
  if (session.closeCode === null) ws.close(1000, "done");
  session.received = await Promise.all(pending);
  return session;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

describe("RESP over WebSocket under fuzzing", () => {
  it("never closes as an internal error, and answers a protocol error before closing", async () => {
    await fc.assert(
      fc.asyncProperty(frames, fc.constantFrom<string | null>(TOKEN, READONLY_TOKEN, null), async (raw, token) => {
        const s = await runSession(raw, token);
        const all = s.received.join("");
        expect(s.closeCode, JSON.stringify({ raw, all })).not.toBe(1011);
        if (s.closeCode === 1002) expect(all).toMatch(/-ERR Protocol error: [^\r\n]*\r\n$/);
      }),
      { ...PARAMS, numRuns: 80 },
    );
    // The Worker still serves, and the sentinels are untouched.
    const res = await SELF.fetch("http://hotslot/ping", { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ result: "PONG" });
    await expectSentinelsIntact();
  }, 60_000);
});
