/**
 * Pipelining, full stack: hundreds of frames of random commands across every shard sent
 * without waiting — over a raw WebSocket and over the TCP bridge — answer byte for byte
 * as redis-server 7.0 answers the same stream (order, transactions, WATCH, session
 * commands and split commands included).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { multibulk, randomFrames } from "../support/gen-pipeline";
import { RawRedis } from "./setup/tools";

const FRAMES = 300;

let redis: RawRedis;
let bridge: RawRedis;

beforeAll(async () => {
  redis = await RawRedis.connect(inject("redisPort"));
  bridge = await RawRedis.connect(inject("bridgePort"));
});

afterAll(() => {
  redis?.close();
  bridge?.close();
});

/** Writes every frame at once (one write each) and reads all their replies as one string. */
async function overTcp(c: RawRedis, frames: string[][][]): Promise<string> {
  expect(await c.call("FLUSHALL")).toBe("+OK\r\n");
  for (const f of frames) c.socket.write(Buffer.from(multibulk(f), "latin1"));
  return (await c.read(frames.reduce((n, f) => n + f.length, 0), 60_000)).join("");
}

/** Sends every frame as a WebSocket message without waiting; resolves with `length` reply bytes. */
function overWebSocket(frames: string[][][], length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Node's WebSocket (no headers): the token goes in the query.
    const ws = new WebSocket(`${inject("wsUrl")}?token=${encodeURIComponent(inject("token"))}`);
    ws.binaryType = "arraybuffer";
    let got = "";
    const timer = setTimeout(() => reject(new Error(`timed out with ${got.length} of ${length} bytes`)), 60_000);
    ws.addEventListener("error", () => reject(new Error("websocket error")));
    ws.addEventListener("message", (e) => {
      got += typeof e.data === "string" ? Buffer.from(e.data, "utf8").toString("latin1") : Buffer.from(e.data as ArrayBuffer).toString("latin1");
      if (got.length >= length) {
        clearTimeout(timer);
        ws.close();
        resolve(got);
      }
    });
    ws.addEventListener("open", () => {
      for (const f of frames) ws.send(Buffer.from(multibulk(f), "latin1"));
    });
  });
}

describe("pipelined frames against redis-server", () => {
  for (const seed of [11, 12]) {
    it(`seed ${seed}: ${FRAMES} frames over the bridge and over a WebSocket answer as redis-server does`, async () => {
      const frames = randomFrames(seed, "p", FRAMES);
      const expected = await overTcp(redis, frames);
      expect(await overTcp(bridge, frames)).toBe(expected);
      expect(await bridge.call("FLUSHALL")).toBe("+OK\r\n");
      expect(await overWebSocket(frames, expected.length)).toBe(expected);
    });
  }
});
