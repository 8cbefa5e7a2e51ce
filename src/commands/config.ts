/**
 * CONFIG GET / SET / RESETSTAT / REWRITE over a table of parameters, with Redis 7.0's
 * names (and their old ziplist aliases), validation and error texts. Engine parameters
 * live in the keyspace's settings; a few fixed ones describe how Hotslot runs. CONFIG SET
 * is sent to every shard and logged (it bumps dirty), so it survives restarts.
 *
 * Parameters are found in a Map (never through an object's prototype), and every value is
 * validated before any is applied. Where Redis's range would let a shard outgrow what a
 * Durable Object can hold or recover (src/engine/settings.ts has the bounds), the range
 * is narrower, and a value outside it is refused with Redis's range error and the reason:
 *
 * - maxmemory: at most PLATFORM_MAXMEMORY (100 MB of the isolate's 128 MB). 0, Redis's
 *   "no limit", is accepted and sets that bound (CONFIG GET then shows it): without a
 *   limit a shard would grow past its isolate and crash at every restart while loading.
 * - auto-aof-rewrite-percentage: 1 to 200. 0 (Redis: no automatic rewrite) is refused: the
 *   log would grow until replaying it at start-up could not finish.
 * - auto-aof-rewrite-min-size: at most PLATFORM_MAX_LOG_BYTES (256 MB), for the same reason.
 * - maxmemory-samples: 1 to 64 (eviction samples this many keys per evicted key).
 */
import { globMatch } from "../engine/glob";
import { ERR_EVENT_CLASS, formatKeyspaceEvents, parseKeyspaceEvents } from "../engine/notify";
import {
  AOF_REWRITE_PERCENTAGE_MAX,
  AOF_REWRITE_PERCENTAGE_MIN,
  EVICTION_POLICIES,
  MAXMEMORY_SAMPLES_MAX,
  PLATFORM_MAX_LOG_BYTES,
  PLATFORM_MAXMEMORY,
  type EngineSettings,
  type EvictionPolicy,
} from "../engine/settings";
import { map, OK, type Reply } from "../protocol/reply";
import { parseInt64, parseMemory } from "../util/numbers";
import type { ExecContext } from "./context";
import { CommandError, errUnknownSubcommand, errWrongArity } from "./errors";
import { defineCommand } from "./table";

interface Parameter {
  name: string;
  alias?: string;
  get(ctx: ExecContext): string;
  /** Validates and applies; returns an error detail, or null on success. */
  set?(ctx: ExecContext, value: string): string | null;
}

const INT64_MAX = "9223372036854775807";

/** Redis's range error, with why Hotslot's range is narrower than Redis's when it is. */
function outOfRange(min: number, maxText: string, why?: string): string {
  return `argument must be between ${min} and ${maxText} inclusive${why ? ` (${why})` : ""}`;
}

const WHY_LOG_BOUND = "a shard must compact its log often enough to replay it at start-up";

function integerSetting(
  name: string,
  key: keyof EngineSettings,
  min: number,
  max: number,
  alias?: string,
  maxText = String(max),
  why?: string,
): Parameter {
  return {
    name,
    alias,
    get: (ctx) => String(ctx.db.settings[key]),
    set: (ctx, value) => {
      // string2ll, as Redis's numericParseString reads integer parameters.
      const parsed = parseInt64(value);
      if (parsed === null) return "argument couldn't be parsed into an integer";
      const n = Number(parsed);
      if (n < min || n > max) return outOfRange(min, maxText, why);
      (ctx.db.settings[key] as number) = n;
      return null;
    },
  };
}

/**
 * A memory parameter (memtoull: "100mb", "1gb", plain bytes; "" is 0, as Redis reads it)
 * from 0 to `max` bytes; `zero` is what 0 stores.
 */
function memorySetting(name: string, key: "maxmemory" | "autoAofRewriteMinSize" | "replBacklogSize", max: number, why: string, zero = 0): Parameter {
  return {
    name,
    get: (ctx) => String(ctx.db.settings[key]),
    set: (ctx, value) => {
      const n = value === "" ? 0 : parseMemory(value);
      if (n === null) return "argument must be a memory value";
      if (n > max) return outOfRange(0, String(max), why);
      ctx.db.settings[key] = n === 0 ? zero : n;
      return null;
    },
  };
}

function fixed(name: string, value: string | (() => string)): Parameter {
  return { name, get: () => (typeof value === "string" ? value : value()) };
}

