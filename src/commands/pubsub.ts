/**
 * Pub/Sub commands: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE act on the connection's session
 * (routing `session`, flagged `allowed-when-subscribed`), PUBLISH, SPUBLISH and PUBSUB run
 * in the router against the hubs (src/pubsub/hubs.ts). Over HTTP a request holds no
 * connection: SUBSCRIBE there answers with where to subscribe (GET /subscribe/<channel>,
 * a Server-Sent Events stream). MONITOR, admin only, is a session command too.
 */
import { error, simple, type Reply } from "../protocol/reply";
import { CommandError, errUnknownSubcommand, errWrongArity } from "./errors";
import type { RouterContext, SubscriptionKind } from "./router-context";
import { defineCommand, type CommandFlag, type KeyPositions } from "./table";

export const ERR_NO_SUBSCRIBE_OVER_HTTP =
  "ERR SUBSCRIBE needs a connection: use RESP over WebSocket, or GET /subscribe/<channel> (Server-Sent Events)";
export const ERR_PUBSUB_OFF = "ERR Pub/Sub is not configured (no HUB binding)";

const SUBSCRIBE_FLAGS: CommandFlag[] = ["pubsub", "noscript", "loading", "stale"];
const ALL_SHARD_CHANNELS: KeyPositions = { first: 1, last: -1, step: 1 };

function control(ctx: RouterContext) {
  if (!ctx.pubsub) throw new CommandError(ERR_NO_SUBSCRIBE_OVER_HTTP);
  return ctx.pubsub;
}

function hubs(ctx: RouterContext) {
  if (!ctx.hubs) throw new CommandError(ERR_PUBSUB_OFF);
  return ctx.hubs;
}

/** The declaration shared by the six (un)subscribe commands (each then names itself). */
function subscription(kind: SubscriptionKind, subscribe: boolean) {
  return {
    arity: subscribe ? -2 : -1, flags: SUBSCRIBE_FLAGS, group: "pubsub", routing: "session" as const,
    keys: kind === "shard" ? ALL_SHARD_CHANNELS : undefined,
    routerFlags: ["allowed-when-subscribed" as const],
    runInRouter: (ctx: RouterContext, argv: string[]) =>
      subscribe ? control(ctx).subscribe(kind, argv.slice(1)) : control(ctx).unsubscribe(kind, argv.slice(1)),
  };
}

defineCommand({ name: "subscribe", ...subscription("channel", true) });
defineCommand({ name: "unsubscribe", ...subscription("channel", false) });
defineCommand({ name: "psubscribe", ...subscription("pattern", true) });
defineCommand({ name: "punsubscribe", ...subscription("pattern", false) });
defineCommand({ name: "ssubscribe", ...subscription("shard", true) });
defineCommand({ name: "sunsubscribe", ...subscription("shard", false) });

defineCommand({
  name: "publish", arity: 3, flags: ["pubsub", "loading", "stale", "fast"], group: "pubsub", routing: "router",
  routerFlags: ["may-replicate"],
  runInRouter: (ctx, argv) => hubs(ctx).publish(false, argv[1], argv[2]),
});

defineCommand({
  name: "spublish", arity: 3, flags: ["pubsub", "loading", "stale", "fast"], group: "pubsub", routing: "router",
  routerFlags: ["may-replicate"],
  keys: { first: 1, last: 1, step: 1 },
  runInRouter: (ctx, argv) => hubs(ctx).publish(true, argv[1], argv[2]),
});

const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

async function pubsub(ctx: RouterContext, argv: string[]): Promise<Reply> {
  const sub = argv[1].toLowerCase();
  const argc = argv.length;
  const wrongArity = () => error(errWrongArity(`pubsub|${sub}`));
  switch (sub) {
    case "help":
      if (argc !== 2) return wrongArity();
      return PUBSUB_HELP.map((l) => simple(l));
    case "channels":
    case "shardchannels": {
      // Redis answers a third argument here with its "unknown subcommand or wrong number" text.
      if (argc > 3) return error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try PUBSUB HELP.`);
      return hubs(ctx).channels(sub === "channels" ? "channel" : "shard", argc === 3 ? argv[2] : null);
    }
    case "numsub":
    case "shardnumsub": {
      const names = argv.slice(2);
      const counts = names.length ? await hubs(ctx).numsub(sub === "numsub" ? "channel" : "shard", names) : [];
      return names.flatMap((n, i) => [n, counts[i]]);
    }
    case "numpat":
      if (argc !== 2) return wrongArity();
      return hubs(ctx).numpat();
    default:
      return error(errUnknownSubcommand(argv[1], "PUBSUB"));
  }
}

defineCommand({
  name: "pubsub", arity: -2, flags: [], group: "pubsub", routing: "router",
  subcommands: ["channels", "numpat", "numsub", "shardchannels", "shardnumsub", "help"],
  runInRouter: pubsub,
});

// MONITOR (src/pubsub/monitor.ts): every command routers run, from every isolate.
defineCommand({
  name: "monitor", arity: 1, flags: ["admin", "noscript", "loading", "stale"], group: "server", routing: "session",
  // A transaction expects one reply per command: Redis refuses MONITOR inside EXEC.
  runInRouter: (ctx) => (ctx.session.executing ? error("ERR MONITOR isn't allowed for DENY BLOCKING client") : control(ctx).monitor()),
});
