/**
 * SENTINEL for tools (router-side): MASTERS, MASTER, REPLICAS / SLAVES, CKQUORUM,
 * GET-MASTER-ADDR-BY-NAME, MYID, HELP, in redis-sentinel's shapes as far as they apply. A
 * "master" is a shard group, named "group-<n>"; its "ip" is the object name of its current
 * primary (there is no address to connect to: every client talks to the router) and its
 * port 0. The data comes from the monitors and a fresh ping of every member
 * (src/router/topology-view.ts).
 */
import { error, simple, type Reply } from "../protocol/reply";
import { CommandError, errUnknownSubcommand } from "./errors";
import type { GroupSnapshot, MemberSnapshot, RouterContext, TopologySnapshot } from "./router-context";
import { defineCommand } from "./table";

export const ERR_NO_SUCH_MASTER = "ERR No such master with that name";

export function masterName(group: number): string {
  return `group-${group}`;
}

function groupOfMaster(t: TopologySnapshot, name: string): GroupSnapshot | undefined {
  const m = /^group-(\d+)$/.exec(name);
  return m ? t.groups.find((g) => g.group === Number(m[1])) : undefined;
}

function usableSentinels(t: TopologySnapshot): number {
  return t.monitors.filter((m) => m.reachable).length;
}

function ms(v: number | null): number {
  return v ?? -1;
}

/** The fields redis-sentinel gives every instance (name, address, flags, pings, role), in its order. */
function instanceFields(t: TopologySnapshot, name: string, ip: string, flags: string[], m: MemberSnapshot, role: "master" | "slave"): string[] {
  return [
    "name", name,
    "ip", ip,
    "port", "0",
    "runid", "",
    "flags", flags.join(","),
    "last-ok-ping-reply", String(ms(m.lastOkMsAgo)),
    "down-after-milliseconds", String(t.downAfterMs),
    "role-reported", role,
  ];
}

function masterFields(t: TopologySnapshot, g: GroupSnapshot): Reply {
  const p = g.members[0];
  const flags = ["master"];
  if (p.sdownBy > 0) flags.push("s_down");
  if (p.sdownBy >= t.quorum) flags.push("o_down");
  if (!p.reachable) flags.push("disconnected");
  return [
    ...instanceFields(t, masterName(g.group), g.primary, flags, p, "master"),
    "config-epoch", String(g.epoch),
    "num-slaves", String(g.members.length - 1),
    "num-other-sentinels", String(Math.max(0, usableSentinels(t) - 1)),
    "quorum", String(t.quorum),
    "failover-timeout", String(t.failoverTimeoutMs),
    "parallel-syncs", "1",
  ];
}

function replicaFields(t: TopologySnapshot, g: GroupSnapshot, r: MemberSnapshot): Reply {
  const flags = ["slave"];
  if (r.sdownBy > 0) flags.push("s_down");
  if (!r.reachable) flags.push("disconnected");
  return [
    ...instanceFields(t, r.name, r.name, flags, r, "slave"),
    "master-link-status", r.linkUp ? "ok" : "err",
    "master-host", g.primary,
    "master-port", "0",
    "slave-repl-offset", String(r.offset ?? 0),
    "slave-lag-ms", String(ms(r.lagMs)),
  ];
}

/** CKQUORUM's answer, with redis-sentinel's texts. */
export function ckquorum(t: TopologySnapshot): Reply {
  const usable = usableSentinels(t);
  const majority = Math.floor(t.sentinels / 2) + 1;
  if (usable < t.quorum) return error(`NOQUORUM ${usable} usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master`);
  if (usable < majority) return error(`NOQUORUM ${usable} usable Sentinels. Not enough available Sentinels to reach the majority and authorize a failover`);
  return simple(`OK ${usable} usable Sentinels. Quorum and failover authorization can be reached`);
}

const HELP = [
  "SENTINEL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CKQUORUM <master-name>",
  "    Check if the current Sentinel configuration is able to reach the quorum needed",
  "    to failover a master and the majority needed to authorize the failover.",
  "GET-MASTER-ADDR-BY-NAME <master-name>",
  "    Return the ip and port number of the master with that name (here: its object name and 0).",
  "MASTER <master-name>",
  "    Show the state and info of the specified master.",
  "MASTERS",
  "    Show a list of monitored masters and their state.",
  "MYID",
  "    Return the ID of the Sentinel instance.",
  "REPLICAS <master-name>",
  "    Show a list of replicas for this master and their state.",
  "SLAVES <master-name>",
  "    Alias of REPLICAS.",
  "HELP",
  "    Print this help.",
];

async function sentinel(ctx: RouterContext, argv: string[]): Promise<Reply> {
  const sub = argv[1].toLowerCase();
  const arity = (n: number) => {
    if (argv.length !== n) throw new CommandError(`ERR wrong number of arguments for 'sentinel|${sub}' command`);
  };
  if (sub === "help") return HELP;
  if (sub === "myid") {
    arity(2);
    return "0000000000000000000000000000000000000000";
  }
  if (!["masters", "master", "replicas", "slaves", "ckquorum", "get-master-addr-by-name"].includes(sub)) {
    return error(errUnknownSubcommand(argv[1], "sentinel"));
  }
  arity(sub === "masters" ? 2 : 3);
  if (!ctx.topology) return error("ERR SENTINEL is not available here");
  const t = await ctx.topology();
  if (sub === "masters") return t.groups.map((g) => masterFields(t, g));
  const g = groupOfMaster(t, argv[2]);
  if (sub === "get-master-addr-by-name") return g ? [g.primary, "0"] : null;
  if (!g) return error(ERR_NO_SUCH_MASTER);
  switch (sub) {
    case "master":
      return masterFields(t, g);
    case "ckquorum":
      return ckquorum(t);
    default:
      return g.members.slice(1).map((r) => replicaFields(t, g, r));
  }
}

defineCommand({
  name: "sentinel", arity: -2, flags: ["admin", "noscript", "loading", "stale"], group: "sentinel", routing: "router",
  subcommands: ["masters", "master", "replicas", "slaves", "ckquorum", "get-master-addr-by-name", "myid", "help"],
  runInRouter: sentinel,
});
