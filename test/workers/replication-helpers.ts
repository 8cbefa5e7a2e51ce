/** Helpers of the replication tests: group members' stubs, polling, DEBUG DIGEST convergence. */
import { env } from "cloudflare:test";
import { replicaName } from "../../src/shard/group";
import { shardStub } from "./helpers";

export type Stub = DurableObjectStub & Record<string, (...a: any[]) => Promise<any>>;

export function replicaStub(group: number, k = 1): Stub {
  return env.SHARD.get(env.SHARD.idFromName(replicaName(group, k))) as unknown as Stub;
}
export function primaryStub(group: number): Stub {
  return shardStub(group) as unknown as Stub;
}

/** Waits until `fn` returns true (polling), or fails after `ms`. */
export async function until(fn: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function digest(stub: Stub): Promise<string> {
  // A replica not yet synced refuses reads (a StaleRoute, not replies): no digest yet.
  const r = (await stub.exec([["DEBUG", "DIGEST"]])) as unknown[] | undefined;
  return r ? JSON.stringify(r[0]) : "(not serving)";
}

export async function converged(a: Stub, b: Stub): Promise<void> {
  await until(async () => (await digest(a)) === (await digest(b)));
}

