/**
 * The `cmsgpack` library scripts see: lua-cmsgpack 0.4.0 as Redis 7.0 bundles it (on Lua
 * 5.1, where every number is a double). pack(...) encodes each argument and concatenates:
 * an integral number in int64 range in the smallest msgpack int, another number as float32
 * when that is exact else float64, a string as fixstr/str8/16/32, a table whose keys are
 * exactly 1..n as an array (the empty table too) else a map, nesting past 16 tables as nil,
 * anything else as nil. unpack(s) decodes every value; unpack_one(s [, offset]) and
 * unpack_limit(s, limit [, offset]) also return the next offset first (-1 at the end).
 *
 * As with cjson, a map's members come out in fengari's table order (insertion order), not
 * Lua 5.1's hash order.
 */
import { pushNumber } from "./convert";
import { fromLua, lauxlib, lua, toLua, type LuaJsFunction, type LuaState } from "./fengari";

const MAX_NESTING = 16;
const INT64_LIMIT = 2 ** 63;

const scratch = new DataView(new ArrayBuffer(8));

function raise(L: LuaState, message: string): never {
  return lauxlib.luaL_error(L, toLua("%s"), toLua(message)) as never;
}

/** `n` big-endian bytes of the unsigned value `v` (a bigint, so 64-bit values fit). */
function bigEndian(v: bigint, n: number): string {
  let out = "";
  for (let i = n - 1; i >= 0; i--) out += String.fromCharCode(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

function byte(b: number): string {
  return String.fromCharCode(b & 0xff);
}

/** mp_encode_int: the smallest msgpack integer holding `n`. */
function encodeInt(n: bigint): string {
  if (n >= 0n) {
    if (n <= 127n) return byte(Number(n));
    if (n <= 0xffn) return "\xcc" + bigEndian(n, 1);
    if (n <= 0xffffn) return "\xcd" + bigEndian(n, 2);
    if (n <= 0xffffffffn) return "\xce" + bigEndian(n, 4);
    return "\xcf" + bigEndian(n, 8);
  }
  if (n >= -32n) return byte(Number(n));
  if (n >= -128n) return "\xd0" + bigEndian(BigInt.asUintN(8, n), 1);
  if (n >= -32768n) return "\xd1" + bigEndian(BigInt.asUintN(16, n), 2);
  if (n >= -2147483648n) return "\xd2" + bigEndian(BigInt.asUintN(32, n), 4);
  return "\xd3" + bigEndian(BigInt.asUintN(64, n), 8);
}

function viewBytes(n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += byte(scratch.getUint8(i));
  return out;
}

/** mp_encode_double: float32 when the value survives the round trip, else float64. */
function encodeDouble(d: number): string {
  if (Math.fround(d) === d) {
    scratch.setFloat32(0, d);
    return "\xca" + viewBytes(4);
  }
  scratch.setFloat64(0, d);
  return "\xcb" + viewBytes(8);
}

function encodeNumber(n: number): string {
  // IS_INT64_EQUIVALENT: (int64_t)n == n, which fails for ±Inf, NaN and 2^63 and beyond.
  if (Number.isInteger(n) && n >= -INT64_LIMIT && n < INT64_LIMIT) return encodeInt(BigInt(n));
  return encodeDouble(n);
}

function encodeBytes(s: string): string {
  const len = s.length;
  if (len < 32) return byte(0xa0 | len) + s;
  if (len <= 0xff) return "\xd9" + bigEndian(BigInt(len), 1) + s;
  if (len <= 0xffff) return "\xda" + bigEndian(BigInt(len), 2) + s;
  return "\xdb" + bigEndian(BigInt(len), 4) + s;
}

function header(n: number, fix: number, op16: string, op32: string): string {
  if (n <= 15) return byte(fix | n);
  if (n <= 0xffff) return op16 + bigEndian(BigInt(n), 2);
  return op32 + bigEndian(BigInt(n), 4);
}

/** table_is_an_array: keys are exactly the integers 1..count (an empty table is one). */
function isArray(L: LuaState): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pop(L, 1);
    const n = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : 0;
    // (int)n == n in C: beyond int range the cast fails the comparison.
    if (n <= 0 || !Number.isInteger(n) || n > 2147483647) {
      lua.lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  return max === count;
}

/** mp_encode_lua_type: appends the encoding of the value on top to `out` and pops it. */
function encodeValue(L: LuaState, level: number, out: string[]): void {
  let type = lua.lua_type(L, -1);
  if (type === lua.LUA_TTABLE && level === MAX_NESTING) type = lua.LUA_TNIL;
  switch (type) {
    case lua.LUA_TSTRING:
      out.push(encodeBytes(fromLua(lua.lua_tolstring(L, -1))));
      break;
    case lua.LUA_TBOOLEAN:
      out.push(lua.lua_toboolean(L, -1) ? "\xc3" : "\xc2");
      break;
    case lua.LUA_TNUMBER:
      out.push(encodeNumber(lua.lua_tonumber(L, -1)));
      break;
    case lua.LUA_TTABLE:
      lauxlib.luaL_checkstack(L, 3, toLua("in function mp_encode_lua_table"));
      if (isArray(L)) encodeArray(L, level, out);
      else encodeMap(L, level, out);
      break;
    default:
      out.push("\xc0");
  }
  lua.lua_pop(L, 1);
}

function encodeArray(L: LuaState, level: number, out: string[]): void {
  const len = lua.lua_rawlen(L, -1);
  out.push(header(len, 0x90, "\xdc", "\xdd"));
  for (let i = 1; i <= len; i++) {
    lua.lua_pushinteger(L, i);
    lua.lua_gettable(L, -2);
    encodeValue(L, level + 1, out);
  }
}

function encodeMap(L: LuaState, level: number, out: string[]): void {
  let len = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pop(L, 1);
    len++;
  }
  out.push(header(len, 0x80, "\xde", "\xdf"));
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    lua.lua_pushvalue(L, -2);
    encodeValue(L, level + 1, out);
    encodeValue(L, level + 1, out);
  }
}

