/**
 * The step budget that stops a runaway script. Redis measures a script's wall time and,
 * past busy-reply-threshold (lua-time-limit), answers other clients BUSY until SCRIPT
 * KILL. A Durable Object's clock does not move while synchronous code runs, and nothing
 * else runs in the shard meanwhile, so neither applies here: instead a count hook
 * (LUA_MASKCOUNT) counts executed Lua instructions and, past a budget derived from the
 * same setting, kills the script. Its caller gets SCRIPT_KILLED (an error reply; the
 * writes the script made before stay, as after Redis's SCRIPT KILL of a script that has
 * not written — Redis would refuse to kill one that has, and wait for SHUTDOWN NOSAVE).
 * Once killed, the hook fires on every instruction and raises again, so a `pcall` in the
 * script cannot swallow the kill (Redis does the same with its line hook).
 */
import { lua, toLua, type LuaState } from "./fengari";
import { meterAllocations, SCRIPT_MEMORY_BOUND, SCRIPT_OUT_OF_MEMORY, type AllocationSink } from "./memory-budget";

/**
 * Lua instructions per millisecond of the setting: fengari runs some tens of millions of
 * instructions a second in V8; this errs towards stopping early (a Worker's request also
 * has a CPU-time limit).
 */
export const STEPS_PER_MS = 10_000;
/** How often the hook runs: every this many instructions. */
const HOOK_INTERVAL = 1000;

export const SCRIPT_KILLED = "ERR Script killed: it ran past busy-reply-threshold (lua-time-limit), counted in Lua instructions";

export class StepBudget implements AllocationSink {
  private steps = 0;
  private limit = Infinity;
  private killed = false;
  /** Bytes the script allocated so far (see memory-budget.ts). */
  private allocated = 0;
  /** Past the memory bound at a point that did not know the Lua state: killed at the next hook. */
  private outOfMemory = false;

  /** Starts counting for one script run: `limitMs` of the setting (0: no limit, as Redis). */
  start(L: LuaState, limitMs: number): void {
    this.steps = 0;
    this.killed = false;
    this.allocated = 0;
    this.outOfMemory = false;
    this.limit = limitMs > 0 ? limitMs * STEPS_PER_MS : Infinity;
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, HOOK_INTERVAL);
    meterAllocations(this);
  }

  /** Stops counting (the script returned). */
  stop(L: LuaState): void {
    meterAllocations(null);
    lua.lua_sethook(L, null, 0, 0);
  }

  get wasKilled(): boolean {
    return this.killed;
  }

  /** The error reply of a killed script: out of time or out of memory. */
  get killReply(): string {
    return this.outOfMemory ? SCRIPT_OUT_OF_MEMORY : SCRIPT_KILLED;
  }

  charge(L: LuaState | null, bytes: number): boolean {
    this.allocated += bytes;
    if (this.allocated <= SCRIPT_MEMORY_BOUND) return false;
    if (!this.outOfMemory) {
      this.outOfMemory = true;
      // With the Lua state at hand, raise at the very next instruction; else at the next hook.
      if (L !== null) this.kill(L);
    }
    return true;
  }

  fits(bytes: number): boolean {
    return this.allocated + bytes <= SCRIPT_MEMORY_BOUND;
  }

  raiseOutOfMemory(L: LuaState): never {
    this.outOfMemory = true;
    this.kill(L);
    return this.raise(L);
  }

  /** From now on the hook raises on every instruction. */
  private kill(L: LuaState): void {
    this.killed = true;
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, 1);
  }

  private readonly hook = (L: LuaState): void => {
    if (!this.killed) {
      this.steps += HOOK_INTERVAL;
      if (this.steps <= this.limit && !this.outOfMemory) return;
      this.kill(L);
    }
    this.raise(L);
  };

  /** Raises the kill as an error table (as a redis.call error is), so it is reported as is. */
  private raise(L: LuaState): never {
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushstring(L, toLua(this.killReply));
    lua.lua_setfield(L, -2, toLua("err"));
    lua.lua_error(L);
    throw new Error("unreachable: lua_error raises");
  }
}
