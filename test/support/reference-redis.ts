/**
 * A real redis-server 7.0 as the reference for differential and interop tests: started on
 * a free 127.0.0.1 port without persistence, reached through a raw RESP client, stopped
 * afterwards. Never a fixed port: test runs in other work trees may be running too.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import net from "node:net";
import { RawRespClient } from "./resp-wire";

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
