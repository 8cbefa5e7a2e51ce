/**
 * Seeded frames of random commands for pipelining tests (a WebSocket frame, or one TCP
 * write, each): the same seed gives the same frames, so a run sent without waiting can be
 * compared byte for byte with the same run sent one frame at a time, or with redis-server.
 */

/** Commands as one RESP multibulk string (binary: one char per byte). */
export const multibulk = (cmds: string[][]) => cmds.map((argv) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join("");

/** A seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Frames of random commands on keys under `prefix` (replies never name a key): strings,
 * lists, hashes, split commands over every shard (MGET, MSET, DEL, EXISTS), router and
 * session commands, and transactions with and without WATCH on one hash tag.
 */
export function randomFrames(seed: number, prefix: string, count: number): string[][][] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const key = () => `${prefix}:${Math.floor(r() * 12)}`;
  const tx = `{${prefix}tx}`;
  const single = (): string[] =>
    pick<() => string[]>([
      () => ["SET", key(), String(Math.floor(r() * 100))],
      () => ["GET", key()],
      () => ["INCR", key()],
      () => ["APPEND", key(), "x"],
      () => ["RPUSH", key(), "a", "b"],
      () => ["LPOP", key()],
      () => ["LRANGE", key(), "0", "-1"],
      () => ["DEL", key(), key()],
      () => ["EXISTS", key(), key(), key()],
      () => ["MGET", key(), key(), key()],
      () => ["MSET", key(), "1", key(), "2"],
      () => ["HSET", key(), "f", "v"],
      () => ["STRLEN", key()],
      () => ["TYPE", key()],
      () => ["PING"],
      () => ["ECHO", "hi"],
      () => ["SELECT", "0"],
    ])();
  const frames: string[][][] = [];
  for (let f = 0; f < count; f++) {
    const frame: string[][] = [];
    const n = 1 + Math.floor(r() * 8);
    for (let i = 0; i < n; i++) {
      const roll = r();
      if (roll < 0.05) frame.push(["MULTI"], ["INCR", `${tx}n`], ["RPUSH", `${tx}l`, "t"], ["LLEN", `${tx}l`], ["EXEC"]);
      else if (roll < 0.08) frame.push(["WATCH", `${tx}n`], ["GET", `${tx}n`], ["MULTI"], ["INCR", `${tx}n`], ["EXEC"]);
      else if (roll < 0.1) frame.push(["WATCH", `${tx}n`], ["INCR", `${tx}n`], ["MULTI"], ["INCR", `${tx}n`], ["EXEC"]);
      else if (roll < 0.11) frame.push(["UNWATCH"]);
      else frame.push(single());
    }
    frames.push(frame);
  }
  return frames;
}

