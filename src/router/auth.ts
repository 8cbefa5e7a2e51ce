/**
 * Tokens and what they grant. The full token may run everything; the read-only token only
 * reads (as Upstash's read-only tokens). With no token configured the service is open,
 * which is meant for local development only.
 */
import type { Config } from "../config";

export type Grant = "full" | "readonly";

export class Authenticator {
  constructor(private readonly config: Pick<Config, "token" | "readonlyToken">) {}

  /** True when clients must authenticate. */
  get required(): boolean {
    return this.config.token !== null || this.config.readonlyToken !== null;
  }

  /** What a presented token grants, or null. Constant-time compare. */
  grantFor(token: string | null | undefined): Grant | null {
    if (token == null) return null;
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

function safeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}
