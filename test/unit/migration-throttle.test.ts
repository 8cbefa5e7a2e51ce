/**
 * The adaptive migration throttle (src/monitor/migration-job.ts): batches sized to about
 * BATCH_TARGET_MS on a source that serves clients, with a pause keeping them at most
 * MIGRATION_SHARE of its time; an idle source gets no pause and growing batches; explicit
 * batchKeys / pauseMs override each half.
 */
import { describe, expect, it } from "vitest";
import {
  BATCH_KEYS,
  BATCH_TARGET_MS,
  batchKeysOf,
  batchWaitMs,
  IDLE_BATCH_KEYS,
  MAX_PAUSE_MS,
  MIGRATION_SHARE,
  MIN_BATCH_KEYS,
  newJob,
  pauseOf,
  throttleAfterBatch,
  type MigrationJob,
} from "../../src/monitor/migration-job";

function job(batchKeys: number | null = null, pauseMs: number | null = null): MigrationJob {
  return newJob("reshard", 8, 4, [{ slot: 0, from: 0, to: 4 }], 0, batchKeys, pauseMs);
}

describe("adaptive migration throttle", () => {
  it("under load: sizes batches to the target time and pauses so they take at most the share", () => {
    const j = job();
    expect(batchKeysOf(j)).toBe(BATCH_KEYS);
    // 1000 keys took 80 ms while clients were served: 250 keys would take BATCH_TARGET_MS;
    // the size moves there at most halving (or doubling) per batch.
    throttleAfterBatch(j, { moved: 1000, busyMs: 80, clientOps: 40 });
    expect(batchKeysOf(j)).toBe(500);
    expect(pauseOf(j)).toBe(240);
    expect(80 / (80 + pauseOf(j))).toBeCloseTo(MIGRATION_SHARE, 5);
    throttleAfterBatch(j, { moved: 500, busyMs: 40, clientOps: 40 });
    expect(batchKeysOf(j)).toBe(Math.round((500 / 40) * BATCH_TARGET_MS));
    // At most halved per batch (one slow batch does not collapse the size)…
    throttleAfterBatch(j, { moved: 250, busyMs: 2000, clientOps: 40 });
    expect(batchKeysOf(j)).toBe(125);
    expect(pauseOf(j)).toBe(MAX_PAUSE_MS);
    // …and never below the floor.
    for (let i = 0; i < 10; i++) throttleAfterBatch(j, { moved: 10, busyMs: 1000, clientOps: 1 });
    expect(batchKeysOf(j)).toBe(MIN_BATCH_KEYS);
    // Fast batches grow it again, at most doubling.
    throttleAfterBatch(j, { moved: 50, busyMs: 1, clientOps: 1 });
    expect(batchKeysOf(j)).toBe(100);
    expect(j.busyMs).toBe(80 + 40 + 2000 + 10 * 1000 + 1);
  });

  it("idle: no pause and batches grow to the idle bound", () => {
    const j = job();
    throttleAfterBatch(j, { moved: 1000, busyMs: 80, clientOps: 5 });
    expect(pauseOf(j)).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) throttleAfterBatch(j, { moved: batchKeysOf(j), busyMs: 50, clientOps: 0 });
    expect(pauseOf(j)).toBe(0);
    expect(batchKeysOf(j)).toBe(IDLE_BATCH_KEYS);
  });

  it("explicit batchKeys and pauseMs override each half", () => {
    const fixed = job(250, 20);
    throttleAfterBatch(fixed, { moved: 250, busyMs: 500, clientOps: 100 });
    expect(batchKeysOf(fixed)).toBe(250);
    expect(pauseOf(fixed)).toBe(20);
    const sizeOnly = job(250);
    throttleAfterBatch(sizeOnly, { moved: 250, busyMs: 10, clientOps: 100 });
    expect(batchKeysOf(sizeOnly)).toBe(250);
    expect(pauseOf(sizeOnly)).toBe(30);
    const pauseOnly = job(null, 0);
    throttleAfterBatch(pauseOnly, { moved: 1000, busyMs: 100, clientOps: 100 });
    expect(pauseOf(pauseOnly)).toBe(0);
    expect(batchKeysOf(pauseOnly)).toBe(500);
  });

  it("a job stored before adaptive throttling (batchKeys 1000, pauseMs 0) keeps its fixed tuning", () => {
    const old = { ...job(), batchKeys: 1000, pauseMs: 0 } as MigrationJob;
    delete old.adaptiveKeys;
    delete old.nextPauseMs;
    throttleAfterBatch(old, { moved: 1000, busyMs: 100, clientOps: 100 });
    expect(batchKeysOf(old)).toBe(1000);
    expect(pauseOf(old)).toBe(0);
  });

  it("waits only before a batch, until the pause after the previous one ran out", () => {
    const j = job();
    j.stage = "chunks";
    j.chunk = { from: 0, to: 4, slots: [0], phase: "move" };
    j.nextBatchAt = 1000;
    expect(batchWaitMs(j, 900)).toBe(100);
    expect(batchWaitMs(j, 1200)).toBe(0);
    j.chunk.phase = "finish";
    expect(batchWaitMs(j, 900)).toBe(0);
  });
});
