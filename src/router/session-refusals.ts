/**
 * What a session refuses before running a command, by the state it is in, with
 * redis-server 7.0's texts: before AUTH (NOAUTH), in RESP2 subscribed mode, in MONITOR mode.
 * Unknown commands and bad arity are reported as such first, as Redis does.
 */
import { ERR_NOAUTH } from "../commands/errors";
import { commandKeys, hasRouterFlag, writeOrAdminSubcommand } from "../commands/table";
import { error, type Reply } from "../protocol/reply";
import { checkKnownWithArity, isSpec, type RoutedCommand } from "./dispatch";

/**
 * RESP2 subscribed mode: unknown commands and bad arity are reported as such, the rest
 * with redis-server 7.0's text (naming a container's subcommand as `pubsub|numsub`).
 */
export function subscribedModeError(cmd: RoutedCommand): Reply {
  const spec = checkKnownWithArity(cmd);
  if (!isSpec(spec)) return spec;
  const sub = cmd.argv.length > 1 && spec.subcommands ? cmd.argv[1].toLowerCase() : "";
  const name = sub && spec.subcommands!.includes(sub) ? `${spec.name}|${sub}` : spec.name;
  return error(`ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
}

/**
 * MONITOR mode: Redis flags a monitor as a replica and refuses it every command that reads
 * or writes the keyspace or may replicate, after the unknown-command and arity errors;
 * null for a command it runs (PING, INFO, CONFIG, CLIENT, SCRIPT, SUBSCRIBE, ...).
 */
export function monitorModeRefusal(cmd: RoutedCommand): Reply | null {
  const spec = checkKnownWithArity(cmd);
  if (!isSpec(spec)) return spec;
  const refused =
    spec.isWrite ||
    spec.flags.includes("readonly") ||
    commandKeys(spec, cmd.argv).length > 0 ||
    hasRouterFlag(spec, "may-replicate") ||
    // FUNCTION's writing subcommands (LOAD, DELETE, FLUSH, RESTORE) may replicate too.
    (spec.name === "function" && writeOrAdminSubcommand(spec, cmd.argv) !== null);
  return refused ? error("ERR Replica can't interact with the keyspace") : null;
}

/** Before AUTH: unknown commands and bad arity are reported as such, the rest NOAUTH. */
export function preAuthError(cmd: RoutedCommand): Reply {
  const spec = checkKnownWithArity(cmd);
  return isSpec(spec) ? error(ERR_NOAUTH) : spec;
}
