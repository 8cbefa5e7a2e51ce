/**
 * Connection and introspection commands, run by the router: PING, ECHO, COMMAND, TIME,
 * CLUSTER KEYSLOT (routing `router`), and those that read or change the session (routing
 * `session`): HELLO, AUTH, SELECT, QUIT, RESET, CLIENT and the transaction commands
 * (MULTI, EXEC, DISCARD, WATCH, UNWATCH), which act through the session's
 * TransactionControl — over HTTP there is none, and they say to use /multi-exec.
 */
import { error, map, OK, set, simple, verbatim, type Reply } from "../protocol/reply";
import { parseInt64, parseInt64Number } from "../util/numbers";
import { parseIntegerArg } from "./args";
import { CommandError, ERR_DB_INDEX, ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGPASS, errUnknownSubcommand, errWrongArity } from "./errors";
import { docsOf } from "./docs";
import type { ClientKillFilter, ClientListFilter, RouterContext, TransactionControl } from "./router-context";
import {
  allCommands,
  arityOk,
  commandCount,
  commandKeys,
  defineCommand,
  lookupCommand,
  type CommandSpec,
  type RouterHandler,
} from "./table";
import { REDIS_VERSION } from "../version";

const ERR_CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";

// --- POST and Host: (cross-protocol scripting) -----------------------------------------

/**
 * The log line redis-server 7.0 writes (at most once a minute) when a connection sends
 * `POST` or `Host:` as a command: an HTTP request sent to a RESP port, e.g. by a web page's
 * fetch("http://127.0.0.1:6379/", {method: "POST", body: "FLUSHALL\r\n"}) reaching the
 * bridge. Redis closes the connection without a reply, and so does the session.
 */
export const SECURITY_ATTACK_LOG =
  "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. Connection aborted.";

/**
 * True for the two "commands" Redis's table holds only to catch HTTP requests (`post`,
 * `host:`, any case). Kept out of the command table, as COMMAND and COMMAND INFO on
 * redis-server do not list them; src/router/session.ts checks every command the table lacks.
 */
export function isCrossProtocolCommand(argv: readonly string[]): boolean {
  const name = argv[0]?.toLowerCase();
  return name === "post" || name === "host:";
}

let lastSecurityWarning = -Infinity;

/** Logs SECURITY_ATTACK_LOG, at most once a minute per isolate (as Redis rate-limits it). */
export function warnCrossProtocolAttack(now: number): void {
  if (now - lastSecurityWarning < 60_000) return;
  lastSecurityWarning = now;
  console.warn(SECURITY_ATTACK_LOG);
}

// --- PING, ECHO, TIME, SELECT, QUIT, RESET ---------------------------------------------------

/** PING's reply; also run in a shard when a script calls it. */
function ping(argv: string[]): Reply {
  if (argv.length > 2) throw new CommandError(errWrongArity("ping"));
  return argv.length === 2 ? argv[1] : simple("PONG");
}

/** TIME's reply for a clock reading of `ms` (microseconds from the high-resolution timer). */
function time(ms: number): Reply {
  const micros = Math.floor((performance.now() * 1000) % 1000);
  return [String(Math.floor(ms / 1000)), String((ms % 1000) * 1000 + micros)];
}

defineCommand({
  name: "ping", arity: -1, flags: ["fast"], group: "connection", routing: "router",
  routerFlags: ["allowed-when-subscribed"],
  // Pub/Sub: a RESP2 connection in subscribed mode gets Redis's ["pong", arg or ""].
  runInRouter: (ctx, argv) => (ctx.session.subscribed && ctx.session.resp === 2 && argv.length <= 2 ? ["pong", argv[1] ?? ""] : ping(argv)),
  // Also where scripts run (redis.call('PING') inside EVAL runs in a shard).
  run: (_ctx, argv) => ping(argv),
});

