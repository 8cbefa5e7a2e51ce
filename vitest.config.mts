// Test projects: `unit` runs pure modules in Node, starting nothing; `reference` runs them in
// Node against a real redis-server each file starts (differential tests, RDB interop);
// `workers` runs inside workerd with the router and shards (cloudflare:test) — `workers-evict`
// and `failover` too, with other settings; `e2e` starts
// wrangler dev, the TCP bridge and a real redis-server, and drives them with real clients
// (redis-cli, ioredis, @upstash/redis).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        test: { name: "reference", include: ["test/reference/**/*.test.ts"], environment: "node" },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // The tokens test/workers/helpers.ts sends: the workers tests run authenticated.
            // SENTINELS=0: no monitors here (no failover in the middle of other tests); the failover project has them.
            // GATEWAY_HTTP=yes: HTTP requests go through the gateway here (e2e covers the default, in the Worker).
            miniflare: { bindings: { SHARDS: "4", SENTINELS: "0", GATEWAY_HTTP: "yes", HOTSLOT_TOKEN: "test-token", HOTSLOT_READONLY_TOKEN: "test-readonly-token", HOTSLOT_ADMIN_TOKEN: "test-admin-token" } },
          }),
        ],
        test: { name: "workers", include: ["test/workers/**/*.test.ts"], exclude: ["test/workers/failover*.test.ts", "test/workers/persistence.test.ts"] },
      },
      {
        // The persistence tests evict every Durable Object while their connections stay open:
        // a gateway holding those connections could not be evicted, so here sessions run in the
        // Worker (GATEWAYS=0; the same session code, src/router/session.ts).
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { SHARDS: "4", SENTINELS: "0", GATEWAYS: "0", HOTSLOT_TOKEN: "test-token", HOTSLOT_READONLY_TOKEN: "test-readonly-token", HOTSLOT_ADMIN_TOKEN: "test-admin-token" } },
          }),
        ],
        test: { name: "workers-evict", include: ["test/workers/persistence.test.ts"] },
      },
      {
        // Failover (src/monitor): monitors on, fast health checks, fault injection allowed.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                SHARDS: "3", REPLICAS: "2", MIN_REPLICAS_TO_WRITE: "1", SENTINELS: "3", SENTINEL_QUORUM: "2",
                DOWN_AFTER_MS: "1000", MONITOR_INTERVAL_MS: "200", FAULT_INJECTION: "yes",
                HOTSLOT_TOKEN: "test-token", HOTSLOT_READONLY_TOKEN: "test-readonly-token", HOTSLOT_ADMIN_TOKEN: "test-admin-token",
              },
            },
          }),
        ],
        test: { name: "failover", include: ["test/workers/failover*.test.ts"], testTimeout: 60_000 },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/setup/global.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
