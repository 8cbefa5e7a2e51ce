/**
 * No acknowledged write is lost across failovers, proven end to end: `wrangler dev` (router,
 * 2 groups × (primary + 2 replicas), 3 monitors) with MIN_REPLICAS_TO_WRITE=1, DOWN_AFTER_MS
 * 1000, MONITOR_INTERVAL_MS 200 and fault injection on, under a mixed write load from several
 * RESP WebSocket connections with a shadow copy, while faults are injected round after round:
 *   - a primary down (failover, then it rejoins as a replica);
 *   - a replica down (no failover; writes go on with the other replica);
 *   - split brain: a primary cut off from every monitor but still reachable by the router,
 *     which routes to it with its stale epoch until a refusal makes it refresh;
 *   - two of three monitors down while a primary is down (no quorum: no failover until they return);
 *   - SIGKILL of the whole process in the middle of a failover, then a restart on the same state;
 *   - one replica slowed down (its stream lags, so acknowledged writes sit on the other one
 *     only), then the primary down: only promoting the most advanced replica keeps them.
 * Afterwards every key is read back through the router and checked against the shadow:
 *   - strings (SET of increasing sequence numbers per key): the value is one that was sent, and
 *     not older than the last acknowledged one;
 *   - lists (RPUSH of increasing sequence numbers): every acknowledged element is there, in
 *     order, nothing that was never sent, no element twice (a write applied twice would show).
 * A write counts as acknowledged when its reply arrived and is not an error; an error reply
 * (NOREPLICAS, an unavailable shard) or no reply (a kill) leaves it in doubt: it may or may not
 * have happened. HOTSLOT_FAILOVER_ROUNDS sets the number of rounds (default 12, the six kinds
 * twice); the seed (printed; HOTSLOT_FAILOVER_SEED) fixes the load and the delays.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../support/random";
import { CrashableWorker, makeCrashDir, type Server } from "./setup/crash-process";
import { removeDir } from "./setup/worker";
import { WsRespConnection } from "./setup/ws-resp";

const TOKEN = "failover-token-0123456789";
const ADMIN_TOKEN = "failover-admin-0123456789";
const DOWN_AFTER_MS = 1000;
/**
 * HOTSLOT_FAILOVER_MIN_REPLICAS=0 runs the same rounds without the guarantee: acknowledged
 * writes lost are then counted and reported (the bound the README states), not failed on.
 */
