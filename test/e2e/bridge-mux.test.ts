/**
 * The bridge's multiplexed mode (scripts/bridge-mux.mjs, src/router/mux.ts) against the real
 * Worker: many TCP clients over ONE WebSocket, each still a Redis connection of its own —
 * its own order, replies, transaction, name and close — and a client that goes away
 * mid-BLPOP leaves no waiter behind (at once: the push after it stays in the list); QUIT
 * closes that client only.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { startBridge, type Bridge } from "../../scripts/bridge.mjs";
import { RawRedis } from "./setup/tools";

const hotslotUrl = inject("hotslotUrl");
const token = inject("token");

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function muxBridge(): Promise<Bridge> {
  const bridge = await startBridge({ port: 0, url: hotslotUrl, token, log: null, mux: true });
  cleanups.push(() => bridge.close());
  return bridge;
}

async function client(port: number): Promise<RawRedis> {
  const c = await RawRedis.connect(port);
  cleanups.push(() => c.close());
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("many clients over one multiplexed WebSocket", () => {
  it("each keep their own order, replies and session state", async () => {
    const bridge = await muxBridge();
    const clients = await Promise.all(Array.from({ length: 20 }, () => client(bridge.port)));
    const tag = `mux:${Date.now()}`;
    await Promise.all(
      clients.map(async (c, i) => {
        expect(await c.call("CLIENT", "SETNAME", `c${i}`)).toBe("+OK\r\n");
        for (let f = 0; f < 15; f++) {
          const replies = await c.pipeline([["RPUSH", `{${tag}}log`, `${i}.${f}`], ["INCR", `{${tag}}n${i}`], ["CLIENT", "GETNAME"]]);
          expect(replies.slice(1)).toEqual([`:${f + 1}\r\n`, `$${String(`c${i}`).length}\r\nc${i}\r\n`]);
        }
      }),
    );
    const log = await clients[0].call("LRANGE", `{${tag}}log`, "0", "-1");
    for (let i = 0; i < clients.length; i++) {
      const mine = [...log.matchAll(new RegExp(`\\r\\n(${i}\\.\\d+)\\r\\n`, "g"))].map((m) => m[1]);
      expect(mine).toEqual(Array.from({ length: 15 }, (_, f) => `${i}.${f}`));
    }
    // A transaction is its connection's alone.
    const [a, b] = clients;
    expect(await a.pipeline([["MULTI"], ["INCR", `{${tag}}tx`]])).toEqual(["+OK\r\n", "+QUEUED\r\n"]);
    expect(await b.call("GET", `{${tag}}tx`)).toBe("$-1\r\n");
    expect(await a.call("EXEC")).toBe("*1\r\n:1\r\n");
  });

  it("closes only the client that QUITs, and releases the BLPOP of a client that goes away", async () => {
    const bridge = await muxBridge();
    const [quitter, stayer, waiter] = await Promise.all([client(bridge.port), client(bridge.port), client(bridge.port)]);
    const key = `mux:list:${Date.now()}`;
    expect(await quitter.call("QUIT")).toBe("+OK\r\n");
    await quitter.closed;
    expect(await stayer.call("PING")).toBe("+PONG\r\n");
    // A waiter that disconnects mid-BLPOP must not swallow the next push.
    waiter.socket.write(`*3\r\n$5\r\nBLPOP\r\n$${key.length}\r\n${key}\r\n$1\r\n0\r\n`);
    await sleep(200);
    waiter.socket.destroy();
    // Released at its end of input, as Redis frees the client: not after the bridge's 2 s
    // drain grace, during which the push would have gone to a client that is gone.
    await sleep(300);
    expect(await stayer.call("RPUSH", key, "x")).toBe(":1\r\n");
    expect(await stayer.call("LPOP", key)).toBe("$1\r\nx\r\n");
  });

  it("keeps a connection's unacknowledged replies within the router's window, and sends the rest as the bridge acknowledges", async () => {
    // The router's side of the flow control, on a raw multiplexed socket that acknowledges by
    // hand: 20 GETs of a 1 MiB value answered at once would put 20 MiB on the way to a bridge.
    const MB = 1024 * 1024;
    // Node's WebSocket (no headers): the token goes in the query.
    const ws = new WebSocket(`${inject("wsUrl")}?token=${encodeURIComponent(token)}&mux=1&acks=1`);
    ws.binaryType = "arraybuffer";
    cleanups.push(() => ws.close());
    await new Promise((resolve, reject) => (ws.addEventListener("open", resolve), ws.addEventListener("error", reject)));
    let received = 0;
    ws.addEventListener("message", (e) => {
      const data = Buffer.from(e.data as ArrayBuffer);
      for (let at = 0; at + 9 <= data.length; ) {
        const length = data.readUInt32BE(at + 5);
        if (data[at] === 2) received += length;
        at += 9 + length;
      }
    });
    const record = (kind: number, payload: Buffer | null) => {
      const head = Buffer.alloc(9);
      head[0] = kind;
      head.writeUInt32BE(1, 1);
      head.writeUInt32BE(payload?.length ?? 0, 5);
      return payload ? Buffer.concat([head, payload]) : head;
    };
    const resp = (...argv: (string | Buffer)[]) => Buffer.concat([Buffer.from(`*${argv.length}\r\n`), ...argv.flatMap((a) => [Buffer.from(`$${Buffer.byteLength(a)}\r\n`), Buffer.from(a), Buffer.from("\r\n")])]);
    const key = `mux:window:${Date.now()}`;
    ws.send(Buffer.concat([record(1, null), record(2, resp("SET", key, Buffer.alloc(MB, "w")))]));
    await sleep(300);
    expect(received).toBe(5); // +OK
    ws.send(Buffer.concat(Array.from({ length: 20 }, () => record(2, resp("GET", key)))));
    await sleep(2000);
    // At most the window (8 MiB) unacknowledged, plus the reply that crossed it.
    expect(received).toBeGreaterThanOrEqual(8 * MB);
    expect(received).toBeLessThanOrEqual(9 * MB + 64);
    const ack = (bytes: number) => {
      const n = Buffer.alloc(4);
      n.writeUInt32BE(bytes, 0);
      ws.send(record(7, n));
    };
    ack(received);
    await sleep(2000);
    expect(received).toBeGreaterThanOrEqual(16 * MB);
    ack(received);
    await sleep(1500);
    expect(received).toBe(5 + 20 * (MB + `$${MB}\r\n\r\n`.length));
  });
});
