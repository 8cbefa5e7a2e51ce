/**
 * Imported just before fengari (src/scripting/fengari.ts), with fengari-restore-process.ts
 * just after: under workerd, makes fengari load its browser code paths. fengari picks Node
 * or browser paths by `typeof process` as it loads, but first reads its options from
 * `process.env.FENGARICONF` unguarded (luaconf.js). In workerd the browser paths are the right ones (no files, no child
 * processes; a Worker with nodejs_compat — as the vitest workers pool runs — would
 * otherwise load packages such as tmp that fail there). So while fengari loads, `process`
 * is a getter that is undefined for `typeof process` and answers luaconf.js's read with an
 * empty environment (told apart by the caller's stack: the vitest pool loads fengari's
 * files unbundled; the deployed bundle has that read replaced by wrangler.toml's [define]).
 * Also `window` is the global object while fengari loads: its package library finds the
 * global object through `window`, else through `(0, eval)("this")`, which workerd forbids.
 * In Node (unit tests, tools) nothing changes.
 */
const g = globalThis as { navigator?: { userAgent?: string } };

export const inWorkerd = g.navigator?.userAgent === "Cloudflare-Workers";
export const savedProcess = Object.getOwnPropertyDescriptor(globalThis, "process");

if (inWorkerd) {
  Object.defineProperty(globalThis, "process", {
    configurable: true,
    get: () => (new Error().stack?.includes("luaconf.js") ? { env: {} } : undefined),
  });
  Object.defineProperty(globalThis, "window", { configurable: true, value: globalThis });
}
