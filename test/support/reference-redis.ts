/**
 * A real redis-server 7.0 as the reference for differential and interop tests: started on
 * a free 127.0.0.1 port without persistence, reached through a raw RESP client, stopped
 * afterwards. Never a fixed port: test runs in other work trees may be running too.
 *
 * - `startReferenceRedis`: one server, started and stopped by the caller.
 * - `useReferenceRedis`: one server for a whole test file (vitest's beforeAll / afterAll),
 *   reached through a handle that sends RESP2 on the shared connection, or RESP3 on a
 *   fresh one.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";
import { afterAll, beforeAll } from "vitest";
import { encodePipeline, printable, RawRespClient } from "./resp-wire";

export interface ReferenceRedis {
  port: number;
  client: RawRespClient;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface ReferenceRedisOptions {
  /**
   * Its working directory: SAVE writes there, and the file --dbfilename names is loaded
   * from there at start. The caller's to remove. By default a fresh one, removed on stop.
   */
  dir?: string;
  /** More redis-server arguments, e.g. ["--dbfilename", "dump.rdb", "--enable-debug-command", "yes"]. */
  args?: readonly string[];
}

export async function startReferenceRedis(options: ReferenceRedisOptions = {}): Promise<ReferenceRedis> {
  const port = await freePort();
  // Its own directory, so a SAVE sent by a test never writes into the work tree.
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "hotslot-ref-redis-"));
  const server = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dir", dir, ...(options.args ?? [])], {
    stdio: "ignore",
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await exited;
    }
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i++) {
    try {
      const client = await RawRespClient.connect(port);
      const info = await client.call("INFO", "server");
      if (!/redis_version:7\.0\./.test(info)) throw new Error(`the reference must be redis-server 7.0, got: ${info.slice(0, 200)}`);
      // The port was free a moment ago; make sure it is our server that took it, not one
      // another test file started at the same time.
      if (!info.includes(`process_id:${server.pid}\r\n`)) {
        await client.close();
        await stop();
        return startReferenceRedis(options);
      }
      return {
        port,
        client,
        stop: async () => {
          await client.close();
          await stop();
        },
      };
    } catch (e) {
      if ((e as Error).message.startsWith("the reference")) {
        await stop();
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await stop();
  throw new Error(`redis-server did not start on port ${port} (is it installed? apt-get install redis-server)`);
}

// --- one server per test file ------------------------------------------------------------

/** The reference server of a test file; usable from its beforeAll on (until then it throws). */
export interface ReferenceHandle {
  readonly port: number;
  readonly client: RawRespClient;
  /** Sends the commands as one pipeline on the shared RESP2 connection; each reply's raw bytes. */
  pipeline(cmds: readonly (readonly string[])[]): Promise<string[]>;
  /** Sends one command on the shared connection; its reply's raw bytes. */
  call(...argv: string[]): Promise<string>;
  /** Sends the commands on a fresh connection after HELLO 3; each reply's raw RESP3 bytes. */
  resp3(cmds: readonly (readonly string[])[]): Promise<string[]>;
}

/** Starts a reference server before the file's tests and stops it after them. */
export function useReferenceRedis(options: ReferenceRedisOptions = {}): ReferenceHandle {
  let server: ReferenceRedis | undefined;
  beforeAll(async () => {
    server = await startReferenceRedis(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const started = (): ReferenceRedis => {
    if (server === undefined) throw new Error("the reference redis-server is not started yet (use it inside tests or hooks)");
    return server;
  };
  return {
    get port() {
      return started().port;
    },
    get client() {
      return started().client;
    },
    pipeline: (cmds) => started().client.pipeline(cmds),
    call: (...argv) => started().client.call(...argv),
    resp3: (cmds) => resp3Replies(started().port, cmds),
  };
}

// --- RESP3 ---------------------------------------------------------------------------------

/** The end of the RESP3 reply at `pos`, or -1 when incomplete (the types Redis 7.0 sends). */
function frameResp3(buf: string, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return -1;
  const head = buf.slice(pos + 1, eol);
  switch (buf[pos]) {
    case "+":
    case "-":
    case ":":
    case ",":
    case "_":
    case "#":
    case "(":
      return eol + 2;
    case "$":
    case "=":
    case "!": {
      if (Number(head) < 0) return eol + 2;
      const end = eol + 2 + Number(head) + 2;
      return end <= buf.length ? end : -1;
    }
    case "*":
    case "~":
    case "%":
    case ">": {
      const n = Number(head) * (buf[pos] === "%" ? 2 : 1);
      let at = eol + 2;
      for (let i = 0; i < n && at >= 0; i++) at = frameResp3(buf, at);
      return at;
    }
    default:
      throw new Error(`not RESP3 at ${pos}: ${printable(buf.slice(pos, pos + 20))}`);
  }
}

/** Sends commands to the server on `port` over a fresh RESP3 connection; returns each reply's bytes. */
function resp3Replies(port: number, cmds: readonly (readonly string[])[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1" });
    let buf = "";
    const all = [["HELLO", "3"], ...cmds];
    sock.on("connect", () => {
      sock.write(Buffer.from(encodePipeline(all), "latin1"));
    });
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      const out: string[] = [];
      let pos = 0;
      while (out.length < all.length) {
        const end = frameResp3(buf, pos);
        if (end < 0) return;
        out.push(buf.slice(pos, end));
        pos = end;
      }
      sock.end();
      resolve(out.slice(1));
    });
    sock.on("error", reject);
  });
}
