/**
 * globalSetup of the `e2e` project: starts, on free ports on 127.0.0.1,
 *   - the Hotslot Worker (router + 4 shards) under wrangler's local runtime, in a fresh
 *     temporary persist dir, with the test tokens (TEST_TOKEN, TEST_READONLY_TOKEN);
 *   - the TCP bridge (scripts/bridge.mjs) in this process, authenticated with TEST_TOKEN;
 *   - a real redis-server (no persistence) as the reference for differential tests;
 * provides their addresses to the tests (see context.d.ts: `inject("bridgePort")` …) and
 * stops them all when the run ends. Tests that need their own Worker (restarts) use worker.ts.
 */
import type { TestProject } from "vitest/node";
import { startBridge, type Bridge } from "../../../scripts/bridge.mjs";
import { makePersistDir, removeDir, startHotslotWorker, startRedisServer, type HotslotWorker, type RedisServer } from "./worker";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const persistDir = await makePersistDir();
  let worker: HotslotWorker | undefined;
  let redis: RedisServer | undefined;
  let bridge: Bridge | undefined;

  const teardown = async () => {
    await bridge?.close().catch(() => {});
    await Promise.all([worker?.stop().catch(() => {}), redis?.stop().catch(() => {})]);
    await removeDir(persistDir);
  };

  try {
    [worker, redis] = await Promise.all([startHotslotWorker({ persistDir }), startRedisServer()]);
    bridge = await startBridge({ port: 0, url: worker.url, token: worker.token });
  } catch (e) {
    await teardown();
    throw e;
  }

  project.provide("hotslotUrl", worker.url);
  project.provide("wsUrl", worker.wsUrl);
  project.provide("bridgePort", bridge.port);
  project.provide("redisPort", redis.port);
  project.provide("token", worker.token!);
  project.provide("readonlyToken", worker.readonlyToken!);
  console.log(`e2e: Hotslot ${worker.url} (bridge 127.0.0.1:${bridge.port}), redis-server 127.0.0.1:${redis.port}, ready in ${Date.now() - started} ms`);
  return teardown;
}
