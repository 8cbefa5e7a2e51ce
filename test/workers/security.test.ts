/**
 * Hostile input and secure defaults at the Worker's HTTP front: who is served without a
 * token (nobody, unless the deployment opts in or the request comes to a local development
 * server), where the well-known dev token works, which origins a browser page may call from,
 * what a GET may run, which paths are refused, where the admin token is taken from, and the
 * bounds on a JSON body. Each test builds the app with its own configuration (a copy of the
 * test env with some vars changed), as a deployment would set them.
 */
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { ERR_AUTH_NOT_CONFIGURED, ERR_DEV_TOKEN_DEPLOYED, ERR_HTTP_UNAUTHORIZED } from "../../src/router/auth";
import { ERR_ADMIN_TOKEN } from "../../src/router/admin";
import { createApp, ERR_BAD_PATH, ERR_ORIGIN_NOT_ALLOWED, ERR_WRITE_OVER_GET, hasUnsafePathSegment } from "../../src/router/http";
import { errTooManyArgs, errTooManyCommands } from "../../src/protocol/json";
import type { Env } from "../../src/config";
import { TOKEN } from "./helpers";

const app = createApp();
const ADMIN_TOKEN = "test-admin-token";
// LOCAL_DEV cleared too: `npm start` writes it to .dev.vars, which the workers pool also reads.
const NO_TOKENS = { HOTSLOT_TOKEN: "", HOTSLOT_READONLY_TOKEN: "", HOTSLOT_ADMIN_TOKEN: "", LOCAL_DEV: "" };
const DEPLOYED = "https://hotslot.example.workers.dev";
const LOCAL = "http://127.0.0.1:8787";

interface Call {
  method?: string;
  body?: string;
  token?: string | null;
  headers?: Record<string, string>;
  vars?: Partial<Env>;
}

async function call(url: string, o: Call = {}): Promise<{ status: number; text: string; headers: Headers; json: () => any }> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  // The vars changed here exist only in this call's env: a gateway object (src/gateway) has the
  // deployment's own, so requests are served in the Worker here (GATEWAYS=0), as they would be
  // in a gateway of a deployment with these vars.
  const res = await app.fetch(new Request(url, { method: o.method ?? "POST", body: o.body, headers }), { ...env, GATEWAYS: "0", ...o.vars });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, json: () => JSON.parse(text) };
}

const ping = (base: string, o: Call = {}) => call(base + "/", { body: '["PING"]', ...o });

