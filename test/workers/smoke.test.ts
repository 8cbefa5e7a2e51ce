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
