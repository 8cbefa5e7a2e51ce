// The shard's persistence in Node (src/shard/persistence.ts, src/shard/log.ts) on Node's
// SQLite standing in for Durable Object storage (test/support/node-sql.ts): the strict log
// parser, random datasets through snapshot and recovery, copy-on-write under random
// writes between slices, and the persistence commands' replies. The same code runs in
// workerd in test/workers/snapshot.test.ts (eviction, corruption, crashes).
import { describe, expect, it } from "vitest";
import { MEMORY_ONLY, type Persistence } from "../../src/commands/context";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { RdbFileReader } from "../../src/engine/rdb/file";
import { createDumpPayload } from "../../src/engine/rdb/dump";
import { error, OK, simple, type Reply } from "../../src/protocol/reply";
import { encodeCommandBinary } from "../../src/protocol/resp";
import { LogCorrupt, LogParser } from "../../src/shard/log";
import { ShardPersistence } from "../../src/shard/persistence";
import { binaryToBytes, bytesToBinary } from "../../src/util/binary";
import { Rng } from "../support/random";
import { NodeSqlStorage } from "../support/node-sql";

const T0 = 1_700_000_000_000;

// --- the log parser ---------------------------------------------------------------------

describe("the log parser", () => {
  it("reads commands split anywhere across pushes, binary arguments included", () => {
    const cmds = [["SET", "k", "v\r\n\x00\xff"], ["DEL", "a", "b"], ["INCR", "x".repeat(300)]];
    const stream = binaryToBytes(cmds.map(encodeCommandBinary).join(""));
    for (let cut = 1; cut < stream.length; cut += 7) {
      const p = new LogParser();
      const out: string[][] = [];
      for (let at = 0; at < stream.length; at += cut) {
        p.push(stream.subarray(at, at + cut));
        for (let c = p.next(); c; c = p.next()) out.push(c);
      }
      expect(out).toEqual(cmds);
      expect(p.buffered).toBe(0);
      expect(p.offset).toBe(stream.length);
    }
  });

  it("stops before a command cut short, keeping its offset", () => {
    const whole = encodeCommandBinary(["SET", "a", "1"]);
    const p = new LogParser();
    p.push(binaryToBytes(whole + encodeCommandBinary(["SET", "b", "2"]).slice(0, 12)));
    expect(p.next()).toEqual(["SET", "a", "1"]);
    expect(p.next()).toBe(null);
    expect(p.offset).toBe(whole.length);
    expect(p.buffered).toBe(12);
  });

  it("refuses bytes that are not multibulk commands", () => {
    for (const bad of ["PING\r\n", "*1\r\n+OK\r\n", "*1\r\n$2\r\nabXY", "*x\r\n", "*0\r\n", "*1\r\n$-1\r\n"]) {
      const p = new LogParser();
      p.push(binaryToBytes(bad));
      expect(() => p.next(), JSON.stringify(bad)).toThrow(LogCorrupt);
    }
  });
});

// --- persistence on Node's SQLite -------------------------------------------------------

/** A shard's keyspace, executor and persistence on `storage`; slices run when asked. */
async function shard(storage: NodeSqlStorage, clock = { now: T0 }) {
  const db = new Keyspace();
  const ex = new Executor(db, undefined, () => clock.now);
  const slices: (() => void)[] = [];
  const p = new ShardPersistence(storage, db, ex, { flushPending() {}, schedule: (fn) => slices.push(fn), sliceBytes: 512, warn: () => {} });
  await p.recover();
  return {
    db,
    p,
    /** Effects logged so far. */
    logged: 0,
    /** Runs a batch as the shard does: effects logged, requests carried out after it. */
    run(...batch: string[][]): Reply[] {
      return storage.turn(() => {
        const { replies, effects } = ex.run(batch);
        this.logged += effects.length;
        p.append(effects);
        p.afterBatch();
        return replies;
      });
    },
    /** Runs the next background slice; false when none is pending. */
    slice(): boolean {
      const fn = slices.shift();
      if (!fn) return false;
      storage.turn(fn);
      return true;
    },
  };
}

/** Every key with its DUMP and absolute expiry (read at the test's fixed time). */
function state(db: Keyspace): [string, string, number][] {
  const ex = new Executor(db, undefined, () => T0);
  const keys = [...db.keys()].sort();
  return keys.map((k) => [k, ex.runOne(["DUMP", k]) as string, ex.runOne(["PEXPIRETIME", k]) as number]);
}

