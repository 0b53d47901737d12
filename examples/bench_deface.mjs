// Times defaceSeries (the npm package, Node) on one series folder: the whole pipeline, as the
// native example `bench_deface` measures it.   node examples/bench_deface.mjs SERIES_DIR [REPEATS]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const kakou = require("../wasm/pkg-node/kakou.js");
const [dir, reps = "3"] = process.argv.slice(2);
const slices = readdirSync(dir).sort().map((n) => ({ name: n, bytes: new Uint8Array(readFileSync(join(dir, n))) }));
const key = "11".repeat(32);
let best = Infinity, out;
for (let i = 0; i < Number(reps); i++) {
  const t = performance.now();
  out = kakou.defaceSeries(slices, { key }, undefined, false);
  best = Math.min(best, (performance.now() - t) / 1000);
}
console.log(`wasm-node dims=${out.summary.dims.join("x")} series_s=${best.toFixed(3)} files=${slices.length}`);
