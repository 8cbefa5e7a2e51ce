/**
 * The TCP bridge (scripts/bridge.mjs) against the real Worker, under clients that misbehave:
 *   - a client that sends a pipeline and never reads its replies holds a bounded part of the
 *     bridge's memory, and other clients are still served meanwhile;
 *   - after a protocol error the connection is closed in both directions, as redis-server does;
 *   - bytes sent before the WebSocket opens are relayed in order, without the bridge reading
 *     more of them than its bound.
 * Each test starts its own bridge in this process (the shared one runs in the globalSetup
 * process), so its memory and `stats()` can be observed.
 */
import net from "node:net";
import { afterEach, describe, expect, inject, it } from "vitest";
import { startBridge, type Bridge } from "../../scripts/bridge.mjs";
import { encodeCommand, RawRedis } from "./setup/tools";

const hotslotUrl = inject("hotslotUrl");
const token = inject("token");
const redisPort = inject("redisPort");

/** The bridge's per-connection bound on buffered requests or replies (see the top of bridge.mjs). */
const BRIDGE_BUFFER_BOUND = 8 * 1024 * 1024;
/** What a bridge may hold beyond that bound: one socket read, or one frame of replies from the Worker. */
const ONE_FRAME = 2 * 1024 * 1024;
const MB = 1024 * 1024;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function ownBridge(url = hotslotUrl): Promise<Bridge> {
  const bridge = await startBridge({ port: 0, url, token, log: null });
  cleanups.push(() => bridge.close());
  return bridge;
}

async function rawClient(port: number): Promise<RawRedis> {
  const c = await RawRedis.connect(port);
  cleanups.push(() => c.socket.destroy());
  return c;
}

function connect(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port, allowHalfOpen: opts.allowHalfOpen ?? false });
    s.setNoDelay(true);
    s.once("connect", () => resolve(s));
    s.once("error", reject);
    cleanups.push(() => s.destroy());
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bulk = (b: Buffer) => Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n")]).toString("latin1");

/** An own bridge, a client of it, and a 1 MB value stored under a fresh key (each GET of it: a 1 MB reply). */
async function bridgeWithBigValue(name: string) {
  const bridge = await ownBridge();
  const key = `hardening:${name}:${Date.now()}`;
  const value = Buffer.alloc(MB, name);
  const client = await rawClient(bridge.port);
  expect(await client.call("SET", key, value)).toBe("+OK\r\n");
  return { bridge, key, value, client };
}

describe("a client that never reads its replies", () => {
  it("holds a bounded part of the bridge's memory, and other clients are still served", async () => {
    const { bridge, key, value, client: other } = await bridgeWithBigValue("flood");
    expect(await other.call("SET", `${key}:small`, "s")).toBe("+OK\r\n");

    const baseline = process.memoryUsage().arrayBuffers;
    const flooder = await connect(bridge.port);
    flooder.pause(); // never reads: its replies pile up wherever something buffers them
    let peakBuffered = 0;
    let peakMemory = 0;
    const sample = () => {
      peakBuffered = Math.max(peakBuffered, bridge.stats().bufferedBytes);
      peakMemory = Math.max(peakMemory, process.memoryUsage().arrayBuffers - baseline);
    };
    const sampler = setInterval(sample, 20);
    cleanups.push(() => clearInterval(sampler));

    // 200 GETs of 1 MB, one per write so each is its own frame (a Worker reply per GET): 200 MB of replies.
    const get = encodeCommand(["GET", key]);
    for (let i = 0; i < 200; i++) {
      flooder.write(get);
      await sleep(5);
      // Meanwhile, another client is served (small replies: big ones would blur the memory measure).
      if (i % 50 === 25) expect(await other.pipeline([["PING"], ["GET", `${key}:small`]])).toEqual(["+PONG\r\n", "$1\r\ns\r\n"]);
    }
    // Long enough for the Worker to answer every GET the bridge let through.
    for (let i = 0; i < 40; i++) {
      await sleep(100);
      sample();
    }
    clearInterval(sampler);
    expect(await other.call("GET", key)).toBe(bulk(value));

    // Memory includes garbage not yet collected; without the bound it grows by the 200 MB of replies.
    expect(peakMemory).toBeLessThan(64 * MB);
    expect(peakBuffered).toBeLessThanOrEqual(BRIDGE_BUFFER_BOUND + ONE_FRAME);
  });
});

/** What a client that keeps writing after a protocol error observes. */
interface AfterDesync {
  reply: string;
  /** The server's FIN arrived. */
  ended: boolean;
  /** The connection closed without the client ending it (its further writes were refused). */
  closed: boolean;
  /** Bytes answered to the writes after the error. */
  answeredAfter: string;
}

