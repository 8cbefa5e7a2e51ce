// The geo commands (src/commands/geo.ts, src/engine/geohash.ts), run through the Executor.
// Every expected reply, error text and number below was read from redis-server 7.0.15
// (replies compared as RESP2 text, the way redis-cli prints them).
import { describe, expect, it } from "vitest";
import { encodeRepliesBinary } from "../../src/protocol/resp";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { decodeScore, exactTrigEvaluationCount, scoreOf, standardGeohash, trigPaths } from "../../src/engine/geohash";
import { error, type Reply } from "../../src/protocol/reply";
import { engine, NOT_FLOAT, NOT_INTEGER, SYNTAX, WRONGTYPE, arity } from "../support/engine";

/** The flat texts of a reply as redis-cli prints them (nested arrays flattened, nil as null). */
function flat(r: Reply): (string | number | null)[] {
  const bytes = encodeRepliesBinary([r], 2);
  const out: (string | number | null)[] = [];
  const lines = bytes.split("\r\n");
  for (let i = 0; i < lines.length - 1; i++) {
    const l = lines[i];
    if (l[0] === "$") out.push(l === "$-1" ? null : lines[++i]);
    else if (l[0] === ":") out.push(Number(l.slice(1)));
    else if (l === "*-1") out.push(null);
    else if (l[0] === "-" || l[0] === "+") out.push(l.slice(1));
  }
  return out;
}

