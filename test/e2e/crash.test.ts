/**
 * Crash safety, proven: `wrangler dev` (router + 4 shard Durable Objects, its workerd
 * processes included) is killed with SIGKILL in the middle of a sustained write load, started
 * again on the same persist dir, and the whole dataset read back must equal the shadow copy
 * this file keeps:
 *   - every acknowledged write is present (a write counts as acknowledged when its reply
 *     arrived, and its reply is checked against the shadow too);
 *   - a command sent but unanswered at the kill ("in doubt") may or may not have happened —
 *     for each key, the stored value must be the shadow's, or the shadow's with a prefix of
 *     that key's in-doubt commands applied, and a MULTI/EXEC happened for all its keys or
 *     for none;
 *   - nothing that was never sent is present (every key and every value is accounted for).
 *
 * The load: four RESP WebSocket connections straight to the Worker (each frame is one
 * pipeline), each owning its keys, so per key the in-doubt commands are at most those of
 * its connection's last pipeline. Mixed types (strings with SET/APPEND/INCRBY/MSET across
 * shards, lists, hashes, sets, sorted sets), large TTLs (SET … EX, PEXPIRE, PERSIST), binary
 * values, and MULTI/EXEC on one hash tag. The log compacts often (small
 * auto-aof-rewrite-min-size, low percentage) and the values are big enough that snapshots
 * span several slices and chunk rows.
 *
 * Kill points rotate over four timings: during heavy pipelining, right after a MULTI/EXEC
 * reply arrives, a few ms after BGREWRITEAOF started a snapshot, and at a random moment.
 * The dataset carries over from one kill point to the next, so later recoveries load
 * snapshots taken after earlier crashes plus the log after them. Before each restart the
 * shards' SQLite files are inspected (on a copy) to count kills that caught a snapshot half
 * written. HOTSLOT_CRASH_ROUNDS sets the number of kill points (default 24); the seed
 * (printed; HOTSLOT_CRASH_SEED to set it) fixes each connection's commands and the kill
 * delays, though not where exactly the kill lands in the server's work.
 *
 * The pieces live in test/e2e/setup/: crash-workload.ts (the seeded load), crash-shadow.ts
 * (the shadow, reading the dataset back, the check), crash-process.ts (wrangler dev as a
 * process group, the SQLite inspection), ws-resp.ts (RESP over the WebSocket).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../support/random";
import { CRASH_REPLICAS, CRASH_SHARDS, CrashableWorker, inspectDisk, makeCrashDir, type Server } from "./setup/crash-process";
import { acknowledgeOp, check, compactOften, readDataset, type Db, type Op } from "./setup/crash-shadow";
import { FAMILY_SIZE, Workload } from "./setup/crash-workload";
import { removeDir } from "./setup/worker";
import { WsRespConnection } from "./setup/ws-resp";

const TOKEN = "crash-token-0123456789";

const ROUNDS = Number(process.env.HOTSLOT_CRASH_ROUNDS ?? 24);
const SEED = Number(process.env.HOTSLOT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CONNECTIONS = 4;

/** Kill timings; the connections have their own generators. */
const timingRng = new Rng(SEED);

type Timing = "pipelining" | "after MULTI/EXEC" | "during a snapshot" | "at a random moment";
const TIMINGS: Timing[] = ["pipelining", "after MULTI/EXEC", "during a snapshot", "at a random moment"];

/** Commands per pipeline, MULTI/EXEC weight (per 100 commands) for each timing. */
const LOAD: Record<Timing, { pipeline: [number, number]; tx: number }> = {
  pipelining: { pipeline: [80, 250], tx: 4 },
  "after MULTI/EXEC": { pipeline: [3, 25], tx: 30 },
  "during a snapshot": { pipeline: [20, 80], tx: 6 },
  "at a random moment": { pipeline: [1, 40], tx: 6 },
};

/**
 * Ms from the first acknowledgement to the kill; after MULTI/EXEC, to arming it (the next
 * EXEC reply kills); during a snapshot, to BGREWRITEAOF (the kill follows its reply by 0–60 ms).
 */
const KILL_DELAY: Record<Timing, [number, number]> = {
  pipelining: [100, 1100],
  "after MULTI/EXEC": [50, 800],
  "during a snapshot": [100, 600],
  "at a random moment": [0, 1400],
};

/** A frame stays well under the WebSocket message limit. */
const MAX_FRAME_BYTES = 400_000;

