/**
 * Redis 7.0 functions: FUNCTION (LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL,
 * HELP), FCALL and FCALL_RO. Each shard keeps its own libraries in its own Lua VM (not the
 * script cache's: SCRIPT FLUSH leaves functions alone); FUNCTION is routed to every shard
 * (`fanout-first`), so a function exists wherever FCALL's keys live.
 *
 * Effects: a library change is logged as `FUNCTION LOAD REPLACE <code>` / `FUNCTION
 * DELETE <name>` / `FUNCTION FLUSH` (RESTORE as the loads it made), never the Lua it ran;
 * snapshots carry every library's code (AUX field FUNCTION_AUX, src/shard/snapshot-job.ts).
 * FCALL is never logged itself: what its commands changed is (as for EVAL).
 *
 * FUNCTION DUMP's payload is Hotslot's own, not redis-server's RDB-based one: "HSFN" and a
 * version byte, the libraries' code as a JSON array of binary strings, then the SHA-1
 * (hex) of everything before it. RESTORE takes only such payloads.
 */
import type { Keyspace } from "../engine/keyspace";
import { globMatch } from "../engine/glob";
import { error, map, OK, set, simple, type Reply } from "../protocol/reply";
import { sha1Hex } from "../scripting/api";
import { LuaVm, type RegisteredFunction } from "../scripting/vm";
import { keySlot } from "../util/keyslot";
import { parseInt64Number } from "../util/numbers";
import type { ExecContext, ScriptCallRules } from "./context";
import { CommandError, errUnknownSubcommand, errWrongArity } from "./errors";
import { EVAL_SHAPE } from "./scripting";
import { defineCommand } from "./table";

const ERR_LIBRARY_NAME = "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
const DUMP_MAGIC = "HSFN\x01";

interface Library {
  readonly name: string;
  readonly code: string;
  readonly functions: readonly RegisteredFunction[];
}

/**
 * One shard's function libraries. As in Redis 7.0, library names are case-sensitive and
 * function names are looked up case-insensitively (a library may still register `g` and
 * `G`; the later one answers FCALL g).
 */
export class FunctionStore {
  private readonly libraries = new Map<string, Library>();
  private readonly functions = new Map<string, { fn: RegisteredFunction; library: Library }>();
  private vm: LuaVm | null = null;

  machine(): LuaVm {
    return (this.vm ??= new LuaVm());
  }

  get libraryCount(): number {
    return this.libraries.size;
  }

  get functionCount(): number {
    let n = 0;
    for (const lib of this.libraries.values()) n += lib.functions.length;
    return n;
  }

  /** The libraries in load order. */
  list(): Library[] {
    return [...this.libraries.values()];
  }

  has(libraryName: string): boolean {
    return this.libraries.has(libraryName);
  }

  find(name: string): { fn: RegisteredFunction; library: Library } | undefined {
    return this.functions.get(name.toLowerCase());
  }

  /**
   * Loads a library (functionsCreateWithLibraryCtx): its name, or a CommandError with
   * Redis's text. Nothing changes on an error.
   */
  load(code: string, replace: boolean, limitMs: number): string {
    const { name, body } = parseMetadata(code);
    const old = this.libraries.get(name);
    if (old && !replace) throw new CommandError(`ERR Library '${name}' already exists`);
    const loaded = this.machine().loadLibrary(body, limitMs);
    if ("error" in loaded) throw new CommandError(`ERR ${loaded.error}`);
    const clash = loaded.functions.find((f) => {
      const owner = this.functions.get(f.name.toLowerCase());
      return owner !== undefined && owner.library !== old;
    });
    if (clash) {
      this.machine().release(loaded.functions);
      throw new CommandError(`ERR Function ${clash.name} already exists`);
    }
    if (old) this.unlink(old);
    const library: Library = { name, code, functions: loaded.functions };
    this.libraries.set(name, library);
    for (const fn of loaded.functions) this.functions.set(fn.name.toLowerCase(), { fn, library });
    return name;
  }

  /** Deletes a library; false when there is none of that name. */
  delete(name: string): boolean {
    const library = this.libraries.get(name);
    if (!library) return false;
    this.unlink(library);
    return true;
  }

  flush(): void {
    this.libraries.clear();
    this.functions.clear();
    this.vm = null; // a new VM: nothing the old libraries left behind survives
  }

  private unlink(library: Library): void {
    this.libraries.delete(library.name);
    for (const fn of library.functions) this.functions.delete(fn.name.toLowerCase());
    this.machine().release(library.functions);
  }
}

const stores = new WeakMap<Keyspace, FunctionStore>();

