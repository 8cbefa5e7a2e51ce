/**
 * MONITOR across the deployment. A monitoring connection (RESP `MONITOR`, or `GET /monitor`
 * as Server-Sent Events) registers as a monitor in hub 0. Routers feed it: each command a
 * router runs for a connection or an HTTP request is formatted as Redis formats it
 * (`<seconds>.<micros> [0 <addr>] "cmd" "arg"…`, arguments as sdscatrepr quotes them) and
 * sent to hub 0 — but only while someone monitors. Whether anyone does is asked of hub 0 at
 * most once per CHECK_MS per router isolate (cached isolate-wide as plain data), so with
 * nobody monitoring the cost is that one small RPC per isolate per CHECK_MS, and a monitor
 * started elsewhere sees an isolate's commands within CHECK_MS. A connection's lines go as one
 * RPC per turn. As Redis, admin commands and those flagged skip_monitor or no_auth (AUTH,
 * HELLO) are not shown. Lines from different isolates interleave in hub arrival order.
 */
import type { CommandSpec } from "../commands/table";
import type { HubConnector } from "./hubs";

export const CHECK_MS = 5_000;

/** Isolate-wide: whether hub 0 had monitors when last asked, and when that was. */
const state = { active: false, checkedAt: -Infinity };

/** This isolate now knows a monitor exists (it started one). */
export function noteMonitorStarted(): void {
  state.active = true;
  state.checkedAt = Date.now();
}

/** Redis's sdscatrepr: a quoted, escaped argument. */
export function reprArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === "\\" || ch === '"') out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** One MONITOR line, as Redis's replicationFeedMonitors writes it (without the leading +). */
export function formatMonitorLine(nowMs: number, addr: string, argv: readonly string[]): string {
  const micros = Math.floor((performance.now() * 1000) % 1000);
  const sec = Math.floor(nowMs / 1000);
  const usec = (nowMs % 1000) * 1000 + micros;
  return `${sec}.${String(usec).padStart(6, "0")} [0 ${addr}] ${argv.map(reprArg).join(" ")}`;
}

/** Whether Redis shows this command to monitors. */
export function monitored(spec: CommandSpec | undefined): boolean {
  if (!spec) return false;
  return !spec.flags.includes("admin") && !spec.flags.includes("skip_monitor") && !spec.flags.includes("no_auth");
}

/** A request's (or connection's) feed of command lines to the monitors in hub 0. */
export class MonitorFeed {
  private lines: string[] = [];

  constructor(private readonly connector: HubConnector) {}

  /** Records a command if anyone monitors (and refreshes that knowledge when stale). */
  command(spec: CommandSpec | undefined, argv: readonly string[], addr: string): void {
    const now = Date.now();
    if (now - state.checkedAt > CHECK_MS) this.refresh(now);
    if (!state.active || !monitored(spec)) return;
    if (this.lines.length === 0) queueMicrotask(this.flush);
    this.lines.push(formatMonitorLine(now, addr, argv));
  }

  /** Asks hub 0 (at most once per CHECK_MS per isolate: the time is taken before asking). */
  private refresh(now: number): void {
    state.checkedAt = now;
    let answer: Promise<boolean>;
    try {
      answer = this.connector.rpc(0).monitorActive();
    } catch {
      return;
    }
    answer.then(
      (active) => (state.active = active),
      () => {},
    );
  }

  private readonly flush = (): void => {
    const lines = this.lines;
    this.lines = [];
    if (lines.length === 0) return;
    this.connector
      .rpc(0)
      .monitorFeed(lines)
      .then(
        (active) => {
          if (!active) state.active = false;
        },
        () => {},
      );
  };
}
