/**
 * Starting Hotslot for end-to-end tests: the router Worker and its shards under wrangler's
 * local runtime (`unstable_startWorker`), and a real `redis-server` as the reference.
 * Used by the e2e globalSetup (global.ts), and by test files that need their own Worker,
 * e.g. to stop it and start a new one on the same persist dir (data must survive a restart):
 *
 *   const dir = await makePersistDir();
 *   let w = await startHotslotWorker({ persistDir: dir });
 *   … write through w.url / w.wsUrl / startBridge({ port: 0, url: w.url, token: w.token }) …
 *   await w.stop();
 *   w = await startHotslotWorker({ persistDir: dir });   // same data, new port
 *   … await w.stop(); await removeDir(dir);
 *
 * Everything listens on 127.0.0.1, on free ports, so concurrent runs never collide. Nothing
 * is downloaded (wrangler's Request.cf fetch and telemetry are turned off).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The full-access and read-only tokens every e2e Worker is configured with (unless told otherwise). */
export const TEST_TOKEN = "e2e-token-0123456789";
export const TEST_READONLY_TOKEN = "e2e-readonly-token-0123456789";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const CONFIG = path.join(ROOT, "wrangler.toml");

/** How long a Worker may take to build and answer its first request. */
const WORKER_READY_MS = 90_000;

/**
 * Environment wrangler reads while starting or stopping a Worker. No network: don't fetch
 * Request.cf or send metrics; local observability only slows start-up; "warn" hides the banner,
 * binding table and shutdown notice. Set only for those calls (then restored), so test
 * processes and the tools they spawn (e.g. `wrangler deploy --dry-run`) see their own environment.
 */
const WRANGLER_ENV: Record<string, string> = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  X_LOCAL_OBSERVABILITY: "false",
  WRANGLER_LOG: process.env.WRANGLER_LOG ?? "warn",
};

async function withWranglerEnv<T>(fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(WRANGLER_ENV).map((k) => [k, process.env[k]]));
  Object.assign(process.env, WRANGLER_ENV);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

export interface HotslotWorkerOptions {
  /** Directory holding the Durable Objects' storage; start again on the same one to restart. */
  persistDir: string;
  /** HTTP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** `[vars]` overriding wrangler.toml (SHARDS defaults to "4"). */
  vars?: Record<string, string>;
  /** Full-access token; null: no authentication. Default TEST_TOKEN. */
  token?: string | null;
  /** Read-only token; null: none. Default TEST_READONLY_TOKEN. */
  readonlyToken?: string | null;
}

export interface HotslotWorker {
  /** HTTP base URL without a trailing slash, e.g. http://127.0.0.1:40123 (Upstash REST). */
  url: string;
  /** The RESP WebSocket, e.g. ws://127.0.0.1:40123/ */
  wsUrl: string;
  port: number;
  persistDir: string;
  token: string | null;
  readonlyToken: string | null;
  /** Stops the Worker (its storage stays in persistDir). */
  stop(): Promise<void>;
}

/** A fresh temporary directory for a Worker's storage. */
export function makePersistDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "hotslot-e2e-"));
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Starts the router Worker with its shard Durable Objects and waits until it answers PING
 * over HTTP. Rejects (after stopping it) if it does not answer in time — usually a build
 * error, which wrangler prints above.
 */
