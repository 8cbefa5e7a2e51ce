/**
 * Admin endpoints, behind HOTSLOT_ADMIN_TOKEN (`Authorization: Bearer <token>`; never
 * `?_token=`, since URLs are logged); off when it is not set. Both stream, so files
 * larger than one request body or one RPC payload work:
 *
 *   GET  /admin/export  → the whole dataset as one RDB file (version 10, as Redis 7.0
 *                         writes): every shard's keys, each shard a point-in-time image
 *                         (src/shard/export.ts), pulled piece by piece into the
 *                         response. redis-check-rdb accepts it and redis-server loads it.
 *                         Refused (409) while a slot migration runs (src/router/admin-reshard.ts).
 *   POST /admin/import  ← an RDB file written by redis-server (any version up to 10: listpack,
 *                         quicklist, intset, ziplist, zipmap, LZF strings…) as the body; each
 *                         key is RESTOREd (REPLACE, with its absolute TTL) into the shard its
 *                         slot belongs to, in batches. Keys already expired are skipped, as
 *                         Redis skips them when it loads; keys of databases other than 0,
 *                         functions, and types Hotslot does not hold (streams, modules) are
 *                         counted and reported. → {"result": {...counts}} or {"error": "…"}.
 *
 * Failover (src/router/failover-admin.ts):
 *   GET  /admin/topology          → groups (primary, replicas with offsets and lag, epoch) and monitors
 *   POST /admin/failover/<group>  → a controlled failover of the group, as Redis FAILOVER
 *   POST /admin/faults            ← {"target": "shard-0" | "monitor-1", "fault": {...} | null}
 *                                   (test configurations only: FAULT_INJECTION = "yes")
 */
import type { Hono } from "hono";
import { readConfig, type Config, type Env } from "../config";
import { Authenticator } from "./auth";
import { failoverAdmin } from "./failover-admin";
import { shardPool } from "./pool";
import { ERR_EXPORT_DURING_MIGRATION, quietEpoch, slotKeys, startReshard } from "./admin-reshard";
import { ImportFailed, importRdb, rdbFile, type ExportSource } from "./rdb-transfer";

export const ERR_ADMIN_DISABLED = "ERR admin endpoints are disabled: set the HOTSLOT_ADMIN_TOKEN secret";
export const ERR_ADMIN_TOKEN = "WRONGPASS invalid or missing admin token";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** Registers /admin/* on the app; call before the app's other middleware. */
export function mountAdmin(app: Hono<{ Bindings: Env }>): void {
  app.all("/admin/*", async (c) => {
    let config: Config;
    try {
      config = readConfig(c.env);
    } catch (e) {
      return json({ error: (e as Error).message }, 500);
    }
    if (config.adminToken === null) return json({ error: ERR_ADMIN_DISABLED }, 404);
    const url = new URL(c.req.url);
    // Only from the Authorization header: a token in the URL never grants admin (auth.ts).
    if (new Authenticator(config).grantForRequest(c.req.raw.headers, url) !== "admin") {
      return json({ error: ERR_ADMIN_TOKEN }, 401);
    }
    const path = url.pathname;
    if (path === "/admin/export" && (c.req.method === "GET" || c.req.method === "POST")) return exportRdb(c.env);
    if (path === "/admin/import" && (c.req.method === "POST" || c.req.method === "PUT")) return importFile(c.env, c.req.raw);
    // Live resharding (src/router/admin-reshard.ts).
    if (path === "/admin/reshard" && c.req.method === "POST") {
      const r = await startReshard(c.env, await c.req.json().catch(() => null));
      return json(r.body, r.status);
    }
    if (path === "/admin/slot-keys" && c.req.method === "GET") {
      const r = await slotKeys(c.env, url.searchParams.get("groups"));
      return json(r.body, r.status);
    }
    // Failover: topology, controlled failover, fault injection.
    const failover = await failoverAdmin(c.env, c.req.method, path, c.req.raw);
    if (failover !== null) return failover;
    return json({ error: "ERR unknown admin endpoint: GET /admin/export or POST /admin/import" }, 404);
  });
}

// --- export and import ------------------------------------------------------------------

async function exportRdb(env: Env): Promise<Response> {
  const config = readConfig(env);
  const pool = shardPool(env, config.shards);
  // Every group of the current slot map (live resharding may have added some).
  await pool.freshSlots(0);
  const shards = Array.from({ length: pool.slots.shardCount }, (_, i) => i);
  // Live resharding (reshard-tune): no image is taken while keys move between groups.
  const epoch = await quietEpoch(env);
  if (epoch === null) return json({ error: ERR_EXPORT_DURING_MIGRATION }, 409);
  // Every shard's image is taken now, as close together as the RPCs allow.
  const starts = await Promise.all(shards.map((i) => pool.exportStart(i)));
  // A migration began meanwhile: the images may disagree (the unpulled exports expire).
  if ((await quietEpoch(env)) !== epoch) return json({ error: ERR_EXPORT_DURING_MIGRATION }, 409);
  const sources: ExportSource[] = starts.map((s, i) => ({ ...s, pull: (maxBytes) => pool.exportPull(i, s.id, maxBytes) }));
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const out = writable.getWriter();
  const pump = async () => {
    for await (const piece of rdbFile(sources)) await out.write(piece);
    await out.close();
  };
  pump().catch((e) => out.abort(e));
  return new Response(readable, {
    headers: { "content-type": "application/octet-stream", "content-disposition": 'attachment; filename="hotslot.rdb"' },
  });
}

async function importFile(env: Env, req: Request): Promise<Response> {
  const config = readConfig(env);
  if (!req.body) return json({ error: "ERR invalid RDB file: the request has no body" }, 400);
  try {
    const result = await importRdb(shardPool(env, config.shards), pieces(req.body), Date.now, config.maxValueBytes);
    return json({ result });
  } catch (e) {
    if (e instanceof ImportFailed) return json({ error: e.message, result: e.counts }, 400);
    throw e;
  }
}

/** A body's bytes as they arrive. */
async function* pieces(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield value;
  }
}
