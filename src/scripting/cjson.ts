/**
 * The `cjson` library scripts see: lua-cjson 2.1.0 as Redis 7.0 bundles it, with its
 * default settings. encode: numbers as "%.14g" (NaN/Inf refused), strings escaped as
 * lua-cjson does (`/` as `\/`, control characters and DEL as \u00XX, other bytes raw), a
 * table whose keys are all positive integers is an array (holes are null; "excessively
 * sparse" past max > 2 × count and max > 10), anything else an object (number keys
 * quoted), an empty table `{}`, nesting past 1000 refused. decode: lua-cjson's tokenizer
 * and its errors ("Expected value but found invalid token at character 1"), numbers
 * through strtod (so hex, inf and nan are accepted, as decode_invalid_numbers is on), JSON
 * null as `cjson.null` (a light userdata NULL, as in Redis).
 *
 * Object keys come out in the table's iteration order, which is fengari's (insertion
 * order), not Lua 5.1's hash order: an object of several keys may be encoded with its
 * members in another order than redis-server's (same members). The cjson.encode_* /
 * decode_* setters are not provided.
 */
import { formatLuaNumber } from "./api";
import { pushNumber } from "./convert";
import { fromLua, lauxlib, lua, toLua, type LuaJsFunction, type LuaState } from "./fengari";

const MAX_DEPTH = 1000;
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

/** lua-cjson's char2escape table: the escaped form of each byte that needs one. */
const ESCAPES: string[] = [];
for (let c = 0; c < 32; c++) ESCAPES[c] = `\\u${c.toString(16).padStart(4, "0")}`;
Object.assign(ESCAPES, { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 47: "\\/", 92: "\\\\", 127: "\\u007f" });

function raise(L: LuaState, message: string): never {
  return lauxlib.luaL_error(L, toLua("%s"), toLua(message)) as never;
}

function typeName(L: LuaState, index: number): string {
  return fromLua(lua.lua_typename(L, lua.lua_type(L, index)));
}

/** json_encode_exception: "Cannot serialise <type>: <reason>". */
function encodeError(L: LuaState, index: number, reason: string): never {
  return raise(L, `Cannot serialise ${typeName(L, index)}: ${reason}`);
}

function encodeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += ESCAPES[c] ?? s[i];
  }
  return out + '"';
}

function encodeNumber(L: LuaState, index: number): string {
  const n = lua.lua_tonumber(L, index);
  if (!Number.isFinite(n)) encodeError(L, index, "must not be NaN or Inf");
  return formatLuaNumber(n);
}

/** lua_array_length: the array length of the table on top, 0 when empty, -1 for an object. */
function arrayLength(L: LuaState): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    const k = lua.lua_type(L, -2) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -2) : 0;
    if (k !== 0 && Math.floor(k) === k && k >= 1) {
      if (k > max) max = k;
      items++;
      lua.lua_pop(L, 1);
      continue;
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (max > items * SPARSE_RATIO && max > SPARSE_SAFE) encodeError(L, -1, "excessively sparse array");
  return max;
}

/** Appends the JSON of the value on top of the stack to `out`. */
function encodeValue(L: LuaState, depth: number, out: string[]): void {
  switch (lua.lua_type(L, -1)) {
    case lua.LUA_TSTRING:
      out.push(encodeString(fromLua(lua.lua_tolstring(L, -1))));
      return;
    case lua.LUA_TNUMBER:
      out.push(encodeNumber(L, -1));
      return;
    case lua.LUA_TBOOLEAN:
      out.push(lua.lua_toboolean(L, -1) ? "true" : "false");
      return;
    case lua.LUA_TNIL:
      out.push("null");
      return;
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, -1) === null) {
        out.push("null");
        return;
      }
      break;
    case lua.LUA_TTABLE: {
      depth++;
      if (depth > MAX_DEPTH || !lua.lua_checkstack(L, 3)) raise(L, `Cannot serialise, excessive nesting (${depth})`);
      const length = arrayLength(L);
      if (length > 0) encodeArray(L, depth, length, out);
      else encodeObject(L, depth, out);
      return;
    }
  }
  encodeError(L, -1, "type not supported");
}

function encodeArray(L: LuaState, depth: number, length: number, out: string[]): void {
  out.push("[");
  for (let i = 1; i <= length; i++) {
    if (i > 1) out.push(",");
    lua.lua_rawgeti(L, -1, i);
    encodeValue(L, depth, out);
    lua.lua_pop(L, 1);
  }
  out.push("]");
}

function encodeObject(L: LuaState, depth: number, out: string[]): void {
  out.push("{");
  let first = true;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2) !== 0) {
    if (!first) out.push(",");
    first = false;
    const keyType = lua.lua_type(L, -2);
    if (keyType === lua.LUA_TNUMBER) out.push(`"${encodeNumber(L, -2)}":`);
    else if (keyType === lua.LUA_TSTRING) out.push(`${encodeString(fromLua(lua.lua_tolstring(L, -2)))}:`);
    else encodeError(L, -2, "table key must be a number or string");
    encodeValue(L, depth, out);
    lua.lua_pop(L, 1);
  }
  out.push("}");
}

