#!/usr/bin/env node
/**
 * npm run reshard -- --shards <n> | --rebalance keys|memory|load [--url URL] [--token TOKEN]
 *
 * Starts a live reshard (POST /admin/reshard, admin token) against the local server by
 * default (http://127.0.0.1:8787, HOTSLOT_ADMIN_TOKEN from the environment or .dev.vars),
 * then follows GET /admin/topology until the job is done, printing progress.
 */
import { existsSync, readFileSync } from "node:fs";

function arg(name) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function devVarsToken() {
  if (!existsSync(".dev.vars")) return undefined;
  const m = /^HOTSLOT_ADMIN_TOKEN\s*=\s*"?([^"\n]*)"?/m.exec(readFileSync(".dev.vars", "utf8"));
  return m?.[1];
}

const url = (arg("url") ?? process.env.HOTSLOT_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
const token = arg("token") ?? process.env.HOTSLOT_ADMIN_TOKEN ?? devVarsToken();
const shards = arg("shards");
const rebalance = arg("rebalance");
if (!shards && !rebalance) {
  console.error("usage: npm run reshard -- --shards <n> | --rebalance keys|memory|load [--url URL] [--token TOKEN]");
  process.exit(2);
}
const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
const body = shards ? { shards: Number(shards) } : { rebalance };
const start = await fetch(`${url}/admin/reshard`, { method: "POST", headers, body: JSON.stringify(body) });
const started = await start.json();
if (!start.ok) {
  console.error(started.error ?? started);
  process.exit(1);
}
console.log("started:", JSON.stringify(started.result));
for (;;) {
  await new Promise((r) => setTimeout(r, 1000));
  const t = await (await fetch(`${url}/admin/topology`, { headers })).json();
  const job = t.slots?.job;
  if (!job) {
    const last = t.slots?.lastJob;
    console.log(`done: epoch ${t.slots?.epoch}, ${t.slots?.groups} groups` + (last ? `, ${last.keysMoved} keys (${(last.bytesMoved / 1048576).toFixed(1)} MB) moved at ${last.keysPerSecond} keys/s` : ""));
    break;
  }
  console.log(`${job.doneSlots}/${job.totalSlots} slots, ${job.keysMoved} keys, ${job.keysPerSecond} keys/s, ${job.mbPerSecond} MB/s${job.lastError ? `, retrying: ${job.lastError}` : ""}`);
}