/** A random command that writes one of a few dozen keys (all types, TTLs, binary). */
function randomWrite(rng: Rng): string[] {
  const key = `k:${rng.int(40)}${rng.chance(0.2) ? "\x00\xff" : ""}`;
  const member = rng.chance(0.5) ? String(rng.int(100)) : rng.bytes(rng.int(12));
  switch (rng.int(14)) {
    case 0:
      return ["SET", key, rng.bytes(rng.int(200))];
    case 1:
      return ["INCRBY", `n:${rng.int(5)}`, String(rng.range(-5, 5))];
    case 2:
      return ["RPUSH", `l:${key}`, member, member];
    case 3:
      return ["LPOP", `l:${key}`];
    case 4:
      return ["HSET", `h:${key}`, member, rng.bytes(rng.int(100))];
    case 5:
      return ["HDEL", `h:${key}`, member];
    case 6:
      return ["SADD", `s:${key}`, member];
    case 7:
      return ["SREM", `s:${key}`, member];
    case 8:
      return ["ZADD", `z:${key}`, String(rng.range(-100, 100) / 4), member];
    case 9:
      return ["ZREM", `z:${key}`, member];
    case 10:
      return ["PEXPIRE", rng.pick([key, `l:${key}`, `h:${key}`]), String(rng.range(1000, 1_000_000))];
    case 11:
      return ["PERSIST", rng.pick([key, `s:${key}`, `z:${key}`])];
    case 12:
      return ["DEL", rng.pick([key, `l:${key}`, `h:${key}`, `s:${key}`, `z:${key}`])];
    default:
      return ["APPEND", key, member];
  }
}

function payloadsOf(storage: NodeSqlStorage, db: Keyspace): Map<string, [string, number]> {
  const reader = new RdbFileReader(db.settings);
  for (const row of storage.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM snapshot_chunk ORDER BY seq")) reader.push(new Uint8Array(row.data));
  reader.finish();
  const image = new Map<string, [string, number]>();
  for (let rec = reader.next(); rec; rec = reader.next()) {
    if (rec.kind !== "key") continue;
    // Each key at most once: a snapshot is a valid RDB file (Redis refuses duplicates).
    expect(image.has(rec.key), `duplicate ${rec.key}`).toBe(false);
    image.set(rec.key, [bytesToBinary(createDumpPayload(rec.value, db.settings)), rec.expireAt ?? -1]);
  }
  return image;
}

describe("snapshots and recovery on SQLite", () => {
  it("bring random datasets back identical from a snapshot plus the log after it", async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Rng(seed);
      const storage = new NodeSqlStorage();
      const a = await shard(storage);
      for (let i = 0; i < 300; i++) a.run(randomWrite(rng));
      expect(a.run(["SAVE"])).toEqual([OK]);
      const loggedAtSave = a.logged;
      for (let i = 0; i < 100; i++) a.run(randomWrite(rng));
      const expected = state(a.db);
      const b = await shard(storage);
      expect(state(b.db), `seed ${seed}`).toEqual(expected);
      expect(b.p.info()).toContain(`last_load_log_entries:${a.logged - loggedAtSave}`);
      expect(b.p.info()).toContain(`rdb_last_load_keys_loaded:${Number(a.p.info().find((l) => l.startsWith("snapshot_keys:"))!.split(":")[1])}`);
    }
  });

  it("keeps the image of the start under random writes between slices (copy-on-write)", async () => {
    for (let seed = 10; seed < 20; seed++) {
      const rng = new Rng(seed);
      const storage = new NodeSqlStorage();
      const a = await shard(storage);
      for (let i = 0; i < 400; i++) a.run(randomWrite(rng));
      const atStart = state(a.db);
      expect(a.run(["BGSAVE"])).toEqual([simple("Background saving started")]);
      let writes = 0;
      while (a.slice()) {
        for (let i = rng.int(4); i > 0; i--, writes++) a.run(randomWrite(rng));
      }
      expect(writes).toBeGreaterThan(10);
      // The snapshot holds exactly the keys of the start, each with its value of then.
      const image = payloadsOf(storage, a.db);
      expect([...image.keys()].sort(), `seed ${seed}`).toEqual(atStart.map(([k]) => k));
      for (const [k, dump, at] of atStart) expect(image.get(k), `seed ${seed} ${k}`).toEqual([dump, at]);
      // And snapshot + log is the live state.
      const live = state(a.db);
      const b = await shard(storage);
      expect(state(b.db), `seed ${seed}`).toEqual(live);
    }
  });

  it("reports the snapshot in INFO persistence and LASTSAVE", async () => {
    const storage = new NodeSqlStorage();
    const clock = { now: T0 };
    const a = await shard(storage, clock);
    a.run(["SET", "a", "1"], ["RPUSH", "l", "x"]);
    expect(a.p.info()).not.toContain("rdb_changes_since_last_save:0");
    a.run(["BGSAVE"]);
    expect(a.p.info()).toContain("rdb_bgsave_in_progress:1");
    while (a.slice());
    const info = a.p.info();
    for (const line of ["rdb_bgsave_in_progress:0", "rdb_last_bgsave_status:ok", "rdb_saves:1", "rdb_changes_since_last_save:0", "snapshot_keys:2", "log_bytes:0", "aof_enabled:1"]) {
      expect(info).toContain(line);
    }
    expect(a.run(["LASTSAVE"])[0]).toBe(Math.floor(Date.now() / 1000));
  });
});

