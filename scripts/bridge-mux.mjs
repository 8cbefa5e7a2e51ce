/**
 * The bridge's multiplexed mode (the default; scripts/bridge.mjs): every TCP client shares
 * ONE WebSocket to the router, each as a session of its own there (src/router/mux.ts has the
 * wire format: records of kind | connection id | length | payload). The reads of all clients
 * that arrive in one turn of the event loop leave as one WebSocket message, and the router
 * answers many clients in one message: on this runtime an event costs far more than a
 * command, so fifty clients cost a few events per round instead of fifty.
 *
 * Per client, as in the one-socket-per-connection mode:
 *   - one TCP read → one DATA record → one pipeline on the router;
 *   - the client's EOF → EOF record: the router answers what it sent, then says GONE;
 *   - the client going away → GONE record: its session ends at once (a blocked BLPOP is released);
 *   - GONE from the router (QUIT, protocol error, CLIENT KILL) → the TCP connection is closed
 *     once the replies before it are flushed.
 * Limits: while the shared socket holds more than REQUEST_HIGH_WATER bytes not yet sent, no
 * client is read; a client whose unread replies pass REPLY_HIGH_WATER is not read (it sends
 * no more work) and the router is told to hold its replies (PAUSE, sent at half the bound,
 * since replies on the way still arrive) until it drains (RESUME) — what pausing its own
 * WebSocket does in the other mode, so the bounds are the same. As a
 * last resort a client leaving more than REPLY_HARD_LIMIT unread (replies that were already
 * on the way when it was paused) is disconnected. The router keeps what is on the way within
 * a window: the bridge acknowledges (ACK) the reply bytes written to each client, and the
 * router holds a client's replies while 8 MiB of them are unacknowledged.
 */
import { WebSocket } from "ws";

const OPEN = 1;
const DATA = 2;
const GONE = 3;
const EOF = 4;
const PAUSE = 5;
const RESUME = 6;
const ACK = 7;
const HEADER = 9;
/** Reply bytes written to a client before the bridge acknowledges them to the router (one ACK record per this much). */
const ACK_STEP = 256 * 1024;

/** Stop reading every client while this many request bytes wait to go out on the shared socket. */
const REQUEST_HIGH_WATER = 8 * 1024 * 1024;
/** Stop reading a client while this many of its reply bytes wait for it to read them. */
const REPLY_HIGH_WATER = 8 * 1024 * 1024;
/** Disconnect a client that leaves this many reply bytes unread. */
const REPLY_HARD_LIMIT = 256 * 1024 * 1024;
/** After a client's EOF, how long the router may stay silent for it before the bridge ends it (as the other mode does). */
const DRAIN_GRACE_MS = 2000;

/**
 * ws(s)://host/path?… with mux=1 added: the router's multiplexed RESP endpoint; acks=1: this
 * bridge acknowledges reply bytes written to each client, so the router never has more than
 * its window (8 MiB) of a client's replies on the way here (src/router/mux.ts).
 */
export function muxUrl(wsUrl, bridgePort) {
  const u = new URL(withBridgePort(wsUrl, bridgePort));
  u.searchParams.set("mux", "1");
  u.searchParams.set("acks", "1");
  return u.toString();
}

/**
 * `wsUrl` with `bridge-port`: the port this bridge listens on (on 127.0.0.1), which the router
 * announces in CLUSTER SLOTS / SHARDS so that cluster-mode clients dial the bridge.
 */
export function withBridgePort(wsUrl, bridgePort) {
  if (bridgePort === undefined) return wsUrl;
  const u = new URL(wsUrl);
  u.searchParams.set("bridge-port", String(bridgePort));
  return u.toString();
}