async function desync(port: number, bytes: Buffer): Promise<AfterDesync> {
  // allowHalfOpen: the client does not end its side when the server does, as redis-cli does not.
  const s = await connect(port, { allowHalfOpen: true });
  let received = "";
  let ended = false;
  let closed = false;
  s.on("data", (d: Buffer) => (received += d.toString("latin1")));
  s.on("end", () => (ended = true));
  s.on("error", () => {});
  s.on("close", () => (closed = true));
  s.write(bytes);
  for (let i = 0; i < 100 && !ended; i++) await sleep(50);
  const reply = received;
  // Keep writing, as a client that has not noticed does.
  for (let i = 0; i < 20 && !closed; i++) {
    s.write(encodeCommand(["PING"]));
    await sleep(100);
  }
  return { reply, ended, closed, answeredAfter: received.slice(reply.length) };
}

describe("a protocol error", () => {
  const cases: [string, Buffer][] = [
    ["a multibulk item that is not a bulk", Buffer.from("*1\r\nfoo\r\n", "latin1")],
    ["an unterminated inline request over the inline limit", Buffer.alloc(70 * 1024, "a")],
    ["a NUL hiding the line end of a multibulk length, over the limit", Buffer.concat([Buffer.from("*\x00\r\n", "latin1"), Buffer.alloc(70 * 1024, "b")])],
  ];

  it.each(cases)("(%s) is answered, then the connection is closed in both directions, as redis-server does", async (_what, bytes) => {
    const expected = await desync(redisPort, bytes);
    expect(expected.reply).toMatch(/^-ERR Protocol error: .*\r\n$/);
    expect(expected).toMatchObject({ ended: true, closed: true, answeredAfter: "" });

    const bridge = await ownBridge();
    expect(await desync(bridge.port, bytes)).toEqual(expected);
    // The bridge let go of the connection.
    for (let i = 0; i < 50 && bridge.stats().connections > 0; i++) await sleep(20);
    expect(bridge.stats().connections).toBe(0);
  });
});

/** A TCP proxy to the Worker that holds every connection until `open()`: the bridge's WebSocket stays unopened. */
async function gate(targetUrl: string): Promise<{ url: string; open(): void }> {
  const target = new URL(targetUrl);
  const held: net.Socket[] = [];
  let opened = false;
  const pipe = (s: net.Socket) => {
    const upstream = net.connect({ host: target.hostname, port: Number(target.port) });
    upstream.on("error", () => s.destroy());
    s.on("error", () => upstream.destroy());
    s.pipe(upstream).pipe(s);
    s.resume();
  };
  const server = net.createServer((s) => {
    s.pause();
    if (opened) pipe(s);
    else held.push(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of held) s.destroy();
        server.close(() => r());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    open: () => {
      opened = true;
      held.splice(0).forEach(pipe);
    },
  };
}

describe("bytes sent before the WebSocket opens", () => {
  it("are relayed in order once it opens, and the bridge reads no more of them than its bound", async () => {
    const proxy = await gate(hotslotUrl);
    const bridge = await ownBridge(proxy.url);
    const client = await rawClient(bridge.port);
    // 48 MB of ECHOs, each 1 MB of its own byte: far more than the bound plus what the kernel's socket buffers take.
    const chunks = Array.from({ length: 48 }, (_, i) => Buffer.alloc(MB, 0x41 + (i % 26)));
    client.socket.write(Buffer.concat(chunks.map((c) => encodeCommand(["ECHO", c]))));
    let peakBuffered = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(50);
      peakBuffered = Math.max(peakBuffered, bridge.stats().bufferedBytes);
    }
    expect(peakBuffered).toBeGreaterThan(0);
    expect(peakBuffered).toBeLessThanOrEqual(BRIDGE_BUFFER_BOUND + ONE_FRAME);
    // The rest waits on the client's side.
    expect(client.socket.writableLength).toBeGreaterThan(0);

    proxy.open();
    const replies = await client.read(chunks.length, 60_000);
    expect(replies.map((r, i) => r === bulk(chunks[i]))).toEqual(chunks.map(() => true));
    expect(await client.call("PING")).toBe("+PONG\r\n");
  });
});

describe("a client that half-closes and reads its replies late", () => {
  it("still gets every reply: a WebSocket held back for it is not a silent Worker", async () => {
    const { key, value, client } = await bridgeWithBigValue("late");
    client.socket.pause();
    // 24 MB of replies, one frame each (one write each), then EOF, all before the replies back
    // up: more than the bridge holds, so it stops reading the WebSocket after the EOF.
    for (let i = 0; i < 24; i++) {
      client.socket.write(encodeCommand(["GET", key]));
      await new Promise((r) => setImmediate(r));
    }
    client.socket.end();
    // Longer than the bridge waits for a silent Worker after the client's EOF (2 s).
    await sleep(3000);
    client.socket.resume();
    const replies = await client.read(24);
    expect(replies.filter((r) => r === bulk(value)).length).toBe(24);
    await client.closed;
  });
});
