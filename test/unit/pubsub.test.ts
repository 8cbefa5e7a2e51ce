/**
 * Pub/Sub's plain parts: a hub's subscription registry (fan-out order, namespaces, pattern
 * matching with Redis's glob, counts), channel placement over hubs, and SSE framing.
 */
import { describe, expect, it } from "vitest";
import { SubscriptionRegistry } from "../../src/pubsub/registry";
import { hubOfChannel } from "../../src/pubsub/placement";
import { sseComment, sseEvent } from "../../src/protocol/sse";
import { encodeRepliesBinary } from "../../src/protocol/resp";
import { push, sequence } from "../../src/protocol/reply";
import { keySlot } from "../../src/util/keyslot";

describe("SubscriptionRegistry", () => {
  it("delivers to channel subscribers first, then matching patterns, each counted", () => {
    const r = new SubscriptionRegistry<string>();
    r.add("channel", "news", "a");
    r.add("channel", "news", "b");
    r.add("pattern", "n*", "a");
    r.add("pattern", "x*", "c");
    expect(r.deliveries(false, "news", "m")).toEqual([
      ["a", ["message", "news", "m"]],
      ["b", ["message", "news", "m"]],
      ["a", ["pmessage", "n*", "news", "m"]],
    ]);
  });

  it("keeps shard channels apart from channels", () => {
    const r = new SubscriptionRegistry<string>();
    r.add("shard", "orders", "a");
    expect(r.deliveries(false, "orders", "m")).toEqual([]);
    expect(r.deliveries(true, "orders", "m")).toEqual([["a", ["smessage", "orders", "m"]]]);
  });

  it("counts, lists and forgets subscriptions; NUMPAT counts distinct patterns", () => {
    const r = new SubscriptionRegistry<string>();
    expect(r.add("channel", "c", "a")).toBe(true);
    expect(r.add("channel", "c", "a")).toBe(false);
    r.add("channel", "c", "b");
    r.add("channel", "d", "b");
    r.add("pattern", "p*", "a");
    r.add("pattern", "p*", "b");
    expect(r.counts("channel", ["c", "d", "e"])).toEqual([2, 1, 0]);
    expect(r.names("channel", null).sort()).toEqual(["c", "d"]);
    expect(r.names("channel", "[c]")).toEqual(["c"]);
    expect(r.patternCount).toBe(1);
    expect(r.remove("channel", "d", "b")).toBe(true);
    expect(r.remove("channel", "d", "b")).toBe(false);
    expect(r.names("channel", null)).toEqual(["c"]);
  });

  it("matches patterns as Redis's glob, binary-safe", () => {
    const r = new SubscriptionRegistry<string>();
    r.add("pattern", "a?[\x00-\x02]\\*", "s");
    expect(r.deliveries(false, "ab\x01*", "m")).toHaveLength(1);
    expect(r.deliveries(false, "ab\x03*", "m")).toHaveLength(0);
  });
});

describe("placement", () => {
  it("splits slots over hubs in contiguous ranges, hash tags included", () => {
    expect(hubOfChannel("{user1}.a", 4)).toBe(hubOfChannel("{user1}.b", 4));
    for (const ch of ["a", "b", "news", "x:y"]) expect(hubOfChannel(ch, 4)).toBe(Math.floor((keySlot(ch) * 4) / 16384));
    expect(hubOfChannel("anything", 1)).toBe(0);
  });
});

describe("wire forms", () => {
  it("SSE events carry Upstash's text, one data line per line", () => {
    expect(sseEvent("message,ch,hi")).toBe("data: message,ch,hi\n\n");
    expect(sseEvent("message,ch,a\nb")).toBe("data: message,ch,a\ndata: b\n\n");
    expect(sseComment("keepalive")).toBe(": keepalive\n\n");
  });

  it("pushes are RESP3 `>` and RESP2 arrays; a sequence is its replies in turn", () => {
    const r = sequence([push(["subscribe", "a", 1]), push(["subscribe", "b", 2])]);
    expect(encodeRepliesBinary([r], 3)).toBe(">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
    expect(encodeRepliesBinary([r], 2)).toBe("*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n");
  });
});
