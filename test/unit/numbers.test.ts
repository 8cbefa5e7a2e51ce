// Redis's number rules (src/util/numbers.ts and the …OrReply readers in
// src/commands/args.ts). Every expected value below was read from redis-server 7.0.
import { describe, expect, it } from "vitest";
import { doubleOrReply, int64OrReply, longDoubleOrReply, parseIntegerArg } from "../../src/commands/args";
import { CommandError, ERR_NOT_FLOAT, ERR_NOT_INTEGER } from "../../src/commands/errors";
import {
  addLongDouble,
  formatLongDouble,
  longDoubleFromBigInt,
  parseDouble,
  parseInt64,
  parseInt64Number,
  parseLongDouble,
  type LongDouble,
} from "../../src/util/numbers";

/** INCRBYFLOAT's arithmetic: parse both, add in x87 precision, print as Redis does. */
function incrByFloat(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (!x || !y) return "ERR value is not a valid float";
  const s = addLongDouble(x, y);
  return s.kind === "finite" ? formatLongDouble(s) : "ERR increment would produce NaN or Infinity";
}

function roundTrip(s: string): string {
  const v = parseLongDouble(s);
  if (!v) throw new Error(`refused ${s}`);
  return formatLongDouble(v);
}

describe("parseInt64 (string2ll)", () => {
  it("reads integers across the whole int64 range", () => {
    expect(parseInt64("0")).toBe(0n);
    expect(parseInt64("42")).toBe(42n);
    expect(parseInt64("-17")).toBe(-17n);
    expect(parseInt64("9223372036854775807")).toBe(9223372036854775807n);
    expect(parseInt64("-9223372036854775808")).toBe(-9223372036854775808n);
  });

  it("refuses what Redis refuses: spaces, '+', leading zeros, -0, empty, decimals, overflow", () => {
    for (const s of [" 1", "1 ", "+1", "01", "00", "-0", "-01", "", "-", "1.5", "1e3", "abc", "0x10", "1\0"]) {
      expect(parseInt64(s), JSON.stringify(s)).toBeNull();
    }
    expect(parseInt64("9223372036854775808")).toBeNull();
    expect(parseInt64("-9223372036854775809")).toBeNull();
    expect(parseInt64("18446744073709551616")).toBeNull();
    expect(parseInt64("99999999999999999999")).toBeNull();
  });

  it("gives a JS number for counts and offsets, exact within 2^53", () => {
    expect(parseInt64Number("123456789012345")).toBe(123456789012345);
    expect(parseInt64Number("-9007199254740991")).toBe(-9007199254740991);
    expect(parseInt64Number("9223372036854775807")).toBe(9223372036854775807);
    expect(parseInt64Number("012")).toBeNull();
    expect(parseInt64Number("9223372036854775808")).toBeNull();
  });

  it("throws the integer error from the OrReply readers", () => {
    expect(int64OrReply("-5")).toBe(-5n);
    expect(parseIntegerArg("7")).toBe(7);
    expect(() => int64OrReply("x")).toThrow(new CommandError(ERR_NOT_INTEGER));
    expect(() => parseIntegerArg("1.0")).toThrow(ERR_NOT_INTEGER);
    expect(() => parseIntegerArg("")).toThrow(ERR_NOT_INTEGER);
  });
});