/** The function libraries of the shard owning `db`. */
export function functionStoreOf(db: Keyspace): FunctionStore {
  let store = stores.get(db);
  if (!store) stores.set(db, (store = new FunctionStore()));
  return store;
}

/** functionExtractLibMetaData: the library name and the code after the `#!` line (kept: line numbers). */
function parseMetadata(code: string): { name: string; body: string } {
  if (!code.startsWith("#!")) throw new CommandError("ERR Missing library metadata");
  const end = code.indexOf("\n");
  if (end === -1) throw new CommandError("ERR Invalid library metadata");
  const parts = code.slice(0, end).split(/[ \t\r\v\f]+/).filter((p) => p !== "");
  if (parts.length === 0) throw new CommandError("ERR Invalid library metadata");
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() !== "name=") throw new CommandError(`ERR Invalid metadata value given: ${part}`);
    if (name !== null) throw new CommandError("ERR Invalid metadata value, name argument was given multiple times");
    name = part.slice(5);
  }
  if (name === null) throw new CommandError("ERR Library name was not given");
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new CommandError(ERR_LIBRARY_NAME);
  const engine = parts[0].slice(2);
  if (engine.toLowerCase() !== "lua") throw new CommandError(`ERR Engine '${engine}' not found`);
  return { name, body: code.slice(end) };
}

// ---- FCALL ----

function runFunction(ctx: ExecContext, argv: string[], readOnlyCommand: boolean): Reply {
  const found = functionStoreOf(ctx.db).find(argv[1]);
  if (!found) return error("ERR Function not found");
  const n = parseInt64Number(argv[2]);
  if (n === null) return error("ERR Bad number of keys provided");
  if (n > argv.length - 3) return error("ERR Number of keys can't be greater than number of args");
  if (n < 0) return error("ERR Number of keys can't be negative");
  const { fn } = found;
  if (readOnlyCommand && !fn.flags.includes("no-writes")) return error("ERR Can not execute a script with write flag using *_ro command.");
  const keys = argv.slice(3, 3 + n);
  const rules: ScriptCallRules = {
    readOnly: readOnlyCommand || fn.flags.includes("no-writes"),
    allowOom: fn.flags.includes("allow-oom"),
    allowCrossSlot: fn.flags.includes("allow-cross-slot-keys"),
    slot: keys.length > 0 ? keySlot(keys[0]) : -1,
  };
  const host = { call: (args: string[]) => ctx.callFromScript(args, rules) };
  return functionStoreOf(ctx.db).machine().callFunction(fn, keys, argv.slice(3 + n), host, ctx.db.settings.busyReplyThreshold).reply;
}

defineCommand({
  name: "fcall",
  flags: ["noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  routerFlags: ["may-replicate"],
  run: (ctx, argv) => runFunction(ctx, argv, false),
});

defineCommand({
  name: "fcall_ro",
  flags: ["readonly", "noscript", "stale", "skip_monitor", "no_mandatory_keys"],
  ...EVAL_SHAPE,
  run: (ctx, argv) => runFunction(ctx, argv, true),
});

// ---- FUNCTION ----

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

/** Arity of each subcommand, as COMMAND INFO gives it (negative: at least). */
const SUBCOMMAND_ARITY: Record<string, number> = {
  load: -3, list: -2, delete: 3, flush: -2, dump: 2, restore: -3, stats: 2, kill: 2, help: 2,
};

function arityOk(arity: number, argc: number): boolean {
  return arity < 0 ? argc >= -arity : argc === arity;
}

function functionLoad(ctx: ExecContext, argv: string[]): Reply {
  let replace = false;
  let i = 2;
  for (; i < argv.length - 1; i++) {
    if (argv[i].toLowerCase() === "replace") replace = true;
    else return error(`ERR Unknown option given: ${argv[i]}`);
  }
  if (i >= argv.length) return error("ERR Function code is missing");
  const code = argv[i];
  const name = functionStoreOf(ctx.db).load(code, replace, ctx.db.settings.busyReplyThreshold);
  ctx.propagate(["FUNCTION", "LOAD", "REPLACE", code]);
  return name;
}

function functionList(ctx: ExecContext, argv: string[]): Reply {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i].toLowerCase();
    if (!withCode && arg === "withcode") {
      withCode = true;
      continue;
    }
    if (pattern === null && arg === "libraryname") {
      if (i >= argv.length - 1) return error("ERR library name argument was not given");
      pattern = argv[++i];
      continue;
    }
    return error(`ERR Unknown argument ${argv[i]}`);
  }
  return functionStoreOf(ctx.db)
    .list()
    .filter((lib) => pattern === null || globMatch(pattern, lib.name, true))
    .map((lib) => {
      const entries: Reply[] = [
        "library_name", lib.name,
        "engine", "LUA",
        "functions", lib.functions.map((fn) => map(["name", fn.name, "description", fn.description, "flags", set(fn.flags.map(simple))])),
      ];
      if (withCode) entries.push("library_code", lib.code);
      return map(entries);
    });
}