defineCommand({
  name: "echo", arity: 2, flags: ["fast"], group: "connection", routing: "router",
  runInRouter: (_ctx, argv) => argv[1],
  run: (_ctx, argv) => argv[1],
});

defineCommand({
  name: "time", arity: 1, flags: ["loading", "stale", "fast"], group: "server", routing: "router",
  runInRouter: (ctx) => time(ctx.now),
  run: (ctx) => time(ctx.now),
});

defineCommand({
  name: "select", arity: 2, flags: ["loading", "stale", "fast"], group: "connection", routing: "session",
  runInRouter: (_ctx, argv) => {
    const db = parseIntegerArg(argv[1]);
    if (db !== 0) throw new CommandError(ERR_DB_INDEX);
    return OK;
  },
});

defineCommand({
  name: "quit", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection",
  routing: "session", routerFlags: ["runs-in-multi", "allowed-when-subscribed"],
  runInRouter: (ctx) => {
    ctx.session.closing = true;
    return OK;
  },
});

defineCommand({
  name: "reset", arity: 1, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection",
  routing: "session", routerFlags: ["runs-in-multi", "allowed-when-subscribed"],
  runInRouter: (ctx) => {
    ctx.resetSession();
    return simple("RESET");
  },
});

// --- AUTH, HELLO ---------------------------------------------------------------------

function authReply(ctx: RouterContext, user: string, password: string): Reply {
  const result = ctx.authenticate(user, password);
  if (result === "ok") return OK;
  if (result === "nopass") {
    return error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
  }
  return error(ERR_WRONGPASS);
}

defineCommand({
  name: "auth", arity: -2, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection",
  routing: "session",
  runInRouter: (ctx, argv) => {
    if (argv.length > 3) throw new CommandError(ERR_SYNTAX);
    return argv.length === 2 ? authReply(ctx, "default", argv[1]) : authReply(ctx, argv[1], argv[2]);
  },
});

