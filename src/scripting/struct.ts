/**
 * The `struct` library scripts see: Roberto Ierusalimschy's struct 0.2 as Redis 7.0 bundles
 * it (lua_struct.c, with Redis's overflow checks), on a 64-bit little-endian host as
 * redis-server runs: pack(fmt, ...), unpack(fmt, s [, pos]) (the values, then the next
 * position), size(fmt). Format: `<` `>` endianness (native is little), `![n]` maximum
 * alignment (default 8), `x` a zero byte, `b/B h/H l/L T i[n]/I[n]` integers of 1, 2, 8, 8,
 * n (default 4, at most 32) bytes, `f` `d` IEEE floats, `c[n]` n chars (pack: n 0 = the
 * whole string; unpack: c0 = the length read just before), `s` a NUL-terminated string,
 * spaces ignored, counts in decimal after the option.
 *
 * Integers go through a C double and 64-bit long as in C: beyond 8 bytes the extra bytes
 * are zero when packing and ignored when unpacking, and results are doubles (exact to 2^53).
 */
import { pushNumber } from "./convert";
import { fromLua, lauxlib, lua, toLua, type LuaJsFunction, type LuaState } from "./fengari";

const MAX_INT_SIZE = 32;
/** MAXALIGN: the alignment of a double on x86-64. */
const MAX_ALIGN = 8;
const INT_MAX = 2147483647;
const BIG = 0;
const LITTLE = 1;
const NATIVE = LITTLE;

const scratch = new DataView(new ArrayBuffer(8));

function raise(L: LuaState, message: string): never {
  return lauxlib.luaL_error(L, toLua("%s"), toLua(message)) as never;
}

function argError(L: LuaState, arg: number, message: string): never {
  return lauxlib.luaL_argerror(L, arg, toLua(message)) as never;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);

/** The format string being walked, with the current endianness and alignment. */
class Format {
  pos = 0;
  endian = NATIVE;
  align = 1;

  constructor(
    private readonly L: LuaState,
    /** Up to its first NUL: lua_struct reads a C string. */
    readonly text: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  next(): string {
    return this.text[this.pos++];
  }

  /** getnum: the decimal count at the cursor, or `fallback` when there is none. */
  count(fallback: number): number {
    if (!isDigit(this.text[this.pos])) return fallback;
    let a = 0;
    do {
      const digit = this.text.charCodeAt(this.pos) - 48;
      if (a > Math.floor(INT_MAX / 10) || a * 10 > INT_MAX - digit) raise(this.L, "integral size overflow");
      a = a * 10 + digit;
      this.pos++;
    } while (isDigit(this.text[this.pos]));
    return a;
  }

  /** optsize: the size of option `opt` (0 for the options without one). */
  size(opt: string): number {
    switch (opt) {
      case "B": case "b": return 1;
      case "H": case "h": return 2;
      case "L": case "l": case "T": case "d": return 8;
      case "f": return 4;
      case "x": return 1;
      case "c": return this.count(1);
      case "i": case "I": {
        const size = this.count(4);
        if (size > MAX_INT_SIZE) raise(this.L, `integral size ${size} is larger than limit of ${MAX_INT_SIZE}`);
        return size;
      }
      default: return 0;
    }
  }

  /** gettoalign: padding before an item of `size` at offset `at` (C's unsigned arithmetic). */
  padding(at: number, opt: string, size: number): number {
    if (size === 0 || opt === "c") return 0;
    if (size > this.align) size = this.align;
    return (size - (at & (size - 1))) & (size - 1);
  }

  /** controloptions: spaces, `<`, `>`, `!n`; anything else is refused. */
  control(opt: string): void {
    switch (opt) {
      case " ": return;
      case ">": this.endian = BIG; return;
      case "<": this.endian = LITTLE; return;
      case "!": {
        const a = this.count(MAX_ALIGN);
        if (!(a > 0 && (a & (a - 1)) === 0)) raise(this.L, `alignment ${a} is not a power of 2`);
        this.align = a;
        return;
      }
      default: argError(this.L, 1, `invalid format option '${opt}'`);
    }
  }
}

function formatArg(L: LuaState): Format {
  const text = fromLua(lauxlib.luaL_checklstring(L, 1));
  const nul = text.indexOf("\0");
  return new Format(L, nul === -1 ? text : text.slice(0, nul));
}

/** `bytes` (most significant first) in the format's order. */
function ordered(bytes: number[], endian: number): string {
  if (endian === LITTLE) bytes.reverse();
  return String.fromCharCode(...bytes);
}

/** putinteger: n as C converts it to an unsigned long, in `size` bytes. */
function packInteger(n: number, size: number, endian: number): string {
  let value: bigint;
  const t = Math.trunc(n);
  // Out-of-range conversions give what x86-64 does: 0x8000000000000000, or 0 past 2^64.
  if (Number.isNaN(n) || t < -(2 ** 63)) value = 1n << 63n;
  else if (t >= 2 ** 64) value = 0n;
  else value = BigInt.asUintN(64, BigInt(t));
  const bytes: number[] = [];
  for (let i = size - 1; i >= 0; i--) bytes.push(i < 8 ? Number((value >> BigInt(8 * i)) & 0xffn) : 0);
  return ordered(bytes, endian);
}

function packFloat(n: number, size: number, endian: number): string {
  if (size === 4) scratch.setFloat32(0, n);
  else scratch.setFloat64(0, n);
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) bytes.push(scratch.getUint8(i));
  return ordered(bytes, endian);
}

