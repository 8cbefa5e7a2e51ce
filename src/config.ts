/**
 * Configuration: wrangler `[vars]` and secrets, read and validated in one place. Invalid
 * configuration throws a clear message at first use (the router turns it into a 500 with
 * that message), instead of misbehaving later.
 */
export interface Env {
  /** The shard Durable Objects (class Shard). */
  SHARD: DurableObjectNamespace;
  /** Number of primary shards (1..16384). */
  SHARDS?: string;
  /** Largest HTTP request body, in bytes. */
  MAX_REQUEST_BYTES?: string;
  /** Largest string value, in bytes. */
  MAX_VALUE_BYTES?: string;
  /** Full-access token (secret). Unset: no authentication (local development only). */
  HOTSLOT_TOKEN?: string;
  /** Read-only token (secret). */
  HOTSLOT_READONLY_TOKEN?: string;
}

export interface Config {
  shards: number;
  maxRequestBytes: number;
  maxValueBytes: number;
  token: string | null;
  readonlyToken: string | null;
}

export class ConfigError extends Error {}

function intVar(env: Env, name: keyof Env, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`Invalid configuration: ${name}=${JSON.stringify(raw)} must be an integer from ${min} to ${max}`);
  }
  return n;
}

const cache = new WeakMap<Env, Config>();

export function readConfig(env: Env): Config {
  let c = cache.get(env);
  if (c) return c;
  c = {
    shards: intVar(env, "SHARDS", 4, 1, 16384),
    maxRequestBytes: intVar(env, "MAX_REQUEST_BYTES", 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    maxValueBytes: intVar(env, "MAX_VALUE_BYTES", 16 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    token: env.HOTSLOT_TOKEN || null,
    readonlyToken: env.HOTSLOT_READONLY_TOKEN || null,
  };
  cache.set(env, c);
  return c;
}