describe(`a shard never loses an acknowledged write: SIGKILL of wrangler dev under load (${ROUNDS} kill points, seed ${SEED})`, () => {
  let dir: string;
  let worker: CrashableWorker | undefined;
  let server: Server | null = null;
  const shadow: Db = new Map();
  const workloads = Array.from({ length: CONNECTIONS }, (_, c) => new Workload(c, SEED));
  const totals = { acked: 0, inDoubt: 0, appliedKeys: 0, halfWritten: 0, snapshotsSeen: 0, restartMs: 0 };
  const started = Date.now();

  async function configure(): Promise<void> {
    const control = await WsRespConnection.open(server!.wsUrl, TOKEN);
    await compactOften(control);
    control.close();
  }

  /** Applies an acknowledged op to the shadow; a reply that is not the shadow's is a failure. */
  function acknowledge(op: Op, replies: string[], ackAt: number, mismatches: string[]): void {
    acknowledgeOp(shadow, op, replies, ackAt, mismatches);
  }

  beforeAll(async () => {
    dir = await makeCrashDir();
    worker = new CrashableWorker(dir, TOKEN);
    server = await worker.start();
    await configure();
    // Every blob key once, acknowledged: a few MB, so snapshots take several slices and chunks.
    const mismatches: string[] = [];
    await Promise.all(
      workloads.map(async (w) => {
        const conn = await WsRespConnection.open(server!.wsUrl, TOKEN);
        for (let i = 0; i < FAMILY_SIZE.blob; i += 10) {
          const ops = Array.from({ length: 10 }, (_, j) => w.blobSet(i + j));
          for (const op of ops) op.sentAt = Date.now();
          await conn.send(
            ops.map((o) => o.argvs[0]),
            (j, reply) => acknowledge(ops[j], [reply], Date.now(), mismatches),
          );
        }
        conn.close();
      }),
    );
    expect(mismatches).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    await worker?.killAll();
    if (dir) await removeDir(dir);
    console.log(
      `crash e2e: ${ROUNDS} kill points in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${SEED}): ` +
        `${totals.acked} writes acknowledged, ${totals.inDoubt} in doubt at the kills (${totals.appliedKeys} keys showed some of them applied), ` +
        `${totals.halfWritten} kills caught a shard with a half-written snapshot on disk, ${totals.snapshotsSeen} committed snapshots seen on disk, ` +
        `restarts took ${(totals.restartMs / ROUNDS / 1000).toFixed(2)} s on average`,
    );
  });

  /** What the load of one kill point ended with. */
  interface KilledLoad {
    /** Ops whose every reply arrived (already applied to the shadow). */
    acked: number;
    /** Per connection, the ops sent whose replies have not all arrived (a late reply still acknowledges). */
    inFlight: Op[][];
    killAt: number;
    /** From the start of the load to the kill. */
    loadMs: number;
    /** Acknowledged replies that were not the shadow's. */
    mismatches: string[];
    /** BGREWRITEAOF's reply, for the "during a snapshot" timing. */
    rewriteReply: string | null;
  }

  /**
   * Drives every connection's load (pipelines shaped by `timing`'s LOAD) until the kill
   * `timing` calls for, kills wrangler dev, and waits until every connection saw it close.
   */
  async function loadUntilKilled(timing: Timing): Promise<KilledLoad> {
    const load = LOAD[timing];
    const conns = await Promise.all(workloads.map(() => WsRespConnection.open(server!.wsUrl, TOKEN)));
    const control = await WsRespConnection.open(server!.wsUrl, TOKEN);
    const mismatches: string[] = [];
    const inFlight: Op[][] = workloads.map(() => []);
    let killed: Promise<void> | null = null;
    let killAt = 0;
    let acked = 0;
    const kill = () => {
      if (killed) return;
      killAt = Date.now();
      killed = worker!.kill(server!);
    };
    const loadStarted = Date.now();
    /** After MULTI/EXEC: kill the moment an EXEC reply arrives, once armed. */
    let armedAt = Infinity;
    let rewriteReply: string | null = null;
    /** Kill delays count from the first acknowledgement: every kill point has some behind it. */
    let firstAck = () => {};
    const acking = new Promise<void>((resolve) => (firstAck = resolve));

    const drive = async (c: number) => {
      const conn = conns[c];
      while (!killed && !conn.isClosed) {
        const ops: Op[] = [];
        let bytes = 0;
        for (let n = workloads[c].pipelineLength(load.pipeline); n > 0 && bytes < MAX_FRAME_BYTES; n--) {
          const op = workloads[c].next(load.tx);
          bytes += op.argvs.reduce((s, a) => s + a.reduce((t, x) => t + x.length + 16, 0), 0);
          ops.push(op);
        }
        const argvs: string[][] = [];
        const owner: [Op, number][] = [];
        const replies = new Map<Op, string[]>();
        for (const op of ops) {
          op.argvs.forEach((a, i) => (argvs.push(a), owner.push([op, i])));
          replies.set(op, []);
        }
        inFlight[c] = [...ops];
        const sentAt = Date.now();
        for (const op of ops) op.sentAt = sentAt;
        await conn.send(argvs, (i, reply) => {
          const [op] = owner[i];
          const got = replies.get(op)!;
          got.push(reply);
          if (got.length < op.argvs.length) return;
          // Acknowledged: it must survive whatever happens next.
          acknowledge(op, got, Date.now(), mismatches);
          if (acked++ === 0) firstAck();
          inFlight[c].splice(inFlight[c].indexOf(op), 1);
          if (op.atomic && Date.now() >= armedAt) kill();
        });
      }
    };

    const drivers = conns.map((_, c) => drive(c));
    // Whatever the timing, the kill comes (e.g. if no reply ever arrives).
    const fallback = setTimeout(kill, 10_000);
    const delay = timingRng.range(...KILL_DELAY[timing]);
    void acking.then(() => {
      const ackedAt = Date.now();
      switch (timing) {
        case "after MULTI/EXEC":
          armedAt = ackedAt + delay;
          break;
        case "during a snapshot":
          setTimeout(() => {
            // Every shard starts a snapshot (sliced, between requests); kill while they run.
            void control.send([["BGREWRITEAOF"]], (_, reply) => {
              rewriteReply = reply;
              setTimeout(kill, timingRng.range(0, 60));
            });
          }, delay);
          break;
        default:
          setTimeout(kill, delay);
      }
    });
    await Promise.all(drivers);
    while (!killed) await sleep(5);
    await killed;
    clearTimeout(fallback);
    await Promise.all([...conns, control].map((c) => Promise.race([c.closed, sleep(5000)])));
    return { acked, inFlight, killAt, loadMs: killAt - loadStarted, mismatches, rewriteReply };
  }

  /** Starts wrangler dev again on the same state and reads back everything the shards hold. */
  async function restartAndReadBack(): Promise<{ observed: Db; restartMs: number }> {
    const restartStarted = Date.now();
    server = await worker!.start();
    const restartMs = Date.now() - restartStarted;
    await configure();
    const reader = await WsRespConnection.open(server.wsUrl, TOKEN);
    const observed = await readDataset(reader);
    reader.close();
    return { observed, restartMs };
  }

  for (let round = 1; round <= ROUNDS; round++) {
    const timing = TIMINGS[(round - 1) % TIMINGS.length];
    it(`kill point ${round}: ${timing}`, async () => {
      const { acked, inFlight, killAt, loadMs, mismatches, rewriteReply } = await loadUntilKilled(timing);
      const disk = await inspectDisk(dir);
      const { observed, restartMs } = await restartAndReadBack();

      const inDoubt = inFlight.flat();
      const { problems, appliedKeys } = check(shadow, observed, inDoubt, killAt);
      // Carry on from what the shards hold: in-doubt commands are now decided.
      shadow.clear();
      for (const [k, e] of observed) shadow.set(k, e);

      totals.acked += acked;
      totals.inDoubt += inDoubt.length;
      totals.appliedKeys += appliedKeys;
      totals.halfWritten += disk.halfWritten > 0 ? 1 : 0;
      totals.snapshotsSeen += disk.snapshots;
      totals.restartMs += restartMs;
      console.log(
        `kill point ${round} (${timing}) after ${loadMs} ms: ${acked} acknowledged, ${inDoubt.length} in doubt (${appliedKeys} keys show some applied); ` +
          `on disk ${disk.snapshots} snapshots, ${disk.halfWritten} half-written, ${disk.logRows} log rows; ${observed.size} keys; restart ${restartMs} ms` +
          (problems.length ? `; ${problems.length} keys wrong` : ""),
      );
      expect(mismatches).toEqual([]);
      expect(problems.slice(0, 20)).toEqual([]);
      expect(acked).toBeGreaterThan(0);
      if (timing === "during a snapshot") {
        // Started, or an automatic one was already under way.
        expect(rewriteReply).toMatch(/^\+Background append only file rewriting started\r\n$|^-ERR Background append only file rewriting already in progress\r\n$/);
      }
    }, 90_000);
  }

  it("had kills land while a snapshot was half written to disk, and every shard object (primaries and replicas) had compacted its log", () => {
    // Each kill catches chunks of an uncommitted snapshot about half the time; with fewer
    // kill points (HOTSLOT_CRASH_ROUNDS) missing them all is too likely to assert.
    if (ROUNDS >= 8) expect(totals.halfWritten).toBeGreaterThan(0);
    expect(totals.snapshotsSeen).toBe(CRASH_SHARDS * (1 + CRASH_REPLICAS) * ROUNDS);
  });
});
