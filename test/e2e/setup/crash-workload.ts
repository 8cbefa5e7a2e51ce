/**
 * The crash test's write load (test/e2e/crash.test.ts): each connection's stream of
 * operations, drawn from its own seeded generator so a seed replays the same commands.
 * Every key belongs to one connection (its name starts with c<conn>:), so per key the
 * commands in doubt at a kill are at most those of that connection's last pipeline; every
 * value is tagged with its connection and sequence number, so no two writes send the same.
 */
import { Rng } from "../../support/random";
import { command, transaction, type Op } from "./crash-shadow";

/** Keys of each family per connection; every key belongs to exactly one connection. */
export const FAMILY_SIZE = { text: 20, blob: 80, counter: 10, list: 10, hash: 10, set: 10, zset: 10, tx: 6 };
const DAY_MS = 86_400_000;

export class Workload {
  private seq = 0;
  private readonly rng: Rng;

  /** Connection `conn`'s load under the run's `seed`. */
  constructor(
    readonly conn: number,
    seed: number,
  ) {
    this.rng = new Rng(seed + 7919 * (conn + 1));
  }

  private key(family: keyof typeof FAMILY_SIZE): string {
    return `c${this.conn}:${family}:${this.rng.range(0, FAMILY_SIZE[family] - 1)}`;
  }

  /** A value no other command ever sends: tagged with connection and sequence, binary tail. */
  private value(extra: number): string {
    return `c${this.conn}#${++this.seq}:${this.rng.bytes(extra)}`;
  }

  blobSet(i: number, ttl = false): Op {
    const key = `c${this.conn}:blob:${i}`;
    const argv = ["SET", key, this.value(this.rng.range(8_000, 24_000))];
    if (ttl) argv.push("EX", String(this.rng.range(1, 30) * 86_400));
    return command(this.conn, argv, [key]);
  }

  /** How many commands the next pipeline holds. */
  pipelineLength([lo, hi]: [number, number]): number {
    return this.rng.range(lo, hi);
  }

  /** One random operation; `txWeight` says how often it is a MULTI/EXEC. */
  next(txWeight: number): Op {
    const c = this.conn;
    const r = this.rng.float() * (100 + txWeight);
    if (r >= 100) {
      const tag = `{c${c}x${this.rng.range(0, FAMILY_SIZE.tx - 1)}}`;
      const parts: string[][] = [];
      for (let i = this.rng.range(2, 5); i > 0; i--) {
        parts.push(
          this.rng.pick([
            () => ["INCRBY", `${tag}:n`, String(this.rng.range(1, 100))],
            () => ["RPUSH", `${tag}:l`, this.value(this.rng.range(0, 20))],
            () => ["LTRIM", `${tag}:l`, "-20", "-1"],
            () => ["HSET", `${tag}:h`, `f${this.rng.range(0, 5)}`, this.value(this.rng.range(0, 20))],
            () => ["HINCRBY", `${tag}:h`, "n", String(this.rng.range(1, 9))],
            () => ["SADD", `${tag}:s`, `m${this.rng.range(0, 15)}`],
          ])(),
        );
      }
      return transaction(c, parts);
    }
    const roll = this.rng.range(0, 99);
    if (roll < 8) {
      const k = this.key("text");
      const argv = ["SET", k, this.value(this.rng.range(0, 200))];
      if (this.rng.float() < 0.3) argv.push("EX", String(this.rng.range(1, 30) * 86_400));
      return command(c, argv, [k]);
    }
    if (roll < 14) {
      const k = this.key("text");
      return command(c, ["APPEND", k, this.value(this.rng.range(0, 30))], [k]);
    }
    if (roll < 18) {
      // Across shards: the router splits it; each key is decided on its own.
      const keys = [...new Set([this.key("text"), this.key("text"), this.key("text")])];
      return command(c, ["MSET", ...keys.flatMap((k) => [k, this.value(this.rng.range(0, 100))])], keys);
    }
    if (roll < 19) {
      const k = this.key("text");
      return command(c, ["DEL", k], [k]);
    }
    if (roll < 23) {
      return this.blobSet(this.rng.range(0, FAMILY_SIZE.blob - 1), this.rng.float() < 0.3);
    }
    if (roll < 31) {
      const k = this.key("counter");
      return command(c, ["INCRBY", k, String(this.rng.range(-1000, 1000))], [k]);
    }
    if (roll < 37) {
      const k = this.key("list");
      const vs = Array.from({ length: this.rng.range(1, 3) }, () => this.value(this.rng.range(0, 40)));
      return command(c, ["RPUSH", k, ...vs], [k]);
    }
    if (roll < 39) {
      const k = this.key("list");
      return command(c, ["LTRIM", k, String(-this.rng.range(5, 40)), "-1"], [k]);
    }
    if (roll < 41) {
      const k = this.key("list");
      return command(c, ["LPOP", k], [k]);
    }
    if (roll < 46) {
      const k = this.key("hash");
      const fv: string[] = [];
      for (let i = this.rng.range(1, 2); i > 0; i--) fv.push(`f${this.rng.range(0, 9)}`, this.value(this.rng.range(0, 60)));
      return command(c, ["HSET", k, ...fv], [k]);
    }
    if (roll < 50) {
      const k = this.key("hash");
      return command(c, ["HINCRBY", k, "n", String(this.rng.range(-50, 50))], [k]);
    }
    if (roll < 52) {
      const k = this.key("hash");
      return command(c, ["HDEL", k, `f${this.rng.range(0, 9)}`], [k]);
    }
    if (roll < 58) {
      const k = this.key("set");
      return command(c, ["SADD", k, `m${this.rng.range(0, 29)}`, `m${this.rng.range(0, 29)}`], [k]);
    }
    if (roll < 61) {
      const k = this.key("set");
      return command(c, ["SREM", k, `m${this.rng.range(0, 29)}`], [k]);
    }
    if (roll < 66) {
      const k = this.key("zset");
      return command(c, ["ZADD", k, String(this.rng.range(-500, 500)), `m${this.rng.range(0, 19)}`], [k]);
    }
    if (roll < 71) {
      const k = this.key("zset");
      return command(c, ["ZINCRBY", k, String(this.rng.range(-20, 20)), `m${this.rng.range(0, 19)}`], [k]);
    }
    if (roll < 73) {
      const k = this.key("zset");
      return command(c, ["ZREM", k, `m${this.rng.range(0, 19)}`], [k]);
    }
    const family = this.rng.pick(["text", "blob", "counter", "list", "hash", "set", "zset"] as const);
    const k = this.key(family);
    if (roll < 94) return command(c, ["PEXPIRE", k, String(this.rng.range(1, 30) * DAY_MS + this.rng.range(0, 999))], [k]);
    return command(c, ["PERSIST", k], [k]);
  }
}
