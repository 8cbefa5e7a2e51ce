/**
 * Hotslot: a Redis-compatible cache on Cloudflare Workers.
 *
 * Layout (data flows one way: bytes → command → route → shard → reply → bytes):
 *   src/protocol/  RESP2/RESP3 codec, Upstash JSON, Reply values
 *   src/commands/  the command table: one declaration per command, with its handler
 *   src/engine/    the in-memory keyspace and data types (plain TypeScript, runs in Node)
 *   src/shard/     the shard Durable Object: engine, effect stream → append log, snapshots
 *                  and exports in SQLite storage, alarm
 *   src/router/    the Worker: auth, HTTP and WebSocket sessions, slot routing, fan-out
 *   src/util/      bytes, numbers, hash slots
 *
 * This module is the Worker's entry: the router's fetch handler and the Shard class.
 */
import { createApp } from "./router/http";

export { Shard } from "./shard/shard";

export default createApp();
