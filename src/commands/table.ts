/**
 * The command table: every command is declared once, as data plus a handler. The router
 * reads arity, flags, key positions, routing and its own rules (session, MULTI, read-only
 * token) from the same declaration the shard executes; COMMAND, COMMAND INFO/GETKEYS and
 * ACL categories are derived from it (COMMAND DOCS adds src/commands/docs.ts). Command
 * modules call `defineCommand`, with a preset for the common shapes (`readsOneKey`,
 * `writesOneKey`); `src/commands/index.ts` imports them all.
 */
import type { Reply } from "../protocol/reply";
import type { ExecContext } from "./context";
import type { RouterContext } from "./router-context";

/** Redis command flags (lowercase, as COMMAND INFO prints them). */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_multi"
  | "protected"
  | "allow_busy"
  | "no_mandatory_keys";

/** Legacy key positions, as Redis's (firstkey, lastkey, step): MSET is 1, -1, 2. */
export interface KeyPositions {
  readonly first: number;
  /** Index of the last key; negative counts from the end (-1 = last argument). */
  readonly last: number;
  readonly step: number;
}

/**
 * Where a command runs and how the router combines per-shard results:
 * - `shard`: runs in the shard owning its keys' slot (CROSSSLOT if they span slots);
 *   a keyless one runs in the first shard.
 * - `router`: runs in the router (PING, ECHO, COMMAND, …); it may read the session.
 * - `session`: runs in the router and reads or changes the connection's session (HELLO,
 *   AUTH, MULTI, WATCH, …): a RESP session sends the commands before it to the shards
 *   first, so each command sees the session as it was when sent. Over HTTP a request is
 *   a session of its own, without MULTI state (see RouterContext.transactions).
 * - `split-*`: the router splits the keys per shard and merges: sum the integers, put the
 *   values back in key order, or reply OK.
 * - `fanout-*`: sent to every shard; merged by summing, concatenating, replying OK, the
 *   cursor walk of SCAN, picking one shard's answer (RANDOMKEY), the INFO merge, or the
 *   first shard's reply when all agree (CONFIG: every shard holds the same settings), the
 *   logical AND of per-element integer arrays (SCRIPT EXISTS: 1 only where every shard
 *   has the script, as Redis Cluster's agg_logical_and; other replies as fanout-first), or
 *   DEBUG's per-subcommand merge (src/commands/debug.ts).
 */
export type Routing =
  | "shard"
  | "router"
  | "session"
  | "split-sum"
  | "split-values"
  | "split-ok"
  | "fanout-sum"
  | "fanout-concat"
  | "fanout-ok"
  | "fanout-scan"
  | "fanout-random"
  | "fanout-info"
  | "fanout-first"
  | "fanout-and"
  | "fanout-min"
  | "fanout-debug";

/**
 * Rules the router applies that Redis hard-codes by command name rather than by flag;
 * not part of COMMAND INFO.
 * - `runs-in-multi`: acts at once inside MULTI instead of being queued, as Redis's
 *   processCommand lets EXEC, DISCARD, MULTI, WATCH, QUIT and RESET through.
 * - `denied-to-readonly-token`: refused to a read-only token although it is a read
 *   (KEYS, SCAN: they walk the whole keyspace), as Upstash refuses them.
 * - `allowed-when-subscribed`: runs on a RESP2 connection holding subscriptions, where
 *   Redis allows only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET.
 * - `may-replicate`: Redis's MAY_REPLICATE (which 7.0's COMMAND INFO does not list): not
 *   flagged write, yet with effects others see — EVAL, EVALSHA and FCALL run scripts that
 *   may write (their _RO forms refuse them), PUBLISH and SPUBLISH deliver messages. Refused
 *   wherever writes are: the read-only token, a GET without a secret credential, MONITOR.
 */
export type RouterFlag = "runs-in-multi" | "denied-to-readonly-token" | "allowed-when-subscribed" | "may-replicate";

