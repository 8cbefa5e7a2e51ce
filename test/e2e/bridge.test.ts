/**
 * The TCP bridge (scripts/bridge.mjs) on its own, against a minimal WebSocket server written
 * here (RFC 6455, enough for binary frames and close), so the relay contract is visible:
 * one TCP read → one binary frame, reads before the WebSocket opens are queued, server frames
 * reach the client byte for byte, each side's close closes the other, and the token travels
 * as a bearer header. Also the command line: port in use, token from .dev.vars.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge, type Bridge } from "../../scripts/bridge.mjs";

const BRIDGE_CLI = path.resolve(__dirname, "../../scripts/bridge.mjs");

// --- a minimal WebSocket server ---------------------------------------------------------

interface FakeConnection {
  /** Authorization header of the upgrade request. */
  authorization: string | undefined;
  /** Payloads of the binary/text frames received, one entry per frame. */
  frames: Buffer[];
  /** Resolves when the client's TCP connection to us has closed. */
  closed: Promise<void>;
  /** True once a close frame arrived from the client. */
  gotCloseFrame: boolean;
  send(payload: Buffer): void;
  close(code?: number): void;
}

interface FakeServer {
  url: string;
  connections: FakeConnection[];
  /** Resolves with the n-th connection (0-based) once it exists. */
  connection(n: number): Promise<FakeConnection>;
  stop(): Promise<void>;
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

async function fakeWebSocketServer(opts: { delayUpgradeMs?: number; refuseWith?: number } = {}): Promise<FakeServer> {
  const connections: FakeConnection[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    // The bridge asks over plain HTTP why an upgrade failed.
    res.writeHead(opts.refuseWith ?? 200).end("{}");
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req, socket: net.Socket) => {
    if (opts.refuseWith) {
      socket.end(`HTTP/1.1 ${opts.refuseWith} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const accept = createHash("sha1").update(req.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    let closedResolve!: () => void;
    const conn: FakeConnection = {
      authorization: req.headers.authorization,
      frames: [],
      closed: new Promise((r) => (closedResolve = r)),
      gotCloseFrame: false,
      send: (payload) => socket.write(frame(0x2, payload)),
      close: (code = 1000) => {
        const body = Buffer.alloc(2);
        body.writeUInt16BE(code);
        socket.write(frame(0x8, body));
      },
    };
    socket.on("close", () => closedResolve());
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    let message: Buffer[] = [];
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (buf.length < 2) return;
        const fin = (buf[0] & 0x80) !== 0;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        const masked = (buf[1] & 0x80) !== 0;
        const maskAt = at;
        if (masked) at += 4;
        if (buf.length < at + len) return;
        const payload = Buffer.from(buf.subarray(at, at + len));
        if (masked) for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i % 4)];
        buf = buf.subarray(at + len);
        if (opcode === 0x8) {
          conn.gotCloseFrame = true;
          socket.end(frame(0x8, payload.subarray(0, 2)));
        } else if (opcode === 0x9) {
          socket.write(frame(0xa, payload));
        } else if (opcode === 0x0 || opcode === 0x1 || opcode === 0x2) {
          message.push(payload);
          if (fin) {
            conn.frames.push(Buffer.concat(message));
            message = [];
          }
        }
      }
    });
    const handshake = () => {
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      connections.push(conn);
      waiters.splice(0).forEach((w) => w());
    };
    if (opts.delayUpgradeMs) setTimeout(handshake, opts.delayUpgradeMs);
    else handshake();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    connections,
    connection: async (n) => {
      while (connections.length <= n) await new Promise<void>((r) => waiters.push(r));
      return connections[n];
    },
    stop: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

// --- a TCP client -----------------------------------------------------------------------

interface Client {
  socket: net.Socket;
  received(): Buffer;
  /** Resolves once at least n bytes have arrived. */
  waitBytes(n: number): Promise<Buffer>;
  ended: Promise<void>;
}

async function tcpClient(port: number): Promise<Client> {
  const socket = net.connect({ host: "127.0.0.1", port });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const chunks: Buffer[] = [];
  let notify = () => {};
  socket.on("data", (d) => {
    chunks.push(d);
    notify();
  });
  const ended = new Promise<void>((r) => socket.once("close", () => r()));
  return {
    socket,
    received: () => Buffer.concat(chunks),
    waitBytes: async (n) => {
      while (Buffer.concat(chunks).length < n) await new Promise<void>((r) => (notify = r));
      return Buffer.concat(chunks);
    },
    ended,
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

// --- tests ------------------------------------------------------------------------------

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: Parameters<typeof fakeWebSocketServer>[0] = {}, token: string | null = "tok") {
  const server = await fakeWebSocketServer(opts);
  cleanups.push(() => server.stop());
  const bridge: Bridge = await startBridge({ port: 0, url: server.url, token, log: null, mux: false });
  cleanups.push(() => bridge.close());
  const client = await tcpClient(bridge.port);
  cleanups.push(() => void client.socket.destroy());
  return { server, bridge, client };
}

describe("the TCP bridge", () => {
  it("sends each TCP read as one binary WebSocket frame, in order", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    const writes = ["*1\r\n$4\r\nPING\r\n", "*2\r\n$4\r\nECHO\r\n$1\r\na\r\n*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPI", "NG\r\n"];
    for (const [i, w] of writes.entries()) {
      client.socket.write(w);
      await until(() => conn.frames.length === i + 1);
    }
    expect(conn.frames.map((f) => f.toString("latin1"))).toEqual(writes);
  });

  it("queues reads made before the WebSocket is open and sends them, one frame each, when it opens", async () => {
    const { server, client } = await setup({ delayUpgradeMs: 400 });
    client.socket.write("first");
    await new Promise((r) => setTimeout(r, 100));
    client.socket.write("second");
    const conn = await server.connection(0);
    await until(() => conn.frames.length === 2);
    expect(conn.frames.map((f) => f.toString())).toEqual(["first", "second"]);
  });

  it("relays large writes completely and in order", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    const big = Buffer.alloc(1_000_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    client.socket.write(big);
    await until(() => conn.frames.reduce((n, f) => n + f.length, 0) >= big.length);
    expect(Buffer.concat(conn.frames).equals(big)).toBe(true);
  });

  it("writes each frame from the Worker to the client byte for byte", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    conn.send(all);
    conn.send(Buffer.from("+PONG\r\n"));
    const got = await client.waitBytes(256 + 7);
    expect(got.equals(Buffer.concat([all, Buffer.from("+PONG\r\n")]))).toBe(true);
  });

  it("authenticates with the token as a bearer header, and sends none without a token", async () => {
    const { server } = await setup({}, "s3cret");
    expect((await server.connection(0)).authorization).toBe("Bearer s3cret");
    const { server: open } = await setup({}, null);
    expect((await open.connection(0)).authorization).toBeUndefined();
  });

  it("closes the WebSocket when the TCP client disconnects", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    client.socket.destroy();
    await conn.closed;
    expect(conn.gotCloseFrame).toBe(true);
  });

  it("closes the TCP connection when the Worker closes the WebSocket, after the last frame", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    conn.send(Buffer.from("+OK\r\n"));
    conn.close(1000);
    await client.ended;
    expect(client.received().toString()).toBe("+OK\r\n");
  });

  it("still delivers replies after the client half-closes, then closes", async () => {
    const { server, client } = await setup();
    const conn = await server.connection(0);
    client.socket.end("*1\r\n$4\r\nPING\r\n");
    await until(() => conn.frames.length === 1);
    await new Promise((r) => setTimeout(r, 200));
    conn.send(Buffer.from("+PONG\r\n"));
    await client.ended;
    expect(client.received().toString()).toBe("+PONG\r\n");
    await conn.closed;
  });

  it("tells the client why when the WebSocket is refused", async () => {
    const { client } = await setup({ refuseWith: 401 }, "wrong");
    await client.ended;
    expect(client.received().toString()).toMatch(/^-ERR Hotslot bridge: could not open ws:\/\/127\.0\.0\.1:\d+\/: the token was refused \(401 Unauthorized\)\r\n$/);
  });

  it("tells the client when the Worker is not reachable", async () => {
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const bridge = await startBridge({ port: 0, url: `http://127.0.0.1:${port}`, token: "t", log: null });
    cleanups.push(() => bridge.close());
    const client = await tcpClient(bridge.port);
    await client.ended;
    expect(client.received().toString()).toMatch(/^-ERR Hotslot bridge: could not open .*: the Worker is not reachable \(ECONNREFUSED\); is it running\?\r\n$/);
  });

  it("rejects with EADDRINUSE when the port is taken", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as net.AddressInfo).port;
    await expect(startBridge({ port, url: "http://127.0.0.1:1", log: null })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("the hotslot-bridge command", () => {
  function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcessWithoutNullStreams {
    const env = { ...process.env };
    delete env.HOTSLOT_TOKEN;
    delete env.HOTSLOT_URL;
    delete env.HOTSLOT_BRIDGE_PORT;
    Object.assign(env, opts.env);
    const child = spawn(process.execPath, [BRIDGE_CLI, ...args], { cwd: opts.cwd, env });
    cleanups.push(() => {
      child.kill();
    });
    return child;
  }

  function exit(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((r) => child.on("exit", (code) => r({ code, stderr })));
  }

  function listening(child: ChildProcessWithoutNullStreams): Promise<string> {
    let out = "";
    return new Promise((resolve, reject) => {
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out);
      });
      child.on("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
  }

  it("exits with code 1 and a clear message when the port is taken", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => taken.close(() => r())));
    const port = (taken.address() as net.AddressInfo).port;
    const { code, stderr } = await exit(run(["--port", String(port)]));
    expect(code).toBe(1);
    expect(stderr).toBe(`hotslot-bridge: port ${port} on 127.0.0.1 is already in use (a redis-server?). Pick another with --port or HOTSLOT_BRIDGE_PORT.\n`);
  });

  it("takes the token from ./.dev.vars when none is given, and the port and URL from the environment", async () => {
    const server = await fakeWebSocketServer();
    cleanups.push(() => server.stop());
    const dir = await mkdtemp(path.join(tmpdir(), "hotslot-bridge-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, ".dev.vars"), '# local secrets\nHOTSLOT_READONLY_TOKEN=ro\nHOTSLOT_TOKEN="from-dev-vars"\n');
    const port = await new Promise<number>((r) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => r(p));
      });
    });
    const child = run([], { cwd: dir, env: { HOTSLOT_URL: server.url, HOTSLOT_BRIDGE_PORT: String(port) } });
    expect(await listening(child)).toBe(
      `hotslot-bridge: redis://127.0.0.1:${port} → ws${server.url.slice(4)}/ (authenticated with the token)\n`,
    );
    const client = await tcpClient(port);
    cleanups.push(() => void client.socket.destroy());
    expect((await server.connection(0)).authorization).toBe("Bearer from-dev-vars");
  });

  it("prefers --token over HOTSLOT_TOKEN and .dev.vars", async () => {
    const server = await fakeWebSocketServer();
    cleanups.push(() => server.stop());
    const child = run(["--port", "0", "--url", server.url, "--token", "flag"], { env: { HOTSLOT_TOKEN: "env" } });
    const line = await listening(child);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)![1]);
    const client = await tcpClient(port);
    cleanups.push(() => void client.socket.destroy());
    expect((await server.connection(0)).authorization).toBe("Bearer flag");
  });
});
