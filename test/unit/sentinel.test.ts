// The monitors' pure logic (src/monitor): votes per epoch, the promotion rule, SDOWN/ODOWN,
// leader election, failover and the old primary's return, on a simulated cluster.
import { describe, expect, it } from "vitest";
import { choosePromotion, requiredReachable } from "../../src/monitor/promotion";
import { nextElectionEpoch, votesToLead } from "../../src/monitor/sentinel";
import { MemoryVoteStore, VoteLedger } from "../../src/monitor/votes";
import type { ShardRoleInfo } from "../../src/shard/group";
import { SimCluster } from "../support/sentinel-sim";

const replica = (name: string, offset: number): ShardRoleInfo => ({ name, group: 0, role: "replica", epoch: 2, offset });

describe("votes", () => {
  it("grants at most one vote per epoch, and never in an older epoch", () => {
    const store = new MemoryVoteStore();
    const ledger = new VoteLedger(store);
    expect(ledger.vote(0, 2, "monitor-1", 0)).toEqual({ granted: true, votedFor: "monitor-1", epoch: 2 });
    expect(ledger.vote(0, 2, "monitor-2", 0)).toEqual({ granted: false, votedFor: "monitor-1", epoch: 2 });
    // The same candidate asking again gets the same answer (a retried request).
    expect(ledger.vote(0, 2, "monitor-1", 0).granted).toBe(true);
    expect(ledger.vote(0, 4, "monitor-2", 0).granted).toBe(true);
    expect(ledger.vote(0, 2, "monitor-1", 0).granted).toBe(false);
    // Groups vote independently.
    expect(ledger.vote(1, 2, "monitor-2", 0).granted).toBe(true);
  });

  it("survives a restart: a new ledger on the same store remembers the vote", () => {
    const store = new MemoryVoteStore();
    new VoteLedger(store).vote(0, 6, "monitor-0", 0);
    expect(new VoteLedger(store).vote(0, 6, "monitor-2", 0).granted).toBe(false);
  });

  it("refuses an election at or below the topology epoch it knows", () => {
    const ledger = new VoteLedger(new MemoryVoteStore());
    expect(ledger.vote(0, 2, "monitor-1", 3).granted).toBe(false);
    expect(ledger.vote(0, 4, "monitor-1", 3).granted).toBe(true);
  });

  it("election epochs are even and above everything known; leading needs a majority and the quorum", () => {
    expect(nextElectionEpoch(0)).toBe(2);
    expect(nextElectionEpoch(3)).toBe(4);
    expect(nextElectionEpoch(4)).toBe(6);
    expect(votesToLead(3, 2)).toBe(2);
    expect(votesToLead(5, 2)).toBe(3);
    expect(votesToLead(3, 3)).toBe(3);
  });
});

describe("promotion rule", () => {
  it("needs R − N + 1 replicas under min-replicas-to-write N, one when N = 0", () => {
    expect(requiredReachable(1, 1)).toBe(1);
    expect(requiredReachable(3, 1)).toBe(3);
    expect(requiredReachable(3, 2)).toBe(2);
    expect(requiredReachable(3, 3)).toBe(1);
    expect(requiredReachable(3, 0)).toBe(1);
  });

  it("chooses the most advanced replica, ties by name", () => {
    const c = choosePromotion([replica("shard-0-r1", 90), replica("shard-0-r3", 120), replica("shard-0-r2", 120)], 3, 1);
    expect(c.ok && c.chosen.name).toBe("shard-0-r2");
  });

  it("refuses when too few replicas are reached: one of the unreached may hold an acknowledged write", () => {
    const c = choosePromotion([replica("shard-0-r1", 90), replica("shard-0-r2", 100)], 3, 1);
    expect(c.ok).toBe(false);
    expect(choosePromotion([replica("shard-0-r1", 90)], 3, 0).ok).toBe(true);
  });

  it("any R − N + 1 replicas include one holding every write acknowledged by N of them (exhaustive, R ≤ 5)", () => {
    for (let r = 1; r <= 5; r++) {
      for (let n = 1; n <= r; n++) {
        const need = requiredReachable(r, n);
        // Every set of N replicas that acknowledged a write meets every set of `need` reached replicas.
        for (let acked = 0; acked < 1 << r; acked++) {
          if (popcount(acked) !== n) continue;
          for (let reached = 0; reached < 1 << r; reached++) {
            if (popcount(reached) !== need) continue;
            expect(acked & reached, `R=${r} N=${n}`).not.toBe(0);
          }
        }
        // And one fewer would not do.
        if (need > 1) {
          const reached = (1 << (need - 1)) - 1;
          const acked = ((1 << r) - 1) & ~reached;
          expect(popcount(acked) >= n && (acked & reached) === 0).toBe(true);
        }
      }
    }
  });
});

