/**
 * Error replies with Redis 7.0's exact words, and the exception that carries one out of a
 * handler. Helpers that parse user input throw `CommandError`; the executor turns it into
 * an error reply. A handler must validate before it writes, so a throw changes nothing.
 */
import { cstr } from "../util/binary";

export class CommandError extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

export const ERR_SYNTAX = "ERR syntax error";
export const ERR_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
export const ERR_NOT_INTEGER = "ERR value is not an integer or out of range";
export const ERR_NOT_FLOAT = "ERR value is not a valid float";
export const ERR_OVERFLOW = "ERR increment or decrement would overflow";
/** A script called a command that Hotslot answers in its router (no shard runs it). */
export const ERR_ROUTER_COMMAND_FROM_SCRIPT = "ERR This command is answered by Hotslot's router and cannot be called from a script";
export const ERR_FLOAT_RESULT = "ERR increment would produce NaN or Infinity";
/** getPositiveLongFromObjectOrReply's default: a count that is negative or not an integer. */
export const ERR_NOT_POSITIVE = "ERR value is out of range, must be positive";
/** A count no reply could hold (SRANDMEMBER, ZRANDMEMBER, HRANDFIELD). */
export const ERR_OUT_OF_RANGE = "ERR value is out of range";
export const ERR_NUMKEYS = "ERR numkeys should be greater than 0";
export const ERR_LIMIT_NEGATIVE = "ERR LIMIT can't be negative";
export const ERR_NO_SUCH_KEY = "ERR no such key";
export const ERR_CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot";
export const ERR_NOAUTH = "NOAUTH Authentication required.";
export const ERR_WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
export const ERR_EXECABORT = "EXECABORT Transaction discarded because of previous errors.";
export const ERR_DB_INDEX = "ERR DB index is out of range";
export const ERR_INVALID_EXPIRE = (cmd: string) => `ERR invalid expire time in '${cmd}' command`;
/** Redis's shared.oomerr: a command that may grow memory while the shard is over its limit. */
export const ERR_OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const ERR_STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

/**
 * A write to a key whose slot the shard does not own (no Redis equivalent: the router
 * never sends one; the shard refuses it so a routing fault cannot strand a key).
 */
export function errSlotNotOwned(key: string, slot: number, shard: number): string {
  return `ERR key '${cstr(key).slice(0, 128)}' hashes to slot ${slot}, which shard ${shard} does not own`;
}

export function errWrongArity(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

export function errUnknownCommand(name: string, args: string[]): string {
  // As Redis 7.0: quote arguments while the list is under 128 chars, each cut to what is
  // left of the 128; the name cut at 128; both read as C strings (stopping at a NUL).
  let shown = "";
  for (let i = 0; i < args.length && shown.length < 128; i++) shown += `'${cstr(args[i]).slice(0, 128 - shown.length)}' `;
  return `ERR unknown command '${cstr(name).slice(0, 128)}', with args beginning with: ${shown}`;
}

export function errUnknownSubcommand(sub: string, cmd: string): string {
  return `ERR unknown subcommand '${cstr(sub).slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`;
}

/** A protected command (DEBUG) while enable-debug-command is off, in Redis 7.0's words. */
export const ERR_PROTECTED = (name: string) =>
  `ERR ${name.toUpperCase()} command not allowed. If the enable-${name}-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`;

export function errNoPerm(name: string): string {
  return `NOPERM this user has no permissions to run the '${name}' command`;
}
