/**
 * The failover admin endpoints (mounted by src/router/admin.ts, behind the admin token):
 *   GET  /admin/topology          → the topology snapshot as JSON (src/router/topology-view.ts),
 *                                   with the slot map under "slots" (src/router/admin-reshard.ts)
 *   POST /admin/failover/<group>  → a controlled failover led by the first monitor that answers
 *                                   (src/monitor/failover.ts: writes stop, the replica catches
 *                                   up, then it is promoted; nothing acknowledged is lost)
 *   POST /admin/faults            ← {"target": "<shard or monitor name>", "fault": FaultSpec | null}
 *                                   sets or heals an injected fault; refused (403) unless the
 *                                   deployment sets FAULT_INJECTION = "yes" (tests only)
 */
import { readMonitorConfig, type Env } from "../config";
import { ERR_FAULTS_DISABLED, type FaultSpec } from "../monitor/faults";
import type { Monitor } from "../monitor/monitor";
import { groupLayout, monitorIndex, monitorNames } from "../monitor/names";
import { groupOfName } from "../shard/group";
import { topologyOf } from "./topology";
import { topologySnapshot } from "./topology-view";
import { slotsTopology } from "./admin-reshard";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

interface FaultTarget {
  setFault(spec: FaultSpec | null): Promise<void>;
}

/** Answers a failover admin request, or null if `path` is none of them. */
export async function failoverAdmin(env: Env, method: string, path: string, req: Request): Promise<Response | null> {
  if (path === "/admin/topology" && method === "GET") {
    const [groups, slots] = await Promise.all([topologySnapshot(env, "admin"), slotsTopology(env)]);
    return json({ ...groups, slots });
  }
  const m = /^\/admin\/failover\/(\d+)$/.exec(path);
  if (m && method === "POST") return controlledFailover(env, Number(m[1]), new URL(req.url).searchParams.get("timeout"));
  if (path === "/admin/faults" && method === "POST") return setFault(env, req);
  return null;
}

async function controlledFailover(env: Env, group: number, timeout: string | null): Promise<Response> {
  if (group >= groupLayout(env).groups) return json({ error: `ERR no such group ${group}` }, 404);
  const catchUpMs = timeout !== null && /^\d+$/.test(timeout) ? Number(timeout) : 5000;
  const errors: string[] = [];
  // Any monitor may lead it (it is elected like an automatic failover); the first that answers does.
  for (const name of monitorNames(env)) {
    try {
      const record = await (env.MONITOR.get(env.MONITOR.idFromName(name)) as unknown as Monitor).failover("admin", group, catchUpMs);
      await topologyOf(env).refresh(env);
      return json({ result: { monitor: name, ...record } }, record.outcome.ok ? 200 : 409);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  return json({ error: `ERR no monitor could lead the failover: ${errors.join("; ") || "no monitors (SENTINELS=0)"}` }, 503);
}

async function setFault(env: Env, req: Request): Promise<Response> {
  if (!readMonitorConfig(env).faultInjection) return json({ error: `ERR ${ERR_FAULTS_DISABLED}` }, 403);
  let body: { target?: unknown; fault?: unknown };
  try {
    body = (await req.json()) as typeof body;
  } catch {
    return json({ error: "ERR the body must be JSON: {\"target\": name, \"fault\": spec or null}" }, 400);
  }
  const target = typeof body.target === "string" ? body.target : "";
  const ns = monitorIndex(target) >= 0 ? env.MONITOR : groupOfName(target) !== null ? env.SHARD : null;
  if (ns === null) return json({ error: `ERR unknown fault target ${JSON.stringify(body.target)}` }, 400);
  await (ns.get(ns.idFromName(target)) as unknown as FaultTarget).setFault((body.fault ?? null) as FaultSpec | null);
  return json({ result: "OK" });
}
