/**
 * Monitor object names and the deployment's group layout as the monitors and the router's
 * topology cache see it: monitors are "monitor-0" … "monitor-(SENTINELS-1)" in the MONITOR
 * namespace; groups are the SHARDS shard groups with REPLICAS replicas each.
 */
import { readConfig, readMonitorConfig, type Env } from "../config";

export function monitorName(k: number): string {
  return `monitor-${k}`;
}

export function monitorNames(env: Env): string[] {
  return Array.from({ length: readMonitorConfig(env).sentinels }, (_, k) => monitorName(k));
}

/** The index of a monitor name, or -1. */
export function monitorIndex(name: string | undefined): number {
  const m = /^monitor-(\d+)$/.exec(name ?? "");
  return m ? Number(m[1]) : -1;
}

export interface GroupLayout {
  readonly groups: number;
  readonly replicas: number;
  readonly minReplicasToWrite: number;
}

export function groupLayout(env: Env): GroupLayout {
  const config = readConfig(env);
  return { groups: config.shards, replicas: config.replicas, minReplicasToWrite: config.minReplicasToWrite };
}
