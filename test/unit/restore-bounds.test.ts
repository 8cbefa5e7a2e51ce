/**
 * RESTORE and RDB import refuse payloads whose DECLARED sizes are over the bounds, before
 * allocating or buffering anything (src/engine/rdb/bounds.ts): an LZF string declaring
 * 130 MB in a 1.5 MB payload (a decompression bomb), collections declaring 2^31 elements,
 * records of an import stream declaring more than MAX_VALUE_BYTES. Corrupt payloads get
 * redis-server 7.0's errors; valid ones within the bounds still restore.
 */
import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../src/engine/rdb/bytes";
import { RdbTooLarge } from "../../src/engine/rdb/bounds";
import { RdbFileReader, RdbFileWriter } from "../../src/engine/rdb/file";
import { defaultSettings } from "../../src/engine/settings";
import { error, OK } from "../../src/protocol/reply";
import { ImportFailed, importRdb } from "../../src/router/rdb-transfer";
import { engine } from "../support/engine";
import { MemoryPool } from "../support/memory-pool";
import { object, payload, writeLength, writeString } from "../support/rdb-craft";
import { lcgBytes } from "../support/random";

const BAD_DATA = error("ERR Bad data format");
const TOO_LONG = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
const OOM = error("OOM command not allowed when used memory > 'maxmemory'.");
const MB = 1024 * 1024;
const settings = defaultSettings();

/**
 * Genuine LZF data that expands to `len` copies of "x": one literal, then back references
 * of the longest kind (3 bytes → 264 bytes), so about 88 times its size.
 */
function lzfRun(len: number): Uint8Array {
  const w = new ByteWriter(Math.ceil(len / 88) + 16);
  w.byte(0); // literal run of 1 byte
  w.byte(0x78);
  let left = len - 1;
  while (left > 0) {
    const n = Math.min(264, left);
    if (n < 3) {
      // Too short for a back reference: literals.
      w.byte(n - 1);
      for (let i = 0; i < n; i++) w.byte(0x78);
    } else if (n < 9) {
      w.byte((n - 2) << 5); // offset 1 (stored as 0)
      w.byte(0);
    } else {
      w.byte(7 << 5);
      w.byte(n - 9);
      w.byte(0);
    }
    left -= n;
  }
  return w.toBytes();
}

/** An RDB string holding `data` as LZF that declares `len` bytes of output. */
function lzfString(w: ByteWriter, data: Uint8Array, len: number): void {
  w.byte(0xc3);
  writeLength(w, data.length);
  writeLength(w, len);
  w.bytes(data);
}

/** JS heap and ArrayBuffer bytes now (what a decoded value would take). */
function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe("RESTORE of an LZF decompression bomb", () => {
  const DECLARED = 130 * MB;
  const bomb = payload(object(0, (w) => lzfString(w, lzfRun(DECLARED), DECLARED)));

  it("is a real bomb: 1.5 MB of payload for 130 MB of value", () => {
    expect(bomb.length).toBeLessThan(1.6 * MB);
  });

  it("is refused over MAX_VALUE_BYTES before anything is decompressed", () => {
    const { run, db } = engine({ maxValueBytes: 16 * MB });
    const before = memoryNow();
    const started = performance.now();
    expect(run("RESTORE", "k", "0", bomb)).toEqual(TOO_LONG);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(memoryNow() - before).toBeLessThan(24 * MB);
    expect(db.has("k")).toBe(false);
  });

  it("is refused over the platform's memory bound even when strings may be 512 MB", () => {
    const { run, db } = engine();
    const before = memoryNow();
    expect(run("RESTORE", "k", "0", bomb)).toEqual(OOM);
    expect(memoryNow() - before).toBeLessThan(24 * MB);
    expect(db.has("k")).toBe(false);
  });

  it("is corrupt when it declares more than LZF can expand to", () => {
    const { run } = engine();
    expect(run("RESTORE", "k", "0", payload(object(0, (w) => lzfString(w, new Uint8Array([0, 0x78, 0xe0, 0xff]), 10 * MB))))).toEqual(BAD_DATA);
  });

  it("restores a compressed value within the bounds", () => {
    const { run } = engine({ maxValueBytes: 16 * MB });
    expect(run("RESTORE", "k", "0", payload(object(0, (w) => lzfString(w, lzfRun(100_000), 100_000))))).toEqual(OK);
    expect(run("STRLEN", "k")).toBe(100_000);
  });
});