const PARAMETERS: Parameter[] = [
  memorySetting("maxmemory", "maxmemory", PLATFORM_MAXMEMORY, `a shard's isolate has 128 MB; 0 sets ${PLATFORM_MAXMEMORY}`, PLATFORM_MAXMEMORY),
  {
    name: "maxmemory-policy",
    get: (ctx) => ctx.db.settings.maxmemoryPolicy,
    set: (ctx, value) => {
      const v = value.toLowerCase();
      if (!(EVICTION_POLICIES as readonly string[]).includes(v)) {
        return `argument(s) must be one of the following: ${EVICTION_POLICIES.join(", ")}`;
      }
      ctx.db.settings.maxmemoryPolicy = v as EvictionPolicy;
      return null;
    },
  },
  integerSetting("maxmemory-samples", "maxmemorySamples", 1, MAXMEMORY_SAMPLES_MAX, undefined, undefined, "each eviction samples this many keys"),
  integerSetting("lfu-log-factor", "lfuLogFactor", 0, 2147483647),
  integerSetting("busy-reply-threshold", "busyReplyThreshold", 0, 2147483647, "lua-time-limit"),
  integerSetting("lfu-decay-time", "lfuDecayTime", 0, 2147483647),
  // When the shard snapshots and compacts its log (src/shard/persistence.ts).
  integerSetting(
    "auto-aof-rewrite-percentage",
    "autoAofRewritePercentage",
    AOF_REWRITE_PERCENTAGE_MIN,
    AOF_REWRITE_PERCENTAGE_MAX,
    undefined,
    undefined,
    WHY_LOG_BOUND,
  ),
  memorySetting("auto-aof-rewrite-min-size", "autoAofRewriteMinSize", PLATFORM_MAX_LOG_BYTES, WHY_LOG_BOUND),
  integerSetting("hash-max-listpack-entries", "hashMaxListpackEntries", 0, Number.MAX_SAFE_INTEGER, "hash-max-ziplist-entries", INT64_MAX),
  integerSetting("hash-max-listpack-value", "hashMaxListpackValue", 0, Number.MAX_SAFE_INTEGER, "hash-max-ziplist-value", INT64_MAX),
  integerSetting("set-max-intset-entries", "setMaxIntsetEntries", 0, Number.MAX_SAFE_INTEGER, undefined, INT64_MAX),
  integerSetting("zset-max-listpack-entries", "zsetMaxListpackEntries", 0, Number.MAX_SAFE_INTEGER, "zset-max-ziplist-entries", INT64_MAX),
  integerSetting("zset-max-listpack-value", "zsetMaxListpackValue", 0, Number.MAX_SAFE_INTEGER, "zset-max-ziplist-value", INT64_MAX),
  integerSetting("list-max-listpack-size", "listMaxListpackSize", -2147483648, 2147483647, "list-max-ziplist-size"),
  integerSetting("list-compress-depth", "listCompressDepth", 0, 2147483647),
  // Replication (src/shard/replication-source.ts): the backlog, and min-replicas' write gate.
  memorySetting("repl-backlog-size", "replBacklogSize", PLATFORM_MAXMEMORY / 4, "the backlog is held in the primary's isolate", 1),
  integerSetting("min-replicas-to-write", "minReplicasToWrite", 0, 2147483647, "min-slaves-to-write"),
  integerSetting("min-replicas-max-lag", "minReplicasMaxLag", 0, 2147483647, "min-slaves-max-lag"),
  // A memory parameter up to LONG_MAX, as Redis 7.0 (a sparse HLL never passes ~16 KB).
  {
    name: "hll-sparse-max-bytes",
    // Held as a double: LONG_MAX itself reads back as 2^63.
    get: (ctx) => (ctx.db.settings.hllSparseMaxBytes >= 2 ** 63 ? INT64_MAX : String(ctx.db.settings.hllSparseMaxBytes)),
    set: (ctx, value) => {
      const n = value === "" ? 0 : parseMemory(value);
      if (n === null) return "argument must be a memory value";
      if (n > 2 ** 63) return outOfRange(0, INT64_MAX);
      ctx.db.settings.hllSparseMaxBytes = n;
      return null;
    },
  },
  {
    name: "notify-keyspace-events",
    get: (ctx) => formatKeyspaceEvents(ctx.db.settings.notifyKeyspaceEvents),
    set: (ctx, value) => {
      const flags = parseKeyspaceEvents(value);
      if (flags === null) return ERR_EVENT_CLASS;
      ctx.db.settings.notifyKeyspaceEvents = flags;
      return null;
    },
  },
  {
    // Pub/Sub (src/pubsub): the pubsub class's hard limit disconnects a slow subscriber.
    name: "client-output-buffer-limit",
    get: (ctx) => {
      const l = ctx.db.settings.clientOutputBufferLimit;
      return `normal ${l.normal.join(" ")} slave ${l.replica.join(" ")} pubsub ${l.pubsub.join(" ")}`;
    },
    set: (ctx, value) => {
      const parsed = parseBufferLimits(value);
      if (typeof parsed === "string") return parsed;
      ctx.db.settings.clientOutputBufferLimit = { ...ctx.db.settings.clientOutputBufferLimit, ...parsed };
      return null;
    },
  },
  fixed("databases", "1"),
  fixed("save", ""),
  fixed("appendonly", "yes"),
  fixed("appendfsync", "always"),
  fixed("timeout", "0"),
  fixed("cluster-enabled", "no"),
];

