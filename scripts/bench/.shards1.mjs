import { startHotslot } from "/work/main/scripts/bench/targets.mjs";
import { redisBenchmark } from "/work/main/scripts/bench/throughput.mjs";
for (const shards of ["1", "4"]) {
  const h = await startHotslot({ SHARDS: shards });
  const row = async (c, p, n) => (await redisBenchmark(h.port, ["-t", "set", "-r", "100000", "-n", String(n), "-c", String(c), "-P", String(p)])).rps;
  console.log(`SHARDS=${shards} c50P1=${await row(50, 1, 20000)} c50P16=${await row(50, 16, 100000)} c1P16=${await row(1, 16, 60000)} c1P1=${await row(1, 1, 5000)}`);
  await h.stop();
}
process.exit(0);
