/**
 * The one place fengari (Lua 5.3 in plain JS) is imported, module by module so only the
 * libraries the sandbox opens are linked in (its index would open io/os too). fengari
 * ships no types: the names below are the slice of its C-like API this folder uses.
 */
import "./fengari-hide-process";
// Before fengari's other modules load: a running script's allocations are metered (memory-budget.ts).
import "./fengari-meter-strings";
import "./fengari-meter-tables";
// @ts-expect-error fengari has no type declarations
import * as luaModule from "fengari/src/lua.js";
// @ts-expect-error fengari has no type declarations
import * as lauxlibModule from "fengari/src/lauxlib.js";
// @ts-expect-error fengari has no type declarations
import * as baseLib from "fengari/src/lbaselib.js";
// @ts-expect-error fengari has no type declarations
import * as tableLib from "fengari/src/ltablib.js";
// @ts-expect-error fengari has no type declarations
import * as stringLib from "fengari/src/lstrlib.js";
// @ts-expect-error fengari has no type declarations
import * as mathLib from "fengari/src/lmathlib.js";
import "./fengari-restore-process";

/** A Lua state, opaque here. */
export type LuaState = { readonly __lua: unique symbol };
/** A JS function callable from Lua: returns how many results it pushed. */
export type LuaJsFunction = (L: LuaState) => number;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const lua: any = luaModule;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const lauxlib: any = lauxlibModule;

export const openLibraries: ReadonlyArray<[string, LuaJsFunction]> = [
  ["_G", baseLib.luaopen_base],
  ["table", tableLib.luaopen_table],
  ["string", stringLib.luaopen_string],
  ["math", mathLib.luaopen_math],
];

/** Lua strings are byte arrays; ours are binary strings (one char per byte). */
export { binaryToBytes as toLua, bytesToBinary as fromLua } from "../util/binary";
