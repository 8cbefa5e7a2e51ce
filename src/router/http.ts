/**
 * The Worker's HTTP front: the Upstash REST dialect, so `@upstash/redis` works unchanged,
 * and the upgrade to RESP over WebSocket.
 *
 *   POST /              body ["SET","k","v"]            → 200 {"result":"OK"} | 400 {"error":"…"}
 *   GET|POST /cmd/a/b   path form, %XX-decoded to bytes; a POST/PUT body (raw bytes) is the
 *                       next argument, then each query parameter: ?EX=100 appends EX 100
 *   POST /pipeline      body [[…],[…]]                   → 200 [{"result":…}|{"error":"…"}, …]
 *   POST /multi-exec    body [[…],[…]], atomically       → 200 [{"result":…}|{"error":"…"}, …]
 *                       | 400 {"error":"EXECABORT …"|"CROSSSLOT …"} when nothing ran
 *
 * - Auth (src/router/auth.ts): `Authorization: Bearer <token>` or `?_token=` (never the
 *   admin token: URLs are logged); missing or wrong → 401 {"error":"WRONGPASS invalid or
 *   missing auth token"}. The read-only token is refused writes (scripts that may write too), KEYS and SCAN with Redis's
 *   NOPERM text. With no token configured every request is refused with 401 and a NOAUTH
 *   text, unless ALLOW_UNAUTHENTICATED=yes or the request comes to a local development server.
 * - `Upstash-Encoding: base64`: every string of a result base64-encoded except a top-level
 *   status "OK" (see protocol/json.ts). `Upstash-Response-Format: resp2`: raw RESP2 bytes
 *   as application/octet-stream (not for /multi-exec, which is always JSON); with base64,
 *   or any format other than json/resp2, the request is refused with 400.
 * - Replica reads (replication): `Hotslot-Read-From: replica`, or a URL under
 *   `/read-from-replica` (a base URL for @upstash/redis, which sends no custom headers), sends
 *   the request's read-only shard batches to a replica of each group (as READONLY does on a
 *   RESP connection); `primary` (the default) does not; any other value is refused with 400.
 *   /multi-exec always runs on the primary.
 * - `upstash-sync-token` (read-your-writes, src/router/sync-token.ts): every response carries
 *   the per-group replication offsets the client has seen (merged with the token it sent); a
 *   replica serves its later reads only once it has applied that much, else the primary does.
 * - Bodies over MAX_REQUEST_BYTES: 400 "ERR max request size exceeded" (Upstash's words).
 *   Malformed bodies (not JSON, not an array, empty), or more commands or arguments than
 *   MAX_PIPELINE_COMMANDS / MAX_REQUEST_ARGS (checked on the text, before parsing): 400,
 *   nothing runs.
 * - The path form over GET/HEAD runs no write, admin or blocking command (405) when the
 *   request needs no secret: open, or a well-known dev token (an `<img>` tag on any page
 *   must not write to a developer's local server). With a secret token GET writes run, as
 *   Upstash's own curl examples send them. And a path with an empty segment (but a trailing slash), or a `.`/`..` one still
 *   in the raw URL, is refused with 400 (it would shift or change the arguments).
 * - Methods: HEAD, GET, POST, PUT (as Upstash), OPTIONS for CORS; others 405.
 * - CORS: any origin (`*`) by default, or the origins listed in CORS_ORIGINS. On a local
 *   development server (whose token is well known) only loopback origins, or those listed,
 *   and a request from any other page is refused with 403, WebSocket upgrades included. The
 *   preflight admits the headers the client asks for (by default those @upstash/redis
 *   sends) and `upstash-sync-token` is exposed to scripts.
 */
