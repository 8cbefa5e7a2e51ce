/**
 * INFO as the router answers it: the router's own sections (Server, Clients, Cluster)
 * plus the shards' sections merged — Keyspace lines summed over shards, other shard
 * sections merged field by field (integers summed, save times and flags by min / max).
 * Which sections INFO's arguments ask for is src/commands/info-sections.ts, which the
 * shards read them with too.
 */
import { humanBytes } from "../engine/memory";
import { DEFAULT_INFO_SECTIONS, wantedInfoSections } from "../commands/info-sections";
import { verbatim, type Reply } from "../protocol/reply";
import { clientRegistry } from "./clients";
import { HOTSLOT_VERSION, REDIS_VERSION } from "../version";
import { currentAuthMode } from "./auth";

const startedAt = Date.now();

/** INFO server's hotslot_auth, plus a warning field when everyone has full access. */
function authLines(): string[] {
  const mode = currentAuthMode();
  if (mode === null) return [];
  const lines = [`hotslot_auth:${mode}`];
  if (mode !== "token") lines.push("hotslot_auth_warning:no_token_configured_every_client_has_full_access");
  return lines;
}

function serverSection(): string[] {
  return [
    "# Server",
    `redis_version:${REDIS_VERSION}`,
    "redis_mode:standalone",
    `hotslot_version:${HOTSLOT_VERSION}`,
    "os:Cloudflare Workers",
    "arch_bits:64",
    "multiplexing_api:workerd",
    `uptime_in_seconds:${Math.floor((Date.now() - startedAt) / 1000)}`,
    `uptime_in_days:${Math.floor((Date.now() - startedAt) / 86400000)}`,
    ...authLines(),
  ];
}

/** Sections the router writes itself, in INFO's order. */
const ROUTER_SECTIONS: Record<string, () => string[]> = {
  server: serverSection,
  // This isolate's RESP connections (src/router/clients.ts); HTTP requests are not counted.
  clients: () => [
    "# Clients",
    `connected_clients:${clientRegistry.connected}`,
    "cluster_connections:0",
    `blocked_clients:${clientRegistry.blocked}`,
    "tracking_clients:0",
  ],
  cluster: () => ["# Cluster", "cluster_enabled:0"],
};

/** Parses INFO text into sections: lowercase name → lines (header first). */
function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) out.set(line.slice(2).toLowerCase(), (current = [line]));
    else if (line && current) current.push(line);
  }
  return out;
}

function mergeKeyspace(parts: Map<string, string[]>[]): string[] {
  let keys = 0;
  let expires = 0;
  let ttlTotal = 0;
  let subexpiry = 0;
  for (const p of parts) {
    for (const line of p.get("keyspace") ?? []) {
      const m = /^db0:keys=(\d+),expires=(\d+),avg_ttl=(\d+)(?:,subexpiry=(\d+))?/.exec(line);
      if (!m) continue;
      keys += Number(m[1]);
      expires += Number(m[2]);
      subexpiry += Number(m[4] ?? 0);
      ttlTotal += Number(m[3]) * Number(m[2]);
    }
  }
  const lines = ["# Keyspace"];
  if (keys > 0) lines.push(`db0:keys=${keys},expires=${expires},avg_ttl=${expires ? Math.round(ttlTotal / expires) : 0},subexpiry=${subexpiry}`);
  return lines;
}

/**
 * Fields not summed over shards: times and flags (the oldest save time is the cluster's
 * last complete save; a flag or duration is the largest), and statuses ("err" if any).
 */
const MIN_FIELDS = /^rdb_last_save_time$/;
const MAX_FIELDS = /(_in_progress|_scheduled|_time_sec|_time_ms|^loading|^async_loading|^aof_enabled|^aof_last_load_truncated)$/;

function mergeValues(field: string, vals: string[]): string {
  const ints = vals.every((v) => /^-?\d+$/.test(v));
  if (ints && MIN_FIELDS.test(field)) return String(Math.min(...vals.map(Number)));
  if (ints && MAX_FIELDS.test(field)) return String(Math.max(...vals.map(Number)));
  if (ints) return String(vals.reduce((s, v) => s + Number(v), 0));
  if (field.endsWith("_status")) return vals.find((v) => v !== "ok") ?? vals[0];
  if (field.endsWith("_perc") && vals.every((v) => /^[\d.]+$/.test(v))) {
    return (vals.reduce((s, v) => s + Number(v), 0) / vals.length).toFixed(2);
  }
  return vals[0];
}

/** Merges one section over shards: integers are summed (but see mergeValues), percentages averaged, the rest taken from the first. */
function mergeSection(name: string, parts: Map<string, string[]>[]): string[] | undefined {
  const present = parts.map((p) => p.get(name)).filter((l): l is string[] => l !== undefined);
  if (present.length === 0) return undefined;
  const values = new Map<string, string[]>();
  for (const lines of present) {
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const field = line.slice(0, colon);
      if (!values.has(field)) values.set(field, []);
      values.get(field)!.push(line.slice(colon + 1));
    }
  }
  const out = [present[0][0]];
  const merged = new Map<string, string>();
  for (const [field, vals] of values) {
    // A `_human` form is recomputed from its merged byte count.
    const bytes = field.endsWith("_human") ? merged.get(field.slice(0, -"_human".length)) : undefined;
    const value = bytes !== undefined && /^\d+$/.test(bytes) ? humanBytes(Number(bytes)) : mergeValues(field, vals);
    merged.set(field, value);
    out.push(`${field}:${value}`);
  }
  return out;
}

/** The INFO reply for `argv`, given each shard's INFO text for the same arguments. */
export function infoReply(argv: string[], shardTexts: string[]): Reply {
  const want = wantedInfoSections(argv.slice(1));
  const parts = shardTexts.map(sections);
  const names = new Set<string>(Object.keys(ROUTER_SECTIONS));
  for (const p of parts) for (const name of p.keys()) names.add(name);
  const order = [...DEFAULT_INFO_SECTIONS, ...[...names].filter((n) => !DEFAULT_INFO_SECTIONS.includes(n))];
  const out: string[] = [];
  for (const name of order) {
    if (!names.has(name) || (want !== "all" && !want.has(name))) continue;
    let lines: string[] | undefined;
    if (name === "keyspace") lines = mergeKeyspace(parts);
    // Replication: group 0's view (offsets and replicas of different groups do not add up).
    else if (name === "replication") lines = parts[0]?.get(name);
    else if (ROUTER_SECTIONS[name]) lines = ROUTER_SECTIONS[name]();
    else lines = mergeSection(name, parts);
    if (lines) out.push(lines.join("\r\n") + "\r\n");
  }
  return verbatim(out.join("\r\n"));
}
