/**
 * The `redis` table a script sees (Redis 7.0's script_lua.c): call / pcall run a command
 * through the host (the shard's executor), error_reply / status_reply build reply tables,
 * sha1hex, log and the LOG_* levels, setresp, set_repl and REPL_* (accepted: every write
 * is logged as its effect whatever the script asks), replicate_commands, and breakpoint /
 * debug as the no-ops they are outside the Lua debugger. Error texts are Redis's.
 */
import type { Reply } from "../protocol/reply";
import { sha1 } from "../engine/digest";
import { REDIS_VERSION } from "../version";
import { fromLua, lua, toLua, type LuaJsFunction, type LuaState } from "./fengari";
import { pushNumber, pushReply } from "./convert";

/** What the API needs from whoever runs the script. */
export interface ScriptHost {
  /** Runs one command from the script: its reply, an error reply when refused or failed. */
  call(argv: string[]): Reply;
}

/** The API's per-run state: the host of the running script and its protocol. */
export interface ApiState {
  host: ScriptHost | null;
  resp: 2 | 3;
}

/** Raises an error table {err=message}, as Redis's luaError does (no position prefix). */
export function raiseErrorTable(L: LuaState, message: string): never {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushstring(L, toLua(message));
  lua.lua_setfield(L, -2, toLua("err"));
  return lua.lua_error(L) as never;
}

/** Hex SHA-1 of a binary string (script ids, redis.sha1hex). */
export function sha1Hex(s: string): string {
  let hex = "";
  for (const b of sha1(toLua(s))) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/**
 * A Lua number as the argument text Redis's Lua 5.1 gives it (lua_tolstring, "%.14g"),
 * also for floats with an integral value, which Lua 5.3 would print as "3.0".
 */
export function formatLuaNumber(n: number): string {
  if (Number.isNaN(n)) return n < 0 ? "-nan" : "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const [digits, exp] = significantDigits(Math.abs(n), 14);
  const sign = n < 0 ? "-" : "";
  if (exp < -4 || exp >= 14) {
    const rest = digits.slice(1).replace(/0+$/, "");
    return `${sign}${digits[0]}${rest ? "." + rest : ""}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const fixed = exp >= 0
    ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`
    : `0.${"0".repeat(-exp - 1)}${digits}`;
  return sign + fixed.replace(/0+$/, "").replace(/\.$/, "");
}

/**
 * The first `precision` significant digits of x > 0 and its decimal exponent, rounded as
 * C's printf does: to nearest, an exact tie to even (JS's toExponential rounds ties up).
 */
function significantDigits(x: number, precision: number): [string, number] {
  const [mantissa, expText] = x.toExponential(precision - 1).split("e");
  let digits = mantissa.replace(".", "");
  const exp = Number(expText);
  // Rounded up to an odd last digit: an exact tie should have gone to the even one below.
  if (Number(digits[precision - 1]) % 2 === 1) {
    const below = (BigInt(digits) - 1n).toString();
    const exact = exactDecimal(x);
    if (exact !== null && exact[1] === exp && exact[0] === `${below}5`) digits = below;
  }
  return [digits, exp];
}

/** The exact decimal digits (no trailing zeros) and exponent of x > 0, when short enough to tell. */
function exactDecimal(x: number): [string, number] | null {
  let text: string;
  if (x >= 1e21) text = BigInt(x).toString();
  else if (x >= 1e-80) text = x.toFixed(100);
  else return null;
  const [int, frac = ""] = text.split(".");
  const intDigits = int.replace(/^0+/, "");
  const all = (intDigits + frac).replace(/^0+/, "");
  const exp = intDigits.length > 0 ? intDigits.length - 1 : -(frac.length - frac.replace(/^0+/, "").length) - 1;
  return [all.replace(/0+$/, ""), exp];
}

/** The arguments of redis.call/pcall, or the error Redis raises for them. */
function commandArgs(L: LuaState): string[] | string {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return "ERR Please specify at least one argument for this redis lib call";
  const argv: string[] = [];
  for (let i = 1; i <= argc; i++) {
    const type = lua.lua_type(L, i);
    if (type === lua.LUA_TSTRING) argv.push(fromLua(lua.lua_tolstring(L, i)));
    else if (type === lua.LUA_TNUMBER) {
      argv.push(lua.lua_isinteger(L, i) ? String(lua.lua_tointeger(L, i)) : formatLuaNumber(lua.lua_tonumber(L, i)));
    } else return "ERR Lua redis lib command arguments must be strings or integers";
  }
  return argv;
}

function callCommand(L: LuaState, state: ApiState, raise: boolean): number {
  const argv = commandArgs(L);
  if (typeof argv === "string") {
    if (raise) raiseErrorTable(L, argv);
    pushReply(L, { kind: "error", message: argv }, state.resp);
    return 1;
  }
  if (state.host === null) raiseErrorTable(L, "ERR redis.call is not available outside a script run");
  const reply = state.host.call(argv);
  if (raise && reply !== null && typeof reply === "object" && !Array.isArray(reply) && reply.kind === "error") {
    raiseErrorTable(L, reply.message);
  }
  pushReply(L, reply, state.resp);
  return 1;
}

/** One-string-argument reply builders: redis.error_reply / redis.status_reply. */
function replyTable(field: "err" | "ok"): LuaJsFunction {
  return (L) => {
    if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, 1) !== lua.LUA_TSTRING) {
      raiseErrorTable(L, "ERR wrong number or type of arguments");
    }
    let text = fromLua(lua.lua_tolstring(L, 1));
    // Redis 7.0 stores error_reply's text with a leading '-' stripped when replying.
    if (field === "err" && text.startsWith("-")) text = text.slice(1);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, toLua(text));
    lua.lua_setfield(L, -2, toLua(field));
    return 1;
  };
}

