/** The upstash-sync-token's encoding (src/router/sync-token.ts): per group, the highest offset seen. */
import { describe, expect, it } from "vitest";
import { encodeSyncToken, parseSyncToken, raiseOffset } from "../../src/router/sync-token";

describe("upstash-sync-token", () => {
  it("round-trips per-group offsets, groups in order", () => {
    const seen = parseSyncToken("3:120,0:1834");
    expect([...seen]).toEqual([[3, 120], [0, 1834]]);
    expect(encodeSyncToken(seen)).toBe("0:1834,3:120");
  });

  it("reads nothing from an empty or foreign token (the client's first \"\", an old numeric token)", () => {
    expect(encodeSyncToken(parseSyncToken(""))).toBe("");
    expect(encodeSyncToken(parseSyncToken(undefined))).toBe("");
    expect(encodeSyncToken(parseSyncToken("1733550000000000"))).toBe("");
  });

  it("ignores unreadable parts and keeps the rest; a group named twice keeps its highest offset", () => {
    expect(encodeSyncToken(parseSyncToken("1:5,x:1,2:-4,1:9,1:7, 4:2 ,5:99999999999999999"))).toBe("1:9,4:2");
  });

  it("never lowers an offset, and ignores what is not a number (no replication)", () => {
    const seen = parseSyncToken("0:100");
    raiseOffset(seen, 0, 50);
    raiseOffset(seen, 0, null);
    raiseOffset(seen, 1, 0);
    raiseOffset(seen, 2, 7);
    expect(encodeSyncToken(seen)).toBe("0:100,2:7");
  });
});
