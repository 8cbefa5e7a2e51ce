/**
 * RESP over WebSocket: each binary (or text) frame carries RESP bytes; the commands in a
 * frame are handled as one pipeline and their replies sent back as one frame, in order.
 * Frames are handled strictly one after another. A protocol error is answered with
 * Redis's error text and closes this connection only.
 */
import { encodeRepliesBinary, ProtocolError, RequestDecoder } from "../protocol/resp";
import { error } from "../protocol/reply";
import { binaryToBytes, utf8ToBinary } from "../util/binary";
import type { Authenticator, Grant } from "./auth";
import type { ShardPool } from "./dispatch";
import { RespSession } from "./session";

export function acceptRespWebSocket(
  pool: ShardPool,
  auth: Authenticator,
  grant: Grant | null,
  maxBulkBytes: number,
): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  (server as unknown as { binaryType: string }).binaryType = "arraybuffer";

  const session = new RespSession(pool, auth, grant);
  const decoder = new RequestDecoder({ maxBulkBytes });
  let queue: Promise<void> = Promise.resolve();
  let open = true;

  const closeWith = (code: number, reason: string) => {
    if (!open) return;
    open = false;
    void session.close();
    try {
      server.close(code, reason);
    } catch {
      // already closed
    }
  };

  const handleFrame = async (data: ArrayBuffer | string) => {
    if (!open) return;
    // CLIENT KILL from another connection: closed here, in this connection's own context.
    if (session.killed) return closeWith(1000, "killed");
    decoder.push(typeof data === "string" ? binaryToBytes(utf8ToBinary(data)) : new Uint8Array(data));
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
    }
    const emit = (partial: string) => open && !session.killed && server.send(binaryToBytes(partial));
    let out = cmds.length ? await session.handle(cmds, emit) : "";
    if (protocolError) out += encodeRepliesBinary([error(protocolError.reply)], session.resp);
    if (out && open && !session.killed) server.send(binaryToBytes(out));
    if (protocolError) closeWith(1002, "protocol error");
    else if (session.closing) closeWith(1000, "QUIT");
  };

  server.addEventListener("message", (event) => {
    queue = queue.then(() => handleFrame(event.data as ArrayBuffer | string)).catch((e) => {
      console.error("hotslot: websocket frame failed", e);
      closeWith(1011, "internal error");
    });
  });
  server.addEventListener("close", () => closeWith(1000, "closed"));
  server.addEventListener("error", () => closeWith(1011, "error"));

  return new Response(null, { status: 101, webSocket: client });
}
