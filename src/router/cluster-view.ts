/**
 * CLUSTER's view of the deployment (the ClusterView of src/commands/router-context.ts, live
 * resharding): the slot map, refreshed from the coordinator first, and per-slot numbers
 * gathered from the groups owning the slots asked about (each group scans its keys once).
 */
import type { ClusterSlotReport, ClusterView } from "../commands/router-context";
import type { DurableShardPool } from "./pool";

export function clusterView(pool: DurableShardPool): ClusterView {
  return {
    async slotMap() {
      await pool.freshSlots(0);
      const m = pool.slots;
      return { ranges: m.ranges(), groups: m.shardCount, epoch: m.epoch };
    },
    async slotReport(slots, keysOf): Promise<ClusterSlotReport> {
      await pool.freshSlots(0);
      const byGroup = new Map<number, number[]>();
      for (const s of slots) {
        const g = pool.slots.shardOfSlot(s);
        (byGroup.get(g) ?? byGroup.set(g, []).get(g)!).push(s);
      }
      const at = new Map<number, number>(slots.map((s, i) => [s, i]));
      const out = {
        keyCount: new Array<number>(slots.length).fill(0),
        cpuUsec: new Array<number>(slots.length).fill(0),
        bytesIn: new Array<number>(slots.length).fill(0),
        bytesOut: new Array<number>(slots.length).fill(0),
        keys: [] as string[],
      };
      await Promise.all(
        [...byGroup].map(async ([g, mine]) => {
          const r = await pool.slotReport(g, mine, mine[0] === slots[0] ? keysOf : 0);
          r.slots.forEach((s, i) => {
            const j = at.get(s)!;
            out.keyCount[j] = r.keyCount[i];
            out.cpuUsec[j] = r.cpuUsec[i];
            out.bytesIn[j] = r.bytesIn[i];
            out.bytesOut[j] = r.bytesOut[i];
          });
          if (r.keys.length > 0) out.keys = r.keys;
        }),
      );
      return out;
    },
  };
}
