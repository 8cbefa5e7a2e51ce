/**
 * Redis 7.0 scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. Each shard keeps
 * its own script cache (bodies by sha, compiled in the shard's Lua VM, created on first
 * use; src/scripting/vm.ts). A script runs in the shard owning its declared keys (the
 * router routes EVAL by the keys numkeys names; keyless scripts run in the first shard);
 * SCRIPT LOAD / FLUSH / EXISTS go to every shard (`fanout-first`), so EVALSHA of a loaded
 * script works wherever its keys live.
 *
 * Effects: the script itself is never logged; what the commands it called changed is
 * (see Executor.callFromScript), so replay never runs Lua and the script's batch is atomic.
 * Caching a script is logged as `SCRIPT LOAD <body>` and snapshots carry the cache (AUX
 * field SCRIPT_AUX, src/shard/snapshot-job.ts), so EVALSHA works after a restart.
 *
 * Shebang flags (`#!lua flags=…`): no-writes, allow-oom, allow-stale, no-cluster,
 * allow-cross-slot-keys, and Upstash's allow-key-locking (accepted; redis-server refuses
 * it). A script without a shebang may touch keys of several slots of its shard, as Redis's
 * legacy scripts may; with one, only its declared keys' slot unless allow-cross-slot-keys.
 */
import type { Keyspace } from "../engine/keyspace";
import { error, OK, simple, type Reply } from "../protocol/reply";
import { sha1Hex } from "../scripting/api";
import { LuaVm } from "../scripting/vm";
import { keySlot } from "../util/keyslot";
import { parseInt64Number } from "../util/numbers";
import { numkeysKeys } from "./args";
import type { ExecContext, ScriptCallRules } from "./context";
import { CommandError, errUnknownSubcommand, errWrongArity } from "./errors";
import { defineCommand } from "./table";

export const ERR_NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
const SHEBANG_FLAGS = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys", "allow-key-locking"];

interface ScriptFlags {
  readonly shebang: boolean;
  readonly flags: ReadonlySet<string>;
}

/** One shard's scripts: bodies by sha, compiled lazily in the shard's one Lua VM. */
export class ScriptCache {
  private readonly bodies = new Map<string, { body: string; flags: ScriptFlags }>();
  private vm: LuaVm | null = null;

  get size(): number {
    return this.bodies.size;
  }

  has(sha: string): boolean {
    return this.bodies.has(sha);
  }

  /** Every cached body (for the snapshot). */
  scripts(): IterableIterator<string> {
    return [...this.bodies.values()].map((s) => s.body)[Symbol.iterator]();
  }

  /** Caches `body`; returns its sha (throws CommandError for a bad shebang or a compile error). */
  load(body: string): string {
    const sha = sha1Hex(body);
    if (this.bodies.has(sha)) return sha;
    const flags = parseShebang(body);
    // Redis compiles the body with its shebang line blanked out, keeping line numbers.
    const code = flags.shebang ? body.replace(/^[^\n]*/, "") : body;
    const message = this.machine().compile(sha, code);
    if (message !== null) throw new CommandError(`ERR Error compiling script (new function): ${message}`);
    this.bodies.set(sha, { body, flags });
    return sha;
  }

  flush(): void {
    this.bodies.clear();
    this.vm = null; // a new VM: nothing a script left in the old one survives the flush
  }

  flagsOf(sha: string): ScriptFlags | undefined {
    return this.bodies.get(sha)?.flags;
  }

  machine(): LuaVm {
    return (this.vm ??= new LuaVm());
  }
}

const caches = new WeakMap<Keyspace, ScriptCache>();

/** The script cache of the shard owning `db`. */
export function scriptCacheOf(db: Keyspace): ScriptCache {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new ScriptCache()));
  return cache;
}

/** Redis 7.0's evalExtractShebangFlags: the flags of a `#!lua …` first line. */
function parseShebang(body: string): ScriptFlags {
  if (!body.startsWith("#!")) return { shebang: false, flags: new Set() };
  const end = body.indexOf("\n");
  const line = end === -1 ? body : body.slice(0, end);
  const parts = line.split(" ").filter((p) => p !== "");
  if (parts[0] !== "#!lua") throw new CommandError(`ERR Unexpected engine in script shebang: ${parts[0]}`);
  const flags = new Set<string>();
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) throw new CommandError(`ERR Unknown lua shebang option: ${part}`);
    for (const flag of part.slice(6).split(",")) {
      if (flag === "") continue;
      if (!SHEBANG_FLAGS.includes(flag)) throw new CommandError(`ERR Unexpected flag in script shebang: ${flag}`);
      flags.add(flag);
    }
  }
  return { shebang: true, flags };
}

