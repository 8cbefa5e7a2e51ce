/**
 * Replication commands: WAIT and WAITAOF (the router asks the shards this connection wrote
 * to how many replicas acknowledged their current offset; the minimum over shards), ROLE
 * and INFO replication (what a shard says of its role: src/shard/replication.ts; ROLE is
 * answered by group 0's primary), READONLY / READWRITE (the session's reads go to replicas,
 * as Redis Cluster clients ask), and REPLICAOF / SLAVEOF, refused: the topology is managed
 * by the monitors, not by clients.
 */
import { OK } from "../protocol/reply";
import { parseIntegerArg } from "./args";
import type { RouterContext } from "./router-context";
import { CommandError } from "./errors";
import { defineCommand } from "./table";

export const ERR_TOPOLOGY_MANAGED =
  "ERR REPLICAOF is not allowed: the replication topology is managed by Hotslot's monitors (SENTINEL MASTERS, GET /admin/topology)";
export const ERR_READONLY_OVER_HTTP = "ERR READONLY and READWRITE act on a connection; over HTTP send the Upstash-Replica-Read header instead";

const ERR_TIMEOUT_NEGATIVE = "ERR timeout is negative";

/** WAIT's and WAITAOF's timeout: milliseconds, not negative (0: wait for ever). */
function timeoutArg(arg: string): number {
  const ms = parseIntegerArg(arg);
  if (ms < 0) throw new CommandError(ERR_TIMEOUT_NEGATIVE);
  return ms;
}

function replicationOf(ctx: RouterContext) {
  if (!ctx.replication) throw new CommandError("ERR replication is not available here");
  return ctx.replication;
}

defineCommand({
  name: "wait", arity: 3, flags: ["noscript"], group: "connection", routing: "session",
  runInRouter: (ctx, argv) => {
    const count = parseIntegerArg(argv[1]);
    return replicationOf(ctx).waitAcks(count, timeoutArg(argv[2]));
  },
});

defineCommand({
  name: "waitaof", arity: 4, flags: ["noscript"], group: "connection", routing: "session",
  runInRouter: async (ctx, argv) => {
    const local = parseIntegerArg(argv[1]);
    const count = parseIntegerArg(argv[2]);
    const ms = timeoutArg(argv[3]);
    if (local < 0 || count < 0) throw new CommandError("ERR value is out of range, must be positive");
    // Every reply already waited for the shard's log write (durable before acknowledged),
    // and a replica acknowledges only what it has logged: both counts are durable copies.
    return [1, await replicationOf(ctx).waitAcks(count, ms)];
  },
});

defineCommand({
  name: "role", arity: 1, flags: ["noscript", "loading", "stale", "fast"], group: "server", acl: ["admin", "dangerous"], routing: "shard",
  run: (ctx) => ctx.replication.role(),
});

const refuseReplicaof = (): never => {
  throw new CommandError(ERR_TOPOLOGY_MANAGED);
};

defineCommand({
  name: "replicaof", arity: 3, flags: ["admin", "noscript", "stale"], group: "server", acl: ["dangerous"], routing: "router",
  runInRouter: refuseReplicaof,
});

defineCommand({
  name: "slaveof", arity: 3, flags: ["admin", "noscript", "stale"], group: "server", acl: ["dangerous"], routing: "router",
  runInRouter: refuseReplicaof,
});

function setReplicaReads(ctx: RouterContext, on: boolean) {
  if (!ctx.replication) throw new CommandError(ERR_READONLY_OVER_HTTP);
  ctx.replication.setReplicaReads(on);
  return OK;
}

defineCommand({
  name: "readonly", arity: 1, flags: ["loading", "stale", "fast"], group: "connection", routing: "session",
  runInRouter: (ctx) => setReplicaReads(ctx, true),
});

defineCommand({
  name: "readwrite", arity: 1, flags: ["loading", "stale", "fast"], group: "connection", routing: "session",
  runInRouter: (ctx) => setReplicaReads(ctx, false),
});