import { Hono, type Context } from "hono";
import type { RouterContext } from "../commands/router-context";
import { readConfig, type Config, type Env } from "../config";
import { commandFromJson, ERR_BAD_JSON, errorJson, JsonCommandError, pipelineFromJson, repliesJson, replyJson, type BodyLimits } from "../protocol/json";
import { error, isError, type Reply } from "../protocol/reply";
import { encodeRepliesBinary } from "../protocol/resp";
import { binaryToBytes, bytesToBinary, utf8ToBinary } from "../util/binary";
import { mountAdmin } from "./admin";
import { isLocalDevRequest, presentedToken, requestAuthenticator, RESP_TOKEN_PARAMS, WELL_KNOWN_DEV_TOKENS, type Authenticator, type Grant } from "./auth";
import { pickGateway } from "../gateway/pick";
import { writesOrAdministers } from "../commands/table";
import { clusterView } from "./cluster-view";
import { ERR_PUBSUB_OFF } from "../commands/pubsub";
import { errNoPerm } from "../commands/errors";
import { resolveCommand, routeBatch, routeBlocking, runRouterCommand, type LocalRunner, type RoutedCommand, type ShardPool } from "./dispatch";
import { Transaction } from "./transaction";
import { clientRegistry } from "./clients";
import { DurableShardPool, shardPool } from "./pool";
import type { ShardChannel } from "./channel";
import { acceptRespWebSocket } from "./websocket";
import { acceptMuxWebSocket } from "./mux";
import { encodeSyncToken, parseSyncToken } from "./sync-token";
import { durableHubs, HubClient, type HubConnector } from "../pubsub/hubs";
import { monitorStream, subscribeStream } from "./sse-subscribe";
import { MonitorFeed } from "../pubsub/monitor";
import { readPubsubOutputLimit } from "../pubsub/output-limit";
import { bodyRefusedByWorker, forGateway, readBody, TooLarge } from "./request-body";

// --- per-request state and responses ---------------------------------------------------

type Format = "json" | "resp2";

/** What a request carries from the middleware to its handler. */
interface RequestState {
  config: Config;
  auth: Authenticator;
  grant: Grant | null;
  pool: ShardPool;
  /** Pub/Sub: this request's way to the hubs (undefined without a HUB binding). */
  hubs?: HubConnector;
  /**
   * Served without a secret credential: open (no token needed) or by a well-known dev
   * token. Any web page could then send the request, so GET runs no writes.
   */
  publicCredential: boolean;
  /** The Access-Control-Allow-Origin answered, or null for none (see corsFor). */
  allowOrigin: string | null;
  base64: boolean;
  format: Format;
  /** The upstash-sync-token to answer (read when the response is made, after the shard calls). */
  readonly syncToken: string;
  /** Replication: read-only batches go to replicas (`Hotslot-Read-From: replica`). */
  replicaReads: boolean;
  /** In a gateway: the Worker found the body past maxRequestBytes and forwarded none (request-body.ts). */
  bodyRefused: boolean;
}

/** The request's body, bounded by maxRequestBytes (TooLarge past it). */
function readRequestBody(st: RequestState, req: Request): Promise<Uint8Array> {
  return st.bodyRefused ? Promise.reject(new TooLarge()) : readBody(req, st.config.maxRequestBytes);
}

type App = { Bindings: Env; Variables: { state: RequestState } };

export const ERR_MAX_REQUEST_SIZE = "ERR max request size exceeded";
export const ERR_EMPTY_COMMAND = "ERR empty command: give it as the path (/set/key/value) or POST a JSON array to /";
export const ERR_METHOD = "ERR method not allowed: use GET, HEAD, POST or PUT";
export const ERR_BAD_FORMAT = "ERR Upstash-Response-Format must be json or resp2";
export const ERR_FORMAT_AND_BASE64 = "ERR Upstash-Encoding: base64 cannot be combined with Upstash-Response-Format: resp2";
export const ERR_WRITE_OVER_GET = "ERR write and admin commands are not allowed over GET: send them with POST";
export const ERR_BAD_PATH =
  "ERR the path has an empty, '.' or '..' segment, which would shift or change the arguments: percent-encode the arguments, or POST a JSON array to /";
export const ERR_ORIGIN_NOT_ALLOWED = "ERR requests from this origin are not allowed: list it in CORS_ORIGINS";
const EXECABORT_BECAUSE = "EXECABORT Transaction discarded because of: ";

