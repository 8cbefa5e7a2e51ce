/**
 * Hotslot: a Redis-compatible cache on Cloudflare Workers.
 *
 * Layout (data flows one way: bytes → command → route → shard → reply → bytes):
 *   src/protocol/   RESP2/RESP3 codec, Upstash JSON, Reply values
 *   src/commands/   the command table: one declaration per command, with its handler;
 *                   docs.ts holds COMMAND DOCS metadata, execute.ts the shard's executor
 *   src/engine/     the in-memory keyspace and data types, expiry, memory, eviction,
 *                   keyspace events, RDB codec (plain TypeScript, runs in Node)
 *   src/scripting/  Lua (fengari) for EVAL and FUNCTION: sandbox, API, conversions, budget
 *   src/shard/      the shard Durable Object: run(ops), effect stream → append log,
 *                   snapshots and exports in SQLite storage, alarm, slot ownership
 *   src/router/     the Worker: auth, HTTP and WebSocket sessions (pipelined), per-shard
 *                   channels, slot routing, fan-out, client registry, admin
 *   src/gateway/    the Gateway Durable Object: RESP WebSocket sessions whose shard calls coalesce
 *   src/pubsub/     Pub/Sub: the PubSubHub Durable Object, subscriptions, MONITOR
 *   src/util/       bytes, numbers, hash slots, byte buffer
 *
 * This module is the Worker's entry: the router's fetch handler, the Shard and PubSubHub classes.
 */
import { createApp } from "./router/http";

export { Shard } from "./shard/shard";
// Live resharding: the slot map and its migrations.
export { SlotCoordinator } from "./monitor/coordinator";
export { PubSubHub } from "./pubsub/hub";
// RESP gateways: client WebSocket sessions sharing shard calls.
export { Gateway } from "./gateway/gateway";
// Failover monitors (Sentinel).
export { Monitor } from "./monitor/monitor";

export default createApp();
