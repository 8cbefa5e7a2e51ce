/**
 * The durable ceiling probe (benchmark tooling, not part of Hotslot): the runtime ceiling of
 * ../shared/ceiling — a WebSocket ending in ONE Durable Object that answers SET/GET from a
 * Map, no router, no RPC — plus the one step a store that acknowledges only durable writes
 * cannot skip: a frame holding a write appends one row to the object's SQLite storage, and
 * its replies leave once that commit is durable (the output gate holds them; workerd
 * commits at the end of the event, with an fsync on its one thread). Nothing is shared
 * between frames, as nothing can be for one client waiting on each reply.
 *
 * So its c1 rows bound, on this machine, any design that acknowledges a write only once it
 * is durable, however few hops it has. Started and measured by scripts/bench/durable-ceiling.mjs.
 */
import { DurableObject } from "cloudflare:workers";
import { RequestDecoder } from "../../../src/protocol/resp";
import { binaryToBytes } from "../../../src/util/binary";

interface Env {
  PROBE: DurableObjectNamespace<DurableCeiling>;
}

export class DurableCeiling extends DurableObject<Env> {
  private readonly values = new Map<string, string>();
  private readonly decoders = new Map<WebSocket, RequestDecoder>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, frame BLOB NOT NULL)");
  }

  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("WebSocket only", { status: 426 });
    const [client, server] = Object.values(new WebSocketPair());
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const bytes = typeof message === "string" ? new TextEncoder().encode(message) : new Uint8Array(message);
    let decoder = this.decoders.get(ws);
    if (!decoder) this.decoders.set(ws, (decoder = new RequestDecoder()));
    decoder.push(bytes);
    let replies = "";
    let wrote = false;
    for (const argv of decoder.drain()) {
      const name = argv[0].toUpperCase();
      if (name === "SET" && argv.length === 3) {
        this.values.set(argv[1], argv[2]);
        wrote = true;
        replies += "+OK\r\n";
      } else if (name === "GET" && argv.length === 2) {
        const v = this.values.get(argv[1]);
        replies += v === undefined ? "$-1\r\n" : `$${v.length}\r\n${v}\r\n`;
      } else if (name === "PING") {
        replies += "+PONG\r\n";
      } else if (name === "CONFIG") {
        replies += "*0\r\n"; // redis-benchmark's CONFIG GET at start
      } else {
        replies += "-ERR the probe answers SET, GET and PING only\r\n";
      }
    }
    if (wrote) this.ctx.storage.sql.exec("INSERT INTO log (frame) VALUES (?)", typeof message === "string" ? bytes.buffer : message);
    if (replies) ws.send(binaryToBytes(replies));
  }

  webSocketClose(ws: WebSocket): void {
    this.decoders.delete(ws);
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    return env.PROBE.get(env.PROBE.idFromName("probe")).fetch(request);
  },
};
