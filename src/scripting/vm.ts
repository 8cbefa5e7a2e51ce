/**
 * The Lua VM of one shard: one fengari state, created lazily by the shard's script
 * cache, holding every cached script as a compiled function (Redis keeps f_<sha> in the
 * registry the same way). `run` executes one with KEYS and ARGV set, the redis API bound
 * to the caller's host and the step budget on.
 *
 * Sandbox, as Redis 7.0's: only base, table, string and math are opened (no io, os,
 * package, debug, coroutine) plus cjson, bit, cmsgpack and struct (src/scripting/cjson.ts,
 * bit.ts, cmsgpack.ts, struct.ts);
 * dofile, loadfile, print and load are removed; loadstring compiles text only (never
 * bytecode) into the sandbox. Scripts run with a protected
 * globals table: reading an undefined global raises "Script attempted to access
 * nonexistent global variable 'x'", assigning one "Attempt to modify a readonly table".
 * The libraries themselves (string, redis, …) are shared plain tables: Redis 7.0 makes
 * them read-only too; here a script that changes one changes it for later scripts.
 *
 * Lua 5.3 (fengari) vs Redis's 5.1, shimmed: unpack, table.getn, table.maxn, math.mod,
 * math.pow, math.log10, string.gfind, loadstring; tostring of an integral float prints
 * "5" as 5.1 does (5.3 says "5.0"), and numbers passed to redis.call are formatted as
 * 5.1's %.14g. Not shimmed (see src/scripting/README.md): `..` of an integral float gives
 * "5.0"; string.format("%d", 3.5) is an error (5.1 truncates); integers are 32-bit in
 * fengari and wrap on overflow (5.1 has only doubles); `//`, `&`, `|` … exist; `#` of a
 * table with holes may differ; error messages of the parser may differ in wording.
 */
import type { Reply } from "../protocol/reply";
import { pushRedisApi, formatLuaNumber, type ApiState, type ScriptHost } from "./api";
import { pushBitLibrary } from "./bit";
import { StepBudget } from "./budget";
import { guardStringRep } from "./memory-budget";
import { pushCjsonLibrary } from "./cjson";
import { pushCmsgpackLibrary } from "./cmsgpack";
import { pushStructLibrary } from "./struct";
import { pushLibraryGlobals, type RegisteredFunction } from "./library";
import { popReply } from "./convert";
import { fromLua, lauxlib, lua, openLibraries, toLua, type LuaState } from "./fengari";

/** The chunk name Redis compiles scripts under: errors read "user_script:1: …". */
const CHUNK_NAME = toLua("@user_script");
/** The chunk name of a function library (FUNCTION LOAD): errors read "user_function:2: …". */
const LIBRARY_CHUNK_NAME = toLua("@user_function");

/** Runs in the real globals before they are protected: the 5.1 shims. */
const PRELUDE = `
local load, fmod, log, gmatch, unpack_ = load, math.fmod, math.log, string.gmatch, table.unpack
unpack = unpack_
table.getn = function(t) return #t end
table.maxn = function(t) local n = 0 for k in pairs(t) do if type(k) == "number" and k > n then n = k end end return n end
math.mod = fmod
math.pow = function(a, b) return a ^ b end
math.log10 = function(x) return log(x, 10) end
string.gfind = gmatch
`;

const READONLY = "Attempt to modify a readonly table";

export type { RegisteredFunction } from "./library";

export interface RunResult {
  reply: Reply;
  /** True when the step budget stopped the script. */
  killed: boolean;
}

export class LuaVm {
  private readonly L: LuaState;
  private readonly api: ApiState = { host: null, resp: 2 };
  private readonly budget = new StepBudget();
  /** Registry reference of the protected globals proxy every script runs in. */
  private readonly envRef: number;
  /** Registry reference of the table of compiled scripts, by sha. */
  private readonly scriptsRef: number;
  /**
   * While a function library's code runs (FUNCTION LOAD), the registry reference of the
   * only globals it sees (a `redis` table with register_function and log), and what it
   * registered; null otherwise.
   */
  private loading: { globalsRef: number; registered: RegisteredFunction[] } | null = null;

