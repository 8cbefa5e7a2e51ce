// The failover monitors' settings (src/config.ts readMonitorConfig): defaults and validation.
import { describe, expect, it } from "vitest";
import { readMonitorConfig, type Env } from "../../src/config";

const env = (vars: Record<string, string>) => vars as unknown as Env;

describe("monitor configuration", () => {
  it("defaults: 3 monitors, quorum 2, down after 5 s, a ping a second, no fault injection", () => {
    expect(readMonitorConfig(env({}))).toEqual({ sentinels: 3, quorum: 2, downAfterMs: 5000, intervalMs: 1000, faultInjection: false });
  });

  it("refuses a quorum above the number of monitors, and bad numbers", () => {
    expect(() => readMonitorConfig(env({ SENTINELS: "3", SENTINEL_QUORUM: "4" }))).toThrow('SENTINEL_QUORUM="4" must be an integer from 1 to 3');
    expect(() => readMonitorConfig(env({ DOWN_AFTER_MS: "soon" }))).toThrow("DOWN_AFTER_MS");
    expect(() => readMonitorConfig(env({ FAULT_INJECTION: "maybe" }))).toThrow("FAULT_INJECTION");
  });

  it("SENTINELS=0 turns monitoring off and accepts any quorum", () => {
    expect(readMonitorConfig(env({ SENTINELS: "0", SENTINEL_QUORUM: "2" }))).toMatchObject({ sentinels: 0, quorum: 2 });
  });
});
