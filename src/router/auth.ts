/**
 * Tokens and what they grant. The full token may run every command but DEBUG; the admin
 * token everything, DEBUG included (or everyone may run DEBUG with ENABLE_DEBUG_COMMAND);
 * the read-only token only reads, and not KEYS or SCAN (as Upstash's read-only tokens).
 * The refusals themselves are in dispatch.checkCommand. With no token configured the
 * service is open, which is meant for local development only. Also here: where a request
 * presents its token.
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

export class Authenticator {
  constructor(
    private readonly config: Pick<Config, "token" | "readonlyToken"> & Partial<Pick<Config, "adminToken" | "enableDebugCommand">>,
  ) {}

  /** What `grant` (null: unauthenticated, or no auth configured) may run. */
  access(grant: Grant | null): Access {
    return { readOnly: grant === "readonly", debug: grant === "admin" || this.config.enableDebugCommand === true };
  }

  /** True when clients must authenticate. */
  get required(): boolean {
    return this.config.token !== null || this.config.readonlyToken !== null;
  }

  /** What a presented token grants, or null. Constant-time compare. */
  grantFor(token: string | null | undefined): Grant | null {
    if (token == null) return null;
    if (this.config.adminToken && safeEqual(token, this.config.adminToken)) return "admin";
    if (this.config.token !== null && safeEqual(token, this.config.token)) return "full";
    if (this.config.readonlyToken !== null && safeEqual(token, this.config.readonlyToken)) return "readonly";
    return null;
  }

  /** AUTH [user] password: any user name is accepted with a valid token, as Upstash does. */
  check(_user: string, password: string): Grant | "wrongpass" | "nopass" {
    if (!this.required) return "nopass";
    return this.grantFor(password) ?? "wrongpass";
  }
}

/**
 * The token a request presents: `Authorization: Bearer <token>` (scheme case-insensitive),
 * else the first of the query parameters named in `queryNames` — Upstash's REST API reads
 * `_token`; a WebSocket upgrade also takes `token`, since browsers cannot set headers on
 * one. Null when there is none.
 */
export function presentedToken(headers: Headers, url: URL, queryNames: readonly string[] = ["_token"]): string | null {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.get("authorization") ?? "")?.[1];
  if (bearer !== undefined) return bearer;
  for (const name of queryNames) {
    const t = url.searchParams.get(name);
    if (t !== null && t !== "") return t;
  }
  return null;
}

function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
