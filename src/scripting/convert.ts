/**
 * Redis's conversions between replies and Lua values (script_lua.c), both ways.
 *
 * Reply → Lua (what redis.call returns), by the script's protocol (redis.setresp):
 *   integer → number; bulk → string; simple → {ok=…}; error → {err=…}; array → table;
 *   null / null array → false under RESP2, nil under RESP3; under RESP2 a double is its
 *   bulk text, a map / set / pairs a flat array; under RESP3 a double is {double=n}, a map
 *   {map={k=v}}, a set {set={m=true}}, a verbatim string {verbatim_string={format=, string=}}.
 * Lua → Reply (what a script returns):
 *   string → bulk; number → integer, truncated toward zero (Redis casts to long long);
 *   nil → null; true → 1 and false → null while the script is on RESP2, a boolean reply
 *   after redis.setresp(3) (RESP3 #t/#f, :1/:0 to a RESP2 client: Redis decides by the
 *   script's protocol when it returns); a table with `err` → error, `ok` → status, `double`,
 *   `big_number`, `verbatim_string`, `map`, `set` → those replies (a big number and a
 *   verbatim string are bulk strings to a RESP2 client); any other table → an array of its items
 *   1, 2, … stopping at the first nil.
 *
 * fengari's integers are 32-bit: an integer outside ±2^31 goes to Lua as a float (Redis's
 * Lua 5.1 has only doubles, so the value is the same one a Redis script sees).
 */
import { bigNumber, boolean, double, error, integer, map, set, simple, verbatim, type Reply } from "../protocol/reply";
import { formatDouble } from "../util/numbers";
import { fromLua, lua, toLua, type LuaState } from "./fengari";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -9223372036854775808n;

/** Pushes a number the way a Redis script sees it: an integer when it fits, else a float. */
export function pushNumber(L: LuaState, n: number): void {
  if (Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX) lua.lua_pushinteger(L, n);
  else lua.lua_pushnumber(L, n);
}

function setField(L: LuaState, name: string, push: () => void): void {
  push();
  lua.lua_setfield(L, -2, toLua(name));
}

/** Pushes `reply` onto the Lua stack as a value of a script running under `resp`. */
export function pushReply(L: LuaState, reply: Reply, resp: 2 | 3): void {
  if (reply === null) {
    if (resp === 2) lua.lua_pushboolean(L, false);
    else lua.lua_pushnil(L);
  } else if (typeof reply === "string") lua.lua_pushstring(L, toLua(reply));
  else if (typeof reply === "number") pushNumber(L, reply);
  else if (typeof reply === "bigint") pushNumber(L, Number(reply));
  else if (Array.isArray(reply)) pushArray(L, reply, resp);
  else {
    switch (reply.kind) {
      case "simple":
        lua.lua_createtable(L, 0, 1);
        setField(L, "ok", () => lua.lua_pushstring(L, toLua(reply.value)));
        return;
      case "error":
        lua.lua_createtable(L, 0, 1);
        setField(L, "err", () => lua.lua_pushstring(L, toLua(reply.message)));
        return;
      case "nullarray":
        return pushReply(L, null, resp);
      case "double":
        if (resp === 2) return pushReply(L, reply.text ?? formatDouble(reply.value), resp);
        lua.lua_createtable(L, 0, 1);
        setField(L, "double", () => lua.lua_pushnumber(L, reply.value));
        return;
      case "verbatim":
        if (resp === 2) return pushReply(L, reply.text, resp);
        lua.lua_createtable(L, 0, 1);
        setField(L, "verbatim_string", () => {
          lua.lua_createtable(L, 0, 2);
          setField(L, "format", () => lua.lua_pushstring(L, toLua(reply.format)));
          setField(L, "string", () => lua.lua_pushstring(L, toLua(reply.text)));
        });
        return;
      case "map":
        if (resp === 2) return pushArray(L, reply.entries, resp);
        lua.lua_createtable(L, 0, 1);
        setField(L, "map", () => {
          lua.lua_createtable(L, 0, reply.entries.length / 2);
          for (let i = 0; i < reply.entries.length; i += 2) {
            pushReply(L, reply.entries[i], resp);
            pushReply(L, reply.entries[i + 1], resp);
            lua.lua_settable(L, -3);
          }
        });
        return;
      case "set":
        if (resp === 2) return pushArray(L, reply.items, resp);
        lua.lua_createtable(L, 0, 1);
        setField(L, "set", () => {
          lua.lua_createtable(L, 0, reply.items.length);
          for (const item of reply.items) {
            pushReply(L, item, resp);
            lua.lua_pushboolean(L, true);
            lua.lua_settable(L, -3);
          }
        });
        return;
      case "boolean":
        // No command replies one; as Redis's RESP3 parser would hand it to the script.
        if (resp === 2) return pushNumber(L, reply.value ? 1 : 0);
        lua.lua_pushboolean(L, reply.value);
        return;
      case "bignum":
        if (resp === 2) return pushReply(L, reply.text, resp);
        lua.lua_createtable(L, 0, 1);
        setField(L, "big_number", () => lua.lua_pushstring(L, toLua(reply.text)));
        return;
      case "pairs": {
        if (resp === 2) return pushArray(L, reply.items, resp);
        const rows: Reply[] = [];
        for (let i = 0; i < reply.items.length; i += 2) rows.push([reply.items[i], reply.items[i + 1]]);
        return pushArray(L, rows, resp);
      }
    }
  }
}

