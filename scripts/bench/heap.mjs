/**
 * What Hotslot's data really costs on the heap, measured rather than accounted: the engine
 * (src/commands + src/engine, bundled with esbuild) runs the same commands the benchmark
 * sends, inside a bare workerd — the runtime shards run in, with its pointer compression —
 * started with V8's --expose-gc and --trace-gc-nvp. The heap's live size after a full GC
 * (end_object_size of the mark-compact gc() prints) before and after building a dataset,
 * minus each other, is the dataset's real cost; the keyspace's own accounting (used_memory)
 * for the same data is returned beside it. The method is scripts/calibrate-memory.mjs's.
 * workerd listens on a free 127.0.0.1 port only while measuring.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { sleep } from "./format.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const PROBE = `
import { Executor } from "./src/commands/execute";
import { Keyspace } from "./src/engine/keyspace";
import { bytesToBinary } from "./src/util/binary";
import { SMALL_DATASETS, bigZadd, bigZaddCount } from "./scripts/bench/datasets.mjs";

const enc = new TextEncoder();
/** Arguments as the RESP decoder makes them: flat binary strings. */
const bin = (s) => bytesToBinary(enc.encode(s));
let hold = null;

function buildDataset(kind, n) {
  const db = new Keyspace();
  const ex = new Executor(db);
  let batch = [];
  const flush = () => {
    for (const r of ex.run(batch).replies) if (r && r.kind === "error") throw new Error(r.message);
    batch = [];
  };
  const add = (argv) => {
    batch.push(argv.map(bin));
    if (batch.length === 1000) flush();
  };
  if (kind === "bigzset") for (let k = 0; k < bigZaddCount(0, n); k++) add(bigZadd(0, n, k));
  else for (let i = 0; i < n; i++) add(SMALL_DATASETS[kind].make(i));
  flush();
  hold = db;
  return { accounted: db.usedMemory, keys: db.size };
}

export default {
  async fetch(request) {
    const u = new URL(request.url);
    const id = u.searchParams.get("id");
    hold = null;
    gc(); gc();
    console.log("MARK " + id + " before");
    const result = buildDataset(u.searchParams.get("kind"), Number(u.searchParams.get("n")));
    gc(); gc();
    console.log("MARK " + id + " after");
    return Response.json(result);
  },
};
`;

async function freePort() {
  const net = await import("node:net");
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Measures each job { kind: "strings" | "hashes" | "zsets" | "bigzset", n } in one workerd;
 * returns [{ kind, n, heap (bytes), accounted (bytes), keys }] in order.
 */
export async function measureHeap(jobs) {
  const dir = mkdtempSync(join(tmpdir(), "hotslot-bench-heap-"));
  const port = await freePort();
  let child;
  try {
    const bundle = await build({ stdin: { contents: PROBE, resolveDir: ROOT, loader: "js" }, bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "error" });
    writeFileSync(join(dir, "worker.mjs"), bundle.outputFiles[0].text);
    writeFileSync(
      join(dir, "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .probe) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
  v8Flags = ["--expose-gc", "--trace-gc-nvp"],
);
const probe :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.mjs") ],
  compatibilityDate = "2026-11-01",
);
`,
    );
    child = spawn(join(ROOT, "node_modules", ".bin", "workerd"), ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const run = async (id, kind, n) => {
      const res = await fetch(`http://127.0.0.1:${port}/?id=${id}&kind=${kind}&n=${n}`);
      if (!res.ok) throw new Error(`heap probe ${kind} ${n}: HTTP ${res.status} ${await res.text()}`);
      return res.json();
    };
    for (let tries = 0; ; tries++) {
      try {
        await run("warm", "strings", 10);
        break;
      } catch (e) {
        if (tries > 150) throw new Error(`workerd did not start: ${e.message}\n${output}`);
        await sleep(100);
      }
    }
    const results = [];
    for (const [k, job] of jobs.entries()) results.push({ ...job, id: `m${k}`, ...(await run(`m${k}`, job.kind, job.n)) });
    await sleep(100);
    // Each MARK follows the gc() it measures: the last mark-compact line before it.
    const sizes = {};
    let last = null;
    for (const line of output.split("\n")) {
      const at = line.indexOf("GC: {");
      if (at >= 0) {
        const j = JSON.parse(line.slice(at + 4));
        if (j.gc === "mc") last = j.end_object_size;
        continue;
      }
      const m = /MARK (\S+) (before|after)/.exec(line);
      if (m) (sizes[m[1]] ??= {})[m[2]] = last;
    }
    return results.map((r) => ({ kind: r.kind, n: r.n, accounted: r.accounted, keys: r.keys, heap: sizes[r.id].after - sizes[r.id].before }));
  } finally {
    child?.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
