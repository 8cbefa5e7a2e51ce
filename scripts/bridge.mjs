#!/usr/bin/env node
/**
 * hotslot-bridge: a local TCP port that speaks RESP, relayed to Hotslot's RESP WebSocket,
 * so any Redis client (redis-cli, redis-benchmark, ioredis, node-redis, …) can talk to a
 * Hotslot Worker.
 *
 *   redis client ──TCP 127.0.0.1:6379──► bridge ──WebSocket ws://…/──► router Worker
 *
 * The bridge is a dumb byte relay (all protocol logic lives in the Worker, so the bridge
 * never changes with the command set). Two modes:
 *   - multiplexed (the default, scripts/bridge-mux.mjs): all TCP connections share one
 *     WebSocket, each a session of its own on the router — far fewer events per command;
 *   - one WebSocket per TCP connection (`--no-mux`, HOTSLOT_BRIDGE_MUX=0), described here:
 *   - one WebSocket per TCP connection, authenticated with `Authorization: Bearer <token>`
 *     (without a token the client must send AUTH itself, as with a password-protected Redis);
 *   - each TCP read becomes exactly one binary WebSocket frame. The Worker runs the commands
 *     of one frame as one pipeline (one RPC per shard), so a client's pipeline stays a batch;
 *   - each WebSocket frame from the Worker is written to the TCP socket as is;
 *   - reads that arrive before the WebSocket is open are queued and sent, frame by frame,
 *     once it opens;
 *   - closing either side closes the other. When the Worker closes the WebSocket (QUIT, or a
 *     protocol error, after which Redis closes the connection too), the TCP connection is
 *     closed in both directions once the last reply is flushed, so the client's further
 *     writes fail instead of vanishing into a half-closed socket.
 *
 * Limits (per connection; the bridge never closes a connection because of them, it stops
 * reading instead, so a client that stops reading is held back, not disconnected):
 *   - requests: at most REQUEST_HIGH_WATER (8 MiB) read from the client and not yet written
 *     out on the WebSocket, before it opens as well as after; past it the bridge stops
 *     reading the client, which then waits in its own socket buffers;
 *   - replies: at most REPLY_HIGH_WATER (8 MiB) waiting to be written to a client that does
 *     not read them; past it the bridge stops reading both the WebSocket (so the Worker's
 *     replies wait in the network) and the client (so it sends the Worker no more work
 *     whose replies would pile up). A client that writes a pipeline whose replies exceed
 *     that before it reads any of them waits forever — real clients (redis-cli --pipe,
 *     redis-benchmark, ioredis) read while they write;
 *   - one WebSocket frame from the Worker (the replies to one frame of requests) is held
 *     whole, however large, so the bounds above are exceeded by at most one such frame;
 *   - no timeouts: like redis-server (timeout 0), a connection whose client neither reads
 *     nor closes stays open, holding at most the bounds above.
 * `stats()` reports the bytes a bridge holds (tests use it to check these bounds).
 *
 * Usage: hotslot-bridge [--port 6379] [--url http://127.0.0.1:8787] [--token …] [--no-mux]
 *   Environment: HOTSLOT_BRIDGE_PORT, HOTSLOT_URL, HOTSLOT_TOKEN, HOTSLOT_BRIDGE_MUX; without a token the
 *   HOTSLOT_TOKEN line of ./.dev.vars is used if there is one.
 *
 * Programmatic use (tests): `const b = await startBridge({ port: 0, url, token, mux }); b.port; await b.close()`.
 *
 * Uses the `ws` package (a dependency): unlike Node's global WebSocket it can pause reading,
 * which the reply limit needs.
 */
import { readFileSync, realpathSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { WebSocket } from "ws";
import { MuxSocket, withBridgePort } from "./bridge-mux.mjs";

/** The bridge only ever listens on loopback: it holds a token, so anyone who can reach it is authenticated. */
const HOST = "127.0.0.1";
const DEFAULT_PORT = 6379;
const DEFAULT_URL = "http://127.0.0.1:8787";

/**
 * Stop reading the client while this many bytes of its requests wait to go out on the
 * WebSocket, or wait for it to open (a client floods faster than the Worker takes them).
 */
const REQUEST_HIGH_WATER = 8 * 1024 * 1024;
/** Stop reading the WebSocket, and the client, while this many bytes of replies wait for a client that does not read. */
const REPLY_HIGH_WATER = 8 * 1024 * 1024;
/**
 * After the client half-closes (sends EOF), keep the WebSocket open until every frame sent has
 * been answered, or until the Worker has been silent this long (a frame holding only part of a
 * command is never answered).
 */
const DRAIN_GRACE_MS = 2000;

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
 * @returns {Promise<{ port: number, url: string, stats(): { connections: number, bufferedBytes: number }, close(): Promise<void> }>}
 */
export async function startBridge({ port = DEFAULT_PORT, url = DEFAULT_URL, token = null, log = (m) => console.error(m), mux = true } = {}) {
  const wsUrl = webSocketUrl(url);
  const say = log ?? (() => {});
  const connections = new Set();
  /** Multiplexed mode: the shared socket, opened with the first client and after it closes. */
  let shared = null;
  const muxSocket = () => {
    if (shared === null || shared.closed) shared = new MuxSocket(wsUrl, token, say, explainFailure, server.address().port);
    return shared;
  };

  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    const conn = mux ? muxSocket().relay(socket) : relay(wsUrl, token, socket, say, server.address().port);
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
    stats: () => {
      let bufferedBytes = 0;
      for (const c of connections) bufferedBytes += c.bufferedBytes();
      return { connections: connections.size, bufferedBytes };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of connections) c.destroy();
        shared?.close();
      }),
  };
}

