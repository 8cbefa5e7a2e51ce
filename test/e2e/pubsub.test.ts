/**
 * Pub/Sub end to end: ioredis and node-redis subscribers through the TCP bridge, a raw RESP
 * WebSocket subscriber and @upstash/redis's subscribe() over HTTP (Server-Sent Events) all
 * receive, in order, what the other protocols publish; and the replies and errors of the
 * Pub/Sub commands, in RESP2 and RESP3, byte for byte against the real redis-server.
 */
import { Redis as Upstash } from "@upstash/redis";
import { Redis } from "ioredis";
import { createClient } from "redis";

/** Node's global WebSocket (undici), as much of it as these tests use. */
interface NodeWebSocket {
  binaryType: string;
  send(data: Uint8Array): void;
  close(): void;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
}
const NodeWebSocketImpl = (globalThis as unknown as { WebSocket: new (url: string) => NodeWebSocket }).WebSocket;
function openWebSocket(url: string): Promise<NodeWebSocket> {
  const ws = new NodeWebSocketImpl(url);
  ws.binaryType = "arraybuffer";
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve(ws));
    ws.addEventListener("error", () => reject(new Error("websocket failed")));
  });
}
import { afterAll, describe, expect, inject, it } from "vitest";
import { RawRedis, encodeCommand } from "./setup/tools";

const bridgePort = inject("bridgePort");
const redisPort = inject("redisPort");
const hotslotUrl = inject("hotslotUrl");
const wsUrl = inject("wsUrl");
const token = inject("token");

const P = `e2e:pubsub:${process.pid}:${Date.now().toString(36)}:`;
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});

async function until(pred: () => boolean, ms = 10_000, state: () => unknown = () => ""): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${JSON.stringify(state())}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("subscribers of every protocol receive what every protocol publishes", () => {
  it("ioredis, node-redis (RESP3), a raw WebSocket and @upstash/redis subscribe()", async () => {
    const channel = `${P}news`;
    const got: Record<string, string[]> = { ioredis: [], noderedis: [], upstash: [] };

    const io = new Redis({ port: bridgePort, lazyConnect: true, maxRetriesPerRequest: 0 });
    await io.connect();
    closers.push(() => io.disconnect());
    io.on("message", (ch: string, m: string) => ch === channel && got.ioredis.push(m));
    expect(await io.subscribe(channel)).toBe(1);

    const nr = createClient({ socket: { port: bridgePort }, RESP: 3 });
    await nr.connect();
    closers.push(() => nr.destroy());
    await nr.subscribe(channel, (m) => got.noderedis.push(m));

    const ws = await openWebSocket(`${wsUrl}?token=${token}`);
    closers.push(() => ws.close());
    let raw = "";
    ws.addEventListener("message", (e) => (raw += Buffer.from(e.data as ArrayBuffer).toString("latin1")));
    ws.send(encodeCommand(["SUBSCRIBE", channel]));
    await until(() => raw.includes(":1\r\n"), 10_000, () => raw);
    raw = "";

    const upstash = new Upstash({ url: hotslotUrl, token, automaticDeserialization: false });
    const sub = upstash.subscribe([channel]);
    closers.push(() => sub.unsubscribe());
    let upstashSubscribed = false;
    sub.on("subscribe", () => (upstashSubscribed = true));
    sub.on("message", ({ message }) => got.upstash.push(String(message)));
    await until(() => upstashSubscribed, 10_000, () => "upstash subscribe");

    // Four publishers, one after another: ioredis (bridge), HTTP path form, @upstash/redis, raw WebSocket.
    const publisher = new Redis({ port: bridgePort, lazyConnect: true });
    await publisher.connect();
    closers.push(() => publisher.disconnect());
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) {
      sent.push(`io-${i}`);
      expect(await publisher.publish(channel, `io-${i}`)).toBe(4);
    }
    for (let i = 0; i < 5; i++) {
      sent.push(`http-${i}`);
      const res = await fetch(`${hotslotUrl}/publish/${encodeURIComponent(channel)}/http-${i}`, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
      expect(await res.json()).toEqual({ result: 4 });
    }
    for (let i = 0; i < 5; i++) {
      sent.push(`up-${i}`);
      expect(await upstash.publish(channel, `up-${i}`)).toBe(4);
    }
    const wsPub = await openWebSocket(`${wsUrl}?token=${token}`);
    closers.push(() => wsPub.close());
    wsPub.send(Buffer.concat(Array.from({ length: 5 }, (_, i) => encodeCommand(["PUBLISH", channel, `ws-${i}`]))));
    for (let i = 0; i < 5; i++) sent.push(`ws-${i}`);

    await until(
      () => Object.values(got).every((g) => g.length >= sent.length) && (raw.match(/message/g) ?? []).length >= sent.length,
      10_000,
      () => ({ got, raw }),
    );
    expect(got.ioredis).toEqual(sent);
    expect(got.noderedis).toEqual(sent);
    expect(got.upstash).toEqual(sent);
    const rawMessages = [...raw.matchAll(/\*3\r\n\$7\r\nmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]);
    expect(rawMessages).toEqual(sent);
  });

  it("ioredis psubscribe receives keyspace notifications", async () => {
    const io = new Redis({ port: bridgePort, lazyConnect: true });
    await io.connect();
    closers.push(() => io.disconnect());
    const cmdc = new Redis({ port: bridgePort, lazyConnect: true });
    await cmdc.connect();
    closers.push(() => cmdc.disconnect());
    const events: string[] = [];
    io.on("pmessage", (_p: string, ch: string, m: string) => m.startsWith(P) && events.push(`${ch} ${m}`));
    await io.psubscribe("__keyevent@0__:*");
    await cmdc.config("SET", "notify-keyspace-events", "KEA");
    try {
      await cmdc.set(`${P}k`, "v", "PX", 100);
      await cmdc.rpush(`${P}l`, "a");
      await until(() => events.includes(`__keyevent@0__:expired ${P}k`));
      expect(events).toEqual(expect.arrayContaining([`__keyevent@0__:set ${P}k`, `__keyevent@0__:rpush ${P}l`, `__keyevent@0__:expired ${P}k`]));
    } finally {
      await cmdc.config("SET", "notify-keyspace-events", "");
    }
  });
});

