/**
 * The snapshot benchmark's body (run by scripts/snapshot-bench.mjs, bundled with esbuild):
 * builds shards of 10, 50, 64 and 100 MB of mixed data in Node, takes a background
 * snapshot slice by slice with write traffic between slices (copy-on-write included),
 * and reports the longest pause a request could see, the snapshot's time and size, and
 * the time to recover the shard from the snapshot — on Node's V8 and SQLite, which stand
 * in for workerd's (same engine, same database; no network or Durable Object overheads).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Executor } from "../src/commands/execute";
import { HashValue } from "../src/engine/hash";
import { Keyspace } from "../src/engine/keyspace";
import { ListValue } from "../src/engine/list";
import { RedisSet } from "../src/engine/set";
import { SortedSet } from "../src/engine/zset";
import { DEFAULT_SLICE_BYTES, ShardPersistence } from "../src/shard/persistence";
import { NodeSqlStorage } from "../test/support/node-sql";

const MB = 1024 * 1024;
const sizes = (process.env.SNAPSHOT_BENCH_MB ?? "10,50,64,100").split(",").map(Number);
const sliceBytes = Number(process.env.SNAPSHOT_BENCH_SLICE ?? DEFAULT_SLICE_BYTES);

let seed = 12345;
function rand(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}
function text(n: number): string {
  let s = "";
  while (s.length < n) s += `${rand(1e9).toString(36)}-`;
  return s.slice(0, n);
}

/** Fills `db` with a mix of types until its accounted memory reaches `bytes`. */
function populate(db: Keyspace, bytes: number): number {
  const s = db.settings;
  let i = 0;
  while (db.usedMemory < bytes) {
    for (let k = 0; k < 1000; k++, i++) {
      const key = `key:${i}`;
      switch (i % 10) {
        case 0:
        case 1:
        case 2:
        case 3:
          db.set(key, text(50 + rand(1500)));
          break;
        case 4:
        case 5:
          db.set(key, new ListValue(Array.from({ length: 20 + rand(180) }, () => text(10 + rand(50)))));
          break;
        case 6:
        case 7: {
          const h = new HashValue();
          const n = 10 + rand(90);
          for (let j = 0; j < n; j++) h.set(`field:${j}`, text(5 + rand(60)), s);
          db.set(key, h);
          break;
        }
        case 8: {
          const n = 10 + rand(90);
          const ints = i % 20 === 8;
          const set = RedisSet.forMember(ints ? "1" : "a");
          for (let j = 0; j < n; j++) set.add(ints ? String(rand(1e9)) : text(8 + rand(30)), s);
          db.set(key, set);
          break;
        }
        default: {
          const n = 10 + rand(90);
          const z = SortedSet.forFirstMember("m", s);
          for (let j = 0; j < n; j++) z.add(rand(1e6) / 7, `member:${j}:${text(rand(20))}`, 0, s);
          db.set(key, z);
        }
      }
      if (i % 13 === 0) db.setExpire(key, Date.now() + 3_600_000 + i);
    }
  }
  return i;
}

/** A small batch of writes, as traffic between slices: overwrites, in-place changes, new keys. */
function traffic(keys: number, round: number): string[][] {
  const batch: string[][] = [];
  for (let j = 0; j < 20; j++) {
    const i = rand(keys);
    switch (i % 10) {
      case 4:
      case 5:
        batch.push(["RPUSH", `key:${i}`, `pushed:${round}`]);
        break;
      case 6:
      case 7:
        batch.push(["HSET", `key:${i}`, `field:new:${round}`, "v"]);
        break;
      case 8:
        batch.push(["SADD", `key:${i}`, `m:${round}`]);
        break;
      case 9:
        batch.push(["ZADD", `key:${i}`, "1.5", `z:${round}`]);
        break;
      default:
        batch.push(["SET", `key:${i}`, text(100)]);
    }
  }
  batch.push(["INCR", `counter:${round % 100}`]);
  return batch;
}

