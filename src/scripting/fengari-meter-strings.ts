/**
 * Imported by src/scripting/fengari.ts after fengari-hide-process.ts and before any other
 * fengari module: wraps the three functions that make every Lua string so a running script's
 * allocations are charged (src/scripting/memory-budget.ts). It must run before fengari's VM
 * and API modules load, because they copy these functions out of the module when they load.
 */
// @ts-expect-error fengari has no type declarations
import lstring from "fengari/src/lstring.js";
import { chargeAllocation } from "./memory-budget";

/** A TString's own fields besides its bytes. */
const STRING_OVERHEAD = 32;

for (const name of ["luaS_bless", "luaS_new", "luaS_newliteral"] as const) {
  const make = lstring[name] as (L: unknown, s: { length: number }) => unknown;
  // A plain function, not an arrow: fengari calls one of these with `new` (ltm.js).
  lstring[name] = function (L: unknown, s: { length: number }) {
    // Past the bound, the step budget raises at the script's next instruction.
    chargeAllocation(L as never, s.length + STRING_OVERHEAD);
    return make(L, s);
  };
}