export async function startHotslotWorker(options: HotslotWorkerOptions): Promise<HotslotWorker> {
  const token = options.token === undefined ? TEST_TOKEN : options.token;
  const readonlyToken = options.readonlyToken === undefined ? TEST_READONLY_TOKEN : options.readonlyToken;
  const vars: Record<string, string> = { SHARDS: "4", ...options.vars };
  const bindings: Record<string, { type: "plain_text" | "secret_text"; value: string }> = {};
  for (const [k, v] of Object.entries(vars)) bindings[k] = { type: "plain_text", value: v };
  // Always bound, empty meaning "not set": a developer's .dev.vars must not leak in.
  bindings.HOTSLOT_TOKEN = { type: "secret_text", value: token ?? "" };
  bindings.HOTSLOT_READONLY_TOKEN = { type: "secret_text", value: readonlyToken ?? "" };

  const { unstable_startWorker } = await import("wrangler");
  return withWranglerEnv(async () => {
    const worker = await unstable_startWorker({
      config: CONFIG,
      // A non-empty list of env files (this one never exists) stops wrangler reading .dev.vars.
      envFiles: [path.join(options.persistDir, "none.env")],
      bindings,
      dev: {
        server: { hostname: "127.0.0.1", port: options.port ?? 0 },
        // HOTSLOT_INSPECTOR_PORT: a DevTools inspector for profiling (scripts/bench tooling); off by default.
        inspector: process.env.HOTSLOT_INSPECTOR_PORT ? { port: Number(process.env.HOTSLOT_INSPECTOR_PORT) } : false,
        persist: options.persistDir,
        watch: false,
        liveReload: false,
      },
    } as Parameters<typeof unstable_startWorker>[0]);
    const stop = () => withWranglerEnv(() => worker.dispose());
    try {
      // `ready` resolves before the Worker is built: only a real request proves it serves.
      await worker.ready;
      const base = (await worker.url).origin;
      await waitForWorker(base, token, WORKER_READY_MS);
      const port = Number(new URL(base).port);
      return { url: base, wsUrl: `ws://127.0.0.1:${port}/`, port, persistDir: options.persistDir, token, readonlyToken, stop };
    } catch (e) {
      await stop().catch(() => {});
      throw e;
    }
  });
}

/**
 * Polls `POST / ["PING"]` until it answers {"result":"PONG"}. Wrangler's proxy holds
 * requests while the Worker builds, so each attempt has its own short timeout.
 */
export async function waitForWorker(url: string, token: string | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url + "/", {
        method: "POST",
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: '["PING"]',
        signal: AbortSignal.timeout(Math.min(10_000, Math.max(100, deadline - Date.now()))),
      });
      const text = await res.text();
      if (res.ok && text.includes('"PONG"')) return;
      last = `HTTP ${res.status} ${text.slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`Hotslot Worker at ${url} did not answer PING within ${timeoutMs / 1000}s (${last}); see wrangler's output above (a build error?)`);
}

// --- redis-server, the reference --------------------------------------------------------

export interface RedisServer {
  port: number;
  stop(): Promise<void>;
}

/** Starts `redis-server` from PATH on a free port, without persistence, and waits for PING. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  // Its own directory, removed when it stops, so a SAVE never writes into the work tree.
  const dir = await mkdtemp(path.join(tmpdir(), "hotslot-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning", "--dir", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<never>((_, reject) => {
    child.once("error", (e) =>
      reject(new Error(`cannot start redis-server (${(e as NodeJS.ErrnoException).code === "ENOENT" ? "not on PATH: apt-get install redis-server" : e.message})`)),
    );
    child.once("exit", (code) => reject(new Error(`redis-server exited with code ${code}: ${stderr}`)));
  });
  exited.catch(() => {});
  const stop = () => stopChild(child).then(() => removeDir(dir));
  try {
    await Promise.race([waitForRedis(port, 10_000), exited]);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, stop };
}

/** Waits until a RESP server on the port answers PING with +PONG (or -NOAUTH: it is up). */
export async function waitForRedis(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await new Promise<string>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port });
      let data = "";
      s.setTimeout(1000, () => s.destroy());
      s.on("connect", () => s.write("PING\r\n"));
      s.on("data", (d) => {
        data += d;
        if (data.includes("\r\n")) s.end();
      });
      s.on("error", () => {});
      s.on("close", () => resolve(data));
    });
    if (answer.startsWith("+PONG") || answer.startsWith("-NOAUTH")) return;
    await sleep(50);
  }
  throw new Error(`nothing answered PING on 127.0.0.1:${port} within ${timeoutMs}ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
