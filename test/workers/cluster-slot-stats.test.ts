/**
 * CLUSTER SLOT-STATS through the router (Redis 8's shape: [slot, [key-count, n, cpu-usec, n,
 * network-bytes-in, n, network-bytes-out, n]]): keys are counted per slot, and a slot's bytes in
 * and out grow with the commands served for it — bytes out by the size of each reply.
 */
import { describe, expect, it } from "vitest";
import { cmd } from "./helpers";

type SlotStats = [number, (string | number)[]];

async function statsOf(slot: number): Promise<Record<string, number>> {
  const [[reported, fields]] = (await cmd("CLUSTER", "SLOT-STATS", "SLOTSRANGE", slot, slot)) as SlotStats[];
  expect(reported).toBe(slot);
  const out: Record<string, number> = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i] as string] = Number(fields[i + 1]);
  return out;
}

describe("CLUSTER SLOT-STATS", () => {
  it("counts keys, bytes in and bytes out per slot", async () => {
    const key = "{slot-stats}:a";
    const slot = (await cmd("CLUSTER", "KEYSLOT", key)) as number;
    const value = "v".repeat(1000);
    expect(await cmd("SET", key, value)).toBe("OK");
    const before = await statsOf(slot);
    expect(before["key-count"]).toBe(1);
    for (let i = 0; i < 5; i++) expect(await cmd("GET", key)).toBe(value);
    const after = await statsOf(slot);
    expect(after["network-bytes-in"]).toBeGreaterThan(before["network-bytes-in"]);
    // Five replies of a 1000-byte value.
    expect(after["network-bytes-out"] - before["network-bytes-out"]).toBeGreaterThanOrEqual(5 * 1000);
  });
});
