// The effect stream (src/shard/effects.ts): group commit shares one log write among the
// RPCs of a burst and holds their replies until it; a failed write aborts the object;
// PERSISTENCE=no logs nothing; a snapshot's flush commits what is staged; listeners (the
// seam for replicas) see every committed batch in order with its offset. And what the
// executor records for a handler that throws after changing data (src/commands/execute.ts):
// the state it left its keys in, so replaying the log reproduces memory exactly.
import { describe, expect, it } from "vitest";
import type { ExecContext } from "../../src/commands/context";
import { CommandError } from "../../src/commands/errors";
import { DEFAULT_LIMITS, Executor } from "../../src/commands/execute";
import { defineCommand } from "../../src/commands/table";
import { datasetDigest, digestHex } from "../../src/engine/digest";
import { Keyspace } from "../../src/engine/keyspace";
import { error } from "../../src/protocol/reply";
import { ShardCore } from "../../src/shard/core";
import { EffectStream, type CommittedBatch, type EffectLog } from "../../src/shard/effects";

const T0 = 1_700_000_000_000;

/** A log that records each append (one entry per write) and can be made to fail. */
function recordingLog() {
  const appends: string[][][] = [];
  const log: EffectLog & { appends: string[][][]; failing: boolean } = {
    appends,
    failing: false,
    append(effects) {
      if (this.failing) throw new Error("disk on fire");
      appends.push(effects.map((e) => [...e]));
    },
  };
  return log;
}

/** A stream whose deferred commits run when the test says. */
function stream(log: EffectLog | null) {
  const deferred: (() => void)[] = [];
  const aborts: string[] = [];
  const s = new EffectStream(log, { abort: (r) => void aborts.push(r), defer: (fn) => void deferred.push(fn) });
  return {
    s,
    aborts,
    /** Runs the pending commit turn. */
    turn() {
      const fn = deferred.shift();
      expect(fn, "a commit was scheduled").toBeDefined();
      fn!();
    },
    /** Commit turns waiting to run. */
    scheduled: () => deferred.length,
  };
}

