/**
 * @upstash/redis, unchanged, against Hotslot inside workerd. The client has no fetch
 * option (pkg/http.ts calls the global `fetch`), so globalThis.fetch is wrapped for these
 * tests: requests to http://hotslot go to the router (SELF) and are recorded, so a test
 * can see what the client sent — the endpoint, the headers, how many requests.
 */
import { SELF } from "cloudflare:test";
import { Redis, errors } from "@upstash/redis/cloudflare";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { READONLY_TOKEN, TOKEN } from "./helpers";

const URL_ = "http://hotslot";

interface Sent {
  path: string;
  headers: Headers;
  body: string;
}

let sent: Sent[] = [];
const realFetch = globalThis.fetch;

beforeAll(() => {
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    if (!url.startsWith(URL_)) return realFetch(input, init);
    const headers = new Headers(init?.headers);
    sent.push({ path: new URL(url).pathname, headers, body: String(init?.body ?? "") });
    return SELF.fetch(url, { method: init?.method, headers, body: init?.body });
  }) as typeof fetch;
});

afterAll(() => {
  globalThis.fetch = realFetch;
});

afterEach(() => {
  sent = [];
});

/** A client as an app would make one; every option at its default unless given. */
function client(opts: Partial<ConstructorParameters<typeof Redis>[0]> = {}): Redis {
  return new Redis({ url: URL_, token: TOKEN, ...opts });
}

describe("@upstash/redis with its defaults (base64 responses, auto-pipelining)", () => {
  it("sends what Upstash expects: bearer token, base64 encoding, sync token, telemetry", async () => {
    const redis = client();
    expect(await redis.ping()).toBe("PONG");
    expect(sent).toHaveLength(1);
    const h = sent[0].headers;
    expect(h.get("authorization")).toBe(`Bearer ${TOKEN}`);
    expect(h.get("upstash-encoding")).toBe("base64");
    expect(h.get("content-type")).toBe("application/json");
    expect(h.get("upstash-sync-token")).toBe("");
    expect(h.get("upstash-telemetry-platform")).toBe("cloudflare");
    expect(h.get("upstash-telemetry-sdk")).toMatch(/^@upstash\/redis@/);
  });

  it("sets and gets a string, and gets null for a missing key", async () => {
    const redis = client();
    expect(await redis.set("up:str", "hello")).toBe("OK");
    expect(await redis.get("up:str")).toBe("hello");
    expect(await redis.get("up:missing")).toBeNull();
  });

  it("echoes", async () => {
    expect(await client().echo("hi there")).toBe("hi there");
  });

  it("keeps numbers numbers", async () => {
    const redis = client();
    await redis.set("up:int", 42);
    await redis.set("up:float", 1.5);
    await redis.set("up:neg", -7);
    expect(await redis.get("up:int")).toBe(42);
    expect(await redis.get("up:float")).toBe(1.5);
    expect(await redis.get("up:neg")).toBe(-7);
  });

  it("stores objects as JSON and parses them back", async () => {
    const redis = client();
    const value = { name: "Ada", tags: ["x", "y"], nested: { n: 1, ok: true, none: null } };
    await redis.set("up:obj", value);
    expect(await redis.get("up:obj")).toEqual(value);
    await redis.set("up:arr", [1, "two", { three: 3 }]);
    expect(await redis.get("up:arr")).toEqual([1, "two", { three: 3 }]);
  });

  it("round-trips text with control characters, accents and emoji through base64", async () => {
    const redis = client();
    const text = "\u0000\u0001\t\r\n héllo € 😀 \u007f";
    await redis.set("up:text", text);
    expect(await redis.get("up:text")).toBe(text);
  });

  it("reads bytes that are not UTF-8 as U+FFFD, as Upstash documents", async () => {
    await SELF.fetch(`${URL_}/set/up:bin`, { method: "POST", body: Uint8Array.from([0x61, 0xff, 0x62]), headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await client().get("up:bin")).toBe("a\uFFFDb");
    expect(await client().strlen("up:bin")).toBe(3);
  });

  it("counts with incr, incrby and decr", async () => {
    const redis = client();
    expect(await redis.incr("up:counter")).toBe(1);
    expect(await redis.incrby("up:counter", 10)).toBe(11);
    expect(await redis.decr("up:counter")).toBe(10);
    expect(await redis.get("up:counter")).toBe(10);
  });

  it("sets and gets many keys across shards with mset and mget", async () => {
    const redis = client();
    const kv = { "up:m1": "one", "up:m2": 2, "up:m3": { three: 3 }, "up:m4": "four", "up:m5": 5 };
    expect(await redis.mset(kv)).toBe("OK");
    expect(await redis.mget("up:m1", "up:m2", "up:missing", "up:m3", "up:m4", "up:m5")).toEqual(["one", 2, null, { three: 3 }, "four", 5]);
  });

  it("counts and deletes keys with exists and del", async () => {
    const redis = client();
    await redis.mset({ "up:d1": "a", "up:d2": "b", "up:d3": "c" });
    expect(await redis.exists("up:d1", "up:d2", "up:d3", "up:dnone")).toBe(3);
    expect(await redis.del("up:d1", "up:d2", "up:dnone")).toBe(2);
    expect(await redis.exists("up:d1", "up:d2", "up:d3")).toBe(1);
  });

  it("sets a time to live with expire, ttl and set's ex option", async () => {
    const redis = client();
    await redis.set("up:ttl", "v");
    expect(await redis.ttl("up:ttl")).toBe(-1);
    expect(await redis.expire("up:ttl", 100)).toBe(1);
    expect(await redis.ttl("up:ttl")).toBe(100);
    expect(await redis.set("up:ex", "v", { ex: 50 })).toBe("OK");
    expect(await redis.ttl("up:ex")).toBe(50);
    expect(await redis.ttl("up:nottl")).toBe(-2);
  });

  it("answers set with nx, and with get, as Redis does", async () => {
    const redis = client();
    expect(await redis.set("up:nx", "first", { nx: true })).toBe("OK");
    expect(await redis.set("up:nx", "second", { nx: true })).toBeNull();
    expect(await redis.set("up:nx", "third", { get: true })).toBe("first");
  });

  it("throws the server's error text", async () => {
    const redis = client();
    await redis.set("up:notint", "abc");
    await expect(redis.incr("up:notint")).rejects.toThrow("Command failed: ERR value is not an integer or out of range");
  });

  it("batches concurrent commands into /pipeline requests (auto-pipelining)", async () => {
    const redis = client();
    const results = await Promise.all([
      redis.set("up:auto1", "a"),
      redis.set("up:auto2", "b"),
      redis.incr("up:auto3"),
      redis.echo("e"),
      redis.ping(),
    ]);
    expect(results).toEqual(["OK", "OK", 1, "e", "PONG"]);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((s) => s.path === "/pipeline")).toBe(true);
    // One pipeline for the writes and one for the reads at most.
    expect(sent.length).toBeLessThanOrEqual(2);
    const read = await Promise.all([redis.get("up:auto1"), redis.get("up:auto2"), redis.get("up:auto3"), redis.get("up:automissing")]);
    expect(read).toEqual(["a", "b", 1, null]);
  });

  it("reports an error to its own caller only when auto-pipelined", async () => {
    const redis = client();
    await redis.set("up:autoerr", "abc");
    const [ok, failed] = await Promise.allSettled([redis.get("up:autoerr"), redis.incr("up:autoerr")]);
    expect(ok).toEqual({ status: "fulfilled", value: "abc" });
    expect(failed.status).toBe("rejected");
    expect(String((failed as PromiseRejectedResult).reason)).toContain("ERR value is not an integer or out of range");
  });

  it("keeps the sync token the server gives and sends it back (readYourWrites)", async () => {
    const redis = client({ enableAutoPipelining: false });
    await redis.set("up:sync", "v");
    const token = redis.readYourWritesSyncToken;
    // Per group, the offset its write reached (src/router/sync-token.ts).
    expect(token).toMatch(/^\d+:\d+$/);
    await redis.get("up:sync");
    expect(sent[1].headers.get("upstash-sync-token")).toBe(token);
  });
});

