/**
 * CLUSTER: the deployment as Redis Cluster clients read it, answered by the router from the
 * slot map (src/router/cluster-view.ts; live resharding) — KEYSLOT, SLOTS, SHARDS,
 * COUNTKEYSINSLOT, GETKEYSINSLOT, and Redis 8's SLOT-STATS — plus HELP. The router is ONE
 * endpoint: every slot range is reported at it (a NULL endpoint: "use the address you are
 * connected to", as Redis documents), one node per group, so a cluster-aware client sends
 * everything to the one address and never sees MOVED (the router follows slot moves itself).
 */
import { error, map, simple, verbatim, type Reply } from "../protocol/reply";
import { keySlot, SLOTS } from "../util/keyslot";
import { parseInt64Number } from "../util/numbers";
import { CommandError, ERR_SYNTAX, errUnknownSubcommand } from "./errors";
import type { ClusterView, RouterContext } from "./router-context";
import { defineCommand } from "./table";

/** The port reported beside the NULL endpoint (the TCP bridge's default). */
const REPORTED_PORT = 6379;

/**
 * Where a cluster client is told every slot is: through a TCP bridge, the address its client
 * dialled (the bridge listens on 127.0.0.1 only, on the port it announced), so ioredis's
 * Cluster (which skips a NULL endpoint) and node-redis on any port connect; otherwise NULL,
 * "the address you are connected to", on the bridge's default port.
 */
function announced(ctx: RouterContext): { host: string | null; port: number } {
  const port = ctx.session.bridgePort;
  return port === undefined ? { host: null, port: REPORTED_PORT } : { host: "127.0.0.1", port };
}
const ERR_INVALID_SLOT = "ERR Invalid slot";

/** A stable 40-hex-digit node id per group. */
export function nodeId(group: number): string {
  return `h07510${group.toString(16)}`.padEnd(40, "0");
}

function arity(name: string, argv: string[], ok: boolean): void {
  if (!ok) throw new CommandError(`ERR wrong number of arguments for 'cluster|${name}' command`);
}

function slotArg(s: string): number {
  const n = parseInt64Number(s);
  if (n === null || n < 0 || n >= SLOTS) throw new CommandError(ERR_INVALID_SLOT);
  return n;
}

function view(ctx: RouterContext): ClusterView {
  if (!ctx.cluster) throw new CommandError("ERR This instance has cluster support disabled");
  return ctx.cluster;
}

const HELP = [
  "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "COUNTKEYSINSLOT <slot>",
  "    Return the number of keys in <slot>.",
  "GETKEYSINSLOT <slot> <count>",
  "    Return key names stored by current node in a slot.",
  "INFO",
  "    Return information about the cluster.",
  "KEYSLOT <key>",
  "    Return the hash slot for <key>.",
  "SHARDS",
  "    Return information about slot range mappings and the nodes associated with them.",
  "SLOTS",
  "    Return information about slots range mappings. Each range is made of:",
  "    start, end, master and replicas IP addresses, ports and ids",
  "SLOT-STATS SLOTSRANGE <start> <end> | ORDERBY <metric> [LIMIT <limit>] [ASC|DESC]",
  "    Return per-slot statistics: key-count, cpu-usec, network-bytes-in, network-bytes-out.",
  "HELP",
  "    Print this help.",
];

const METRICS = ["key-count", "cpu-usec", "network-bytes-in", "network-bytes-out"] as const;

