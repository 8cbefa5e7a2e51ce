/**
 * Bitmaps inside workerd, through the router: BITOP's keys must share a slot (CROSSSLOT
 * otherwise, from its declared key positions), and bitmaps written by SETBIT, BITFIELD
 * and BITOP (logged as sent) come back byte for byte after every shard is evicted from
 * memory and rebuilt from its log.
 */
import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, http } from "./helpers";

/** GET of each key as base64, so every byte is compared. */
async function values(keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    const { json } = await http(["GET", k], "/", { "Upstash-Encoding": "base64" });
    out.push(json.result);
  }
  return out;
}

describe("bitmaps in the cluster", () => {
  it("refuses BITOP over keys of different slots, and runs it within one", async () => {
    await cmd("SET", "{a}x", "foobar");
    await cmd("SET", "{b}y", "abcdef");
    await expect(cmd("BITOP", "AND", "{a}d", "{a}x", "{b}y")).rejects.toThrow("CROSSSLOT Keys in request don't hash to the same slot");
    expect(await cmd("BITOP", "AND", "{a}d", "{a}x", "{a}none")).toBe(6);
    expect(await cmd("BITCOUNT", "{a}d")).toBe(0);
  });

  it("keeps bitmaps written by SETBIT, BITFIELD and BITOP across a restart from the log", async () => {
    const keys = ["{m}s", "{m}f", "{m}o", "{n}s"];
    await cmd("SETBIT", "{m}s", 100, 1);
    await cmd("SETBIT", "{m}s", 7, 1);
    await cmd("SETBIT", "{n}s", 1000, 1);
    expect(await cmd("BITFIELD", "{m}f", "SET", "i16", "#3", -2, "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300, "OVERFLOW", "FAIL", "INCRBY", "u4", 100, 20)).toEqual([0, 255, null]);
    expect(await cmd("BITOP", "XOR", "{m}o", "{m}s", "{m}f")).toBe(13);
    const before = await values(keys);
    const counts = await Promise.all(keys.map((k) => cmd("BITCOUNT", k)));
    await evictAllDurableObjects();
    expect(await values(keys)).toEqual(before);
    expect(await Promise.all(keys.map((k) => cmd("BITCOUNT", k)))).toEqual(counts);
    expect(await cmd("BITFIELD_RO", "{m}f", "GET", "i16", "#3", "GET", "u8", 0)).toEqual([-2, 255]);
    expect(await cmd("BITPOS", "{n}s", 1)).toBe(1000);
  });
});
