// Shard-side server commands (src/commands/server.ts) run through the shard executor with
// an injected clock. Replies and errors are Redis 7.0's (checked against redis-server).
import { beforeEach, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { error, OK, type Reply } from "../../src/protocol/reply";

const T0 = 1_700_000_000_000;
let now: number;
let db: Keyspace;
let ex: Executor;

beforeEach(() => {
  now = T0;
  db = new Keyspace();
  ex = new Executor(db, undefined, () => now);
});

const run = (...argv: string[]): Reply => ex.runOne(argv);
function logged(...argv: string[]): { reply: Reply; effects: string[][] } {
  const r = ex.run([argv]);
  return { reply: r.replies[0], effects: r.effects };
}

describe("declarations", () => {
  // [arity, flags, routing] as COMMAND INFO prints them on Redis 7.0; none takes keys.
  const expected: Record<string, [number, string[], string]> = {
    dbsize: [1, ["readonly", "fast"], "fanout-sum"],
    flushdb: [-1, ["write"], "fanout-ok"],
    flushall: [-1, ["write"], "fanout-ok"],
    info: [-1, ["loading", "stale"], "fanout-info"],
  };
  for (const [name, [arity, flags, routing]] of Object.entries(expected)) {
    it(`declares ${name} as Redis does`, () => {
      const spec = lookupCommand(name)!;
      expect(spec.arity).toBe(arity);
      expect([...spec.flags]).toEqual(flags);
      expect(spec.keys).toBeUndefined();
      expect(spec.routing).toBe(routing);
    });
  }

  it("puts DBSIZE and the FLUSH commands in @keyspace, the FLUSH commands and INFO in @dangerous", () => {
    expect(lookupCommand("dbsize")!.categories).toContain("keyspace");
    for (const name of ["flushdb", "flushall", "info"]) expect(lookupCommand(name)!.categories).toContain("dangerous");
  });
});

describe("DBSIZE", () => {
  it("counts the keys held", () => {
    expect(run("DBSIZE")).toBe(0);
    db.set("a", "1");
    db.set("b", "2");
    expect(run("DBSIZE")).toBe(2);
  });

  it("still counts an expired key until something deletes it, as Redis does", () => {
    db.set("a", "1");
    db.setExpire("a", now + 10);
    now += 11;
    expect(run("DBSIZE")).toBe(1);
    expect(run("EXISTS", "a")).toBe(0);
    expect(run("DBSIZE")).toBe(0);
  });

  it("refuses arguments", () => {
    expect(run("DBSIZE", "x")).toEqual(error("ERR wrong number of arguments for 'dbsize' command"));
  });
});

describe("FLUSHDB and FLUSHALL", () => {
  for (const cmd of ["FLUSHDB", "FLUSHALL"]) {
    it(`${cmd} deletes every key, TTLs included, logged as sent`, () => {
      db.set("a", "1");
      db.set("b", "2");
      db.setExpire("b", now + 1000);
      expect(logged(cmd)).toEqual({ reply: OK, effects: [[cmd]] });
      expect(db.size).toBe(0);
      expect(db.expiresCount).toBe(0);
    });

    it(`${cmd} is logged even when the keyspace is already empty, as Redis forces it`, () => {
      expect(logged(cmd)).toEqual({ reply: OK, effects: [[cmd]] });
    });

    it(`${cmd} accepts SYNC or ASYNC in any case`, () => {
      db.set("a", "1");
      expect(logged(cmd, "async")).toEqual({ reply: OK, effects: [[cmd, "async"]] });
      db.set("a", "1");
      expect(run(cmd, "SYNC")).toEqual(OK);
      expect(db.size).toBe(0);
    });

    it(`${cmd} refuses anything else with a syntax error and keeps the keys`, () => {
      db.set("a", "1");
      expect(logged(cmd, "foo")).toEqual({ reply: error("ERR syntax error"), effects: [] });
      expect(run(cmd, "ASYNC", "x")).toEqual(error("ERR syntax error"));
      expect(run(cmd, "SYNC", "SYNC")).toEqual(error("ERR syntax error"));
      expect(db.size).toBe(1);
    });
  }
});

describe("INFO", () => {
  const STATS = "# Stats\r\nexpired_keys:0\r\nexpired_stale_perc:0.00\r\nevicted_keys:0\r\n";

  it("returns the shard's sections by default, in INFO's order: the keyspace header alone when empty", () => {
    const text = run("INFO") as string;
    expect(text.split("\r\n").filter((l) => l.startsWith("# "))).toEqual(["# Memory", "# Persistence", "# Stats", "# Replication", "# Keyspace"]);
    expect(text).toContain(STATS);
    expect(text.endsWith("\r\n\r\n# Keyspace\r\n")).toBe(true);
  });

  it("adds the db0 line with keys, keys with a TTL and their mean TTL once there are keys", () => {
    db.set("a", "1");
    db.set("b", "2");
    db.setExpire("b", now + 100_000);
    expect(run("INFO", "keyspace")).toBe("# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=100000,subexpiry=0\r\n");
  });

  it("counts expired keys and the share of TTL keys expired but not yet deleted", () => {
    db.set("a", "1");
    db.set("b", "2");
    db.setExpire("a", now - 1);
    db.setExpire("b", now - 1);
    expect(run("INFO", "stats")).toBe("# Stats\r\nexpired_keys:0\r\nexpired_stale_perc:100.00\r\nevicted_keys:0\r\nhotslot_rpc_calls:0\r\n");
    run("GET", "a");
    expect(run("INFO", "stats")).toBe("# Stats\r\nexpired_keys:1\r\nexpired_stale_perc:100.00\r\nevicted_keys:0\r\nhotslot_rpc_calls:0\r\n");
  });

  it("returns the section for its name in any case, and all sections for default, all and everything", () => {
    db.set("a", "1");
    const text = "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0,subexpiry=0\r\n";
    for (const arg of ["keyspace", "KeySpace", "keyspace\x00x"]) expect(run("INFO", arg)).toBe(text);
    for (const arg of ["default", "ALL", "everything"]) {
      expect(run("INFO", arg)).toContain(STATS);
      expect((run("INFO", arg) as string).endsWith("\r\n" + text)).toBe(true);
    }
    expect(run("INFO", "server", "keyspace")).toBe(text);
  });

  it("returns an empty string when no section it owns is asked for", () => {
    expect(run("INFO", "server")).toBe("");
    expect(run("INFO", "foo", "bar")).toBe("");
  });

  it("changes nothing and logs nothing", () => {
    db.set("a", "1");
    expect(logged("INFO").effects).toEqual([]);
  });
});
