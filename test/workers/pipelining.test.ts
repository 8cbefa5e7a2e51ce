/**
 * Pipelining within a RESP WebSocket session, inside workerd: frames sent without waiting
 * answer byte for byte as the same frames sent one at a time (across shards, with
 * transactions, WATCH and session commands among them); a connection's pipelined frames
 * share shard calls (counted by INFO's hotslot_rpc_calls); a blocking command holds later
 * frames back; and a client that disconnects right after BLPOP leaves no waiter behind to
 * swallow a later push.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { multibulk, randomFrames } from "../support/gen-pipeline";
import { cmd, connect, TOKEN } from "./helpers";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A WebSocket that sends raw frames without waiting and gathers every reply byte. */
async function rawConnection() {
  const res = await SELF.fetch("http://hotslot/", { headers: { Upgrade: "websocket", Authorization: `Bearer ${TOKEN}` } });
  const ws = res.webSocket!;
  ws.accept();
  let received = "";
  let messages = 0;
  let wake: (() => void) | null = null;
  // Messages are appended in arrival order (a Blob's bytes are read in turn).
  let chain = Promise.resolve();
  ws.addEventListener("message", (e) => {
    const data = e.data as ArrayBuffer | string | Blob;
    chain = chain.then(async () => {
      const bytes =
        typeof data === "string" ? new TextEncoder().encode(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(await data.arrayBuffer());
      for (const b of bytes) received += String.fromCharCode(b);
      messages++;
      wake?.();
    });
  });
  return {
    send(raw: string) {
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      ws.send(bytes);
    },
    /** Waits until `length` bytes have arrived (or 10 s), then returns them all. */
    async read(length: number): Promise<string> {
      const deadline = Date.now() + 3_000;
      while (received.length < length && Date.now() < deadline) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
      return received;
    },
    get messages() {
      return messages;
    },
    close: () => ws.close(),
    closed: new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code))),
  };
}

describe("pipelining on one connection", () => {
  it("answers frames sent without waiting byte for byte as the same frames sent one at a time", async () => {
    for (const seed of [1, 2, 3]) {
      const sequential = await connect();
      let expected = "";
      for (const frame of randomFrames(seed, `seq${seed}`, 150)) expected += await sequential.send(multibulk(frame));
      sequential.close();

      const pipelined = await rawConnection();
      for (const frame of randomFrames(seed, `pip${seed}`, 150)) pipelined.send(multibulk(frame));
      const got = await pipelined.read(expected.length);
      pipelined.close();
      expect(got.length).toBe(expected.length);
      expect(got).toBe(expected);
    }
  }, 60_000);

  it("shares shard calls between pipelined frames (INFO hotslot_rpc_calls)", async () => {
    const rpcs = async () => Number(/hotslot_rpc_calls:(\d+)/.exec(await cmd("INFO", "stats"))![1]);
    const c = await rawConnection();
    // Settle: the INFO call itself is one call per shard.
    const before = await rpcs();
    let expected = "";
    for (let f = 0; f < 100; f++) {
      c.send(multibulk(Array.from({ length: 10 }, (_, i) => ["SET", `{rpc}k${i}`, String(f)])));
      expected += "+OK\r\n".repeat(10);
    }
    expect(await c.read(expected.length)).toBe(expected);
    c.close();
    const used = (await rpcs()) - before - 4; // the second INFO's own calls
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(50);
    expect(await cmd("GET", "{rpc}k9")).toBe("99");
  });

  it("holds later frames back while a blocking command waits, and answers them after it", async () => {
    const waiter = await rawConnection();
    waiter.send(multibulk([["SET", "{b}x", "before"]]));
    waiter.send(multibulk([["BLPOP", "{b}q", "0"]]));
    waiter.send(multibulk([["GET", "{b}x"]]));
    await new Promise((r) => setTimeout(r, 50));
    // The GET must not have run yet: it sees the value set after the push.
    expect(await cmd("SET", "{b}x", "after")).toBe("OK");
    expect(await cmd("RPUSH", "{b}q", "job")).toBe(1);
    const expected = "+OK\r\n*2\r\n$4\r\n{b}q\r\n$3\r\njob\r\n$5\r\nafter\r\n";
    expect(await waiter.read(expected.length)).toBe(expected);
    waiter.close();
  });

  it("leaves no waiter behind when a client disconnects right after sending BLPOP", async () => {
    for (let i = 0; i < 10; i++) {
      const list = `{race}l${i}`;
      const c = await rawConnection();
      c.send(multibulk([["BLPOP", list, "0"]]));
      if (i % 2 === 1) await new Promise((r) => setTimeout(r, 5));
      c.close();
      await new Promise((r) => setTimeout(r, 300));
      expect(await cmd("LPUSH", list, "kept")).toBe(1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await cmd("LRANGE", list, "0", "-1")).toEqual(["kept"]);
    }
  });

  it("closes a connection whose query buffer passes 32 MB (an unfinished multibulk after AUTH)", async () => {
    const c = await rawConnection();
    const mb = "x".repeat(1024 * 1024);
    c.send("*100\r\n");
    for (let i = 0; i < 34; i++) c.send(`$${mb.length}\r\n${mb}\r\n`);
    expect(await c.closed).toBe(1009);
    // Other connections carry on.
    expect(await cmd("PING")).toBe("PONG");
  }, 30_000);

  it("closes the connection that would take the input all connections hold past 64 MB, and no other", async () => {
    // Three connections (one gateway, one isolate), each well under its own 32 MB: the third
    // unfinished 22 MB multibulk would make 66 MB held together.
    const conns = [await rawConnection(), await rawConnection(), await rawConnection()];
    const mb = "x".repeat(1024 * 1024);
    for (const c of conns) {
      c.send("*24\r\n$3\r\nDEL\r\n");
      for (let i = 0; i < 22; i++) c.send(`$${mb.length}\r\n${mb}\r\n`);
      await sleep(200);
    }
    expect(await Promise.race([conns[2].closed, sleep(5_000).then(() => "open")])).toBe(1009);
    // The first two are served when they finish their command (23 keys of 1 MB names: none exist).
    for (const c of conns.slice(0, 2)) {
      c.send(`$${mb.length}\r\n${mb}\r\n`);
    }
    expect(await conns[0].read(4)).toBe(":0\r\n");
    expect(await conns[1].read(4)).toBe(":0\r\n");
    for (const c of conns.slice(0, 2)) c.close();
    expect(await cmd("PING")).toBe("PONG");
  }, 60_000);
});
