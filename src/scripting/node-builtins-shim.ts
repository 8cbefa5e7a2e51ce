/**
 * An empty stand-in for the Node built-ins fengari names (fs, os, path, child_process,
 * crypto, tmp): wrangler.toml aliases them here so the Worker bundles without
 * nodejs_compat. In workerd `process` is undefined, so fengari takes its browser
 * branches and never calls these; only its file, OS and debug-console libraries would,
 * and the script sandbox (src/scripting/vm.ts) does not open them.
 */
export default {};
