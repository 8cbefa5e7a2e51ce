/**
 * Tokens and what they grant, and who may be served without one. The full token may run
 * every command but DEBUG; the admin token everything, DEBUG included (or everyone may run
 * DEBUG with ENABLE_DEBUG_COMMAND); the read-only token only reads (EVAL/EVALSHA/FCALL only in
 * their _RO forms), and not KEYS or SCAN (as Upstash's read-only tokens). The refusals
 * themselves are in dispatch.checkCommand. Also
 * here: where a request presents its token, and whether a request comes to a local
 * development server.
 *
 * Secure by default: with no token configured (the admin token counts) the Worker refuses
 * every request unless the deployment opts in with ALLOW_UNAUTHENTICATED=yes or the request
 * comes to a local development server (see isLocalDevRequest). The well-known tokens of
 * .dev.vars.example are honoured on a local development server only, so a deployment that
 * copied them is never opened by them.
 */
import type { Config } from "../config";

export type Grant = "admin" | "full" | "readonly";

/** What a caller may run, from its grant (see dispatch.checkCommand). */
export interface Access {
  /** Writes, admin commands, KEYS and SCAN are refused. */
  readonly readOnly: boolean;
  /** Protected commands (DEBUG) may run. */
  readonly debug: boolean;
}

/** The 401 body's text, as Upstash documents it (troubleshooting/http_unauthorized). */
export const ERR_HTTP_UNAUTHORIZED = "WRONGPASS invalid or missing auth token";

/**
 * The 401 body's text when no token is configured and unauthenticated access is not
 * allowed. The RESP-style NOAUTH code, as Redis answers before AUTH, then what to do.
 */
export const ERR_AUTH_NOT_CONFIGURED =
  "NOAUTH Authentication required: no token is configured. Set the HOTSLOT_TOKEN secret (wrangler secret put HOTSLOT_TOKEN), or set ALLOW_UNAUTHENTICATED=yes in [vars] to serve everyone";

/** The 401 body's text when the only tokens configured are the well-known development ones. */
export const ERR_DEV_TOKEN_DEPLOYED =
  "WRONGPASS the configured tokens are the well-known development tokens of .dev.vars.example, refused outside local development: set your own with wrangler secret put HOTSLOT_TOKEN";

/** The tokens .dev.vars.example ships: known to everyone, so honoured on local development servers only. */
export const WELL_KNOWN_DEV_TOKENS: readonly string[] = ["dev-token", "dev-readonly-token"];

/** How requests are authenticated; INFO server reports it as hotslot_auth. */
export type AuthMode = "token" | "open-allow-unauthenticated" | "open-local-dev";

type AuthConfig = Pick<Config, "token" | "readonlyToken"> &
  Partial<Pick<Config, "adminToken" | "enableDebugCommand" | "allowUnauthenticated">> & {
    /** The request comes to a local development server (isLocalDevRequest). */
    localDevRequest?: boolean;
  };

/** Query parameters a RESP WebSocket upgrade may carry its token in (clients that cannot set headers). */
export const RESP_TOKEN_PARAMS: readonly string[] = ["_token", "token"];

export class Authenticator {
  constructor(private readonly config: AuthConfig) {}

  /** What `grant` (null: unauthenticated, or no auth configured) may run. */
  access(grant: Grant | null): Access {
    return { readOnly: grant === "readonly", debug: grant === "admin" || this.config.enableDebugCommand === true };
  }

  /**
   * True when clients must authenticate: a token is configured (any of the three), or none
   * is and unauthenticated access was not allowed. `allowUnauthenticated` absent (sessions
   * built in-process, as in unit tests) keeps the old rule: open when no token is
   * configured; the Worker always states it (requestAuthenticator).
   */
  get required(): boolean {
    const c = this.config;
    if (this.configured) return true;
    return c.allowUnauthenticated === false && c.localDevRequest !== true;
  }

  /** True when any token (full, read-only or admin) is configured. */
  get configured(): boolean {
    const c = this.config;
    return c.token !== null || c.readonlyToken !== null || (c.adminToken ?? null) !== null;
  }

  /** What a 401 says: why this caller cannot be served, and what to do. */
  get unauthorizedMessage(): string {
    const c = this.config;
    const configured = [c.token, c.readonlyToken, c.adminToken ?? null].filter((t): t is string => t !== null);
    if (configured.length === 0) return ERR_AUTH_NOT_CONFIGURED;
    if (c.localDevRequest !== true && configured.every((t) => WELL_KNOWN_DEV_TOKENS.includes(t))) return ERR_DEV_TOKEN_DEPLOYED;
    return ERR_HTTP_UNAUTHORIZED;
  }

