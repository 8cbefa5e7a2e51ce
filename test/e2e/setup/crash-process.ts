/**
 * `wrangler dev` as something the crash test (test/e2e/crash.test.ts) can kill: started in
 * its own process group on one persist dir, killed with SIGKILL to the whole group (wrangler
 * and its workerd processes at once), started again on the same dir; and what a kill left
 * in the shards' SQLite files, read from copies.
 *
 * Wrangler runs from a copy of wrangler.toml in the test's temporary directory, so the
 * bundles a killed wrangler leaves behind (.wrangler/tmp) go with that directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort, makePersistDir, waitForWorker } from "./worker";

/** The crashed deployment: 4 groups of a primary and one replica (every object snapshots its own log). */
export const CRASH_SHARDS = 4;
export const CRASH_REPLICAS = 1;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const WRANGLER_BIN = path.join(ROOT, "node_modules/wrangler/bin/wrangler.js");

// --- wrangler dev as a process group ----------------------------------------------------------

export interface Server {
  child: ChildProcess;
  url: string;
  wsUrl: string;
  /** The last of wrangler's output, for failure messages. */
  output(): string;
}

/**
 * A fresh temporary directory holding a copy of wrangler.toml (its paths made absolute)
 * and an empty env file: the directory every start of the crash test's Worker runs in.
 */
export async function makeCrashDir(): Promise<string> {
  const dir = await makePersistDir();
  const config = await readFile(path.join(ROOT, "wrangler.toml"), "utf8");
  // Paths in it are relative to the project: `main` and the [alias] targets become absolute.
  const absolute = config
    .replace(/^main = "(.*)"$/m, (_, main: string) => `main = ${JSON.stringify(path.join(ROOT, main))}`)
    .replace(/^("[^"]+" = )"(\.\/[^"]*)"$/gm, (_, lhs: string, target: string) => `${lhs}${JSON.stringify(path.join(ROOT, target))}`);
  await writeFile(path.join(dir, "wrangler.toml"), absolute);
  await writeFile(path.join(dir, "empty.env"), "");
  return dir;
}

/** Starts and kills `wrangler dev` on one directory, with 4 shards and the given token. */
export class CrashableWorker {
  /** Every wrangler started and not yet killed: `killAll` kills what a failed round left running. */
  private readonly running = new Set<Server>();
  /** Set by `killAll`: a round still running past its timeout must not start another. */
  private finished = false;

  constructor(
    private readonly dir: string,
    private readonly token: string,
    /** More `--var NAME:value` for wrangler dev (the reshard crash test's admin token, the failover test's monitors); SHARDS and REPLICAS among them replace the defaults. */
    private readonly vars: Record<string, string> = {},
  ) {}

  /** Starts wrangler dev on the directory's persisted state; resolves once it answers PING. */
  async start(): Promise<Server> {
    if (this.finished) throw new Error("the test file has finished");
    const dir = this.dir;
    const [port, inspectorPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        WRANGLER_BIN,
        "dev",
        "--config",
        path.join(dir, "wrangler.toml"),
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-ip",
        "127.0.0.1",
        "--inspector-port",
        String(inspectorPort),
        "--persist-to",
        path.join(dir, "state"),
        "--var",
        `SHARDS:${this.vars.SHARDS ?? CRASH_SHARDS}`,
        "--var",
        `REPLICAS:${this.vars.REPLICAS ?? CRASH_REPLICAS}`,
        "--var",
        `HOTSLOT_TOKEN:${this.token}`,
        ...Object.entries(this.vars).flatMap(([name, value]) => (name === "SHARDS" || name === "REPLICAS" ? [] : ["--var", `${name}:${value}`])),
        // An env file (empty) instead of the project's .dev.vars: a developer's tokens stay out.
        "--env-file",
        path.join(dir, "empty.env"),
        "--log-level",
        "warn",
        "--show-interactive-dev-session=false",
      ],
      {
        cwd: dir,
        // Its own process group: SIGKILL to the group takes wrangler and its workerd processes at once.
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, X_LOCAL_OBSERVABILITY: "false", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      },
    );
    let out = "";
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4000));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const url = `http://127.0.0.1:${port}`;
    const server: Server = { child, url, wsUrl: `ws://127.0.0.1:${port}/`, output: () => out };
    this.running.add(server);
    const exited = new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`wrangler dev exited (${code}): ${out}`))));
    exited.catch(() => {});
    try {
      await Promise.race([waitForWorker(url, this.token, 40_000), exited]);
    } catch (e) {
      await this.kill(server);
      throw new Error(`${(e as Error).message}\nwrangler's output (last 4 KB):\n${server.output()}`);
    }
    return server;
  }

  /** SIGKILL to the whole process group; resolves once no process of it is left. */
  async kill(server: Server): Promise<void> {
    this.running.delete(server);
    const pgid = server.child.pid!;
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      return; // already gone
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        process.kill(-pgid, 0);
      } catch {
        return;
      }
      await sleep(20);
    }
  }

  /** Kills every wrangler still running, and refuses to start another. */
  async killAll(): Promise<void> {
    this.finished = true;
    await Promise.all([...this.running].map((s) => this.kill(s)));
  }
}

// --- what the shards' SQLite files hold after a kill -------------------------------------------

export interface DiskReport {
  /** Shards with a snapshot whose chunks are on disk but which was never committed. */
  halfWritten: number;
  /** Committed snapshots (one per shard object — primaries and replicas — at most). */
  snapshots: number;
  logRows: number;
}

/** Reads copies of the shard databases (the originals stay untouched for the restart). */
export async function inspectDisk(dir: string): Promise<DiskReport> {
  const doDir = path.join(dir, "state", "v3", "do", "hotslot-Shard");
  const peek = path.join(dir, "peek");
  const report: DiskReport = { halfWritten: 0, snapshots: 0, logRows: 0 };
  const files = await readdir(doDir).catch(() => [] as string[]);
  for (const f of files.filter((x) => x.endsWith(".sqlite") && x !== "metadata.sqlite")) {
    await rm(peek, { recursive: true, force: true });
    await mkdir(peek);
    await copyFile(path.join(doDir, f), path.join(peek, "db.sqlite"));
    await copyFile(path.join(doDir, `${f}-wal`), path.join(peek, "db.sqlite-wal")).catch(() => {});
    const db = new DatabaseSync(path.join(peek, "db.sqlite"));
    try {
      const one = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
      report.halfWritten += one("SELECT COUNT(DISTINCT snap) > 0 AS n FROM snapshot_chunk WHERE snap NOT IN (SELECT id FROM snapshot_meta)");
      report.snapshots += one("SELECT COUNT(*) AS n FROM snapshot_meta");
      report.logRows += one("SELECT COUNT(*) AS n FROM log");
    } catch {
      // A shard that never wrote has no tables yet.
    } finally {
      db.close();
    }
  }
  await rm(peek, { recursive: true, force: true });
  return report;
}
