/**
 * What the e2e globalSetup (global.ts) provides; read it in tests with `inject("…")` from vitest.
 */
declare module "vitest" {
  export interface ProvidedContext {
    /** Hotslot's HTTP base URL, no trailing slash (Upstash REST; @upstash/redis `url`). */
    hotslotUrl: string;
    /** Hotslot's RESP WebSocket URL (ws://127.0.0.1:N/); send `Authorization: Bearer <token>` or `?token=`. */
    wsUrl: string;
    /** TCP port on 127.0.0.1 of the bridge to Hotslot, already authenticated with `token`. */
    bridgePort: number;
    /** TCP port on 127.0.0.1 of a real redis-server 7 (the reference; no persistence, no password). */
    redisPort: number;
    /** Full-access token (HOTSLOT_TOKEN) of that Worker. */
    token: string;
    /** Read-only token (HOTSLOT_READONLY_TOKEN) of that Worker. */
    readonlyToken: string;
  }
}

export {};
