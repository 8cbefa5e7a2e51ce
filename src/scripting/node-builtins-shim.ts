/**
 * An empty stand-in for the Node built-ins fengari names (fs, os, path, child_process,
 * crypto, tmp): wrangler.toml aliases them here so the Worker bundles without
 * nodejs_compat. In workerd `process` is undefined, so fengari takes its browser
 * branches and never calls these; only its file, OS and debug-console libraries would,
 * and the script sandbox (src/scripting/vm.ts) does not open them.
 *
 * Except `platform`: under `wrangler dev` stack traces are source-mapped, so the `process`
 * getter of fengari-hide-process.ts (which answers inside luaconf.js) also answers
 * luaconf.js's `typeof process` check, and luaconf then asks `os.platform()` to pick its
 * (unused) module search paths.
 */
export function platform(): string {
  return "linux";
}

export default { platform };
