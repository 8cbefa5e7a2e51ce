// The replication offset derived from storage (issue 10; src/shard/log.ts, snapshot-store.ts,
// persistence.ts, role.ts): a primary and its replica wired as the shard wires them
// (ShardPersistence, EffectStream, ShardReplication) on Node's SQLite standing in for Durable
// Object storage. A commit writes its log rows and no other statement, on the primary and on
// the replica; after a restart — between commits, after a crash that lost a commit, mid-way
// through a snapshot, after compaction, after a full resync — the offset is exactly the
// effects storage holds and memory equals the primary's at that offset; and a database from
// before the offset columns (the offset in the replication table) loads at that offset.
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { datasetDigest, digestHex } from "../../src/engine/digest";
import { Keyspace } from "../../src/engine/keyspace";
import { encodeCommandBinary } from "../../src/protocol/resp";
import { EffectStream } from "../../src/shard/effects";
import { primaryName, replicaName } from "../../src/shard/group";
import { ShardPersistence } from "../../src/shard/persistence";
import { effectsBytes } from "../../src/shard/replication-backlog";
import { ShardReplication, type ReplicationPeer } from "../../src/shard/replication";
import { binaryToBytes } from "../../src/util/binary";
import { NodeSqlStorage } from "../support/node-sql";
import { Rng } from "../support/random";

const T0 = 1_700_000_000_000;
const PRIMARY = primaryName(0);
const REPLICA = replicaName(0, 1);

/** Every SQL statement a storage runs, in order (the test's seam into the per-commit cost). */
function countStatements(storage: NodeSqlStorage): string[] {
  const seen: string[] = [];
  const sql = storage.sql as unknown as { exec: (q: string, ...b: unknown[]) => unknown };
  const exec = sql.exec;
  sql.exec = (q, ...b) => {
    seen.push(q);
    return exec(q, ...b);
  };
  return seen;
}

/** Objects of one group, by name: what `peer(name)` reaches (a restarted object replaces its entry). */
type Group = Map<string, ShardObject>;

interface ShardObject {
  readonly storage: NodeSqlStorage;
  readonly db: Keyspace;
  readonly persistence: ShardPersistence;
  readonly effects: EffectStream;
  readonly repl: ShardReplication;
  /** Runs a batch as the shard does in one Durable Object event: applied, staged, committed, requests carried out. */
  write(...batch: string[][]): void;
  /** Runs the next queued snapshot slice (BGSAVE, BGREWRITEAOF) as its own event; false when none. */
  slice(): boolean;
}

/** An object on `storage`, started as the shard starts one: recovery, then its role. */
async function start(group: Group, name: string, storage: NodeSqlStorage): Promise<ShardObject> {
  const db = new Keyspace();
  const executor = new Executor(db, undefined, () => T0);
  const slices: (() => void)[] = [];
  let effects: EffectStream | null = null;
  const persistence = new ShardPersistence(storage, db, executor, {
    flushPending: () => effects!.flush(),
    schedule: (fn) => slices.push(fn),
    warn: () => {},
  });
  effects = new EffectStream(persistence, {
    abort: (reason) => {
      throw new Error(reason);
    },
  });
  const peer = (to: string): ReplicationPeer => ({
    replicate: async (msg) => {
      const target = group.get(to);
      if (!target) throw new Error(`${to} is down`);
      return target.repl.sink.receive(msg);
    },
    replicaHello: async (from) => group.get(to)?.repl.hello(from),
  });
  const repl = new ShardReplication({ sql: storage.sql, name, group: 0, replicas: 1, db, executor, effects, persistence, peer, later: (fn, ms) => void setTimeout(fn, ms) });
  await persistence.recover();
  repl.start();
  const stream = effects;
  const object: ShardObject = {
    storage,
    db,
    persistence,
    effects: stream,
    repl,
    write(...batch) {
      storage.turn(() => {
        stream.stage(executor.run(batch).effects);
        persistence.afterBatch();
        stream.flush();
      });
    },
    slice() {
      const fn = slices.shift();
      if (!fn) return false;
      storage.turn(fn);
      return true;
    },
  };
  group.set(name, object);
  return object;
}

