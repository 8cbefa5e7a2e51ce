/**
 * The Upstash REST dialect over HTTP:
 *   POST /             body ["SET","k","v"]          → {"result":"OK"} | 400 {"error":"…"}
 *   GET|POST /cmd/a/b  path form; a POST body is the last argument; ?EX=10 appends EX 10
 *   POST /pipeline     body [[…],[…]]                → [{"result":…}|{"error":"…"}, …]
 *   POST /multi-exec   body [[…],[…]] atomically     → [{"result":…}, …] | 400 {"error":"…"}
 * Auth by `Authorization: Bearer <token>` or `?_token=`; `Upstash-Encoding: base64`
 * base64-encodes every string in the reply except "OK"; `upstash-sync-token` is accepted
 * and returned; CORS admits any origin and the headers the client sends.
 */
import { Hono, type Context } from "hono";
import { lookupCommand } from "../commands/table";
import { ERR_CROSSSLOT, ERR_EXECABORT, CommandError } from "../commands/errors";
import { readConfig, type Env, type Config } from "../config";
import { JsonCommandError, jsonToArgv, jsonToPipeline, replyToJson, stringifyJson } from "../protocol/json";
import { error, isError, type Reply } from "../protocol/reply";
import { utf8ToBinary } from "../util/binary";
import { Authenticator, type Grant } from "./auth";
import { checkCommand, commandSlot, isSpec, routeBatch, type ShardPool } from "./dispatch";
import { shardPool } from "./pool";
import { acceptRespWebSocket } from "./websocket";
import type { RouterContext } from "../commands/router-context";

type App = { Bindings: Env; Variables: { grant: Grant | null; config: Config; pool: ShardPool } };

let syncCounter = 0;

function json(c: Context<App>, body: unknown, status = 200): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const sync = c.req.header("upstash-sync-token");
  headers["upstash-sync-token"] = sync ?? String(Date.now() * 1000 + (syncCounter++ % 1000));
  return new Response(stringifyJson(body), { status, headers });
}

function jsonError(c: Context<App>, message: string, status = 400): Response {
  return json(c, { error: message }, status);
}

/** Router commands (PING, ECHO, …) over HTTP: no connection state. */
function httpContext(grant: Grant | null, shards: number): RouterContext {
  return {
    session: { id: 0, resp: 2, name: null, authenticated: true, readOnly: grant === "readonly", closing: false },
    now: Date.now(),
    shardCount: shards,
    authenticate: () => "ok",
    resetSession: () => {},
  };
}

async function run(c: Context<App>, cmds: string[][]): Promise<Reply[]> {
  const grant = c.get("grant");
  const ctx = httpContext(grant, c.get("config").shards);
  return routeBatch(c.get("pool"), cmds, {
    readOnly: grant === "readonly",
    runLocal: async (spec, argv) => {
      try {
        return await spec.runInRouter!(ctx, argv);
      } catch (e) {
        if (e instanceof CommandError) return error(e.reply);
        throw e;
      }
    },
  });
}

async function readJsonBody(c: Context<App>): Promise<unknown> {
  const text = await readBody(c);
  try {
    return JSON.parse(text);
  } catch {
    throw new JsonCommandError("ERR failed to parse command: body is not valid JSON");
  }
}

class TooLarge extends Error {}

async function readBody(c: Context<App>): Promise<string> {
  const limit = c.get("config").maxRequestBytes;
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > limit) throw new TooLarge();
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > limit) throw new TooLarge();
  return new TextDecoder().decode(buf);
}

function single(c: Context<App>, reply: Reply): Response {
  const b64 = c.req.header("upstash-encoding")?.toLowerCase() === "base64";
  return isError(reply) ? jsonError(c, reply.message) : json(c, { result: replyToJson(reply, b64) });
}

function each(c: Context<App>, replies: Reply[]): Response {
  const b64 = c.req.header("upstash-encoding")?.toLowerCase() === "base64";
  return json(c, replies.map((r) => (isError(r) ? { error: r.message } : { result: replyToJson(r, b64) })));
}

