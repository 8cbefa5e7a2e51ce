/**
 * Raw RESP2 on the wire, for tests that compare reply *bytes*: a pipeline encoder, a reply
 * framer that splits a byte stream into whole replies, a small reply parser (for comparisons
 * that tolerate time or order), a printable escape for failure messages, and a pipelining
 * TCP client (node:net) that writes commands as RESP multibulk and hands back each reply's
 * raw bytes.
 *
 * Bytes are held as binary strings (one char per byte, as src/util/binary.ts), so a reply
 * from a socket and one from `encodeReply` compare with `===`.
 */
import net from "node:net";
import { encodeCommandBinary } from "../../src/protocol/resp";

// --- encoding --------------------------------------------------------------------

/** Commands as one pipeline of RESP multibulks (a binary string, ready for one write). */
export function encodePipeline(cmds: readonly (readonly string[])[]): string {
  return cmds.map((c) => encodeCommandBinary(c)).join("");
}

// --- framing ---------------------------------------------------------------------

/**
 * The end (exclusive) of the RESP2 reply starting at `pos` in `buf`, or -1 when the reply
 * is not complete yet. Throws on a byte that cannot start a RESP2 reply.
 */
export function frameReply(buf: string, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return -1;
  const type = buf[pos];
  switch (type) {
    case "+":
    case "-":
    case ":":
      return eol + 2;
    case "$": {
      const len = Number(buf.slice(pos + 1, eol));
      if (len < 0) return eol + 2;
      const end = eol + 2 + len + 2;
      return end <= buf.length ? end : -1;
    }
    case "*": {
      const count = Number(buf.slice(pos + 1, eol));
      let at = eol + 2;
      for (let i = 0; i < count; i++) {
        at = frameReply(buf, at);
        if (at < 0) return -1;
      }
      return at;
    }
    default:
      throw new Error(`not a RESP2 reply at byte ${pos}: ${printable(buf.slice(pos, pos + 40))}`);
  }
}

/** Splits a buffer holding whole RESP2 replies into the raw bytes of each. */
export function splitReplies(buf: string): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = frameReply(buf, pos);
    if (end < 0) throw new Error(`incomplete reply: ${printable(buf.slice(pos, pos + 80))}`);
    out.push(buf.slice(pos, end));
    pos = end;
  }
  return out;
}

// --- parsing -----------------------------------------------------------------------

/** A parsed RESP2 reply; `raw` is its exact bytes. */
export type Resp =
  | { type: "+" | "-" | ":"; text: string; raw: string }
  | { type: "$"; text: string | null; raw: string }
  | { type: "*"; items: Resp[] | null; raw: string };

/** Parses one whole RESP2 reply (as framed by `frameReply`). */
export function parseReply(raw: string): Resp {
  const [r, end] = parseAt(raw, 0);
  if (end !== raw.length) throw new Error(`trailing bytes after reply: ${printable(raw)}`);
  return r;
}

function parseAt(buf: string, pos: number): [Resp, number] {
  const end = frameReply(buf, pos);
  if (end < 0) throw new Error(`incomplete reply: ${printable(buf.slice(pos, pos + 80))}`);
  const raw = buf.slice(pos, end);
  const eol = buf.indexOf("\r\n", pos);
  const head = buf.slice(pos + 1, eol);
  const type = buf[pos];
  if (type === "+" || type === "-" || type === ":") return [{ type, text: head, raw }, end];
  if (type === "$") return [{ type, text: Number(head) < 0 ? null : buf.slice(eol + 2, end - 2), raw }, end];
  const count = Number(head);
  if (count < 0) return [{ type: "*", items: null, raw }, end];
  const items: Resp[] = [];
  let at = eol + 2;
  for (let i = 0; i < count; i++) {
    const [item, next] = parseAt(buf, at);
    items.push(item);
    at = next;
  }
  return [{ type: "*", items, raw }, end];
}

// --- printing ------------------------------------------------------------------------

/** A binary string made readable: printable ASCII as is, \r \n \t \\ escaped, other bytes as \xHH. */
export function printable(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13) out += "\\r";
    else if (c === 10) out += "\\n";
    else if (c === 9) out += "\\t";
    else if (c === 92) out += "\\\\";
    else if (c >= 32 && c < 127) out += s[i];
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out;
}

/** A command as a redis-cli-like line, each argument quoted and escaped. */
export function printableCommand(argv: readonly string[]): string {
  return argv.map((a) => `"${printable(a).replace(/"/g, '\\"')}"`).join(" ");
}

// --- the client ------------------------------------------------------------------------

interface Pending {
  count: number;
  replies: string[];
  resolve: (replies: string[]) => void;
  reject: (e: Error) => void;
}

/**
 * A RESP2 client on a raw TCP socket. `pipeline(cmds)` writes every command in one write
 * and resolves with the raw bytes of each reply, in order. Nothing is interpreted, so the
 * replies are exactly what the server sent.
 */
export class RawRespClient {
  private buf = "";
  private readonly pending: Pending[] = [];
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number, host = "127.0.0.1"): Promise<RawRespClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => {
        socket.off("error", reject);
        resolve(new RawRespClient(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Sends the commands as one write; resolves with each reply's raw bytes. */
  pipeline(cmds: readonly (readonly string[])[]): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (cmds.length === 0) return Promise.resolve([]);
    const promise = new Promise<string[]>((resolve, reject) => {
      this.pending.push({ count: cmds.length, replies: [], resolve, reject });
    });
    this.socket.write(Buffer.from(encodePipeline(cmds), "latin1"));
    return promise;
  }

  /** Sends one command; resolves with its reply's raw bytes. */
  async call(...argv: string[]): Promise<string> {
    return (await this.pipeline([argv]))[0];
  }

  /** Writes bytes as they are (for protocol-level tests). */
  writeRaw(bytes: string): void {
    this.socket.write(Buffer.from(bytes, "latin1"));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once("close", () => resolve());
      this.socket.end();
    });
  }

  private onData(chunk: Buffer): void {
    this.buf += chunk.toString("latin1");
    let pos = 0;
    while (this.pending.length > 0) {
      const end = frameReply(this.buf, pos);
      if (end < 0) break;
      const p = this.pending[0];
      p.replies.push(this.buf.slice(pos, end));
      pos = end;
      if (p.replies.length === p.count) {
        this.pending.shift();
        p.resolve(p.replies);
      }
    }
    this.buf = this.buf.slice(pos);
    if (this.buf.length > 0 && this.pending.length === 0) {
      this.fail(new Error(`unexpected bytes from server: ${printable(this.buf.slice(0, 200))}`));
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.splice(0)) p.reject(e);
  }
}
