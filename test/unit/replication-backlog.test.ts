/** The replication backlog and offsets (src/shard/replication-backlog.ts). */
import { describe, expect, it } from "vitest";
import { effectBytes, ReplicationBacklog } from "../../src/shard/replication-backlog";
import { encodeCommandBinary } from "../../src/protocol/resp";

describe("replication backlog", () => {
  it("counts offsets in bytes of the effects' RESP form", () => {
    for (const argv of [["SET", "k", "v"], ["DEL", "x".repeat(1000)], ["HSET", "h", "\u00ff\u0000", ""]]) {
      expect(effectBytes(argv)).toBe(encodeCommandBinary(argv).length);
    }
  });

  it("serves a replica from its offset, batches whole, and resumes at the end", () => {
    const b = new ReplicationBacklog(100);
    const e1 = b.append([["SET", "a", "1"]]);
    const e2 = b.append([["SET", "b", "2"], ["DEL", "a"]]);
    expect(e1.start).toBe(100);
    expect(b.offset).toBe(e2.end);
    expect(b.since(100)).toEqual({ effects: [["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "a"]], to: e2.end });
    expect(b.since(e1.end)).toEqual({ effects: [["SET", "b", "2"], ["DEL", "a"]], to: e2.end });
    expect(b.since(e2.end)).toEqual({ effects: [], to: e2.end });
    // Inside a batch, before the backlog or past its end: not servable.
    expect(b.since(101)).toBeNull();
    expect(b.since(99)).toBeNull();
    expect(b.since(e2.end + 1)).toBeNull();
  });

  it("keeps at most its capacity in bytes (always the newest batch), so an old offset needs a full resync", () => {
    const b = new ReplicationBacklog(0, 100);
    for (let i = 0; i < 10; i++) b.append([["SET", `k${i}`, "x".repeat(30)]]);
    expect(b.histlen).toBeLessThanOrEqual(100);
    expect(b.covers(0)).toBe(false);
    expect(b.covers(b.firstOffset)).toBe(true);
    const tiny = new ReplicationBacklog(0, 1);
    tiny.append([["SET", "k", "x".repeat(50)]]);
    expect(tiny.histlen).toBeGreaterThan(1);
    expect(tiny.since(0)?.effects.length).toBe(1);
  });

  it("bounds one shipment, but always sends at least one batch", () => {
    const b = new ReplicationBacklog(0);
    for (let i = 0; i < 5; i++) b.append([["SET", `k${i}`, "x".repeat(100)]]);
    const part = b.since(0, 150)!;
    expect(part.effects.length).toBe(1);
    expect(b.since(part.to, 1e9)!.effects.length).toBe(4);
  });
});
