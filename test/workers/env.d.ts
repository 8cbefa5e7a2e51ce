// The bindings tests see through `cloudflare:test`'s env: the Worker's own Env.
import type { Env as HotslotEnv } from "../../src/config";

declare global {
  namespace Cloudflare {
    interface Env extends HotslotEnv {}
  }
}