async function slotStats(ctx: RouterContext, argv: string[]): Promise<Reply> {
  const opt = argv[2]?.toLowerCase();
  let slots: number[];
  let order: (typeof METRICS)[number] | null = null;
  let limit = 16;
  let desc = true;
  if (opt === "slotsrange" && argv.length === 5) {
    const start = slotArg(argv[3]);
    const end = slotArg(argv[4]);
    if (start > end) throw new CommandError("ERR Start slot number " + start + " is greater than end slot number " + end);
    slots = Array.from({ length: end - start + 1 }, (_, i) => start + i);
  } else if (opt === "orderby" && argv.length >= 4) {
    const metric = argv[3].toLowerCase();
    if (!(METRICS as readonly string[]).includes(metric)) throw new CommandError("ERR Unrecognized sort metric for ORDERBY.");
    order = metric as (typeof METRICS)[number];
    for (let i = 4; i < argv.length; i++) {
      const a = argv[i].toLowerCase();
      if (a === "limit" && i + 1 < argv.length) {
        const n = parseInt64Number(argv[++i]);
        if (n === null || n < 1 || n > SLOTS) throw new CommandError("ERR Limit has to lie in between 1 and 16384 (maximum number of slots).");
        limit = n;
      } else if (a === "asc") desc = false;
      else if (a === "desc") desc = true;
      else throw new CommandError(ERR_SYNTAX);
    }
    slots = Array.from({ length: SLOTS }, (_, i) => i);
  } else {
    throw new CommandError(ERR_SYNTAX);
  }
  const r = await view(ctx).slotReport(slots, 0);
  const rows = slots.map((slot, i) => ({ slot, v: [r.keyCount[i], r.cpuUsec[i], r.bytesIn[i], r.bytesOut[i]] }));
  if (order !== null) {
    const k = METRICS.indexOf(order);
    rows.sort((a, b) => (desc ? b.v[k] - a.v[k] : a.v[k] - b.v[k]) || a.slot - b.slot);
    rows.length = Math.min(rows.length, limit);
  }
  return rows.map(({ slot, v }) => [slot, map(METRICS.flatMap((m, i) => [m, v[i]]))]);
}

defineCommand({
  name: "cluster", arity: -2, flags: [], group: "cluster", routing: "router",
  subcommands: ["keyslot", "help", "info", "slots", "shards", "countkeysinslot", "getkeysinslot", "slot-stats"],
  runInRouter: async (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    switch (sub) {
      case "keyslot":
        arity("keyslot", argv, argv.length === 3);
        return keySlot(argv[2]);
      case "help":
        return HELP.map(simple);
      case "info": {
        // Cluster clients' ready check (ioredis's Cluster reads cluster_state): Redis 7.0's
        // fields, one node per group as CLUSTER SLOTS shows them, every slot served.
        arity("info", argv, argv.length === 2);
        const m = await view(ctx).slotMap();
        const serving = new Set(m.ranges.map((r) => r[2])).size;
        const fields = [
          "cluster_state:ok",
          `cluster_slots_assigned:${SLOTS}`,
          `cluster_slots_ok:${SLOTS}`,
          "cluster_slots_pfail:0",
          "cluster_slots_fail:0",
          `cluster_known_nodes:${m.groups}`,
          `cluster_size:${serving}`,
          `cluster_current_epoch:${m.epoch}`,
          `cluster_my_epoch:${m.epoch}`,
          "cluster_stats_messages_sent:0",
          "cluster_stats_messages_received:0",
          "total_cluster_links_buffer_limit_exceeded:0",
        ];
        return verbatim(fields.map((f) => f + "\r\n").join(""));
      }
      case "slots": {
        arity("slots", argv, argv.length === 2);
        const m = await view(ctx).slotMap();
        const { host, port } = announced(ctx);
        return m.ranges.map(([first, last, g]) => [first, last, [host, port, nodeId(g), []]]);
      }
      case "shards": {
        arity("shards", argv, argv.length === 2);
        const m = await view(ctx).slotMap();
        const groups = Array.from({ length: m.groups }, (_, g) => m.ranges.filter((r) => r[2] === g));
        const { host, port } = announced(ctx);
        return groups.map((ranges, g) =>
          map([
            "slots", ranges.flatMap(([first, last]) => [first, last]),
            "nodes", [map(["id", nodeId(g), "port", port, "ip", host ?? "?", "endpoint", host ?? "?", "role", "master", "replication-offset", 0, "health", ranges.length > 0 ? "online" : "loading"])],
          ]),
        );
      }
      case "countkeysinslot": {
        arity("countkeysinslot", argv, argv.length === 3);
        const slot = slotArg(argv[2]);
        return (await view(ctx).slotReport([slot], 0)).keyCount[0];
      }
      case "getkeysinslot": {
        arity("getkeysinslot", argv, argv.length === 4);
        const slot = slotArg(argv[2]);
        const count = parseInt64Number(argv[3]);
        if (count === null || count < 0) throw new CommandError("ERR Invalid number of keys");
        if (count === 0) return [];
        return (await view(ctx).slotReport([slot], count)).keys;
      }
      case "slot-stats":
        return slotStats(ctx, argv);
      default:
        return error(errUnknownSubcommand(argv[1], "cluster"));
    }
  },
});
