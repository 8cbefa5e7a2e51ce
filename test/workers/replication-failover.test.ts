/**
 * The shard side of failover inside workerd: `configure` promotes a replica (it keeps its
 * data and continues its stream) and demotes the primary (it discards what it has and
 * resyncs in full from the new primary); epochs fence stale router calls and stale
 * replication batches. Groups 1 and 2 are reconfigured, so this file's storage is its own.
 */
import { describe, expect, it } from "vitest";
import { isStaleRoute } from "../../src/shard/group";
import { cmd } from "./helpers";
import { converged, primaryStub, replicaStub, until } from "./replication-helpers";

describe("replication failover (shard side)", () => {
  it("promotes the replica, demotes the primary (full resync), and fences the old epoch", async () => {
    for (let i = 0; i < 100; i++) await cmd("SET", `fo${i}`, `v${i}`);
    const old = primaryStub(1);
    const promoted = replicaStub(1);
    await converged(old, promoted);
    const offset = (await old.roleInfo()).offset;
    const config = { group: 1, epoch: 1, primary: "shard-1-r1", replicas: ["shard-1"] };
    expect(await promoted.configure(config)).toMatchObject({ role: "primary", epoch: 1, offset });
    expect(await old.configure(config)).toMatchObject({ role: "replica", epoch: 1, primary: "shard-1-r1" });
    // An older config is ignored.
    expect(await old.configure({ group: 1, epoch: 0, primary: "shard-1", replicas: ["shard-1-r1"] })).toMatchObject({ role: "replica", epoch: 1 });
    // The new primary takes writes; the demoted one converges to it.
    await promoted.run([{ kind: "exec", batch: [["SET", "after", "1"]] }], { epoch: 1 }).catch(() => null);
    await converged(promoted, old);
    // Stale router calls are refused with the epoch known.
    const stale = await old.run([{ kind: "exec", batch: [["SET", "x", "1"]] }], { epoch: 0 });
    expect(isStaleRoute(stale)).toBe(true);
    expect(stale).toMatchObject({ epoch: 1, role: "replica" });
    expect(isStaleRoute(await promoted.run([{ kind: "exec", batch: [["GET", "x"]] }], { epoch: 0 }))).toBe(true);
    // A batch from the deposed primary (epoch 0) is refused.
    const ack = await old.replicate({ kind: "stream", epoch: 0, config: { group: 1, epoch: 0, primary: "shard-1", replicas: ["shard-1-r1"] }, primary: "shard-1", replid: "x", from: 0, to: 1, effects: [["SET", "a", "b"]] });
    expect(ack).toMatchObject({ ok: false, stale: true, epoch: 1 });
    // A batch of the current epoch from an object that is not the primary is refused too.
    const ack2 = await promoted.replicate({ kind: "probe", epoch: 1, config, primary: "shard-1", replid: "x" });
    expect(ack2).toMatchObject({ ok: false, stale: true, epoch: 1 });
  }, 30_000);

  it("a primary deposed by a replica's refusal (it learns the epoch, not the primary) follows the new primary once it calls", async () => {
    const old = primaryStub(2);
    const promoted = replicaStub(2);
    await old.run([{ kind: "exec", batch: [["SET", "{g2}a", "1"]] }], { epoch: 0 });
    await converged(old, promoted);
    // The old primary learns epoch 1 from its replica's refusal (a config of that epoch the
    // replica holds), not who leads it: as when a failover's own config could not reach it.
    await promoted.configure({ group: 2, epoch: 1, primary: "shard-2", replicas: ["shard-2-r1"] });
    await old.run([{ kind: "exec", batch: [["SET", "{g2}lost", "1"]] }], { epoch: 0 });
    await until(async () => (await old.roleInfo()).epoch === 1);
    // Epoch 1's leader is the replica.
    expect(await promoted.configure({ group: 2, epoch: 1, primary: "shard-2-r1", replicas: ["shard-2"] })).toMatchObject({ role: "primary", epoch: 1 });
    // The new primary's stream carries the epoch's config: the old one adopts it and resyncs.
    await promoted.run([{ kind: "exec", batch: [["SET", "{g2}b", "2"]] }], { epoch: 1 });
    await until(async () => (await old.roleInfo()).primary === "shard-2-r1");
    await converged(promoted, old);
  }, 30_000);
});