export class MuxSocket {
  /**
   * @param {string} wsUrl the RESP WebSocket URL (the multiplexed endpoint is muxUrl of it)
   * @param {string | null} token sent on the upgrade: every session starts with its grant
   * @param {(msg: string) => void} say
   * @param {(url: string, headers: object) => Promise<string>} explain why a socket would not open
   * @param {number} [bridgePort] the port this bridge listens on (see withBridgePort)
   */
  constructor(wsUrl, token, say, explain, bridgePort) {
    this.closed = false;
    this.opened = false;
    this.nextId = 1;
    /** id → { socket, paused, serverDone } */
    this.clients = new Map();
    this.out = [];
    this.outBytes = 0;
    this.flushScheduled = false;
    /** Every client is held back: the shared socket's requests are past REQUEST_HIGH_WATER. */
    this.requestsHeld = false;
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    this.ws = new WebSocket(muxUrl(wsUrl, bridgePort), { headers, perMessageDeflate: false, maxPayload: 0 });
    this.ws.on("open", () => {
      this.opened = true;
      this.flush();
    });
    this.ws.on("message", (data) => this.receive(data));
    this.ws.on("close", () => {
      const wasOpen = this.opened;
      this.closed = true;
      if (wasOpen) for (const c of this.clients.values()) this.endClient(c);
      else {
        void explain(wsUrl, headers).then((why) => {
          say(`hotslot-bridge: could not open ${wsUrl}: ${why}`);
          for (const c of this.clients.values()) this.endClient(c, `-ERR Hotslot bridge: could not open ${wsUrl}: ${why}\r\n`);
        });
      }
    });
    // An error must be listened to, or `ws` throws it; "close" follows.
    this.ws.on("error", () => {});
  }

  /** Relays one TCP client over the shared socket. */
  relay(socket) {
    const id = this.nextId++;
    /** queued: request bytes of this client waiting in the shared socket's next message. */
    const client = { id, socket, serverDone: false, heldBack: false, repliesPaused: false, queued: 0, written: 0 };
    this.clients.set(id, client);
    if (this.closed) {
      this.endClient(client);
      return { bufferedBytes: () => 0, destroy: () => socket.destroy() };
    }
    this.emit(OPEN, id, null);
    socket.on("data", (chunk) => {
      if (client.serverDone || this.closed) return; // read and discard: the session is over
      this.emit(DATA, id, chunk);
    });
    socket.on("end", () => {
      if (client.serverDone) return;
      this.emit(EOF, id, null);
      client.ended = true;
      this.graceAfterEnd(client);
    });
    socket.on("drain", () => this.flowClient(client));
    const gone = () => {
      if (!this.clients.has(id)) return;
      this.clients.delete(id);
      if (!client.serverDone && !this.closed) this.emit(GONE, id, null);
    };
    socket.on("error", gone);
    socket.on("close", gone);
    return {
      bufferedBytes: () => client.queued + socket.writableLength,
      destroy: () => socket.destroy(),
    };
  }

  /**
   * After the client's EOF the router answers what it sent, then says GONE; a command that
   * never answers (BLPOP 0) must not hold the client forever: once the router has been
   * silent for this client DRAIN_GRACE_MS, the bridge ends it (GONE releases its session).
   */
  graceAfterEnd(client) {
    clearTimeout(client.graceTimer);
    client.graceTimer = setTimeout(() => {
      if (client.serverDone || !this.clients.has(client.id)) return;
      if (client.repliesPaused) return this.graceAfterEnd(client); // waiting for the client, not the router
      this.clients.delete(client.id);
      if (!this.closed) this.emit(GONE, client.id, null);
      this.endClient(client);
    }, DRAIN_GRACE_MS);
  }

  /** Closes the shared socket (the bridge is stopping). */
  close() {
    this.closed = true;
    try {
      this.ws.close(1000);
    } catch {
      // not open yet
    }
  }

