/**
 * Failover time (issue 11): one group (SHARDS=1) with two replicas, MIN_REPLICAS_TO_WRITE=1,
 * three monitors (DOWN_AFTER_MS 1000, MONITOR_INTERVAL_MS 200), fault injection on. Twenty
 * times: the current primary is made down (POST /admin/faults), and the time until the next
 * write through the router is acknowledged is measured (a write is retried by the router
 * itself while the group fails over; the client retries only after an error reply); then
 * the old primary is healed and the loop waits until it has rejoined as a replica.
 * Reported: the distribution, next to DOWN_AFTER_MS (the part that is detection by design).
 */
import { int, median, percentile, sleep, table } from "./format.mjs";

export const FAILOVER_VARS = {
  SHARDS: "1",
  REPLICAS: "2",
  MIN_REPLICAS_TO_WRITE: "1",
  SENTINELS: "3",
  SENTINEL_QUORUM: "2",
  DOWN_AFTER_MS: "1000",
  MONITOR_INTERVAL_MS: "200",
  FAULT_INJECTION: "yes",
  HOTSLOT_ADMIN_TOKEN: "bench-admin-token",
};
const ROUNDS = 20;
const ADMIN = { Authorization: `Bearer ${FAILOVER_VARS.HOTSLOT_ADMIN_TOKEN}` };

async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`failover bench: timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function failover({ hotslot, log }) {
  const topology = async () => (await fetch(`${hotslot.url}/admin/topology`, { headers: ADMIN })).json();
  const fault = async (target, spec) => {
    const res = await fetch(`${hotslot.url}/admin/faults`, { method: "POST", headers: ADMIN, body: JSON.stringify({ target, fault: spec }) });
    if (res.status !== 200) throw new Error(`failover bench: fault ${target}: ${res.status} ${await res.text()}`);
  };
  const set = async (value) => {
    const res = await fetch(`${hotslot.url}/`, { method: "POST", headers: { Authorization: `Bearer ${hotslot.token}` }, body: JSON.stringify(["SET", "failover:key", value]) });
    return (await res.json()).result === "OK";
  };
  /** Every member reachable, watched by every monitor, the replica's link up and caught up. */
  const healthy = async () => {
    const t = await topology();
    const g = t.groups[0];
    return t.monitors.every((m) => m.reachable) && g.members.every((m) => m.reachable && m.lastOkMsAgo !== null && m.lastOkMsAgo < 500) && g.members.slice(1).every((m) => m.linkUp && m.lagMs === 0);
  };
  await until(() => set("warm-up"), 20_000, "the first acknowledged write");
  const times = [];
  const epochs = [];
  for (let round = 0; round < ROUNDS; round++) {
    await until(healthy, 20_000, "a healthy group");
    const primary = (await topology()).groups[0].primary;
    await fault(primary, { mode: "down" });
    const t0 = performance.now();
    await until(() => set(`v${round}`), 30_000, `a write after failover ${round + 1}`).catch(async (e) => {
      console.error(JSON.stringify(await topology()));
      throw e;
    });
    times.push(performance.now() - t0);
    process.stderr.write(`failover ${round + 1}: ${Math.round(times[times.length - 1])} ms\n`);
    epochs.push((await topology()).groups[0].epoch);
    await fault(primary, null);
  }
  log(`### Failover\n`);
  log(`One group, two replicas, MIN_REPLICAS_TO_WRITE=1, 3 monitors (quorum 2), DOWN_AFTER_MS ${FAILOVER_VARS.DOWN_AFTER_MS}, MONITOR_INTERVAL_MS ${FAILOVER_VARS.MONITOR_INTERVAL_MS}; ${ROUNDS} injected primary failures (fault → next write acknowledged through the router):\n`);
  log(table(["min", "median", "p90", "max", "DOWN_AFTER_MS", "epochs used"], [[int(Math.min(...times)), int(median(times)), int(percentile(times, 90)), int(Math.max(...times)), FAILOVER_VARS.DOWN_AFTER_MS, `${epochs[0]} … ${epochs[epochs.length - 1]}`]]));
  log(`\nTimes in ms. Every failover costs two epochs (election + new topology); a split vote costs two more.\n`);
}