function encodeDump(store: FunctionStore): string {
  const body = DUMP_MAGIC + JSON.stringify(store.list().map((lib) => lib.code));
  return body + sha1Hex(body);
}

/** The library codes of a FUNCTION DUMP payload, or null when it is not one (or damaged). */
function decodeDump(payload: string): string[] | null {
  if (!payload.startsWith(DUMP_MAGIC) || payload.length < DUMP_MAGIC.length + 40) return null;
  const body = payload.slice(0, -40);
  if (sha1Hex(body) !== payload.slice(-40)) return null;
  try {
    const codes: unknown = JSON.parse(body.slice(DUMP_MAGIC.length));
    return Array.isArray(codes) && codes.every((c) => typeof c === "string") ? codes : null;
  } catch {
    return null;
  }
}

/** addReplySubcommandSyntaxError's text. */
function subcommandSyntaxError(argv: string[]): Reply {
  return error(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try ${argv[0].toUpperCase()} HELP.`);
}

function functionRestore(ctx: ExecContext, argv: string[]): Reply {
  if (argv.length > 4) return subcommandSyntaxError(argv);
  const policy = argv.length === 4 ? argv[3].toLowerCase() : "append";
  if (!["flush", "append", "replace"].includes(policy)) {
    return error("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
  }
  const codes = decodeDump(argv[2]);
  if (codes === null) return error("ERR DUMP payload version or checksum are wrong");
  const store = functionStoreOf(ctx.db);
  const limit = ctx.db.settings.busyReplyThreshold;
  // Tried on a scratch store first: a failing restore changes nothing.
  if (policy === "append") {
    const taken = codes.map((code) => parseMetadata(code).name).find((name) => store.has(name));
    if (taken !== undefined) return error(`ERR Library ${taken} already exists`);
  }
  const trial = new FunctionStore();
  if (policy !== "flush") for (const lib of store.list()) trial.load(lib.code, false, limit);
  for (const code of codes) trial.load(code, true, limit);
  if (policy === "flush") {
    store.flush();
    ctx.propagate(["FUNCTION", "FLUSH"]);
  }
  for (const code of codes) {
    store.load(code, true, limit);
    ctx.propagate(["FUNCTION", "LOAD", "REPLACE", code]);
  }
  return OK;
}

/**
 * FUNCTION, in every shard (the router sends it to all and replies the first shard's
 * answer). KILL finds nothing to kill: no command arrives while a function runs.
 */
defineCommand({
  name: "function",
  arity: -2,
  flags: [],
  group: "scripting",
  routing: "fanout-first",
  subcommands: Object.keys(SUBCOMMAND_ARITY),
  writeOrAdminSubcommands: ["load", "delete", "flush", "restore"],
  noscriptSubcommands: Object.keys(SUBCOMMAND_ARITY).filter((sub) => sub !== "help"),
  run: (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    const arity = SUBCOMMAND_ARITY[sub];
    if (arity === undefined) return error(errUnknownSubcommand(argv[1], "function"));
    if (!arityOk(arity, argv.length)) return error(errWrongArity(`function|${sub}`));
    const store = functionStoreOf(ctx.db);
    switch (sub) {
      case "load":
        return functionLoad(ctx, argv);
      case "list":
        return functionList(ctx, argv);
      case "delete":
        if (!store.delete(argv[2])) return error("ERR Library not found");
        ctx.propagate(["FUNCTION", "DELETE", argv[2]]);
        return OK;
      case "flush":
        if (argv.length > 3) return subcommandSyntaxError(argv);
        if (argv.length === 3 && !["sync", "async"].includes(argv[2].toLowerCase())) {
          return error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
        }
        if (store.libraryCount > 0) ctx.propagate(["FUNCTION", "FLUSH"]);
        store.flush();
        return OK;
      case "dump":
        return encodeDump(store);
      case "restore":
        return functionRestore(ctx, argv);
      case "stats":
        return map([
          "running_script", null,
          "engines", map(["LUA", map(["libraries_count", store.libraryCount, "functions_count", store.functionCount])]),
        ]);
      case "kill":
        return error("NOTBUSY No scripts in execution right now.");
      default:
        return FUNCTION_HELP.map(simple);
    }
  },
});