/** Builds the `redis` table and leaves it on the stack. */
export function pushRedisApi(L: LuaState, state: ApiState): void {
  const fns: Record<string, LuaJsFunction> = {
    call: (L) => callCommand(L, state, true),
    pcall: (L) => callCommand(L, state, false),
    error_reply: replyTable("err"),
    status_reply: replyTable("ok"),
    sha1hex: (L) => {
      if (lua.lua_gettop(L) !== 1) return raiseMessage(L, "wrong number of arguments");
      const s = lua.lua_tolstring(L, 1);
      lua.lua_pushstring(L, toLua(sha1Hex(s === null ? "" : fromLua(s))));
      return 1;
    },
    setresp: (L) => {
      if (lua.lua_gettop(L) !== 1) return raiseMessage(L, "redis.setresp() requires one argument.");
      const resp = lua.lua_tonumber(L, 1);
      if (resp !== 2 && resp !== 3) return raiseMessage(L, "RESP version must be 2 or 3.");
      state.resp = resp;
      return 0;
    },
    set_repl: (L) => {
      if (lua.lua_gettop(L) !== 1) return raiseMessage(L, "redis.set_repl() requires two arguments.");
      const flags = lua.lua_tonumber(L, 1);
      if (!(flags >= 0 && flags <= 3)) return raiseMessage(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
      return 0;
    },
    replicate_commands: (L) => {
      lua.lua_pushboolean(L, true);
      return 1;
    },
    breakpoint: (L) => {
      lua.lua_pushboolean(L, false);
      return 1;
    },
    debug: () => 0,
  };
  lua.lua_createtable(L, 0, 32);
  for (const [name, fn] of Object.entries(fns)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, toLua(name));
  }
  setLogAndVersion(L);
  const numbers: Record<string, number> = {
    REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3,
  };
  for (const [name, n] of Object.entries(numbers)) {
    pushNumber(L, n);
    lua.lua_setfield(L, -2, toLua(name));
  }
}

/**
 * Sets redis.log, the LOG_* levels, REDIS_VERSION and REDIS_VERSION_NUM on the table on
 * top of the stack: the part of the API a function library's load-time `redis` has too.
 */
export function setLogAndVersion(L: LuaState): void {
  lua.lua_pushjsfunction(L, (L: LuaState) => {
    const argc = lua.lua_gettop(L);
    if (argc < 2) return raiseMessage(L, "redis.log() requires two arguments or more.");
    if (!lua.lua_isnumber(L, 1)) return raiseMessage(L, "First argument must be a number (log level).");
    const level = lua.lua_tonumber(L, 1);
    if (level < 0 || level > 3) return raiseMessage(L, "Invalid debug level.");
    return 0; // Redis writes it to its log file; a shard has none to write to.
  });
  lua.lua_setfield(L, -2, toLua("log"));
  const levels: Record<string, number> = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3 };
  for (const [name, n] of Object.entries(levels)) {
    pushNumber(L, n);
    lua.lua_setfield(L, -2, toLua(name));
  }
  const [major, minor, patch] = REDIS_VERSION.split(".").map(Number);
  lua.lua_pushstring(L, toLua(REDIS_VERSION));
  lua.lua_setfield(L, -2, toLua("REDIS_VERSION"));
  pushNumber(L, (major << 16) | (minor << 8) | patch);
  lua.lua_setfield(L, -2, toLua("REDIS_VERSION_NUM"));
}

/** Raises a plain message, as Redis's luaL_error from a C function does (no position: level 1 is C). */
function raiseMessage(L: LuaState, message: string): never {
  lua.lua_pushstring(L, toLua(message));
  return lua.lua_error(L) as never;
}
