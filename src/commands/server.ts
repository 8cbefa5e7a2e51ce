/**
 * Shard-side server commands: DBSIZE, FLUSHDB, FLUSHALL and the shard's part of INFO.
 * The router fans each out to every shard and merges (sums DBSIZE, requires OK from every
 * FLUSH, and assembles INFO from the sections shards own plus the ones it owns itself).
 * Behaviour and error texts follow Redis 7.0's server.c and db.c.
 */
import { OK } from "../protocol/reply";
import type { ExecContext } from "./context";
import { CommandError, ERR_SYNTAX } from "./errors";
import { cstr, isOption } from "./keys";
import { defineCommand } from "./table";

// --- DBSIZE -------------------------------------------------------------------------

defineCommand({
  name: "dbsize",
  arity: 1,
  flags: ["readonly", "fast"],
  group: "keyspace",
  routing: "fanout-sum",
  summary: "Return the number of keys in the selected database",
  since: "1.0.0",
  complexity: "O(1)",
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
  summary: "Remove all keys from the current database",
  since: "1.0.0",
  complexity: "O(N) where N is the number of keys in the selected database",
  run: flush,
});

defineCommand({
  name: "flushall",
  arity: -1,
  flags: ["write"],
  group: "keyspace",
  acl: ["dangerous"],
  routing: "fanout-ok",
  summary: "Remove all keys from all databases",
  since: "1.0.0",
  complexity: "O(N) where N is the total number of keys in all databases",
  // One database per shard, so FLUSHALL is FLUSHDB.
  run: flush,
});

// --- INFO (the shard's sections) -----------------------------------------------------

/**
 * Whether INFO's arguments ask for the keyspace section, as Redis 7.0's
 * genInfoSectionDict reads them: none means the default sections; "default", "all" and
 * "everything" are groups that include it; any other word is a section name, compared
 * lowercased (and, as C strings are, only up to a NUL byte).
 */
export function infoWantsKeyspace(args: string[]): boolean {
  if (args.length === 0) return true;
  return args.some((a) => {
    const s = cstr(a).toLowerCase();
    return s === "keyspace" || s === "default" || s === "all" || s === "everything";
  });
}

defineCommand({
  name: "info",
  arity: -1,
  flags: ["loading", "stale"],
  group: "server",
  acl: ["dangerous"],
  routing: "fanout-info",
  summary: "Get information and statistics about the server",
  since: "1.0.0",
  complexity: "O(1)",
  run(ctx, argv) {
    if (!infoWantsKeyspace(argv.slice(1))) return "";
    // Redis prints the header always and a db line only for a database holding keys.
    // avg_ttl is Redis's sampled estimate; shards do not sample, so it is 0.
    let text = "# Keyspace\r\n";
    const keys = ctx.db.size;
    const expires = ctx.db.expiresCount;
    if (keys || expires) text += `db0:keys=${keys},expires=${expires},avg_ttl=0\r\n`;
    return text;
  },
});
