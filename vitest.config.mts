// Test projects: `unit` runs pure modules in Node, starting nothing; `reference` runs them in
// Node against a real redis-server each file starts (differential tests, RDB interop);
// `workers` runs inside workerd with the router and shards (cloudflare:test); `e2e` starts
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
            miniflare: { bindings: { SHARDS: "4", HOTSLOT_TOKEN: "test-token", HOTSLOT_READONLY_TOKEN: "test-readonly-token", HOTSLOT_ADMIN_TOKEN: "test-admin-token" } },
          }),
        ],
        test: { name: "workers", include: ["test/workers/**/*.test.ts"] },
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
