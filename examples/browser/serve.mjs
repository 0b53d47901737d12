#!/usr/bin/env node
// A tiny static server for trying the example: serves the repository root on 127.0.0.1 (the
// page loads ../../wasm/pkg/kakou.js) with the right MIME type for .wasm. No dependencies.
//
//   scripts/build-wasm.sh web && node examples/browser/serve.mjs [PORT]
//   → open http://127.0.0.1:8000/examples/browser/
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const port = Number(process.argv[2] ?? 8000);
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm",
  ".json": "application/json", ".md": "text/plain; charset=utf-8", ".png": "image/png" };

createServer((req, res) => {
  let file = normalize(join(root, decodeURIComponent(new URL(req.url, "http://x").pathname)));
  if (file !== root && !file.startsWith(root + sep)) return res.writeHead(403).end();
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file)) return res.writeHead(404).end("not found");
  res.writeHead(200, { "content-type": types[extname(file)] || "application/octet-stream", "cache-control": "no-cache" });
  createReadStream(file).pipe(res);
}).listen(port, "127.0.0.1", function () {
  console.log(`Kakou browser example: http://127.0.0.1:${this.address().port}/examples/browser/`);
  if (!existsSync(join(root, "wasm/pkg/kakou.js"))) console.log("wasm/pkg is missing: run scripts/build-wasm.sh web first");
});
