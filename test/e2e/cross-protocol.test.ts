/**
 * Cross-protocol scripting through the TCP bridge: a web page can make the browser send
 * an HTTP request to 127.0.0.1:6379, e.g. fetch("http://127.0.0.1:6379/", {method: "POST",
 * body: "FLUSHALL\r\n"}). Its request line and headers arrive as inline commands, and its
 * body would then run with the bridge's token. Like redis-server 7.0, the session closes the
 * connection, without a reply, at a `POST` or `Host:` command, and the body never runs.
 * Each case is sent to the real redis-server too, which must behave the same.
 */
import net from "node:net";
import { describe, expect, inject, it } from "vitest";

const bridgePort = inject("bridgePort");
const redisPort = inject("redisPort");

/** Sends `bytes` on a new connection; resolves with what came back once the server closed it. */
function sendAndWaitForClose(port: number, bytes: string, timeoutMs = 10_000): Promise<{ received: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(bytes));
    let received = "";
    socket.on("data", (d) => (received += d.toString("latin1")));
    socket.on("error", () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closedByServer: false });
    }, timeoutMs);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ received, closedByServer: true });
    });
  });
}

/** One command on a fresh connection (RESP), its reply. */
async function command(port: number, ...argv: string[]): Promise<string> {
  const wire = `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(wire));
    let received = "";
    socket.on("data", (d) => {
      received += d.toString("latin1");
      if (received.endsWith("\r\n")) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
  });
}

function browserPost(key: string): string {
  const body = `SET ${key} pwned\r\n`;
  return (
    "POST / HTTP/1.1\r\n" +
    "Host: 127.0.0.1:6379\r\n" +
    "Origin: https://evil.example\r\n" +
    "Content-Type: text/plain;charset=UTF-8\r\n" +
    `Content-Length: ${body.length}\r\n\r\n` +
    body
  );
}

describe("an HTTP request sent to the bridge", () => {
  for (const [name, port] of [
    ["hotslot", bridgePort],
    ["redis-server", redisPort],
  ] as const) {
    it(`is refused at its request line, its body never runs (${name})`, async () => {
      const key = `xproto:${name}:post`;
      const { received, closedByServer } = await sendAndWaitForClose(port, browserPost(key));
      expect(closedByServer).toBe(true);
      expect(received).toBe("");
      expect(await command(port, "EXISTS", key)).toBe(":0\r\n");
    });

    it(`is refused at a Host: header, in any case, even after other commands (${name})`, async () => {
      const key = `xproto:${name}:host`;
      const { received, closedByServer } = await sendAndWaitForClose(port, `PING\r\nhOsT: 127.0.0.1\r\nSET ${key} pwned\r\n`);
      expect(closedByServer).toBe(true);
      expect(received).toBe("");
      expect(await command(port, "EXISTS", key)).toBe(":0\r\n");
    });

    it(`is refused when POST comes as a RESP command too (${name})`, async () => {
      const key = `xproto:${name}:resp`;
      const { closedByServer } = await sendAndWaitForClose(port, `*1\r\n$4\r\npost\r\n*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nv\r\n`);
      expect(closedByServer).toBe(true);
      expect(await command(port, "EXISTS", key)).toBe(":0\r\n");
    });
  }

  it("leaves POST and Host: out of COMMAND INFO, as redis-server does", async () => {
    for (const port of [bridgePort, redisPort]) {
      expect(await command(port, "COMMAND", "INFO", "post", "host:")).toBe("*2\r\n$-1\r\n$-1\r\n");
    }
  });
});