function pack(L: LuaState): number {
  const fmt = formatArg(L);
  // b_pack's mark between the arguments and its buffer: a missing argument right after the
  // last one is this nil ("got nil", not "got no value").
  lua.lua_pushnil(L);
  let arg = 2;
  let total = 0;
  const out: string[] = [];
  while (!fmt.done) {
    const opt = fmt.next();
    let size = fmt.size(opt);
    const pad = fmt.padding(total, opt, size);
    total += pad;
    out.push("\0".repeat(pad));
    switch (opt) {
      case "b": case "B": case "h": case "H": case "l": case "L": case "T": case "i": case "I":
        out.push(packInteger(lauxlib.luaL_checknumber(L, arg++), size, fmt.endian));
        break;
      case "x":
        out.push("\0");
        break;
      case "f": case "d":
        out.push(packFloat(lauxlib.luaL_checknumber(L, arg++), size, fmt.endian));
        break;
      case "c": case "s": {
        const s = fromLua(lauxlib.luaL_checklstring(L, arg++));
        if (size === 0) size = s.length;
        // lua_struct checks after arg++, so the error names the next argument.
        if (s.length < size) argError(L, arg, "string too short");
        out.push(s.slice(0, size));
        if (opt === "s") {
          out.push("\0");
          size++;
        }
        break;
      }
      default:
        fmt.control(opt);
    }
    total += size;
  }
  lua.lua_pushstring(L, toLua(out.join("")));
  return 1;
}

/** getinteger: `size` bytes at `at` as C reads them into an unsigned long. */
function unpackInteger(data: string, at: number, size: number, endian: number, signed: boolean): number {
  let l = 0n;
  for (let k = 0; k < size; k++) {
    const i = endian === BIG ? k : size - 1 - k;
    l = BigInt.asUintN(64, (l << 8n) | BigInt(data.charCodeAt(at + i)));
  }
  if (!signed) return Number(l);
  // The shift count is taken mod 64 as x86-64 does (C leaves it undefined past 63).
  const mask = BigInt.asUintN(64, ~0n << BigInt((size * 8 - 1) & 63));
  if (l & mask) l |= mask;
  return Number(BigInt.asIntN(64, l));
}

function unpackFloat(data: string, at: number, size: number, endian: number): number {
  for (let k = 0; k < size; k++) scratch.setUint8(k, data.charCodeAt(at + (endian === BIG ? k : size - 1 - k)));
  return size === 4 ? scratch.getFloat32(0) : scratch.getFloat64(0);
}

function unpack(L: LuaState): number {
  const fmt = formatArg(L);
  const data = fromLua(lauxlib.luaL_checklstring(L, 2));
  const start = lua.lua_isnoneornil(L, 3) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L, 3));
  if (start === 0) argError(L, 3, "offset must be 1 or greater");
  // pos is a size_t: a negative start wraps to a huge offset that fails the length check.
  const wrapped = start < 0;
  let pos = start - 1;
  const ld = data.length;
  let n = 0;
  const tooShort = (size: number): void => {
    if (wrapped || !(size <= ld && pos <= ld - size)) argError(L, 2, "data string too short");
  };
  while (!fmt.done) {
    const opt = fmt.next();
    let size = fmt.size(opt);
    pos += fmt.padding(pos, opt, size);
    tooShort(size);
    lauxlib.luaL_checkstack(L, 2, toLua("too many results"));
    switch (opt) {
      case "b": case "B": case "h": case "H": case "l": case "L": case "T": case "i": case "I":
        pushNumber(L, unpackInteger(data, pos, size, fmt.endian, opt === opt.toLowerCase()));
        n++;
        break;
      case "x":
        break;
      case "f": case "d":
        pushNumber(L, unpackFloat(data, pos, size, fmt.endian));
        n++;
        break;
      case "c":
        if (size === 0) {
          if (n === 0 || !lua.lua_isnumber(L, -1)) raise(L, "format 'c0' needs a previous size");
          size = Math.trunc(lua.lua_tonumber(L, -1));
          lua.lua_pop(L, 1);
          n--;
          tooShort(size);
        }
        lua.lua_pushstring(L, toLua(data.slice(pos, pos + size)));
        n++;
        break;
      case "s": {
        const end = data.indexOf("\0", pos);
        if (end === -1) raise(L, "unfinished string in data");
        size = end - pos + 1;
        lua.lua_pushstring(L, toLua(data.slice(pos, end)));
        n++;
        break;
      }
      default:
        fmt.control(opt);
    }
    pos += size;
  }
  pushNumber(L, pos + 1);
  return n + 1;
}

function size(L: LuaState): number {
  const fmt = formatArg(L);
  let pos = 0;
  while (!fmt.done) {
    const opt = fmt.next();
    const optSize = fmt.size(opt);
    pos += fmt.padding(pos, opt, optSize);
    if (opt === "s") argError(L, 1, "option 's' has no fixed size");
    else if (opt === "c" && optSize === 0) argError(L, 1, "option 'c0' has no fixed size");
    if (!isAlnum(opt)) fmt.control(opt);
    pos += optSize;
  }
  pushNumber(L, pos);
  return 1;
}

const FUNCTIONS: Record<string, LuaJsFunction> = { pack, unpack, size };

/** Builds the `struct` table and leaves it on the stack. */
export function pushStructLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, Object.keys(FUNCTIONS).length);
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, toLua(name));
  }
}