describe("the effect stream", () => {
  it("commits the effects of RPCs that ran together in one log write, replies waiting for it", async () => {
    const log = recordingLog();
    const { s, turn, scheduled } = stream(log);
    s.stage([["SET", "a", "1"]]);
    const first = s.commit();
    s.stage([["SET", "b", "2"], ["DEL", "c"]]);
    const second = s.commit();
    let done = 0;
    void first.then(() => done++);
    void second.then(() => done++);
    await Promise.resolve();
    expect(done).toBe(0);
    expect(log.appends).toEqual([]);
    expect(scheduled()).toBe(1);
    turn();
    await Promise.all([first, second]);
    expect(done).toBe(2);
    expect(log.appends).toEqual([[["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "c"]]]);
  });

  it("does not hold a reply that staged nothing", async () => {
    const log = recordingLog();
    const { s, scheduled } = stream(log);
    await s.commit();
    s.stage([]);
    await s.commit();
    expect(scheduled()).toBe(0);
    expect(log.appends).toEqual([]);
  });

  it("aborts the object and fails the waiting replies when the log write fails", async () => {
    const log = recordingLog();
    log.failing = true;
    const { s, turn, aborts } = stream(log);
    s.stage([["SET", "a", "1"]]);
    const waiting = s.commit();
    turn();
    await expect(waiting).rejects.toThrow("disk on fire");
    expect(aborts).toEqual(["log write failed: disk on fire"]);
  });

  it("logs nothing with PERSISTENCE=no, and holds no reply for it", async () => {
    const { s, scheduled } = stream(null);
    s.stage([["SET", "a", "1"]]);
    await s.commit();
    s.flush();
    expect(scheduled()).toBe(0);
  });

  it("commits at once on flush (a snapshot starting), leaving the pending turn nothing to write", async () => {
    const log = recordingLog();
    const { s, turn } = stream(log);
    s.stage([["SET", "a", "1"]]);
    const waiting = s.commit();
    s.flush();
    expect(log.appends).toEqual([[["SET", "a", "1"]]]);
    turn();
    await waiting;
    expect(log.appends).toHaveLength(1);
  });

  it("hands every committed batch to its listeners in order", async () => {
    const log = recordingLog();
    const { s, turn } = stream(log);
    const seen: CommittedBatch[] = [];
    s.onCommit((b) => seen.push(b));
    s.stage([["SET", "a", "1"], ["SET", "b", "2"]]);
    s.flush();
    s.stage([["DEL", "a"]]);
    const waiting = s.commit();
    turn();
    await waiting;
    expect(seen.map((b) => b.effects)).toEqual([[["SET", "a", "1"], ["SET", "b", "2"]], [["DEL", "a"]]]);
  });

  it("receives what ShardCore stages: one batch per RPC, expiry included", async () => {
    const log = recordingLog();
    const { s, turn } = stream(log);
    let now = T0;
    const core = new ShardCore(DEFAULT_LIMITS, (effects) => s.stage(effects), () => now);
    core.exec([["SET", "a", "1", "PX", "100"], ["GET", "a"], ["INCR", "n"]]);
    now += 200;
    core.expireDue(10);
    const waiting = s.commit();
    turn();
    await waiting;
    expect(log.appends).toEqual([
      [
        ["SET", "a", "1", "PXAT", String(T0 + 100)],
        ["INCR", "n"],
        ["DEL", "a"],
      ],
    ]);
  });
});

// --- a handler that fails part-way --------------------------------------------------------

/** Every key with its DUMP and absolute expiry: the data, exactly. */
function state(db: Keyspace): [string, unknown, unknown][] {
  const ex = new Executor(db, undefined, () => T0);
  return [...db.keys()].sort().map((k) => [k, ex.runOne(["DUMP", k]), ex.runOne(["PEXPIRETIME", k])]);
}

// Test-only commands whose handlers change data, then throw. What they write depends on the
// time (as a handler's would before it propagates a deterministic form), so replaying the
// request at another time would not give what was applied.
defineCommand({
  name: "test.partial-error",
  arity: -2,
  flags: ["write"],
  group: "string",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx: ExecContext, argv: string[]) => {
    ctx.db.set(argv[1], `written at ${ctx.now}`);
    ctx.db.setExpire(argv[1], ctx.now + 60_000);
    if (argv[2] !== undefined) ctx.db.delete(argv[2]);
    throw new CommandError("ERR failed part-way");
  },
});

defineCommand({
  name: "test.partial-bug",
  arity: 2,
  flags: ["write"],
  group: "string",
  keys: { first: 1, last: 1, step: 1 },
  routing: "shard",
  run: (ctx: ExecContext, argv: string[]) => {
    ctx.propagate(["SET", argv[1], "only part"]);
    ctx.db.set(argv[1], `rewritten at ${ctx.now}`);
    throw new TypeError("a bug");
  },
});

describe("a command that fails after changing data", () => {
  it("is logged as what it applied, so replay reproduces memory exactly", () => {
    let now = T0;
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => now);
    const log: string[][] = [];
    const step = (...argv: string[]) => {
      const { replies, effects } = ex.run([argv]);
      log.push(...effects);
      return replies[0];
    };
    step("SET", "gone", "x");
    step("SET", "h", "before");
    step("RPUSH", "list", "a", "b");
    now += 7;
    expect(step("test.partial-error", "k", "gone")).toEqual(error("ERR failed part-way"));
    now += 13;
    const failed = step("test.partial-bug", "h");
    expect(failed).toMatchObject({ kind: "error" });
    expect((failed as { message: string }).message).toContain("internal error in 'test.partial-bug'");
    now += 5;
    step("test.partial-error", "k2");
    step("INCR", "n");

    // The failing requests themselves are never logged.
    expect(log.some((argv) => argv[0].startsWith("test."))).toBe(false);
    expect(log).toContainEqual(["DEL", "gone"]);

    // Replayed later (recovery), into a fresh keyspace, at another time.
    now += 3_600_000;
    const fresh = new Keyspace();
    const replayer = new Executor(fresh, undefined, () => now);
    for (const argv of log) replayer.replay(argv);
    expect(state(fresh)).toEqual(state(db));
    expect(digestHex(datasetDigest(fresh))).toBe(digestHex(datasetDigest(db)));
  });

  it("is still logged as sent when it failed without changing anything", () => {
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => T0);
    ex.runOne(["SET", "s", "x"]);
    expect(ex.run([["LPUSH", "s", "a"]]).effects).toEqual([]);
  });
});