const MIN_REPLICAS = Number(process.env.HOTSLOT_FAILOVER_MIN_REPLICAS ?? 1);
const VARS = {
  SHARDS: "2",
  REPLICAS: "2",
  MIN_REPLICAS_TO_WRITE: String(MIN_REPLICAS),
  SENTINELS: "3",
  SENTINEL_QUORUM: "2",
  DOWN_AFTER_MS: String(DOWN_AFTER_MS),
  MONITOR_INTERVAL_MS: "200",
  FAULT_INJECTION: "yes",
  HOTSLOT_ADMIN_TOKEN: ADMIN_TOKEN,
};
const ROUNDS = Number(process.env.HOTSLOT_FAILOVER_ROUNDS ?? 12);
const SEED = Number(process.env.HOTSLOT_FAILOVER_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONNECTIONS = 4;
const KEYS_PER_CONNECTION = 24;
const MONITORS = ["monitor-0", "monitor-1", "monitor-2"];

type Kind = "primary down" | "replica down" | "split brain" | "monitors down" | "SIGKILL mid-failover" | "lagging replica, then primary down";
const KINDS: Kind[] = ["primary down", "replica down", "split brain", "monitors down", "SIGKILL mid-failover", "lagging replica, then primary down"];

/** One key's writes as the shadow knows them. */
interface KeyShadow {
  readonly type: "string" | "list";
  /** Sequence numbers sent (acknowledged or in doubt). */
  readonly sent: Set<number>;
  /** Sequence numbers acknowledged. */
  readonly acked: number[];
  next: number;
}

interface Topology {
  groups: { group: number; epoch: number; primary: string; members: { name: string; role: string; reachable: boolean; offset: number | null; linkUp: boolean | null; lagMs: number | null }[] }[];
}

describe(`failover never loses an acknowledged write (MIN_REPLICAS_TO_WRITE=${MIN_REPLICAS}; ${ROUNDS} fault rounds, seed ${SEED})`, () => {
  let dir: string;
  let worker: CrashableWorker | undefined;
  let server: Server;
  const rng = new Rng(SEED);
  const shadow = new Map<string, KeyShadow>();
  const totals = { acked: 0, inDoubt: 0, failovers: 0, kills: 0, failoverMs: [] as number[] };
  const started = Date.now();
  let stopLoad = false;
  let loads: Promise<void>[] = [];
  /** Set while the Worker is down (killed, restarting): the load waits. */
  let restarting: Promise<void> | null = null;

  const keysOf = (c: number) => Array.from({ length: KEYS_PER_CONNECTION }, (_, i) => `fo:${c}:${i % 2 === 0 ? "s" : "l"}${i}`);

  /** An admin or read request unanswered this long fails, with wrangler's last output (a hang must say where). */
  const REQUEST_MS = 15_000;
  async function answered(what: string, url: string, init: RequestInit): Promise<any> {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_MS) });
      return { status: res.status, json: await res.json() };
    } catch (e) {
      throw new Error(`${what}: ${(e as Error).message}\nwrangler's output (last 4 KB):\n${server.output()}`);
    }
  }

  async function admin(method: string, path: string, body?: unknown): Promise<any> {
    const { status, json } = await answered(`${method} ${path}`, `${server.url}${path}`, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (status !== 200) throw new Error(`${method} ${path}: ${status} ${JSON.stringify(json)}`);
    return json;
  }
  const topology = (): Promise<Topology> => admin("GET", "/admin/topology");
  const fault = (target: string, spec: unknown) => admin("POST", "/admin/faults", { target, fault: spec });

  async function read(argv: string[]): Promise<any> {
    const { json } = (await answered(argv.join(" "), server.url, { method: "POST", headers: { Authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(argv) })) as { json: { result?: unknown; error?: string } };
    if (json.error) throw new Error(`${argv.join(" ")}: ${json.error}`);
    return json.result;
  }

  /** Every group has a reachable primary whose replicas are all linked and caught up. */
  async function healthy(): Promise<boolean> {
    const t = await topology();
    return t.groups.every((g) => g.members.every((m) => m.reachable) && g.members.slice(1).every((m) => m.linkUp === true && m.offset === g.members[0].offset));
  }

  async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    for (;;) {
      if (await fn().catch(() => false)) return;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${JSON.stringify(await topology().catch((e) => String(e)))}`);
      await sleep(50);
    }
  }

  /** One connection's load: pipelines of SET / RPUSH on its own keys, until stopped. */
  async function drive(c: number): Promise<void> {
    const r = new Rng(SEED + 1000 * (c + 1));
    const keys = keysOf(c);
    let conn: WsRespConnection | null = null;
    while (!stopLoad) {
      if (restarting) await restarting;
      if (conn === null || conn.isClosed) {
        conn = await WsRespConnection.open(server.wsUrl, TOKEN).catch(() => null);
        if (conn === null) {
          await sleep(100);
          continue;
        }
      }
      const batch: { key: string; seq: number; argv: string[] }[] = [];
      for (let n = 1 + r.int(8); n > 0; n--) {
        const key = keys[r.int(keys.length)];
        const s = shadow.get(key)!;
        const seq = s.next++;
        s.sent.add(seq);
        batch.push({ key, seq, argv: s.type === "string" ? ["SET", key, `${key}#${seq}`] : ["RPUSH", key, `${key}#${seq}`] });
      }
      const answered = new Set<number>();
      await conn.send(
        batch.map((b) => b.argv),
        (i, reply) => {
          answered.add(i);
          if (reply.startsWith("-")) {
            totals.inDoubt++;
            return;
          }
          totals.acked++;
          shadow.get(batch[i].key)!.acked.push(batch[i].seq);
        },
      );
      totals.inDoubt += batch.length - answered.size;
      await sleep(2);
    }
    conn?.close();
  }

  beforeAll(async () => {
    dir = await makeCrashDir();
    worker = new CrashableWorker(dir, TOKEN, VARS);
    server = await worker.start();
    for (let c = 0; c < CONNECTIONS; c++) for (const key of keysOf(c)) shadow.set(key, { type: key.includes(":s") ? "string" : "list", sent: new Set(), acked: [], next: 1 });
    // The first request woke the monitors; wait until every replica is linked.
    await until(healthy, 30_000, "a healthy deployment");
    loads = Array.from({ length: CONNECTIONS }, (_, c) => drive(c));
  }, 120_000);

  afterAll(async () => {
    stopLoad = true;
    await Promise.race([Promise.all(loads), sleep(10_000)]);
    await worker?.killAll();
    if (dir) await removeDir(dir);
    const ms = [...totals.failoverMs].sort((a, b) => a - b);
    console.log(
      `failover e2e: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}): ${totals.acked} writes acknowledged, ` +
        `${totals.inDoubt} in doubt, ${totals.failovers} failovers, ${totals.kills} kills; failover times (fault → new topology) ${ms.map((m) => Math.round(m)).join(", ")} ms`,
    );
  });

  /** Waits until group `g` has a topology newer than `epoch` with another primary; returns the time it took. */
  async function failedOver(g: number, epoch: number, from: number, ms = 20_000): Promise<void> {
    await until(async () => {
      const t = await topology();
      return t.groups[g].epoch > epoch;
    }, ms, `group ${g} to fail over`);
    totals.failovers++;
    totals.failoverMs.push(Date.now() - from);
  }

  async function kill(): Promise<void> {
    let done!: () => void;
    restarting = new Promise((resolve) => (done = resolve));
    await worker!.kill(server);
    totals.kills++;
    server = await worker!.start();
    restarting = null;
    done();
  }

  async function round(kind: Kind, g: number): Promise<void> {
    const before = (await topology()).groups[g];
    const primary = before.primary;
    const replicas = before.members.slice(1).map((m) => m.name);
    switch (kind) {
      case "primary down": {
        await fault(primary, { mode: "down" });
        await failedOver(g, before.epoch, Date.now());
        await sleep(300 + rng.int(700));
        await fault(primary, null);
        break;
      }
      case "replica down": {
        const replica = replicas[rng.int(replicas.length)];
        await fault(replica, { mode: "down" });
        await sleep(1500 + rng.int(1000));
        expect((await topology()).groups[g].epoch, "a replica down must not fail its group over").toBe(before.epoch);
        await fault(replica, null);
        break;
      }
      case "split brain": {
        await fault(primary, { mode: "partition", from: MONITORS });
        await failedOver(g, before.epoch, Date.now());
        await sleep(500 + rng.int(1000));
        await fault(primary, null);
        break;
      }
      case "monitors down": {
        await fault("monitor-1", { mode: "down" });
        await fault("monitor-2", { mode: "down" });
        await fault(primary, { mode: "down" });
        const t0 = Date.now();
        await sleep(2 * DOWN_AFTER_MS + rng.int(1000));
        const t = await topology();
        expect(t.groups[g].epoch, "no failover without a quorum of monitors").toBe(before.epoch);
        await fault("monitor-1", null);
        await fault("monitor-2", null);
        await failedOver(g, before.epoch, t0);
        await fault(primary, null);
        break;
      }
      case "SIGKILL mid-failover": {
        await fault(primary, { mode: "down" });
        // Killed while the monitors detect, elect or promote (faults live in memory: the restart heals).
        await sleep(DOWN_AFTER_MS + rng.int(700));
        await kill();
        break;
      }
      case "lagging replica, then primary down": {
        const slow = replicas[rng.int(replicas.length)];
        await fault(slow, { mode: "slow", delayMs: 400 });
        await sleep(800 + rng.int(400));
        await fault(primary, { mode: "down" });
        await failedOver(g, before.epoch, Date.now());
        await fault(slow, null);
        await fault(primary, null);
        break;
      }
    }
    // The next round starts from a healthy deployment: the old primary rejoined and resynced.
    await until(healthy, 30_000, `the deployment to heal after "${kind}" on group ${g}`);
  }

  for (let i = 0; i < ROUNDS; i++) {
    const kind = KINDS[i % KINDS.length];
    const g = Math.floor(i / KINDS.length) % 2 === 0 ? i % 2 : 1 - (i % 2);
    it(`round ${i + 1}: ${kind} (group ${g})`, () => round(kind, g), 90_000);
  }

  it("every acknowledged write is there, nothing was applied twice, nothing unsent appeared", async () => {
    stopLoad = true;
    await Promise.race([Promise.all(loads), sleep(15_000)]);
    await until(healthy, 30_000, "a healthy deployment before the check");
    const problems: string[] = [];
    /** Acknowledged writes not there (only possible, and only counted, with MIN_REPLICAS=0). */
    const lost: string[] = [];
    for (const [key, s] of shadow) {
      const seqOf = (v: string) => (v.startsWith(`${key}#`) ? Number(v.slice(key.length + 1)) : NaN);
      if (s.type === "string") {
        const v = (await read(["GET", key])) as string | null;
        const last = s.acked.length ? Math.max(...s.acked) : 0;
        if (v === null) {
          if (last > 0) lost.push(`${key}: missing, last acknowledged #${last}`);
          continue;
        }
        const seq = seqOf(v);
        if (!s.sent.has(seq)) problems.push(`${key}: ${v} was never sent`);
        else if (seq < last) lost.push(`${key}: holds #${seq}, older than the acknowledged #${last}`);
      } else {
        const items = ((await read(["LRANGE", key, "0", "-1"])) as string[]).map(seqOf);
        const present = new Set(items);
        if (present.size !== items.length) problems.push(`${key}: an element appears twice`);
        for (let i = 1; i < items.length; i++) if (!(items[i] > items[i - 1])) problems.push(`${key}: out of order at ${i}`);
        for (const x of items) if (!s.sent.has(x)) problems.push(`${key}: #${x} was never sent`);
        for (const a of s.acked) if (!present.has(a)) lost.push(`${key}: acknowledged #${a} is missing`);
      }
      if (problems.length > 20) break;
    }
    expect(problems).toEqual([]);
    if (MIN_REPLICAS >= 1) expect(lost.slice(0, 20)).toEqual([]);
    else console.log(`failover e2e with MIN_REPLICAS_TO_WRITE=0: ${lost.length} acknowledged writes lost of ${totals.acked} (${((100 * lost.length) / totals.acked).toFixed(2)}%) over ${totals.failovers} failovers`);
    expect(totals.acked).toBeGreaterThan(100);
    expect(totals.failovers).toBeGreaterThanOrEqual(Math.floor(ROUNDS / KINDS.length) * 4);
  }, 120_000);
});
