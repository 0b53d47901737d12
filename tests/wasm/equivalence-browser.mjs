#!/usr/bin/env node
// Native/wasm equivalence in a real browser: headless Chromium (playwright-core, /usr/bin/chromium)
// loads wasm/pkg (target web) from a tiny server on 127.0.0.1, fetches each corpus file,
// de-identifies it with one DicomDeidentifier and returns its SHA-256 (crypto.subtle) and
// report; each must equal the native CLI's output (release/ or quarantine/) and report line.
// Also prints the browser's throughput on the corpus.
//
//   node tests/wasm/equivalence-browser.mjs --native OUT --key KEYFILE [--preset P] [--corpus DIR]
//        [--option O]... [--pixel-rules RULES.json] [--pkg wasm/pkg] [--verbose]
//
// Prints one line per mismatch and a final `N passed, M failed`; exits 1 on any mismatch.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { runInBrowser } from "./browser.mjs";
import { NativeRun, ROOT, Tally, canonical, compare, defaultCorpus, fmtRate, parseArgs, readKey, walk } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { preset: "basic", corpus: defaultCorpus(), pkg: join(ROOT, "wasm/pkg"), verbose: false });
if (!args.native || !args.key) {
  console.error("usage: equivalence-browser.mjs --native OUT --key KEYFILE [--preset P] [--corpus DIR] [--option O] [--pixel-rules F]");
  process.exit(2);
}
const options = {
  key: readKey(args.key),
  preset: args.preset,
  options: [].concat(args.option ?? []),
  pixelRules: args.pixelRules ? JSON.parse(readFileSync(args.pixelRules, "utf8")) : undefined,
};
const native = new NativeRun(resolve(args.native));
const files = walk(resolve(args.corpus));
console.log(`equivalence-browser: ${files.length} files, preset ${args.preset}${options.options.length ? ` + ${options.options.join(",")}` : ""}`);

const tally = new Tally();
const results = [];
const pending = [];
const run = await runInBrowser({
  files, options, pkg: resolve(args.pkg),
  log: (m) => console.log(m),
  onResult: (r) => {
    results.push(r);
    if (r.panic) tally.add(r.rel, `wasm panicked in the browser: ${r.message}`);
    else pending.push(r);
  },
});
try {
  for (const r of pending) tally.add(r.rel, await compare(native, r, run.bytesOf));
  if (!results.some((r) => r.panic)) {
    const nativeSummary = JSON.parse(readFileSync(join(resolve(args.native), "summary.json"), "utf8"));
    const same = canonical(run.summary.summary) === canonical(nativeSummary);
    tally.add("(batch summary)", tally.skips.length ? { skip: "not compared: the files above differ as expected" } : same ? null : `summary differs: wasm ${JSON.stringify(run.summary.summary)} native ${JSON.stringify(nativeSummary)}`);
  }
  const deidMs = results.reduce((s, r) => s + r.ms, 0);
  const bytes = results.reduce((s, r) => s + r.bytesIn, 0);
  console.log(`throughput (Chromium, de-identification calls only): ${fmtRate(results.length, bytes, deidMs)}`);
  console.log(`throughput (Chromium, wall clock incl. fetch from 127.0.0.1 + SHA-256): ${fmtRate(results.length, bytes, run.wallMs)}`);
  if (args.verbose) console.log(run.summary.text.trimEnd());
} finally {
  await run.close();
}
process.exit(tally.finish("equivalence-browser"));