/** Relays one TCP connection over its own WebSocket. */
function relay(wsUrl, token, socket, say, bridgePort) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  // No compression: both ends are usually on one machine, and inflating costs memory the limits don't see.
  const ws = new WebSocket(withBridgePort(wsUrl, bridgePort), { headers, perMessageDeflate: false, maxPayload: 0 });

  /** Reads waiting for the WebSocket to open, each kept as its own frame. */
  let pending = [];
  let pendingBytes = 0;
  let opened = false;
  let done = false;
  let clientEnded = false;
  let framesSent = 0;
  let framesReceived = 0;
  let graceTimer = null;

  /** The client is not reading its replies. */
  const repliesBackedUp = () => socket.writableLength > REPLY_HIGH_WATER;

  /**
   * Back-pressure, re-evaluated whenever a buffer grows or drains: read the client only while
   * its requests have room on the way out and its replies are being read; read the WebSocket
   * only while the client reads. Once finished, keep reading the client (and discard): unread
   * bytes would make the kernel reset the connection and lose the last replies.
   */
  const updateFlow = () => {
    const requestsBackedUp = (opened ? ws.bufferedAmount : pendingBytes) > REQUEST_HIGH_WATER;
    if (!done && (requestsBackedUp || repliesBackedUp())) socket.pause();
    else socket.resume();
    if (opened) {
      if (repliesBackedUp() && !done) {
        ws.pause();
        // A paused WebSocket is not a silent Worker: the grace period waits for the client.
        clearTimeout(graceTimer);
      } else if (ws.isPaused) {
        ws.resume();
        maybeFinishAfterEnd();
      }
    }
  };

  /**
   * Ends the TCP connection once the replies written so far (and `lastWords`) are flushed,
   * then destroys it: closed in both directions, as Redis closes a connection after QUIT or
   * a protocol error, so the client's further writes fail.
   */
  const closeClient = (lastWords) => {
    if (socket.destroyed) return;
    socket.end(lastWords, () => socket.destroy());
  };

  /** Stops relaying: closes the WebSocket and the TCP connection. */
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(graceTimer);
    pending = [];
    pendingBytes = 0;
    try {
      ws.close(1000);
    } catch {
      // not open yet, or already closed
    }
    updateFlow();
    closeClient();
  };

  const sendFrame = (bytes) => {
    framesSent++;
    ws.send(bytes, { binary: true }, updateFlow);
  };

  /** After the client's EOF: close once every frame has its reply, or the Worker has gone quiet. */
  const maybeFinishAfterEnd = () => {
    if (!clientEnded || done) return;
    if (pending.length === 0 && framesReceived >= framesSent) return finish();
    clearTimeout(graceTimer);
    if (!ws.isPaused) graceTimer = setTimeout(finish, DRAIN_GRACE_MS);
  };

  // One TCP read → one frame. No copy: Node allocates each read anew and never reuses it.
  socket.on("data", (chunk) => {
    if (done) return;
    if (opened) sendFrame(chunk);
    else {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
    updateFlow();
  });
  socket.on("drain", updateFlow);
  socket.on("end", () => {
    clientEnded = true;
    if (opened) maybeFinishAfterEnd();
  });
  socket.on("error", () => finish());
  socket.on("close", () => finish());

  ws.on("open", () => {
    if (done) return ws.close(1000);
    opened = true;
    const queued = pending;
    pending = [];
    pendingBytes = 0;
    for (const bytes of queued) sendFrame(bytes);
    updateFlow();
    maybeFinishAfterEnd();
  });
  ws.on("message", (data) => {
    if (done || socket.destroyed || socket.writableEnded) return;
    framesReceived++;
    // Text frames arrive as their UTF-8 bytes, binary ones as is.
    socket.write(data);
    updateFlow();
    maybeFinishAfterEnd();
  });
  /** The WebSocket would not open: say why, to the client too (as Redis does with "max number of clients reached"). */
  const failedToOpen = () => {
    done = true;
    pending = [];
    pendingBytes = 0;
    updateFlow();
    void explainFailure(wsUrl, headers).then((why) => {
      say(`hotslot-bridge: could not open ${wsUrl}: ${why}`);
      closeClient(`-ERR Hotslot bridge: could not open ${wsUrl}: ${why}\r\n`);
    });
  };
  ws.on("close", () => {
    if (!opened && !done) failedToOpen();
    else finish();
  });
  // Failing to connect fires "error" and then "close"; an error must be listened to, or `ws` throws it.
  ws.on("error", () => {
    if (!opened && !done) failedToOpen();
  });

  return {
    bufferedBytes: () => pendingBytes + socket.writableLength + (opened ? ws.bufferedAmount : 0),
    destroy: () => (finish(), socket.destroy()),
  };
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
           clients must send AUTH <token> themselves)
  --no-mux one WebSocket per client connection (env HOTSLOT_BRIDGE_MUX=0) instead of one
           shared by all of them, each still a session of its own`;

async function main() {
  let args;
  try {
    args = parseArgs({
      options: { port: { type: "string", short: "p" }, url: { type: "string", short: "u" }, token: { type: "string", short: "t" }, "no-mux": { type: "boolean" }, help: { type: "boolean", short: "h" } },
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
    const mux = !args["no-mux"] && process.env.HOTSLOT_BRIDGE_MUX !== "0";
    bridge = await startBridge({ port, url, token, mux });
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