  constructor() {
    const L = lauxlib.luaL_newstate() as LuaState;
    this.L = L;
    // A JS exception inside the VM (a string too long for V8, …) becomes a Lua error.
    lua.lua_atnativeerror(L, (L: LuaState) => {
      const e = lua.lua_touserdata(L, -1) as Error;
      lua.lua_pushstring(L, toLua(String(e?.message ?? e)));
      return 1;
    });
    for (const [name, open] of openLibraries) {
      lauxlib.luaL_requiref(L, toLua(name), open, 1);
      // string.rep allocates its whole result at once: checked against the memory bound first.
      if (name === "string") guardStringRep(L);
      lua.lua_pop(L, 1);
    }
    for (const name of ["dofile", "loadfile", "print", "collectgarbage"]) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, toLua(name));
    }
    pushRedisApi(L, this.api);
    lua.lua_setglobal(L, toLua("redis"));
    pushCjsonLibrary(L);
    lua.lua_setglobal(L, toLua("cjson"));
    pushBitLibrary(L);
    lua.lua_setglobal(L, toLua("bit"));
    pushCmsgpackLibrary(L);
    lua.lua_setglobal(L, toLua("cmsgpack"));
    pushStructLibrary(L);
    lua.lua_setglobal(L, toLua("struct"));
    lua.lua_pushjsfunction(L, luaToString);
    lua.lua_setglobal(L, toLua("tostring"));
    if (lauxlib.luaL_dostring(L, toLua(PRELUDE)) !== lua.LUA_OK) throw new Error(fromLua(lua.lua_tolstring(L, -1)));
    this.envRef = this.createProtectedEnv();
    // loadstring: text only, compiled into the protected globals (never the real ones).
    lua.lua_getglobal(L, toLua("load"));
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.envRef);
    lauxlib.luaL_loadstring(
      L,
      toLua("local load, env = ... return function(s, name) return load(s, name, 't', env) end"),
    );
    lua.lua_insert(L, -3);
    lua.lua_call(L, 2, 1);
    lua.lua_setglobal(L, toLua("loadstring"));
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, toLua("load"));
    lua.lua_createtable(L, 0, 0);
    this.scriptsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** The proxy scripts see as _ENV: reads fall through to the globals, writes are refused. */
  private createProtectedEnv(): number {
    const L = this.L;
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 3);
    lua.lua_pushjsfunction(L, (L: LuaState) => {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.loading?.globalsRef ?? lua.LUA_RIDX_GLOBALS);
      lua.lua_pushvalue(L, 2);
      if (lua.lua_rawget(L, -2) !== lua.LUA_TNIL) return 1;
      const name = lua.lua_type(L, 2) === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, 2)) : "?";
      return lauxlib.luaL_error(L, toLua(`Script attempted to access nonexistent global variable '%s'`), toLua(name));
    });
    lua.lua_setfield(L, -2, toLua("__index"));
    lua.lua_pushjsfunction(L, (L: LuaState) => lauxlib.luaL_error(L, toLua(READONLY)));
    lua.lua_setfield(L, -2, toLua("__newindex"));
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, toLua("__metatable"));
    lua.lua_setmetatable(L, -2);
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** True when script `sha` is compiled in this VM. */
  has(sha: string): boolean {
    lua.lua_rawgeti(this.L, lua.LUA_REGISTRYINDEX, this.scriptsRef);
    const found = lua.lua_getfield(this.L, -1, toLua(sha)) === lua.LUA_TFUNCTION;
    lua.lua_pop(this.L, 2);
    return found;
  }

  /**
   * Compiles `body` as script `sha`: null when compiled, else Lua's message
   * ("user_script:1: unexpected symbol near '<eof>'").
   */
  compile(sha: string, body: string): string | null {
    const L = this.L;
    const message = this.loadChunk(body, CHUNK_NAME);
    if (message !== null) return message;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.scriptsRef);
    lua.lua_insert(L, -2);
    lua.lua_setfield(L, -2, toLua(sha));
    lua.lua_pop(L, 1);
    return null;
  }

  /**
   * Compiles `body` under `chunkName` into the sandbox, leaving the function on the stack;
   * null when compiled, else Lua's message (nothing left on the stack).
   */
  private loadChunk(body: string, chunkName: Uint8Array): string | null {
    const L = this.L;
    const bytes = toLua(body);
    // Bytecode is refused (Redis 7.0 does too: it would escape the sandbox).
    if (bytes[0] === 0x1b) return `${fromLua(chunkName).slice(1)}: bad binary format (precompiled chunk)`;
    if (lauxlib.luaL_loadbuffer(L, bytes, bytes.length, chunkName) !== lua.LUA_OK) {
      // Lua 5.1 quotes the end-of-input token ("near '<eof>'"); 5.3 does not.
      const message = fromLua(lua.lua_tolstring(L, -1)).replace(/near <eof>$/, "near '<eof>'");
      lua.lua_pop(L, 1);
      return message;
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.envRef);
    lua.lua_setupvalue(L, -2, 1);
    return null;
  }

  /**
   * Runs a function library's code (FUNCTION LOAD, after its `#!lua` line) as Redis 7.0's
   * luaEngineLoadCode does: its only global is a `redis` table holding register_function,
   * log and the version fields; what it registers is returned (each callback kept in the
   * registry until `release`). Errors are Redis's texts without the "ERR " prefix.
   */
  loadLibrary(code: string, limitMs: number): { functions: RegisteredFunction[] } | { error: string } {
    const L = this.L;
    const base = lua.lua_gettop(L);
    const compileError = this.loadChunk(code, LIBRARY_CHUNK_NAME);
    if (compileError !== null) return { error: `Error compiling function: ${compileError}` };
    lua.lua_pushjsfunction(L, errorHandler);
    lua.lua_insert(L, -2);
    pushLibraryGlobals(L, this);
    const loading = (this.loading = { globalsRef: lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX), registered: [] as RegisteredFunction[] });
    this.budget.start(L, limitMs);
    let status: number;
    try {
      status = lua.lua_pcall(L, 0, 0, -2);
    } finally {
      this.budget.stop(L);
      this.loading = null;
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, loading.globalsRef);
    }
    let error: string | null = null;
    if (status !== lua.LUA_OK) {
      error = this.budget.wasKilled ? this.budget.killReply : `Error registering functions: ${this.errorField()}`;
    } else if (loading.registered.length === 0) error = "No functions registered";
    lua.lua_settop(L, base);
    if (error !== null) {
      this.release(loading.registered);
      return { error };
    }
    return { functions: loading.registered };
  }

  /** Registers a callback of the library being loaded (redis.register_function). */
  register(fn: Omit<RegisteredFunction, "ref">, callbackIndex: number): string | null {
    const loading = this.loading;
    if (loading === null) return "ERR redis.register_function can only be called on FUNCTION LOAD command";
    if (!/^[A-Za-z0-9_]+$/.test(fn.name)) {
      return "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
    }
    if (loading.registered.some((f) => f.name === fn.name)) return "ERR Function already exists in the library";
    lua.lua_pushvalue(this.L, callbackIndex);
    loading.registered.push({ ...fn, ref: lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX) });
    return null;
  }

  /** Frees the callbacks of functions no longer registered (a library deleted or replaced). */
  release(functions: readonly RegisteredFunction[]): void {
    for (const f of functions) lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, f.ref);
  }

  /** The err field of the error table on top of the stack (errorHandler's output). */
  private errorField(): string {
    const L = this.L;
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) return lua.lua_type(L, -1) === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, -1)) : "unknown error";
    lua.lua_getfield(L, -1, toLua("err"));
    const text = lua.lua_type(L, -1) === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, -1)) : "ERR unknown error";
    lua.lua_pop(L, 1);
    return text;
  }

  /**
   * Runs compiled script `sha` (it must be compiled) with KEYS and ARGV, calling `host`
   * for redis.call; `limitMs` is the busy-reply-threshold behind the step budget. Errors
   * come back as Redis words them: "<message> script: <sha>, on @user_script:<line>.".
   */
  run(sha: string, keys: string[], args: string[], host: ScriptHost, limitMs: number): RunResult {
    const L = this.L;
    this.setGlobalArray("KEYS", keys);
    this.setGlobalArray("ARGV", args);
    return this.invoke(sha, host, limitMs, () => {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.scriptsRef);
      lua.lua_getfield(L, -1, toLua(sha));
      lua.lua_remove(L, -2);
      return 0;
    });
  }

  /**
   * Calls a registered function (FCALL) with its keys and args tables; errors read
   * "<message> script: <name>, on @user_function:<line>.".
   */
  callFunction(fn: RegisteredFunction, keys: string[], args: string[], host: ScriptHost, limitMs: number): RunResult {
    const L = this.L;
    return this.invoke(fn.name, host, limitMs, () => {
      lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, fn.ref);
      this.pushArray(keys);
      this.pushArray(args);
      return 2;
    });
  }

  /** Runs the function `pushCallee` pushes (with its arguments: it returns their count). */
  private invoke(label: string, host: ScriptHost, limitMs: number, pushCallee: () => number): RunResult {
    const L = this.L;
    const base = lua.lua_gettop(L);
    this.api.host = host;
    this.api.resp = 2;
    lua.lua_pushjsfunction(L, errorHandler);
    const nargs = pushCallee();
    this.budget.start(L, limitMs);
    let status: number;
    try {
      status = lua.lua_pcall(L, nargs, 1, base + 1);
    } finally {
      this.budget.stop(L);
      this.api.host = null;
    }
    const killed = this.budget.wasKilled;
    let reply: Reply;
    if (status === lua.LUA_OK) reply = popReply(L, this.api.resp);
    else reply = { kind: "error", message: this.errorMessage(label, killed) };
    lua.lua_settop(L, base);
    return { reply, killed };
  }

  /** The error reply text of a failed run (luaCallFunction's formatting). */
  private errorMessage(sha: string, killed: boolean): string {
    const L = this.L;
    if (killed) return this.budget.killReply;
    if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
      const text = lua.lua_type(L, -1) === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, -1)) : "unknown error";
      return `ERR Error running script (call to f_${sha}): ${text}`;
    }
    const read = (name: string): string | null => {
      const type = lua.lua_getfield(L, -1, toLua(name));
      const value = type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER ? fromLua(lua.lua_tolstring(L, -1)) : null;
      lua.lua_pop(L, 1);
      return value;
    };
    const message = (read("err") ?? "ERR unknown error").replace(/[\r\n]/g, " ");
    const source = read("source");
    const line = read("line");
    return source !== null && line !== null ? `${message} script: ${sha}, on ${source}:${line}.` : message;
  }

  private setGlobalArray(name: string, items: string[]): void {
    this.pushArray(items);
    lua.lua_setglobal(this.L, toLua(name));
  }

  private pushArray(items: string[]): void {
    const L = this.L;
    lua.lua_createtable(L, items.length, 0);
    items.forEach((item, i) => {
      lua.lua_pushstring(L, toLua(item));
      lua.lua_rawseti(L, -2, i + 1);
    });
  }
}

