// Load test of the web app's upload path: N concurrent hospital clients (default 50), each signed
// in with its own account, each uploading its own package (made with the SDK's ProviderPackage
// in Node, as the browser makes it) in 1 MiB chunks. Reports throughput and request latency
// (p50/p99), then checks the server kept exactly one provision record per client with distinct
// package hashes: no lost and no duplicated package.
//
//   node examples/load_upload.mjs [clients]      (examples/load_upload.sh builds and starts all)
//
// Environment: KAKOU_BASE (server URL), KAKOU_DB_URL and KAKOU_OBJECTS (to count what was kept),
// KAKOU_STORE_BIN (the kakou-store binary), KAKOU_SDK_NODE (wasm/pkg-node).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const sdk = require(process.env.KAKOU_SDK_NODE || path.join(root, 'wasm/pkg-node/kakou.js'));
const BASE = process.env.KAKOU_BASE || 'http://127.0.0.1:3000';
const clients = Number(process.argv[2] || 50);
const CHUNK = 1 << 20;
const PASSWORD = 'load test password 0123';
const store = (...args) => execFileSync(process.env.KAKOU_STORE_BIN || path.join(root, 'target/release/kakou-store'), args,
  { input: `${PASSWORD}\n`, encoding: 'utf8' });

const latencies = {};
async function timed(kind, promise) {
  const t = performance.now();
  const r = await promise;
  (latencies[kind] ??= []).push(performance.now() - t);
  return r;
}

/** Real DICOM files of the test corpus (uncompressed CT/MR), for packages of realistic size. */
const corpus = process.env.KAKOU_CORPUS || path.join(os.homedir(), '.cache/kakou/corpus');
const dicomFiles = fs.readFileSync(path.join(corpus, 'manifest.tsv'), 'utf8').trim().split('\n').slice(1)
  .map((l) => l.split('\t')).filter((r) => ['CT', 'MR'].includes(r[6]) && r[9] === 'False' && r[20] === '')
  .map((r) => path.join(corpus, r[0]));

/** A package of 4 corpus DICOM files, 40 notes and a 2,000-row lab table, different for every client. */
function makePackage(key, orgId, n) {
  const pkg = new sdk.ProviderPackage({ key, preset: 'jp-pseudonymized', organisation: 'load', orgId, optOut: [] });
  for (let i = 0; i < 4 && dicomFiles.length; i++) {
    const file = dicomFiles[(n * 4 + i) % dicomFiles.length];
    pkg.add(`dicom/${n}-${i}.dcm`, fs.readFileSync(file));
  }
  for (let i = 0; i < 40; i++) {
    pkg.add(`notes/${n}-${i}.txt`, new TextEncoder().encode(
      `患者 山田 太郎 様（${1950 + (i % 50)}年${1 + (i % 12)}月生）。連絡先 090-1234-${String(1000 + n).slice(-4)}。HbA1c ${(5 + i / 10).toFixed(1)}%。`.repeat(20)));
  }
  const rows = ['patient_id,name,hba1c'];
  for (let r = 0; r < 2000; r++) rows.push(`${n}-${r},佐藤 花子,${(5 + (r % 30) / 10).toFixed(1)}`);
  pkg.add('lab.csv', new TextEncoder().encode(rows.join('\n') + '\n'));
  return pkg.finish('2026-11-21T00:00:00Z').zip;
}

async function signIn(email) {
  const page = await (await fetch(`${BASE}/login`)).text();
  const action = page.match(/<form[^>]*action="(\/api\/login[^"]*)"/)?.[1];
  if (!action) throw new Error('login form not found');
  const body = new URLSearchParams({ email, password: PASSWORD, totp: '' });
  const r = await timed('login', fetch(`${BASE}${action}`, { method: 'POST', body, redirect: 'manual',
    headers: { origin: BASE, 'content-type': 'application/x-www-form-urlencoded' } }));
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('kakou_session='))?.split(';')[0];
  if (!cookie) throw new Error(`${email}: no session (${r.status})`);
  const upload = await (await fetch(`${BASE}/provisions`, { headers: { cookie } })).text();
  const csrf = upload.match(/name="csrf" value="([0-9a-f]+)"/)?.[1];
  if (!csrf) throw new Error(`${email}: no CSRF token on the page`);
  return { cookie, csrf };
}

async function upload(session, zip) {
  const headers = { cookie: session.cookie, 'x-csrf-token': session.csrf, origin: BASE };
  const call = async (kind, method, url, body, type = 'application/json') => {
    const r = await timed(kind, fetch(`${BASE}${url}`, { method, body, headers: { ...headers, 'content-type': type } }));
    if (!r.ok) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  const { id } = await call('create', 'POST', '/api/uploads', '{}');
  for (let offset = 0; offset < zip.length; offset += CHUNK) {
    await call('chunk', 'PUT', `/api/uploads/${id}?offset=${offset}`, zip.subarray(offset, offset + CHUNK), 'application/octet-stream');
  }
  const sha256 = createHash('sha256').update(zip).digest('hex');
  const done = await call('finish', 'POST', `/api/uploads/${id}/finish`, JSON.stringify({ sha256 }));
  if (done.sha256 !== sha256) throw new Error('the server recorded another hash');
  return sha256;
}

const pct = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

const key = sdk.generateKey();
for (let n = 0; n < clients; n++) store('create-user', '--email', `load${n}@hosp.test`, '--org', '負荷試験病院', '--password-stdin');
const sessions = await Promise.all(Array.from({ length: clients }, (_, n) => signIn(`load${n}@hosp.test`)));
// Org 1 is the creator's (made on first run); the load hospital is org 2 on a fresh database.
const zips = Array.from({ length: clients }, (_, n) => makePackage(key, Number(process.env.KAKOU_LOAD_ORG_ID || 2), n));
const bytes = zips.reduce((s, z) => s + z.length, 0);
const t0 = performance.now();
const hashes = await Promise.all(zips.map((z, n) => upload(sessions[n], z)));
const seconds = (performance.now() - t0) / 1000;
const records = JSON.parse(store('provisions-export', '--format', 'json'));
const kept = new Set(records.map((r) => r.sha256));
console.log(`${clients} clients, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s: ` +
  `${(clients / seconds).toFixed(1)} packages/s, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
for (const [kind, xs] of Object.entries(latencies)) {
  console.log(`  ${kind.padEnd(7)} n=${String(xs.length).padStart(4)}  p50 ${pct(xs, 0.5).toFixed(0)} ms  p99 ${pct(xs, 0.99).toFixed(0)} ms`);
}
const lost = hashes.filter((h) => !kept.has(h)).length;
const duplicated = records.length - kept.size;
console.log(`provision records: ${records.length} (lost ${lost}, duplicated ${duplicated})`);
if (lost || duplicated || records.length !== clients) process.exit(1);