describe("ghosts", () => {
  it("a bridge subscriber that disconnects is no longer counted within a second", async () => {
    const channel = `${P}ghost`;
    const io = new Redis({ port: bridgePort, lazyConnect: true });
    await io.connect();
    await io.subscribe(channel);
    const pub = new Redis({ port: bridgePort, lazyConnect: true });
    await pub.connect();
    closers.push(() => pub.disconnect());
    expect(await pub.publish(channel, "x")).toBe(1);
    io.disconnect();
    const start = Date.now();
    let n = 1;
    while (Date.now() - start < 1000 && (n = await pub.publish(channel, "x")) !== 0) await new Promise((r) => setTimeout(r, 5));
    expect(n).toBe(0);
    console.log(`pubsub e2e: a disconnected subscriber stopped counting after ${Date.now() - start} ms`);
  });
});

describe("replies and errors as redis-server 7.0", () => {
  /**
   * Each step: a command and how many replies it produces. UNSUBSCRIBE without arguments
   * answers in the order of Redis's dict (a hash order): its replies are compared as a set.
   */
  const script = (ch: string): [string[], number][] => [
    [["SUBSCRIBE"], 1],
    [["UNSUBSCRIBE"], 1],
    [["PUNSUBSCRIBE"], 1],
    [["SUNSUBSCRIBE"], 1],
    [["SUBSCRIBE", `${ch}a`, `${ch}b`, `${ch}a`], 3],
    [["PSUBSCRIBE", `${ch}*`], 1],
    [["SSUBSCRIBE", `${ch}s`], 1],
    [["GET", "x"], 1],
    [["PUBSUB", "NUMSUB"], 1],
    [["PING"], 1],
    [["PING", "hello"], 1],
    [["NOSUCHCOMMAND"], 1],
    [["SET", "x"], 1],
    [["UNSUBSCRIBE", `${ch}zz`], 1],
    [["PUNSUBSCRIBE"], 1],
    [["UNSUBSCRIBE"], 2],
    [["SUNSUBSCRIBE"], 1],
    [["PING"], 1],
    [["PUBSUB", "NUMSUB", `${ch}nobody`], 1],
    [["PUBSUB", "FOO"], 1],
    [["PUBSUB", "CHANNELS", "a", "b"], 1],
    [["PUBSUB", "NUMPAT", "x"], 1],
    [["PUBSUB", "HELP"], 1],
    [["PUBLISH", "x"], 1],
    [["PUBLISH", `${ch}nobody`, "m"], 1],
    [["SPUBLISH", `${ch}nobody`, "m"], 1],
  ];

  for (const resp of [2, 3]) {
    it(`RESP${resp}`, async () => {
      const ours = await RawRedis.connect(bridgePort);
      const theirs = await RawRedis.connect(redisPort);
      closers.push(() => ours.close(), () => theirs.close());
      if (resp === 3) {
        await ours.call("HELLO", "3");
        await theirs.call("HELLO", "3");
      }
      for (const [argv, n] of script(`${P}r${resp}:`)) {
        ours.socket.write(encodeCommand(argv));
        theirs.socket.write(encodeCommand(argv));
        const [a, b] = [await ours.read(n), await theirs.read(n)];
        if (argv.length === 1 && n > 1) {
          // Only the channel order may differ: the counts still go down one by one.
          const names = (r: string[]) => r.map((x) => x.replace(/:\d+\r\n$/, "")).sort();
          expect(names(a), argv.join(" ")).toEqual(names(b));
          expect(a.map((x) => x.slice(x.lastIndexOf(":"))), argv.join(" ")).toEqual(b.map((x) => x.slice(x.lastIndexOf(":"))));
        } else {
          expect(a, argv.join(" ")).toEqual(b);
        }
      }
    });
  }

  it("messages, pmessages and smessages have Redis's shape in RESP2 and RESP3", async () => {
    for (const resp of [2, 3]) {
      const ch = `${P}shape${resp}:`;
      const pairs = await Promise.all([RawRedis.connect(bridgePort), RawRedis.connect(redisPort)]);
      const pubs = await Promise.all([RawRedis.connect(bridgePort), RawRedis.connect(redisPort)]);
      closers.push(...pairs.map((c) => () => c.close()), ...pubs.map((c) => () => c.close()));
      const out: string[][] = [];
      for (let i = 0; i < 2; i++) {
        const s = pairs[i];
        if (resp === 3) await s.call("HELLO", "3");
        await s.call("SUBSCRIBE", `${ch}c`);
        await s.call("PSUBSCRIBE", `${ch}*`);
        await s.call("SSUBSCRIBE", `${ch}s`);
        await pubs[i].call("PUBLISH", `${ch}c`, "m\x00\xff");
        await pubs[i].call("SPUBLISH", `${ch}s`, "sm");
        out.push(await s.read(3));
      }
      expect(out[0]).toEqual(out[1]);
    }
  });
});
