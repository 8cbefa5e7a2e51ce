#!/usr/bin/env node
/**
 * hotslot-bridge: a local TCP port that speaks RESP, relayed to Hotslot's RESP WebSocket,
 * so any Redis client (redis-cli, redis-benchmark, ioredis, node-redis, …) can talk to a
 * Hotslot Worker.
 *
 *   redis client ──TCP 127.0.0.1:6379──► bridge ──WebSocket ws://…/──► router Worker
 *
 * The bridge is a dumb byte relay (all protocol logic lives in the Worker, so the bridge
 * never changes with the command set):
 *   - one WebSocket per TCP connection, authenticated with `Authorization: Bearer <token>`
 *     (without a token the client must send AUTH itself, as with a password-protected Redis);
 *   - each TCP read becomes exactly one binary WebSocket frame. The Worker runs the commands
 *     of one frame as one pipeline (one RPC per shard), so a client's pipeline stays a batch;
 *   - each WebSocket frame from the Worker is written to the TCP socket as is;
 *   - reads that arrive before the WebSocket is open are queued and sent, frame by frame,
 *     once it opens;
 *   - closing either side closes the other.
 *
 * Usage: hotslot-bridge [--port 6379] [--url http://127.0.0.1:8787] [--token …]
 *   Environment: HOTSLOT_BRIDGE_PORT, HOTSLOT_URL, HOTSLOT_TOKEN; without a token the
 *   HOTSLOT_TOKEN line of ./.dev.vars is used if there is one.
 *
 * Programmatic use (tests): `const b = await startBridge({ port: 0, url, token }); b.port; await b.close()`.
 *
 * Needs Node ≥ 22 (global WebSocket). On older Node the `ws` package is used if installed.
 */
import { readFileSync, realpathSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The bridge only ever listens on loopback: it holds a token, so anyone who can reach it is authenticated. */
const HOST = "127.0.0.1";
const DEFAULT_PORT = 6379;
const DEFAULT_URL = "http://127.0.0.1:8787";

/** Pause reading from TCP while this many bytes wait to go out on the WebSocket (client floods faster than the Worker). */
const HIGH_WATER = 8 * 1024 * 1024;
/**
 * After the client half-closes (sends EOF), keep the WebSocket open until every frame sent has
 * been answered, or until the Worker has been silent this long (a frame holding only part of a
 * command is never answered).
 */
const DRAIN_GRACE_MS = 2000;

// --- WebSocket implementation ----------------------------------------------------------

let WebSocketImpl = globalThis.WebSocket;

async function webSocketClass() {
  if (WebSocketImpl) return WebSocketImpl;
  try {
    WebSocketImpl = (await import("ws")).WebSocket;
    return WebSocketImpl;
  } catch {
    throw new Error(`hotslot-bridge needs Node 22 or later (global WebSocket), or the "ws" package; this is Node ${process.versions.node}`);
  }
}

/** http(s)://host[:port][/path] → ws(s)://…/ (the RESP WebSocket is served at the path given, "/" by default). */
export function webSocketUrl(url) {
  const u = new URL(url);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  else if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error(`unsupported URL ${url}: use http(s):// or ws(s)://`);
  return u.toString();
}

/** The HTTP form of a ws(s) URL, to diagnose a WebSocket that would not open. */
function httpUrl(url) {
  const u = new URL(url);
  u.protocol = u.protocol === "wss:" ? "https:" : u.protocol === "ws:" ? "http:" : u.protocol;
  return u.toString();
}

// --- the bridge ------------------------------------------------------------------------

/**
 * Starts a bridge. Resolves once it listens (`port` 0 picks a free port); rejects with the
 * listen error (e.g. code EADDRINUSE) otherwise.
 * @param {{ port?: number, url?: string, token?: string | null, log?: ((msg: string) => void) | null }} options
 * @returns {Promise<{ port: number, url: string, close(): Promise<void> }>}
 */
export async function startBridge({ port = DEFAULT_PORT, url = DEFAULT_URL, token = null, log = (m) => console.error(m) } = {}) {
  const WS = await webSocketClass();
  const wsUrl = webSocketUrl(url);
  const say = log ?? (() => {});
  const connections = new Set();

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const conn = relay(WS, wsUrl, token, socket, say);
    connections.add(conn);
    socket.once("close", () => connections.delete(conn));
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: HOST, port, exclusive: true }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (e) => say(`hotslot-bridge: ${e.message}`));

  return {
    port: server.address().port,
    url: wsUrl,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
      }),
  };
}

