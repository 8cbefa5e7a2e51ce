/**
 * Differential test of the Lua libraries cjson, bit, cmsgpack and struct (src/scripting/):
 * the same scripts run by Hotslot's Executor in Node and by a real redis-server 7.0
 * started here, replies compared as raw RESP2 bytes, errors included. Objects are encoded
 * with one key each or decoded again before the comparison: with several keys their member
 * order follows the Lua table's iteration order, which differs between fengari and Lua 5.1.
 */
import { describe, expect, it } from "vitest";
import { useReferenceRedis } from "../support/reference-redis";
import { replyMismatches } from "../support/script-differential";

const enc = (lua: string) => ["EVAL", `return cjson.encode(${lua})`, "0"];
const dec = (json: string, then = "return cjson.encode(v)") => ["EVAL", `local v = cjson.decode(ARGV[1]) ${then}`, "0", json];
const bit = (lua: string) => ["EVAL", `return {${lua}}`, "0"];

const CJSON: string[][] = [
  enc("1"), enc("-0.0"), enc("0.1"), enc("1/3"), enc("2^53"), enc("2^63"), enc("1e300"), enc("-1.5e-7"), enc("123456789012345"),
  enc("100000000000000"), enc("12345678901234"), enc("123456789012355"), enc("-123456789012345"), enc("999999999999995"),
  enc("0.000123456789012345"), enc("2^-20"), enc("1.00000000000005"), enc("1e-5"), enc("0.0001"), enc("3.14159265358979"),
  enc("1/0"), enc("-1/0"), enc("0/0"),
  enc("'plain'"), enc("'q\"b\\\\s/n\\n\\r\\t\\b\\f'"), enc("string.char(0, 1, 31, 127, 128, 200, 255)"), enc("''"),
  enc("true"), enc("false"), enc("nil"), enc("cjson.null"), enc("{}"), enc("{{}, {{}}}"),
  enc("{1, 2, 3}"), enc("{1, 'a', true, {x=1}}"), enc("{[1]=1, [3]=3}"), enc("{[1]=1, [20]=2}"), enc("{[1]=1, [10]=2}"),
  enc("{[1]=1, [2.5]=2}"), enc("{[0]=1}"), enc("{[-1]=1}"), enc("{a={b={c={}}}}"), enc("{[1.5]='x'}"), enc("{['k\\0']='v'}"),
  enc("{[true]=1}"), enc("print"), enc("{f=tostring}"), enc("redis"), enc(""), enc("1, 2"),
  ["EVAL", "local t = {} t[1] = t return cjson.encode(t)", "0"],
  ["EVAL", "local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return cjson.encode(t)", "0"],
  ["EVAL", "local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return cjson.encode(t)", "0"],
  dec("1"), dec("-2.5e3"), dec("1E2"), dec("0.1"), dec("123456789012345678"), dec("\"abc\""), dec("true"), dec("null"),
  dec("[]"), dec("{}"), dec("[1, [2, [3, {}]], \"x\", false, null]"), dec("{\"a\": [1, 2]}"), dec(" \t\r\n [ 1 ] \n"),
  dec("\"\\u00e9\\u20ac\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\""), dec("\"raw\x01\x1f\xff\""),
  dec("[1, 2,]"), dec("[1 2]"), dec("{\"a\" 1}"), dec("{\"a\": 1,}"), dec("{1: 2}"), dec("[1, 2"), dec("{"), dec(""), dec("   "),
  dec("nul"), dec("tru"), dec("x"), dec("[1] x"), dec("\"abc"), dec("\"a\\x\""), dec("\"\\u12\""), dec("\"\\ud800\""),
  dec("\"\\udc00\\ud800\""), dec("\"\\ud800\\u0041\""), dec("-"), dec("+1"), dec("01"), dec("0x10"), dec("-0x1p4"),
  dec("1.5e"), dec("1."), dec("nan"), dec("NaN"), dec("inf"), dec("-Infinity"), dec("Infinity"), dec("infinity"),
  dec("1\x00garbage"), dec("\x00\x00"), dec("[\"a\x00b\"]"), dec(".5"), dec("1e400"), dec("-"),
  dec("[" .repeat(1000) + "]".repeat(1000), "return 'deep ok'"), dec("[".repeat(1001) + "]".repeat(1001)), dec("{\"a\":".repeat(1001)),
  dec("null", "return type(v) .. tostring(v == cjson.null)"),
  dec("[null, 1]", "return {type(v[1]), v[2], #v}"),
  dec("{\"x\": 7, \"y\": [true]}", "return {v.x, v.y[1], tostring(v.z)}"),
  dec("[1.5, 2]", "return {tostring(v[1]), tostring(v[2]), v[2] .. ''}"),
  ["EVAL", "return cjson.decode()", "0"], ["EVAL", "return cjson.decode(1, 2)", "0"], ["EVAL", "return cjson.decode({})", "0"],
  ["EVAL", "return cjson.decode(12)", "0"], ["EVAL", "return cjson.encode()", "0"],
  ["EVAL", "return {cjson._NAME, cjson._VERSION, type(cjson.null)}", "0"],
  ["EVAL", "return cjson.null", "0"],
];