/** The headers @upstash/redis sends; admitted by a preflight that names none. */
const CLIENT_HEADERS = [
  "authorization",
  "content-type",
  "upstash-encoding",
  "upstash-response-format",
  "upstash-sync-token",
  "hotslot-read-from",
  "upstash-telemetry-runtime",
  "upstash-telemetry-platform",
  "upstash-telemetry-sdk",
  "upstash-telemetry-retry",
  "accept",
  "cache-control",
].join(", ");

const ALLOWED_METHODS = "GET, HEAD, POST, PUT, OPTIONS";

const LOOPBACK_ORIGIN = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/**
 * The Access-Control-Allow-Origin for a request from `origin` (its Origin header, null
 * when none), or `refused` when it must not run at all. Bearer tokens are not ambient
 * credentials, so a deployed service may answer any origin; but a local development
 * server's token is well known (and it may be open), so there a page from another origin
 * could use it: its requests are refused, which also stops "simple" cross-site POSTs and
 * WebSocket upgrades that CORS alone would let through.
 */
function corsFor(config: Config, local: boolean, origin: string | null): { allowOrigin: string | null; refused: boolean } {
  const listed = config.corsOrigins;
  if (listed !== null) {
    if (listed.includes("*")) return { allowOrigin: "*", refused: false };
    if (origin !== null && listed.includes(origin.toLowerCase())) return { allowOrigin: origin, refused: false };
    return { allowOrigin: null, refused: local && origin !== null };
  }
  if (!local) return { allowOrigin: "*", refused: false };
  if (origin === null) return { allowOrigin: null, refused: false };
  return LOOPBACK_ORIGIN.test(origin) ? { allowOrigin: origin, refused: false } : { allowOrigin: null, refused: true };
}

// --- replication: replica reads and read-your-writes -------------------------------------

export const ERR_BAD_READ_FROM = "ERR Hotslot-Read-From must be primary or replica";

/** Whether the request opted in to replica reads (`Hotslot-Read-From: replica`); null: a value we do not know. */
function readFromReplica(header: string | undefined): boolean | null {
  const v = (header ?? "primary").trim().toLowerCase();
  return v === "replica" ? true : v === "primary" ? false : null;
}

/** The URL prefix that opts a request in to replica reads, as the header does. */
export const READ_FROM_REPLICA_PREFIX = "/read-from-replica";

/** The request without READ_FROM_REPLICA_PREFIX in its path, with `Hotslot-Read-From: replica`. */
function readFromReplicaRequest(req: Request): Request {
  const url = new URL(req.url);
  url.pathname = url.pathname.slice(READ_FROM_REPLICA_PREFIX.length) || "/";
  const headers = new Headers(req.headers);
  headers.set("hotslot-read-from", "replica");
  return new Request(url, { method: req.method, headers, body: req.body, signal: req.signal });
}

/**
 * Tracks the client's sync token on the request's pool (every shard call then asks its
 * offset, in the same RPC) and answers the merged token; a pool of in-memory shards (tests)
 * tracks nothing and echoes the token back.
 */
function syncTokenOf(pool: ShardPool, sent: string | undefined): () => string {
  const seen = parseSyncToken(sent);
  if (pool instanceof DurableShardPool) pool.syncOffsets = seen;
  return () => encodeSyncToken(seen);
}

function respond(allowOrigin: string | null, syncToken: string | null, body: BodyInit | null, status: number, contentType: string): Response {
  const headers = new Headers({ "content-type": contentType });
  if (allowOrigin !== null) {
    headers.set("access-control-allow-origin", allowOrigin);
    headers.set("access-control-expose-headers", "upstash-sync-token");
    if (allowOrigin !== "*") headers.set("vary", "Origin");
  }
  if (syncToken !== null) headers.set("upstash-sync-token", syncToken);
  return new Response(body, { status, headers });
}

function jsonResponse(st: RequestState, body: string, status = 200): Response {
  return respond(st.allowOrigin, st.syncToken, body, status, "application/json");
}

/** A request-level failure (nothing ran): 400 unless said otherwise, in the request's format. */
function fail(st: RequestState, message: string, status = 400): Response {
  if (st.format === "resp2") return respond(st.allowOrigin, st.syncToken, binaryToBytes(encodeRepliesBinary([error(message)], 2)), status, "application/octet-stream");
  return jsonResponse(st, errorJson(message), status);
}

