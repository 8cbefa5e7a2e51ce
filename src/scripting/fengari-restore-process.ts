/** Puts back the `process` global fengari-hide-process.ts (and `window`) replaced while fengari loaded. */
import { inWorkerd, savedProcess } from "./fengari-hide-process";

if (inWorkerd) {
  delete (globalThis as { process?: unknown }).process;
  delete (globalThis as { window?: unknown }).window;
  if (savedProcess !== undefined) Object.defineProperty(globalThis, "process", savedProcess);
}
