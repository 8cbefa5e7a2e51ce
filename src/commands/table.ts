/**
 * The command table: every command is declared once, as data plus a handler. The router
 * reads arity, flags, key positions and routing from the same declaration the shard
 * executes; COMMAND, COMMAND INFO/DOCS/GETKEYS and ACL categories are derived from it.
 * Command modules call `defineCommand`; `src/commands/index.ts` imports them all.
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
  | "allow_busy";

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
 * - `router`: runs in the router against the session (connection commands).
 * - `split-*`: the router splits the keys per shard and merges: sum the integers, put the
 *   values back in key order, or reply OK.
 * - `fanout-*`: sent to every shard; merged by summing, concatenating, replying OK, the
 *   cursor walk of SCAN, picking one shard's answer (RANDOMKEY), the INFO merge, or the
 *   first shard's reply when all agree (CONFIG: every shard holds the same settings), or
 *   DEBUG's per-subcommand merge (src/commands/debug.ts).
 */
export type Routing =
  | "shard"
  | "router"
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
  | "fanout-min"
  | "fanout-debug";

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
  readonly summary: string;
  readonly since: string;
  readonly complexity?: string;
  /** Shard-side handler (routing other than `router`). */
  readonly run?: ShardHandler;
  /** Router-side handler (routing `router`). */
  readonly runInRouter?: RouterHandler;
  /** Subcommands, for container commands such as CLIENT, COMMAND, CLUSTER. */
  readonly subcommands?: readonly string[];
}

export interface CommandSpec extends CommandDeclaration {
  /** ACL categories, derived as Redis does: flags, then group, then extras. */
  readonly categories: readonly string[];
  readonly isWrite: boolean;
}

const table = new Map<string, CommandSpec>();

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
  if (d.routing === "router" ? !d.runInRouter : !d.run) {
    throw new Error(`command ${d.name} lacks the handler its routing needs`);
  }
  const spec: CommandSpec = { ...d, categories: deriveCategories(d), isWrite: d.flags.includes("write") };
  table.set(d.name, spec);
  return spec;
}

/** Looks a command up by name, case-insensitively (the name may be a binary string). */
export function lookupCommand(name: string): CommandSpec | undefined {
  return table.get(name) ?? table.get(name.toLowerCase());
}

export function allCommands(): IterableIterator<CommandSpec> {
  return table.values();
}

export function commandCount(): number {
  return table.size;
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