/** Runs a pipeline atomically in one shard (all keys in one slot). */
async function multiExec(c: Context<App>, cmds: string[][]): Promise<Response> {
  const readOnly = c.get("grant") === "readonly";
  let slot = -1;
  for (const argv of cmds) {
    const checked = checkCommand(argv, readOnly);
    if (!isSpec(checked)) return jsonError(c, isError(checked) ? `${ERR_EXECABORT} ${checked.message}` : ERR_EXECABORT);
    if (checked.routing === "router") continue;
    const s = commandSlot(checked, argv);
    if (typeof s !== "number" || (s >= 0 && slot >= 0 && s !== slot)) return jsonError(c, ERR_CROSSSLOT);
    if (s >= 0) slot = s;
  }
  const pool = c.get("pool");
  const shard = slot >= 0 ? pool.slots.shardOfSlot(slot) : 0;
  const local = cmds.map((argv) => lookupCommand(argv[0])!.routing === "router");
  const result = await pool.transaction(shard, cmds.filter((_, i) => !local[i]), []);
  if (!Array.isArray(result)) return jsonError(c, isError(result) ? result.message : ERR_EXECABORT);
  const localReplies = await run(c, cmds.filter((_, i) => local[i]));
  let s = 0;
  let l = 0;
  return each(c, cmds.map((_, i) => (local[i] ? localReplies[l++] : result[s++])));
}

export function createApp(): Hono<App> {
  const app = new Hono<App>();

  app.onError((err, c) => {
    if (err instanceof TooLarge) return jsonError(c, "ERR max request size exceeded", 413);
    if (err instanceof JsonCommandError) return jsonError(c, err.message);
    console.error("hotslot: request failed", err);
    return jsonError(c, `ERR internal error: ${err.message}`, 500);
  });

  app.use("*", async (c, next) => {
    if (c.req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": c.req.header("origin") ?? "*",
          "access-control-allow-methods": "GET, POST, PUT, OPTIONS",
          "access-control-allow-headers": c.req.header("access-control-request-headers") ?? "*",
          "access-control-expose-headers": "upstash-sync-token",
          "access-control-max-age": "86400",
        },
      });
    }
    let config: Config;
    try {
      config = readConfig(c.env);
    } catch (e) {
      return jsonError(c, (e as Error).message, 500);
    }
    const auth = new Authenticator(config);
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
    const token = bearer ?? c.req.query("_token") ?? c.req.query("token");
    const grant = auth.grantFor(token);
    c.set("config", config);
    c.set("grant", grant);
    c.set("pool", shardPool(c.env, config.shards));
    if (c.req.header("upgrade")?.toLowerCase() === "websocket") {
      // A RESP session: without a token the client may still AUTH inside the session.
      if (token && !grant) return new Response("Unauthorized", { status: 401 });
      return acceptRespWebSocket(c.get("pool"), auth, grant, config.maxValueBytes);
    }
    if (auth.required && !grant) return jsonError(c, "Unauthorized", 401);
    await next();
    c.res.headers.set("access-control-allow-origin", c.req.header("origin") ?? "*");
    c.res.headers.set("access-control-expose-headers", "upstash-sync-token");
  });

  app.post("/", async (c) => single(c, (await run(c, [jsonToArgv(await readJsonBody(c))]))[0]));
  app.post("/pipeline", async (c) => each(c, await run(c, jsonToPipeline(await readJsonBody(c)))));
  app.post("/multi-exec", async (c) => multiExec(c, jsonToPipeline(await readJsonBody(c))));

  // Path form: /set/key/value?EX=10 ; a POST body is appended as the last argument.
  app.on(["GET", "POST", "PUT"], "/*", async (c) => {
    const url = new URL(c.req.url);
    const argv = url.pathname
      .split("/")
      .filter((p) => p !== "")
      .map((p) => utf8ToBinary(decodeURIComponent(p)));
    if (argv.length === 0) return jsonError(c, "ERR empty command", 400);
    for (const [k, v] of url.searchParams) {
      if (k === "_token" || k === "token") continue;
      argv.push(utf8ToBinary(k));
      if (v !== "") argv.push(utf8ToBinary(v));
    }
    if (c.req.method !== "GET") {
      const body = await readBody(c);
      if (body !== "") argv.push(utf8ToBinary(body));
    }
    return single(c, (await run(c, [argv]))[0]);
  });

  return app;
}


