/**
 * Replication inside workerd (REPLICAS=1, the default): every group's primary ("shard-g")
 * ships its committed effects to its replica ("shard-g-r1"); the replica is reached directly
 * through env.SHARD, as the monitors and tests do.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, shardStub } from "./helpers";
import { replicaName } from "../../src/shard/group";

type Stub = DurableObjectStub & Record<string, (...a: any[]) => Promise<any>>;

function replicaStub(group: number, k = 1): Stub {
  return env.SHARD.get(env.SHARD.idFromName(replicaName(group, k))) as unknown as Stub;
}
function primaryStub(group: number): Stub {
  return shardStub(group) as unknown as Stub;
}

/** Waits until `fn` returns true (polling), or fails after `ms`. */
async function until(fn: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function digest(stub: Stub): Promise<string> {
  return JSON.stringify(((await stub.exec([["DEBUG", "DIGEST"]])) as unknown[])[0]);
}

describe("replication", () => {
  it("writes reach the replica: DEBUG DIGEST on primary equals the replica's after load", async () => {
    for (let i = 0; i < 200; i++) await cmd("SET", `rk${i}`, `v${i}`);
    await cmd("HSET", "rh", "a", "1", "b", "2");
    await cmd("DEL", "rk3");
    for (let g = 0; g < 4; g++) {
      await until(async () => (await digest(primaryStub(g))) === (await digest(replicaStub(g))));
    }
    const info = await primaryStub(0).roleInfo();
    expect(info.role).toBe("primary");
    expect(info.replicas[0].name).toBe("shard-0-r1");
    const r = await replicaStub(0).roleInfo();
    expect(r.role).toBe("replica");
    expect(r.primary).toBe("shard-0");
  }, 30_000);
});