  emit(kind, id, payload) {
    this.out.push({ kind, id, payload });
    this.outBytes += HEADER + (payload?.length ?? 0);
    const client = payload ? this.clients.get(id) : undefined;
    if (client) client.queued += payload.length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // After this turn's reads of every client: they leave as one message.
      setImmediate(() => this.flush());
    }
    if (this.outBytes > REQUEST_HIGH_WATER) this.updateFlow();
  }

  flush() {
    this.flushScheduled = false;
    if (!this.opened || this.closed || this.out.length === 0) return;
    const message = Buffer.allocUnsafe(this.outBytes);
    let at = 0;
    for (const r of this.out) {
      const length = r.payload?.length ?? 0;
      message[at] = r.kind;
      message.writeUInt32BE(r.id, at + 1);
      message.writeUInt32BE(length, at + 5);
      if (r.payload) {
        r.payload.copy(message, at + HEADER);
        const client = this.clients.get(r.id);
        if (client) client.queued = 0;
      }
      at += HEADER + length;
    }
    this.out = [];
    this.outBytes = 0;
    this.ws.send(message, { binary: true }, () => this.updateFlow());
    this.updateFlow();
  }

  receive(data) {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    let at = 0;
    while (at + HEADER <= bytes.length) {
      const kind = bytes[at];
      const id = bytes.readUInt32BE(at + 1);
      const length = bytes.readUInt32BE(at + 5);
      const payload = bytes.subarray(at + HEADER, at + HEADER + length);
      at += HEADER + length;
      const client = this.clients.get(id);
      if (!client || client.socket.destroyed) continue;
      if (kind === DATA) {
        if (client.socket.writableEnded) continue;
        client.socket.write(payload, (error) => {
          if (!error) this.written(client, payload.length);
        });
        if (client.ended) this.graceAfterEnd(client);
        if (client.socket.writableLength > REPLY_HARD_LIMIT) {
          // Past the output limit: the client is dropped, its session ended.
          this.clients.delete(id);
          this.emit(GONE, id, null);
          client.socket.destroy();
        } else this.flowClient(client);
      } else if (kind === GONE) {
        clearTimeout(client.graceTimer);
        client.serverDone = true;
        this.clients.delete(id);
        this.endClient(client);
      }
    }
  }

  /** `bytes` of a client's replies left for it (flushed to the kernel): acknowledged to the router once ACK_STEP have. */
  written(client, bytes) {
    client.written += bytes;
    if (client.written < ACK_STEP || client.serverDone || this.closed || !this.clients.has(client.id)) return;
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(client.written, 0);
    client.written = 0;
    this.emit(ACK, client.id, payload);
  }

  /** Closes a client once what was written to it is flushed (and `lastWords`), in both directions. */
  endClient(client, lastWords) {
    client.serverDone = true;
    const socket = client.socket;
    if (socket.destroyed) return;
    socket.resume(); // read and discard: unread bytes would make the kernel reset the connection
    socket.end(lastWords, () => socket.destroy());
  }

  /** Back-pressure on every client: the shared socket has room for requests, or not. */
  updateFlow() {
    const held = this.outBytes + (this.opened ? this.ws.bufferedAmount : 0) > REQUEST_HIGH_WATER;
    if (held === this.requestsHeld) return;
    this.requestsHeld = held;
    for (const c of this.clients.values()) this.flowClient(c);
  }

  /** Reads a client only while the shared socket has room and the client reads its replies. */
  flowClient(c) {
    // PAUSE takes a moment to reach the router, and replies keep coming meanwhile: it goes at
    // half the bound (and RESUME below a quarter); what is already on the way stays within the
    // router's window (ACK, `written`).
    const unread = c.socket.writableLength;
    const backedUp = !c.serverDone && (c.repliesPaused ? unread > REPLY_HIGH_WATER / 4 : unread > REPLY_HIGH_WATER / 2);
    const hold = !c.serverDone && (this.requestsHeld || backedUp);
    if (hold && !c.heldBack) c.socket.pause();
    else if (!hold && c.heldBack) c.socket.resume();
    c.heldBack = hold;
    if (backedUp !== c.repliesPaused && !this.closed && this.clients.has(c.id)) {
      c.repliesPaused = backedUp;
      this.emit(backedUp ? PAUSE : RESUME, c.id, null);
    }
  }
}
