// DEBUG (src/commands/debug.ts) through the Executor: refused unless enabled, with
// Redis 7.0's error; the subcommands' replies and argument errors (read from
// redis-server 7.0 with enable-debug-command yes); RELOAD through the shard's persistence
// (on Node's SQLite); and the router's merge of shards' replies. Digests are compared with
// a live redis-server in test/reference/dump-interop.test.ts.
import { describe, expect, it } from "vitest";
import { mergeDebugReplies } from "../../src/commands/debug";
import { Executor } from "../../src/commands/execute";
import { datasetDigest, digestHex, valueDigest } from "../../src/engine/digest";
import { Keyspace } from "../../src/engine/keyspace";
import { error, OK, simple } from "../../src/protocol/reply";
import { ShardPersistence } from "../../src/shard/persistence";
import { MemoryPool } from "../support/memory-pool";
import { NodeSqlStorage } from "../support/node-sql";

const T0 = 1_700_000_000_000;
const DISABLED = error(
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
);
const unknown = (sub: string) => error(`ERR unknown subcommand or wrong number of arguments for '${sub}'. Try DEBUG HELP.`);

function setup() {
  const db = new Keyspace();
  const ex = new Executor(db, { maxValueBytes: 1 << 20 }, () => T0);
  const calls: string[] = [];
  ex.debug = { sleep: (ms) => void calls.push(`sleep ${ms}`), setActiveExpire: (on) => void calls.push(`active-expire ${on}`) };
  return { db, ex, calls, run: (...argv: string[]) => ex.runOne(argv) };
}