const BIT: string[][] = [
  bit("bit.tobit(0), bit.tobit(1), bit.tobit(-1), bit.tobit(2^31), bit.tobit(2^32 + 5), bit.tobit(-2^31 - 1), bit.tobit(0xffffffff)"),
  bit("bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(0.4999), bit.tobit(2^52), bit.tobit(2^53 + 2), bit.tobit(1e20), bit.tobit('12')"),
  bit("bit.tobit(1/0), bit.tobit(-1/0), bit.tobit(0/0), bit.tobit(2^51 + 3), bit.tobit(-2^51 - 3)"),
  bit("bit.tohex(1), bit.tohex(-1), bit.tohex(255, 2), bit.tohex(255, -4), bit.tohex(0x12345678, 3), bit.tohex(1, 0), bit.tohex(1, 20), bit.tohex(-1, -20)"),
  bit("bit.bnot(0), bit.bnot(-1), bit.bnot(5), bit.bnot(2^31)"),
  bit("bit.band(0xff, 0x0f), bit.band(-1, 7, 3), bit.band(5), bit.bor(1, 2, 4, 8), bit.bor(-2^31, 1), bit.bxor(5, 3), bit.bxor(-1, 1, 2)"),
  bit("bit.lshift(1, 0), bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(3, -1), bit.lshift(-1, 4)"),
  bit("bit.rshift(-1, 1), bit.rshift(-1, 0), bit.rshift(256, 4), bit.rshift(-2^31, 31), bit.rshift(1, 32)"),
  bit("bit.arshift(-256, 4), bit.arshift(-1, 31), bit.arshift(2^31, 1), bit.arshift(256, 36)"),
  bit("bit.rol(0x12345678, 4), bit.rol(0x12345678, 0), bit.rol(-1, 7), bit.rol(1, 31), bit.rol(1, 32)"),
  bit("bit.ror(0x12345678, 4), bit.ror(0x12345678, 0), bit.ror(1, 1), bit.ror(2, 33)"),
  bit("bit.bswap(0x12345678), bit.bswap(-1), bit.bswap(0xff), bit.bswap(0)"),
  bit("bit.tobit(3.0) + 1, tostring(bit.band(7, 3)), bit.tohex(bit.bor(0xf0, 0x0f))"),
  ["EVAL", "return bit.tobit()", "0"], ["EVAL", "return bit.band(1, 'x')", "0"], ["EVAL", "return bit.tohex({})", "0"],
  ["EVAL", "return bit.lshift(1)", "0"], ["EVAL", "return bit.bnot(nil)", "0"], ["EVAL", "return bit.tobit('0x10')", "0"],
  ["EVAL", "return bit.tobit(' 7 ')", "0"],
];

const pack = (lua: string) => ["EVAL", `return cmsgpack.pack(${lua})`, "0"];
/** Packs, unpacks again and re-packs: the round trip must give back the same bytes. */
const trip = (lua: string) => ["EVAL", `local s = cmsgpack.pack(${lua}) return {s, cmsgpack.pack(cmsgpack.unpack(s))}`, "0"];
const unpack = (hex: string, then = "return {...}") =>
  ["EVAL", `local s = ARGV[1]:gsub('..', function(h) return string.char(tonumber(h, 16)) end) return (function(...) ${then} end)(cmsgpack.unpack(s))`, "0", hex];

