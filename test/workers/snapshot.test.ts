/**
 * Snapshots and compaction inside workerd (src/shard/persistence.ts): BGSAVE, SAVE and the
 * automatic trigger write a chunked snapshot and drop the log it covers; a shard evicted
 * from memory comes back identical from snapshot + log; a snapshot interrupted at any
 * point leaves the old snapshot and the whole log in force; writes during a sliced
 * snapshot are copied before they land, so the snapshot is the image of its start; a torn
 * last log entry is cut and reported; a corrupt snapshot chunk or log makes the shard
 * refuse every command with a clear error.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createDumpPayload } from "../../src/engine/rdb/dump";
import { RdbFileReader } from "../../src/engine/rdb/file";
import { defaultSettings } from "../../src/engine/settings";
import { bytesToBinary } from "../../src/util/binary";
import { lcgBytes } from "../support/random";
import { cmd, http, shardStub, shardStubOfKey } from "./helpers";

/** Runs `fn` inside the shard Durable Object that owns `key`. */
function inShard<R>(key: string, fn: (shard: any, state: DurableObjectState) => R | Promise<R>): Promise<R> {
  return (runInDurableObject as any)(shardStubOfKey(key), fn);
}

/** Runs a batch on the shard owning `key`, straight to the Durable Object. */
function shardExec(key: string, batch: string[][]): Promise<any[]> {
  return inShard(key, (shard) => shard.exec(batch));
}

