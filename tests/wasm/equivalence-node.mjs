#!/usr/bin/env node
// Native/wasm equivalence in Node: de-identifies every file of a corpus with wasm/pkg-node and
// checks that each output is byte-identical (SHA-256) to the native CLI's, in the same place
// (release/ or quarantine/), with the same report; files the native side failed on must fail
// in wasm too, with the same error code. The one accepted difference (counted as skipped): a
// JPEG 2000 file whose pixels a --pixel-rules rule must blank is quarantined in wasm (no JPEG
// 2000 decoder there) where native blanks and releases it.
//
//   node tests/wasm/equivalence-node.mjs --native OUT --key KEYFILE [--preset P] [--corpus DIR]
//        [--option O]... [--pixel-rules RULES.json] [--pkg wasm/pkg-node]
//
// OUT is the output folder of `kakou dicom CORPUS OUT --key KEYFILE --preset P`.
// Prints one line per mismatch and a final `N passed, M failed`; exits 1 on any mismatch.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";

import { NativeRun, ROOT, Tally, canonical, compare, defaultCorpus, fmtRate, parseArgs, readKey, sha256, walk } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { preset: "basic", corpus: defaultCorpus(), pkg: join(ROOT, "wasm/pkg-node") });
if (!args.native || !args.key) {
  console.error("usage: equivalence-node.mjs --native OUT --key KEYFILE [--preset P] [--corpus DIR] [--option O]");
  process.exit(2);
}
const options = [].concat(args.option ?? []);
const pixelRules = args.pixelRules ? JSON.parse(readFileSync(args.pixelRules, "utf8")) : undefined;
const require = createRequire(import.meta.url);
const modulePath = require.resolve(join(resolve(args.pkg), "kakou.js"));

// A fresh instance (after a Rust panic the old one must not be used again).
const opts = { key: readKey(args.key), preset: args.preset, options, pixelRules };
let kakou, deid;
function load() {
  delete require.cache[modulePath];
  kakou = require(modulePath);
  deid = new kakou.DicomDeidentifier(opts);
}
load();

const native = new NativeRun(resolve(args.native));
const files = walk(resolve(args.corpus));
console.log(`equivalence-node: ${files.length} files, preset ${args.preset}${options.length ? ` + ${options.join(",")}` : ""}, key ${deid.fingerprint}, @kakou/sdk ${kakou.version()}`);

const tally = new Tally();
let ms = 0, bytes = 0;
// Output bytes again to locate a difference (one-shot API: the batch summary stays as it was).
const rerun = (rel) => kakou.deidentifyDicom(readFileSync(join(resolve(args.corpus), rel)), { ...opts, name: rel }).bytes;
for (const f of files) {
  const input = readFileSync(f.path);
  let r;
  const t0 = performance.now();
  try {
    const out = deid.deidentify(f.rel, input);
    r = { rel: f.rel, ok: true, outcome: out.report.outcome, sha: sha256(out.bytes), report: out.report };
  } catch (e) {
    if (!e.code) {
      // Not a KakouError: a Rust panic (the wasm instance is now unusable) or a bug in the glue.
      tally.add(f.rel, `wasm panicked: ${e}`);
      load();
      continue;
    }
    r = { rel: f.rel, ok: false, code: e.code, message: e.message };
  }
  ms += performance.now() - t0;
  bytes += input.length;
  tally.add(f.rel, await compare(native, r, rerun));
}
// The batch summary counts like the CLI's summary.json (when no file panicked).
const nativeSummary = JSON.parse(readFileSync(join(resolve(args.native), "summary.json"), "utf8"));
if (tally.failures.every(([, why]) => !why.startsWith("wasm panicked"))) {
  tally.add("(batch summary)", tally.skips.length ? { skip: "not compared: the files above differ as expected" } : canonical(deid.summary()) === canonical(nativeSummary) ? null : `summary differs: wasm ${JSON.stringify(deid.summary())} native ${JSON.stringify(nativeSummary)}`);
}
console.log(`throughput (Node, incl. SHA-256): ${fmtRate(files.length, bytes, ms)}`);
process.exit(tally.finish("equivalence-node"));