function sicily() {
  const e = engine();
  e.run("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
  e.run("SET", "str", "x");
  return e;
}

describe("the geo command declarations", () => {
  const expected: [string, number, string[], number, number, number][] = [
    ["geoadd", -5, ["write", "denyoom"], 1, 1, 1],
    ["geopos", -2, ["readonly"], 1, 1, 1],
    ["geodist", -4, ["readonly"], 1, 1, 1],
    ["geohash", -2, ["readonly"], 1, 1, 1],
    ["geosearch", -7, ["readonly"], 1, 1, 1],
    ["geosearchstore", -8, ["write", "denyoom"], 1, 2, 1],
    ["georadius", -6, ["write", "denyoom"], 1, 1, 1],
    ["georadius_ro", -6, ["readonly"], 1, 1, 1],
    ["georadiusbymember", -5, ["write", "denyoom"], 1, 1, 1],
    ["georadiusbymember_ro", -5, ["readonly"], 1, 1, 1],
  ];
  it.each(expected)("declares %s as COMMAND INFO does", (name, ar, flags, first, last, step) => {
    const spec = lookupCommand(name)!;
    expect(spec.arity).toBe(ar);
    expect(spec.flags).toEqual(flags);
    expect(spec.keys).toEqual({ first, last, step });
    expect(spec.categories).toEqual([flags[0] === "write" ? "write" : "read", "geo", "slow"]);
  });

  it("finds GEORADIUS's STORE and STOREDIST keys as COMMAND GETKEYS does", () => {
    const spec = lookupCommand("georadius")!;
    expect(commandKeys(spec, ["GEORADIUS", "k", "1", "2", "3", "m", "storedist", "d", "STORE", "e"])).toEqual(["k", "e", "d"]);
    expect(commandKeys(spec, ["GEORADIUS", "k", "1", "2", "3", "m", "WITHDIST", "STORE"])).toEqual(["k"]);
    expect(commandKeys(lookupCommand("georadiusbymember")!, ["GEORADIUSBYMEMBER", "k", "store", "2", "m", "STORE", "x"])).toEqual(["k", "x"]);
  });
});

describe("the geohash encoding", () => {
  it("encodes points as Redis's 52-bit scores and decodes the cell centre", () => {
    expect(scoreOf(13.361389, 38.115556)).toBe(3479099956230698);
    expect(scoreOf(15.087269, 37.502669)).toBe(3479447370796909);
    // A point on the north-east limit overflows both axes, as the C conversion does.
    expect(scoreOf(180, 85.05112878)).toBe(13510798882111488);
    expect(decodeScore(3479099956230698)).toEqual([13.361389338970184, 38.1155563954963]);
  });

  it("decodes scores that are not geohashes through C's uint64 conversion", () => {
    expect(standardGeohash(9007199254740991)).toBe("zzpgzgpfxz0");
    expect(standardGeohash(-1.5)).toBe("bp05b5048p0");
    expect(standardGeohash(Infinity)).toBe("00bh0hbj200");
    expect(standardGeohash(-Infinity)).toBe("00bh0hbj200");
  });
});

describe("GEOADD", () => {
  it("adds points as sorted set members with geohash scores", () => {
    const e = sicily();
    expect(flat(e.run("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"))).toEqual(["Palermo", "3479099956230698", "Catania", "3479447370796909"]);
    expect(e.run("GEOADD", "Sicily", "NX", "13", "38", "Palermo", "1", "2", "new")).toBe(1);
    expect(e.run("GEOADD", "Sicily", "XX", "CH", "13", "38", "Palermo", "1", "2", "nope")).toBe(1);
    expect(e.run("GEOADD", "Sicily", "CH", "13", "38", "Palermo")).toBe(0);
  });

  it("refuses bad arguments and changes nothing", () => {
    const e = sicily();
    expect(e.run("GEOADD", "k", "200", "100", "a")).toEqual(error("ERR invalid longitude,latitude pair 200.000000,100.000000"));
    expect(e.run("GEOADD", "k", "-0", "-100", "a")).toEqual(error("ERR invalid longitude,latitude pair -0.000000,-100.000000"));
    expect(e.run("GEOADD", "k", "1", "2", "a", "200", "0", "b")).toEqual(error("ERR invalid longitude,latitude pair 200.000000,0.000000"));
    expect(e.run("EXISTS", "k")).toBe(0);
    expect(e.run("GEOADD", "k", "x", "2", "a")).toEqual(NOT_FLOAT);
    expect(e.run("GEOADD", "k", "nx", "xx", "1", "2", "a")).toEqual(SYNTAX);
    expect(e.run("GEOADD", "k", "1", "2", "a", "3")).toEqual(SYNTAX);
    expect(e.run("GEOADD", "k", "gt", "1", "2")).toEqual(NOT_FLOAT);
    expect(e.run("GEOADD", "k", "1", "2")).toEqual(arity("geoadd"));
    expect(e.run("GEOADD", "str", "1", "2", "a")).toEqual(WRONGTYPE);
  });
});

describe("GEOPOS, GEOHASH and GEODIST", () => {
  it("reply as Redis does, with nil for missing members", () => {
    const e = sicily();
    expect(flat(e.run("GEOPOS", "Sicily", "Palermo", "nope"))).toEqual(["13.36138933897018433", "38.11555639549629859", null]);
    expect(flat(e.run("GEOPOS", "none", "a"))).toEqual([null]);
    expect(flat(e.run("GEOHASH", "Sicily", "Palermo", "nope"))).toEqual(["sqc8b49rny0", null]);
    expect(e.run("GEODIST", "Sicily", "Palermo", "Catania")).toBe("166274.1516");
    expect(e.run("GEODIST", "Sicily", "Palermo", "Catania", "km")).toBe("166.2742");
    expect(e.run("GEODIST", "Sicily", "Palermo", "Catania", "MI")).toBe("103.3182");
    expect(e.run("GEODIST", "Sicily", "Palermo", "nope")).toBe(null);
    expect(e.run("GEODIST", "none", "a", "b")).toBe(null);
  });

  it("check the unit before the key, and the key's type", () => {
    const e = sicily();
    expect(e.run("GEODIST", "str", "a", "b", "yd")).toEqual(error("ERR unsupported unit provided. please use M, KM, FT, MI"));
    expect(e.run("GEODIST", "str", "a", "b", "km", "x")).toEqual(SYNTAX);
    expect(e.run("GEODIST", "str", "a", "b")).toEqual(WRONGTYPE);
    expect(e.run("GEOPOS", "str", "a")).toEqual(WRONGTYPE);
    expect(e.run("GEOHASH", "str", "a")).toEqual(WRONGTYPE);
  });
});

describe("GEOSEARCH and GEORADIUS", () => {
  it("search by radius and box with every WITH option", () => {
    const e = sicily();
    expect(flat(e.run("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "WITHCOORD", "WITHDIST", "WITHHASH", "ASC"))).toEqual([
      "Catania", "56.4413", 3479447370796909, "15.08726745843887329", "37.50266842333162032",
      "Palermo", "190.4424", 3479099956230698, "13.36138933897018433", "38.11555639549629859",
    ]);
    expect(flat(e.run("GEOSEARCH", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "DESC"))).toEqual(["Catania", "Palermo"]);
    expect(flat(e.run("GEORADIUS", "Sicily", "15", "37", "100", "km"))).toEqual(["Catania"]);
    expect(flat(e.run("GEORADIUSBYMEMBER_RO", "Sicily", "Palermo", "200", "km", "COUNT", "1", "WITHDIST"))).toEqual(["Palermo", "0.0000"]);
    expect(flat(e.run("GEOSEARCH", "none", "FROMMEMBER", "x", "BYRADIUS", "1", "m"))).toEqual([]);
  });

  it("store the members with their geohash, or their distance", () => {
    const e = sicily();
    expect(e.run("GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST")).toBe(2);
    expect(flat(e.run("ZRANGE", "dst", "0", "-1", "WITHSCORES"))).toEqual(["Catania", "56.441257870158204", "Palermo", "190.44242984775784"]);
    expect(e.run("GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "dst")).toBe(2);
    expect(flat(e.run("ZRANGE", "dst", "0", "-1", "WITHSCORES"))).toEqual(["Palermo", "3479099956230698", "Catania", "3479447370796909"]);
    expect(e.run("GEORADIUS", "Sicily", "15", "37", "1", "m", "STORE", "dst")).toBe(0);
    expect(e.run("EXISTS", "dst")).toBe(0);
    e.run("SET", "dst", "x");
    expect(e.run("GEOSEARCHSTORE", "dst", "none", "FROMMEMBER", "x", "BYRADIUS", "1", "m")).toBe(0);
    expect(e.run("EXISTS", "dst")).toBe(0);
  });

  it("refuse bad arguments with Redis's errors, in Redis's order", () => {
    const e = sicily();
    const s = (...rest: string[]) => e.run("GEOSEARCH", "Sicily", ...rest);
    expect(e.run("GEOSEARCH", "str", "FROMLONLAT", "1", "x", "BYRADIUS", "1", "m")).toEqual(WRONGTYPE);
    expect(s("FROMMEMBER", "nope", "BYRADIUS", "1", "m")).toEqual(error("ERR could not decode requested zset member"));
    expect(s("FROMLONLAT", "1", "2", "BYRADIUS", "x", "m")).toEqual(error("ERR need numeric radius"));
    expect(s("FROMLONLAT", "1", "2", "BYRADIUS", "-1", "m")).toEqual(error("ERR radius cannot be negative"));
    expect(s("FROMLONLAT", "1", "2", "BYRADIUS", "1", "yd")).toEqual(error("ERR unsupported unit provided. please use M, KM, FT, MI"));
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "x", "1", "m")).toEqual(error("ERR need numeric width"));
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "1", "x", "m")).toEqual(error("ERR need numeric height"));
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "1", "-1", "m")).toEqual(error("ERR height or width cannot be negative"));
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "1", "1", "m", "COUNT", "0")).toEqual(error("ERR COUNT must be > 0"));
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "1", "1", "m", "COUNT", "x")).toEqual(NOT_INTEGER);
    expect(s("FROMLONLAT", "1", "2", "BYBOX", "1", "1", "m", "ANY")).toEqual(error("ERR the ANY argument requires COUNT argument"));
    expect(e.run("GeoSearch", "Sicily", "BYRADIUS", "1", "m", "ASC", "DESC")).toEqual(error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GeoSearch"));
    expect(s("FROMLONLAT", "1", "2", "ASC", "DESC")).toEqual(error("ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH"));
    expect(s("FROMLONLAT", "1", "2", "FROMMEMBER", "Palermo", "BYRADIUS", "1", "m")).toEqual(SYNTAX);
    expect(s("FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "STORE", "x")).toEqual(SYNTAX);
    expect(s("FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "STOREDIST")).toEqual(SYNTAX);
    expect(e.run("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "1", "2", "BYRADIUS", "1", "m", "WITHDIST")).toEqual(
      error("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    expect(e.run("GEORADIUS", "Sicily", "1", "2", "1", "m", "WITHHASH", "STORE", "d")).toEqual(
      error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"),
    );
    expect(e.run("GEORADIUS_RO", "Sicily", "1", "2", "1", "m", "STORE", "d")).toEqual(SYNTAX);
    expect(e.run("GEORADIUS", "Sicily", "1", "100", "1", "m")).toEqual(error("ERR invalid longitude,latitude pair 1.000000,100.000000"));
    expect(e.run("GEORADIUSBYMEMBER", "Sicily", "nope", "x", "m")).toEqual(error("ERR could not decode requested zset member"));
    expect(e.run("GEORADIUSBYMEMBER", "none", "nope", "x", "m", "STORE", "d")).toBe(0);
    expect(e.run("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "2")).toEqual(arity("geosearch"));
  });

  it("logs a store as sent, and nothing for a read", () => {
    const e = sicily();
    expect(e.logged("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")).toEqual([]);
    expect(e.logged("GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km")).toEqual([
      ["GEOSEARCHSTORE", "d", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"],
    ]);
  });
});

describe("the cost of a search", () => {
  // Every member a search scans is measured with correctly rounded trig; the BigInt series
  // behind it took ~20 µs a member (seconds for a 200,000-member cell). The double-double
  // path must settle practically every value, and points clearly outside skip it entirely.
  it("settles correctly rounded sin, cos and asin without the BigInt series, to the same doubles", () => {
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32 + (Math.imul(seed, 69069) >>> 0) / 2 ** 64;
    };
    const scales = [4, Math.PI, Math.PI / 2, 1, 0.1, 1e-3, 1e-6, 2 ** -25];
    for (let i = 0; i < 3000; i++) {
      const x = (random() * 2 - 1) * scales[i % scales.length];
      const y = random() ** (1 + (i % 4));
      const before = exactTrigEvaluationCount();
      const fast = [trigPaths.sin(x), trigPaths.cos(x), trigPaths.asin(y)];
      expect(exactTrigEvaluationCount()).toBe(before);
      expect(fast).toEqual([trigPaths.sinByBigInt(x), trigPaths.cosByBigInt(x), trigPaths.asinByBigInt(y)]);
    }
  });

  it("scans a 200,000-member cell without the BigInt series (replies as redis-server 7.0)", () => {
    const e = engine();
    // Small integer scores: every member decodes to a point near (-180, -85), all in one cell.
    const zadd = ["ZADD", "z"];
    for (let i = 0; i < 200_000; i++) zadd.push(String(i), String(i));
    expect(e.ex.runOne(zadd)).toBe(200_000);
    const before = exactTrigEvaluationCount();
    expect(e.run("GEOSEARCH", "z", "FROMLONLAT", "-180", "-85", "BYRADIUS", "1", "km", "COUNT", "1")).toEqual([]);
    expect(flat(e.run("GEORADIUS", "z", "0", "0", "20000", "km", "COUNT", "2", "WITHDIST"))).toEqual(["174762", "10560.8118", "174760", "10560.8118"]);
    expect(flat(e.run("GEOSEARCH", "z", "FROMLONLAT", "-179.99", "-85", "BYBOX", "2000", "400", "km", "COUNT", "3", "WITHDIST", "DESC"))).toEqual([
      "0",
      "5.6875",
      "2",
      "5.6875",
      "8",
      "5.6875",
    ]);
    // Three searches over 200,000 members, each measured with up to five trig values: a few exceptions at most.
    expect(exactTrigEvaluationCount() - before).toBeLessThan(20);
  });
});