/** One command's reply: 200 with its result, or 400 with its error. */
function single(st: RequestState, reply: Reply): Response {
  const status = isError(reply) ? 400 : 200;
  if (st.format === "resp2") return respond(st.allowOrigin, st.syncToken, binaryToBytes(encodeRepliesBinary([reply], 2)), status, "application/octet-stream");
  return jsonResponse(st, replyJson(reply, st.base64), status);
}

/** A pipeline's or transaction's replies, each with its own result or error. */
function each(st: RequestState, replies: Reply[]): Response {
  if (st.format === "resp2") return respond(st.allowOrigin, st.syncToken, binaryToBytes(encodeRepliesBinary(replies, 2)), 200, "application/octet-stream");
  return jsonResponse(st, repliesJson(replies, st.base64));
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The body as text; invalid UTF-8 counts as invalid JSON (RFC 8259 requires UTF-8). */
async function readJsonText(st: RequestState, req: Request): Promise<string> {
  const body = await readRequestBody(st, req);
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new JsonCommandError(ERR_BAD_JSON);
  }
  return text;
}

function bodyLimits(config: Config): BodyLimits {
  return { maxCommands: config.maxPipelineCommands, maxArgs: config.maxRequestArgs };
}

// --- the path form -------------------------------------------------------------------

/**
 * True when a path-form URL, as the client sent it, has a segment that URL normalisation
 * drops or resolves: empty (`/set//v` would shift the arguments; one trailing slash is
 * allowed) or `.`/`..` in any spelling (`/set/k/..` would run another command). Read from
 * the raw URL string: `new URL` has already resolved dot segments.
 */
export function hasUnsafePathSegment(rawUrl: string): boolean {
  const afterScheme = rawUrl.indexOf("//");
  const pathStart = rawUrl.indexOf("/", afterScheme < 0 ? 0 : afterScheme + 2);
  if (pathStart < 0) return false;
  let end = rawUrl.length;
  for (const stop of ["?", "#"]) {
    const at = rawUrl.indexOf(stop, pathStart);
    if (at >= 0 && at < end) end = at;
  }
  const segments = rawUrl.slice(pathStart + 1, end).split("/");
  if (segments[segments.length - 1] === "") segments.pop();
  return segments.some((seg) => seg === "" || /^(\.|%2e){1,2}$/i.test(seg));
}

/** Percent-decodes to a binary string: %XX is that byte, other text its UTF-8 bytes. */
function percentDecode(s: string, plusIsSpace: boolean): string {
  let out = "";
  let run = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "%" && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += utf8ToBinary(run) + String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      run = "";
      i += 2;
    } else {
      run += plusIsSpace && c === "+" ? " " : c;
    }
  }
  return out + utf8ToBinary(run);
}

/**
 * argv of a path-form request: the path's segments (empty ones skipped, so a trailing
 * slash changes nothing), then the body of a POST/PUT when not empty, then each query
 * parameter as its name and, when not empty, its value — in the order written, so
 * `POST /set/k?EX=100` with body v is SET k v EX 100. `_token` is the credential, not an
 * argument.
 */
