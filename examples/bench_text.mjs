// Free-text redaction throughput in wasm (Node), to compare with `kakou text` natively in the
// same session (examples/bench_text.sh runs both). Reports wall-clock and CPU-time rates: on a
// shared machine the CPU-time rate is the fair one.
//   node examples/bench_text.mjs NOTES.jsonl [ROUNDS=10]
// KAKOU_PKG_NODE=path/to/kakou.js selects another build of the package (profiling, A/B).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const kakou = require(process.env.KAKOU_PKG_NODE || "../wasm/pkg-node/kakou.js");
const [file, rounds = "10"] = process.argv.slice(2);
const texts = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).text);
const chars = texts.reduce((n, t) => n + [...t].length, 0) * Number(rounds);
kakou.redactText(texts[0]); // compile the rules once, as a page would
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let r = 0; r < Number(rounds); r++) for (const t of texts) kakou.redactText(t);
const cpu = process.cpuUsage(c0);
const s = (performance.now() - t0) / 1000;
const cs = (cpu.user + cpu.system) / 1e6;
console.log(
  `wasm (Node): ${chars} chars in ${s.toFixed(2)} s = ${(chars / s / 1e6).toFixed(2)} M chars/s; ` +
    `CPU ${cs.toFixed(2)} s = ${(chars / cs / 1e6).toFixed(2)} M chars/CPU-s`,
);