defineCommand({
  name: "hello", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"], group: "connection",
  routing: "session",
  runInRouter: (ctx, argv) => {
    let proto: 2 | 3 = ctx.session.resp;
    if (argv.length >= 2) {
      const parsed = parseInt64(argv[1]);
      if (parsed === null) return error("ERR Protocol version is not an integer or out of range");
      const v = Number(parsed);
      if (v !== 2 && v !== 3) return error("NOPROTO unsupported protocol version");
      proto = v;
    }
    let name: string | null | undefined;
    for (let i = 2; i < argv.length; i++) {
      const opt = argv[i].toLowerCase();
      const more = argv.length - i - 1;
      if (opt === "auth" && more >= 2) {
        const r = authReply(ctx, argv[i + 1], argv[i + 2]);
        if (r !== OK) return r;
        i += 2;
      } else if (opt === "setname" && more >= 1) {
        name = argv[++i];
        if (!validClientName(name)) return error(ERR_CLIENT_NAME);
      } else {
        return error(`ERR Syntax error in HELLO option '${argv[i]}'`);
      }
    }
    if (!ctx.session.authenticated) {
      return error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    if (name !== undefined) ctx.session.name = name === "" ? null : name;
    ctx.session.resp = proto;
    return map([
      "server", "redis",
      "version", REDIS_VERSION,
      "proto", proto,
      "id", ctx.session.id,
      "mode", "standalone",
      "role", "master",
      "modules", [],
    ]);
  },
});

// --- CLIENT --------------------------------------------------------------------------

function validClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/** CLIENT INFO's line where no directory knows the connection (HTTP: a request is no connection). */
function clientInfoLine(ctx: RouterContext): string {
  return ctx.clients?.info(ctx.session.id) ?? `id=${ctx.session.id} addr=127.0.0.1:0 laddr=127.0.0.1:0 fd=0 name=${ctx.session.name ?? ""} db=0 resp=${ctx.session.resp} cmd=client|info`;
}

/** CLIENT LIST [TYPE type | ID id ...], parsed as redis-server 7.0 does. */
function clientList(ctx: RouterContext, argv: string[]): Reply {
  const dir = ctx.clients;
  let filter: ClientListFilter = {};
  if (argv.length === 4 && argv[2].toLowerCase() === "type") {
    if (dir && !dir.isClientType(argv[3])) return error(`ERR Unknown client type '${argv[3]}'`);
    filter = { type: argv[3] };
  } else if (argv.length > 3 && argv[2].toLowerCase() === "id") {
    const ids: number[] = [];
    for (const a of argv.slice(3)) {
      const id = parseInt64Number(a);
      if (id === null) return error("ERR Invalid client ID");
      ids.push(id);
    }
    filter = { ids };
  } else if (argv.length !== 2) {
    return error(ERR_SYNTAX);
  }
  return verbatim(dir ? dir.list(filter) : clientInfoLine(ctx) + "\n");
}

/** CLIENT KILL addr:port (old form: OK or an error) or CLIENT KILL <filter> <value> ... (a count). */
function clientKill(ctx: RouterContext, argv: string[]): Reply {
  const dir = ctx.clients;
  if (argv.length === 3) {
    const killed = dir?.kill({ addr: argv[2], skipMe: false }, ctx.session.id, ctx.releaseBlocked) ?? 0;
    return killed > 0 ? OK : error("ERR No such client");
  }
  const filter: ClientKillFilter = { skipMe: true };
  for (let i = 2; i < argv.length; i += 2) {
    const opt = argv[i].toLowerCase();
    const value = argv[i + 1];
    if (value === undefined) return error(ERR_SYNTAX);
    if (opt === "id") {
      const id = parseInt64Number(value);
      if (id === null || id <= 0) return error("ERR client-id should be greater than 0");
      filter.id = id;
    } else if (opt === "type") {
      if (dir && !dir.isClientType(value)) return error(`ERR Unknown client type '${value}'`);
      filter.type = value;
    } else if (opt === "addr") {
      filter.addr = value;
    } else if (opt === "laddr") {
      filter.laddr = value;
    } else if (opt === "user") {
      // Every connection is the default user (tokens, not ACL users).
      if (value !== "default") return error(`ERR No such user '${value}'`);
    } else if (opt === "skipme") {
      const v = value.toLowerCase();
      if (v !== "yes" && v !== "no") return error(ERR_SYNTAX);
      filter.skipMe = v === "yes";
    } else {
      return error(ERR_SYNTAX);
    }
  }
  return dir?.kill(filter, ctx.session.id, ctx.releaseBlocked) ?? 0;
}

/** CLIENT UNBLOCK id [TIMEOUT|ERROR]: the reason is checked before the id, as Redis does. */
async function clientUnblock(ctx: RouterContext, argv: string[]): Promise<Reply> {
  if (argv.length > 4) return error("ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
  let withError = false;
  if (argv.length === 4) {
    const reason = argv[3].toLowerCase();
    if (reason !== "timeout" && reason !== "error") return error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    withError = reason === "error";
  }
  const id = parseInt64Number(argv[2]);
  if (id === null) return error(ERR_NOT_INTEGER);
  return ctx.clients ? ctx.clients.unblock(id, withError, ctx.releaseBlocked) : 0;
}

defineCommand({
  name: "client", arity: -2, flags: ["noscript", "loading", "stale"], group: "connection", routing: "session",
  subcommands: ["id", "setname", "getname", "info", "list", "kill", "unblock", "setinfo", "no-evict", "no-touch", "reply", "help"],
  writeOrAdminSubcommands: ["list", "kill", "unblock", "no-evict"],
  runInRouter: (ctx, argv) => {
    const sub = argv[1].toLowerCase();
    const arity = (n: number) => {
      if (argv.length !== n) throw new CommandError(`ERR wrong number of arguments for 'client|${sub}' command`);
    };
    const atLeast = (n: number) => {
      if (argv.length < n) throw new CommandError(`ERR wrong number of arguments for 'client|${sub}' command`);
    };
    switch (sub) {
      case "id":
        arity(2);
        return ctx.session.id;
      case "getname":
        arity(2);
        return ctx.session.name;
      case "setname":
        arity(3);
        if (!validClientName(argv[2])) return error(ERR_CLIENT_NAME);
        ctx.session.name = argv[2] === "" ? null : argv[2];
        return OK;
      case "info":
        arity(2);
        return verbatim(clientInfoLine(ctx) + "\n");
      case "list":
        return clientList(ctx, argv);
      case "kill":
        atLeast(3);
        return clientKill(ctx, argv);
      case "unblock":
        atLeast(3);
        return clientUnblock(ctx, argv);
      case "setinfo":
        arity(4);
        return OK;
      case "no-evict":
      case "no-touch":
        arity(3);
        if (!["on", "off"].includes(argv[2].toLowerCase())) return error(ERR_SYNTAX);
        return OK;
      case "reply": {
        arity(3);
        const mode = argv[2].toLowerCase();
        if (mode !== "on" && mode !== "off" && mode !== "skip") return error(ERR_SYNTAX);
        ctx.session.setReplyMode?.(mode);
        return OK;
      }
      case "help":
        return [
          "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "ID", "GETNAME", "SETNAME <name>", "INFO",
          "KILL <ip:port>", "KILL <option> <value> [<option> <value> [...]]",
          "LIST [options ...]", "UNBLOCK <clientid> [TIMEOUT|ERROR]", "HELP",
        ].map(simple);
      default:
        return error(errUnknownSubcommand(argv[1], "client"));
    }
  },
});

// --- COMMAND -------------------------------------------------------------------------

function keySpecs(spec: CommandSpec): Reply[] {
  const k = spec.keys;
  if (!k || k.first <= 0) return [];
  const last = k.last < 0 ? k.last : k.last - k.first;
  return [
    map([
      // Redis writes the access kind upper case (RO, RW) and the operation lower case.
      "flags", set([simple(spec.isWrite ? "RW" : "RO"), simple(spec.isWrite ? "update" : "access")]),
      "begin_search", map(["type", "index", "spec", map(["index", k.first])]),
      "find_keys", map(["type", "range", "spec", map(["lastkey", last, "keystep", k.step, "limit", 0])]),
    ]),
  ];
}

function commandInfo(spec: CommandSpec): Reply {
  const k = spec.keys ?? { first: 0, last: 0, step: 0 };
  return [
    spec.name,
    spec.arity,
    // Redis derives movablekeys for commands whose keys the positions cannot describe.
    // Flags, categories, tips, key specs and subcommands are RESP3 sets, as Redis 7.0 sends them.
    set([...spec.flags, ...(spec.getKeys ? ["movablekeys"] : [])].map(simple)),
    k.first,
    k.last,
    k.step,
    set(spec.categories.map((c) => simple("@" + c))),
    set([]),
    set(keySpecs(spec)),
    set([]),
  ];
}

function commandDocs(spec: CommandSpec): Reply[] {
  const docs = docsOf(spec.name);
  if (!docs) throw new Error(`command ${spec.name} has no docs in src/commands/docs.ts`);
  const doc: Reply[] = ["summary", docs.summary, "since", docs.since, "group", spec.group];
  if (docs.complexity) doc.push("complexity", docs.complexity);
  return [spec.name, map(doc)];
}

defineCommand({
  name: "command", arity: -1, flags: ["loading", "stale"], group: "server", routing: "router",
  subcommands: ["count", "info", "docs", "list", "getkeys", "help"],
  runInRouter: (_ctx, argv) => {
    if (argv.length === 1) return [...allCommands()].map(commandInfo);
    const sub = argv[1].toLowerCase();
    switch (sub) {
      case "count":
        if (argv.length !== 2) throw new CommandError("ERR wrong number of arguments for 'command|count' command");
        return commandCount();
      case "info": {
        const names = argv.length > 2 ? argv.slice(2) : [...allCommands()].map((c) => c.name);
        return names.map((n) => {
          const spec = lookupCommand(n);
          return spec ? commandInfo(spec) : null;
        });
      }
      case "docs": {
        const specs = argv.length > 2 ? argv.slice(2).map((n) => lookupCommand(n)) : [...allCommands()];
        return map(specs.flatMap((s) => (s ? commandDocs(s) : [])));
      }
      case "list":
        return [...allCommands()].map((c) => c.name);
      case "getkeys": {
        // getKeysSubcommandImpl: a command without key arguments is refused before its
        // arity is checked; one whose arguments yield no key is refused unless its keys
        // are optional (EVAL with numkeys 0). Containers (OBJECT, MEMORY) keep the older
        // answer: Redis looks their subcommand up, which the table does not describe.
        if (argv.length < 4) throw new CommandError("ERR wrong number of arguments for 'command|getkeys' command");
        const target = argv.slice(2);
        const spec = lookupCommand(target[0]);
        // A container's unknown subcommand is no command at all, as lookupCommand finds none.
        const unknownSub = spec?.subcommands && target.length > 1 && !spec.subcommands.includes(target[1].toLowerCase());
        if (!spec || unknownSub) return error("ERR Invalid command specified");
        const hasKeys = spec.getKeys !== undefined || (spec.keys !== undefined && spec.keys.first > 0);
        if (!hasKeys) return error("ERR The command has no key arguments");
        if (!arityOk(spec, target.length)) return error("ERR Invalid number of arguments specified for command");
        const keys = commandKeys(spec, target);
        if (keys.length > 0) return keys;
        if (spec.subcommands) return error("ERR The command has no key arguments");
        return spec.flags.includes("no_mandatory_keys") ? [] : error("ERR Invalid arguments specified for command");
      }
      case "help":
        return ["COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "(no subcommand)", "COUNT", "INFO [<command-name> ...]", "DOCS [<command-name> ...]", "LIST", "GETKEYS <full-command>", "HELP"].map(simple);
      default:
        return error(errUnknownSubcommand(argv[1], "command"));
    }
  },
});

// --- transactions: the RESP session queues and runs them ------------------------------

/**
 * A transaction command's handler: acts on the session's MULTI/EXEC state; over HTTP,
 * where there is none, points to /multi-exec.
 */
function onTransaction(name: string, act: (tx: TransactionControl, argv: string[]) => Reply | Promise<Reply>): RouterHandler {
  return (ctx, argv) =>
    ctx.transactions
      ? act(ctx.transactions, argv)
      : error(`ERR ${name.toUpperCase()} is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec`);
}

defineCommand({
  name: "multi", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions",
  routing: "session", routerFlags: ["runs-in-multi"],
  runInRouter: onTransaction("multi", (tx) => tx.multi()),
});
defineCommand({
  name: "exec", arity: 1, flags: ["noscript", "loading", "stale", "skip_slowlog"], group: "transactions",
  routing: "session", routerFlags: ["runs-in-multi"],
  runInRouter: onTransaction("exec", (tx) => tx.exec()),
});
defineCommand({
  name: "discard", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions",
  routing: "session", routerFlags: ["runs-in-multi"],
  runInRouter: onTransaction("discard", (tx) => tx.discard()),
});
defineCommand({
  name: "watch", arity: -2, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions",
  keys: { first: 1, last: -1, step: 1 }, routing: "session", routerFlags: ["runs-in-multi"],
  runInRouter: onTransaction("watch", (tx, argv) => tx.watch(argv.slice(1))),
});
defineCommand({
  name: "unwatch", arity: 1, flags: ["noscript", "loading", "stale", "fast", "allow_busy"], group: "transactions",
  routing: "session",
  runInRouter: onTransaction("unwatch", (tx) => tx.unwatch()),
});