function field(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)$`, "m").exec(info);
  if (!m) throw new Error(`no ${name} in INFO`);
  return m[1].trim();
}

async function shardInfo(key: string): Promise<string> {
  const [reply] = await shardExec(key, [["INFO", "persistence"]]);
  return reply as string;
}

/** Every key of the tag with its DUMP and absolute expiry: the shard's state, comparable. */
async function state(tag: string): Promise<[string, string, number][]> {
  const [keys] = await shardExec(tag, [["KEYS", `${tag}*`]]);
  const sorted = (keys as string[]).sort();
  const replies = await shardExec(tag, sorted.flatMap((k) => [["DUMP", k], ["PEXPIRETIME", k]]));
  return sorted.map((k, i) => [k, replies[2 * i] as string, replies[2 * i + 1] as number]);
}

/** Writes a mixed dataset under `tag`: every type, binary keys and values, TTLs. */
async function populate(tag: string, n: number): Promise<void> {
  const batch: string[][] = [];
  for (let i = 0; i < n; i++) {
    const k = `${tag}:${i}:\x00\xff`;
    switch (i % 5) {
      case 0:
        batch.push(["SET", `${k}s`, `value-${i}-\x01\x02${"x".repeat(i % 50)}`]);
        break;
      case 1:
        batch.push(["RPUSH", `${k}l`, ...Array.from({ length: 1 + (i % 30) }, (_, j) => `e${j}`)]);
        break;
      case 2:
        batch.push(["HSET", `${k}h`, ...Array.from({ length: 1 + (i % 20) }, (_, j) => [`f${j}`, `${j * i}`]).flat()]);
        break;
      case 3:
        batch.push(["SADD", `${k}t`, ...Array.from({ length: 1 + (i % 25) }, (_, j) => (i % 2 ? `m${j}` : String(j * 7)))]);
        break;
      default:
        batch.push(["ZADD", `${k}z`, ...Array.from({ length: 1 + (i % 15) }, (_, j) => [String(j / 3), `m${j}`]).flat()]);
    }
    if (i % 7 === 0) batch.push(["PEXPIRE", batch[batch.length - 1][1], String(3_600_000 + i)]);
  }
  const replies = await shardExec(tag, batch);
  for (const r of replies) expect(r).not.toMatchObject({ kind: "error" });
}

async function storageCounts(tag: string): Promise<{ log: number; meta: number; chunks: number }> {
  return inShard(tag, (_shard, state) => {
    const sql = state.storage.sql;
    const count = (table: string) => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { log: count("log"), meta: count("snapshot_meta"), chunks: count("snapshot_chunk") };
  });
}

/** Waits until the shard owning `tag` has no snapshot in progress. */
async function settled(tag: string): Promise<string> {
  return settledStub(shardStubOfKey(tag));
}

async function settledStub(stub: DurableObjectStub): Promise<string> {
  for (let i = 0; i < 500; i++) {
    const [info] = await (runInDurableObject as any)(stub, (shard: any) => shard.exec([["INFO", "persistence"]]));
    if (field(info, "rdb_bgsave_in_progress") === "0" && field(info, "aof_rewrite_in_progress") === "0") return info;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("the snapshot never finished");
}

describe("snapshots and compaction", () => {
  it("BGSAVE writes a chunked snapshot, drops the log it covers, and the shard recovers identical", async () => {
    const tag = "{bg}";
    await populate(tag, 400);
    const before = await state(tag);
    expect((await storageCounts(tag)).log).toBeGreaterThan(0);
    const [reply] = await shardExec(tag, [["BGSAVE"]]);
    expect(reply).toEqual({ kind: "simple", value: "Background saving started" });
    const info = await settled(tag);
    expect(field(info, "rdb_last_bgsave_status")).toBe("ok");
    expect(Number(field(info, "rdb_saves"))).toBeGreaterThanOrEqual(1);
    expect(Number(field(info, "snapshot_keys"))).toBe(before.length);
    expect(Number(field(info, "snapshot_bytes"))).toBeGreaterThan(0);
    expect(field(info, "rdb_changes_since_last_save")).toBe("0");
    const counts = await storageCounts(tag);
    expect(counts).toMatchObject({ log: 0, meta: 1 });
    expect(counts.chunks).toBe(Number(field(info, "snapshot_chunks")));

    await shardExec(tag, [["SET", `${tag}:after`, "1"], ["INCR", `${tag}:after`]]);
    const expected = await state(tag);
    await evictDurableObject(shardStubOfKey(tag));
    expect(await state(tag)).toEqual(expected);
    const reloaded = await shardInfo(tag);
    expect(Number(field(reloaded, "rdb_last_load_keys_loaded"))).toBe(before.length);
    expect(field(reloaded, "last_load_log_entries")).toBe("2");
  });

  it("SAVE snapshots at once; LASTSAVE and INFO report it, summed and merged by the router", async () => {
    const tag = "{save}";
    await populate(tag, 50);
    expect(await shardExec(tag, [["SAVE"], ["LASTSAVE"]])).toEqual([{ kind: "simple", value: "OK" }, expect.any(Number)]);
    const counts = await storageCounts(tag);
    expect(counts).toMatchObject({ log: 0, meta: 1 });
    expect(await cmd("SAVE")).toBe("OK");
    const lastsave = await cmd("LASTSAVE");
    expect(Math.abs(lastsave - Date.now() / 1000)).toBeLessThan(60);
    const info: string = await cmd("INFO", "persistence");
    expect(field(info, "rdb_bgsave_in_progress")).toBe("0");
    expect(field(info, "aof_enabled")).toBe("1");
    expect(field(info, "rdb_last_bgsave_status")).toBe("ok");
    expect(Number(field(info, "rdb_last_save_time"))).toBeLessThanOrEqual(lastsave + 1);
  });

  it("refuses a second BGSAVE while one runs, and schedules one behind a rewrite", async () => {
    const tag = "{busy}";
    await populate(tag, 200);
    const counters = await shardInfo(tag);
    await inShard(tag, (shard) => {
      shard.persistence.schedule = () => {}; // hold the walk still
    });
    expect(await shardExec(tag, [["BGSAVE"], ["BGSAVE"], ["SAVE"], ["BGREWRITEAOF"]])).toEqual([
      { kind: "simple", value: "Background saving started" },
      { kind: "error", message: "ERR Background save already in progress" },
      { kind: "error", message: "ERR Background save already in progress" },
      { kind: "simple", value: "Background append only file rewriting scheduled" },
    ]);
    const info = await shardInfo(tag);
    expect(field(info, "rdb_bgsave_in_progress")).toBe("1");
    expect(field(info, "aof_rewrite_scheduled")).toBe("1");
    expect(await shardExec(tag, [["BGSAVE", "NOW"]])).toEqual([{ kind: "error", message: "ERR syntax error" }]);
    // Let it run to the end: the scheduled rewrite follows.
    await inShard(tag, (shard) => {
      shard.persistence.schedule = (fn: () => void) => setTimeout(fn, 0);
      shard.persistence.slice(shard.persistence.job);
    });
    const done = await settled(tag);
    expect(Number(field(done, "aof_rewrites")) - Number(field(counters, "aof_rewrites"))).toBe(1);
    expect(Number(field(done, "rdb_saves")) - Number(field(counters, "rdb_saves"))).toBe(1);
  });

  it("compacts on its own when the log outgrows auto-aof-rewrite-percentage of the snapshot", async () => {
    const tag = "{auto}";
    expect(await shardExec(tag, [["CONFIG", "SET", "auto-aof-rewrite-min-size", "16kb", "auto-aof-rewrite-percentage", "50"]])).toEqual([
      { kind: "simple", value: "OK" },
    ]);
    expect(await shardExec(tag, [["CONFIG", "GET", "auto-aof-rewrite-*"]])).toEqual([
      { kind: "map", entries: ["auto-aof-rewrite-percentage", "50", "auto-aof-rewrite-min-size", "16384"] },
    ]);
    for (let round = 0; round < 20; round++) {
      await shardExec(tag, Array.from({ length: 20 }, (_, i) => ["SET", `${tag}:${round}:${i}`, "v".repeat(100)]));
    }
    const info = await settled(tag);
    expect(Number(field(info, "aof_rewrites"))).toBeGreaterThanOrEqual(1);
    // After the last compaction the log is less than half the snapshot (or below min-size).
    const log = Number(field(info, "log_bytes"));
    const base = Number(field(info, "snapshot_bytes"));
    expect(log * 100 < base * 50 || log + base < 16384).toBe(true);
    const expected = await state(tag);
    await evictDurableObject(shardStubOfKey(tag));
    expect(await state(tag)).toEqual(expected);
    // The settings come back with the snapshot (their CONFIG SET is no longer in the log).
    expect(await shardExec(tag, [["CONFIG", "GET", "auto-aof-rewrite-percentage"]])).toEqual([
      { kind: "map", entries: ["auto-aof-rewrite-percentage", "50"] },
    ]);
    await shardExec(tag, [["CONFIG", "SET", "auto-aof-rewrite-min-size", "64mb", "auto-aof-rewrite-percentage", "100"]]);
  });
});

describe("copy-on-write during a sliced snapshot", () => {
  /** Takes a BGSAVE slice by slice, running each batch of `writes` between two slices. */
  async function sliced(tag: string, writes: string[][][]): Promise<void> {
    await inShard(tag, (shard) => {
      shard.persistence.schedule = () => {};
    });
    await shardExec(tag, [["BGSAVE"]]);
    for (const batch of writes) {
      await inShard(tag, (shard) => shard.persistence.job.step(2048));
      const replies = await shardExec(tag, batch);
      for (const r of replies) expect(r).not.toMatchObject({ kind: "error" });
    }
    await inShard(tag, (shard) => {
      while (!shard.persistence.job.step(1 << 20));
      shard.persistence.complete(shard.persistence.job);
      shard.persistence.schedule = (fn: () => void) => setTimeout(fn, 0);
    });
  }

  /** The keys of `tag` in the shard's snapshot, each with its DUMP payload and expiry. */
  async function snapshotImage(tag: string): Promise<[string, string, number][]> {
    const chunks: ArrayBuffer[] = await inShard(tag, (_s, st) =>
      st.storage.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM snapshot_chunk ORDER BY seq").toArray().map((r) => r.data),
    );
    const settings = defaultSettings();
    const reader = new RdbFileReader(settings);
    for (const c of chunks) reader.push(new Uint8Array(c));
    reader.finish();
    const image = new Map<string, [string, string, number]>();
    for (let rec = reader.next(); rec; rec = reader.next()) {
      if (rec.kind === "key" && rec.key.startsWith(tag)) {
        image.set(rec.key, [rec.key, bytesToBinary(createDumpPayload(rec.value, settings)), rec.expireAt ?? -1]);
      }
    }
    return [...image.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  it("saves every key as it was when the snapshot started, though writes land between slices", async () => {
    const tag = "{cow}";
    await populate(tag, 300);
    const atStart = await state(tag);
    // In-place changes, deletes, new keys, TTL changes, overwrites, and keys named by
    // multi-key commands, between slices.
    await sliced(tag, [
      [["INCR", `${tag}:counter`], ["RPUSH", `${tag}:1:\x00\xffl`, "new"], ["DEL", `${tag}:0:\x00\xffs`]],
      [["HSET", `${tag}:2:\x00\xffh`, "f0", "changed"], ["SADD", `${tag}:3:\x00\xfft`, "extra"], ["EXPIRE", `${tag}:5:\x00\xffs`, "100"]],
      [["ZADD", `${tag}:4:\x00\xffz`, "99", "top"], ["RENAME", `${tag}:6:\x00\xffl`, `${tag}:renamed`], ["SET", `${tag}:10:\x00\xffs`, "over"]],
      [["LMOVE", `${tag}:11:\x00\xffl`, `${tag}:21:\x00\xffl`, "LEFT", "RIGHT"], ["PERSIST", `${tag}:0:\x00\xffs`], ["APPEND", `${tag}:15:\x00\xffs`, "+"]],
      [["HDEL", `${tag}:297:\x00\xffh`, "f0"], ["SPOP", `${tag}:298:\x00\xfft`], ["ZINCRBY", `${tag}:299:\x00\xffz`, "5", "m0"]],
    ]);
    expect(await snapshotImage(tag)).toEqual(atStart);
    // And the snapshot plus the log after it is the live state.
    const live = await state(tag);
    expect(live).not.toEqual(atStart);
    await evictDurableObject(shardStubOfKey(tag));
    expect(await state(tag)).toEqual(live);
  });

  it("recovers the live state when keys vanish mid-snapshot without a write naming them", async () => {
    const tag = "{vanish}";
    await populate(tag, 300);
    await shardExec(tag, [["SET", `${tag}:short`, "x", "PX", "1"]]);
    await sliced(tag, [
      [["DEL", `${tag}:1:\x00\xffl`], ["SET", `${tag}:new`, "1"]],
      [["FLUSHALL"], ["SET", `${tag}:fresh`, "after flush"], ["RPUSH", `${tag}:1:\x00\xffl`, "reborn"]],
      [["INCR", `${tag}:new`], ["GET", `${tag}:short`]],
    ]);
    const live = await state(tag);
    await evictDurableObject(shardStubOfKey(tag));
    expect(await state(tag)).toEqual(live);
  });
});

describe("crash safety", () => {
  it("ignores a snapshot interrupted at any point: the old snapshot and the whole log stay in force", async () => {
    const tag = "{crash}";
    // Values big enough that each slice writes chunk rows before the crash (walked first).
    await shardExec(tag, [0, 1, 2, 3].map((i) => ["SET", `${tag}:big:${i}`, lcgBytes(700_000, i * 2654435761 + 1)]));
    await populate(tag, 200);
    expect(await shardExec(tag, [["SAVE"]])).toEqual([{ kind: "simple", value: "OK" }]);
    await shardExec(tag, [["SET", `${tag}:tail`, "in the log"], ["LPUSH", `${tag}:1:\x00\xffl`, "pushed"]]);
    const expected = await state(tag);
    const saved = await storageCounts(tag);
    for (const chunksBeforeCrash of [0, 1, 3]) {
      await inShard(tag, (shard) => {
        shard.persistence.schedule = () => {};
      });
      await shardExec(tag, [["BGSAVE"]]);
      await inShard(tag, (shard, st) => {
        // Slice by slice until this many chunk rows of the new snapshot are written.
        const rows = () => st.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM snapshot_chunk").one().n;
        while (rows() < saved.chunks + chunksBeforeCrash) shard.persistence.job.step(2048);
      });
      const partial = await storageCounts(tag);
      expect(partial.meta).toBe(1);
      expect(partial.chunks).toBeGreaterThanOrEqual(saved.chunks + chunksBeforeCrash);
      await evictDurableObject(shardStubOfKey(tag)); // the crash: memory lost mid-snapshot
      expect(await state(tag)).toEqual(expected);
      // The interrupted snapshot's chunks are gone; the old snapshot and the log remain.
      expect(await storageCounts(tag)).toEqual(saved);
    }
  });

  it("recovers up to the last complete entry when the last log entry is torn, and says so", async () => {
    const tag = "{torn}";
    await shardExec(tag, [["SET", `${tag}:a`, "1"]]);
    await shardExec(tag, [["SET", `${tag}:b`, "2"]]);
    await shardExec(tag, [["SET", `${tag}:c`, "a value that will be torn"]]);
    await inShard(tag, (_s, st) => {
      const sql = st.storage.sql;
      const last = sql.exec<{ id: number; data: ArrayBuffer }>("SELECT id, data FROM log ORDER BY id DESC LIMIT 1").one();
      sql.exec("UPDATE log SET data = ? WHERE id = ?", new Uint8Array(last.data).slice(0, last.data.byteLength - 7), last.id);
    });
    await evictDurableObject(shardStubOfKey(tag));
    expect(await shardExec(tag, [["MGET", `${tag}:a`, `${tag}:b`, `${tag}:c`]])).toEqual([["1", "2", null]]);
    const info = await shardInfo(tag);
    expect(field(info, "aof_last_load_truncated")).toBe("1");
    expect(Number(field(info, "aof_last_load_truncated_bytes"))).toBeGreaterThan(0);
    // The torn bytes were cut: later writes append cleanly and survive another restart.
    await shardExec(tag, [["SET", `${tag}:d`, "4"]]);
    await evictDurableObject(shardStubOfKey(tag));
    expect(await shardExec(tag, [["MGET", `${tag}:a`, `${tag}:c`, `${tag}:d`]])).toEqual([["1", null, "4"]]);
    expect(field(await shardInfo(tag), "aof_last_load_truncated")).toBe("0");
  });

  it("refuses to serve, with a clear error, when a snapshot chunk fails its checksum", async () => {
    const tag = "{rot}";
    await populate(tag, 100);
    await shardExec(tag, [["SAVE"]]);
    await inShard(tag, (_s, st) => {
      const sql = st.storage.sql;
      const chunk = sql.exec<{ snap: number; data: ArrayBuffer }>("SELECT snap, data FROM snapshot_chunk WHERE seq = 0").one();
      const bytes = new Uint8Array(chunk.data).slice();
      bytes[bytes.length >> 1] ^= 0x40;
      sql.exec("UPDATE snapshot_chunk SET data = ? WHERE snap = ? AND seq = 0", bytes, chunk.snap);
    });
    await evictDurableObject(shardStubOfKey(tag));
    const snap: number = await inShard(tag, (_s, st) => st.storage.sql.exec<{ id: number }>("SELECT id FROM snapshot_meta").one().id);
    const refusal = `ERR shard storage is damaged, refusing to serve: snapshot ${snap} chunk 0 fails its checksum`;
    expect(await shardExec(tag, [["GET", `${tag}:0:\x00\xffs`], ["DBSIZE"]])).toEqual([
      { kind: "error", message: refusal },
      { kind: "error", message: refusal },
    ]);
    await expect(cmd("GET", `${tag}:x`)).rejects.toThrow(refusal);
    // Clean up so later tests in this file see a healthy shard.
    await inShard(tag, (_s, st) => {
      st.storage.sql.exec("DELETE FROM snapshot_chunk");
      st.storage.sql.exec("DELETE FROM snapshot_meta");
      st.storage.sql.exec("DELETE FROM log");
    });
    await evictDurableObject(shardStubOfKey(tag));
    expect(await cmd("PING")).toBe("PONG");
  });

  it("refuses to serve when the log holds bytes that are not commands", async () => {
    const tag = "{garbage}";
    await shardExec(tag, [["SET", `${tag}:a`, "1"]]);
    await shardExec(tag, [["SET", `${tag}:b`, "2"]]);
    await inShard(tag, (_s, st) => {
      const sql = st.storage.sql;
      const first = sql.exec<{ id: number }>("SELECT id FROM log ORDER BY id LIMIT 1").one();
      sql.exec("UPDATE log SET data = ? WHERE id = ?", new TextEncoder().encode("GARBAGE\r\n"), first.id);
    });
    await evictDurableObject(shardStubOfKey(tag));
    const [reply] = await shardExec(tag, [["GET", `${tag}:b`]]);
    expect(reply.message).toMatch(/^ERR shard storage is damaged, refusing to serve: expected '\*' at log offset 0$/);
    await inShard(tag, (_s, st) => st.storage.sql.exec("DELETE FROM log"));
    await evictDurableObject(shardStubOfKey(tag));
    expect(await shardExec(tag, [["EXISTS", `${tag}:b`]])).toEqual([0]);
  });
});

describe("through the router", () => {
  it("BGREWRITEAOF reaches every shard and the data survives all shards restarting", async () => {
    const batch = Array.from({ length: 200 }, (_, i) => ["SET", `router:${i}`, `v${i}`]);
    expect((await http(batch, "/pipeline")).status).toBe(200);
    const stubs = [0, 1, 2, 3].map(shardStub);
    for (const stub of stubs) await settledStub(stub);
    expect(await cmd("BGREWRITEAOF")).toBe("Background append only file rewriting started");
    for (const stub of stubs) await settledStub(stub);
    const info: string = await cmd("INFO", "persistence");
    expect(field(info, "aof_last_bgrewrite_status")).toBe("ok");
    await cmd("SET", "router:after", "x");
    for (const stub of stubs) await evictDurableObject(stub);
    expect(await cmd("MGET", "router:0", "router:199", "router:after")).toEqual(["v0", "v199", "x"]);
  });
});
