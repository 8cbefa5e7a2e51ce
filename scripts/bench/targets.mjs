/**
 * The two things every benchmark compares: a Hotslot Worker under wrangler's local runtime
 * (with its TCP bridge) and a redis-server, both on 127.0.0.1. Each benchmark section
 * starts its own Hotslot (fresh storage, the `[vars]` it needs) so sections are independent
 * and can be run alone; redis-server is shared and flushed between sections.
 */
import { startBridge } from "../bridge.mjs";
import { RespClient } from "./resp.mjs";

const { startHotslotWorker, startRedisServer, makePersistDir, removeDir } = await import("../../test/e2e/setup/worker.ts");

export { startRedisServer };

/**
 * Starts Hotslot with `vars` over wrangler.toml's (SHARDS "4" unless given) and a bridge.
 * Returns { port (the bridge's), url, token, vars, stop() }.
 */
export async function startHotslot(vars = {}) {
  const dir = await makePersistDir();
  const worker = await startHotslotWorker({ persistDir: dir, vars: { SHARDS: "4", ...vars } });
  const bridge = await startBridge({ port: 0, url: worker.url, token: worker.token, log: null, mux: process.env.HOTSLOT_BRIDGE_MUX !== "0" });
  return {
    port: bridge.port,
    url: worker.url,
    token: worker.token,
    vars: { SHARDS: "4", ...vars },
    async stop() {
      await bridge.close();
      await worker.stop();
      await removeDir(dir);
    },
  };
}

/** Opens a client, runs `fn(client)`, closes it. */
export async function withClient(port, fn) {
  const c = await RespClient.connect(port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}
