/**
 * A RESP connection (serveRespConnection) over a transport: a WebSocket of its own
 * (acceptRespWebSocket), or one connection of the bridge's multiplexed socket
 * (src/router/mux.ts). RESP over WebSocket: each binary (or text) frame carries RESP bytes; the commands in a
 * frame are handled as one pipeline and their replies sent back as one frame (or, past
 * about 1 MB, several), in order. Frames pipeline: a frame is started as it arrives, before
 * the replies of earlier ones are back (src/router/session.ts keeps Redis's order), and an
 * output queue sends each frame's replies after the earlier frames'. A protocol error is
 * answered with Redis's error text and closes this connection only.
 *
 * Bound (Redis's client-query-buffer-limit): the input a connection holds — bytes not yet
 * decoded into whole commands plus the frames whose replies have not all been sent — is at
 * most QUERY_BUFFER_LIMIT (32 MB, or twice the largest value when that is more, so one
 * biggest value always fits). Past it the connection is closed, as Redis closes it: a
 * 128 MB isolate holds a few such connections, not one unbounded one.
 */
import { encodeRepliesBinary, ProtocolError, RequestDecoder } from "../protocol/resp";
import { error } from "../protocol/reply";
import { binaryToBytes, utf8ToBinary } from "../util/binary";
import type { Authenticator, Grant } from "./auth";
import type { ShardPool } from "./dispatch";
import type { HubConnector } from "../pubsub/hubs";
import { RespSession } from "./session";

/** Pub/Sub for a connection: its hubs. */
/** What a RESP connection is given besides its pool and auth. */
export interface ConnectionOptions {
  /** Pub/Sub: how its sessions reach the hubs (absent: Pub/Sub is off). */
  hubs?: HubConnector;
  /**
   * The local TCP port of the bridge the connection comes through (its upgrade's `bridge-port`):
   * CLUSTER SLOTS / SHARDS announce 127.0.0.1 and this port, the address its client dialled.
   */
  bridgePort?: number;
}

export const QUERY_BUFFER_LIMIT = 32 * 1024 * 1024;
/**
 * The input all connections of this isolate may hold together: a gateway holds many
 * connections in one 128 MB isolate, so a few clients each near their own limit must not
 * take it (and every other client) down. A frame that would pass it closes its connection,
 * as its own limit would. At least two connections at their own limit always fit.
 */
export const ISOLATE_INPUT_LIMIT = 64 * 1024 * 1024;
const isolateInput = { held: 0 };


/** One frame's place in the output queue: pieces to send, and whether more will come. */
interface Output {
  pieces: string[];
  done: boolean;
  /** A pushed Pub/Sub message's size, counted in the output limit until sent. */
  pushed?: number;
}

/**
 * Where a RESP connection's bytes go: a WebSocket of its own, or one connection of a
 * multiplexed WebSocket (src/router/mux.ts).
 */
export interface RespTransport {
  /** Sends reply bytes (binary string: one char per byte). */
  send(bytes: string): void;
  /** Closes the connection (the socket, or this one connection of a multiplexed socket). */
  close(code: number, reason: string): void;
  /** Bytes sent but not yet written out (the pubsub output limit counts them). */
  bufferedAmount(): number;
}

/** What a transport tells its connection. */
export interface RespConnectionHandle {
  /** A frame of request bytes arrived. */
  frame(data: ArrayBuffer | Uint8Array | string): void;
  /** The transport closed (the client went). */
  closed(): void;
  /** The client half-closed: answer what it sent, then close. */
  ended(): void;
}

/** A WebSocket pair whose server end is accepted here and gets binary frames as ArrayBuffers (not Blobs). */
export function acceptedWebSocket(): { client: WebSocket; server: WebSocket } {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  (server as unknown as { binaryType: string }).binaryType = "arraybuffer";
  return { client, server };
}

/** Bytes a socket has queued but not yet sent. */
export function bufferedAmountOf(socket: WebSocket): number {
  return (socket as unknown as { bufferedAmount?: number }).bufferedAmount ?? 0;
}

export function acceptRespWebSocket(
  pool: ShardPool,
  auth: Authenticator,
  grant: Grant | null,
  maxBulkBytes: number,
  /**
   * Keeps the request alive for a promise (the fetch's ctx.waitUntil): the connection's
   * request ends when it closes, and its UNBLOCK / UNWATCH calls must still go out.
   */
  waitUntil: (p: Promise<unknown>) => void = () => {},
  options: ConnectionOptions = {},
): Response {
  const { client, server } = acceptedWebSocket();
  const connection = serveRespConnection(
    {
      send: (bytes) => server.send(binaryToBytes(bytes)),
      close: (code, reason) => server.close(code, reason),
      bufferedAmount: () => bufferedAmountOf(server),
    },
    pool,
    auth,
    grant,
    maxBulkBytes,
    waitUntil,
    options,
  );
  server.addEventListener("message", (event) => connection.frame(event.data as ArrayBuffer | string));
  server.addEventListener("close", () => connection.closed());
  server.addEventListener("error", () => connection.closed());
  return new Response(null, { status: 101, webSocket: client });
}

