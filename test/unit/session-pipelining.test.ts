/**
 * A RESP session taking frames before earlier ones have answered (src/router/session.ts):
 * shard calls of later frames go out at once, session commands wait for every earlier
 * reply, replies keep request order and the RESP version each command ran in, and a
 * frame's replies come back in pieces of about 1 MB, never one huge string.
 */
import { describe, expect, it } from "vitest";
import { Authenticator } from "../../src/router/auth";
import { REPLY_PIECE_BYTES, RespSession } from "../../src/router/session";
import { MemoryPool } from "../support/memory-pool";

const auth = new Authenticator({ token: null, readonlyToken: null });

describe("RespSession pipelining", () => {
  it("sends later frames' shard calls before earlier frames answer, replies in order", async () => {
    const pool = new MemoryPool(2);
    const s = new RespSession(pool, auth, null);
    const frames = Array.from({ length: 20 }, (_, i) => [["INCR", "n"], ["SET", `k${i}`, String(i)], ["GET", `k${i}`]]);
    const pending = frames.map((f) => s.submit(f));
    // Every frame was routed synchronously: the shards have seen all of them already.
    expect(pool.calls.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
    const out = (await Promise.all(pending)).map((p) => p.join(""));
    expect(out).toEqual(frames.map((_, i) => `:${i + 1}\r\n+OK\r\n$${String(i).length}\r\n${i}\r\n`));
  });

  it("runs a session command after every earlier reply and later frames after it", async () => {
    const pool = new MemoryPool(2);
    const s = new RespSession(pool, auth, null);
    const a = s.submit([["SET", "x", "1"]]);
    const b = s.submit([["HELLO", "3"], ["HSET", "h", "f", "v"], ["HGETALL", "h"]]);
    const c = s.submit([["HGETALL", "h"], ["HELLO", "2"], ["HGETALL", "h"]]);
    expect((await a).join("")).toBe("+OK\r\n");
    const hello = (await b).join("");
    expect(hello.endsWith(":1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n")).toBe(true);
    const last = (await c).join("");
    expect(last.startsWith("%1\r\n$1\r\nf\r\n$1\r\nv\r\n")).toBe(true);
    expect(last.endsWith("*2\r\n$1\r\nf\r\n$1\r\nv\r\n")).toBe(true);
  });

  it("answers a frame of many big GETs in pieces of about 1 MB", async () => {
    const pool = new MemoryPool(1);
    const s = new RespSession(pool, auth, null);
    const value = "v".repeat(1024 * 1024);
    await s.submit([["SET", "big", value]]);
    // 20 MB of replies: under MAX_REPLY_BYTES (24 MiB), the bound on one batch's replies.
    const pieces = await s.submit(Array.from({ length: 20 }, () => ["GET", "big"]));
    expect(pieces.length).toBeGreaterThanOrEqual(10);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(2 * REPLY_PIECE_BYTES);
    const one = `$${value.length}\r\n${value}\r\n`;
    expect(pieces.reduce((n, p) => n + p.length, 0)).toBe(20 * one.length);
    expect(pieces.join("") === one.repeat(20)).toBe(true);
  });
});