describe("RESTORE of declared sizes past the payload or the memory left", () => {
  it("refuses a collection count of 2^31 as Redis does, without reading its elements", () => {
    const { run, db } = engine();
    // A linked list (type 1) declaring 2^31 elements, followed by 4M empty ones.
    const list = object(1, (w) => {
      writeLength(w, 2 ** 31);
      w.bytes(new Uint8Array(4 * MB));
    });
    const p = payload(list);
    const before = memoryNow();
    expect(run("RESTORE", "l", "0", p)).toEqual(BAD_DATA);
    // Reading them would have held 4M elements (32 MB of array alone).
    expect(memoryNow() - before).toBeLessThan(16 * MB);
    for (const type of [2, 3, 4, 5, 14, 18]) {
      expect(run("RESTORE", "c", "0", payload(object(type, (w) => writeLength(w, 2 ** 31))))).toEqual(BAD_DATA);
    }
    expect(db.size).toBe(0);
  });

  it("refuses a string declaring more than the payload holds", () => {
    const { run } = engine();
    expect(run("RESTORE", "k", "0", payload(object(0, (w) => writeLength(w, 2 ** 32 + 5))))).toEqual(BAD_DATA);
  });

  it("refuses a value larger than the memory left under noeviction, before decoding it", () => {
    const { run, db } = engine({ maxValueBytes: 16 * MB });
    expect(run("CONFIG", "SET", "maxmemory", "1mb", "maxmemory-policy", "noeviction")).toEqual(OK);
    const big = payload(object(0, (w) => writeString(w, "y".repeat(2 * MB))));
    expect(run("RESTORE", "big", "0", big)).toEqual(OOM);
    expect(db.has("big")).toBe(false);
    expect(run("RESTORE", "small", "0", payload(object(0, (w) => writeString(w, "y".repeat(1000)))))).toEqual(OK);
    // The room a REPLACE frees counts.
    const p600k = payload(object(0, (w) => writeString(w, noise(600 * 1024))));
    expect(run("RESTORE", "r", "0", p600k)).toEqual(OK);
    expect(run("RESTORE", "r2", "0", p600k)).toEqual(OOM);
    expect(run("RESTORE", "r", "0", p600k, "REPLACE")).toEqual(OK);
  });
});

// --- streaming RDB files -------------------------------------------------------------------

/** An RDB file's start: header, AUX fields and `keys` string keys "k0", "k1", … */
function fileStart(keys: number): Uint8Array {
  const w = new RdbFileWriter(settings);
  w.aux("redis-ver", "7.0.15");
  w.selectDb(0, keys, 0);
  for (let i = 0; i < keys; i++) w.key(`k${i}`, { type: "string", value: `v${i}` });
  return w.take();
}

/** `n` bytes of incompressible noise as a binary string. */
function noise(n: number): string {
  return lcgBytes(n, 12345);
}

function bytes(fill: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter();
  fill(w);
  return w.toBytes();
}

/**
 * `head`, then up to `fillerBytes` of filler in 64 KB pieces, as an upload arriving;
 * `pulled()` says how much was taken from it.
 */
function upload(head: Uint8Array, fillerBytes: number) {
  let pulled = 0;
  async function* pieces() {
    pulled += head.length;
    yield head;
    const piece = new Uint8Array(64 * 1024).fill(0x61);
    for (let sent = 0; sent < fillerBytes; sent += piece.length) {
      pulled += piece.length;
      yield piece;
    }
  }
  return { pieces: pieces(), pulled: () => pulled };
}