function pathFormArgv(url: URL, body: Uint8Array | null): string[] {
  const argv = url.pathname
    .split("/")
    .filter((p) => p !== "")
    .map((p) => percentDecode(p, false));
  if (body && body.byteLength > 0) argv.push(bytesToBinary(body));
  for (const pair of url.search.slice(1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const name = percentDecode(eq < 0 ? pair : pair.slice(0, eq), true);
    if (name === "_token") continue; // the credential (see auth.presentedToken), not an argument
    argv.push(name);
    const value = eq < 0 ? "" : percentDecode(pair.slice(eq + 1), true);
    if (value !== "") argv.push(value);
  }
  return argv;
}

// --- running commands ------------------------------------------------------------------

/**
 * Router-side commands (PING, ECHO, …) over HTTP: a fresh session per request, shared by
 * a pipeline's commands; no MULTI state (transactions are /multi-exec).
 */
function httpLocalRunner(st: RequestState): LocalRunner {
  const ctx = httpContext(st);
  return (spec, argv) => runRouterCommand(ctx, spec, argv);
}

function httpContext(st: RequestState): RouterContext {
  return {
    session: { id: 0, resp: 2, name: null, authenticated: true, closing: false },
    now: Date.now(),
    shardCount: st.config.shards,
    // AUTH over HTTP checks the password against the tokens; the request's grant stays.
    authenticate: (user, password) => {
      const r = st.auth.check(user, password);
      return r === "wrongpass" || r === "nopass" ? r : "ok";
    },
    resetSession: () => {},
    transactions: null,
    // CLIENT LIST/KILL/UNBLOCK over HTTP see this isolate's RESP connections.
    clients: clientRegistry,
    releaseBlocked: (shard, token, reply) => st.pool.unblock(shard, token, reply),
    // Live resharding: CLUSTER SLOTS, SHARDS, …
    cluster: st.pool instanceof DurableShardPool ? clusterView(st.pool) : undefined,
    // PUBLISH and PUBSUB over HTTP (SUBSCRIBE is the /subscribe event stream).
    hubs: st.hubs ? new HubClient(st.hubs) : undefined,
    topology: st.pool.topology ? () => st.pool.topology!() : undefined,
  };
}

/**
 * The longest an HTTP request waits in a blocking command (BLPOP, …): over HTTP they
 * honour their timeout up to this bound, then reply as on timeout.
 */
export const HTTP_BLOCK_LIMIT_MS = 25_000;

/**
 * One command; a blocking one waits as it asks, up to HTTP_BLOCK_LIMIT_MS, and is released
 * on its shard when the client goes away (`signal`: the request's, aborted on disconnect).
 */
async function runSingle(st: RequestState, argv: string[], signal?: AbortSignal): Promise<Reply> {
  const cmd = resolveCommand(argv);
  if (cmd.spec?.flags.includes("blocking")) return runBlockingRequest(st, cmd, signal);
  return (await route(st, [cmd]))[0];
}

async function runBlockingRequest(st: RequestState, cmd: RoutedCommand, signal?: AbortSignal): Promise<Reply> {
  if (signal?.aborted) return null;
  const token = crypto.randomUUID();
  let parkedOn: number | null = null;
  const release = () => {
    if (parkedOn !== null) void st.pool.unblock(parkedOn, token).catch(() => {});
  };
  signal?.addEventListener("abort", release);
  try {
    return await routeBlocking(st.pool, cmd, st.auth.access(st.grant), token, HTTP_BLOCK_LIMIT_MS, (shard) => (parkedOn = shard), signal);
  } finally {
    signal?.removeEventListener("abort", release);
  }
}

/** A pipeline: routed per shard, one call per shard, replies in request order. */
function run(st: RequestState, cmds: string[][]): Promise<Reply[]> {
  return route(st, cmds.map(resolveCommand));
}

function route(st: RequestState, cmds: RoutedCommand[]): Promise<Reply[]> {
  // MONITOR: an HTTP request's commands show as from "http" (it has no client address).
  if (st.hubs) {
    const feed = new MonitorFeed(st.hubs);
    for (const c of cmds) feed.command(c.spec, c.argv, "http");
  }
  return routeBatch(st.pool, cmds, { access: st.auth.access(st.grant), runLocal: httpLocalRunner(st), replicaReads: st.replicaReads });
}

/**
 * /multi-exec: every command is checked first, as MULTI queues them. A command that would
 * be refused at queue time (unknown, wrong arity, not permitted) discards the whole
 * transaction with Redis's `EXECABORT Transaction discarded because of: <error>`; keys in
 * more than one slot discard it with CROSSSLOT. Otherwise the shard owning the slot runs
 * the commands as one atomic batch; connection commands (PING, ECHO, …) are answered here.
 * Errors of commands that ran (WRONGTYPE, …) are per-item results, as in Redis's EXEC.
 */
async function multiExec(st: RequestState, cmds: string[][]): Promise<Response> {
  const tx = new Transaction(st.config.shards);
  for (const argv of cmds) {
    const refused = tx.add(resolveCommand(argv), st.auth.access(st.grant));
    if (refused === null) continue;
    const message = isError(refused) ? refused.message : "ERR refused";
    return fail(st, message.startsWith("CROSSSLOT") ? message : EXECABORT_BECAUSE + message);
  }
  const result = await tx.exec(st.pool, httpLocalRunner(st));
  if (!Array.isArray(result)) return fail(st, isError(result) ? result.message : "ERR transaction aborted");
  return each(st, result);
}

/**
 * Commands a GET without a secret credential must not run: such a GET can be sent by any
 * page (an `<img>` tag, a link) without CORS and without an Origin header, and is retried and
 * prefetched freely. Scripts that may write (EVAL, FCALL) and write or admin subcommands
 * (FUNCTION FLUSH, CLIENT KILL) count. Unknown commands run (and fail) as before.
 */
function isWriteOrAdmin({ spec, argv }: RoutedCommand): boolean {
  return spec !== undefined && (writesOrAdministers(spec, argv) || spec.flags.includes("blocking"));
}

/** The `bridge-port` a TCP bridge adds to its upgrade URL (a port number), else undefined. */
function bridgePortOf(url: URL): number | undefined {
  const raw = url.searchParams.get("bridge-port");
  const port = raw !== null && /^[1-9][0-9]{0,4}$/.test(raw) ? Number(raw) : NaN;
  return port <= 65535 ? port : undefined;
}

// --- the app -------------------------------------------------------------------------

/** The Server-Sent Events endpoints (/subscribe/…, /psubscribe/…, /monitor). */
function isEventStreamPath(path: string): boolean {
  return path.startsWith("/subscribe/") || path.startsWith("/psubscribe/") || path === "/monitor";
}

function preflight(c: Context<App>, allowOrigin: string | null): Response {
  const headers = new Headers({
    "access-control-allow-methods": ALLOWED_METHODS,
    "access-control-allow-headers": c.req.header("access-control-request-headers") || CLIENT_HEADERS,
    "access-control-max-age": "86400",
  });
  if (allowOrigin !== null) headers.set("access-control-allow-origin", allowOrigin);
  if (allowOrigin !== null && allowOrigin !== "*") headers.set("vary", "Origin");
  return new Response(null, { status: 204, headers });
}

/**
 * The router app. In the Worker (no `gateway`) it forwards RESP WebSocket sessions (and with
 * GATEWAY_HTTP=yes command requests) to a gateway object when GATEWAYS > 0; in a gateway
 * (src/gateway/gateway.ts) it serves them itself, every request's and session's shard calls
 * on the gateway's shared `channels`.
 */
export function createApp(gateway?: { channels: ShardChannel[] }): Hono<App> {
  const app = new Hono<App>();

  app.onError((err, c) => {
    const st = c.get("state");
    if (st) {
      if (err instanceof TooLarge) return fail(st, ERR_MAX_REQUEST_SIZE);
      if (err instanceof JsonCommandError) return fail(st, err.message);
    }
    console.error("hotslot: request failed", err);
    const message = `ERR internal error: ${err.message}`;
    return st ? fail(st, message, 500) : respond(null, null, errorJson(message), 500, "application/json");
  });

  // /admin/* has its own token and handlers (RDB export and import): before the rest.
  mountAdmin(app as unknown as Hono<{ Bindings: Env }>);

  // Replication: replica reads for clients that cannot add a header (@upstash/redis takes no
  // custom headers): a base URL ending in /read-from-replica is the opt-in.
  const viaReplica = (c: Context<App>) => {
    if (hasUnsafePathSegment(c.req.raw.url)) return respond(null, null, errorJson(ERR_BAD_PATH), 400, "application/json");
    return app.fetch(readFromReplicaRequest(c.req.raw), c.env, c.executionCtx);
  };
  app.all(READ_FROM_REPLICA_PREFIX, viaReplica);
  app.all(`${READ_FROM_REPLICA_PREFIX}/*`, viaReplica);

  app.use("*", async (c, next) => {
    const method = c.req.method;
    let config: Config;
    try {
      config = readConfig(c.env);
    } catch (e) {
      return respond(null, null, errorJson((e as Error).message), 500, "application/json");
    }
    const url = new URL(c.req.url);
    const cors = corsFor(config, isLocalDevRequest(config, url), c.req.header("origin") ?? null);
    if (cors.refused) return respond(null, null, errorJson(ERR_ORIGIN_NOT_ALLOWED), 403, "application/json");
    if (method === "OPTIONS") return preflight(c, cors.allowOrigin);
    if (method !== "GET" && method !== "HEAD" && method !== "POST" && method !== "PUT") {
      const res = respond(cors.allowOrigin, null, errorJson(ERR_METHOD), 405, "application/json");
      res.headers.set("allow", ALLOWED_METHODS);
      return res;
    }
    const auth = requestAuthenticator(config, url);
    const pool = shardPool(c.env, config.shards, gateway?.channels);
    // Throughput: sessions and command requests run in a gateway, where they share shard calls.
    const viaGateway = gateway === undefined && config.gateways > 0;
    const hubs = c.env.HUB ? durableHubs(c.env.HUB, config.pubsubHubs) : undefined;

    if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
      // A RESP session: with tokens configured, a client without one may still AUTH inside
      // the session; with none configured and unauthenticated access not allowed, refused.
      const presented = presentedToken(c.req.raw.headers, url, RESP_TOKEN_PARAMS);
      const grant = auth.grantForRequest(c.req.raw.headers, url, RESP_TOKEN_PARAMS);
      if ((presented !== null || !auth.configured) && !grant && auth.required) {
        return respond(cors.allowOrigin, null, errorJson(auth.unauthorizedMessage), 401, "application/json");
      }
      if (viaGateway) return pickGateway(c.env, config.gateways).fetch(c.req.raw);
      const options = { hubs, bridgePort: bridgePortOf(url) };
      // The bridge's multiplexed socket: many client connections, a session each (src/router/mux.ts).
      if (url.searchParams.get("mux") === "1") {
        const acks = url.searchParams.get("acks") === "1";
        return acceptMuxWebSocket(() => shardPool(c.env, config.shards, gateway?.channels), auth, grant, config.maxValueBytes, (p) => c.executionCtx.waitUntil(p), options, acks);
      }
      return acceptRespWebSocket(pool, auth, grant, config.maxValueBytes, (p) => c.executionCtx.waitUntil(p), options);
    }

    // GATEWAY_HTTP=yes: command requests too (event streams, SUBSCRIBE and MONITOR, hold their
    // request open: they stay in the Worker). Measured locally, the hop costs more than the
    // shared shard calls save, hence opt-in (README "Gateways").
    if (viaGateway && config.gatewayHttp && !isEventStreamPath(url.pathname)) {
      const authenticated = !auth.required || auth.grantForRequest(c.req.raw.headers, url) !== null;
      return pickGateway(c.env, config.gateways).fetch(await forGateway(c.req.raw, config.maxRequestBytes, authenticated));
    }

    const requested = (c.req.header("upstash-response-format") ?? "json").toLowerCase();
    const base64 = c.req.header("upstash-encoding")?.toLowerCase() === "base64";
    const syncToken = syncTokenOf(pool, c.req.header("upstash-sync-token"));
    const st: RequestState = {
      config,
      auth,
      grant: null,
      pool,
      hubs,
      publicCredential: false,
      allowOrigin: cors.allowOrigin,
      base64,
      format: "json",
      get syncToken() {
        return syncToken();
      },
      replicaReads: readFromReplica(c.req.header("hotslot-read-from")) === true,
      bodyRefused: gateway !== undefined && bodyRefusedByWorker(c.req.raw),
    };
    c.set("state", st);
    if (requested !== "json" && requested !== "resp2") return fail(st, ERR_BAD_FORMAT);
    if (requested === "resp2" && base64) return fail(st, ERR_FORMAT_AND_BASE64);
    if (readFromReplica(c.req.header("hotslot-read-from")) === null) return fail(st, ERR_BAD_READ_FROM);
    // Upstash: the transactions endpoint "only returns response in JSON format".
    if (requested === "resp2" && url.pathname !== "/multi-exec") st.format = "resp2";

    st.grant = auth.grantForRequest(c.req.raw.headers, url);
    if (auth.required && !st.grant) return fail(st, auth.unauthorizedMessage, 401);
    const presented = presentedToken(c.req.raw.headers, url)?.token;
    st.publicCredential = !auth.required || (presented !== undefined && WELL_KNOWN_DEV_TOKENS.includes(presented));
    await next();
  });

  const command = async (c: Context<App>) => {
    const st = c.get("state");
    return single(st, await runSingle(st, commandFromJson(await readJsonText(st, c.req.raw), bodyLimits(st.config)), c.req.raw.signal));
  };
  const pipeline = async (c: Context<App>) => {
    const st = c.get("state");
    return each(st, await run(st, pipelineFromJson(await readJsonText(st, c.req.raw), bodyLimits(st.config))));
  };
  const transaction = async (c: Context<App>) => {
    const st = c.get("state");
    return multiExec(st, pipelineFromJson(await readJsonText(st, c.req.raw), bodyLimits(st.config)));
  };
  app.on(["POST", "PUT"], "/", command);
  app.on(["POST", "PUT"], "/pipeline", pipeline);
  app.on(["POST", "PUT"], "/multi-exec", transaction);

  // Pub/Sub as Server-Sent Events (@upstash/redis's subscribe() POSTs, with an empty body).
  const subscribe = (kind: "channel" | "pattern") => async (c: Context<App>) => {
    const st = c.get("state");
    if (hasUnsafePathSegment(c.req.raw.url)) return fail(st, ERR_BAD_PATH);
    const [, ...names] = pathFormArgv(new URL(c.req.url), null);
    if (names.length === 0) return fail(st, `ERR wrong number of arguments for '${kind === "channel" ? "subscribe" : "psubscribe"}' command`);
    if (!st.hubs) return fail(st, ERR_PUBSUB_OFF);
    const headers: Record<string, string> = {};
    if (st.allowOrigin !== null) headers["access-control-allow-origin"] = st.allowOrigin;
    return subscribeStream(st.hubs, kind, names, c.req.raw.signal, await readPubsubOutputLimit(st.pool), headers);
  };
  app.on(["GET", "POST"], "/subscribe/*", subscribe("channel"));
  app.on(["GET", "POST"], "/psubscribe/*", subscribe("pattern"));
  // MONITOR as Server-Sent Events: admin or full token (a read-only token is refused, as MONITOR is).
  app.get("/monitor", async (c) => {
    const st = c.get("state");
    if (st.auth.access(st.grant).readOnly) return fail(st, errNoPerm("monitor"), 403);
    if (!st.hubs) return fail(st, ERR_PUBSUB_OFF);
    const headers: Record<string, string> = {};
    if (st.allowOrigin !== null) headers["access-control-allow-origin"] = st.allowOrigin;
    return monitorStream(st.hubs, c.req.raw.signal, await readPubsubOutputLimit(st.pool), headers);
  });

  // The path form (HEAD is served as GET, without the body).
  app.on(["GET", "POST", "PUT"], "*", async (c) => {
    const st = c.get("state");
    if (hasUnsafePathSegment(c.req.raw.url)) return fail(st, ERR_BAD_PATH);
    // Hono serves HEAD with the GET route, but the request keeps its method.
    const overGet = c.req.method === "GET" || c.req.method === "HEAD";
    const body = overGet ? null : await readRequestBody(st, c.req.raw);
    const argv = pathFormArgv(new URL(c.req.url), body);
    if (argv.length === 0) return fail(st, ERR_EMPTY_COMMAND);
    if (overGet && st.publicCredential && isWriteOrAdmin(resolveCommand(argv))) {
      const res = fail(st, ERR_WRITE_OVER_GET, 405);
      res.headers.set("allow", "POST, PUT");
      return res;
    }
    return single(st, await runSingle(st, argv, c.req.raw.signal));
  });

  return app;
}
