/**
 * The bound on memory a running script allocates. fengari has no allocator hook (C Lua's
 * lua_Alloc), so src/scripting/fengari-meter-strings.ts and fengari-meter-tables.ts wrap
 * the few functions every allocation of any size goes through — a Lua string made
 * (luaS_bless / luaS_new / luaS_newliteral: concatenation, library results, replies of
 * redis.call), a library's string buffer grown (luaL_Buffer: gsub, format, table.concat,
 * rep, cjson…), a table made or given a new key — and charge them here while a script
 * runs. What is counted is what the script allocated over its run (garbage included), not
 * what is live: an upper bound of its memory and a measure of its work, as the step budget
 * is of its time. Past the bound the script is killed like a runaway one (the step budget's
 * hook raises on every instruction, so pcall cannot swallow it); a buffer that grows past it
 * raises at once. Growth is seen just after each allocation, so one allocation may overshoot:
 * at most twice a buffer's size, or one concatenation's operands; string.rep, which
 * allocates its whole result at once, is checked before (guardStringRep).
 */
import { lauxlib, lua, toLua, type LuaState } from "./fengari";

/** Bytes a script may allocate over one run (strings, buffers, table slots). */
export const SCRIPT_MEMORY_BOUND = 32 * 1024 * 1024;

export const SCRIPT_OUT_OF_MEMORY = `ERR Script killed: it allocated more than ${SCRIPT_MEMORY_BOUND / (1024 * 1024)} MB (Lua memory is bounded per run)`;

/** Bytes charged for a table slot (a Map entry with its key and value TValues) and a new table. */
export const TABLE_SLOT_BYTES = 80;
export const TABLE_BYTES = 120;

/** What the running script's allocations are charged to (the step budget, while it runs). */
export interface AllocationSink {
  /** Charges `bytes`; true when the script is now past its bound. `L` may be unknown (null). */
  charge(L: LuaState | null, bytes: number): boolean;
  /** Whether `bytes` more would still fit. */
  fits(bytes: number): boolean;
  /** Kills the script now, from a library function about to allocate past the bound. */
  raiseOutOfMemory(L: LuaState): never;
}

let sink: AllocationSink | null = null;

/** Starts (or, with null, stops) charging allocations to `s`. One script runs at a time in an isolate. */
export function meterAllocations(s: AllocationSink | null): void {
  sink = s;
}

/** Called by the wrapped fengari functions: true when the running script is past its bound. */
export function chargeAllocation(L: LuaState | null, bytes: number): boolean {
  return sink !== null && sink.charge(L, bytes);
}

/** Kills the running script from a library function of `L` that went past the bound. */
export function raiseOutOfMemory(L: LuaState): void {
  sink?.raiseOutOfMemory(L);
}

/**
 * Replaces string.rep (in the table on top of the stack, the string library) with one that
 * refuses a result past the bound before the original allocates it whole.
 */
export function guardStringRep(L: LuaState): void {
  lua.lua_getfield(L, -1, toLua("rep"));
  lua.lua_pushcclosure(L, boundedRep, 1);
  lua.lua_setfield(L, -2, toLua("rep"));
}

function boundedRep(L: LuaState): number {
  const length = lauxlib.luaL_checklstring(L, 1).length;
  const n = lauxlib.luaL_checkinteger(L, 2);
  const separator = lauxlib.luaL_optlstring(L, 3, toLua("")).length;
  if (n > 0 && sink !== null && !sink.fits(n * length + (n - 1) * separator)) sink.raiseOutOfMemory(L);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_insert(L, 1);
  lua.lua_call(L, lua.lua_gettop(L) - 1, 1);
  return 1;
}