function popcount(x: number): number {
  let c = 0;
  for (; x; x &= x - 1) c++;
  return c;
}

describe("failover on a simulated cluster", () => {
  it("promotes the most advanced replica once a quorum sees the primary down, and only then", async () => {
    const sim = new SimCluster(2, 2);
    await sim.run(2000);
    sim.write("shard-0");
    sim.write("shard-0", ["shard-0-r2"]); // r2 is ahead of r1
    sim.down.add("shard-0");
    await sim.run(4000);
    // Not yet down for DOWN_AFTER_MS: nothing happened.
    expect(sim.configs(0).every((c) => c.epoch === 0)).toBe(true);
    await sim.run(4000);
    const configs = sim.configs(0);
    expect(configs.map((c) => c.epoch)).toEqual([3, 3, 3]);
    expect(configs[0]).toEqual({ group: 0, epoch: 3, primary: "shard-0-r2", replicas: ["shard-0-r1", "shard-0"] });
    expect(sim.shard("shard-0-r2").role).toBe("primary");
    expect(sim.shard("shard-0-r1")).toMatchObject({ role: "replica", primary: "shard-0-r2", epoch: 3 });
    // The healthy group is untouched.
    expect(sim.configs(1).every((c) => c.epoch === 0)).toBe(true);
    // Exactly one monitor led, once.
    const led = sim.monitors.flatMap((m) => m.failovers.filter((f) => f.outcome.ok));
    expect(led.length).toBe(1);
  });

  it("the old primary rejoins as a replica of the new one when it comes back", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.down.add("shard-0");
    await sim.run(10_000);
    expect(sim.shard("shard-0-r1").role).toBe("primary");
    expect(sim.shard("shard-0")).toMatchObject({ role: "primary", epoch: 0 });
    sim.down.delete("shard-0");
    await sim.run(2000);
    expect(sim.shard("shard-0")).toMatchObject({ role: "replica", primary: "shard-0-r1", epoch: 3 });
    // A write through the stale primary is no longer possible.
    expect(sim.write("shard-0")).toBe(-1);
  });

  it("a member that knows the epoch but follows no one (deposed by a replica's refusal) is given the config", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.down.add("shard-0");
    await sim.run(10_000);
    sim.down.delete("shard-0");
    // Back up, it learned the new epoch from a refusal before any monitor reached it: no primary.
    const epoch = sim.shard("shard-0-r1").epoch;
    Object.assign(sim.shard("shard-0"), { role: "replica", epoch, primary: undefined });
    await sim.run(2000);
    expect(sim.shard("shard-0")).toMatchObject({ role: "replica", primary: "shard-0-r1", epoch });
  });

  it("no failover without a quorum of monitors", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.down.add("monitor-1");
    sim.down.add("monitor-2");
    sim.down.add("shard-0");
    await sim.run(20_000);
    expect(sim.monitor("monitor-0").topology.get(0).epoch).toBe(0);
    expect(sim.shard("shard-0-r1").role).toBe("replica");
  });

  it("no failover when only one monitor is cut off from the primary (no ODOWN)", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.cut.add("monitor-0→shard-0");
    await sim.run(20_000);
    expect(sim.configs(0).every((c) => c.epoch === 0)).toBe(true);
  });

  it("quorum 2 of 3: one monitor down, the other two still fail over", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.down.add("monitor-2");
    sim.down.add("shard-0");
    await sim.run(15_000);
    expect(sim.configs(0).map((c) => c.primary)).toEqual(["shard-0-r1", "shard-0-r1"]);
  });

  it("a primary partitioned from the monitors but alive cannot get a write acknowledged once its replicas are fenced", async () => {
    const sim = new SimCluster(1, 2);
    await sim.run(2000);
    for (const m of ["monitor-0", "monitor-1", "monitor-2"]) sim.cut.add(`${m}→shard-0`);
    await sim.run(15_000);
    const config = sim.monitor("monitor-0").topology.get(0);
    expect(config.primary).not.toBe("shard-0");
    // The old primary still thinks it leads (nobody could tell it) but its replicas refuse its stream.
    expect(sim.shard("shard-0").role).toBe("primary");
    expect(sim.write("shard-0")).toBe(0);
  });

  it("a write the old primary gets acknowledged while the failover is under way is on the promoted replica (fencing)", async () => {
    const sim = new SimCluster(1, 2);
    await sim.run(2000);
    sim.write("shard-0");
    for (const m of ["monitor-0", "monitor-1", "monitor-2"]) sim.cut.add(`${m}→shard-0`);
    // Between the leader's configure calls, the live old primary keeps writing, each time to
    // the one replica not yet configured: acknowledged under min-replicas-to-write 1 if it applied.
    let acked = 1;
    sim.onConfigure = (s) => {
      const other = s.name === "shard-0-r1" ? "shard-0-r2" : "shard-0-r1";
      const offset = sim.shard("shard-0").offset + 1;
      if (sim.write("shard-0", [other]) >= 1) acked = offset;
    };
    await sim.run(15_000);
    const config = sim.monitor("monitor-0").topology.get(0);
    expect(config.primary).not.toBe("shard-0");
    expect(acked).toBeGreaterThan(1);
    expect(sim.shard(config.primary).offset).toBeGreaterThanOrEqual(acked);
  });

  it("a failover whose leader died after fencing is taken over: the deposed primary counts as down", async () => {
    const sim = new SimCluster(1, 2);
    await sim.run(2000);
    sim.write("shard-0");
    // What a leader killed between fencing and promotion leaves: replicas at the fence epoch,
    // still following shard-0; the topology unchanged.
    for (const r of ["shard-0-r1", "shard-0-r2"]) sim.shard(r).epoch = 2;
    // shard-0's next write is refused by its replicas: it is deposed (and the write not acknowledged).
    expect(sim.write("shard-0")).toBe(0);
    expect(sim.shard("shard-0")).toMatchObject({ role: "replica", epoch: 2 });
    await sim.run(10_000);
    const config = sim.monitor("monitor-0").topology.get(0);
    expect(config.epoch).toBeGreaterThanOrEqual(5);
    expect(sim.shard(config.primary).role).toBe("primary");
    expect(sim.shard("shard-0")).toMatchObject({ role: "replica", primary: config.primary, epoch: config.epoch });
  });

  it("refuses to promote with min-replicas-to-write 1 when one of two replicas is unreachable", async () => {
    const sim = new SimCluster(1, 2);
    await sim.run(2000);
    sim.down.add("shard-0");
    sim.down.add("shard-0-r1");
    await sim.run(20_000);
    expect(sim.configs(0).every((c) => c.epoch === 0)).toBe(true);
    expect(sim.shard("shard-0-r2").role).toBe("replica");
    // The unreachable replica returns: now both can be compared, and the failover happens.
    sim.down.delete("shard-0-r1");
    await sim.run(10_000);
    expect(sim.configs(0).every((c) => c.epoch > 0 && c.primary !== "shard-0")).toBe(true);
  });

  it("with min-replicas-to-write 0 it promotes the most advanced reachable replica", async () => {
    const sim = new SimCluster(1, 2, 3, { minReplicasToWrite: 0 });
    await sim.run(2000);
    sim.write("shard-0", ["shard-0-r1"]);
    sim.down.add("shard-0");
    sim.down.add("shard-0-r1");
    await sim.run(10_000);
    expect(sim.configs(0)[0].primary).toBe("shard-0-r2");
  });

  it("every write acknowledged under min-replicas-to-write 1 survives repeated failovers (random faults)", async () => {
    for (let seed = 0; seed < 20; seed++) {
      const sim = new SimCluster(1, 2);
      let rnd = seed * 7919 + 1;
      const random = () => ((rnd = (rnd * 48271) % 2147483647) / 2147483647);
      await sim.run(2000);
      let acked = 0;
      for (let round = 0; round < 6; round++) {
        const primary = sim.monitor("monitor-0").topology.get(0).primary;
        // Writes reach a random subset of replicas; acknowledged when at least one applied it.
        for (let i = 0; i < 5; i++) {
          const names = [...sim.shards.keys()].filter(() => random() < 0.6);
          const offset = sim.shard(primary).offset + 1;
          if (sim.write(primary, names) >= 1) acked = Math.max(acked, offset);
        }
        sim.down.add(primary);
        await sim.run(12_000);
        sim.down.delete(primary);
        await sim.run(3000);
        const now = sim.monitor("monitor-0").topology.get(0).primary;
        expect(sim.shard(now).offset, `seed ${seed} round ${round}`).toBeGreaterThanOrEqual(acked);
        // Replicas resynchronise from the new primary (what a full resync does).
        for (const s of sim.shards.values()) if (s.role === "replica") s.offset = sim.shard(now).offset;
      }
    }
  });

  it("split votes resolve: monitors campaigning at once end with one topology per epoch", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.down.add("shard-0");
    await sim.run(30_000);
    const configs = sim.configs(0);
    expect(new Set(configs.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(configs[0].primary).toBe("shard-0-r1");
    const wins = sim.monitors.flatMap((m) => m.failovers.filter((f) => f.outcome.ok));
    expect(new Set(wins.map((w) => w.electionEpoch)).size).toBe(wins.length);
  });

  it("a controlled failover waits for the replica to catch up, then swaps with nothing to discard", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.write("shard-0", []); // not yet on the replica
    const leader = sim.monitor("monitor-0");
    const catching = leader.lead(leader.topology.get(0), "controlled", 2000);
    // While paused the primary knows epoch 2, so router calls of epoch 0 are refused; its stream still flows.
    sim.shard("shard-0-r1").offset = sim.shard("shard-0").offset;
    const record = await catching;
    expect(record.outcome.ok).toBe(true);
    expect(sim.shard("shard-0-r1")).toMatchObject({ role: "primary", epoch: 3, offset: 1 });
    expect(sim.shard("shard-0")).toMatchObject({ role: "replica", epoch: 3 });
  });

  it("a controlled failover that cannot catch up restores the old primary at a new epoch", async () => {
    const sim = new SimCluster(1, 1);
    await sim.run(2000);
    sim.write("shard-0", []);
    const leader = sim.monitor("monitor-0");
    const record = await leader.lead(leader.topology.get(0), "controlled", 500);
    expect(record.outcome.ok).toBe(false);
    expect(leader.topology.get(0)).toEqual({ group: 0, epoch: 3, primary: "shard-0", replicas: ["shard-0-r1"] });
    expect(sim.shard("shard-0")).toMatchObject({ role: "primary", epoch: 3 });
  });
});