export type ShardHandler = (ctx: ExecContext, argv: string[]) => Reply;
export type RouterHandler = (ctx: RouterContext, argv: string[]) => Reply | Promise<Reply>;

export interface CommandDeclaration {
  /** Lowercase name. */
  readonly name: string;
  /** Redis arity: argv length including the name; negative means "at least -arity". */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** The command's group ACL category, e.g. "string", "keyspace", "connection". */
  readonly group: string;
  /** Extra ACL categories beyond those derived from flags and group (e.g. "dangerous"). */
  readonly acl?: readonly string[];
  readonly keys?: KeyPositions;
  /** Key indexes for commands whose keys the legacy positions cannot describe (numkeys). */
  readonly getKeys?: (argv: string[]) => number[];
  readonly routing: Routing;
  readonly routerFlags?: readonly RouterFlag[];
  /** Shard-side handler (routing other than `router` and `session`). */
  readonly run?: ShardHandler;
  /** Router-side handler (routing `router` or `session`). */
  readonly runInRouter?: RouterHandler;
  /** Subcommands, for container commands such as CLIENT, COMMAND, CLUSTER. */
  readonly subcommands?: readonly string[];
  /**
   * The subcommands Redis flags write or admin (FUNCTION FLUSH, CLIENT KILL): the container's
   * own flags are empty, so without these the router would let them through where it
   * refuses writes and admin commands.
   */
  readonly writeOrAdminSubcommands?: readonly string[];
  /**
   * The subcommands Redis flags noscript (all of SCRIPT's and FUNCTION's but HELP): the
   * container's own flags are empty, so without these a script could call them — a
   * read-only script FUNCTION FLUSH or LOAD.
   */
  readonly noscriptSubcommands?: readonly string[];
}

export interface CommandSpec extends CommandDeclaration {
  /** ACL categories, derived as Redis does: flags, then group, then extras. */
  readonly categories: readonly string[];
  readonly isWrite: boolean;
}

const table = new Map<string, CommandSpec>();
/**
 * Lookups by the name as sent: lowercase and UPPERCASE (what clients send) both hit at
 * once; a name in any other case goes through toLowerCase. Every command of every layer is
 * looked up, and a miss plus a lowercased copy showed in profiles.
 */
const byNameAsSent = new Map<string, CommandSpec>();

/** Redis's ACL categories, in the order COMMAND INFO lists them. */
const CATEGORY_ORDER = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
  "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
  "transaction", "scripting",
];

/** Command groups whose name differs from their ACL category ("server" has none). */
const GROUP_CATEGORY: Record<string, string> = { transactions: "transaction", generic: "keyspace" };

function deriveCategories(d: CommandDeclaration): string[] {
  const f = new Set(d.flags);
  const cats = new Set<string>(d.acl ?? []);
  if (f.has("write")) cats.add("write");
  if (f.has("readonly")) cats.add("read");
  if (f.has("admin")) cats.add("admin").add("dangerous");
  if (f.has("pubsub")) cats.add("pubsub");
  if (f.has("blocking")) cats.add("blocking");
  cats.add(f.has("fast") ? "fast" : "slow");
  cats.add(GROUP_CATEGORY[d.group] ?? d.group);
  return CATEGORY_ORDER.filter((c) => cats.has(c));
}

/** Declares a command; each name may be declared once. */
export function defineCommand(d: CommandDeclaration): CommandSpec {
  if (table.has(d.name)) throw new Error(`command ${d.name} declared twice`);
  if (runsInRouter(d) ? !d.runInRouter : !d.run) {
    throw new Error(`command ${d.name} lacks the handler its routing needs`);
  }
  const spec: CommandSpec = { ...d, categories: deriveCategories(d), isWrite: d.flags.includes("write") };
  table.set(d.name, spec);
  byNameAsSent.set(d.name, spec);
  byNameAsSent.set(d.name.toUpperCase(), spec);
  return spec;
}