/**
 * Redis's __redis__err__handler: turns any error into a table {err, source, line}, the
 * position being the Lua function that raised it (skipping a C/JS function such as
 * redis.call or error), and a non-table error into "ERR " .. tostring(err).
 */
function errorHandler(L: LuaState): number {
  const ar = new lua.lua_Debug();
  let found = lua.lua_getstack(L, 1, ar) && lua.lua_getinfo(L, toLua("nSl"), ar);
  // fengari reports a JS function's kind as "J" where C Lua says "C".
  if (found && ["C", "J"].includes(fromLua(ar.what)) && lua.lua_getstack(L, 2, ar)) found = lua.lua_getinfo(L, toLua("nSl"), ar);
  if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
    const text = lua.lua_type(L, 1) === lua.LUA_TNUMBER && !lua.lua_isinteger(L, 1)
      ? formatLuaNumber(lua.lua_tonumber(L, 1))
      : fromLua(lauxlib.luaL_tolstring(L, 1));
    lua.lua_settop(L, 0);
    lua.lua_createtable(L, 0, 3);
    lua.lua_pushstring(L, toLua(`ERR ${asLua51Message(text)}`));
    lua.lua_setfield(L, -2, toLua("err"));
  } else lua.lua_settop(L, 1);
  if (found && ar.currentline >= 0) {
    lua.lua_pushstring(L, ar.source);
    lua.lua_setfield(L, -2, toLua("source"));
    lua.lua_pushinteger(L, ar.currentline);
    lua.lua_setfield(L, -2, toLua("line"));
  }
  return 1;
}

/**
 * A type error in Lua 5.1's words: 5.3 says "attempt to index a nil value (local 't')"
 * where 5.1 (Redis) says "attempt to index local 't' (a nil value)".
 */
function asLua51Message(text: string): string {
  return text.replace(/attempt to (.+?) an? (\w+) value \((\w+) '([^']*)'\)$/, "attempt to $1 $3 '$4' (a $2 value)");
}

/** tostring with Lua 5.1's number format (an integral float prints as "5", not "5.0"). */
function luaToString(L: LuaState): number {
  lauxlib.luaL_checkany(L, 1);
  if (lua.lua_type(L, 1) === lua.LUA_TNUMBER && !lua.lua_isinteger(L, 1)) {
    lua.lua_pushstring(L, toLua(formatLuaNumber(lua.lua_tonumber(L, 1))));
  } else lauxlib.luaL_tolstring(L, 1);
  return 1;
}

