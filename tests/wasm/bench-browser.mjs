#!/usr/bin/env node
// Browser throughput on any folder: headless Chromium de-identifies every file under FOLDER
// with wasm/pkg (one DicomDeidentifier, files fetched one by one from a server on 127.0.0.1,
// outputs discarded) and prints files/s and MB/s, the slowest files and the batch summary.
//
//   node tests/wasm/bench-browser.mjs FOLDER [--preset P] [--key KEYFILE] [--option O]...
//        [--pixel-rules RULES.json] [--hash] [--json OUT.json]
//
// Without --key a fresh random key is used. --hash also computes SHA-256 of each output in the
// page (as the equivalence test does). --json writes the per-file timings.

import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { runInBrowser } from "./browser.mjs";
import { ROOT, defaultCorpus, fmtRate, parseArgs, readKey, walk } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { preset: "basic", pkg: join(ROOT, "wasm/pkg"), hash: false });
const folder = resolve(args._[0] ?? defaultCorpus());
const options = {
  key: args.key ? readKey(args.key) : undefined,
  preset: args.preset,
  options: [].concat(args.option ?? []),
  pixelRules: args.pixelRules ? JSON.parse(readFileSync(args.pixelRules, "utf8")) : undefined,
};
const files = walk(folder);
const total = files.reduce((s, f) => s + f.size, 0);
console.log(`bench-browser: ${folder}: ${files.length} files, ${(total / 1e6).toFixed(1)} MB, preset ${args.preset}`);

const results = [];
let lastReport = 0;
const run = await runInBrowser({
  files, options, pkg: resolve(args.pkg), hash: args.hash, report: false, log: (m) => console.log(m),
  onResult: (r) => {
    results.push(r);
    if (process.stdout.isTTY && results.length - lastReport >= 100) {
      lastReport = results.length;
      process.stdout.write(`  ${results.length}/${files.length}\r`);
    }
  },
});
await run.close();

const deidMs = results.reduce((s, r) => s + r.ms, 0);
const bytes = results.reduce((s, r) => s + r.bytesIn, 0);
const byOutcome = {};
for (const r of results) {
  const k = r.ok ? r.outcome : r.panic ? "panic" : `error:${r.code}`;
  byOutcome[k] = (byOutcome[k] || 0) + 1;
}
console.log(`outcomes: ${Object.entries(byOutcome).map(([k, n]) => `${k}=${n}`).join(" ")}`);
console.log("slowest:");
for (const r of [...results].sort((a, b) => b.ms - a.ms).slice(0, 5)) {
  console.log(`  ${r.ms.toFixed(0).padStart(7)} ms  ${(r.bytesIn / 1e6).toFixed(1).padStart(7)} MB  ${r.rel}`);
}
console.log(run.summary.text.trimEnd());
console.log(`throughput (Chromium, de-identification calls only): ${fmtRate(results.length, bytes, deidMs)}`);
console.log(`throughput (Chromium, wall clock incl. fetch from 127.0.0.1${args.hash ? " + SHA-256" : ""}): ${fmtRate(results.length, bytes, run.wallMs)}`);
if (args.json) {
  writeFileSync(args.json, JSON.stringify({ folder, preset: args.preset, deidMs, wallMs: run.wallMs, bytes,
    files: results.map(({ rel, ok, outcome, code, ms, fetchMs, bytesIn, bytesOut }) => ({ rel, ok, outcome, code, ms, fetchMs, bytesIn, bytesOut })) }, null, 1));
}
process.exit(byOutcome.panic ? 1 : 0);
