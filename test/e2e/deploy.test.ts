/**
 * `wrangler deploy --dry-run` builds the Worker and lists its bindings without uploading:
 * proof that `npm run deploy` would bundle and configure correctly.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("deploy", () => {
  it("bundles the router and shards with wrangler deploy --dry-run", () => {
    const outdir = mkdtempSync(join(tmpdir(), "hotslot-dry-"));
    const out = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir], {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    expect(out).toMatch(/env\.SHARD \(Shard\)\s+Durable Object/);
    expect(out).toContain("--dry-run: exiting now.");
  });
});
