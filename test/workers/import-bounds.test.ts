/**
 * POST /admin/import inside workerd with records whose declared lengths are over
 * MAX_VALUE_BYTES (src/router/rdb-transfer.ts, src/engine/rdb/bounds.ts): the import
 * stops as soon as such a length is read — it does not wait to buffer the record — and
 * answers what was imported before; the shards keep serving. RESTORE of an LZF bomb over
 * RESP is refused before it is decompressed.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../src/engine/rdb/bytes";
import { crc64, crc64Bytes } from "../../src/engine/rdb/crc64";
import { RdbFileWriter } from "../../src/engine/rdb/file";
import { writeLength, writeString } from "../../src/engine/rdb/object";
import { defaultSettings } from "../../src/engine/settings";
import { bytesToBinary } from "../../src/util/binary";
import { cmd, connect } from "./helpers";

const ADMIN = { Authorization: "Bearer test-admin-token" };
const MB = 1024 * 1024;

/** An RDB file's start with `keys` string keys "ib:0", "ib:1", …, then `tail`. */
function fileWith(keys: number, tail: (w: ByteWriter) => void): Uint8Array {
  const f = new RdbFileWriter(defaultSettings());
  f.aux("redis-ver", "7.0.15");
  f.selectDb(0, keys, 0);
  for (let i = 0; i < keys; i++) f.key(`ib:${i}`, { type: "string", value: `v${i}` });
  const w = new ByteWriter();
  tail(w);
  return new Uint8Array([...f.take(), ...w.toBytes()]);
}

/** `head`, then up to `fillerBytes` of filler as the client produces it; `pulled()` counts what was read. */
function upload(head: Uint8Array, fillerBytes: number) {
  let pulled = 0;
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        pulled += head.length;
        controller.enqueue(head);
        return;
      }
      if (pulled >= fillerBytes) {
        controller.close();
        return;
      }
      pulled += 64 * 1024;
      controller.enqueue(new Uint8Array(64 * 1024).fill(0x61));
    },
  });
  return { body, pulled: () => pulled };
}

async function importBody(body: ReadableStream<Uint8Array>): Promise<{ status: number; json: any }> {
  const res = await SELF.fetch("http://hotslot/admin/import", { method: "POST", headers: ADMIN, body });
  return { status: res.status, json: await res.json() };
}

describe("importing a record over MAX_VALUE_BYTES", () => {
  it("stops when its declared length is read, reports the keys imported before, and the shards keep serving", async () => {
    await cmd("FLUSHALL");
    const head = fileWith(5, (w) => {
      w.byte(0);
      writeString(w, "huge");
      writeLength(w, 2 ** 31); // 2 GB of value would follow
    });
    const up = upload(head, 48 * MB);
    const { status, json } = await importBody(up.body);
    expect(status).toBe(400);
    expect(json).toEqual({
      error: "ERR RDB import stopped: a record declares a string of 2147483648 bytes, over the 16777216-byte limit of MAX_VALUE_BYTES (5 keys were imported before it)",
      result: { keys: 5, expired: 0, otherDatabases: 0, functions: 0, errors: [] },
    });
    // Not read to the end: the stream was abandoned long before its 48 MB.
    expect(up.pulled()).toBeLessThan(16 * MB);
    expect(await cmd("DBSIZE")).toBe(5);
    expect(await cmd("GET", "ib:4")).toBe("v4");
  });

  it("stops at a collection declaring 2^31 elements", async () => {
    await cmd("FLUSHALL");
    const head = fileWith(2, (w) => {
      w.byte(2); // a set
      writeString(w, "members");
      writeLength(w, 2 ** 31);
    });
    const { status, json } = await importBody(upload(head, 8 * MB).body);
    expect(status).toBe(400);
    expect(json.error).toBe(
      "ERR RDB import stopped: a record declares a value of at least 34359738375 bytes, over the 16777216-byte limit of MAX_VALUE_BYTES (2 keys were imported before it)",
    );
    expect(await cmd("DBSIZE")).toBe(2);
  });
});

describe("RESTORE of an LZF bomb through the router", () => {
  it("is refused as over proto-max-bulk-len, and the shard keeps serving", async () => {
    // An LZF string declaring 64 MB in 750 KB: a literal "x", then back references of 264 bytes.
    const declared = 64 * MB;
    const refs = Math.ceil((declared - 1) / 264);
    const w = new ByteWriter();
    w.byte(0); // string type
    w.byte(0xc3);
    writeLength(w, 2 + refs * 3);
    writeLength(w, declared);
    w.byte(0);
    w.byte(0x78);
    for (let i = 0; i < refs; i++) {
      w.byte(0xe0);
      w.byte(255);
      w.byte(0);
    }
    w.u16le(10);
    w.bytes(crc64Bytes(crc64(w.view())));
    const conn = await connect();
    const reply = await conn.call(["RESTORE", "bomb", "0", bytesToBinary(w.toBytes())]);
    expect(reply).toBe("-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
    expect(await conn.call(["EXISTS", "bomb"], ["SET", "after", "ok"])).toBe(":0\r\n+OK\r\n");
    conn.close();
  });
});