// --- the commands ---------------------------------------------------------------------------

/** A persistence that records what it was asked, for the command-level tests. */
function fake(): Persistence & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    save: () => void calls.push("save"),
    background: (kind, schedule) => {
      calls.push(`${kind}${schedule ? " schedule" : ""}`);
      return kind === "bgsave" ? "Background saving started" : "Background append only file rewriting started";
    },
    lastSave: () => 1_700_000_000,
    info: () => ["# Persistence", "loading:0"],
    reload: () => void calls.push("reload"),
  };
}

describe("SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE", () => {
  it("ask the shard's persistence, with Redis's replies and argument errors", () => {
    const ex = new Executor(new Keyspace());
    const p = fake();
    ex.persistence = p;
    expect(ex.runOne(["SAVE"])).toEqual(OK);
    expect(ex.runOne(["bgsave"])).toEqual(simple("Background saving started"));
    expect(ex.runOne(["BGSAVE", "schedule"])).toEqual(simple("Background saving started"));
    expect(ex.runOne(["BGSAVE", "later"])).toEqual(error("ERR syntax error"));
    expect(ex.runOne(["BGSAVE", "schedule", "x"])).toEqual(error("ERR syntax error"));
    expect(ex.runOne(["BGREWRITEAOF"])).toEqual(simple("Background append only file rewriting started"));
    expect(ex.runOne(["LASTSAVE"])).toBe(1_700_000_000);
    expect(ex.runOne(["SAVE", "x"])).toEqual(error("ERR wrong number of arguments for 'save' command"));
    expect(p.calls).toEqual(["save", "bgsave", "bgsave schedule", "bgrewriteaof"]);
    expect(ex.runOne(["INFO", "persistence"])).toBe("# Persistence\r\nloading:0\r\n");
  });

  it("do nothing harmful without storage (a plain Executor keeps memory only)", () => {
    const ex = new Executor(new Keyspace());
    expect(ex.persistence).toBe(MEMORY_ONLY);
    expect(ex.runOne(["SAVE"])).toEqual(OK);
    expect(ex.runOne(["LASTSAVE"])).toEqual(expect.any(Number));
  });

  it("answer as redis-server 7.0 when a snapshot is already under way", async () => {
    const a = await shard(new NodeSqlStorage());
    a.run(["SET", "k", "v"]);
    expect(a.run(["BGSAVE"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"], ["SAVE"], ["BGREWRITEAOF"], ["BGREWRITEAOF"])).toEqual([
      simple("Background saving started"),
      error("ERR Background save already in progress"),
      error("ERR Background save already in progress"),
      error("ERR Background save already in progress"),
      simple("Background append only file rewriting scheduled"),
      simple("Background append only file rewriting scheduled"),
    ]);
    // The BGSAVE ends and the scheduled rewrite starts at once.
    while (a.p.info().includes("rdb_bgsave_in_progress:1")) a.slice();
    expect(a.p.info()).toContain("aof_rewrite_in_progress:1");
    expect(a.run(["BGREWRITEAOF"], ["BGREWRITEAOF"], ["BGSAVE"], ["BGSAVE", "SCHEDULE"])).toEqual([
      error("ERR Background append only file rewriting already in progress"),
      error("ERR Background append only file rewriting already in progress"),
      error("ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible."),
      simple("Background saving scheduled"),
    ]);
    while (a.slice());
    expect(a.p.info()).toEqual(expect.arrayContaining(["rdb_saves:2", "aof_rewrites:1", "rdb_bgsave_in_progress:0", "aof_rewrite_in_progress:0"]));
  });
});
