#!/usr/bin/env node
// End-to-end check of examples/browser as a person would use it, in headless Chromium: the page
// loads, a key is generated, a preset chosen, a few corpus files plus a text file are picked, the
// Web Worker de-identifies them with progress, the table shows each outcome (with quarantine
// reasons), the summary appears, a per-file download gives a de-identified DICOM file. Takes a
// screenshot.
//
//   node tests/wasm/example-browser.mjs [--corpus DIR] [--screenshot docs/screenshots/browser-example.png]
//
// Prints `N passed, M failed` over its checks; exits 1 if any fails.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

import { launch, serve } from "./browser.mjs";
import { ROOT, defaultCorpus, parseArgs } from "./common.mjs";

const args = parseArgs(process.argv.slice(2), { corpus: defaultCorpus(), screenshot: join(ROOT, "docs/screenshots/browser-example.png") });
const corpus = resolve(args.corpus);
// A CT (released), an ultrasound and a secondary capture (burned-in risk: quarantined), an MR,
// a truncated file (fails) and a text file (skipped, not DICOM).
const wanted = ["pydicom__CT_small.dcm", "pydicom__MR_small.dcm", "pydicom__ExplVR_BigEnd.dcm", "pydicom__SC_rgb_dcmtk_+eb+cr.dcm",
  "pydicom__MR_truncated.dcm", "pydicom__rtplan.dcm"].filter((f) => existsSync(join(corpus, f)));
const tmp = mkdtempSync(join(tmpdir(), "kakou-example-"));
const notes = join(tmp, "notes.txt");
writeFileSync(notes, "Not a DICOM file: the example must skip it.\n");
const picked = [...wanted.map((f) => join(corpus, f)), notes];

const checks = [];
const check = (name, ok, detail = "") => { checks.push([name, !!ok]); console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? ` (${detail})` : ""}`); };

const server = await serve({ mounts: { "/": ROOT } });
const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  await page.goto(`${server.url}/examples/browser/`);
  await page.waitForFunction(() => document.getElementById("engine").textContent.includes("engine ready"), null, { timeout: 20000 });
  check("the worker loads the wasm engine", true, await page.textContent("#engine"));

  await page.click("#gen-key");
  await page.waitForFunction(() => /^[0-9a-f]{16}$/.test(document.getElementById("fp").textContent));
  const key = await page.inputValue("#key");
  check("a key is generated with its fingerprint", /^[0-9a-f]{64}$/.test(key), await page.textContent("#fp"));

  await page.selectOption("#preset", "jp-anonymized");
  await page.setInputFiles("#files", picked);
  check("the picked files are listed", (await page.textContent("#picked")).startsWith(`${picked.length} file(s)`));
  await page.click("#start");
  await page.waitForFunction(() => !document.getElementById("summary").classList.contains("hidden"), null, { timeout: 60000 });

  const rows = await page.$$eval("#rows tr", (trs) => trs.map((tr) => ({
    file: tr.children[0].textContent, outcome: tr.children[1].textContent, details: tr.children[2].textContent,
  })));
  check("one row per file", rows.length === picked.length, `${rows.length} rows`);
  const outcome = (f) => rows.find((r) => r.file === f)?.outcome;
  check("a CT is de-identified", outcome("pydicom__CT_small.dcm") === "deidentified");
  const us = rows.find((r) => r.file === "pydicom__ExplVR_BigEnd.dcm");
  check("an ultrasound is quarantined with its reason", us?.outcome === "quarantined" && us.details.includes("burned-in-risk"), us?.details.slice(0, 80));
  check("a text file is skipped as not DICOM", outcome("notes.txt") === "skipped");
  if (wanted.includes("pydicom__MR_truncated.dcm")) check("a truncated file fails with a reason", outcome("pydicom__MR_truncated.dcm") === "failed");
  const summary = await page.textContent("#summary");
  check("the summary is shown", summary.startsWith(`${picked.length} files:`), summary.split("\n")[0]);
  check("the progress bar is complete", await page.$eval("#progress", (p) => p.value === p.max));

  // Download the CT's output through its link: a de-identified Part 10 file.
  const row = page.locator("#rows tr", { hasText: "pydicom__CT_small.dcm" });
  const [download] = await Promise.all([page.waitForEvent("download"), row.locator("a").click()]);
  const out = readFileSync(await download.path());
  const text = out.toString("latin1");
  check("the download is a de-identified DICOM file", out.subarray(128, 132).toString() === "DICM" && !text.includes("CompressedSamples^CT1") && text.includes("YES"),
    `${download.suggestedFilename()}, ${out.length} bytes`);
  check("the report download is offered", await page.isVisible("#dl-report"));
  check("no page errors", errors.length === 0, errors.join("; "));

  if (args.screenshot) {
    mkdirSync(dirname(resolve(args.screenshot)), { recursive: true });
    await page.screenshot({ path: resolve(args.screenshot), fullPage: true });
    console.log(`screenshot: ${args.screenshot}`);
  }
} finally {
  await browser.close();
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
}
const failed = checks.filter(([, ok]) => !ok).length;
console.log("example-browser done");
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