/** One RESP connection over `transport`: its session, input bound, and ordered output. */
export function serveRespConnection(
  server: RespTransport,
  pool: ShardPool,
  auth: Authenticator,
  grant: Grant | null,
  maxBulkBytes: number,
  waitUntil: (p: Promise<unknown>) => void,
  options: ConnectionOptions = {},
): RespConnectionHandle {
  const session = new RespSession(pool, auth, grant, options.hubs, options.bridgePort);
  const decoder = new RequestDecoder({ maxBulkBytes });
  const limit = Math.max(QUERY_BUFFER_LIMIT, 2 * maxBulkBytes);
  const outputs: Output[] = [];
  /** Bytes of frames whose replies are not all sent yet. */
  let held = 0;
  /** What this connection counts in isolateInput (held plus undecoded input, at the last count). */
  let counted = 0;
  const account = () => {
    const now = open ? held + decoder.buffered : 0;

    isolateInput.held += now - counted;
    counted = now;
  };
  const isolateLimit = Math.max(ISOLATE_INPUT_LIMIT, 2 * limit);
  let open = true;
  /** Set by a protocol error or QUIT: close once everything before it is sent. */
  let closeAfter: { code: number; reason: string } | null = null;
  /** A protocol error was read: later input is ignored. */
  let failed = false;

  const closeWith = (code: number, reason: string) => {
    if (!open) return;
    open = false;
    account();
    waitUntil(session.close().catch((e: unknown) => console.error("hotslot: releasing a closed connection failed", e)));
    try {
      server.close(code, reason);
    } catch {
      // already closed
    }
  };

  /** Sends what the head of the queue has, in order; closes when asked and all is sent. */
  const pump = () => {
    // CLIENT KILL from another connection: closed here, in this connection's own context.
    if (session.killed) return closeWith(1000, "killed");
    while (outputs.length > 0) {
      const head = outputs[0];
      for (const piece of head.pieces) if (open) server.send(piece);
      head.pieces = [];
      if (!head.done) return;
      if (head.pushed) pushedHeld -= head.pushed;
      outputs.shift();
    }
    if (closeAfter) closeWith(closeAfter.code, closeAfter.reason);
  };

  const handleFrame = (data: ArrayBuffer | Uint8Array | string) => {
    if (!open || closeAfter || failed) return;
    if (session.killed) return closeWith(1000, "killed");
    const bytes = typeof data === "string" ? binaryToBytes(utf8ToBinary(data)) : data instanceof Uint8Array ? data : new Uint8Array(data);
    decoder.push(bytes);
    if (held + decoder.buffered > limit) {
      console.error("hotslot: closing a connection past the query buffer limit");
      return closeWith(1009, "query buffer limit");
    }
    if (isolateInput.held - counted + held + decoder.buffered > isolateLimit) {
      console.error("hotslot: closing a connection past the input all connections may hold");
      return closeWith(1009, "query buffer limit");
    }
    // Until the session authenticates, Redis's tighter request limits apply (checked per
    // frame: a frame's commands are decoded before any of them runs).
    decoder.authRequired = !session.authenticated;
    // Commands before a protocol error still run, as in Redis; then the error, then close.
    let cmds: string[][];
    let protocolError: ProtocolError | null = null;
    try {
      cmds = decoder.drain();
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      protocolError = e;
      cmds = e.commands;
      failed = true;
    }
    const size = bytes.byteLength;
    held += size;
    account();
    const output: Output = { pieces: [], done: false };
    outputs.push(output);
    const finish = (pieces: string[]) => {
      held -= size;
      account();
      if (protocolError) {
        const reply = encodeRepliesBinary([error(protocolError.reply)], session.resp);
        if (pieces.length > 0) pieces[pieces.length - 1] += reply;
        else pieces.push(reply);
      }
      // One message per frame unless its replies are big (about 1 MB pieces).
      output.pieces.push(...pieces);
      output.done = true;
      if (protocolError) closeAfter = { code: 1002, reason: "protocol error" };
      else if (session.closing) closeAfter ??= { code: 1000, reason: "QUIT" };
      pump();
    };
    if (cmds.length === 0) return finish([]);
    const emit = (partial: string) => {
      output.pieces.push(partial);
      pump();
    };
    session.submit(cmds, emit).then(finish, (e: unknown) => {
      console.error("hotslot: websocket frame failed", e);
      closeWith(1011, "internal error");
    });
  };

  // Pub/Sub: a pushed message goes out after the replies of frames already read (in RESP3
  // it interleaves with later replies). Redis's client-output-buffer-limit pubsub hard
  // limit: past session.pubsubOutputLimit bytes unsent (held here or in the socket's buffer) the
  // subscriber is closed, so a slow client never grows the router's memory.
  let pushedHeld = 0;
  /** Pushes of this turn (a hub frame holds many), sent as one message on the next microtask. */
  let pushBuffer = "";
  const flushPushes = () => {
    const encoded = pushBuffer;
    pushBuffer = "";
    if (!open || encoded === "") return;
    // CLIENT KILL from another connection: closed here, at this connection's next event.
    if (session.killed) return closeWith(1000, "killed");
    const buffered = server.bufferedAmount();
    if (pushedHeld + buffered + encoded.length > session.pubsubOutputLimit) {
      console.error("hotslot: closing a subscriber past client-output-buffer-limit pubsub");
      return closeWith(1008, "output buffer limit");
    }
    if (outputs.length === 0) {
      server.send(encoded);
      return;
    }
    pushedHeld += encoded.length;
    outputs.push({ pieces: [encoded], done: true, pushed: encoded.length });
    pump();
  };
  session.onKilled = () => closeWith(1000, "killed");
  session.pushOut = (encoded) => {
    if (!open) return;
    if (pushBuffer === "") queueMicrotask(flushPushes);
    pushBuffer += encoded;
  };

  return {
    frame(data) {
      try {
        handleFrame(data);
      } catch (e) {
        console.error("hotslot: websocket frame failed", e);
        closeWith(1011, "internal error");
      }
    },
    closed: () => closeWith(1000, "closed"),
    ended() {
      closeAfter ??= { code: 1000, reason: "client closed" };
      // A parked blocking command is released now, not left to take data for a client that has gone.
      if (session.endInput()) return closeWith(1000, "client closed");
      pump();
    },
  };
}