describe("long double (INCRBYFLOAT arithmetic)", () => {
  it("adds 1.1 and 2.2 to 3.3, as Redis's 64-bit mantissa does (a double would not)", () => {
    expect(incrByFloat("1.1", "2.2")).toBe("3.3");
    expect(incrByFloat("3.3", "-3.3")).toBe("0");
    expect(incrByFloat("0.1", "0.2")).toBe("0.3");
  });

  it("prints integers and exponents in full decimal, as %.17Lf does", () => {
    expect(incrByFloat("0", "5.0e3")).toBe("5000");
    expect(incrByFloat("0", "1E2")).toBe("100");
    expect(incrByFloat("5000", "1e300")).toBe(
      "1000000000000000000008997324079559193870523944273290747938260082321265646596180935755849152083750497190350372508614274835903592556184672983913096260520748646287327135641843653294084255107606016789726652932370030551382947620994540294772781889620606179267611627097410650567187386105690089424915104006144",
    );
    expect(incrByFloat("0", "1.7976931348623157e308")).toBe(
      "179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384",
    );
    expect(incrByFloat("0", "10000000000000000000000")).toBe("10000000000000000000000");
    expect(incrByFloat("0", "123456789012345678")).toBe("123456789012345678");
  });

  it("goes beyond the double range (x87 reaches 1e4932)", () => {
    const big = incrByFloat("0", "1e4000");
    expect(big.length).toBe(4000);
    expect(big.startsWith("99999999999999999999654638730996237849")).toBe(true);
    expect(incrByFloat(big, "-1e4000")).toBe("0");
  });

  it("prints small values with 17 decimals, dropping trailing zeros, and -0 as 0", () => {
    expect(incrByFloat("0", "-1e-5")).toBe("-0.00001");
    expect(incrByFloat("0", "1e-20")).toBe("0");
    expect(incrByFloat("0", "-1e-20")).toBe("0");
    expect(incrByFloat("0", "-0")).toBe("0");
    expect(incrByFloat("0", "3.0000000000000000001")).toBe("3");
    expect(incrByFloat("0", "1e-400")).toBe("0");
  });

  it("rounds the 17th decimal half to even, as glibc's printf", () => {
    // 2^-18 = 0.000003814697265625 and 3·2^-18 = 0.000011444091796875: exact ties.
    expect(incrByFloat("0", "0x1p-18")).toBe("0.00000381469726562");
    expect(incrByFloat("0", "0x3p-18")).toBe("0.00001144409179688");
  });

  it("accepts what strtold accepts: signs, bare points, hex floats, leading zeros", () => {
    expect(roundTrip("+5")).toBe("5");
    expect(roundTrip(".5")).toBe("0.5");
    expect(roundTrip("5.")).toBe("5");
    expect(roundTrip("00012")).toBe("12");
    expect(roundTrip("0x1p3")).toBe("8");
    expect(roundTrip("0x10")).toBe("16");
    expect(roundTrip("0x.8p1")).toBe("1");
    expect(roundTrip("0e99999999999")).toBe("0");
  });

  it("accepts infinity but refuses NaN, spaces, trailing bytes and out-of-range text", () => {
    expect(parseLongDouble("inf")).toEqual({ kind: "inf", neg: false });
    expect(parseLongDouble("-Infinity")).toEqual({ kind: "inf", neg: true });
    for (const s of ["nan", "NaN", " 1", "1 ", "", ".", "1e", "1e+", "0x", "0x1p", "abc", "1\0abc", "\0", "1e5000", "1e-5000"]) {
      expect(parseLongDouble(s), JSON.stringify(s)).toBeNull();
    }
    // string2ld's buffer holds 5 KiB with its NUL: 5120 chars or more are refused.
    expect(formatLongDouble(parseLongDouble("0".repeat(5118) + "1")!)).toBe("1");
    expect(parseLongDouble("0".repeat(5119) + "1")).toBeNull();
  });

  it("keeps denormals (nonzero) but refuses what underflows to zero", () => {
    expect(parseLongDouble("3.6e-4951")).not.toBeNull();
    expect(parseLongDouble("1.8e-4951")).toBeNull();
  });

  it("reports an infinite or NaN sum, which INCRBYFLOAT refuses", () => {
    expect(incrByFloat("1", "inf")).toBe("ERR increment would produce NaN or Infinity");
    expect(incrByFloat("inf", "-inf")).toBe("ERR increment would produce NaN or Infinity");
    expect(incrByFloat("0x1.fffffffffffffffep16383", "0x1p16320")).toBe("ERR increment would produce NaN or Infinity");
  });

  it("holds every int64 exactly", () => {
    const v: LongDouble = longDoubleFromBigInt(-9223372036854775808n);
    expect(formatLongDouble(v)).toBe("-9223372036854775808");
    expect(formatLongDouble(addLongDouble(longDoubleFromBigInt(9223372036854775807n), longDoubleFromBigInt(0n)))).toBe(
      "9223372036854775807",
    );
  });

  it("throws the float error from the OrReply reader", () => {
    expect(() => longDoubleOrReply("nan")).toThrow(new CommandError(ERR_NOT_FLOAT));
    expect(formatLongDouble(longDoubleOrReply("2.5"))).toBe("2.5");
  });
});

describe("parseDouble (getDoubleFromObject)", () => {
  it("reads decimal, hex and infinite values", () => {
    expect(parseDouble("1.5")).toBe(1.5);
    expect(parseDouble("-0.1")).toBe(-0.1);
    expect(parseDouble("5.")).toBe(5);
    expect(parseDouble(".5e1")).toBe(5);
    expect(parseDouble("0x1p3")).toBe(8);
    expect(parseDouble("0x1.8")).toBe(1.5);
    expect(parseDouble("inf")).toBe(Infinity);
    expect(parseDouble("+inf")).toBe(Infinity);
    expect(parseDouble("-inf")).toBe(-Infinity);
    expect(parseDouble("-Infinity")).toBe(-Infinity);
    expect(parseDouble("1.7976931348623157e308")).toBe(1.7976931348623157e308);
    expect(parseDouble("4e-320")).toBe(4e-320);
    expect(parseDouble("0x1p-1074")).toBe(5e-324);
  });

  it("refuses NaN, spaces, trailing bytes, overflow and underflow to zero", () => {
    for (const s of ["nan", "", " 1", "1 ", "1x", "1\0", "1e309", "1e-400", "0x1p1024", "0x1p-1080", "Infinityx", "0b1", "0o7"]) {
      expect(parseDouble(s), JSON.stringify(s)).toBeNull();
    }
    expect(parseDouble("0e-400")).toBe(0);
  });

  it("throws the float error from the OrReply reader", () => {
    expect(() => doubleOrReply("abc")).toThrow(new CommandError(ERR_NOT_FLOAT));
    expect(doubleOrReply("2")).toBe(2);
  });
});