describe("secure by default", () => {
  it("serves nobody when no token is configured, saying why (HTTP, path form, WebSocket)", async () => {
    for (const a of [await ping(DEPLOYED, { vars: NO_TOKENS }), await call(DEPLOYED + "/ping", { method: "GET", vars: NO_TOKENS })]) {
      expect(a.status).toBe(401);
      expect(a.json()).toEqual({ error: ERR_AUTH_NOT_CONFIGURED });
      expect(ERR_AUTH_NOT_CONFIGURED).toMatch(/^NOAUTH /);
    }
    const ws = await call(DEPLOYED + "/", { method: "GET", headers: { upgrade: "websocket" }, vars: NO_TOKENS });
    expect(ws.status).toBe(401);
    expect(ws.json()).toEqual({ error: ERR_AUTH_NOT_CONFIGURED });
  });

  it("counts the admin token: with only it set, data routes need a token", async () => {
    const vars = { ...NO_TOKENS, HOTSLOT_ADMIN_TOKEN: ADMIN_TOKEN };
    const a = await ping(DEPLOYED, { vars });
    expect(a.status).toBe(401);
    expect(a.json()).toEqual({ error: ERR_HTTP_UNAUTHORIZED });
    expect((await ping(DEPLOYED, { vars, token: ADMIN_TOKEN })).json()).toEqual({ result: "PONG" });
  });

  it("serves everyone when the deployment opts in, warning once and in INFO server", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const vars = { ...NO_TOKENS, ALLOW_UNAUTHENTICATED: "yes" };
      expect((await ping(DEPLOYED, { vars })).json()).toEqual({ result: "PONG" });
      const info = (await call(DEPLOYED + "/", { body: '["INFO","server"]', vars })).json().result as string;
      expect(info).toContain("hotslot_auth:open-allow-unauthenticated\r\n");
      expect(info).toContain("hotslot_auth_warning:no_token_configured_every_client_has_full_access\r\n");
      const warnings = warn.mock.calls.map((args) => String(args[0])).filter((m) => m.includes("every client has full access"));
      expect(warnings).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  it("says hotslot_auth:token in INFO server when tokens are required", async () => {
    const info = (await ping(DEPLOYED, { body: '["INFO","server"]', token: TOKEN })).json().result as string;
    expect(info).toContain("hotslot_auth:token\r\n");
    expect(info).not.toContain("hotslot_auth_warning");
  });

  it("serves a local development server without a token: LOCAL_DEV and a loopback host, both", async () => {
    const local = { ...NO_TOKENS, LOCAL_DEV: "yes" };
    for (const host of [LOCAL, "http://localhost:8787", "http://[::1]:8787"]) {
      expect((await ping(host, { vars: local })).json()).toEqual({ result: "PONG" });
    }
    // LOCAL_DEV on a request to the deployment's own hostname, or a loopback host without it.
    expect((await ping(DEPLOYED, { vars: local })).status).toBe(401);
    expect((await ping("http://rebound.attacker.example:8787", { vars: local })).status).toBe(401);
    expect((await ping(LOCAL, { vars: NO_TOKENS })).status).toBe(401);
  });

  it("never lets the well-known dev token open a deployed Worker", async () => {
    const vars = { HOTSLOT_TOKEN: "dev-token", HOTSLOT_READONLY_TOKEN: "dev-readonly-token", HOTSLOT_ADMIN_TOKEN: "" };
    for (const token of ["dev-token", "dev-readonly-token", null]) {
      const a = await ping(DEPLOYED, { vars, token });
      expect(a.status).toBe(401);
      expect(a.json()).toEqual({ error: ERR_DEV_TOKEN_DEPLOYED });
    }
    // Even with LOCAL_DEV set by mistake, unless the request names a loopback host.
    expect((await ping(DEPLOYED, { vars: { ...vars, LOCAL_DEV: "yes" }, token: "dev-token" })).status).toBe(401);
    expect((await ping(LOCAL, { vars: { ...vars, LOCAL_DEV: "yes" }, token: "dev-token" })).json()).toEqual({ result: "PONG" });
    expect((await ping(LOCAL, { vars: { ...vars, LOCAL_DEV: "yes" } })).status).toBe(401);
  });
});

describe("tokens in the query string", () => {
  it("are still accepted for the full token (Upstash's ?_token=)", async () => {
    expect((await call(`${DEPLOYED}/echo/hi?_token=${TOKEN}`, { method: "GET" })).json()).toEqual({ result: "hi" });
  });

  it("never grant admin, on data routes or /admin", async () => {
    const a = await call(`${DEPLOYED}/debug/digest?_token=${ADMIN_TOKEN}`, { method: "POST" });
    expect(a.status).toBe(401);
    expect(a.json()).toEqual({ error: ERR_HTTP_UNAUTHORIZED });
    const b = await call(`${DEPLOYED}/admin/export?_token=${ADMIN_TOKEN}`, { method: "GET" });
    expect(b.status).toBe(401);
    expect(b.json()).toEqual({ error: ERR_ADMIN_TOKEN });
    const ws = await call(`${DEPLOYED}/?token=${ADMIN_TOKEN}`, { method: "GET", headers: { upgrade: "websocket" } });
    expect(ws.status).toBe(401);
    // The same token in the header does grant admin.
    expect((await call(`${DEPLOYED}/debug/digest`, { token: ADMIN_TOKEN })).status).toBe(200);
  });
});

describe("the path form over GET", () => {
  const localDev = { LOCAL_DEV: "yes", HOTSLOT_TOKEN: "dev-token" };
  const open = { ...NO_TOKENS, ALLOW_UNAUTHENTICATED: "yes" };

  it("runs no write, admin or blocking command for the well-known dev token or an open server (405)", async () => {
    const cases: [string, Call][] = [
      [LOCAL, { token: "dev-token", vars: localDev }],
      [LOCAL, { vars: { ...NO_TOKENS, LOCAL_DEV: "yes" } }],
      [DEPLOYED, { vars: open }],
    ];
    for (const [base, o] of cases) {
      const writingScript = "/eval/" + encodeURIComponent("return redis.call('set','getwrite:k','v')") + "/0";
      const getWrites = ["/set/getwrite:k/v", "/flushall", "/del/getwrite:k", "/config/set/maxmemory/1", "/blpop/getwrite:l/1", writingScript, "/fcall/f/0", "/function/flush", "/script/flush", "/client/kill/id/1", "/publish/getwrite:c/m"];
      for (const path of getWrites) {
        const a = await call(base + path, { ...o, method: "GET" });
        expect(a.status, base + path).toBe(405);
        expect(a.json()).toEqual({ error: ERR_WRITE_OVER_GET });
        expect(a.headers.get("allow")).toBe("POST, PUT");
      }
      // HEAD too (a CORS-safelisted method: a page sends it without a preflight or an Origin).
      const head = await call(base + "/set/getwrite:k/v", { ...o, method: "HEAD" });
      expect(head.status).toBe(405);
      expect(head.headers.get("allow")).toBe("POST, PUT");
      expect((await call(base + "/exists/getwrite:k", { ...o, method: "GET" })).json()).toEqual({ result: 0 });
      expect((await call(base + "/set/getwrite:k/v", o)).json()).toEqual({ result: "OK" });
      expect((await call(base + "/get/getwrite:k", { ...o, method: "GET" })).json()).toEqual({ result: "v" });
      expect((await call(base + "/del/getwrite:k", o)).json()).toEqual({ result: 1 });
    }
  });

  it("refuses the <img> form: the dev token in the query", async () => {
    const a = await call(`${LOCAL}/set/getwrite:img/v?_token=dev-token`, { method: "GET", vars: localDev });
    expect(a.status).toBe(405);
    expect((await call(`${LOCAL}/exists/getwrite:img?_token=dev-token`, { method: "GET", vars: localDev })).json()).toEqual({ result: 0 });
  });

  it("still runs writes over GET with a secret token, as Upstash's curl examples do", async () => {
    expect((await call(DEPLOYED + "/set/getwrite:secret/v", { method: "GET", token: TOKEN })).json()).toEqual({ result: "OK" });
    expect((await call(DEPLOYED + "/getdel/getwrite:secret", { method: "GET", token: TOKEN })).json()).toEqual({ result: "v" });
  });

  it("refuses a path with an empty segment (it would shift the arguments), but a trailing slash", async () => {
    const a = await call(DEPLOYED + "/set//pathseg:v", { token: TOKEN });
    expect(a.status).toBe(400);
    expect(a.json()).toEqual({ error: ERR_BAD_PATH });
    expect((await call(DEPLOYED + "/get/pathseg:v", { method: "GET", token: TOKEN })).json()).toEqual({ result: null });
    expect((await call(DEPLOYED + "/echo/x/", { method: "GET", token: TOKEN })).json()).toEqual({ result: "x" });
  });

  it("spots dot segments in the raw URL, in any spelling", () => {
    for (const url of ["http://h/set/k/..", "http://h/set/./v", "http://h/get/%2e%2E/flushall", "http://h/get/%2e", "http://h/a//b?x=1", "/set/.%2e/x"]) {
      expect(hasUnsafePathSegment(url), url).toBe(true);
    }
    for (const url of ["http://h/get/k", "http://h/get/k/", "http://h/", "http://h/get/..k/a.b?x=//", "http://h/get/k#//"]) {
      expect(hasUnsafePathSegment(url), url).toBe(false);
    }
  });
});

describe("browser origins", () => {
  const local = { LOCAL_DEV: "yes", HOTSLOT_TOKEN: "dev-token" };

  it("refuses another site's page on a local development server: simple POSTs, preflights and WebSockets", async () => {
    const evil = { origin: "https://evil.example" };
    const simple = await call(`${LOCAL}/?_token=dev-token`, { body: '["SET","cors:k","pwned"]', headers: { ...evil, "content-type": "text/plain" }, vars: local });
    expect(simple.status).toBe(403);
    expect(simple.json()).toEqual({ error: ERR_ORIGIN_NOT_ALLOWED });
    expect(simple.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await call(`${LOCAL}/`, { method: "OPTIONS", headers: { ...evil, "access-control-request-method": "POST" }, vars: local });
    expect(pre.status).toBe(403);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const ws = await call(`${LOCAL}/?token=dev-token`, { method: "GET", headers: { ...evil, upgrade: "websocket" }, vars: local });
    expect(ws.status).toBe(403);
    expect((await ping(LOCAL, { body: '["EXISTS","cors:k"]', token: "dev-token", vars: local })).json()).toEqual({ result: 0 });
  });

  it("answers loopback pages on a local development server with their own origin, not *", async () => {
    const a = await ping(LOCAL, { token: "dev-token", headers: { origin: "http://localhost:3000" }, vars: local });
    expect(a.json()).toEqual({ result: "PONG" });
    expect(a.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(a.headers.get("vary")).toBe("Origin");
    // No Origin (curl, Node clients): served, and no CORS header at all.
    const b = await ping(LOCAL, { token: "dev-token", vars: local });
    expect(b.json()).toEqual({ result: "PONG" });
    expect(b.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers only the origins in CORS_ORIGINS when it is set", async () => {
    const vars = { CORS_ORIGINS: "https://app.example, https://admin.example" };
    const a = await ping(DEPLOYED, { token: TOKEN, headers: { origin: "https://app.example" }, vars });
    expect(a.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const b = await ping(DEPLOYED, { token: TOKEN, headers: { origin: "https://other.example" }, vars });
    expect(b.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await call(`${DEPLOYED}/`, { method: "OPTIONS", headers: { origin: "https://admin.example" }, vars });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    // A listed origin may call a local development server too.
    const c = await ping(LOCAL, { token: "dev-token", headers: { origin: "https://app.example" }, vars: { ...local, ...vars } });
    expect(c.headers.get("access-control-allow-origin")).toBe("https://app.example");
  });
});

describe("JSON bodies are bounded before they are parsed", () => {
  it("refuses a pipeline with more commands than MAX_PIPELINE_COMMANDS, running none", async () => {
    const vars = { MAX_PIPELINE_COMMANDS: "3" };
    const body = JSON.stringify([["SET", "bounds:k", "1"], ["PING"], ["PING"], ["PING"]]);
    for (const path of ["/pipeline", "/multi-exec"]) {
      const a = await call(DEPLOYED + path, { body, token: TOKEN, vars });
      expect(a.status).toBe(400);
      expect(a.json()).toEqual({ error: errTooManyCommands(3) });
    }
    expect((await ping(DEPLOYED, { body: '["EXISTS","bounds:k"]', token: TOKEN })).json()).toEqual({ result: 0 });
    expect((await call(DEPLOYED + "/pipeline", { body: '[["PING"],["PING"],["PING"]]', token: TOKEN, vars })).status).toBe(200);
  });

  it("refuses more arguments than MAX_REQUEST_ARGS, in a command or over a pipeline", async () => {
    const vars = { MAX_REQUEST_ARGS: "4" };
    const a = await call(DEPLOYED + "/", { body: '["MSET","bounds:a","1","bounds:b","2"]', token: TOKEN, vars });
    expect(a.status).toBe(400);
    expect(a.json()).toEqual({ error: errTooManyArgs(4) });
    const b = await call(DEPLOYED + "/pipeline", { body: '[["SET","bounds:a","1"],["GET","bounds:a"]]', token: TOKEN, vars });
    expect(b.json()).toEqual({ error: errTooManyArgs(4) });
    expect((await ping(DEPLOYED, { body: '["EXISTS","bounds:a"]', token: TOKEN })).json()).toEqual({ result: 0 });
  });

  it("refuses a body of millions of empty arrays at once", async () => {
    const body = "[" + '["PING"],' + "[],".repeat(3_000_000) + "[]]";
    const a = await call(DEPLOYED + "/pipeline", { body, token: TOKEN });
    expect(a.status).toBe(400);
    expect(a.json().error).toMatch(/^ERR the request body must be a non-empty JSON array of commands/);
  });
});
