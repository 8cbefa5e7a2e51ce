/**
 * Small promise helpers the monitors and the router's topology code share: wait for every
 * call and keep what answered, and give up on a call after a timeout (a hung callee counts as
 * an unreachable one).
 */

/** Every call's value, or null for those that failed. */
export async function settle<T>(calls: Promise<T>[]): Promise<(T | null)[]> {
  return (await Promise.allSettled(calls)).map((r) => (r.status === "fulfilled" ? r.value : null));
}

/** `p`, or a rejection after `ms` naming `what`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what = "call"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