function pack(L: LuaState): number {
  const nargs = lua.lua_gettop(L);
  if (nargs === 0) lauxlib.luaL_argerror(L, 0, toLua("MessagePack pack needs input."));
  const out: string[] = [];
  for (let i = 1; i <= nargs; i++) {
    lauxlib.luaL_checkstack(L, 1, toLua("in function mp_check"));
    lua.lua_pushvalue(L, i);
    encodeValue(L, 0, out);
  }
  lua.lua_pushstring(L, toLua(out.join("")));
  return 1;
}

// ---- unpack ----

/** Thrown inside the decoder; mp_unpack_full turns it into its Lua error. */
class DecodeError {
  constructor(readonly message: string) {}
}
const MISSING = new DecodeError("Missing bytes in input.");
const BAD_FORMAT = new DecodeError("Bad data format in input.");

class Cursor {
  constructor(
    readonly s: string,
    public pos: number,
  ) {}

  get left(): number {
    return this.s.length - this.pos;
  }

  need(n: number): void {
    if (this.left < n) throw MISSING;
  }

  /** The unsigned big-endian integer of `n` bytes at `pos + at`. */
  uint(at: number, n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.s.charCodeAt(this.pos + at + i));
    return v;
  }

  bytesView(at: number, n: number): DataView {
    for (let i = 0; i < n; i++) scratch.setUint8(i, this.s.charCodeAt(this.pos + at + i));
    return scratch;
  }
}

/** mp_decode_to_lua_type: pushes the next value of `c`. */
function decodeValue(L: LuaState, c: Cursor): void {
  c.need(1);
  lauxlib.luaL_checkstack(L, 1, toLua("too many return values at once; use unpack_one or unpack_limit instead."));
  const b = c.s.charCodeAt(c.pos);
  const fixed = (size: number, value: () => number): void => {
    c.need(size);
    pushNumber(L, value());
    c.pos += size;
  };
  const str = (lenBytes: number): void => {
    c.need(1 + lenBytes);
    const len = Number(c.uint(1, lenBytes));
    c.need(1 + lenBytes + len);
    const start = c.pos + 1 + lenBytes;
    lua.lua_pushstring(L, toLua(c.s.slice(start, start + len)));
    c.pos = start + len;
  };
  const container = (lenBytes: number, decode: typeof decodeArray): void => {
    c.need(1 + lenBytes);
    // The fix forms (no length bytes) carry the length in the type byte's low nibble.
    const len = lenBytes === 0 ? b & 0xf : Number(c.uint(1, lenBytes));
    c.pos += 1 + lenBytes;
    decode(L, c, len);
  };
  switch (b) {
    case 0xcc: return fixed(2, () => Number(c.uint(1, 1)));
    case 0xd0: return fixed(2, () => Number(BigInt.asIntN(8, c.uint(1, 1))));
    case 0xcd: return fixed(3, () => Number(c.uint(1, 2)));
    case 0xd1: return fixed(3, () => Number(BigInt.asIntN(16, c.uint(1, 2))));
    case 0xce: return fixed(5, () => Number(c.uint(1, 4)));
    case 0xd2: return fixed(5, () => Number(BigInt.asIntN(32, c.uint(1, 4))));
    // lua_pushunsigned is lua_pushinteger under Redis's Lua 5.1: past 2^63 it turns negative.
    case 0xcf: return fixed(9, () => Number(BigInt.asIntN(64, c.uint(1, 8))));
    case 0xd3: return fixed(9, () => Number(BigInt.asIntN(64, c.uint(1, 8))));
    case 0xca: return fixed(5, () => c.bytesView(1, 4).getFloat32(0));
    case 0xcb: return fixed(9, () => c.bytesView(1, 8).getFloat64(0));
    case 0xc0:
      lua.lua_pushnil(L);
      c.pos++;
      return;
    case 0xc3:
    case 0xc2:
      lua.lua_pushboolean(L, b === 0xc3);
      c.pos++;
      return;
    case 0xd9: return str(1);
    case 0xda: return str(2);
    case 0xdb: return str(4);
    case 0xdc: return container(2, decodeArray);
    case 0xdd: return container(4, decodeArray);
    case 0xde: return container(2, decodeMap);
    case 0xdf: return container(4, decodeMap);
  }
  if ((b & 0x80) === 0) return fixed(1, () => b);
  if ((b & 0xe0) === 0xe0) return fixed(1, () => b - 256);
  if ((b & 0xe0) === 0xa0) {
    const len = b & 0x1f;
    c.need(1 + len);
    lua.lua_pushstring(L, toLua(c.s.slice(c.pos + 1, c.pos + 1 + len)));
    c.pos += 1 + len;
    return;
  }
  if ((b & 0xf0) === 0x90) return container(0, decodeArray);
  if ((b & 0xf0) === 0x80) return container(0, decodeMap);
  throw BAD_FORMAT;
}