const digest = (db: Keyspace) => digestHex(datasetDigest(db));

/** Waits (real timers: the source paces its shipments) until `replica` has applied what `primary` committed. */
async function caughtUp(primary: ShardObject, replica: ShardObject): Promise<void> {
  for (let i = 0; i < 400 && replica.repl.source.offset !== primary.repl.source.offset; i++) await new Promise((r) => setTimeout(r, 5));
  expect(replica.repl.source.offset).toBe(primary.repl.source.offset);
}

/** A random write to a few dozen keys; some batches are large enough to span several log rows. */
function randomBatch(rng: Rng): string[][] {
  const key = () => `k:${rng.int(30)}`;
  const batch: string[][] = [];
  for (let n = 1 + rng.int(4); n > 0; n--) {
    switch (rng.int(5)) {
      case 0:
        batch.push(["SET", key(), rng.bytes(rng.int(300))]);
        break;
      case 1:
        batch.push(["INCRBY", `n:${rng.int(4)}`, String(rng.range(-9, 9))]);
        break;
      case 2:
        batch.push(["RPUSH", `l:${rng.int(5)}`, rng.bytes(rng.int(20))]);
        break;
      case 3:
        batch.push(["DEL", key()]);
        break;
      default:
        batch.push(["HSET", `h:${rng.int(5)}`, String(rng.int(50)), rng.bytes(rng.int(40))]);
    }
  }
  return batch;
}

/** A primary and its replica, caught up after `writes` random batches. */
async function pair(seed: number, writes: number) {
  const group: Group = new Map();
  const rng = new Rng(seed);
  const replicaStorage = new NodeSqlStorage();
  const replica = await start(group, REPLICA, replicaStorage);
  const primary = await start(group, PRIMARY, new NodeSqlStorage());
  for (let i = 0; i < writes; i++) primary.write(...randomBatch(rng));
  await caughtUp(primary, replica);
  return { group, rng, replicaStorage, replica, primary };
}

describe("a commit's SQL statements", () => {
  it("are its log rows and nothing else, on the primary and on the replica applying it", async () => {
    const group: Group = new Map();
    const replica = await start(group, REPLICA, new NodeSqlStorage());
    const primary = await start(group, PRIMARY, new NodeSqlStorage());
    primary.write(["SET", "warm", "up"]);
    await caughtUp(primary, replica);
    const onPrimary = countStatements(primary.storage);
    const onReplica = countStatements(replica.storage);
    for (let i = 0; i < 20; i++) {
      onPrimary.length = 0;
      onReplica.length = 0;
      primary.write(["SET", `key:${i}`, "value"], ["INCR", "counter"]);
      // One commit, one row: the offset rides in it (no INSERT OR REPLACE INTO replication).
      expect(onPrimary).toEqual(["INSERT INTO log (id, data, stream_start) VALUES (?, ?, ?)"]);
      await caughtUp(primary, replica);
      // The replica applies the shipment through its own log: one row, nothing else.
      expect(onReplica).toEqual(["INSERT INTO log (id, data, stream_start) VALUES (?, ?, ?)"]);
    }
    // A batch over CHUNK_BYTES spans rows: still nothing but its rows.
    onPrimary.length = 0;
    primary.write(["SET", "big", "x".repeat(1_500_000)]);
    expect(onPrimary).toEqual(Array(2).fill("INSERT INTO log (id, data, stream_start) VALUES (?, ?, ?)"));
    await caughtUp(primary, replica);
  });
});

