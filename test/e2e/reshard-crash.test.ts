/**
 * Live resharding survives SIGKILL: `wrangler dev` (router, shard groups, the SlotCoordinator)
 * reshards 4 → 8 → 3 groups while four RESP WebSocket connections keep writing (the crash
 * test's mixed load: strings, lists, hashes, sets, sorted sets, TTLs, MSET across slots,
 * MULTI/EXEC on a hash tag; test/e2e/setup/crash-workload.ts) with a shadow copy, and is
 * killed with SIGKILL (the whole process group) at several points of the migration, then
 * started again on the same state: the job resumes from its stored step.
 *
 * After every restart, mid-migration: every key the shadow knows (and every key an in-doubt
 * command touched) read back with point reads must be the shadow's, or the shadow's with a
 * prefix of its in-doubt commands applied (test/e2e/setup/crash-shadow.ts `check`); KEYS
 * never lists a key twice nor a key that does not exist. After each reshard has finished:
 * KEYS and every value, type and expiry equal the shadow exactly, DBSIZE equals its size,
 * DEBUG DIGEST equals that of a redis-server loaded with the shadow, and every group object
 * holds exactly the keys of the slots the map gives it (GET /admin/slot-keys, straight from
 * the objects): no key in a group that does not own its slot, none in two groups, none left
 * in a retired group.
 *
 * Kill points rotate over: just after the reshard was started (the job's first steps),
 * after a random number of migration batches, while a chunk's keys are moving (a random few
 * ms into a "move" phase: likely inside a batch, between the target's import and the
 * source's delete), and when a chunk reaches its finish/release steps. Migration batches
 * are small (batchKeys) and throttled (pauseMs) so that a chunk takes several and the job
 * spans every kill point of its reshard. HOTSLOT_RESHARD_KILLS sets the number
 * of kill points (default 8, split over both reshards); HOTSLOT_RESHARD_SEED the seed.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keySlot } from "../../src/util/keyslot";
import { Rng } from "../support/random";
import { startReferenceRedis, type ReferenceRedis } from "../support/reference-redis";
import { parseReply } from "../support/resp-wire";
import { CrashableWorker, makeCrashDir, type Server } from "./setup/crash-process";
import { OK, acknowledgeOp, check, command, compactOften, readDataset, readKeys, type Db, type Op } from "./setup/crash-shadow";
import { FAMILY_SIZE, Workload } from "./setup/crash-workload";
import { removeDir } from "./setup/worker";
import { WsRespConnection } from "./setup/ws-resp";

const TOKEN = "reshard-crash-token-0123456789";
const ADMIN_TOKEN = "reshard-crash-admin-0123456789";
const KILLS = Number(process.env.HOTSLOT_RESHARD_KILLS ?? 8);
const SEED = Number(process.env.HOTSLOT_RESHARD_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONNECTIONS = 4;
const TRYAGAIN = "-TRYAGAIN Multiple keys request during rehashing of slot\r\n";
/** Small string keys set once (some with a TTL): volume, so every chunk has several batches. */
const FILLER_KEYS = 4000;
/** Keys per migration batch, and the rest after each: the job spans several kill points. */
const BATCH_KEYS = 4;
const PAUSE_MS = 12;
/** Groups the audit asks: every group any layout of this test had. */
const ALL_GROUPS = 8;
const PHASES = [8, 3];

type Timing = "after the reshard started" | "after N batches" | "while keys move" | "at a chunk's finish";
const TIMINGS: Timing[] = ["after the reshard started", "after N batches", "while keys move", "at a chunk's finish"];

const timingRng = new Rng(SEED);

interface Job {
  stage: string;
  batches: number;
  keysMoved: number;
  doneSlots: number;
  totalSlots: number;
  lastError: string | null;
  chunk: { phase: string } | null;
}

