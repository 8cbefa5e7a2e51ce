/**
 * Imported by src/scripting/fengari.ts right after fengari-meter-strings.ts and before
 * fengari's libraries: charges a running script's tables and string buffers to its memory
 * bound (src/scripting/memory-budget.ts). A luaL_Buffer's byte array is replaced on every
 * growth; the subclass sees each new array and raises once the script is past its bound (the
 * string library copies the class out of the module when it loads, hence the order). Tables
 * are made and given new keys through ltable's exports, looked up at each call.
 */
// @ts-expect-error fengari has no type declarations
import lauxlibExports from "fengari/src/lauxlib.js";
// @ts-expect-error fengari has no type declarations
import ltable from "fengari/src/ltable.js";
import { chargeAllocation, raiseOutOfMemory, TABLE_BYTES, TABLE_SLOT_BYTES } from "./memory-budget";

type Bytes = { length: number };

const Buffer = lauxlibExports.luaL_Buffer as new () => { L: unknown; b: Bytes };

class MeteredBuffer extends Buffer {
  private bytes: Bytes = new Uint8Array(0);

  // @ts-expect-error an accessor in place of the base class's field, on purpose
  get b(): Bytes {
    return this.bytes;
  }

  set b(grown: Bytes) {
    this.bytes = grown;
    if (grown.length > 0 && chargeAllocation(this.L as never, grown.length) && this.L) raiseOutOfMemory(this.L as never);
  }
}
lauxlibExports.luaL_Buffer = MeteredBuffer;

type Table = { strong: Map<unknown, unknown> };

const makeTable = ltable.luaH_new as (L: unknown) => unknown;
ltable.luaH_new = (L: unknown) => {
  chargeAllocation(L as never, TABLE_BYTES);
  return makeTable(L);
};

/** Wraps a setter of ltable: a key it adds is charged as a slot. */
function metered<A extends unknown[]>(set: (...args: A) => void, table: (args: A) => Table): (...args: A) => void {
  return (...args: A) => {
    const t = table(args);
    const before = t.strong.size;
    set(...args);
    if (t.strong.size > before) chargeAllocation(null, TABLE_SLOT_BYTES);
  };
}

ltable.luaH_setint = metered(ltable.luaH_setint, (args: [Table, unknown, unknown]) => args[0]);
ltable.luaH_setfrom = metered(ltable.luaH_setfrom, (args: [unknown, Table, unknown, unknown]) => args[1]);
