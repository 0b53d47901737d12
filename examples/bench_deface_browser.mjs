// Times defaceSeries in headless Chromium (the web package, wasm/pkg, on the page's main thread,
// one core, no GPU): the whole pipeline, as examples/bench_deface.mjs does in Node. The slices are
// fetched from a server on 127.0.0.1 before the clock starts.
//
//   node examples/bench_deface_browser.mjs SERIES_DIR [REPEATS=3]
//
// Prints `wasm-chromium dims=… series_s=<best of REPEATS> files=…`.

import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launch, serve } from "../tests/wasm/browser.mjs";
import { ROOT } from "../tests/wasm/common.mjs";

const [dirArg, reps = "3"] = process.argv.slice(2);
if (!dirArg) {
  console.error("usage: node examples/bench_deface_browser.mjs SERIES_DIR [REPEATS]");
  process.exit(2);
}
const dir = resolve(dirArg);
const names = readdirSync(dir).sort();

const PAGE = `<!doctype html><meta charset="utf-8"><title>kakou deface bench</title>
<script type="module">
import init, * as kakou from "/pkg/kakou.js";
window.ready = init();
window.bench = async (names, reps) => {
  const slices = [];
  for (const name of names) slices.push({ name, bytes: new Uint8Array(await (await fetch("/series/" + name)).arrayBuffer()) });
  const key = "11".repeat(32);
  let best = Infinity, dims = null;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    const out = kakou.defaceSeries(slices, { key }, undefined, false);
    best = Math.min(best, (performance.now() - t) / 1000);
    dims = out.summary.dims;
  }
  return { best, dims };
};
</script>`;

const server = await serve({
  mounts: { "/pkg/": join(ROOT, "wasm/pkg"), "/series/": dir },
  routes: { "/": (_req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE) },
});
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(server.url + "/");
  await page.evaluate(() => window.ready);
  const { best, dims } = await page.evaluate(([n, r]) => window.bench(n, r), [names, Number(reps)]);
  console.log(`wasm-chromium dims=${dims.join("x")} series_s=${best.toFixed(3)} files=${names.length}`);
} finally {
  await browser.close();
  await server.close();
}