describe(`live resharding 4 → 8 → 3 survives SIGKILL of wrangler dev under load (${KILLS} kill points, seed ${SEED})`, () => {
  let dir: string;
  let worker: CrashableWorker | undefined;
  let server: Server | null = null;
  let redis: ReferenceRedis | undefined;
  const shadow: Db = new Map();
  const workloads = Array.from({ length: CONNECTIONS }, (_, c) => new Workload(c, SEED));
  const totals = { tryagain: 0, acked: 0, inDoubt: 0, appliedKeys: 0, restartMs: 0, kills: 0 };
  const started = Date.now();

  async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const res = await fetch(`${server!.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  }

  async function job(): Promise<Job | null> {
    return (await admin("GET", "/admin/topology")).json.slots.job;
  }

  async function startReshard(shards: number): Promise<void> {
    const r = await admin("POST", "/admin/reshard", { shards, batchKeys: BATCH_KEYS, pauseMs: PAUSE_MS });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
  }

  async function configure(): Promise<void> {
    const control = await WsRespConnection.open(server!.wsUrl, TOKEN);
    await compactOften(control);
    control.close();
  }

  function acknowledge(op: Op, replies: string[], ackAt: number, mismatches: string[]): void {
    // A MULTI/EXEC whose keys were partly moved is refused whole, as Redis Cluster refuses
    // it: nothing happened (the client would retry).
    if (op.atomic && replies.length === op.argvs.length && replies[replies.length - 1] === TRYAGAIN) {
      totals.tryagain++;
      return;
    }
    acknowledgeOp(shadow, op, replies, ackAt, mismatches);
  }

  beforeAll(async () => {
    dir = await makeCrashDir();
    worker = new CrashableWorker(dir, TOKEN, { HOTSLOT_ADMIN_TOKEN: ADMIN_TOKEN, ENABLE_DEBUG_COMMAND: "yes" });
    [server, redis] = await Promise.all([worker.start(), startReferenceRedis({ args: ["--enable-debug-command", "yes"] })]);
    await configure();
    const mismatches: string[] = [];
    const rng = new Rng(SEED + 1);
    const filler = Array.from({ length: FILLER_KEYS }, (_, i) => {
      const argv = ["SET", `f:${i}`, `filler-${i}-${"x".repeat(rng.range(0, 300))}`];
      if (i % 5 === 0) argv.push("EX", String(rng.range(1, 30) * 86_400));
      return command(9, argv, [argv[1]]);
    });
    await Promise.all(
      [...workloads.map((w) => Array.from({ length: FAMILY_SIZE.blob }, (_, i) => w.blobSet(i))), filler].map(async (ops) => {
        const conn = await WsRespConnection.open(server!.wsUrl, TOKEN);
        for (let i = 0; i < ops.length; i += 100) {
          const part = ops.slice(i, i + 100);
          for (const op of part) op.sentAt = Date.now();
          await conn.send(
            part.map((o) => o.argvs[0]),
            (j, reply) => acknowledge(part[j], [reply], Date.now(), mismatches),
          );
        }
        conn.close();
      }),
    );
    expect(mismatches).toEqual([]);
    expect(shadow.size).toBe(FILLER_KEYS + CONNECTIONS * FAMILY_SIZE.blob);
  }, 120_000);

  afterAll(async () => {
    await worker?.killAll();
    await redis?.stop();
    if (dir) await removeDir(dir);
    console.log(
      `reshard crash e2e: ${totals.kills} kills in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}): ` +
        `${totals.acked} writes acknowledged (${totals.tryagain} MULTI/EXEC refused with TRYAGAIN), ${totals.inDoubt} in doubt at the kills (${totals.appliedKeys} keys showed some applied), ` +
        `restarts took ${(totals.restartMs / Math.max(1, totals.kills) / 1000).toFixed(2)} s on average`,
    );
  });

  /** Drives the load until `stop` resolves; returns what was in flight (in doubt if the server died). */
  async function loadUntil(stop: Promise<void>): Promise<{ acked: number; inFlight: Op[][]; mismatches: string[] }> {
    const conns = await Promise.all(workloads.map(() => WsRespConnection.open(server!.wsUrl, TOKEN)));
    const mismatches: string[] = [];
    const inFlight: Op[][] = workloads.map(() => []);
    let stopped = false;
    let acked = 0;
    void stop.then(() => (stopped = true));
    const drive = async (c: number) => {
      const conn = conns[c];
      while (!stopped && !conn.isClosed) {
        const ops = Array.from({ length: workloads[c].pipelineLength([1, 40]) }, () => workloads[c].next(6));
        const argvs: string[][] = [];
        const owner: Op[] = [];
        const replies = new Map<Op, string[]>();
        for (const op of ops) {
          op.argvs.forEach((a) => (argvs.push(a), owner.push(op)));
          replies.set(op, []);
        }
        inFlight[c] = [...ops];
        const sentAt = Date.now();
        for (const op of ops) op.sentAt = sentAt;
        await conn.send(argvs, (i, reply) => {
          const op = owner[i];
          const got = replies.get(op)!;
          got.push(reply);
          if (got.length < op.argvs.length) return;
          acknowledge(op, got, Date.now(), mismatches);
          acked++;
          inFlight[c].splice(inFlight[c].indexOf(op), 1);
        });
      }
    };
    await Promise.all(conns.map((_, c) => drive(c)));
    await stop;
    await Promise.all(conns.map((c) => (c.close(), Promise.race([c.closed, sleep(5000)]))));
    return { acked, inFlight, mismatches };
  }

  /** Resolves when `timing`'s moment of the running job comes (or the job ends, or 15 s pass). */
  async function killMoment(timing: Timing, phase: number): Promise<string> {
    if (timing === "after the reshard started") {
      await startReshard(phase);
      const ms = timingRng.range(0, 400);
      await sleep(ms);
      return `${ms} ms after POST /admin/reshard`;
    }
    const deadline = Date.now() + 8_000;
    const first = await job();
    const batches = timingRng.range(1, 12);
    const delay = timingRng.range(0, 25);
    for (;;) {
      const j = await job();
      if (j === null) return "the job had ended";
      if (Date.now() > deadline) return `timeout (job ${JSON.stringify(j).slice(0, 200)})`;
      if (timing === "after N batches" && j.batches >= (first?.batches ?? 0) + batches) return `after ${j.batches - (first?.batches ?? 0)} batches (asked ${batches})`;
      if (timing === "while keys move" && j.chunk?.phase === "move" && j.batches > (first?.batches ?? 0)) {
        await sleep(delay);
        return `${delay} ms into a move phase`;
      }
      if (timing === "at a chunk's finish" && (j.chunk?.phase === "finish" || j.chunk?.phase === "release")) return `at phase ${j.chunk.phase}`;
      await sleep(timing === "at a chunk's finish" ? 2 : 10);
    }
  }

  /** Point reads of every key the shadow knows or an in-doubt command touched, and KEYS. */
  async function readBack(inDoubt: Op[]): Promise<{ observed: Db; listed: string[] }> {
    const reader = await WsRespConnection.open(server!.wsUrl, TOKEN);
    const keys = [...new Set([...shadow.keys(), ...inDoubt.flatMap((op) => op.keys)])];
    const observed = await readKeys(reader, keys, true);
    const r = parseReply(await reader.call("KEYS", "*"));
    reader.close();
    if (r.type !== "*" || r.items === null) throw new Error(`KEYS *: ${r.raw.slice(0, 200)}`);
    return { observed, listed: r.items.map((x) => (x as { text: string }).text) };
  }

  /** KEYS mid-migration: no key twice, none that does not exist. */
  function checkListing(listed: string[], observed: Db): string[] {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const k of listed) {
      if (seen.has(k)) problems.push(`KEYS lists ${JSON.stringify(k)} twice`);
      else if (!observed.has(k)) problems.push(`KEYS lists ${JSON.stringify(k)}, which does not exist`);
      seen.add(k);
    }
    return problems.slice(0, 20);
  }

  let phaseIndex = 0;
  const killsPerPhase = Math.ceil(KILLS / PHASES.length);

  for (let round = 1; round <= KILLS; round++) {
    const phase = PHASES[Math.min(PHASES.length - 1, Math.floor((round - 1) / killsPerPhase))];
    const timing = TIMINGS[((round - 1) % killsPerPhase) % TIMINGS.length];
    it(`kill point ${round}: reshard to ${phase}, ${timing}`, async () => {
      // The previous phase ends (checked below) before the next reshard starts.
      if (PHASES.indexOf(phase) !== phaseIndex) throw new Error("the previous reshard did not finish");
      let moment = "";
      const stop = (async () => {
        // Some load first, so every kill point has acknowledged writes behind it.
        await sleep(timingRng.range(50, 250));
        if (timing !== "after the reshard started" && (await job()) === null) await startReshard(phase);
        moment = await killMoment(timing, phase);
        totals.kills++;
        await worker!.kill(server!);
      })();
      const killAt = { t: 0 };
      void stop.then(() => (killAt.t = Date.now()));
      const { acked, inFlight, mismatches } = await loadUntil(stop);
      const restartStarted = Date.now();
      server = await worker!.start();
      const restartMs = Date.now() - restartStarted;
      await configure();
      const inDoubt = inFlight.flat();
      const { observed, listed } = await readBack(inDoubt);
      const { problems, appliedKeys } = check(shadow, observed, inDoubt, killAt.t);
      shadow.clear();
      for (const [k, e] of observed) shadow.set(k, e);
      const j = await job();
      totals.acked += acked;
      totals.inDoubt += inDoubt.length;
      totals.appliedKeys += appliedKeys;
      totals.restartMs += restartMs;
      console.log(
        `kill point ${round} (to ${phase}, ${moment}): ${acked} acknowledged, ${inDoubt.length} in doubt (${appliedKeys} keys show some applied); ` +
          `${observed.size} keys, KEYS lists ${listed.length}; restart ${restartMs} ms; job after restart: ` +
          (j ? `${j.stage}, ${j.doneSlots}/${j.totalSlots} slots, ${j.batches} batches, ${j.keysMoved} keys moved${j.lastError ? `, last error ${j.lastError}` : ""}` : "done"),
      );
      expect(mismatches).toEqual([]);
      expect(problems.slice(0, 20)).toEqual([]);
      expect(checkListing(listed, observed)).toEqual([]);
      expect(acked).toBeGreaterThan(0);
    }, 90_000);

    if (round % killsPerPhase === 0 || round === KILLS) {
      const finished = phase;
      it(`the reshard to ${finished} resumes and finishes; the dataset is the shadow's, exactly once, each key in its slot's group`, async () => {
        // Load until the job is done (it may already be), then one full comparison.
        const done = (async () => {
          await sleep(200);
          for (let i = 0; (await job()) !== null; i++) {
            if (i > 600) throw new Error(`the reshard to ${finished} did not finish: ${JSON.stringify(await job())}\nwrangler's output:\n${server!.output()}`);
            await sleep(100);
          }
        })();
        const { mismatches, inFlight } = await loadUntil(done.catch(() => {}));
        await done;
        expect(inFlight.flat()).toEqual([]);
        expect(mismatches).toEqual([]);
        const topology = (await admin("GET", "/admin/topology")).json.slots;
        expect(topology.groups).toBe(finished);
        expect(topology.lastJob.shards).toBe(finished);

        const reader = await WsRespConnection.open(server!.wsUrl, TOKEN);
        const observed = await readDataset(reader);
        expect(check(shadow, observed, [], Date.now()).problems.slice(0, 20)).toEqual([]);
        expect([...observed.keys()].sort()).toEqual([...shadow.keys()].sort());
        expect(await reader.call("DBSIZE")).toBe(`:${shadow.size}\r\n`);
        const digest = await reader.call("DEBUG", "DIGEST");
        reader.close();
        for (const [k, e] of observed) shadow.set(k, e);
        expect(digest).toBe(await referenceDigest(shadow));

        // Straight from the objects: each group holds exactly its slots' keys.
        const owner = new Uint16Array(16384);
        for (const [first, last, g] of topology.ranges as number[][]) owner.fill(g, first, last + 1);
        const expected = new Map<number, Map<number, number>>();
        for (const k of shadow.keys()) {
          const s = keySlot(k);
          const g = owner[s];
          const m = expected.get(g) ?? expected.set(g, new Map()).get(g)!;
          m.set(s, (m.get(s) ?? 0) + 1);
        }
        const audit = (await admin("GET", `/admin/slot-keys?groups=${ALL_GROUPS}`)).json;
        const misplaced: string[] = [];
        for (const { group, slots } of audit.groups as { group: number; slots: [number, number][] }[]) {
          const want = expected.get(group) ?? new Map<number, number>();
          for (const [slot, n] of slots) if (want.get(slot) !== n) misplaced.push(`group ${group} holds ${n} keys of slot ${slot} (owner ${owner[slot]}, expected ${want.get(slot) ?? 0} here)`);
          const held = new Set(slots.map(([s]) => s));
          for (const [slot, n] of want) if (!held.has(slot)) misplaced.push(`group ${group} lacks the ${n} keys of slot ${slot}`);
        }
        expect(misplaced.slice(0, 20)).toEqual([]);
        console.log(`reshard to ${finished} done: epoch ${topology.epoch}, ${topology.lastJob.keysMoved} keys moved in ${topology.lastJob.batches} batches; ${shadow.size} keys, digest ${digest.trim()}`);
        phaseIndex++;
      }, 120_000);
    }
  }

  /** DEBUG DIGEST of a fresh redis-server holding exactly `db`. */
  async function referenceDigest(db: Db): Promise<string> {
    const client = redis!.client;
    {
      expect(await client.call("FLUSHALL")).toBe(OK);
      const cmds: string[][] = [];
      for (const [k, { v, exp }] of db) {
        if (v.type === "string") cmds.push(["SET", k, v.s]);
        else if (v.type === "list") cmds.push(["RPUSH", k, ...v.l]);
        else if (v.type === "hash") cmds.push(["HSET", k, ...[...v.h].flat()]);
        else if (v.type === "set") cmds.push(["SADD", k, ...v.m]);
        else cmds.push(["ZADD", k, ...[...v.z].flatMap(([m, s]) => [String(s), m])]);
        if (exp) cmds.push(["PEXPIREAT", k, String(exp[0])]);
      }
      for (let i = 0; i < cmds.length; i += 500) {
        const replies = await client.pipeline(cmds.slice(i, i + 500));
        const bad = replies.find((r) => r.startsWith("-"));
        if (bad) throw new Error(`redis-server refused loading the shadow: ${bad}`);
      }
      return await client.call("DEBUG", "DIGEST");
    }
  }
});
