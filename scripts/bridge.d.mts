/** Types for scripts/bridge.mjs (the TCP → WebSocket bridge), for TypeScript callers such as the e2e tests. */

export interface BridgeOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. Default 6379. */
  port?: number;
  /** The Worker's URL, http(s):// or ws(s)://. Default http://127.0.0.1:8787. */
  url?: string;
  /** Sent as `Authorization: Bearer …`; null: clients must AUTH themselves. */
  token?: string | null;
  /** Where to report WebSocket failures (default console.error); null to stay silent. */
  log?: ((message: string) => void) | null;
  /** One WebSocket shared by all client connections (default true), or one per connection. */
  mux?: boolean;
}

export interface Bridge {
  /** The port it listens on (127.0.0.1). */
  port: number;
  /** The WebSocket URL it relays to. */
  url: string;
  /**
   * What the bridge holds now: open connections, and the bytes buffered for them (requests
   * waiting for or on the WebSocket, replies waiting for the client). Bounded per connection:
   * see the limits at the top of bridge.mjs.
   */
  stats(): { connections: number; bufferedBytes: number };
  /** Stops listening and closes every relayed connection. */
  close(): Promise<void>;
}

export function startBridge(options?: BridgeOptions): Promise<Bridge>;
export function webSocketUrl(url: string): string;
export function tokenFromDevVars(path?: string): string | null;
