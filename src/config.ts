/**
 * Configuration: wrangler `[vars]` and secrets, read and validated in one place. Invalid
 * configuration throws a clear message at first use (the router turns it into a 500 with
 * that message), instead of misbehaving later.
 */
import { DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_REPLY_ELEMENTS } from "./commands/reply-budget";
import { EVICTION_POLICIES, type EvictionPolicy } from "./engine/settings";
import { parseMemory } from "./util/numbers";
import { SHIP_INTERVAL_MS } from "./shard/replication-source";

export interface Env {
  /** The shard Durable Objects (class Shard). */
  SHARD: DurableObjectNamespace;
  /** The SlotCoordinator (live resharding): one object, "slot-map", holding the slot map. */
  COORDINATOR?: DurableObjectNamespace;
  /** Pub/Sub hubs (class PubSubHub, src/pubsub/hub.ts); absent: Pub/Sub is off. */
  HUB?: DurableObjectNamespace;
  /** Pub/Sub: number of hubs (1..1024, default 4); channels are split over them by slot. */
  PUBSUB_HUBS?: string;
  /** RESP gateways (class Gateway, src/gateway/gateway.ts); absent: sessions run in the Worker. */
  GATEWAY?: DurableObjectNamespace;
  /** How many gateway objects hold RESP WebSocket sessions (0..1024, default 1; 0 = the Worker holds them). */
  GATEWAYS?: string;
  /** "yes": HTTP command requests are served by the gateways too (default "no": by the Worker). */
  GATEWAY_HTTP?: string;
  /** Number of primary shards (1..16384). */
  SHARDS?: string;
  /** Largest HTTP request body, in bytes. */
  MAX_REQUEST_BYTES?: string;
  /** Largest string value, in bytes. */
  MAX_VALUE_BYTES?: string;
  /** Each shard's initial maxmemory ("64mb", "0" = the platform bound, 100 MB); CONFIG SET overrides it. */
  MAXMEMORY?: string;
  /** Each shard's initial maxmemory-policy; CONFIG SET overrides it. */
  MAXMEMORY_POLICY?: string;
  /**
   * Full-access token (secret). With no token at all (this, the read-only or the admin
   * token) every request is refused, unless ALLOW_UNAUTHENTICATED=yes or LOCAL_DEV.
   */
  HOTSLOT_TOKEN?: string;
  /** Read-only token (secret). */
  HOTSLOT_READONLY_TOKEN?: string;
  /**
   * Admin token (secret): the /admin endpoints (RDB export and import) and DEBUG. Unset:
   * the admin endpoints are off, and DEBUG is refused as Redis refuses it by default.
   */
  HOTSLOT_ADMIN_TOKEN?: string;
  /** "yes" allows DEBUG (Redis's enable-debug-command); default "no": refused as Redis does. */
  ENABLE_DEBUG_COMMAND?: string;
  /** "yes" serves everyone with full access when no token is configured (default "no": refused). */
  ALLOW_UNAUTHENTICATED?: string;
  /**
   * "yes" on a local development server only (`npm start` passes it; .dev.vars.example has
   * it; wrangler deploys neither): requests to a loopback hostname are then served without
   * a token when none is configured, and the well-known dev tokens are honoured. Never set
   * it in wrangler.toml.
   */
  LOCAL_DEV?: string;
  /**
   * Origins (comma- or space-separated, e.g. "https://app.example,https://admin.example",
   * or "*") whose pages may call the service from a browser. Unset: any origin (with "*"),
   * except on a local development server, where only loopback origins may.
   */
  CORS_ORIGINS?: string;
  /** Most commands in one /pipeline or /multi-exec body. */
  MAX_PIPELINE_COMMANDS?: string;
  /** Most arguments (all commands together) in one HTTP request body. */
  MAX_REQUEST_ARGS?: string;
  /** "no" turns the append log off (benchmarks only: nothing survives a restart). */
  PERSISTENCE?: string;
  /** Most elements one reply may hold; a larger one is refused with "ERR reply too large". */
  MAX_REPLY_ELEMENTS?: string;
  /** Most payload bytes one reply (and one shard batch's replies) may hold; under the 32 MiB RPC limit. */
  MAX_REPLY_BYTES?: string;
  /** Replication (src/shard/replication.ts): replica objects per group (default 1; 0 = none). */
  REPLICAS?: string;
  /** Location hints for replicas, comma-separated ("enam,weur"): replica k gets the k-th. */
  REPLICA_LOCATIONS?: string;
  /** Initial min-replicas-to-write (CONFIG SET overrides it). */
  MIN_REPLICAS_TO_WRITE?: string;
  /** Initial min-replicas-max-lag in seconds (CONFIG SET overrides it). */
  MIN_REPLICAS_MAX_LAG?: string;
  /** Replication pacing: a replica is shipped to at most every this many ms while no ack is awaited (0: every commit). */
  REPL_SHIP_INTERVAL_MS?: string;
  // --- failover monitors (src/monitor) ---
  /** The monitor Durable Objects (class Monitor), "monitor-0" … */
  MONITOR: DurableObjectNamespace;
  /** Number of monitor objects (default 3; 0 = no monitors, no automatic failover). */
  SENTINELS?: string;
  /** Monitors that must see a primary down before it is failed over (default 2). */
  SENTINEL_QUORUM?: string;
  /** A primary failing every ping for this long is subjectively down (default 5000). */
  DOWN_AFTER_MS?: string;
  /** How often each monitor pings every primary and replica (default 1000). */
  MONITOR_INTERVAL_MS?: string;
  /** "yes" in a test configuration only: allows fault injection (src/monitor/faults.ts). */
  FAULT_INJECTION?: string;
}

