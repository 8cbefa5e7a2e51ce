/**
 * Which gateway object (src/gateway/gateway.ts) a connection or request goes to: one of
 * GATEWAYS, named "gateway-0" …, picked at random so load spreads evenly.
 */
import type { Env } from "../config";

/** The name of gateway `index`. */
export function gatewayName(index: number): string {
  return `gateway-${index}`;
}

/** A gateway for a new connection or request: one of `count`, at random. */
export function pickGateway(env: Env, count: number): DurableObjectStub {
  const ns = env.GATEWAY as DurableObjectNamespace;
  return ns.get(ns.idFromName(gatewayName(Math.floor(Math.random() * count))));
}