function encode(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) lauxlib.luaL_argerror(L, 1, toLua("expected 1 argument"));
  const out: string[] = [];
  encodeValue(L, 0, out);
  lua.lua_pushstring(L, toLua(out.join("")));
  return 1;
}

// ---- decode ----

type TokenType =
  | "T_OBJ_BEGIN" | "T_OBJ_END" | "T_ARR_BEGIN" | "T_ARR_END" | "T_STRING" | "T_NUMBER"
  | "T_BOOLEAN" | "T_NULL" | "T_COLON" | "T_COMMA" | "T_END" | "T_ERROR";

interface Token {
  type: TokenType;
  /** 0-based offset of the token (of the failure for T_ERROR). */
  index: number;
  value?: string | number | boolean;
}

const SINGLE: Record<string, TokenType> = { "{": "T_OBJ_BEGIN", "}": "T_OBJ_END", "[": "T_ARR_BEGIN", "]": "T_ARR_END", ",": "T_COMMA", ":": "T_COLON" };
const UNKNOWN_START = new Set([..."fiInNt\"+-0123456789"]);
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", t: "\t", n: "\n", f: "\f", r: "\r" };

/** The length of the longest prefix of `s` strtod would read as a number (0 if none). */
function strtodPrefix(s: string): number {
  const m = /^[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)/.exec(s);
  if (!m) return 0;
  // "1e" / "0x" stop before the incomplete part, as strtod does.
  return m[0].length;
}

function strtodValue(text: string): number {
  const body = text.replace(/^[+-]/, "");
  const negative = text.startsWith("-");
  let n: number;
  if (/^0[xX]/.test(body)) {
    const [mant, exp] = body.slice(2).split(/[pP]/);
    const [int, frac = ""] = mant.split(".");
    n = parseInt(int || "0", 16) + (frac ? parseInt(frac, 16) / 16 ** frac.length : 0);
    if (exp !== undefined) n *= 2 ** Number(exp);
  } else if (/^[iI]/.test(body)) n = Infinity;
  else if (/^[nN]/.test(body)) n = NaN;
  else n = Number(body);
  return negative ? -n : n;
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly L: LuaState,
    /** The input up to its first NUL (lua-cjson reads a C string). */
    private readonly s: string,
  ) {}

  private fail(expected: string, token: Token): never {
    const found = token.type === "T_ERROR" ? (token.value as string) : token.type;
    return raise(this.L, `Expected ${expected} but found ${found} at character ${token.index + 1}`);
  }

  private errorToken(message: string): Token {
    return { type: "T_ERROR", index: this.pos, value: message };
  }

  next(): Token {
    const s = this.s;
    while (" \t\n\r".includes(s[this.pos] ?? "x")) this.pos++;
    const index = this.pos;
    const ch = s[this.pos];
    if (ch === undefined) return { type: "T_END", index };
    const single = SINGLE[ch];
    if (single) {
      this.pos++;
      return { type: single, index };
    }
    if (!UNKNOWN_START.has(ch)) return this.errorToken("invalid token");
    if (ch === '"') return this.stringToken(index);
    const rest = s.slice(this.pos);
    if (ch === "-" || (ch >= "0" && ch <= "9")) return this.numberToken(index);
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (rest.startsWith(word)) {
        this.pos += word.length;
        return value === null ? { type: "T_NULL", index } : { type: "T_BOOLEAN", index, value };
      }
    }
    if (isInvalidNumber(rest)) return this.numberToken(index);
    return this.errorToken("invalid token");
  }

  private numberToken(index: number): Token {
    const length = strtodPrefix(this.s.slice(this.pos));
    if (length === 0) return this.errorToken("invalid number");
    const value = strtodValue(this.s.slice(this.pos, this.pos + length));
    this.pos += length;
    return { type: "T_NUMBER", index, value };
  }

  private stringToken(index: number): Token {
    const s = this.s;
    this.pos++;
    let out = "";
    while (s[this.pos] !== '"') {
      const ch = s[this.pos];
      if (ch === undefined) return this.errorToken("unexpected end of string");
      if (ch === "\\") {
        const code = s[this.pos + 1];
        if (code === "u") {
          const decoded = this.unicodeEscape();
          if (decoded === null) return this.errorToken("invalid unicode escape code");
          out += decoded;
          continue;
        }
        const simple = code === undefined ? undefined : SIMPLE_ESCAPES[code];
        if (simple === undefined) return this.errorToken("invalid escape code");
        out += simple;
        this.pos += 2;
        continue;
      }
      out += ch;
      this.pos++;
    }
    this.pos++;
    return { type: "T_STRING", index, value: out };
  }

  /** json_append_unicode_escape: the UTF-8 bytes of \uXXXX (or a surrogate pair), or null. */
  private unicodeEscape(): string | null {
    const hex4 = (at: number) => (/^[0-9a-fA-F]{4}$/.test(this.s.slice(at, at + 4)) ? parseInt(this.s.slice(at, at + 4), 16) : -1);
    let cp = hex4(this.pos + 2);
    if (cp < 0) return null;
    let length = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null;
      if (this.s[this.pos + 6] !== "\\" || this.s[this.pos + 7] !== "u") return null;
      const low = hex4(this.pos + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      length = 12;
    }
    this.pos += length;
    return String.fromCharCode(...new TextEncoder().encode(String.fromCodePoint(cp)));
  }

  private descend(): void {
    this.depth++;
    if (this.depth > MAX_DEPTH || !lua.lua_checkstack(this.L, 3)) {
      raise(this.L, `Found too many nested data structures (${this.depth}) at character ${this.pos}`);
    }
  }

  value(token: Token): void {
    const L = this.L;
    switch (token.type) {
      case "T_STRING":
        lua.lua_pushstring(L, toLua(token.value as string));
        return;
      case "T_NUMBER":
        pushNumber(L, token.value as number);
        return;
      case "T_BOOLEAN":
        lua.lua_pushboolean(L, token.value as boolean);
        return;
      case "T_NULL":
        lua.lua_pushlightuserdata(L, null);
        return;
      case "T_OBJ_BEGIN":
        return this.object();
      case "T_ARR_BEGIN":
        return this.array();
      default:
        this.fail("value", token);
    }
  }

  private object(): void {
    const L = this.L;
    this.descend();
    lua.lua_createtable(L, 0, 0);
    let token = this.next();
    if (token.type === "T_OBJ_END") {
      this.depth--;
      return;
    }
    for (;;) {
      if (token.type !== "T_STRING") this.fail("object key string", token);
      lua.lua_pushstring(L, toLua(token.value as string));
      token = this.next();
      if (token.type !== "T_COLON") this.fail("colon", token);
      this.value(this.next());
      lua.lua_rawset(L, -3);
      token = this.next();
      if (token.type === "T_OBJ_END") {
        this.depth--;
        return;
      }
      if (token.type !== "T_COMMA") this.fail("comma or object end", token);
      token = this.next();
    }
  }

  private array(): void {
    const L = this.L;
    this.descend();
    lua.lua_createtable(L, 0, 0);
    let token = this.next();
    if (token.type === "T_ARR_END") {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.value(token);
      lua.lua_rawseti(L, -2, i);
      token = this.next();
      if (token.type === "T_ARR_END") {
        this.depth--;
        return;
      }
      if (token.type !== "T_COMMA") this.fail("comma or array end", token);
      token = this.next();
    }
  }

  end(): void {
    const token = this.next();
    if (token.type !== "T_END") this.fail("the end", token);
  }
}

