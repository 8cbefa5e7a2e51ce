/**
 * The replication offset in workerd's Durable Object storage (issue 10): derived from the
 * log rows (each records its stream start) and the snapshot (its offset), never written by a
 * statement of its own per commit. After eviction, on the primary and on its replica, before
 * and after compaction, the offset is exactly what storage holds and the data agrees; and a
 * database in the format from before (no offset columns, the offset a row of the replication
 * table) loads at that row's offset and gets the columns.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { encodeCommandBinary } from "../../src/protocol/resp";
import { effectsBytes } from "../../src/shard/replication-backlog";
import { SlotMap } from "../../src/router/slots";
import { binaryToBytes } from "../../src/util/binary";
import { converged, digest, primaryStub, replicaStub, until, type Stub } from "./replication-helpers";

/** Runs `fn` inside the object (its Shard instance and state). */
function inObject<R>(stub: Stub, fn: (instance: any, state: DurableObjectState) => R): Promise<R> {
  return (runInDurableObject as any)(stub, fn);
}

/** The offset an object reports (its replication source's), and what its storage says. */
async function offsets(stub: Stub): Promise<{ reported: number; logEnd: number | null; snapshot: number | null; legacyRow: boolean }> {
  return inObject(stub, (instance, state) => {
    const sql = state.storage.sql;
    const last = sql.exec<{ end: number | null }>("SELECT stream_start + LENGTH(data) AS end FROM log ORDER BY id DESC LIMIT 1").toArray();
    const snap = sql.exec<{ o: number | null }>("SELECT stream_offset AS o FROM snapshot_meta ORDER BY id DESC LIMIT 1").toArray();
    const legacy = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM replication WHERE k = 'offset'").one();
    return { reported: instance.replication.source.offset, logEnd: last[0]?.end ?? null, snapshot: snap[0]?.o ?? null, legacyRow: legacy.n > 0 };
  });
}

/** A hash tag whose keys group `g` serves. */
function tagOf(g: number): string {
  const slots = SlotMap.contiguous(4);
  for (let i = 0; ; i++) if (slots.shardOfKey(`{t${i}}`) === g) return `{t${i}}`;
}

describe("the replication offset in Durable Object storage", () => {
  it("survives eviction exactly on a primary and its replica, before and after compaction", async () => {
    const g = 1;
    const primary = primaryStub(g);
    const replica = replicaStub(g);
    const t = tagOf(g);
    for (let i = 0; i < 40; i++) expect(await primary.exec([["SET", `${t}${i}`, `v${i}`], ["INCR", `${t}n`]])).toEqual([{ kind: "simple", value: "OK" }, i + 1]);
    await converged(primary, replica);
    const before = await offsets(primary);
    expect(before.reported).toBeGreaterThan(0);
    // No commit wrote the offset row: the log's end is the offset.
    expect(before).toMatchObject({ logEnd: before.reported, legacyRow: false });
    expect(await offsets(replica)).toMatchObject({ reported: before.reported });
    const data = await digest(primary);
    await evictDurableObject(primary);
    await evictDurableObject(replica);
    expect((await offsets(primary)).reported).toBe(before.reported);
    expect((await offsets(replica)).reported).toBe(before.reported);
    expect(await digest(primary)).toBe(data);
    await until(async () => (await digest(replica)) === data);
    // Compaction empties the log: the snapshot carries the offset.
    await primary.exec([["SAVE"]]);
    await replica.exec([["SAVE"]]);
    const saved = await offsets(primary);
    expect(saved).toMatchObject({ reported: before.reported, logEnd: null, snapshot: before.reported });
    await evictDurableObject(primary);
    await evictDurableObject(replica);
    expect((await offsets(primary)).reported).toBe(before.reported);
    expect((await offsets(replica)).reported).toBe(before.reported);
    // Writes go on from there; the replica follows from its offset.
    await primary.exec([["SET", `${t}after`, "x"]]);
    await converged(primary, replica);
    expect((await offsets(replica)).reported).toBe(before.reported + effectsBytes([["SET", `${t}after`, "x"]]));
  }, 30_000);

  it("of a database from before the offset columns is the replication table's row, and new rows record theirs", async () => {
    // A primary's storage rewritten in the old format.
    const g = 3;
    const primary = primaryStub(g);
    const t = tagOf(g);
    await primary.exec([["FLUSHALL"]]);
    const old = [["SET", `${t}a`, "1"], ["RPUSH", `${t}l`, "x", "y"]];
    const legacy = 7_000 + effectsBytes(old);
    await inObject(primary, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DELETE FROM snapshot_chunk");
      sql.exec("DROP TABLE log");
      sql.exec("DROP TABLE snapshot_meta");
      sql.exec("CREATE TABLE log (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
      sql.exec("CREATE TABLE snapshot_meta (id INTEGER PRIMARY KEY, log_upto INTEGER NOT NULL, chunks INTEGER NOT NULL, bytes INTEGER NOT NULL, keys INTEGER NOT NULL, created INTEGER NOT NULL)");
      old.forEach((argv, i) => sql.exec("INSERT INTO log (id, data) VALUES (?, ?)", i + 1, binaryToBytes(encodeCommandBinary(argv))));
      sql.exec("INSERT OR REPLACE INTO replication (k, v) VALUES ('offset', ?)", String(legacy));
    });
    await evictDurableObject(primary);
    expect(await offsets(primary)).toMatchObject({ reported: legacy, logEnd: null });
    const size = () => inObject(primary, (instance) => instance.core.db.size as number);
    expect(await size()).toBe(2);
    expect(await primary.exec([["SET", `${t}b`, "2"]])).toEqual([{ kind: "simple", value: "OK" }]);
    const offset = legacy + effectsBytes([["SET", `${t}b`, "2"]]);
    expect(await offsets(primary)).toMatchObject({ reported: offset, logEnd: offset });
    await evictDurableObject(primary);
    expect((await offsets(primary)).reported).toBe(offset);
    expect(await size()).toBe(3);
  }, 30_000);
});
