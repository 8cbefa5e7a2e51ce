/**
 * Multiplexed RESP over one WebSocket: the bridge's default (scripts/bridge.mjs). Many client
 * connections share one socket, so the frames of fifty connections that arrive together
 * cost one WebSocket event here instead of fifty, and their replies leave as one message —
 * on this runtime an event costs far more than a command (README "Benchmark").
 *
 * Each client connection is still a RESP session of its own (serveRespConnection in
 * src/router/websocket.ts: its own auth, MULTI, WATCH, subscriptions, order, limits);
 * only the socket is shared. The upgrade request asks for it with `?mux=1`; every session
 * starts with the grant of the upgrade's token (as every socket of the one-per-connection
 * mode does), and may AUTH on its own.
 *
 * Wire format, both directions: a binary message is a sequence of records
 *     kind (1 byte) | connection id (4 bytes, big-endian) | length (4 bytes, big-endian) | payload
 * kinds:
 *   OPEN  (1, no payload)  bridge → router: a client connected;
 *   DATA  (2)              RESP bytes: requests one way, replies the other (a record of
 *                          requests is one frame: its commands run as one pipeline);
 *   GONE  (3, no payload)  bridge → router: the client went (its session ends now, a
 *                          blocked command is released); router → bridge: the session
 *                          closed (QUIT, a protocol error, CLIENT KILL): close the client
 *                          once the DATA before it is written;
 *   EOF   (4, no payload)  bridge → router: the client half-closed: answer what it sent,
 *                          then close (GONE back);
 *   PAUSE (5) / RESUME (6) bridge → router: the client is not reading its replies / reads
 *                          again. A paused connection's output is held here (as a socket's
 *                          own replies wait in its send buffer when the bridge stops reading
 *                          it in the one-socket-per-connection mode), and counts towards its
 *                          output limit (a subscriber that stops reading is closed past it);
 *   ACK   (7, 4 bytes)     bridge → router, when the upgrade asked `acks=1`: this many more
 *                          reply bytes of the connection were written to its client. The
 *                          router then sends a connection at most MUX_WINDOW_BYTES not yet
 *                          acknowledged and holds the rest, so the bridge never buffers more
 *                          than that for a client however far the router runs ahead of the
 *                          bridge (PAUSE alone arrives after every reply already on the way:
 *                          a lagging router answers a pipeline of big GETs all at once).
 * A malformed message (a record cut short, an unknown kind) closes the whole socket with
 * 1002: it can only come from a broken bridge.
 */
import type { Authenticator, Grant } from "./auth";
import type { ShardPool } from "./dispatch";
import { acceptedWebSocket, bufferedAmountOf, serveRespConnection, type ConnectionOptions, type RespConnectionHandle } from "./websocket";
import { binaryToBytes } from "../util/binary";

export const MUX_OPEN = 1;
export const MUX_DATA = 2;
export const MUX_GONE = 3;
export const MUX_EOF = 4;
export const MUX_PAUSE = 5;
export const MUX_RESUME = 6;
export const MUX_ACK = 7;
/** Reply bytes a connection may have unacknowledged (with `acks=1`): the bridge's per-client reply bound. */
export const MUX_WINDOW_BYTES = 8 * 1024 * 1024;
const HEADER = 9;
/** Most client connections one multiplexed socket may carry (a redis-server's default maxclients). */
export const MUX_MAX_CONNECTIONS = 10_000;

