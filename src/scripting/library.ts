/**
 * What a function library's code sees while FUNCTION LOAD runs it (Redis 7.0's
 * function_lua.c): a globals table holding only `redis`, which has register_function, log
 * and the version fields. Both tables are protected as Redis's are: reading anything else
 * raises "Script attempted to access nonexistent global variable", writing "Attempt to
 * modify a readonly table". register_function takes (name, callback) or one table of
 * named arguments (function_name, callback, flags, description) and checks them with
 * Redis's error texts; the VM (vm.ts) keeps what it registered.
 */
import { raiseErrorTable, setLogAndVersion } from "./api";
import { fromLua, lauxlib, lua, toLua, type LuaState } from "./fengari";

/** The flags a function may declare (register_function's `flags`). */
export const FUNCTION_FLAGS = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

export interface RegisteredFunction {
  readonly name: string;
  readonly description: string | null;
  readonly flags: readonly string[];
  /** Registry reference of the callback in the VM that loaded it. */
  readonly ref: number;
}

/** The VM side register_function reports to. */
export interface FunctionRegistrar {
  register(fn: Omit<RegisteredFunction, "ref">, callbackIndex: number): string | null;
}

/** lua_isstring's string (numbers too), else null. */
function stringAt(L: LuaState, index: number): string | null {
  return lua.lua_isstring(L, index) ? fromLua(lua.lua_tolstring(L, index)) : null;
}

function readFlags(L: LuaState, index: number): string[] | null {
  const flags: string[] = [];
  const t = lua.lua_absindex(L, index);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, t) !== 0) {
    const flag = stringAt(L, -1);
    lua.lua_pop(L, 1);
    if (flag === null || !FUNCTION_FLAGS.includes(flag)) {
      lua.lua_pop(L, 1);
      return null;
    }
    if (!flags.includes(flag)) flags.push(flag);
  }
  return FUNCTION_FLAGS.filter((f) => flags.includes(f)); // Redis lists them in its table's order
}

function registerFunction(L: LuaState, registrar: FunctionRegistrar): number {
  const argc = lua.lua_gettop(L);
  if (argc < 1 || argc > 2) return raiseErrorTable(L, "ERR wrong number of arguments to redis.register_function");
  let name: string | null = null;
  let description: string | null = null;
  let flags: string[] = [];
  let callback = 0;
  if (argc === 2) {
    name = stringAt(L, 1);
    if (name === null) return raiseErrorTable(L, "ERR first argument to redis.register_function must be a string");
    if (!lua.lua_isfunction(L, 2)) return raiseErrorTable(L, "ERR second argument to redis.register_function must be a function");
    callback = 2;
  } else {
    if (!lua.lua_istable(L, 1)) {
      return raiseErrorTable(L, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
    }
    lua.lua_settop(L, 2); // slot 2 keeps the callback once found
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1) !== 0) {
      const key = stringAt(L, -2);
      if (key === null) return raiseErrorTable(L, "ERR named argument key given to redis.register_function is not a string");
      switch (key.toLowerCase()) {
        case "function_name":
          name = stringAt(L, -1);
          if (name === null) return raiseErrorTable(L, "ERR function_name argument given to redis.register_function must be a string");
          break;
        case "description":
          description = stringAt(L, -1);
          if (description === null) return raiseErrorTable(L, "ERR description argument given to redis.register_function must be a string");
          break;
        case "callback":
          if (!lua.lua_isfunction(L, -1)) return raiseErrorTable(L, "ERR callback argument given to redis.register_function must be a function");
          lua.lua_pushvalue(L, -1);
          lua.lua_replace(L, 2);
          callback = 2;
          break;
        case "flags": {
          if (!lua.lua_istable(L, -1)) return raiseErrorTable(L, "ERR flags argument to redis.register_function must be a table representing function flags");
          const read = readFlags(L, -1);
          if (read === null) return raiseErrorTable(L, "ERR unknown flag given");
          flags = read;
          break;
        }
        default:
          return raiseErrorTable(L, "ERR unknown argument given to redis.register_function");
      }
      lua.lua_pop(L, 1);
    }
    if (name === null) return raiseErrorTable(L, "ERR redis.register_function must get a function name argument");
    if (callback === 0) return raiseErrorTable(L, "ERR redis.register_function must get a callback argument");
  }
  const err = registrar.register({ name, description, flags }, callback);
  if (err !== null) return raiseErrorTable(L, err);
  return 0;
}

/** Makes the table on top of the stack read-only, its missing fields Redis's global error. */
function protect(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  lua.lua_pushjsfunction(L, (L: LuaState) => {
    const name = lua.lua_type(L, 2) === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, 2)) : "?";
    return lauxlib.luaL_error(L, toLua("Script attempted to access nonexistent global variable '%s'"), toLua(name));
  });
  lua.lua_setfield(L, -2, toLua("__index"));
  lua.lua_pushjsfunction(L, (L: LuaState) => lauxlib.luaL_error(L, toLua("Attempt to modify a readonly table")));
  lua.lua_setfield(L, -2, toLua("__newindex"));
  lua.lua_setmetatable(L, -2);
}

/** Pushes the globals table of a library being loaded. */
export function pushLibraryGlobals(L: LuaState, registrar: FunctionRegistrar): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_createtable(L, 0, 8);
  lua.lua_pushjsfunction(L, (L: LuaState) => registerFunction(L, registrar));
  lua.lua_setfield(L, -2, toLua("register_function"));
  setLogAndVersion(L);
  protect(L);
  lua.lua_setfield(L, -2, toLua("redis"));
}
