/**
 * Fault injection, for tests only: locally every Shard and Monitor object lives in one
 * workerd process, so an outage cannot be made by killing a machine; instead each object's
 * RPC entries pass through this gate, which can make the object
 *   - "down": refuse every call (it throws at once),
 *   - "hang": hold every call until healed (or `holdMs`, then refuse it),
 *   - "slow": delay every call by `delayMs`,
 *   - partitioned: refuse only calls from the named callers (`from`: "router", "monitor-1",
 *     a shard's name for its replication stream).
 * It is off unless the deployment sets FAULT_INJECTION = "yes" (a test configuration does);
 * otherwise setting a fault is refused. Faults live in the object's memory: a restart heals.
 */

export interface FaultSpec {
  readonly mode: "down" | "hang" | "slow" | "partition";
  /** slow: added delay per call; hang: the longest a call is held before it is refused. */
  readonly delayMs?: number;
  /** partition: the callers whose calls fail. */
  readonly from?: readonly string[];
}

/** The refusal text: a call refused here never ran, so the router may retry it elsewhere. */
export const FAULT_REFUSAL = "hotslot-fault: object unreachable (injected)";

export function isFaultRefusal(e: unknown): boolean {
  return e instanceof Error && e.message.includes(FAULT_REFUSAL);
}

export const ERR_FAULTS_DISABLED = "fault injection is disabled: set FAULT_INJECTION = \"yes\" in a test configuration";

/** The caller a router call names in its route (src/router/topology.ts passes "router"). */
export function callerOf(route: unknown): string | undefined {
  const from = (route as { from?: unknown } | undefined)?.from;
  return typeof from === "string" ? from : undefined;
}

/** Longest a hung call is held by default. */
const DEFAULT_HOLD_MS = 30_000;

export class FaultGate {
  private fault: FaultSpec | null = null;
  private healed: (() => void)[] = [];

  constructor(private readonly enabled: boolean) {}

  /** Sets (or with null, heals) this object's fault. */
  set(spec: FaultSpec | null): void {
    if (!this.enabled) throw new Error(ERR_FAULTS_DISABLED);
    this.fault = spec;
    if (spec === null || spec.mode !== "hang") {
      for (const wake of this.healed.splice(0)) wake();
    }
  }

  current(): FaultSpec | null {
    return this.fault;
  }

  /**
   * Every call this object makes to `to` awaits this first: a down or hung object makes no
   * calls either (a down primary must not go on shipping its stream), a partition cuts both
   * ways, a slow object is slow to call out too.
   */
  leave(to: string): Promise<void> | void {
    const f = this.fault;
    if (f === null) return;
    if (f.mode === "down" || f.mode === "hang" || (f.mode === "partition" && f.from?.includes(to))) throw new Error(FAULT_REFUSAL);
    if (f.mode === "slow") return new Promise((resolve) => setTimeout(resolve, f.delayMs ?? 0));
  }

  /** Every RPC entry awaits this first (cheap when no fault is set: no await of anything). */
  enter(from?: string): Promise<void> | void {
    const f = this.fault;
    if (f === null) return;
    switch (f.mode) {
      case "down":
        throw new Error(FAULT_REFUSAL);
      case "partition":
        if (from !== undefined && f.from?.includes(from)) throw new Error(FAULT_REFUSAL);
        return;
      case "slow":
        return new Promise((resolve) => setTimeout(resolve, f.delayMs ?? 0));
      case "hang":
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(FAULT_REFUSAL)), f.delayMs ?? DEFAULT_HOLD_MS);
          this.healed.push(() => {
            clearTimeout(timer);
            resolve();
          });
        }).then(() => this.enter(from)); // healed, or turned into another fault
    }
  }
}
