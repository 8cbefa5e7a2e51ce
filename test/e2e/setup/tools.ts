/**
 * Small tools for e2e tests that talk RESP over TCP (to the bridge or to redis-server):
 *   - `RawRedis`: a raw connection that sends commands (or any bytes) and returns each
 *     reply as its exact RESP text (binary string: one char per byte), so tests can assert
 *     the bytes a client would see, error text included;
 *   - `redisCli` / `redisBenchmark`: run the real tools asynchronously (never spawnSync: a
 *     bridge started in the same process must keep running) and collect their output.
 */
import { spawn } from "node:child_process";
import net from "node:net";

/** Encodes a command as a RESP multibulk; string arguments are binary strings (one char per byte). */
export function encodeCommand(argv: (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${argv.length}\r\n`, "latin1")];
  for (const a of argv) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), "latin1");
    parts.push(Buffer.from(`$${b.length}\r\n`, "latin1"), b, Buffer.from("\r\n", "latin1"));
  }
  return Buffer.concat(parts);
}

/** End offset of the complete RESP2/RESP3 reply starting at `at`, or -1 if incomplete. */
export function replyEnd(buf: Buffer, at = 0): number {
  if (at >= buf.length) return -1;
  const eol = buf.indexOf("\r\n", at, "latin1");
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[at]);
  const head = buf.toString("latin1", at + 1, eol);
  const after = eol + 2;
  switch (type) {
    case "+": case "-": case ":": case "_": case ",": case "#": case "(":
      return after;
    case "$": case "=": case "!": {
      const n = Number(head);
      if (n < 0) return after;
      return buf.length >= after + n + 2 ? after + n + 2 : -1;
    }
    case "*": case "~": case ">": case "%": case "|": {
      const n = Number(head);
      if (n < 0) return after;
      let pos = after;
      const items = type === "%" || type === "|" ? n * 2 : n;
      for (let i = 0; i < items; i++) {
        pos = replyEnd(buf, pos);
        if (pos < 0) return -1;
      }
      // An attribute (|) precedes the reply it annotates.
      return type === "|" ? replyEnd(buf, pos) : pos;
    }
    default:
      throw new Error(`not a RESP reply: ${JSON.stringify(buf.toString("latin1", at, Math.min(buf.length, at + 40)))}`);
  }
}

/** A raw RESP connection on 127.0.0.1: each call returns the exact reply text. */
export class RawRedis {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private closedFlag = false;
  /** Resolves when the server has closed the connection. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiter?.();
    });
    socket.on("error", () => {});
    this.closed = new Promise((r) =>
      socket.once("close", () => {
        this.closedFlag = true;
        this.waiter?.();
        r();
      }),
    );
  }

  static connect(port: number): Promise<RawRedis> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port });
      s.setNoDelay(true);
      s.once("connect", () => resolve(new RawRedis(s)));
      s.once("error", reject);
    });
  }

  /** Sends one command; resolves with its reply as a binary string, e.g. "+PONG\r\n". */
  async call(...argv: (string | Buffer | number)[]): Promise<string> {
    return (await this.pipeline([argv]))[0];
  }

  /** Sends all commands in one write; resolves with their replies. */
  async pipeline(cmds: (string | Buffer | number)[][]): Promise<string[]> {
    this.socket.write(Buffer.concat(cmds.map(encodeCommand)));
    return this.read(cmds.length);
  }

  /** Reads the next n replies (or fewer if the server closes first; the rest are ""). */
  async read(n: number, timeoutMs = 20_000): Promise<string[]> {
    const out: string[] = [];
    const deadline = Date.now() + timeoutMs;
    while (out.length < n) {
      const end = replyEnd(this.buf);
      if (end >= 0) {
        out.push(this.buf.toString("latin1", 0, end));
        this.buf = this.buf.subarray(end);
        continue;
      }
      if (this.closedFlag) {
        while (out.length < n) out.push("");
        break;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${n - out.length} of ${n} replies`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiter = () => {
          clearTimeout(t);
          this.waiter = null;
          r();
        };
      });
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface ToolResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs a program asynchronously, feeding it `input`, and collects its output. */
export function run(program: string, args: string[], input?: Buffer | string, timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input ?? "");
  });
}

/** `redis-cli -h 127.0.0.1 -p <port> …args` (stdin from `input`, e.g. for -x or --pipe). */
export function redisCli(port: number, args: string[], input?: Buffer | string): Promise<ToolResult> {
  return run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], input);
}

/** `redis-benchmark -h 127.0.0.1 -p <port> …args`. */
export function redisBenchmark(port: number, args: string[]): Promise<ToolResult> {
  return run("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), ...args], undefined, 120_000);
}
