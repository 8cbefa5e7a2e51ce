/**
 * Registers every command module with the command table. Import this (or anything that
 * imports it, such as the executor) before looking commands up.
 */
import "./connection";
// Live resharding: CLUSTER (moved out of connection.ts).
import "./cluster";
import "./server";
import "./strings";
import "./keys";
import "./config";
import "./lists";
import "./hashes";
import "./object";
import "./memory";
import "./dump";
import "./persistence";
import "./debug";
import "./sets";
import "./sortedsets";
import "./sort";
import "./scripting";
import "./functions";
import "./bitmaps";
import "./geo";
import "./hyperloglog";
import "./hash-expiry";
// Failover monitors: SENTINEL for tools.
import "./sentinel";
import "./replication";
import "./pubsub";