/** json_is_invalid_number: a number JSON forbids (leading +, hex, leading zero, inf, nan). */
function isInvalidNumber(s: string): boolean {
  if (s[0] === "+") return true;
  const p = s[0] === "-" ? s.slice(1) : s;
  if (p[0] === "0") return /^[xX0-9]/.test(p[1] ?? "");
  if (p[0] !== undefined && p[0] <= "9") return false;
  return /^(inf|nan)/i.test(p);
}

function decode(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) lauxlib.luaL_argerror(L, 1, toLua("expected 1 argument"));
  const text = fromLua(lauxlib.luaL_checklstring(L, 1));
  if (text.length >= 2 && (text[0] === "\0" || text[1] === "\0")) raise(L, "JSON parser does not support UTF-16 or UTF-32");
  const nul = text.indexOf("\0");
  const parser = new Parser(L, nul === -1 ? text : text.slice(0, nul));
  parser.value(parser.next());
  parser.end();
  return 1;
}

const FUNCTIONS: Record<string, LuaJsFunction> = { encode, decode };

/** Builds the `cjson` table and leaves it on the stack. */
export function pushCjsonLibrary(L: LuaState): void {
  lua.lua_createtable(L, 0, 8);
  for (const [name, fn] of Object.entries(FUNCTIONS)) {
    lua.lua_pushjsfunction(L, fn);
    lua.lua_setfield(L, -2, toLua(name));
  }
  lua.lua_pushlightuserdata(L, null);
  lua.lua_setfield(L, -2, toLua("null"));
  lua.lua_pushstring(L, toLua("cjson"));
  lua.lua_setfield(L, -2, toLua("_NAME"));
  lua.lua_pushstring(L, toLua("2.1.0"));
  lua.lua_setfield(L, -2, toLua("_VERSION"));
}