describe("reading an RDB stream with bounds", () => {
  const bounds = { maxStringBytes: MB, maxObjectBytes: MB, complete: false };

  it("fails at once on a record declaring a string over the bound, instead of waiting for it", () => {
    const reader = new RdbFileReader(settings, bounds);
    reader.push(fileStart(0));
    reader.push(bytes((w) => {
      w.byte(0); // a string key
      writeLength(w, 2 ** 31); // whose name declares 2 GB
    }));
    expect(reader.next()?.kind).toBe("aux");
    expect(reader.next()?.kind).toBe("selectdb");
    expect(reader.next()?.kind).toBe("resizedb");
    expect(() => reader.next()).toThrow(RdbTooLarge);
  });

  it("fails at once on a collection declaring 2^31 elements", () => {
    const reader = new RdbFileReader(settings, bounds);
    reader.push(fileStart(0));
    reader.push(bytes((w) => {
      w.byte(2); // a set
      writeString(w, "s");
      writeLength(w, 2 ** 31);
    }));
    for (let i = 0; i < 3; i++) reader.next();
    expect(() => reader.next()).toThrow("a value of at least 34359738369 bytes, over the 1048576-byte limit");
  });

  it("reads records within the bounds as before", () => {
    const reader = new RdbFileReader(settings, bounds);
    const w = new RdbFileWriter(settings);
    w.key("k0", { type: "string", value: "v0" });
    w.key("big", { type: "string", value: noise(MB - 100) });
    w.end();
    reader.push(w.take());
    reader.finish();
    const keys: string[] = [];
    for (let rec = reader.next(); rec; rec = reader.next()) if (rec.kind === "key") keys.push(rec.key);
    expect(keys).toEqual(["k0", "big"]);
  });
});

describe("importing an RDB file with an oversized record", () => {
  async function failure(p: Promise<unknown>): Promise<ImportFailed> {
    const e = await p.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ImportFailed);
    return e as ImportFailed;
  }

  it("stops when the declared length is read, with the keys imported so far, without buffering the rest", async () => {
    const pool = new MemoryPool(2);
    const head = new Uint8Array([
      ...fileStart(3),
      ...bytes((w) => {
        w.byte(0);
        writeString(w, "huge");
        writeLength(w, 2 ** 31); // a 2 GB value, whose bytes would follow
      }),
    ]);
    const body = upload(head, 64 * MB);
    const e = await failure(importRdb(pool, body.pieces, Date.now, 16 * MB));
    expect(e.message).toBe(
      "ERR RDB import stopped: a record declares a string of 2147483648 bytes, over the 16777216-byte limit of MAX_VALUE_BYTES (3 keys were imported before it)",
    );
    expect(e.counts.keys).toBe(3);
    expect(body.pulled()).toBeLessThan(MB);
    expect(pool.shards.reduce((n, s) => n + s.db.size, 0)).toBe(3);
  });

  it("stops at a key name or an AUX field declaring more than the bound", async () => {
    const name = bytes((w) => {
      w.byte(0);
      writeLength(w, 100 * MB);
    });
    const aux = bytes((w) => {
      w.byte(250);
      writeString(w, "note");
      writeLength(w, 100 * MB);
    });
    for (const [record, keys] of [
      [name, 2],
      [aux, 1],
    ] as const) {
      const body = upload(new Uint8Array([...fileStart(keys), ...record]), 64 * MB);
      const e = await failure(importRdb(new MemoryPool(2), body.pieces, Date.now, 16 * MB));
      expect(e.message).toBe(
        `ERR RDB import stopped: a record declares a string of ${100 * MB} bytes, over the 16777216-byte limit of MAX_VALUE_BYTES (${keys} keys were imported before it)`,
      );
      expect(body.pulled()).toBeLessThan(MB);
    }
  });

  it("reports a failing shard with the keys imported so far", async () => {
    const pool = new MemoryPool(1);
    let calls = 0;
    pool.exec = async (shard, batch) => {
      if (++calls > 1) throw new Error("shard-0 is unreachable");
      return pool.shards[shard].exec(batch);
    };
    const w = new RdbFileWriter(settings);
    w.selectDb(0, 2, 0);
    // Two batches (each value over 1 MB, incompressible): the first goes in, the second fails.
    w.key("a", { type: "string", value: noise(MB + 1000) });
    w.key("b", { type: "string", value: noise(MB + 1000) });
    w.end();
    const file = w.take();
    async function* pieces() {
      yield file;
    }
    const e = await failure(importRdb(pool, pieces(), Date.now, 16 * MB));
    expect(e.message).toBe("ERR RDB import failed: shard-0 is unreachable (1 keys were imported before it)");
  });
});