export interface Config {
  shards: number;
  maxRequestBytes: number;
  maxValueBytes: number;
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  token: string | null;
  readonlyToken: string | null;
  adminToken: string | null;
  enableDebugCommand: boolean;
  persistence: boolean;
  allowUnauthenticated: boolean;
  localDevelopment: boolean;
  /** Allowed browser origins; null: the default (see Env.CORS_ORIGINS); ["*"]: any. */
  corsOrigins: string[] | null;
  maxPipelineCommands: number;
  maxRequestArgs: number;
  maxReplyElements: number;
  maxReplyBytes: number;
  /** Replication: replicas per group, their location hints, min-replicas-to-write / max-lag. */
  replicas: number;
  replicaLocations: string[];
  minReplicasToWrite: number;
  minReplicasMaxLag: number;
  /** Replication pacing (src/shard/replication-source.ts). */
  replShipIntervalMs: number;
  /** Pub/Sub: hub count. */
  pubsubHubs: number;
  /** RESP gateways: how many objects hold WebSocket sessions (0: the Worker holds each itself). */
  gateways: number;
  /** HTTP command requests go to the gateways too (they share shard calls; one more hop each). */
  gatewayHttp: boolean;
}

/** The failover monitors' settings (src/monitor), read apart from Config. */
export interface MonitorConfig {
  sentinels: number;
  quorum: number;
  downAfterMs: number;
  intervalMs: number;
  faultInjection: boolean;
}

export class ConfigError extends Error {}

/** MAX_REPLY_BYTES' ceiling: a shard's replies cross one RPC, whose limit is 32 MiB serialized. */
export const MAX_RPC_REPLY_BYTES = 30 * 1024 * 1024;

function intVar(env: Env, name: keyof Env, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
  }
  return n;
}

/** Default per-shard limit: a shard's isolate has 128 MB, and the runtime needs head-room. */
export const DEFAULT_MAXMEMORY = 64 * 1024 * 1024;

/**
 * Default policy: allkeys-lru, as Redis recommends for a cache. Redis's own default,
 * noeviction, makes a full shard refuse writes: set MAXMEMORY_POLICY=noeviction for
 * data that must not be dropped.
 */
export const DEFAULT_MAXMEMORY_POLICY: EvictionPolicy = "allkeys-lru";

function memoryVar(env: Env, name: keyof Env, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = typeof raw === "string" ? parseMemory(raw.trim()) : null;
  if (n === null || !Number.isSafeInteger(n)) {
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must be a size in bytes, optionally with a unit (64mb, 1gb; 0 = the platform bound)`);
  }
  return n;
}

function policyVar(env: Env, name: keyof Env, fallback: EvictionPolicy): EvictionPolicy {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (!(EVICTION_POLICIES as readonly string[]).includes(v)) {
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must be one of ${EVICTION_POLICIES.join(", ")}`);
  }
  return v as EvictionPolicy;
}

