/**
 * The admin endpoints inside workerd (src/router/admin.ts): the whole dataset exported as
 * one RDB file streamed from every shard, and imported back by slot; both behind the admin
 * token, and off when none is set. (Interop of the files with redis-server itself is
 * tested in Node: test/reference/dump-interop.test.ts.)
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RdbFileReader } from "../../src/engine/rdb/file";
import { defaultSettings } from "../../src/engine/settings";
import { createApp } from "../../src/router/http";
import { utf8ToBinary } from "../../src/util/binary";
import { cmd, http } from "./helpers";

const ADMIN = { Authorization: "Bearer test-admin-token" };

async function exportFile(): Promise<Uint8Array> {
  const res = await SELF.fetch("http://hotslot/admin/export", { headers: ADMIN });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/octet-stream");
  return new Uint8Array(await res.arrayBuffer());
}

/** Every key of the cluster with its DUMP payload and absolute expiry. */
async function clusterState(): Promise<[string, string, number][]> {
  const keys: string[] = (await cmd("KEYS", "*")).sort();
  const { json } = await http(keys.flatMap((k) => [["DUMP", k], ["PEXPIRETIME", k]]), "/pipeline", { "Upstash-Encoding": "base64", Authorization: "Bearer test-token" });
  return keys.map((k, i) => [k, json[2 * i].result, json[2 * i + 1].result]);
}

describe("admin endpoints", () => {
  it("are refused without the admin token, and off when none is configured", async () => {
    for (const headers of [{}, { Authorization: "Bearer test-token" }, { Authorization: "Bearer wrong" }] as Record<string, string>[]) {
      const res = await SELF.fetch("http://hotslot/admin/export", { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: "WRONGPASS invalid or missing admin token" });
    }
    const off = await createApp().fetch(new Request("http://hotslot/admin/export", { headers: ADMIN }), { ...env, HOTSLOT_ADMIN_TOKEN: undefined });
    expect(off.status).toBe(404);
    expect(await off.json()).toEqual({ error: "ERR admin endpoints are disabled: set the HOTSLOT_ADMIN_TOKEN secret" });
    const unknown = await SELF.fetch("http://hotslot/admin/nothing", { headers: ADMIN });
    expect(unknown.status).toBe(404);
  });

  it("exports every shard's keys as one RDB file and imports it back into an empty cluster", async () => {
    await cmd("FLUSHALL");
    const batch: (string | number)[][] = [];
    for (let i = 0; i < 300; i++) {
      const k = `adm:${i}:\u00ff`;
      batch.push(
        [["SET", k, `v${i}`], ["RPUSH", k, "a", String(i)], ["HSET", k, "f", String(i), "g", "x".repeat(i % 90)], ["SADD", k, String(i), "7"], ["ZADD", k, String(i / 3), "m"]][i % 5],
      );
      if (i % 9 === 0) batch.push(["PEXPIREAT", k, Date.now() + 3_600_000 + i]);
    }
    expect((await http(batch, "/pipeline")).status).toBe(200);
    const before = await clusterState();
    expect(before.length).toBe(300);

    const file = await exportFile();
    const reader = new RdbFileReader(defaultSettings());
    reader.push(file);
    reader.finish();
    const keys: string[] = [];
    for (let rec = reader.next(); rec; rec = reader.next()) if (rec.kind === "key") keys.push(rec.key);
    expect(reader.complete).toBe(true);
    // The file holds keys as bytes; over JSON they are UTF-8 text.
    expect(keys.sort()).toEqual(before.map(([k]) => utf8ToBinary(k)).sort());

    await cmd("FLUSHALL");
    // Sent in small pieces: the import reads the body as it arrives.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < file.length; at += 1000) controller.enqueue(file.slice(at, at + 1000));
        controller.close();
      },
    });
    const res = await SELF.fetch("http://hotslot/admin/import", { method: "POST", headers: ADMIN, body });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { keys: 300, expired: 0, otherDatabases: 0, functions: 0, errors: [] } });
    expect(await clusterState()).toEqual(before);
  });

  it("refuses a file that is not RDB", async () => {
    const res = await SELF.fetch("http://hotslot/admin/import", { method: "POST", headers: ADMIN, body: "not an rdb file" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "ERR invalid RDB file: Wrong signature trying to load DB from file (0 keys were imported before it)" });
  });
});
