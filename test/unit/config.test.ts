/**
 * CONFIG GET/SET: Redis 7.0's parameter names and aliases, validation with its exact
 * errors, all-or-nothing SET, and logging so settings survive a restart.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { error, map, OK } from "../../src/protocol/reply";

function fresh() {
  const db = new Keyspace();
  return { db, ex: new Executor(db) };
}

describe("CONFIG", () => {
  it("gets parameters by glob, old ziplist aliases included", () => {
    const { ex } = fresh();
    expect(ex.runOne(["CONFIG", "GET", "maxmemory-policy"])).toEqual(map(["maxmemory-policy", "noeviction"]));
    expect(ex.runOne(["config", "get", "zset-max-*-entries"])).toEqual(map(["zset-max-listpack-entries", "128", "zset-max-ziplist-entries", "128"]));
    expect(ex.runOne(["CONFIG", "GET", "nothing-like-this"])).toEqual(map([]));
    // An exact name is answered as typed, once whatever its case; a pattern with the stored name.
    expect(ex.runOne(["CONFIG", "GET", "MaxMemory-Policy", "maxmemory-policy"])).toEqual(map(["MaxMemory-Policy", "noeviction"]));
  });

  it("sets memory values with units and policies by name", () => {
    const { ex, db } = fresh();
    expect(ex.runOne(["CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "ALLKEYS-LRU"])).toEqual(OK);
    expect(db.settings.maxmemory).toBe(10 * 1024 * 1024);
    expect((ex.runOne(["CONFIG", "GET", "maxmemory*"]) as { entries: string[] }).entries).toEqual(
      expect.arrayContaining(["maxmemory", "10485760", "maxmemory-policy", "allkeys-lru"]),
    );
  });

  it("refuses bad values with Redis's errors and changes nothing", () => {
    const { ex, db } = fresh();
    expect(ex.runOne(["CONFIG", "SET", "maxmemory", "1mb", "maxmemory", "abc"])).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"),
    );
    expect(ex.runOne(["CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "nope"])).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
    );
    expect(db.settings.maxmemory).toBe(0);
    expect(ex.runOne(["CONFIG", "SET", "hash-max-listpack-entries", "-1"])).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - argument must be between 0 and 9223372036854775807 inclusive"),
    );
    expect(ex.runOne(["CONFIG", "SET", "lfu-log-factor", "x"])).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'lfu-log-factor') - argument couldn't be parsed into an integer"),
    );
    expect(ex.runOne(["CONFIG", "SET", "foo", "1"])).toEqual(error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"));
    expect(ex.runOne(["CONFIG", "SET", "databases", "4"])).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    );
    expect(ex.runOne(["CONFIG", "GET"])).toEqual(error("ERR wrong number of arguments for 'config|get' command"));
    expect(ex.runOne(["CONFIG", "FOO"])).toEqual(error("ERR unknown subcommand 'FOO'. Try CONFIG HELP."));
  });

  it("reads integer parameters as Redis's string2ll: no leading zeros, no -0, nothing past int64", () => {
    const { ex, db } = fresh();
    for (const value of ["007", "-0", "+5", " 5", "99999999999999999999999"]) {
      expect(ex.runOne(["CONFIG", "SET", "maxmemory-samples", value]), value).toEqual(
        error("ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument couldn't be parsed into an integer"),
      );
    }
    expect(db.settings.maxmemorySamples).toBe(5);
  });

  it("logs CONFIG SET, so replaying the log restores the settings", () => {
    const { ex } = fresh();
    const { effects } = ex.run([["CONFIG", "SET", "maxmemory-samples", "9"], ["CONFIG", "GET", "maxmemory-samples"]]);
    expect(effects).toEqual([["CONFIG", "SET", "maxmemory-samples", "9"]]);
    const restored = fresh();
    for (const e of effects) restored.ex.replay(e);
    expect(restored.db.settings.maxmemorySamples).toBe(9);
  });
});