/** numkeys's checks, in Redis's words; the number of keys. */
function parseNumkeys(argv: string[]): number {
  const n = parseInt64Number(argv[2]);
  if (n === null) throw new CommandError("ERR value is not an integer or out of range");
  if (n < 0) throw new CommandError("ERR Number of keys can't be negative");
  if (n > argv.length - 3) throw new CommandError("ERR Number of keys can't be greater than number of args");
  return n;
}

function runScript(ctx: ExecContext, argv: string[], bySha: boolean, readOnlyCommand: boolean): Reply {
  const numkeys = parseNumkeys(argv);
  const cache = scriptCacheOf(ctx.db);
  let sha: string;
  if (bySha) {
    sha = argv[1].toLowerCase();
    if (!cache.has(sha)) return error(ERR_NOSCRIPT);
  } else {
    const known = cache.has(sha1Hex(argv[1]));
    sha = cache.load(argv[1]);
    if (!known) ctx.propagate(["SCRIPT", "LOAD", argv[1]]);
  }
  const { shebang, flags } = cache.flagsOf(sha)!;
  const keys = argv.slice(3, 3 + numkeys);
  const rules: ScriptCallRules = {
    readOnly: readOnlyCommand || flags.has("no-writes"),
    allowOom: flags.has("allow-oom"),
    allowCrossSlot: !shebang || flags.has("allow-cross-slot-keys"),
    slot: keys.length > 0 ? keySlot(keys[0]) : -1,
  };
  const host = { call: (args: string[]) => ctx.callFromScript(args, rules) };
  const { reply } = cache.machine().run(sha, keys, argv.slice(3 + numkeys), host, ctx.db.settings.busyReplyThreshold);
  return reply;
}

/** What EVAL and FCALL (src/commands/functions.ts) share: arity, group, numkeys keys, routing. */
export const EVAL_SHAPE = {
  arity: -3,
  group: "scripting",
  getKeys: (argv: string[]) => numkeysKeys(argv, 2),
  routing: "shard",
} as const;

defineCommand({
  name: "eval",
  flags: ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  routerFlags: ["may-replicate"],
  run: (ctx, argv) => runScript(ctx, argv, false, false),
});

defineCommand({
  name: "evalsha",
  flags: ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  routerFlags: ["may-replicate"],
  run: (ctx, argv) => runScript(ctx, argv, true, false),
});

defineCommand({
  name: "eval_ro",
  flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  run: (ctx, argv) => runScript(ctx, argv, false, true),
});

defineCommand({
  name: "evalsha_ro",
  flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  run: (ctx, argv) => runScript(ctx, argv, true, true),
});

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

/**
 * SCRIPT, in every shard (the router sends it to all and replies the first shard's
 * answer). KILL finds nothing to kill: a script never runs while a command arrives (a
 * runaway one is stopped by the step budget instead).
 */
defineCommand({
  name: "script",
  arity: -2,
  flags: [],
  group: "scripting",
  routing: "fanout-and",
  subcommands: ["load", "exists", "flush", "kill", "help"],
  noscriptSubcommands: ["load", "exists", "flush", "kill"],
  // Not write in Redis, but it empties a cache every client's EVALSHA relies on, and is
  // logged and replicated: the read-only token (and a GET any page can send) may not.
  writeOrAdminSubcommands: ["flush"],
  run: (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    const cache = scriptCacheOf(ctx.db);
    if (sub === "load" && argv.length === 3) {
      const known = cache.has(sha1Hex(argv[2]));
      const sha = cache.load(argv[2]);
      if (!known) ctx.propagate(["SCRIPT", "LOAD", argv[2]]);
      return sha;
    }
    if (sub === "exists" && argv.length >= 3) return argv.slice(2).map((sha) => (cache.has(sha.toLowerCase()) ? 1 : 0));
    if (sub === "flush") {
      // script|flush has arity -2: extra arguments get the option error, as in Redis.
      if (argv.length > 3 || (argv.length === 3 && !["sync", "async"].includes(argv[2].toLowerCase()))) {
        return error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      }
      if (cache.size > 0) ctx.propagate(["SCRIPT", "FLUSH"]);
      cache.flush();
      return OK;
    }
    if (sub === "kill" && argv.length === 2) return error("NOTBUSY No scripts in execution right now.");
    if (sub === "help" && argv.length === 2) return SCRIPT_HELP.map(simple);
    if (["load", "exists", "flush", "kill", "help"].includes(sub)) return error(errWrongArity(`script|${sub}`));
    return error(errUnknownSubcommand(argv[1], "script"));
  },
});
