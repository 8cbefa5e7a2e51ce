/**
 * Shard-side server commands: DBSIZE, FLUSHDB, FLUSHALL and the shard's part of INFO
 * (Memory, Persistence, Stats, Keyspace).
 * The router fans each out to every shard and merges (sums DBSIZE, requires OK from every
 * FLUSH, and assembles INFO from the sections shards own plus the ones it owns itself).
 * Behaviour and error texts follow Redis 7.0's server.c and db.c.
 */
import { humanBytes } from "../engine/memory";
import { OK } from "../protocol/reply";
import { isOption } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_SYNTAX } from "./errors";
import { wantedInfoSections } from "./info-sections";
import { defineCommand } from "./table";

// --- DBSIZE -------------------------------------------------------------------------

defineCommand({
  name: "dbsize",
  arity: 1,
  flags: ["readonly", "fast"],
  group: "keyspace",
  routing: "fanout-sum",
  // As Redis's dictSize: expired keys not yet deleted still count.
  run: (ctx) => ctx.db.size,
});

// --- FLUSHDB, FLUSHALL ----------------------------------------------------------------

/**
 * Redis's getFlushCommandFlags: no argument, or exactly one of SYNC / ASYNC. Freeing is
 * the garbage collector's job here, so both modes flush at once. The command is always
 * logged, even on an empty keyspace, as Redis forces its propagation.
 */
function flush(ctx: ExecContext, argv: string[]) {
  if (argv.length > 2 || (argv.length === 2 && !isOption(argv[1], "sync") && !isOption(argv[1], "async"))) {
    throw new CommandError(ERR_SYNTAX);
  }
  ctx.db.flush();
  ctx.propagate(argv);
  return OK;
}

defineCommand({
  name: "flushdb",
  arity: -1,
  flags: ["write"],
  group: "keyspace",
  acl: ["dangerous"],
  routing: "fanout-ok",
  run: flush,
});

defineCommand({
  name: "flushall",
  arity: -1,
  flags: ["write"],
  group: "keyspace",
  acl: ["dangerous"],
  routing: "fanout-ok",
  // One database per shard, so FLUSHALL is FLUSHDB.
  run: flush,
});

// --- INFO (the shard's sections) -----------------------------------------------------

/** Sections a shard writes (all of them among INFO's default sections), in INFO's order. */
const SHARD_SECTIONS: Record<string, (ctx: ExecContext) => string[]> = {
  // used_memory is the keyspace's accounted heap bytes (src/engine/memory.ts), which is
  // what maxmemory is enforced against; Redis's allocator and RSS fields have no meaning here.
  memory: (ctx) => {
    const used = ctx.db.usedMemory;
    const peak = ctx.db.peakMemory;
    const { maxmemory, maxmemoryPolicy } = ctx.db.settings;
    return [
      "# Memory",
      `used_memory:${used}`,
      `used_memory_human:${humanBytes(used)}`,
      `used_memory_peak:${peak}`,
      `used_memory_peak_human:${humanBytes(peak)}`,
      `maxmemory:${maxmemory}`,
      `maxmemory_human:${humanBytes(maxmemory)}`,
      `maxmemory_policy:${maxmemoryPolicy}`,
    ];
  },
  // Snapshots and the log: the shard's persistence writes this section (src/shard/persistence-info.ts).
  persistence: (ctx) => ctx.persistence.info(),
  stats: (ctx) => [
    "# Stats",
    `expired_keys:${ctx.db.stats.expiredKeys}`,
    // The share of keys with a TTL that have expired but are not yet deleted.
    `expired_stale_perc:${stalePercent(ctx).toFixed(2)}`,
    `evicted_keys:${ctx.db.stats.evictedKeys}`,
    // Router calls this shard served (src/shard/shard.ts): commands per call show batching.
    `hotslot_rpc_calls:${ctx.db.stats.rpcCalls}`,
  ],
  // The shard's role and stream (src/shard/replication.ts).
  replication: (ctx) => ctx.replication.infoSection(),
  keyspace: (ctx) => {
    // Redis prints the header always and a db line only for a database holding keys.
    const keys = ctx.db.size;
    const expires = ctx.db.expiresCount;
    const lines = ["# Keyspace"];
    // subexpiry (Redis 7.4): hashes with at least one field TTL.
    const sub = ctx.db.subexpiresCount;
    if (keys || expires) lines.push(`db0:keys=${keys},expires=${expires},avg_ttl=${averageTtl(ctx)},subexpiry=${sub}`);
    return lines;
  },
};

function stalePercent(ctx: ExecContext): number {
  const total = ctx.db.expiresCount;
  if (total === 0) return 0;
  let stale = 0;
  for (const at of ctx.db.expiryTimes()) if (at < ctx.now) stale++;
  return (stale * 100) / total;
}

/** Mean remaining TTL in ms over keys with a TTL (Redis estimates it by sampling). */
function averageTtl(ctx: ExecContext): number {
  let sum = 0;
  let n = 0;
  for (const at of ctx.db.expiryTimes()) {
    if (at >= ctx.now) {
      sum += at - ctx.now;
      n++;
    }
  }
  return n ? Math.round(sum / n) : 0;
}

defineCommand({
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  group: "server",
  acl: ["dangerous"],
  routing: "fanout-info",
  run(ctx, argv) {
    const wanted = wantedInfoSections(argv.slice(1));
    return Object.keys(SHARD_SECTIONS)
      .filter((name) => wanted === "all" || wanted.has(name))
      .map((name) => SHARD_SECTIONS[name](ctx).join("\r\n") + "\r\n")
      .join("\r\n");
  },
});
