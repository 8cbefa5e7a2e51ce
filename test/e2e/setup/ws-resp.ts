/**
 * A raw RESP connection over the Worker's WebSocket, for tests that drive the router
 * directly (no TCP bridge): each pipeline goes out as one binary frame, and every reply is
 * handed, in order, to the callback of the command it answers. Encoding and framing are
 * test/support/resp-wire.ts's; bytes are binary strings (one char per byte).
 */
import { encodePipeline, frameReply } from "../../support/resp-wire";

/** The part of Node's global WebSocket this client uses. */
interface WsLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array): void;
  close(): void;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
}
const WebSocketImpl = (globalThis as unknown as { WebSocket: new (url: string) => WsLike }).WebSocket;

/**
 * Sends pipelines (one frame each) and hands every reply to its command's callback; records
 * nothing on its own. Replies that arrive after the server was killed (sent before it died)
 * are still delivered: to a crash test they are acknowledgements.
 */
export class WsRespConnection {
  private buf = "";
  private readonly waiting: ((reply: string) => void)[] = [];
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(private readonly ws: WsLike) {
    ws.addEventListener("message", (event) => {
      const data = event.data;
      this.buf += typeof data === "string" ? data : Buffer.from(data as ArrayBuffer).toString("latin1");
      let pos = 0;
      for (let end = frameReply(this.buf, pos); end >= 0; end = frameReply(this.buf, pos)) {
        const reply = this.buf.slice(pos, end);
        pos = end;
        const handler = this.waiting.shift();
        if (!handler) throw new Error(`reply nobody asked for: ${JSON.stringify(reply.slice(0, 80))}`);
        handler(reply);
      }
      this.buf = this.buf.slice(pos);
    });
    this.closed = new Promise((resolve) =>
      ws.addEventListener("close", () => {
        this.closedFlag = true;
        this.waiting.length = 0;
        resolve();
      }),
    );
  }

  /** Opens `wsUrl` authenticated with `token` (as the ?token= query parameter). */
  static open(wsUrl: string, token: string): Promise<WsRespConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocketImpl(`${wsUrl}?token=${token}`);
      ws.binaryType = "arraybuffer";
      const conn = new WsRespConnection(ws);
      ws.addEventListener("open", () => resolve(conn));
      ws.addEventListener("error", () => reject(new Error(`WebSocket ${wsUrl} failed`)));
    });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Sends the commands as one frame; `onReply(i, text)` for each reply. Resolves when all came, or on close. */
  send(argvs: string[][], onReply: (i: number, reply: string) => void): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    return new Promise((resolve) => {
      let got = 0;
      argvs.forEach((_, i) =>
        this.waiting.push((reply) => {
          onReply(i, reply);
          if (++got === argvs.length) resolve();
        }),
      );
      void this.closed.then(() => resolve());
      this.ws.send(Buffer.from(encodePipeline(argvs), "latin1"));
    });
  }

  /** One command; resolves with its reply's raw text (throws if the connection closed first). */
  async call(...argv: string[]): Promise<string> {
    let out = "";
    await this.send([argv], (_, r) => (out = r));
    if (!out) throw new Error(`connection closed before ${argv[0]} was answered`);
    return out;
  }

  close(): void {
    this.ws.close();
  }
}
