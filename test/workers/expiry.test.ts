/**
 * Active expiry inside workerd: the shard's alarm is set to the earliest expiry, and when
 * it runs, expired keys are deleted even though nothing reads them.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, shardStubOfKey } from "./helpers";

async function heldKeys(stub: DurableObjectStub): Promise<number> {
  return (runInDurableObject as any)(stub, async (shard: any) => shard.core.db.size);
}

describe("active expiry by alarm", () => {
  it("deletes keys soon after they expire, though nothing touches them", async () => {
    await cmd("SET", "{ae}short", "v", "PX", "400");
    await cmd("SET", "{ae}long", "v", "EX", "1000");
    await cmd("SET", "{ae}plain", "v");
    const stub = shardStubOfKey("{ae}short");
    const alarmAt: number | null = await (runInDurableObject as any)(stub, (_: unknown, state: DurableObjectState) => state.storage.getAlarm());
    expect(alarmAt).not.toBeNull();
    expect(alarmAt!).toBeLessThanOrEqual(Date.now() + 400);
    expect(await heldKeys(stub)).toBe(3);
    await new Promise((r) => setTimeout(r, 450));
    await runDurableObjectAlarm(stub); // it may have run by itself already
    expect(await heldKeys(stub)).toBe(2);
    const next: number | null = await (runInDurableObject as any)(stub, (_: unknown, state: DurableObjectState) => state.storage.getAlarm());
    expect(next).toBeGreaterThan(Date.now() + 900_000);
    expect(await cmd("EXISTS", "{ae}short", "{ae}long", "{ae}plain")).toBe(2);
  });
});
