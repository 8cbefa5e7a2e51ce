/**
 * The keyspace's hash-slot index and SCAN's slot cursor (src/engine/hash-slot-index.ts,
 * src/util/slot-cursor.ts):
 * keys grouped by slot as they come and go, positions that are the same for a key
 * everywhere, pages of a large slot that never split keys of one position, and cursors
 * that round-trip.
 */
import { describe, expect, it } from "vitest";
import { HashSlotIndex, slotPage, slotPosition } from "../../src/engine/hash-slot-index";
import { decodeSlotCursor, encodeSlotCursor } from "../../src/util/slot-cursor";
import { Keyspace } from "../../src/engine/keyspace";
import { Executor } from "../../src/commands/execute";
import { keySlot } from "../../src/util/keyslot";

describe("hash-slot index", () => {
  it("follows the keyspace: keys created, deleted, flushed", () => {
    const db = new Keyspace();
    for (let i = 0; i < 20; i++) db.set(`{a}${i}`, "v");
    db.set("b", "v");
    const slot = keySlot("{a}");
    expect(db.countInHashSlot(slot)).toBe(20);
    db.delete("{a}3");
    db.set("{a}3", "again");
    db.set("{a}4", "overwritten");
    expect(db.countInHashSlot(slot)).toBe(20);
    // Creation order: a key deleted and created again comes last.
    expect([...db.keysInHashSlot(slot)].at(-1)).toBe("{a}3");
    expect([...db.keysInHashSlot(keySlot("b"))]).toEqual(["b"]);
    db.flush();
    expect(db.countInHashSlot(slot)).toBe(0);
    expect([...db.keysInHashSlot(slot)]).toEqual([]);
  });

  it("holds exactly the keyspace's keys, each in its slot, through random writes, deletes, renames, expiry, eviction and flushes", () => {
    let now = 1_000_000;
    const exec = new Executor(new Keyspace(), undefined, () => now);
    const db = exec.db;
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const key = () => (rand(3) === 0 ? `{t}${rand(40)}` : `k${rand(200)}`);
    for (let i = 0; i < 5000; i++) {
      const op = rand(100);
      if (op < 40) exec.runOne(["SET", key(), "v"]);
      else if (op < 55) exec.runOne(["DEL", key()]);
      else if (op < 62) exec.runOne(["RENAME", key(), key()]);
      else if (op < 70) exec.runOne(["PEXPIRE", key(), String(1 + rand(50))]);
      else if (op < 78) exec.runOne(["SADD", key(), "m"]);
      else if (op < 85) exec.runOne(["GET", key()]);
      else if (op < 88) db.evict(key());
      else if (op === 99) exec.runOne(["FLUSHALL"]);
      else now += rand(20);
      if (i % 250 === 0) db.expireDue(now, 100);
      let total = 0;
      if (i % 50 === 0) {
        for (let slot = 0; slot < 16384; slot++) {
          for (const k of db.keysInHashSlot(slot)) expect(keySlot(k)).toBe(slot);
          total += db.countInHashSlot(slot);
        }
        expect(total).toBe(db.size);
      }
    }
  });

  it("drops a slot's set when it empties", () => {
    const index = new HashSlotIndex();
    index.add("x");
    index.remove("x");
    index.remove("x");
    expect(index.count(keySlot("x"))).toBe(0);
    expect([...index.keys(keySlot("x"))]).toEqual([]);
  });
});

describe("SCAN positions and pages", () => {
  it("a key's position is the same wherever it is computed, 1 + a 32-bit hash", () => {
    expect(slotPosition("")).toBe(0x811c9dc5 + 1);
    expect(slotPosition("key:1")).toBe(slotPosition("key:" + "1"));
    for (const k of ["a", "key:000000000001", "\u00ff\u0000x"]) {
      expect(slotPosition(k)).toBeGreaterThanOrEqual(1);
      expect(slotPosition(k)).toBeLessThanOrEqual(2 ** 32);
    }
  });

  it("pages a slot by position, never splitting keys of one position", () => {
    // Two names of equal position (a 32-bit hash collision, found by search).
    const byPosition = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const k = `c${i}`;
      const p = slotPosition(k);
      const other = byPosition.get(p);
      if (other !== undefined) pair = [other, k];
      else byPosition.set(p, k);
    }
    const [x, y] = pair;
    const keys = [x, y, ...Array.from({ length: 10 }, (_, i) => `k${i}`)];
    const sorted = [...keys].sort((a, b) => slotPosition(a) - slotPosition(b));
    const all: string[] = [];
    let from = 0;
    let pages = 0;
    for (;;) {
      const page = slotPage(keys, from, 1);
      pages++;
      // Both of the pair, or neither.
      expect(page.keys.includes(x)).toBe(page.keys.includes(y));
      expect(page.keys.length).toBe(page.keys.includes(x) ? 2 : 1);
      all.push(...page.keys);
      if (page.next === 0) break;
      expect(page.next).toBeGreaterThan(slotPosition(page.keys[0]));
      from = page.next;
    }
    expect(pages).toBe(11);
    // In position order, each key once.
    expect(all.map(slotPosition)).toEqual(sorted.map(slotPosition));
    expect([...all].sort()).toEqual([...keys].sort());
  });

  it("takes a whole slot when it fits", () => {
    expect(slotPage(["a", "b", "c"], 0, 3)).toEqual({ keys: ["a", "b", "c"], next: 0 });
  });

  it("round-trips cursors, and reads one past every position as the end", () => {
    for (const [slot, position] of [[0, 0], [16383, 0], [5, 2 ** 32], [100, 12345]]) {
      const cursor = encodeSlotCursor(slot, position);
      expect(decodeSlotCursor(BigInt(cursor))).toEqual({ slot, position });
    }
    expect(encodeSlotCursor(16384, 0)).toBe("0");
    expect(decodeSlotCursor(2n ** 64n - 1n).slot).toBe(16384);
  });
});
