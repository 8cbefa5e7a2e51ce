/**
 * Small promise helpers the monitors, the router's topology code and the shards share: wait
 * for every call and keep what answered, give up on a call after a timeout (a hung callee
 * counts as an unreachable one), and retry a call at a callee looked up again each time.
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

/**
 * `call` at the callee `calleeFor(attempt)` names, up to `attempts` times (the lookup may
 * refresh what it knows from the second attempt on: a group's primary after a failover);
 * the last failure is thrown.
 */
export async function withFreshCallee<T>(attempts: number, calleeFor: (attempt: number) => string | Promise<string>, call: (callee: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const callee = await calleeFor(attempt);
    try {
      return await call(callee);
    } catch (e) {
      if (attempt + 1 >= attempts) throw e;
    }
  }
}