export function acceptMuxWebSocket(
  /** A pool for each new session (in a gateway: on the gateway's shared channels). */
  newPool: () => ShardPool,
  auth: Authenticator,
  grant: Grant | null,
  maxBulkBytes: number,
  waitUntil: (p: Promise<unknown>) => void,
  options: ConnectionOptions,
  /** The bridge acknowledges what its clients were written (ACK records): keep each within MUX_WINDOW_BYTES. */
  acks = false,
): Response {
  const { client, server } = acceptedWebSocket();
  const sessions = new Map<number, RespConnectionHandle>();
  /** Per connection: hold its output (PAUSE), send it again (RESUME), or count bytes its client was written (ACK). */
  const flow = new Map<number, { pause(): void; resume(): void; ack(bytes: number): void }>();
  let open = true;

  // Output: the records of one turn leave as one message.
  let outRecords: Array<{ kind: number; id: number; payload: Uint8Array | null }> = [];
  let outBytes = 0;
  const flush = () => {
    const records = outRecords;
    outRecords = [];
    const size = outBytes;
    outBytes = 0;
    if (!open || records.length === 0) return;
    const message = new Uint8Array(size);
    const view = new DataView(message.buffer);
    let at = 0;
    for (const r of records) {
      const length = r.payload?.byteLength ?? 0;
      message[at] = r.kind;
      view.setUint32(at + 1, r.id);
      view.setUint32(at + 5, length);
      if (r.payload) message.set(r.payload, at + HEADER);
      at += HEADER + length;
    }
    try {
      server.send(message);
    } catch {
      // closed meanwhile
    }
  };
  const emit = (kind: number, id: number, payload: Uint8Array | null) => {
    if (!open) return;
    if (outRecords.length === 0) queueMicrotask(flush);
    outRecords.push({ kind, id, payload });
    outBytes += HEADER + (payload?.byteLength ?? 0);
  };

  const openSession = (id: number) => {
    if (sessions.has(id) || sessions.size >= MUX_MAX_CONNECTIONS) {
      emit(MUX_DATA, id, binaryToBytes("-ERR max number of clients reached\r\n"));
      emit(MUX_GONE, id, null);
      return;
    }
    let gone = false;
    /** Output held while the bridge says the client is not reading (PAUSE) or the window is full, and its size. */
    const held: Uint8Array[] = [];
    let heldBytes = 0;
    let paused = false;
    /** Reply bytes sent and not yet acknowledged (with acks). */
    let unacked = 0;
    const mayEmit = () => !paused && (!acks || unacked < MUX_WINDOW_BYTES);
    const send = (payload: Uint8Array) => {
      unacked += payload.byteLength;
      emit(MUX_DATA, id, payload);
    };
    /** Sends what the flow allows; a close that waited behind held output goes after it. */
    const pump = () => {
      while (held.length > 0 && mayEmit()) {
        const p = held.shift()!;
        heldBytes -= p.byteLength;
        send(p);
      }
      // Once: after GONE the connection has no flow entry, so nothing calls this again.
      if (gone && held.length === 0) {
        flow.delete(id);
        emit(MUX_GONE, id, null);
      }
    };
    const handle = serveRespConnection(
      {
        send: (bytes) => {
          if (gone) return;
          const payload = binaryToBytes(bytes);
          if (held.length === 0 && mayEmit()) return send(payload);
          held.push(payload);
          heldBytes += payload.byteLength;
        },
        close: () => {
          if (gone) return;
          gone = true;
          sessions.delete(id);
          // Output held for a paused client goes first (on RESUME); a client gone takes none.
          pump();
        },
        // Held output, and the shared socket's backlog.
        bufferedAmount: () => heldBytes + outBytes + bufferedAmountOf(server),
      },
      newPool(),
      auth,
      grant,
      maxBulkBytes,
      waitUntil,
      options,
    );
    sessions.set(id, handle);
    flow.set(id, {
      pause: () => (paused = true),
      resume: () => {
        paused = false;
        pump();
      },
      ack: (bytes) => {
        unacked = Math.max(0, unacked - bytes);
        pump();
      },
    });
  };

  const closeAll = (code: number, reason: string) => {
    if (!open) return;
    for (const handle of [...sessions.values()]) handle.closed();
    sessions.clear();
    open = false;
    try {
      server.close(code, reason);
    } catch {
      // already closed
    }
  };

  server.addEventListener("message", (event) => {
    const data = event.data;
    if (typeof data === "string") return closeAll(1003, "multiplexed RESP is binary");
    const bytes = new Uint8Array(data as ArrayBuffer);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at < bytes.byteLength) {
      if (at + HEADER > bytes.byteLength) return closeAll(1002, "truncated record");
      const kind = bytes[at];
      const id = view.getUint32(at + 1);
      const length = view.getUint32(at + 5);
      const end = at + HEADER + length;
      if (end > bytes.byteLength) return closeAll(1002, "truncated record");
      if (kind === MUX_OPEN) openSession(id);
      else if (kind === MUX_DATA) sessions.get(id)?.frame(bytes.subarray(at + HEADER, end));
      else if (kind === MUX_GONE) {
        flow.delete(id);
        sessions.get(id)?.closed();
        sessions.delete(id);
      } else if (kind === MUX_EOF) sessions.get(id)?.ended();
      else if (kind === MUX_PAUSE) flow.get(id)?.pause();
      else if (kind === MUX_RESUME) flow.get(id)?.resume();
      else if (kind === MUX_ACK) {
        if (length !== 4) return closeAll(1002, "malformed ACK record");
        flow.get(id)?.ack(view.getUint32(at + HEADER));
      }
      else return closeAll(1002, `unknown record kind ${kind}`);
      at = end;
    }
  });
  server.addEventListener("close", () => closeAll(1000, "closed"));
  server.addEventListener("error", () => closeAll(1011, "error"));
  return new Response(null, { status: 101, webSocket: client });
}
