// Runs the web package (wasm/pkg) in headless Chromium on a list of files: a tiny HTTP server on
// 127.0.0.1 (ephemeral port) serves a test page, the package and the files; playwright-core
// drives the page, which fetches each file, de-identifies it with one DicomDeidentifier and
// returns its outcome, SHA-256 and timings. Used by equivalence-browser.mjs and bench-browser.mjs.

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { extname, join, normalize, resolve, sep } from "node:path";

import { ROOT } from "./common.mjs";

export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function chromium() {
  const require = createRequire(join(ROOT, "tools/node/package.json"));
  try {
    return require("playwright-core").chromium;
  } catch {
    throw new Error("playwright-core is missing: (cd tools/node && npm ci)");
  }
}

export async function launch() {
  return chromium().launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm", ".json": "application/json", ".css": "text/css", ".png": "image/png", ".md": "text/plain; charset=utf-8",
};

/**
 * A static file server on 127.0.0.1 with an ephemeral port. `mounts` maps URL prefixes to
 * folders; `routes` maps exact paths to handlers (req, res). Resolves to { url, close }.
 */
export function serve({ mounts = {}, routes = {} }) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (routes[path]) return routes[path](req, res);
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (!path.startsWith(prefix)) continue;
      let file = normalize(join(dir, path.slice(prefix.length)));
      if (!file.startsWith(resolve(dir) + sep) && file !== resolve(dir)) break;
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
      if (existsSync(file) && statSync(file).isFile()) return sendFile(res, file);
    }
    res.writeHead(404).end("not found");
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () => ok({ url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((c) => server.close(c)) })),
  );
}

export function sendFile(res, file) {
  res.writeHead(200, {
    "content-type": MIME[extname(file)] || "application/octet-stream",
    "content-length": statSync(file).size,
    "cache-control": "no-store",
  });
  createReadStream(file).pipe(res);
}

// The test page: one DicomDeidentifier, fed file by file.
const PAGE = `<!doctype html><meta charset="utf-8"><title>kakou wasm runner</title>
<script type="module">
import init, * as kakou from "/pkg/kakou.js";
let deid = null, options = null;
window.kakouReady = init().then(() => kakou.version());
window.setup = (opts) => {
  if (deid) deid.free();
  if (!opts.key) opts.key = kakou.generateKey();
  options = opts;
  deid = new kakou.DicomDeidentifier(opts);
  return deid.fingerprint;
};
const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
// items: [{ i, rel }]; stops at a panic (the instance is unusable after one).
window.runChunk = async (items, { hash = true, report = true } = {}) => {
  const out = [];
  for (const { i, rel } of items) {
    const t0 = performance.now();
    const input = new Uint8Array(await (await fetch("/file/" + i)).arrayBuffer());
    const t1 = performance.now();
    let r;
    try {
      r = deid.deidentify(rel, input);
    } catch (e) {
      const ms = performance.now() - t1;
      if (!e || !e.code) { out.push({ i, rel, ok: false, panic: true, message: String(e), ms, fetchMs: t1 - t0, bytesIn: input.length }); break; }
      out.push({ i, rel, ok: false, code: e.code, message: e.message, ms, fetchMs: t1 - t0, bytesIn: input.length });
      continue;
    }
    const ms = performance.now() - t1;
    const sha = hash ? hex(await crypto.subtle.digest("SHA-256", r.bytes)) : null;
    out.push({ i, rel, ok: true, outcome: r.report.outcome, sha, report: report ? r.report : null, ms, fetchMs: t1 - t0, bytesIn: input.length, bytesOut: r.bytes.length });
  }
  return out;
};
// The output bytes of one file, base64 (to locate a difference; one-shot API, so the batch
// summary is left as it was).
window.bytesOf = async (i, rel) => {
  const input = new Uint8Array(await (await fetch("/file/" + i)).arrayBuffer());
  const blob = new Blob([kakou.deidentifyDicom(input, { ...options, name: rel }).bytes]);
  const url = await new Promise((ok) => { const fr = new FileReader(); fr.onload = () => ok(fr.result); fr.readAsDataURL(blob); });
  return url.slice(url.indexOf(",") + 1);
};
window.summary = () => ({ summary: deid.summary(), text: deid.summaryText() });
</script>`;

/**
 * De-identifies `files` ([{ path, rel, size }]) in Chromium with `options` (DeidentifyOptions;
 * a key is generated when none is given). Calls onResult(result) per file, in order. Returns
 * { version, fingerprint, wallMs, summary, bytesOf(rel) , close() }.
 */
export async function runInBrowser({ files, options, pkg = join(ROOT, "wasm/pkg"), hash = true, report = true, chunk = 16, onResult, log = () => {} }) {
  if (!existsSync(join(pkg, "kakou.js"))) throw new Error(`${pkg}/kakou.js missing: run scripts/build-wasm.sh web`);
  const server = await serve({
    mounts: { "/pkg/": pkg },
    routes: Object.fromEntries([
      ["/", (req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE)],
      ["/favicon.ico", (req, res) => res.writeHead(204).end()],
      ...files.map((f, i) => [`/file/${i}`, (req, res) => sendFile(res, f.path)]),
    ]),
  });
  const browser = await launch();
  const page = await browser.newPage();
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && log(`console: ${m.text()}`));
  let fingerprint;
  const open = async () => {
    await page.goto(server.url + "/");
    const version = await page.evaluate(() => window.kakouReady);
    fingerprint = await page.evaluate((o) => window.setup(o), options);
    return version;
  };
  const version = await open();
  log(`Chromium ${browser.version()}, @kakou/sdk ${version}, key ${fingerprint}, ${server.url}`);
  const started = performance.now();
  let next = 0;
  while (next < files.length) {
    const items = files.slice(next, next + chunk).map((f, k) => ({ i: next + k, rel: f.rel }));
    const results = await page.evaluate(([items, o]) => window.runChunk(items, o), [items, { hash, report }]);
    for (const r of results) await onResult(r);
    next += results.length;
    if (results.length && results[results.length - 1].panic) {
      log(`wasm panicked on ${results[results.length - 1].rel}: reloading the page`);
      await open();
    }
  }
  const wallMs = performance.now() - started;
  const summary = await page.evaluate(() => window.summary());
  const index = new Map(files.map((f, i) => [f.rel, i]));
  return {
    version, fingerprint, wallMs, summary,
    bytesOf: async (rel) => Buffer.from(await page.evaluate(([i, rel]) => window.bytesOf(i, rel), [index.get(rel), rel]), "base64"),
    close: async () => { await browser.close(); await server.close(); },
  };
}