describe("the replication offset after a restart", () => {
  it("is exactly what storage holds, with memory equal to it, through commits, crashes, snapshots and compaction", async () => {
    const rng = new Rng(10);
    const storage = new NodeSqlStorage();
    let primary = await start(new Map(), PRIMARY, storage);
    let offset = 0;
    for (let round = 0; round < 60; round++) {
      const batch = randomBatch(rng);
      const action = rng.int(8);
      if (action === 0) {
        // A crash in the middle of the commit's event: its writes never became durable.
        const before = digest(primary.db);
        expect(() =>
          storage.turn(() => {
            primary.write(...batch);
            throw new Error("SIGKILL");
          }),
        ).toThrow("SIGKILL");
        primary = await start(new Map(), PRIMARY, storage);
        expect(primary.repl.source.offset).toBe(offset);
        expect(digest(primary.db)).toBe(before);
        continue;
      }
      primary.write(...batch);
      const committed = primary.repl.source.offset;
      expect(primary.persistence.streamOffset).toBe(committed);
      expect(committed).toBeGreaterThanOrEqual(offset);
      offset = committed;
      if (action === 1) primary.write(["SAVE"]);
      if (action === 2) primary.write(["BGREWRITEAOF"]);
      if (action === 3) primary.slice(); // one slice of a snapshot under way (or none)
      if (action === 4 || action === 1) {
        // A restart between commits (possibly mid-way through a snapshot, or right after compaction).
        const expected = digest(primary.db);
        primary = await start(new Map(), PRIMARY, storage);
        expect(primary.repl.source.offset).toBe(offset);
        expect(primary.persistence.streamOffset).toBe(offset);
        expect(digest(primary.db)).toBe(expected);
      }
    }
    // After a full compaction the log is empty: the snapshot alone says where the stream is.
    primary.write(["SAVE"]);
    expect(storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM log").one().n).toBe(0);
    const expected = digest(primary.db);
    primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(offset);
    expect(digest(primary.db)).toBe(expected);
  });

  it("on a replica is the primary's offset its data stands at, and it resumes with a partial resync", async () => {
    const { group, rng, replicaStorage, primary, ...first } = await pair(11, 30);
    let replica = first.replica;
    replica.write(["SAVE"]); // compacts the replica's log: its offset is in its snapshot now
    for (let i = 0; i < 30; i++) primary.write(...randomBatch(rng));
    await caughtUp(primary, replica);
    expect(replica.repl.sink.fullSyncs).toBe(1); // the first contact
    group.delete(REPLICA);
    replica = await start(group, REPLICA, replicaStorage);
    expect(replica.repl.source.offset).toBe(primary.repl.source.offset);
    expect(digest(replica.db)).toBe(digest(primary.db));
    // The primary goes on from the replica's offset: no full resync after the restart.
    for (let i = 0; i < 10; i++) primary.write(...randomBatch(rng));
    replica.repl.hello(PRIMARY);
    primary.repl.hello(REPLICA);
    await caughtUp(primary, replica);
    expect(replica.repl.sink.fullSyncs).toBe(0);
    expect(digest(replica.db)).toBe(digest(primary.db));
  });

  it("after a full resync is the image's offset, durable with the image", async () => {
    const group: Group = new Map();
    const rng = new Rng(12);
    const primary = await start(group, PRIMARY, new NodeSqlStorage());
    for (let i = 0; i < 40; i++) primary.write(...randomBatch(rng));
    // The replica has a log of its own (another stream) before it first hears from the primary.
    const replicaStorage = new NodeSqlStorage();
    group.delete(REPLICA);
    let replica = await start(new Map(), REPLICA, replicaStorage);
    replica.storage.turn(() => {
      replica.effects.stage([["SET", "stale", "data"]]);
      replica.effects.flush();
    });
    replica = await start(group, REPLICA, replicaStorage);
    primary.repl.hello(REPLICA);
    await caughtUp(primary, replica);
    expect(replica.repl.sink.fullSyncs).toBe(1);
    group.delete(REPLICA);
    replica = await start(group, REPLICA, replicaStorage);
    expect(replica.repl.source.offset).toBe(primary.repl.source.offset);
    expect(replica.db.peek("stale")).toBeUndefined();
    expect(digest(replica.db)).toBe(digest(primary.db));
  });

  it("after a promotion continues the stream it followed, under a new replication id", async () => {
    const { group, replicaStorage, ...first } = await pair(13, 20);
    let replica = first.replica;
    const followed = replica.repl.source.replid;
    const at = replica.repl.source.offset;
    group.delete(PRIMARY); // the primary is gone; the monitors promote the replica
    replica.repl.configure({ group: 0, epoch: 2, primary: REPLICA, replicas: [PRIMARY] });
    replica.write(["SET", "after", "promotion"]);
    const offset = replica.repl.source.offset;
    expect(offset).toBe(at + effectsBytes([["SET", "after", "promotion"]]));
    const expected = digest(replica.db);
    const replid = replica.repl.source.replid;
    group.delete(REPLICA);
    replica = await start(group, REPLICA, replicaStorage);
    expect(replica.repl.source.offset).toBe(offset);
    expect(replica.repl.source.replid).toBe(replid);
    expect(replica.repl.source.replid2).toBe(followed);
    expect(replica.repl.source.replid2End).toBe(at);
    expect(digest(replica.db)).toBe(expected);
  });
});

describe("a database from before the offset columns", () => {
  it("loads at the replication table's offset, then records offsets in its rows and snapshots", async () => {
    const storage = new NodeSqlStorage();
    const sql = storage.sql;
    // As the code before issue 10 left it: no stream_start, no stream_offset, the offset a row of its own.
    sql.exec("CREATE TABLE log (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
    sql.exec("CREATE TABLE snapshot_meta (id INTEGER PRIMARY KEY, log_upto INTEGER NOT NULL, chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, keys INTEGER NOT NULL, created INTEGER NOT NULL)");
    sql.exec("CREATE TABLE replication (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
    const old = [["SET", "a", "1"], ["RPUSH", "l", "x", "y"], ["SET", "b", "2"]];
    old.forEach((argv, i) => sql.exec("INSERT INTO log (id, data) VALUES (?, ?)", i + 1, binaryToBytes(encodeCommandBinary(argv))));
    const legacy = 5_000 + effectsBytes(old);
    for (const [k, v] of [["config", JSON.stringify({ group: 0, epoch: 1, primary: PRIMARY, replicas: [REPLICA] })], ["replid", "a".repeat(40)], ["offset", String(legacy)], ["replid2", ""], ["replid2End", "-1"]]) {
      sql.exec("INSERT INTO replication (k, v) VALUES (?, ?)", k, v);
    }
    let primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(legacy);
    expect(primary.repl.source.replid).toBe("a".repeat(40));
    expect(primary.db.size).toBe(3);
    // New rows carry their stream start; the old ones keep NULL.
    primary.write(["SET", "c", "3"]);
    const offset = legacy + effectsBytes([["SET", "c", "3"]]);
    expect(primary.repl.source.offset).toBe(offset);
    expect(sql.exec<{ s: number | null }>("SELECT stream_start AS s FROM log ORDER BY id").toArray().map((r) => r.s)).toEqual([null, null, null, legacy]);
    primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(offset);
    // A snapshot now records the offset: the log empty, the table's old row is not what counts.
    primary.write(["SAVE"]);
    sql.exec("UPDATE replication SET v = '1' WHERE k = 'offset'");
    primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(offset);
    expect([...primary.db.keys()].sort()).toEqual(["a", "b", "c", "l"]);
  });

  it("keeps the torn-entry cut exact: the offset is the bytes kept", async () => {
    const storage = new NodeSqlStorage();
    let primary = await start(new Map(), PRIMARY, storage);
    primary.write(["SET", "a", "1"]);
    const kept = primary.repl.source.offset;
    primary.write(["SET", "b", "a value that will be torn"]);
    const last = storage.sql.exec<{ id: number; data: ArrayBuffer }>("SELECT id, data FROM log ORDER BY id DESC LIMIT 1").one();
    storage.sql.exec("UPDATE log SET data = ? WHERE id = ?", new Uint8Array(last.data).slice(0, last.data.byteLength - 7), last.id);
    primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(kept);
    expect(primary.db.peek("b")).toBeUndefined();
    primary.write(["SET", "c", "3"]);
    const offset = primary.repl.source.offset;
    primary = await start(new Map(), PRIMARY, storage);
    expect(primary.repl.source.offset).toBe(offset);
    expect(primary.db.size).toBe(2);
  });
});