describe("pipeline() and multi()", () => {
  it("runs a pipeline and returns each result, deserialized", async () => {
    const redis = client();
    const p = redis.pipeline();
    p.set("up:p1", { a: 1 }).get("up:p1").incr("up:p2").mget("up:p1", "up:pmissing").exists("up:p1", "up:p2");
    expect(await p.exec()).toEqual(["OK", { a: 1 }, 1, [{ a: 1 }, null], 2]);
    expect(sent.map((s) => s.path)).toEqual(["/pipeline"]);
  });

  it("throws naming the failed command, or keeps errors per item when asked", async () => {
    const redis = client();
    await redis.set("up:perr", "abc");
    const p = redis.pipeline().get("up:perr").incr("up:perr");
    await expect(p.exec()).rejects.toThrow("Command 2 [ incr ] failed: ERR value is not an integer or out of range");
    const q = redis.pipeline().get("up:perr").incr("up:perr");
    expect(await q.exec({ keepErrors: true })).toEqual([
      { result: "abc", error: undefined },
      { result: undefined, error: "ERR value is not an integer or out of range" },
    ]);
  });

  it("runs multi() atomically in one slot via /multi-exec", async () => {
    const redis = client();
    const tx = redis.multi();
    tx.set("{up:tx}a", 1).incr("{up:tx}a").set("{up:tx}b", "x").get("{up:tx}b").del("{up:tx}a");
    expect(await tx.exec()).toEqual(["OK", 2, "OK", "x", 1]);
    expect(sent.map((s) => s.path)).toEqual(["/multi-exec"]);
  });

  it("rejects multi() across slots with CROSSSLOT and runs none of it", async () => {
    const redis = client();
    const tx = redis.multi().set("{up:tx1}k", "1").set("{up:tx2}k", "2");
    await expect(tx.exec()).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
    expect(await redis.get("{up:tx1}k")).toBeNull();
  });
});

describe("other client settings", () => {
  it("works with responseEncoding false (plain JSON strings)", async () => {
    const redis = client({ responseEncoding: false, enableAutoPipelining: false });
    await redis.set("up:plain", "héllo");
    expect(await redis.get("up:plain")).toBe("héllo");
    expect(sent[0].headers.get("upstash-encoding")).toBeNull();
  });

  it("refuses writes with the read-only token and allows reads", async () => {
    await client().set("up:ro", "v");
    const ro = client({ token: READONLY_TOKEN, enableAutoPipelining: false });
    expect(await ro.get("up:ro")).toBe("v");
    await expect(ro.set("up:ro", "w")).rejects.toThrow("NOPERM this user has no permissions to run the 'set' command");
    await expect(ro.keys("*")).rejects.toThrow("NOPERM this user has no permissions to run the 'keys' command");
  });

  it("throws UpstashError with the 401 text for a wrong token", async () => {
    const bad = client({ token: "wrong", enableAutoPipelining: false });
    const err = await bad.get("up:any").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(errors.UpstashError);
    expect((err as Error).message).toBe('WRONGPASS invalid or missing auth token, command was: ["get","up:any"]');
  });
});
