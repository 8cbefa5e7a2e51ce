#!/usr/bin/env node
/**
 * `node scripts/snapshot-bench.mjs`: how long a shard pauses while it snapshots, and how
 * long it takes to recover, for 10, 50, 64 and 100 MB of data. Bundles
 * scripts/snapshot-bench.ts (which imports the shard's persistence from src/) with
 * esbuild and runs it on Node's V8 and built-in SQLite.
 *
 * Options (environment): SNAPSHOT_BENCH_MB (comma list, default "10,50,64,100"),
 * SNAPSHOT_BENCH_SLICE (bytes of snapshot output per slice).
 */
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "hotslot-bench-"));
const outfile = join(dir, "snapshot-bench.mjs");
try {
  await build({ entryPoints: [join(here, "snapshot-bench.ts")], bundle: true, platform: "node", format: "esm", outfile, logLevel: "error" });
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
