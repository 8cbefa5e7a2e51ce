/**
 * The `bit` library scripts see: LuaBitOp 1.0.2 as Redis 7.0 bundles it (tobit, tohex,
 * bnot, band, bor, bxor, lshift, rshift, arshift, rol, ror, bswap), with its 32-bit
 * semantics: every argument is normalised to 32 bits the way LuaBitOp's barg does (adding
 * 2^52+2^51 to the double and keeping the low word, so fractions round half to even and
 * large values wrap), and results are signed 32-bit numbers.
 */
import { fromLua, lauxlib, lua, toLua, type LuaJsFunction, type LuaState } from "./fengari";

const word = new Float64Array(1);
const halves = new Int32Array(word.buffer);
/** Which Int32 of `halves` holds the low 32 bits of the double (endianness of the host). */
const LOW = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 0 : 1;

/** LuaBitOp's barg: argument `i` as 32 bits, or Lua 5.1's "number expected" error. */
function barg(L: LuaState, i: number): number {
  word[0] = lua.lua_tonumber(L, i) + 6755399441055744.0; // 2^52 + 2^51
  const b = halves[LOW];
  if (b === 0 && !lua.lua_isnumber(L, i)) {
    // luaL_typerror (fengari does not export its luaL_typeerror).
    const got = lua.lua_isnone(L, i) ? "no value" : fromLua(lauxlib.luaL_typename(L, i));
    lauxlib.luaL_argerror(L, i, toLua(`number expected, got ${got}`));
  }
  return b;
}

function ret(L: LuaState, b: number): number {
  lua.lua_pushinteger(L, b | 0);
  return 1;
}

function fold(op: (a: number, b: number) => number): LuaJsFunction {
  return (L) => {
    let b = barg(L, 1);
    for (let i = lua.lua_gettop(L); i > 1; i--) b = op(b, barg(L, i));
    return ret(L, b);
  };
}

function shift(op: (b: number, n: number) => number): LuaJsFunction {
  return (L) => {
    const b = barg(L, 1);
    return ret(L, op(b, barg(L, 2) & 31));
  };
}

const FUNCTIONS: Record<string, LuaJsFunction> = {
  tobit: (L) => ret(L, barg(L, 1)),
  bnot: (L) => ret(L, ~barg(L, 1)),
  band: fold((a, b) => a & b),
  bor: fold((a, b) => a | b),
  bxor: fold((a, b) => a ^ b),
  lshift: shift((b, n) => b << n),
  rshift: shift((b, n) => b >>> n),
  arshift: shift((b, n) => b >> n),
  rol: shift((b, n) => (b << n) | (b >>> (32 - n))),
  ror: shift((b, n) => (b >>> n) | (b << (32 - n))),
  bswap: (L) => {
    const b = barg(L, 1);
    return ret(L, (b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
  },
  tohex: (L) => {
    let b = barg(L, 1) >>> 0;
    let n = lua.lua_isnone(L, 2) ? 8 : barg(L, 2);
    let digits = "0123456789abcdef";
    if (n < 0) {
      n = -n;
      digits = "0123456789ABCDEF";
    }
    if (n > 8) n = 8;
    let hex = "";
    for (let i = 0; i < n; i++) {
      hex = digits[b & 15] + hex;
      b >>>= 4;
    }
    lua.lua_pushstring(L, toLua(hex));
    return 1;
  },
};

/** Builds the `bit` table and leaves it on the stack. */
export function pushBitLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, Object.keys(FUNCTIONS).length);
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, toLua(name));
  }
}