/** CONFIG SET client-output-buffer-limit's value: `<class> <hard> <soft> <seconds>`…, as Redis 7.0 reads it. */
function parseBufferLimits(value: string): Partial<EngineSettings["clientOutputBufferLimit"]> | string {
  const args = value.split(" ").filter((a) => a !== "");
  if (args.length % 4 !== 0) return "Wrong number of arguments in buffer limit configuration.";
  const out: Partial<EngineSettings["clientOutputBufferLimit"]> = {};
  for (let i = 0; i < args.length; i += 4) {
    const cls = args[i].toLowerCase();
    const key = cls === "normal" ? "normal" : cls === "slave" || cls === "replica" ? "replica" : cls === "pubsub" ? "pubsub" : null;
    if (key === null) return "Invalid client class specified in buffer limit configuration.";
    const hard = parseMemory(args[i + 1]);
    const soft = parseMemory(args[i + 2]);
    const seconds = parseInt64(args[i + 3]);
    if (hard === null || soft === null || seconds === null || seconds < 0n) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    out[key] = [hard, soft, Number(seconds)];
  }
  return out;
}

const byName = new Map<string, Parameter>();
for (const p of PARAMETERS) {
  byName.set(p.name, p);
  if (p.alias) byName.set(p.alias, p);
}

function configGet(ctx: ExecContext, patterns: string[]): Reply {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const given of patterns) {
    const pattern = given.toLowerCase();
    // A name without glob characters is looked up directly and answered as it was typed.
    if (!/[[*?]/.test(pattern)) {
      const p = byName.get(pattern);
      if (p && !seen.has(pattern)) {
        seen.add(pattern);
        out.push(given, p.get(ctx));
      }
      continue;
    }
    for (const [name, p] of byName) {
      if (seen.has(name) || !globMatch(pattern, name)) continue;
      seen.add(name);
      out.push(name, p.get(ctx));
    }
  }
  // A map in RESP3, a flat array in RESP2, as Redis replies.
  return map(out);
}

function configSet(ctx: ExecContext, args: string[]): Reply {
  if (args.length === 0 || args.length % 2 !== 0) throw new CommandError(errWrongArity("config|set"));
  const pairs: [Parameter, string, string][] = [];
  const names = new Set<string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i].toLowerCase();
    const p = byName.get(name);
    if (!p) throw new CommandError(`ERR Unknown option or number of arguments for CONFIG SET - '${args[i]}'`);
    if (names.has(p.name)) throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - duplicate parameter`);
    names.add(p.name);
    if (!p.set) throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${args[i]}') - can't set immutable config`);
    pairs.push([p, args[i], args[i + 1]]);
  }
  // All or nothing, as Redis 7.0: validate every pair on a copy first.
  const saved = { ...ctx.db.settings };
  for (const [p, given, value] of pairs) {
    const problem = p.set!(ctx, value);
    if (problem !== null) {
      Object.assign(ctx.db.settings, saved);
      throw new CommandError(`ERR CONFIG SET failed (possibly related to argument '${given}') - ${problem}`);
    }
  }
  ctx.db.dirty++;
  return OK;
}

defineCommand({
  name: "config", arity: -2, flags: ["admin", "noscript", "loading", "stale"], group: "server", routing: "fanout-first",
  subcommands: ["get", "set", "resetstat", "rewrite", "help"],
  run: (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    switch (sub) {
      case "get":
        if (argv.length < 3) throw new CommandError(errWrongArity("config|get"));
        return configGet(ctx, argv.slice(2));
      case "set":
        return configSet(ctx, argv.slice(2));
      case "resetstat":
        if (argv.length !== 2) throw new CommandError(errWrongArity("config|resetstat"));
        return OK;
      case "rewrite":
        if (argv.length !== 2) throw new CommandError(errWrongArity("config|rewrite"));
        throw new CommandError("ERR The server is running without a config file");
      default:
        throw new CommandError(errUnknownSubcommand(argv[1], "config"));
    }
  },
});