/** Relays one TCP connection over its own WebSocket. */
function relay(WS, wsUrl, token, socket, say) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const ws = new WS(wsUrl, { headers });
  ws.binaryType = "arraybuffer";

  /** Reads waiting for the WebSocket to open, each kept as its own frame. */
  let pending = [];
  let opened = false;
  let done = false;
  let clientEnded = false;
  let framesSent = 0;
  let framesReceived = 0;
  let graceTimer = null;
  let drainTimer = null;

  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(graceTimer);
    clearInterval(drainTimer);
    pending = [];
    try {
      ws.close(1000);
    } catch {
      // not open yet or already closed
    }
    if (!socket.destroyed) socket.end();
  };

  const sendFrame = (bytes) => {
    ws.send(bytes);
    framesSent++;
    // Backpressure: the WebSocket API cannot pause the far side, but we can stop reading.
    if (ws.bufferedAmount > HIGH_WATER && !drainTimer) {
      socket.pause();
      drainTimer = setInterval(() => {
        if (ws.bufferedAmount <= HIGH_WATER / 2) {
          clearInterval(drainTimer);
          drainTimer = null;
          socket.resume();
        }
      }, 5);
    }
  };

  /** After the client's EOF: close once every frame has its reply, or the Worker has gone quiet. */
  const maybeFinishAfterEnd = () => {
    if (!clientEnded || done) return;
    if (pending.length === 0 && framesReceived >= framesSent) return finish();
    clearTimeout(graceTimer);
    graceTimer = setTimeout(finish, DRAIN_GRACE_MS);
  };

  socket.on("data", (chunk) => {
    if (done) return;
    // One TCP read → one frame. Copy: Node may reuse the chunk's memory.
    const bytes = new Uint8Array(chunk);
    if (opened) sendFrame(bytes);
    else pending.push(bytes);
  });
  socket.on("end", () => {
    clientEnded = true;
    if (opened) maybeFinishAfterEnd();
  });
  socket.on("error", () => finish());
  socket.on("close", () => finish());

  ws.addEventListener("open", () => {
    if (done) return ws.close(1000);
    opened = true;
    const queued = pending;
    pending = [];
    for (const bytes of queued) sendFrame(bytes);
    maybeFinishAfterEnd();
  });
  ws.addEventListener("message", (event) => {
    if (socket.destroyed || socket.writableEnded) return;
    framesReceived++;
    const data = event.data;
    socket.write(typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data));
    maybeFinishAfterEnd();
  });
  /** The WebSocket would not open: say why, to the client too (as Redis does with "max number of clients reached"). */
  const failedToOpen = () => {
    done = true;
    pending = [];
    void explainFailure(wsUrl, headers).then((why) => {
      say(`hotslot-bridge: could not open ${wsUrl}: ${why}`);
      if (!socket.destroyed) socket.end(`-ERR Hotslot bridge: could not open ${wsUrl}: ${why}\r\n`);
    });
  };
  ws.addEventListener("close", () => {
    if (!opened && !done) failedToOpen();
    else finish();
  });
  // Node's WebSocket fires only "error" (no "close") when the connection cannot be made.
  ws.addEventListener("error", () => {
    if (!opened && !done) failedToOpen();
  });

  return { destroy: () => (finish(), socket.destroy()) };
}

/** Why a WebSocket would not open: asks the same URL over HTTP (the WebSocket API hides the status). */
async function explainFailure(wsUrl, headers) {
  try {
    const res = await fetch(httpUrl(wsUrl), { method: "POST", headers, body: '["PING"]', signal: AbortSignal.timeout(2000) });
    if (res.status === 401) return "the token was refused (401 Unauthorized)";
    return `the server answered HTTP ${res.status} but refused the WebSocket upgrade`;
  } catch (e) {
    return `the Worker is not reachable (${e.cause?.code ?? e.message}); is it running?`;
  }
}

// --- command line ----------------------------------------------------------------------

/** HOTSLOT_TOKEN from a dotenv file (.dev.vars), or null. */
export function tokenFromDevVars(path = ".dev.vars") {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?HOTSLOT_TOKEN\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = m[1];
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    return v || null;
  }
  return null;
}

const USAGE = `Usage: hotslot-bridge [--port N] [--url URL] [--token TOKEN]

Relays Redis clients on 127.0.0.1:<port> to Hotslot's RESP WebSocket.
  --port   TCP port to listen on (env HOTSLOT_BRIDGE_PORT, default ${DEFAULT_PORT})
  --url    the Worker's URL (env HOTSLOT_URL, default ${DEFAULT_URL})
  --token  access token (env HOTSLOT_TOKEN, else HOTSLOT_TOKEN in ./.dev.vars; without one,
           clients must send AUTH <token> themselves)`;

async function main() {
  let args;
  try {
    args = parseArgs({
      options: { port: { type: "string", short: "p" }, url: { type: "string", short: "u" }, token: { type: "string", short: "t" }, help: { type: "boolean", short: "h" } },
    }).values;
  } catch (e) {
    console.error(`hotslot-bridge: ${e.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const portText = args.port ?? process.env.HOTSLOT_BRIDGE_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`hotslot-bridge: invalid port ${JSON.stringify(portText)}`);
    process.exit(2);
  }
  const url = args.url ?? process.env.HOTSLOT_URL ?? DEFAULT_URL;
  const token = args.token ?? (process.env.HOTSLOT_TOKEN || null) ?? tokenFromDevVars();

  let bridge;
  try {
    bridge = await startBridge({ port, url, token });
  } catch (e) {
    if (e.code === "EADDRINUSE") {
      console.error(`hotslot-bridge: port ${port} on ${HOST} is already in use (a redis-server?). Pick another with --port or HOTSLOT_BRIDGE_PORT.`);
    } else {
      console.error(`hotslot-bridge: ${e.message}`);
    }
    process.exit(1);
  }
  console.log(`hotslot-bridge: redis://${HOST}:${bridge.port} → ${bridge.url} (${token ? "authenticated with the token" : "no token: clients must AUTH"})`);
  const stop = () => {
    void bridge.close().then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) await main();