const CMSGPACK: string[][] = [
  pack("0"), pack("1"), pack("127"), pack("128"), pack("255"), pack("256"), pack("65535"), pack("65536"), pack("2^32 - 1"), pack("2^32"),
  pack("2^53"), pack("2^62"), pack("2^63"), pack("2^64"), pack("-1"), pack("-32"), pack("-33"), pack("-128"), pack("-129"), pack("-32768"),
  pack("-32769"), pack("-2^31"), pack("-2^31 - 1"), pack("-2^53"), pack("-2^63"), pack("-2^63 - 2^11"), pack("-0.0"), pack("3.0"),
  pack("0.5"), pack("0.1"), pack("-1.25"), pack("1/3"), pack("1e300"), pack("2^-149"), pack("1e-300"), pack("1/0"), pack("-1/0"), pack("0/0"), pack("-(0/0)"), pack("math.huge - math.huge"),
  pack("''"), pack("'a'"), pack("string.rep('x', 31)"), pack("string.rep('x', 32)"), pack("string.rep('y', 255)"), pack("string.rep('y', 256)"),
  pack("string.rep('z', 65535)"), pack("string.rep('z', 65536)"), pack("'a\\0b\\255'"),
  pack("nil"), pack("true"), pack("false"), pack("print"), pack("cjson.null"),
  pack("{}"), pack("{1, 2, 3}"), pack("{'a', {true, false}, {}}"), pack("{[1]=1, [3]=3}"), pack("{[2]=2}"), pack("{[1]=1, [2.5]=2}"),
  pack("{[0]=1}"), pack("{[-1]=1}"), pack("{[2^31]=1}"), pack("{x=1}"), pack("{[1.5]='v'}"), pack("{[true]=false}"), pack("{x={y={1}}}"),
  pack("{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}"), pack("{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}"),
  ["EVAL", "local t = {} for i = 1, 70000 do t[i] = i % 7 end return cmsgpack.pack(t)", "0"],
  ["EVAL", "local t = {} for i = 1, 16 do t['k' .. i] = 1 end return #cmsgpack.pack(t)", "0"],
  ["EVAL", "local t = {} for i = 1, 16 do t['k' .. i] = 1 end return cmsgpack.pack(t):sub(1, 3)", "0"],
  ["EVAL", "local t = {} t[1] = t return cmsgpack.pack(t)", "0"],
  ["EVAL", "local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)", "0"],
  pack("1, 'two', {3}, nil, true"), pack(""),
  trip("1, -1, 300, -300, 70000, -70000, 2^40, -2^40, 0.5, 1/3, 'str', true, false, nil"), trip("{1, {2, {3, {'x'}}}}"), trip("{k={v='w'}}"),
  trip("string.rep('s', 300), string.rep('t', 70000)"), trip("{}"),
  unpack("01"), unpack("cc80cd0100ce00010000cf0000000100000000"), unpack("d080d1ff00d2ff000000d3fff0000000000000"), unpack("ff e0 7f".replace(/ /g, "")),
  unpack("ca3f800000cb3fb999999999999a", "return {tostring(select(1, ...)), tostring(select(2, ...))}"), unpack("cb7ff0000000000000", "return tostring((...))"),
  unpack("c0c2c3", "return {select('#', ...), tostring(select(1, ...)), tostring(select(2, ...)), tostring(select(3, ...))}"),
  unpack("a3616263d903616263da0003616263db00000003616263"), unpack("93010203dc0002c0c3dd00000001a178"), unpack("81a16b01", "return (...).k"),
  unpack("de0001a16b02", "return (...).k"), unpack("df00000001a16b03", "return (...).k"), unpack("82c302a178c0", "return {(...)[true], (...).x}"),
  unpack("cf8000000000000000", "return tostring((...))"), unpack("d38000000000000000", "return tostring((...))"),
  unpack(""), unpack("", "return select('#', ...)"), unpack("c1"), unpack("c4"), unpack("d4"), unpack("cc"), unpack("cd01"), unpack("a3ab"),
  unpack("d905ab"), unpack("db0000"), unpack("92 01".replace(/ /g, "")), unpack("8101"), unpack("01c1"), unpack("dc00"),
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 3)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 4)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), -1)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1.7)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 5)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0, 1)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))}", "0"],
  ["EVAL", "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 'x')}", "0"],
  ["EVAL", "return cmsgpack.unpack()", "0"], ["EVAL", "return cmsgpack.unpack({})", "0"], ["EVAL", "return cmsgpack.unpack(12)", "0"],
  ["EVAL", "return {cmsgpack._NAME, cmsgpack._VERSION, cmsgpack._COPYRIGHT, cmsgpack._DESCRIPTION}", "0"],
  ["EVAL", "local n = 0 for k in pairs(cmsgpack) do n = n + 1 end return n", "0"],
];