describe("DEBUG", () => {
  it("checks its arity in the shard (the router decides who may run it)", () => {
    const { run } = setup();
    expect(run("DEBUG")).toEqual(error("ERR wrong number of arguments for 'debug' command"));
  });

  it("answers DIGEST and DIGEST-VALUE with Redis's digests (zeros for nothing)", () => {
    const { run } = setup();
    expect(run("DEBUG", "DIGEST")).toEqual(simple("0".repeat(40)));
    for (const c of [["SET", "s", "hello"], ["SET", "n", "12345"], ["RPUSH", "l", "a", "b", "c"], ["HSET", "h", "f", "v"], ["SADD", "st", "1", "2", "3"], ["ZADD", "z", "1.5", "a", "2", "b"]]) run(...c);
    // redis-server 7.0 with the same six keys.
    expect(run("DEBUG", "digest")).toEqual(simple("588adfbb030c96635eb6396c068b84e2397bf2bd"));
    expect(run("DEBUG", "DIGEST-VALUE", "s", "l", "h", "st", "z", "missing")).toEqual(
      [
        "36b23a1456b2dce2c3ed252c456761301dba8060",
        "8bf72d812571eea9b927f3c11beb0c4165a6ff89",
        "90c76e9e9f4c62d642a34fc97c7dad503b51f906",
        "2a462a3f51a1db89738ebbeef0c47ce1bbc85246",
        "445b877af3c3ec83af30529ddbbdda3185172254",
        "0".repeat(40),
      ].map(simple),
    );
    expect(run("DEBUG", "DIGEST-VALUE")).toEqual([]);
  });

  it("describes a value with DEBUG OBJECT as redis-server does", () => {
    const { run } = setup();
    run("SET", "s", "hello");
    run("SET", "n", "12345");
    run("RPUSH", "l", "a", "b", "c");
    run("HSET", "h", "f", "v");
    const line = (r: unknown) => (r as { value: string }).value.replace(/at:0x[0-9a-f]+/, "at:ADDR").replace(/lru:\d+ lru_seconds_idle:\d+/, "lru:L");
    // redis-server 7.0, its address and LRU clock masked.
    expect(line(run("DEBUG", "OBJECT", "s"))).toBe("Value at:ADDR refcount:1 encoding:embstr serializedlength:6 lru:L");
    expect(line(run("DEBUG", "OBJECT", "n"))).toBe("Value at:ADDR refcount:1 encoding:int serializedlength:3 lru:L");
    expect(line(run("DEBUG", "OBJECT", "l"))).toBe(
      "Value at:ADDR refcount:1 encoding:quicklist serializedlength:19 lru:L ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:16",
    );
    expect(line(run("DEBUG", "OBJECT", "h"))).toBe("Value at:ADDR refcount:1 encoding:listpack serializedlength:14 lru:L");
    expect(run("DEBUG", "OBJECT", "missing")).toEqual(error("ERR no such key"));
  });

  it("passes SLEEP and SET-ACTIVE-EXPIRE to the shard, reading numbers as C's atof and atoi do", () => {
    const { run, calls } = setup();
    expect([run("DEBUG", "SLEEP", "0.25"), run("DEBUG", "sleep", "abc"), run("DEBUG", "SLEEP", "-1")]).toEqual([OK, OK, OK]);
    expect([run("DEBUG", "SET-ACTIVE-EXPIRE", "0"), run("DEBUG", "set-active-expire", "1"), run("DEBUG", "SET-ACTIVE-EXPIRE", "x")]).toEqual([OK, OK, OK]);
    expect(calls).toEqual(["sleep 250", "sleep 0", "sleep 0", "active-expire false", "active-expire true", "active-expire false"]);
  });

  it("refuses unknown subcommands and wrong argument counts as redis-server does", () => {
    const { run } = setup();
    expect(run("DEBUG", "nosuch")).toEqual(unknown("nosuch"));
    expect(run("DEBUG", "DIGEST", "x")).toEqual(unknown("DIGEST"));
    expect(run("DEBUG", "OBJECT")).toEqual(unknown("OBJECT"));
    expect(run("DEBUG", "SET-ACTIVE-EXPIRE")).toEqual(unknown("SET-ACTIVE-EXPIRE"));
    expect(run("DEBUG", "RELOAD", "foo")).toEqual(error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."));
    expect((run("DEBUG", "HELP") as { value: string }[])[0]).toEqual(simple("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  });

  it("RELOAD saves a snapshot, drops memory and loads it back, leaving the data unchanged", async () => {
    const storage = new NodeSqlStorage();
    const db = new Keyspace();
    const ex = new Executor(db, { maxValueBytes: 1 << 20 }, () => T0);
    const p = new ShardPersistence(storage, db, ex, { flushPending() {}, warn: () => {} });
    await p.recover();
    const run = (...argv: string[]) => {
      const { replies, effects } = ex.run([argv]);
      p.append(effects);
      p.afterBatch();
      return replies[0];
    };
    run("RPUSH", "l", "a", "b");
    run("SET", "s", "v", "PX", "100000");
    const before = digestHex(datasetDigest(db));
    const list = db.get("l");
    expect(run("DEBUG", "RELOAD")).toEqual(OK);
    expect(digestHex(datasetDigest(db))).toBe(before);
    expect(db.get("l")).not.toBe(list); // a new object: it was loaded back
    expect(p.info()).toContain("rdb_saves:1");
    expect(db.getExpire("s")).toBe(T0 + 100000);
  });
});

describe("the router's merge of DEBUG replies", () => {
  it("gives the cluster the digest one Redis would have for the same data", async () => {
    const pool = new MemoryPool(4);
    const single = new Keyspace();
    const ex = new Executor(single);
    const cmds = Array.from({ length: 200 }, (_, i) => [["SET", `s${i}`, `v${i}`], ["RPUSH", `l${i}`, "x", String(i)], ["SADD", `t${i}`, "a", String(i)]][i % 3]);
    for (const argv of cmds) {
      await pool.exec(pool.slots.shardOfKey(argv[1]), [argv]);
      ex.runOne(argv);
    }
    const debugOn = { maxValueBytes: 1 << 20, enableDebugCommand: true };
    const shardDigest = (i: number) => new Executor(pool.shards[i].db, debugOn).runOne(["DEBUG", "DIGEST"]);
    const replies = [0, 1, 2, 3].map(shardDigest);
    expect(mergeDebugReplies(["DEBUG", "DIGEST"], replies)).toEqual(simple(digestHex(datasetDigest(single))));
    // Two shards, one empty: the mix is kept once.
    expect(mergeDebugReplies(["DEBUG", "DIGEST"], [replies[0], simple("0".repeat(40))])).toEqual(replies[0]);
    expect(mergeDebugReplies(["DEBUG", "DIGEST"], [simple("0".repeat(40)), simple("0".repeat(40))])).toEqual(simple("0".repeat(40)));

    const keys = ["s0", "l1", "t2", "nope"];
    const perShard = [0, 1, 2, 3].map((i) => new Executor(pool.shards[i].db, debugOn).runOne(["DEBUG", "DIGEST-VALUE", ...keys]));
    expect(mergeDebugReplies(["DEBUG", "DIGEST-VALUE", ...keys], perShard)).toEqual(keys.map((k) => simple(digestHex(valueDigest(single, k)))));

    const objects = [0, 1, 2, 3].map((i) => new Executor(pool.shards[i].db, debugOn).runOne(["DEBUG", "OBJECT", "l1"]));
    expect(mergeDebugReplies(["DEBUG", "OBJECT", "l1"], objects)).toMatchObject({ kind: "simple", value: expect.stringContaining("encoding:quicklist") });
    expect(mergeDebugReplies(["DEBUG", "OBJECT", "nope"], [error("ERR no such key"), error("ERR no such key")])).toEqual(error("ERR no such key"));
    expect(mergeDebugReplies(["DEBUG", "DIGEST"], [DISABLED, DISABLED])).toEqual(DISABLED);
  });
});