function pushArray(L: LuaState, items: Reply[], resp: 2 | 3): void {
  lua.lua_createtable(L, items.length, 0);
  items.forEach((item, i) => {
    pushReply(L, item, resp);
    lua.lua_rawseti(L, -2, i + 1);
  });
}

/** A Lua number as Redis replies it: (long long) of the double, INT64_MIN when out of range. */
export function luaNumberToInteger(n: number): number | bigint {
  const t = Math.trunc(n);
  if (!Number.isFinite(t) || t >= 2 ** 63 || t < -(2 ** 63)) return INT64_MIN;
  return integer(t);
}

/** Reads field `name` of the table at the top; leaves it pushed, returns its type. */
function field(L: LuaState, name: string): number {
  return lua.lua_getfield(L, -1, toLua(name));
}

/** The Lua value at the top of the stack as a reply of a script on `resp` (popped). */
export function popReply(L: LuaState, resp: 2 | 3): Reply {
  const reply = toReply(L, 0, resp);
  lua.lua_pop(L, 1);
  return reply;
}

/** Nesting beyond this is refused, as Redis's LUA_CMD_OBJCACHE… (lua stack guard). */
const MAX_DEPTH = 1000;

function toReply(L: LuaState, depth: number, resp: 2 | 3): Reply {
  switch (lua.lua_type(L, -1)) {
    case lua.LUA_TSTRING:
      return fromLua(lua.lua_tolstring(L, -1));
    case lua.LUA_TNUMBER:
      return luaNumberToInteger(lua.lua_tonumber(L, -1));
    case lua.LUA_TBOOLEAN:
      if (resp === 3) return boolean(lua.lua_toboolean(L, -1));
      return lua.lua_toboolean(L, -1) ? 1 : null;
    case lua.LUA_TTABLE:
      if (depth >= MAX_DEPTH) return error("ERR reached lua stack limit");
      return tableToReply(L, depth, resp);
    default:
      return null;
  }
}

/** The table on top's `format` and `string`, when both are strings (else null, as Redis ignores it). */
function verbatimFields(L: LuaState): { format: string; text: string } | null {
  const formatType = field(L, "format");
  const format = formatType === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, -1)) : null;
  lua.lua_pop(L, 1);
  const textType = field(L, "string");
  const text = textType === lua.LUA_TSTRING ? fromLua(lua.lua_tolstring(L, -1)) : null;
  lua.lua_pop(L, 1);
  // Redis writes the format's first three bytes.
  return format !== null && text !== null ? { format: format.slice(0, 3), text } : null;
}

function tableToReply(L: LuaState, depth: number, resp: 2 | 3): Reply {
  if (field(L, "err") === lua.LUA_TSTRING) {
    const message = fromLua(lua.lua_tolstring(L, -1));
    lua.lua_pop(L, 1);
    // Redis turns the error's newlines into spaces so the reply stays one line.
    return error(message.replace(/[\r\n]/g, " "));
  }
  lua.lua_pop(L, 1);
  if (field(L, "ok") === lua.LUA_TSTRING) {
    const status = fromLua(lua.lua_tolstring(L, -1));
    lua.lua_pop(L, 1);
    return simple(status.replace(/[\r\n]/g, " "));
  }
  lua.lua_pop(L, 1);
  if (field(L, "double") === lua.LUA_TNUMBER) {
    const d = lua.lua_tonumber(L, -1);
    lua.lua_pop(L, 1);
    return double(d);
  }
  lua.lua_pop(L, 1);
  if (field(L, "big_number") === lua.LUA_TSTRING) {
    const text = fromLua(lua.lua_tolstring(L, -1));
    lua.lua_pop(L, 1);
    return bigNumber(text);
  }
  lua.lua_pop(L, 1);
  if (field(L, "verbatim_string") === lua.LUA_TTABLE) {
    const verbatimString = verbatimFields(L);
    lua.lua_pop(L, 1);
    if (verbatimString !== null) return verbatim(verbatimString.text, verbatimString.format);
  } else lua.lua_pop(L, 1);
  if (field(L, "map") === lua.LUA_TTABLE) {
    const entries: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      const value = toReply(L, depth + 1, resp);
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      entries.push(toReply(L, depth + 1, resp), value);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return map(entries);
  }
  lua.lua_pop(L, 1);
  if (field(L, "set") === lua.LUA_TTABLE) {
    const items: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, -2) !== 0) {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      items.push(toReply(L, depth + 1, resp));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return set(items);
  }
  lua.lua_pop(L, 1);
  const items: Reply[] = [];
  for (let i = 1; ; i++) {
    if (lua.lua_rawgeti(L, -1, i) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      return items;
    }
    items.push(toReply(L, depth + 1, resp));
    lua.lua_pop(L, 1);
  }
}
