import { describe, expect, it } from "vitest";
import { cmd, connect } from "./helpers";

describe("router smoke", () => {
  it("answers PING over HTTP", async () => {
    expect(await cmd("PING")).toBe("PONG");
  });
  it("speaks RESP over WebSocket, inline and multibulk in one frame", async () => {
    const c = await connect();
    expect(await c.send("*1\r\n$4\r\nPING\r\nECHO hi\r\n")).toBe("+PONG\r\n$2\r\nhi\r\n");
    c.close();
  });
});

describe("an unauthenticated WebSocket session", () => {
  it("gets Redis's tighter request limits until it authenticates", async () => {
    const c = await connect("", null);
    const big = ["SET", "k", ..."v".repeat(11).split("")];
    expect(await c.call(big)).toBe("-ERR Protocol error: unauthenticated multibulk length\r\n");
    await c.closed;
    const d = await connect("", null);
    expect(await d.call(["AUTH", "test-token"])).toBe("+OK\r\n");
    expect(await d.call(["DEL", ..."k".repeat(20).split("")])).toBe(":0\r\n");
    d.close();
  });
});
