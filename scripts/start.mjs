#!/usr/bin/env node
/**
 * `npm start`: runs Hotslot locally — `wrangler dev` (router Worker + shard Durable Objects,
 * state persisted under .wrangler/state) on 127.0.0.1:8787, and the TCP bridge for Redis
 * clients on 127.0.0.1:6379 — then prints how to reach it. Ctrl-C stops both.
 *
 * Environment: HOTSLOT_HTTP_PORT (default 8787), HOTSLOT_BRIDGE_PORT (default 6379).
 * Tokens come from .dev.vars (created from .dev.vars.example when missing). The Worker runs
 * with LOCAL_DEV=yes: see the Security section of the README for what that opens.
 */
import { spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startBridge, tokenFromDevVars } from "./bridge.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const HOST = "127.0.0.1";
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
/**
 * Wrangler needs Node ≥ 22.12. `npm start` puts the project's own Node (the `node`
 * devDependency) first on PATH; when this script is run by an older Node directly, use that one.
 */
function nodeForWrangler() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  const local = path.join(ROOT, "node_modules", "node", "bin", "node");
  if (existsSync(local)) return local;
  fail(`wrangler needs Node 22.12 or later; this is Node ${process.versions.node}. Run \`npm start\` after \`npm ci\`.`);
}
/** First start builds the Worker; allow for a slow machine. */
const READY_TIMEOUT_MS = 120_000;

function portFrom(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) fail(`${name}=${JSON.stringify(raw)} is not a port number`);
  return n;
}

function fail(message) {
  console.error(`hotslot: ${message}`);
  process.exit(1);
}

/** Resolves if nothing listens on 127.0.0.1:port (we can bind it), else rejects with a message. */
function checkPortFree(port, what, envName) {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", (e) =>
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `port ${port} on ${HOST} (${what}) is already in use; stop what uses it or set ${envName}`
            : `cannot listen on ${HOST}:${port} (${what}): ${e.message}`,
        ),
      ),
    );
    s.listen({ host: HOST, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

async function waitUntilAnswering(url, token, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const res = await fetch(url + "/", {
        method: "POST",
        headers: token ? { authorization: `Bearer ${token}` } : {},
        body: '["PING"]',
        signal: AbortSignal.timeout(5000),
      });
      if (res.ok && (await res.text()).includes("PONG")) return true;
    } catch {
      // not listening yet, or still building
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${READY_TIMEOUT_MS / 1000}s`);
}

async function main() {
  process.chdir(ROOT);
  const httpPort = portFrom("HOTSLOT_HTTP_PORT", 8787);
  const bridgePort = portFrom("HOTSLOT_BRIDGE_PORT", 6379);

  if (!existsSync(".dev.vars")) {
    copyFileSync(".dev.vars.example", ".dev.vars");
    console.log("hotslot: created .dev.vars from .dev.vars.example (local tokens; edit it to change them).");
  }
  const token = tokenFromDevVars(".dev.vars");

  try {
    await checkPortFree(httpPort, "HTTP", "HOTSLOT_HTTP_PORT");
    await checkPortFree(bridgePort, "Redis bridge", "HOTSLOT_BRIDGE_PORT");
  } catch (e) {
    fail(e.message);
  }

  const wrangler = spawn(
    nodeForWrangler(),
    [WRANGLER, "dev", "--ip", HOST, "--port", String(httpPort), "--log-level", "warn", "--persist-to", ".wrangler/state", "--show-interactive-dev-session=false",
      // A local development server: the .dev.vars tokens (well known) are honoured and, with no
      // token, requests to 127.0.0.1 are served (src/router/auth.ts). Never set when deployed.
      "--var", "LOCAL_DEV:yes"],
    {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        // Faster start-up; no network: no Request.cf download, no telemetry.
        X_LOCAL_OBSERVABILITY: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_SEND_METRICS: "false",
      },
    },
  );

  let bridge = null;
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    await bridge?.close().catch(() => {});
    if (wrangler.exitCode === null && wrangler.signalCode === null) {
      const killer = setTimeout(() => wrangler.kill("SIGKILL"), 5000);
      await new Promise((r) => {
        wrangler.once("exit", r);
        wrangler.kill("SIGTERM");
      });
      clearTimeout(killer);
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  wrangler.on("exit", (code, signal) => {
    if (stopping) return;
    // Ctrl-C reaches wrangler too (same process group); it may exit before our handler runs.
    const interrupted = code === 0 || signal === "SIGINT" || signal === "SIGTERM";
    if (!interrupted) console.error(`hotslot: wrangler dev exited (${signal ?? `code ${code}`})`);
    void stop(interrupted ? 0 : code || 1);
  });

  const url = `http://${HOST}:${httpPort}`;
  try {
    if (!(await waitUntilAnswering(url, token, wrangler))) return;
    bridge = await startBridge({ port: bridgePort, url, token, mux: process.env.HOTSLOT_BRIDGE_MUX !== "0" });
  } catch (e) {
    console.error(`hotslot: ${e.code === "EADDRINUSE" ? `port ${bridgePort} on ${HOST} was taken meanwhile; set HOTSLOT_BRIDGE_PORT` : e.message}`);
    return stop(1);
  }

  const tokenHint = token
    ? `the HOTSLOT_TOKEN in .dev.vars ("${token}"; well known, so only pages on localhost may call from a browser)`
    : "none (HOTSLOT_TOKEN is not set in .dev.vars: open to everyone on this machine)";
  const auth = token ? ` -H "Authorization: Bearer ${token}"` : "";
  console.log(`
Hotslot is running locally (data persisted in .wrangler/state):

  HTTP, Upstash REST   ${url}
                       token: ${tokenHint}
                       @upstash/redis: new Redis({ url: "${url}", token: "…" })
                       curl${auth} -d '["PING"]' ${url}
  RESP over WebSocket  ws://${HOST}:${httpPort}/   (Authorization: Bearer <token>, or ?token=<token>)
  Redis clients (TCP)  redis-cli -p ${bridge.port}   (the bridge authenticates with the token)

Press Ctrl-C to stop.`);
}

await main();