function yesNoVar(env: Env, name: keyof Env, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = typeof raw === "string" ? raw.trim().toLowerCase() : "";
  if (v === "yes") return true;
  if (v === "no") return false;
  throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must be yes or no`);
}

/**
 * Default bounds of one HTTP body, checked on its text before it is parsed: a 10 MB body
 * of tiny arrays or arguments would otherwise become hundreds of MB of objects in a
 * 128 MB isolate. 1,048,576 arguments is Redis's old multibulk length limit.
 */
export const DEFAULT_MAX_PIPELINE_COMMANDS = 100_000;
export const DEFAULT_MAX_REQUEST_ARGS = 1024 * 1024;

function originsVar(env: Env, name: keyof Env): string[] | null {
  const raw = env[name];
  if (raw === undefined || raw === "") return null;
  const list = typeof raw === "string" ? raw.split(/[\s,]+/).filter((o) => o !== "") : [];
  for (const o of list) {
    if (o !== "*" && !/^https?:\/\/[^/\s]+$/i.test(o)) {
      throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must list origins like https://app.example (scheme and host, no path), or *`);
    }
  }
  return list.map((o) => o.toLowerCase());
}

const cache = new WeakMap<Env, Config>();

export function readConfig(env: Env): Config {
  let c = cache.get(env);
  if (c) return c;
  c = {
    shards: intVar(env, "SHARDS", 4, 1, 16384),
    maxRequestBytes: intVar(env, "MAX_REQUEST_BYTES", 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxValueBytes: intVar(env, "MAX_VALUE_BYTES", 16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxmemory: memoryVar(env, "MAXMEMORY", DEFAULT_MAXMEMORY),
    maxmemoryPolicy: policyVar(env, "MAXMEMORY_POLICY", DEFAULT_MAXMEMORY_POLICY),
    token: env.HOTSLOT_TOKEN || null,
    readonlyToken: env.HOTSLOT_READONLY_TOKEN || null,
    adminToken: env.HOTSLOT_ADMIN_TOKEN || null,
    enableDebugCommand: yesNoVar(env, "ENABLE_DEBUG_COMMAND", false),
    persistence: yesNoVar(env, "PERSISTENCE", true),
    allowUnauthenticated: yesNoVar(env, "ALLOW_UNAUTHENTICATED", false),
    localDevelopment: yesNoVar(env, "LOCAL_DEV", false),
    corsOrigins: originsVar(env, "CORS_ORIGINS"),
    maxPipelineCommands: intVar(env, "MAX_PIPELINE_COMMANDS", DEFAULT_MAX_PIPELINE_COMMANDS, 1, 100_000_000),
    maxRequestArgs: intVar(env, "MAX_REQUEST_ARGS", DEFAULT_MAX_REQUEST_ARGS, 1, 100_000_000),
    maxReplyElements: intVar(env, "MAX_REPLY_ELEMENTS", DEFAULT_MAX_REPLY_ELEMENTS, 1024, 10_000_000),
    maxReplyBytes: intVar(env, "MAX_REPLY_BYTES", DEFAULT_MAX_REPLY_BYTES, 64 * 1024, MAX_RPC_REPLY_BYTES),
    replicas: intVar(env, "REPLICAS", 1, 0, 16),
    replicaLocations: (env.REPLICA_LOCATIONS ?? "").split(",").map((h) => h.trim()).filter((h) => h !== ""),
    minReplicasToWrite: intVar(env, "MIN_REPLICAS_TO_WRITE", 0, 0, 16),
    minReplicasMaxLag: intVar(env, "MIN_REPLICAS_MAX_LAG", 10, 0, 3600),
    replShipIntervalMs: intVar(env, "REPL_SHIP_INTERVAL_MS", SHIP_INTERVAL_MS, 0, 1000),
    pubsubHubs: intVar(env, "PUBSUB_HUBS", 4, 1, 1024),
    gateways: env.GATEWAY ? intVar(env, "GATEWAYS", 1, 0, 1024) : 0,
    gatewayHttp: env.GATEWAY_HTTP === "yes",
  };
  cache.set(env, c);
  return c;
}

const monitorCache = new WeakMap<Env, MonitorConfig>();

/** The failover monitors' settings; the quorum may not exceed the number of monitors. */
export function readMonitorConfig(env: Env): MonitorConfig {
  let c = monitorCache.get(env);
  if (c) return c;
  const sentinels = intVar(env, "SENTINELS", 3, 0, 15);
  c = {
    sentinels,
    // With SENTINELS=0 (no monitors) the quorum is moot, so any valid number is accepted.
    quorum: intVar(env, "SENTINEL_QUORUM", Math.min(2, Math.max(1, sentinels)), 1, sentinels > 0 ? sentinels : 15),
    downAfterMs: intVar(env, "DOWN_AFTER_MS", 5000, 100, 3_600_000),
    intervalMs: intVar(env, "MONITOR_INTERVAL_MS", 1000, 50, 3_600_000),
    faultInjection: yesNoVar(env, "FAULT_INJECTION", false),
  };
  monitorCache.set(env, c);
  return c;
}
