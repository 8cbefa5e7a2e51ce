/**
 * Helpers of the failover tests (the `failover` project: SHARDS=3, REPLICAS=2,
 * MIN_REPLICAS_TO_WRITE=1, three monitors, DOWN_AFTER_MS=1000, MONITOR_INTERVAL_MS=200,
 * FAULT_INJECTION=yes): admin calls, faults, waiting, keys per group.
 */
import { env, SELF } from "cloudflare:test";
import { http } from "./helpers";
import { SlotMap } from "../../src/router/slots";
import type { FaultSpec } from "../../src/monitor/faults";
import type { TopologySnapshot } from "../../src/commands/router-context";
import { groupConfig } from "../../src/monitor/migration-job";
import { contiguousOwner } from "../../src/monitor/slot-map-data";
import { keySlot } from "../../src/util/keyslot";

export const GROUPS = 3;
export const DOWN_AFTER_MS = 1000;
const ADMIN = { Authorization: "Bearer test-admin-token" };

export type Stub = DurableObjectStub & Record<string, (...a: any[]) => Promise<any>>;

export function shard(name: string): Stub {
  return env.SHARD.get(env.SHARD.idFromName(name)) as unknown as Stub;
}

export function monitor(name: string): Stub {
  return env.MONITOR.get(env.MONITOR.idFromName(name)) as unknown as Stub;
}

/** Sets (or heals, with null) a fault through the admin endpoint. */
export async function fault(target: string, spec: FaultSpec | null): Promise<void> {
  const res = await SELF.fetch("http://hotslot/admin/faults", { method: "POST", headers: ADMIN, body: JSON.stringify({ target, fault: spec }) });
  if (res.status !== 200) throw new Error(`fault ${target}: ${res.status} ${await res.text()}`);
}

export async function topology(): Promise<TopologySnapshot> {
  const res = await SELF.fetch("http://hotslot/admin/topology", { headers: ADMIN });
  return (await res.json()) as TopologySnapshot;
}

export async function adminFailover(group: number, timeoutMs = 5000): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch(`http://hotslot/admin/failover/${group}?timeout=${timeoutMs}`, { method: "POST", headers: ADMIN });
  return { status: res.status, json: await res.json() };
}

/** Waits until `fn` returns true (polling), or fails after `ms`. */
export async function until(fn: () => Promise<boolean>, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `count` keys whose slots belong to group `group`. */
export function keysOfGroup(group: number, prefix: string, count = 1): string[] {
  const slots = SlotMap.contiguous(GROUPS);
  const keys: string[] = [];
  for (let i = 0; keys.length < count; i++) if (slots.shardOfKey(`${prefix}${i}`) === group) keys.push(`${prefix}${i}`);
  return keys;
}

/** Waits until every monitor has heard from every member of every group (health checks running). */
export async function monitorsWatching(): Promise<void> {
  await until(async () => {
    const t = await topology();
    return t.monitors.every((m) => m.reachable) && t.groups.every((g) => g.members.every((m) => m.lastOkMsAgo !== null && m.lastOkMsAgo < 1000));
  }, 15_000, "the monitors to watch every member");
}

/** Group `group`'s config as monitor `name` stores it. */
export async function monitorConfig(name: string, group: number): Promise<{ epoch: number; primary: string; replicas: string[] }> {
  return (await monitor(name).topology("test"))[group];
}

/**
 * SET through the router until it is acknowledged (a group's replicas connect after its
 * primary starts: until then min-replicas-to-write 1 refuses writes with NOREPLICAS).
 */
export async function setAcked(key: string, value: string, ms = 10_000): Promise<void> {
  await until(async () => (await http(["SET", key, value])).json.result === "OK", ms, `SET ${key} to be acknowledged`);
}

/** An admin call with a JSON body → its status and parsed JSON. */
export async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const headers = { ...ADMIN, "content-type": "application/json" };
  const res = await SELF.fetch(`http://hotslot${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/**
 * `count` keys of one slot of group 0 (`{<prefix><n>}k<i>`, set to `v-<key>` and
 * acknowledged), with that slot migrating from group 0 to group 1 at epoch 1, pushed to
 * every member of both groups.
 */
export async function keysOfMigratingSlot(prefix: string, count: number): Promise<{ slot: number; keys: string[] }> {
  const owner = contiguousOwner(GROUPS);
  let tag = 0;
  while (owner[keySlot(`${prefix}${tag}`)] !== 0) tag++;
  const slot = keySlot(`${prefix}${tag}`);
  const keys = Array.from({ length: count }, (_, i) => `{${prefix}${tag}}k${i}`);
  for (const k of keys) await setAcked(k, `v-${k}`);
  const chunk = { from: 0, to: 1, slots: [slot], phase: "move" as const };
  for (const g of [0, 1]) {
    const config = groupConfig(owner, g, 1, chunk);
    await shard(`shard-${g}`).configureSlots(config, "primary");
    for (const r of [1, 2]) await shard(`shard-${g}-r${r}`).configureSlots(config, "replica");
  }
  return { slot, keys };
}