/** True when the router runs the command itself, against the session, never a shard. */
export function runsInRouter(spec: Pick<CommandDeclaration, "routing">): boolean {
  return spec.routing === "router" || spec.routing === "session";
}

export function hasRouterFlag(spec: CommandSpec | undefined, flag: RouterFlag): boolean {
  return spec?.routerFlags?.includes(flag) ?? false;
}

/** Looks a command up by name, case-insensitively (the name may be a binary string). */
export function lookupCommand(name: string): CommandSpec | undefined {
  return byNameAsSent.get(name) ?? table.get(name.toLowerCase());
}

export function allCommands(): IterableIterator<CommandSpec> {
  return table.values();
}

export function commandCount(): number {
  return table.size;
}

/** `argv`'s subcommand as Redis names it (`function|flush`) when it is a write or admin one; else null. */
export function writeOrAdminSubcommand(spec: CommandSpec, argv: readonly string[]): string | null {
  if (!spec.writeOrAdminSubcommands || argv.length < 2) return null;
  const sub = argv[1].toLowerCase();
  return spec.writeOrAdminSubcommands.includes(sub) ? `${spec.name}|${sub}` : null;
}

/** True when a script may not call `argv`: the command, or its subcommand, is flagged noscript. */
export function notAllowedFromScript(spec: CommandSpec, argv: readonly string[]): boolean {
  if (spec.flags.includes("noscript")) return true;
  return argv.length >= 2 && (spec.noscriptSubcommands?.includes(argv[1].toLowerCase()) ?? false);
}

/**
 * True when `argv` may change data or administer the server: a write or admin command or
 * subcommand, or a script runner whose script may write. What the read-only token, and a GET
 * without a secret credential, may not run.
 */
export function writesOrAdministers(spec: CommandSpec, argv: readonly string[]): boolean {
  return spec.isWrite || spec.flags.includes("admin") || hasRouterFlag(spec, "may-replicate") || writeOrAdminSubcommand(spec, argv) !== null;
}

/** True when argv's length satisfies the arity. */
export function arityOk(spec: CommandSpec, argc: number): boolean {
  return spec.arity >= 0 ? argc === spec.arity : argc >= -spec.arity;
}

/** The key arguments' indexes in argv, from the legacy key positions. */
export function keyIndexes(spec: CommandSpec, argv: string[]): number[] {
  if (spec.getKeys) return spec.getKeys(argv);
  const argc = argv.length;
  const k = spec.keys;
  if (!k || k.first <= 0) return [];
  const last = k.last < 0 ? argc + k.last : k.last;
  const out: number[] = [];
  for (let i = k.first; i <= last && i < argc; i += k.step) out.push(i);
  return out;
}

/** The key arguments themselves. */
export function commandKeys(spec: CommandSpec, argv: string[]): string[] {
  return keyIndexes(spec, argv).map((i) => argv[i]);
}

// --- presets: the common declaration shapes ------------------------------------------

type OneKeyShape = Pick<CommandDeclaration, "flags" | "keys" | "routing">;

/** The one key at argv[1]: (1, 1, 1). */
const FIRST_ARG_KEY: KeyPositions = { first: 1, last: 1, step: 1 };

/**
 * A read of the one key at argv[1], run in the shard owning its slot: spread into a
 * declaration, `...readsOneKey("fast")` gives flags ["readonly", "fast"] (Redis's order:
 * readonly first), the key positions and the routing.
 */
export function readsOneKey(...flags: CommandFlag[]): OneKeyShape {
  return { flags: ["readonly", ...flags], keys: FIRST_ARG_KEY, routing: "shard" };
}

/** A write of the one key at argv[1], in its shard: `...writesOneKey("denyoom")`. */
export function writesOneKey(...flags: CommandFlag[]): OneKeyShape {
  return { flags: ["write", ...flags], keys: FIRST_ARG_KEY, routing: "shard" };
}
