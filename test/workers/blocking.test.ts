/**
 * Blocking commands through the router and a real shard Durable Object: a WebSocket client
 * blocked on BLPOP is woken by a push from another connection; over HTTP a blocking
 * command waits for its timeout (up to a bound) and then replies as on timeout.
 */
import { describe, expect, it } from "vitest";
import { cmd, connect, http } from "./helpers";

describe("blocking commands", () => {
  it("wake a WebSocket client blocked on BLPOP when another connection pushes", async () => {
    const waiter = await connect();
    const pusher = await connect();
    const reply = waiter.call(["BLPOP", "{b}queue", "0"]);
    await new Promise((r) => setTimeout(r, 20));
    expect(await pusher.call(["RPUSH", "{b}queue", "hello"])).toBe(":1\r\n");
    expect(await reply).toBe("*2\r\n$8\r\n{b}queue\r\n$5\r\nhello\r\n");
    expect(await pusher.call(["LLEN", "{b}queue"])).toBe(":0\r\n");
    waiter.close();
    pusher.close();
  });

  it("answer the next commands of a connection only after its blocking command", async () => {
    const c = await connect();
    expect(await c.call(["BLPOP", "{b}none", "0.05"], ["PING"])).toBe("*-1\r\n+PONG\r\n");
    c.close();
  });

  it("wait over HTTP until their timeout, then reply null", async () => {
    const started = Date.now();
    expect(await cmd("BLPOP", "{b}empty", "0.1")).toBe(null);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await cmd("RPUSH", "{b}full", "x");
    expect((await http(["BRPOP", "{b}full", "1"])).json).toEqual({ result: ["{b}full", "x"] });
  });
});