const spack = (args: string) => ["EVAL", `return struct.pack(${args})`, "0"];
const sunpack = (fmt: string, lua: string, pos = "") => ["EVAL", `return {struct.unpack('${fmt}', ${lua}${pos})}`, "0"];
/** Unpacks and shows every value with tostring, so floats and nils survive the reply. */
const sshow = (lua: string) => ["EVAL", `local r = {${lua}} for i = 1, #r do r[i] = tostring(r[i]) end return r`, "0"];

const STRUCT: string[][] = [
  spack("'b', 1"), spack("'b', -1"), spack("'B', 255"), spack("'B', 256"), spack("'b', 200"), spack("'h', -2"), spack("'>h', 258"), spack("'<h', 258"),
  spack("'H', 65535"), spack("'l', -1"), spack("'>L', 2^40 + 3"), spack("'T', 12345"), spack("'i', 7"), spack("'>i', 7"), spack("'I2', 513"),
  spack("'>I3', 65793"), spack("'<i3', -2"), spack("'i8', -2^53"), spack("'>i16', -1"), spack("'<I12', 2^33"), spack("'i32', 1"), spack("'i0', 5"),
  spack("'b', 1.9"), spack("'b', -1.9"), spack("'>I4', 2^32 + 1"), spack("'L', 2^63"), spack("'l', -2^63"),
  spack("'f', 1.5"), spack("'>f', 0.1"), spack("'d', 0.1"), spack("'>d', -2.5"), spack("'<d', 1/0"), spack("'f', 1e300"),
  spack("'c', 'abc'"), spack("'c3', 'abcdef'"), spack("'c0', 'abcdef'"), spack("'c5', 'ab'"), spack("'s', 'a\\0b'"), spack("'s', ''"),
  spack("'x'"), spack("'xbx', 1"), spack("'bh', 1, 2"), spack("'!bh', 1, 2"), spack("'!4bd', 1, 2"), spack("'!2bi', 1, 2"), spack("'!bcl', 1, 'z', 3"),
  spack("'!8 b >d b <l', 1, 2, 3, 4"), spack("'!bi3', 1, 2"), spack("'!16bd', 1, 2"), spack("'!3b', 1"), spack("'!0b', 1"), spack("'bz', 1"),
  spack("'=b', 1"), spack("''"), spack("'b'"), spack("'b', 'x'"), spack("'b', '12'"), spack("'s', 12"), spack("'c', {}"), spack("'i33', 1"),
  spack("'c99999999999', 'a'"), spack("'i2147483647', 1"), spack("'b\\0h', 1, 2"), spack("'>hh', 1, 2, 3"), spack(""), spack("{}"),
  sunpack("b", "'\\255'"), sunpack("B", "'\\255'"), sunpack(">h", "'\\1\\2'"), sunpack("<h", "'\\1\\2'"), sunpack(">H", "'\\255\\254'"),
  sunpack(">i", "'\\255\\255\\255\\254'"), sunpack(">I", "'\\255\\255\\255\\254'"), sunpack("<l", "string.rep('\\255', 8)"),
  sunpack(">L", "'\\0\\0\\1\\0\\0\\0\\0\\1'"), sunpack("<i3", "'\\255\\255\\255'"), sunpack("<I3", "'\\255\\255\\255'"), sunpack(">i16", "string.rep('\\255', 16)"),
  sunpack(">I9", "'\\1\\0\\0\\0\\0\\0\\0\\0\\2'"), sunpack("<i9", "'\\1\\0\\0\\0\\0\\0\\0\\0\\128'"), sunpack("i0", "'x'"),
  sunpack("c2c1", "'abc'"), sunpack("c0", "'abc'"), sunpack("bc0", "'\\2abc'"), sunpack("c1c0", "'2abc'"), sunpack("bc0", "'\\9abc'"),
  sunpack("s", "'ab\\0cd\\0'"), sunpack("ss", "'ab\\0cd\\0'"), sunpack("s", "'abc'"), sunpack("xb", "'\\1\\2'"), sunpack("!bh", "'\\1\\0\\2\\0'"),
  sunpack("b", "'\\1\\2\\3'", ", 2"), sunpack("b", "'\\1\\2\\3'", ", 3"), sunpack("b", "'\\1\\2\\3'", ", 4"), sunpack("b", "'\\1\\2\\3'", ", 0"),
  sunpack("b", "'\\1\\2\\3'", ", -1"), sunpack("", "'\\1\\2\\3'", ", -5"), sunpack("", "'abc'", ", 9"), sunpack(">", "'abc'", ", 9"),
  sunpack("b", "'\\1\\2\\3'", ", 2.7"), sunpack("b", "'\\1\\2\\3'", ", 'x'"), sunpack("h", "'\\1'"), sunpack("z", "'abc'"), sunpack("!5b", "'a'"),
  sunpack("b", "{}"), sunpack("b", "nil"), ["EVAL", "return {struct.unpack()}", "0"],
  sshow("struct.unpack('<f', struct.pack('<f', 0.1))"), sshow("struct.unpack('>d', struct.pack('>d', 1/3))"), sshow("struct.unpack('d', struct.pack('d', -1/0))"),
  sshow("struct.unpack('>f', '\\127\\192\\0\\0')"), sshow("struct.unpack('<L', string.rep('\\255', 8))"), sshow("struct.unpack('>l', '\\127' .. string.rep('\\255', 7))"),
  sshow("struct.unpack('i', struct.pack('i', 2^31 - 1))"), sshow("struct.unpack('I', struct.pack('I', 2^32 - 1))"),
  ["EVAL", "return struct.size('bhilTfdx')", "0"], ["EVAL", "return struct.size('!bhilTfdx')", "0"], ["EVAL", "return struct.size('!4 b d')", "0"],
  ["EVAL", "return struct.size('c10i3')", "0"], ["EVAL", "return struct.size('!i3b')", "0"], ["EVAL", "return struct.size('')", "0"],
  ["EVAL", "return struct.size('s')", "0"], ["EVAL", "return struct.size('c0')", "0"], ["EVAL", "return struct.size('z')", "0"],
  ["EVAL", "return struct.size('b?')", "0"], ["EVAL", "return struct.size('!6')", "0"], ["EVAL", "return struct.size()", "0"],
  ["EVAL", "local n = 0 for k in pairs(struct) do n = n + 1 end return n", "0"],
];

const reference = useReferenceRedis();

async function mismatches(cases: string[][]): Promise<string[]> {
  return replyMismatches(cases, await reference.pipeline(cases));
}

describe("Lua libraries against redis-server 7.0", () => {
  it("cjson encodes and decodes byte for byte as redis-server does", async () => {
    expect(await mismatches(CJSON)).toEqual([]);
  });

  it("cmsgpack packs and unpacks byte for byte as redis-server does", async () => {
    expect(await mismatches(CMSGPACK)).toEqual([]);
  });

  it("struct packs, unpacks and sizes byte for byte as redis-server does", async () => {
    expect(await mismatches(STRUCT)).toEqual([]);
  });

  it("bit computes byte for byte as redis-server does", async () => {
    expect(await mismatches(BIT)).toEqual([]);
  });
});