function ms(t: number): string {
  return t.toFixed(1);
}

async function benchOne(targetMb: number) {
  const dir = mkdtempSync(join(tmpdir(), "hotslot-snap-"));
  const storage = new NodeSqlStorage(join(dir, "shard.sqlite"));
  const queue: (() => void)[] = [];
  const db = new Keyspace();
  const ex = new Executor(db);
  const persistence = new ShardPersistence(storage, db, ex, {
    flushPending() {},
    schedule: (fn) => queue.push(fn),
    sliceBytes,
    warn: () => {},
  });
  await persistence.recover();
  const keys = populate(db, targetMb * MB);
  const used = db.usedMemory;

  // BGSAVE, then slices with a batch of writes between each two, everything timed.
  // Each request and each slice is one event, committed at its end, as in a Durable Object.
  const run = (batch: string[][]) => {
    const t0 = performance.now();
    storage.turn(() => {
      const { effects } = ex.run(batch);
      persistence.append(effects);
      persistence.afterBatch();
    });
    return performance.now() - t0;
  };
  const started = performance.now();
  let worstBatch = run([["BGSAVE"]]);
  let worstSlice = 0;
  let slices = 0;
  let round = 0;
  const sliceTimes: number[] = [];
  while (queue.length > 0) {
    const fn = queue.shift()!;
    const t0 = performance.now();
    storage.turn(fn);
    const t = performance.now() - t0;
    sliceTimes.push(t);
    worstSlice = Math.max(worstSlice, t);
    slices++;
    worstBatch = Math.max(worstBatch, run(traffic(keys, round++)));
  }
  const snapshotMs = performance.now() - started;
  const info = Object.fromEntries(persistence.info().slice(1).map((l) => l.split(":") as [string, string]));
  const worstAt = sliceTimes.indexOf(worstSlice);
  sliceTimes.sort((a, b) => a - b);
  const median = sliceTimes[sliceTimes.length >> 1] ?? 0;
  if (process.env.SNAPSHOT_BENCH_DEBUG) console.log({ worstAt, median, top: sliceTimes.slice(-5) });
  const p99 = sliceTimes[Math.min(sliceTimes.length - 1, Math.floor(sliceTimes.length * 0.99))] ?? 0;

  // Recovery into a fresh shard from the same storage (the snapshot plus the log after it).
  const db2 = new Keyspace();
  const ex2 = new Executor(db2);
  const p2 = new ShardPersistence(storage, db2, ex2, { flushPending() {}, warn: () => {} });
  const t0 = performance.now();
  await p2.recover();
  const recoverMs = performance.now() - t0;
  const same = db2.size === db.size;
  storage.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    targetMb,
    keys: db.size,
    usedMb: used / MB,
    snapshotMb: Number(info.snapshot_bytes) / MB,
    chunks: Number(info.snapshot_chunks),
    slices,
    snapshotMs,
    worstSlice,
    p99,
    worstBatch,
    recoverMs,
    recoveredKeys: db2.size,
    same,
  };
}

console.log(`slice size ${sliceBytes} bytes of snapshot output; traffic: a batch of 21 writes between slices`);
console.log(
  "data MB | keys     | snapshot MB | chunks | slices | snapshot ms | worst slice ms | p99 slice ms | worst write batch ms | recovery ms | recovered",
);
for (const mb of sizes) {
  const r = await benchOne(mb);
  console.log(
    [
      r.usedMb.toFixed(0).padStart(7),
      String(r.keys).padEnd(8),
      r.snapshotMb.toFixed(1).padStart(11),
      String(r.chunks).padStart(6),
      String(r.slices).padStart(6),
      ms(r.snapshotMs).padStart(11),
      ms(r.worstSlice).padStart(14),
      ms(r.p99).padStart(12),
      ms(r.worstBatch).padStart(20),
      ms(r.recoverMs).padStart(11),
      r.same ? "all keys" : `MISMATCH ${r.recoveredKeys}/${r.keys}`,
    ].join(" | "),
  );
}