function decodeArray(L: LuaState, c: Cursor, len: number): void {
  lua.lua_newtable(L);
  lauxlib.luaL_checkstack(L, 1, toLua("in function mp_decode_to_lua_array"));
  for (let i = 1; i <= len; i++) {
    lua.lua_pushinteger(L, i);
    decodeValue(L, c);
    lua.lua_settable(L, -3);
  }
}

function decodeMap(L: LuaState, c: Cursor, len: number): void {
  lua.lua_newtable(L);
  for (let i = 0; i < len; i++) {
    decodeValue(L, c);
    decodeValue(L, c);
    lua.lua_settable(L, -3);
  }
}

/** mp_unpack_full: limit and offset 0 decode everything and return no offset. */
function unpackFull(L: LuaState, limit: number, offset: number): number {
  const s = fromLua(lauxlib.luaL_checklstring(L, 1));
  if (offset < 0 || limit < 0) raise(L, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  if (offset > s.length) raise(L, `Start offset ${offset} greater than input length ${s.length}.`);
  const decodeAll = limit === 0 && offset === 0;
  if (decodeAll) limit = Infinity;
  const c = new Cursor(s, offset);
  let count = 0;
  for (; c.left > 0 && count < limit; count++) {
    try {
      decodeValue(L, c);
    } catch (e) {
      if (e instanceof DecodeError) raise(L, e.message);
      throw e;
    }
  }
  if (decodeAll) return count;
  lauxlib.luaL_checkstack(L, 1, toLua("in function mp_unpack_full"));
  lua.lua_pushinteger(L, c.left === 0 ? -1 : c.pos);
  lua.lua_insert(L, 2);
  return count + 1;
}

/** luaL_checkinteger / luaL_optinteger as Lua 5.1 has them: a number truncated toward zero. */
function integerArg(L: LuaState, i: number, fallback?: number): number {
  if (fallback !== undefined && lua.lua_isnoneornil(L, i)) return fallback;
  return Math.trunc(lauxlib.luaL_checknumber(L, i)) | 0;
}

const FUNCTIONS: Record<string, LuaJsFunction> = {
  pack,
  unpack: (L) => unpackFull(L, 0, 0),
  unpack_one: (L) => {
    const offset = integerArg(L, 2, 0);
    lua.lua_settop(L, 1);
    return unpackFull(L, 1, offset);
  },
  unpack_limit: (L) => {
    const limit = integerArg(L, 2);
    const offset = integerArg(L, 3, 0);
    lua.lua_settop(L, 1);
    return unpackFull(L, limit, offset);
  },
};

const FIELDS: Record<string, string> = {
  _NAME: "cmsgpack",
  _VERSION: "lua-cmsgpack 0.4.0",
  _COPYRIGHT: "Copyright (C) 2012, Salvatore Sanfilippo",
  _DESCRIPTION: "MessagePack C implementation for Lua",
};

/** Builds the `cmsgpack` table and leaves it on the stack. */
export function pushCmsgpackLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, 8);
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, toLua(name));
  }
  for (const [name, value] of Object.entries(FIELDS)) {
    lua.lua_pushstring(L, toLua(value));
    lua.lua_setfield(L, -2, toLua(name));
  }
}