  /** How this authenticator serves requests, for INFO and the start-up warning. */
  get mode(): AuthMode {
    if (this.required) return "token";
    return this.config.localDevRequest === true ? "open-local-dev" : "open-allow-unauthenticated";
  }

  /**
   * What a presented token grants, or null. Constant-time compare. A token read from the
   * URL (`inQuery`) never grants admin: URLs end up in logs and browser history. A
   * well-known development token grants nothing outside local development.
   */
  grantFor(token: string | null | undefined, inQuery = false): Grant | null {
    if (token == null) return null;
    if (this.config.localDevRequest !== true && WELL_KNOWN_DEV_TOKENS.includes(token)) return null;
    if (this.config.adminToken && safeEqual(token, this.config.adminToken)) return inQuery ? null : "admin";
    if (this.config.token !== null && safeEqual(token, this.config.token)) return "full";
    if (this.config.readonlyToken !== null && safeEqual(token, this.config.readonlyToken)) return "readonly";
    return null;
  }

  /** The grant of the token a request presents (see presentedToken), or null. */
  grantForRequest(headers: Headers, url: URL, queryNames?: readonly string[]): Grant | null {
    const presented = presentedToken(headers, url, queryNames);
    return presented === null ? null : this.grantFor(presented.token, presented.inQuery);
  }

  /** AUTH [user] password: any user name is accepted with a valid token, as Upstash does. */
  check(_user: string, password: string): Grant | "wrongpass" | "nopass" {
    if (!this.required) return "nopass";
    return this.grantFor(password) ?? "wrongpass";
  }
}

// --- the request's side: local development, presented tokens ----------------------------

const LOOPBACK_HOSTNAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * True when a request comes to a local development server: LOCAL_DEV=yes (set by `npm
 * start` with `wrangler dev --var`, and by .dev.vars.example — wrangler never deploys
 * either) AND the request's URL names a loopback host. Neither alone is enough: the host
 * of a request is the client's to choose (a service binding may fetch any URL), and a
 * deployment could set LOCAL_DEV by mistake; a deployed Worker is reached by its own
 * hostname, never a loopback one. A DNS-rebinding page reaches 127.0.0.1 under its own
 * hostname, so it is not local either.
 */
export function isLocalDevRequest(config: Pick<Config, "localDevelopment">, url: URL): boolean {
  return config.localDevelopment && LOOPBACK_HOSTNAMES.has(url.hostname);
}

let warnedOpen = false;
let currentMode: AuthMode | null = null;

/**
 * The authenticator for one request: the configuration plus whether the request comes to
 * a local development server. Warns once per isolate when it serves without a token.
 */
export function requestAuthenticator(config: Config, url: URL): Authenticator {
  const auth = new Authenticator({ ...config, localDevRequest: isLocalDevRequest(config, url) });
  currentMode = auth.mode;
  if (currentMode !== "token" && !warnedOpen) {
    warnedOpen = true;
    console.warn(
      `hotslot: WARNING: no token is configured and ${currentMode === "open-local-dev" ? "this is a local development server" : "ALLOW_UNAUTHENTICATED=yes"}: ` +
        "every client has full access. Set the HOTSLOT_TOKEN secret to require authentication.",
    );
  }
  return auth;
}

/** How this isolate's last request was authenticated (INFO server's hotslot_auth), or null before any. */
export function currentAuthMode(): AuthMode | null {
  return currentMode;
}

/**
 * The token a request presents: `Authorization: Bearer <token>` (scheme case-insensitive),
 * else the first of the query parameters named in `queryNames` — Upstash's REST API reads
 * `_token`; a WebSocket upgrade also takes `token`, since browsers cannot set headers on
 * one. Null when there is none. A token in the query string is kept for compatibility
 * but ends up in access logs, proxies and browser history: prefer the header.
 */
export function presentedToken(headers: Headers, url: URL, queryNames: readonly string[] = ["_token"]): { token: string; inQuery: boolean } | null {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.get("authorization") ?? "")?.[1];
  if (bearer !== undefined) return { token: bearer, inQuery: false };
  for (const name of queryNames) {
    const t = url.searchParams.get(name);
    if (t !== null && t !== "") return { token: t, inQuery: true };
  }
  return null;
}

function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
