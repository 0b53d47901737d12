// End-to-end tests of the web app in headless Chromium (playwright-core + Debian's chromium).
// scripts/test-web.sh builds the site, starts a server on a fresh SQLite database and runs this
// file with `node --test`. Every scenario drives the real pages; the privacy test inspects
// every request body the browser sends, unpacking the uploaded package itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.resolve(import.meta.dirname, '../..');
const require = createRequire(path.join(root, 'tools/node/package.json'));
const { chromium } = require('playwright-core');

const PORT = 3900 + Math.floor(Math.random() * 90);
// A host name, not 127.0.0.1: passkeys are bound to one (the server listens on loopback).
const BASE = `http://localhost:${PORT}`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kakou-e2e-'));
const dbFile = path.join(work, 'kakou.db');
const shots = process.env.KAKOU_SCREENSHOTS || path.join(work, 'shots');
fs.mkdirSync(shots, { recursive: true });
const bin = (name) => path.join(root, process.env.KAKOU_WEB_BIN_DIR || 'target/debug', name);
const PASSWORD = 'correct horse battery staple';
let server, browser, setupLink;

// ---- helpers ------------------------------------------------------------------------------------
function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
/** RFC 6238 code for `secret` at `offsetSteps` steps from now. */
function totp(secret, offsetSteps = 0) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offsetSteps));
  const h = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1e6).padStart(6, '0');
}
async function waitForServer() {
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`http://127.0.0.1:${PORT}/healthz`)).ok) return; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}
async function newPage() {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('[pageerror]', e.message));
  page.on('console', (m) => { if (m.type() === 'error') console.error('[console]', m.text()); });
  return page;
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}
async function hydrated(page) {
  // The hydration module has run once the Leptos runtime marks the page interactive.
  await page.waitForSelector('body[data-hydrated]', { state: 'attached', timeout: 30000 });
  await page.waitForLoadState('networkidle');
}
async function goto(page, url) {
  await page.goto(`${BASE}${url}`);
  await hydrated(page);
}
/** Sets the password through a setup link, signs in, enrols TOTP; returns the secret. */
async function onboard(page, link, email) {
  await page.goto(link);
  await hydrated(page);
  await page.fill('#setup-form input[name=password]', PASSWORD);
  await page.click('#setup-form button');
  await page.waitForURL(/\/login/);
  await hydrated(page);
  await login(page, email, PASSWORD);
  await page.waitForURL(/\/account/);
  await hydrated(page);
  await page.click('#totp-begin button');
  const secret = (await page.textContent('#totp-secret', { timeout: 15000 })).trim();
  await page.fill('#totp-confirm input[name=code]', totp(secret));
  await page.click('#totp-confirm button');
  await page.waitForURL(`${BASE}/`);
  return secret;
}
async function login(page, email, password, code) {
  if (!page.url().endsWith('/login')) await goto(page, '/login');
  await page.fill('#login-form input[name=email]', email);
  await page.fill('#login-form input[name=password]', password);
  await page.fill('#login-form input[name=totp]', code ?? '');
  // One attempt at a time: wait for the server's answer before the next.
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().includes('/api/login')),
    page.click('#login-form button')]);
  return response;
}
async function logout(page) {
  await page.click('header form button');
  await page.waitForURL(/\/login/);
}

// ---- the sample folder: real corpus DICOM + generated CSV, notes and a linkage register ------------
const corpus = process.env.KAKOU_CORPUS || path.join(os.homedir(), '.cache/kakou/corpus');
function corpusSample(n) {
  const rows = fs.readFileSync(path.join(corpus, 'manifest.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const head = rows.shift();
  const col = (r, name) => r[head.indexOf(name)];
  return rows
    .filter((r) => ['CT', 'MR'].includes(col(r, 'modality')) && col(r, 'compressed') === 'False'
      && col(r, 'burned_in') === '' && col(r, 'patient_name').length >= 8 && col(r, 'patient_id').length >= 5)
    .slice(0, n)
    .map((r) => ({ file: path.join(corpus, col(r, 'path')), name: col(r, 'patient_name'), id: col(r, 'patient_id') }));
}
const PEOPLE = [
  { id: 'P001', name: '内閣 花子', kana: 'ナイカク ハナコ', dob: '2003-02-14', phone: '090-3141-5926' },
  { id: 'P002', name: '厚労 太郎', kana: 'コウロウ タロウ', dob: '1958-07-01', phone: '03-5253-1111' },
  { id: 'P003', name: '山田 次郎', kana: 'ヤマダ ジロウ', dob: '1971-11-30', phone: '080-2718-2818' },
];
function makeFolder() {
  const dir = path.join(work, 'export');
  fs.mkdirSync(path.join(dir, 'dicom'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
  const dicom = corpusSample(6);
  dicom.forEach((d, i) => fs.copyFileSync(d.file, path.join(dir, 'dicom', `IM${i}.dcm`)));
  const csv = ['patient_id,name,birth_date,phone,hba1c,sbp',
    ...PEOPLE.map((p, i) => `${p.id},${p.name},${p.dob},${p.phone},${(5.5 + i / 10).toFixed(1)},${120 + i}`)].join('\n');
  fs.writeFileSync(path.join(dir, 'lab.csv'), csv + '\n');
  for (const p of PEOPLE) {
    fs.writeFileSync(path.join(dir, 'notes', `${p.id}_2026-11-01.txt`),
      `患者 ${p.name} 様（${p.dob}生）。連絡先 ${p.phone}。HbA1c 6.1%、経過良好。主治医 厚生 一郎 先生。`);
  }
  fs.writeFileSync(path.join(dir, 'register.csv'), ['record_id,name,kana,birth_date,sex',
    ...PEOPLE.map((p) => `${p.id},${p.name},${p.kana},${p.dob},F`)].join('\n') + '\n');
  // Every part of every name, not only the whole: half a name is a leak too.
  const secrets = [...PEOPLE.flatMap((p) => [p.name, ...p.name.split(' '), p.kana, p.phone]), '厚生', '一郎',
    ...dicom.flatMap((d) => [d.name, d.id])];
  return { dir, secrets, dicom };
}

before(async () => {
  server = spawn(bin('kakou-web'), ['serve', '--addr', `127.0.0.1:${PORT}`, '--db', `sqlite://${dbFile}?mode=rwc`,
    '--public-url', BASE, '--objects', path.join(work, 'objects'), '--site-root', path.join(root, 'target/site'),
    '--first-admin', 'admin@kakou.test'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout.on('data', (d) => { out += d; });
  await waitForServer();
  setupLink = out.match(/(http\S+\/setup\?token=\S+)/)?.[1];
  assert.ok(setupLink, `first run printed no setup link: ${out}`);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
});
after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
});

// ---- the scenarios (they run in order and build on each other) ----------------------------------
const state = {};

test('first admin: setup link, password, TOTP enrolment, then sign-in needs the code', async () => {
  const page = await newPage();
  await page.goto(setupLink);
  await shot(page, '01-setup');
  state.adminSecret = await onboard(page, setupLink, 'admin@kakou.test');
  await logout(page);
  await login(page, 'admin@kakou.test', PASSWORD);
  await page.waitForSelector('p.error[role=alert]');
  assert.match(await page.textContent('p.error'), /code|コード/);
  // The enrolment spent this 30-s step's code (a code is accepted once): the next step's code.
  await login(page, 'admin@kakou.test', PASSWORD, totp(state.adminSecret, 1));
  await page.waitForURL(`${BASE}/`);
  await shot(page, '02-home-admin');
  state.admin = page;
});

test('admin creates a hospital and its uploader, who enrols TOTP', async () => {
  const page = state.admin;
  await goto(page, '/admin');
  await page.fill('#org-form input[name=name]', '東京テスト病院');
  await page.selectOption('#org-form select[name=kind]', 'hospital');
  await page.click('#org-form button');
  await page.waitForSelector('#orgs li:has-text("東京テスト病院")');
  await page.fill('#user-form input[name=email]', 'uploader@hosp.test');
  await page.selectOption('#user-form select[name=org_id]', { label: '東京テスト病院' });
  await page.selectOption('#user-form select[name=role]', 'uploader');
  await page.click('#user-form button');
  const link = (await page.textContent('#setup-link', { timeout: 15000 })).trim();
  await shot(page, '03-admin-users');
  const up = await newPage();
  state.uploaderSecret = await onboard(up, link, 'uploader@hosp.test');
  await logout(up);
  await login(up, 'uploader@hosp.test', PASSWORD, totp(state.uploaderSecret, 1));
  await up.waitForURL(`${BASE}/`);
  state.uploader = up;
});

/** Imports keys, picks the folder, de-identifies, uploads; returns every request body sent. */
async function uploadFolder(page, folder) {
  const sent = [];
  const record = (r) => sent.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() });
  page.on('request', record);
  await goto(page, '/upload');
  await page.setInputFiles('#pick-folder', folder);
  await page.click('#process');
  await page.waitForFunction(() => document.getElementById('summary').textContent.startsWith('package'), null, { timeout: 120000 });
  const summary = await page.textContent('#summary');
  await page.click('#upload');
  await page.waitForFunction(() => /uploaded|failed/.test(document.getElementById('upload-text').textContent
    + document.getElementById('upload-error').textContent), null, { timeout: 120000 });
  page.off('request', record);
  const uploaded = await page.textContent('#upload-text');
  assert.match(uploaded, /uploaded: provision record \d+/, await page.textContent('#upload-error'));
  return { sent, summary };
}

function unzip(bytes) {
  const file = path.join(work, `pkg-${randomBytes(4).toString('hex')}.zip`);
  fs.writeFileSync(file, bytes);
  const out = execFileSync('python3', ['-c', `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({n: z.read(n).decode('latin-1') for n in z.namelist()}))`, file], { maxBuffer: 1 << 30 });
  return JSON.parse(out);
}

function packageOf(sent) {
  const chunks = sent.filter((r) => r.method === 'PUT' && /\/api\/uploads\//.test(r.url))
    .map((r) => ({ offset: Number(new URL(r.url).searchParams.get('offset')), body: r.body }))
    .sort((a, b) => a.offset - b.offset);
  return Buffer.concat(chunks.map((c) => c.body));
}

test('hospital upload: de-identified in the browser; no request body carries a raw identifier', async () => {
  const page = state.uploader;
  await goto(page, '/upload');
  const keyFile = path.join(work, 'project.key');
  fs.writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n');
  const linkageFile = path.join(work, 'linkage.key');
  fs.writeFileSync(linkageFile, randomBytes(32).toString('hex') + '\n');
  await page.setInputFiles('#project-key-file', keyFile);
  await page.waitForFunction(() => document.getElementById('key-status').textContent.startsWith('project key'));
  await page.setInputFiles('#linkage-key-file', linkageFile);
  await page.waitForFunction(() => document.getElementById('linkage-key-status').textContent.startsWith('linkage key'));
  const folder = makeFolder();
  state.folder = folder;
  const { sent, summary } = await uploadFolder(page, folder.dir);
  await shot(page, '04-upload-preview');
  assert.match(summary, /package: \d+ files/);
  const samples = await page.$$eval('#samples pre.after', (els) => els.map((e) => e.textContent));
  assert.ok(samples.length >= 1, 'a before/after preview is shown');
  // Every body: JSON and form bodies as text, the package unpacked entry by entry.
  const texts = sent.filter((r) => r.body && r.method !== 'PUT').map((r) => r.body.toString('utf8'));
  const pkg = packageOf(sent);
  assert.ok(pkg.length > 1000, 'the package was sent');
  const entries = unzip(pkg);
  assert.ok(Object.keys(entries).some((n) => n.startsWith('dicom/')), Object.keys(entries).join(', '));
  assert.ok(Object.keys(entries).some((n) => n.startsWith('linkage/')), 'linkage tokens were made');
  const keyHex = fs.readFileSync(keyFile, 'utf8').trim();
  for (const secret of [...folder.secrets, keyHex, fs.readFileSync(linkageFile, 'utf8').trim()]) {
    for (const t of texts) assert.ok(!t.includes(secret), `a request body contains ${secret}`);
    for (const [name, content] of Object.entries(entries)) {
      const utf8 = Buffer.from(content, 'latin1').toString('utf8');
      assert.ok(!content.includes(secret) && !utf8.includes(secret), `${name} in the package contains ${secret}`);
    }
  }
  const manifest = JSON.parse(entries['manifest.json']);
  assert.equal(manifest.counts.excluded_opt_out, 0);
  state.firstManifest = manifest;
  await goto(page, '/provisions');
  await page.waitForSelector('#provisions tbody tr');
  await shot(page, '05-provisions');
  assert.equal(await page.locator('#provisions tbody tr').count(), 1);
});

test('opt-out: the registry stores only a pseudonym and the patient is left out of the next package', async () => {
  const page = state.uploader;
  const sent = [];
  const record = (r) => sent.push(r.postDataBuffer()?.toString('utf8') ?? '');
  page.on('request', record);
  await goto(page, '/optout');
  await page.fill('#optout-local-id', 'P001');
  await page.click('#optout-form button');
  await page.waitForSelector('#optout-table tbody tr').catch(async (e) => {
    console.error(page.url(), await page.textContent('body'));
    throw e;
  });
  page.off('request', record);
  await shot(page, '06-optout');
  const pseudonym = (await page.textContent('#optout-table tbody tr code')).trim();
  assert.match(pseudonym, /^KK[0-9A-Za-z]{14}$/);
  assert.ok(sent.every((b) => !b.includes('P001')), 'the local ID was sent');
  const { sent: sent2, summary } = await uploadFolder(page, state.folder.dir);
  assert.match(summary, /left out: 1 files and 1 rows by opt-out/, summary);
  const entries = unzip(packageOf(sent2));
  const csv = Object.entries(entries).find(([n]) => n.startsWith('records/'))[1];
  assert.ok(!csv.includes(pseudonym), 'the opted-out patient is not in the table');
  assert.equal(csv.trim().split('\n').length, 3, 'header and two patients');
  assert.ok(!Object.keys(entries).some((n) => n.includes('P001')), 'the patient\'s note is left out');
  await goto(page, '/provisions');
  await page.waitForFunction(() => document.querySelectorAll('#provisions tbody tr').length === 2);
});

test('scale: 2,000 files are processed with the page responsive; an interrupted upload resumes after a reload', async () => {
  const page = state.uploader;
  const dir = path.join(work, 'scale');
  fs.mkdirSync(path.join(dir, 'dicom'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'notes'), { recursive: true });
  const [ct] = corpusSample(1);
  for (let i = 0; i < 500; i++) fs.copyFileSync(ct.file, path.join(dir, 'dicom', `IM${String(i).padStart(4, '0')}.dcm`));
  for (let i = 0; i < 1500; i++) {
    fs.writeFileSync(path.join(dir, 'notes', `N${String(i).padStart(4, '0')}.txt`),
      `${i}: 患者 内閣 花子 様（2003-02-14生）。連絡先 090-3141-5926。HbA1c 6.${i % 10}%、経過良好。`);
  }
  await goto(page, '/upload');
  // Every main-thread task over 50 ms, with its start (Chromium's Long Tasks API).
  await page.evaluate(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => window.longTasks.push(...list.getEntries().map((e) => [e.startTime, e.duration])))
      .observe({ type: 'longtask' });
  });
  await page.setInputFiles('#pick-folder', dir);
  // Counting starts at the click: filling the file input is the browser's own work (here
  // Playwright's injection of 2,000 files, one task of about a second).
  const clickedAt = await page.evaluate(() => performance.now());
  const started = Date.now();
  await page.click('#process');
  // While the worker runs, the page still answers: a click handler runs within a frame or two.
  await page.waitForFunction(() => Number(document.getElementById('process-progress').value) > 100, null, { timeout: 120000 });
  const clickDelay = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    setTimeout(() => resolve(performance.now() - t0), 0);
  }));
  await page.waitForFunction(() => document.getElementById('summary').textContent.startsWith('package'), null, { timeout: 300000 });
  const seconds = (Date.now() - started) / 1000;
  const summary = await page.textContent('#summary');
  const long = (await page.evaluate(() => window.longTasks)).filter(([start]) => start >= clickedAt).map(([, d]) => d);
  const worst = Math.max(0, ...long);
  const rows = await page.locator('#outcomes tr').count();
  console.log(`scale: 2,000 files in ${seconds.toFixed(1)} s (${(2000 / seconds).toFixed(0)} files/s); `
    + `main thread: ${long.length} tasks over 50 ms, longest ${worst.toFixed(0)} ms; timer delay ${clickDelay.toFixed(0)} ms; ${rows} rows shown`);
  assert.match(summary, /^package: 2000 files to send; left out: 0 files/, summary);
  assert.ok(worst < 250, `a main-thread task took ${worst} ms`);
  assert.ok(clickDelay < 250, `the page answered after ${clickDelay} ms`);
  assert.ok(rows <= 500, 'the table is capped, not 2,000 rows');

  // The connection drops after the first chunk; the page is reloaded; the upload resumes from the
  // server's offset with the package kept in IndexedDB (not processed again, not restarted).
  const sent = [];
  const record = (r) => sent.push({ method: r.method(), url: r.url() });
  page.on('request', record);
  let chunks = 0;
  await page.route('**/api/uploads/*', (route) =>
    route.request().method() === 'PUT' && ++chunks > 1 ? route.abort('connectionreset') : route.continue());
  await page.click('#upload');
  await page.waitForFunction(() => /upload failed/.test(document.getElementById('upload-error').textContent), null, { timeout: 60000 });
  await page.unroute('**/api/uploads/*');
  const cut = sent.length;
  await page.reload();
  await hydrated(page);
  await page.waitForSelector('#resume:not([hidden])');
  assert.match(await page.textContent('#resume-text'), /2000 files/);
  await shot(page, '11-resume');
  await page.click('#resume-upload');
  await page.waitForFunction(() => /uploaded|failed/.test(document.getElementById('upload-text').textContent
    + document.getElementById('upload-error').textContent), null, { timeout: 120000 });
  page.off('request', record);
  assert.match(await page.textContent('#upload-text'), /uploaded: provision record \d+/, await page.textContent('#upload-error'));
  const after = sent.slice(cut);
  assert.ok(!after.some((r) => r.method === 'POST' && r.url.endsWith('/api/uploads')), 'the same upload went on');
  const offsets = after.filter((r) => r.method === 'PUT').map((r) => Number(new URL(r.url).searchParams.get('offset')));
  assert.ok(offsets.length > 0 && offsets[0] > 0, `resumed at ${offsets[0]}, not from the start`);
  await page.reload();
  await hydrated(page);
  assert.ok(await page.locator('#resume').isHidden(), 'nothing left to resume');
});

test('policy: the admin sets the hospital\'s policy (a bad one is refused); the next package follows it', async () => {
  const admin = state.admin;
  await goto(admin, '/policy');
  const form = admin.locator('section.policy[data-org="東京テスト病院"] form');
  await form.locator('textarea[name=records]').fill('{"columns": {"patient_id": {"role": "no-such-role"}}}');
  await form.locator('button').click();
  await admin.waitForSelector('p.error[role=alert]');
  assert.match(await admin.textContent('p.error[role=alert]'), /column 'patient_id'/);
  await form.locator('select[name=preset]').selectOption('jp-anonymized');
  await form.locator('textarea[name=records]').fill(JSON.stringify({ birth_date: 'year', columns: {
    patient_id: 'patient-id', name: 'direct-identifier', birth_date: 'birth-date', phone: 'direct-identifier',
    hba1c: 'sensitive', sbp: 'sensitive' } }));
  await form.locator('button').click();
  await admin.waitForSelector('#policy-saved');
  await shot(admin, '10-policy');

  const { sent } = await uploadFolder(state.uploader, state.folder.dir);
  const entries = unzip(packageOf(sent));
  assert.equal(JSON.parse(entries['manifest.json']).policy, 'jp-anonymized');
  const csv = Object.entries(entries).find(([n]) => n.startsWith('records/'))[1];
  const [header, ...rows] = csv.trim().split('\n');
  assert.deepEqual(header.split(','), ['patient_id', 'birth_date', 'hba1c', 'sbp'], 'names and phones removed, ID kept as pseudonym');
  assert.equal(rows.length, 2, 'P001 still opted out');
  for (const row of rows) {
    const [id, birth] = row.split(',');
    assert.match(id, /^KK[0-9A-Za-z]{14}$/, row);
    assert.match(birth, /^\d{4}$/, `birth year only: ${row}`);
  }
});

test('CSRF: a signed-in request without the token, or from another origin, is refused', async () => {
  const page = state.uploader;
  await goto(page, '/upload');
  const noToken = await page.evaluate(async () => (await fetch('/api/uploads', { method: 'POST' })).status);
  assert.equal(noToken, 403);
  const wrong = await page.evaluate(async () =>
    (await fetch('/api/uploads', { method: 'POST', headers: { 'x-csrf-token': 'forged' } })).status);
  assert.equal(wrong, 403);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'kakou_session');
  assert.ok(session.httpOnly && session.sameSite === 'Strict');
  const cross = await fetch(`${BASE}/api/uploads`, { method: 'POST',
    headers: { cookie: `kakou_session=${session.value}`, origin: 'https://evil.example' } });
  assert.equal(cross.status, 403);
  const csp = (await fetch(`${BASE}/login`)).headers.get('content-security-policy');
  assert.match(csp, /script-src 'nonce-[^']+' 'strict-dynamic'/);
});

/** A CTAP2 platform authenticator with user verification, in this page's browser (CDP). */
async function virtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', { options: {
    protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
    isUserVerified: true, automaticPresenceSimulation: true } });
  return { cdp, authenticatorId };
}
function lastAudit(action) {
  return execFileSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT detail FROM audit_log WHERE action = ? ORDER BY seq DESC LIMIT 1", (sys.argv[2],)).fetchone()
print(row[0] if row else "")`, dbFile, action]).toString();
}

test('passkeys: added on the account page, then sign-in with password and passkey; no passkey, no entry', async () => {
  const page = state.admin; // signed in (TOTP); signed in again by passkey at the end
  const { cdp, authenticatorId } = await virtualAuthenticator(page);
  await goto(page, '/account');
  await page.fill('#passkey-name', 'test laptop');
  await page.click('#passkey-add');
  await page.waitForSelector('#passkeys td:has-text("test laptop")', { timeout: 20000 });
  await shot(page, '09-passkeys');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'one credential on the authenticator');
  assert.equal(credentials[0].rpId, 'localhost');

  // Signed out, back in with the password and the passkey (no code).
  await logout(page);
  await goto(page, '/login');
  await page.fill('#login-form input[name=email]', 'admin@kakou.test');
  await page.fill('#login-form input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${BASE}/`, { timeout: 20000 }), page.click('#passkey-login')]);
  assert.match(lastAudit('login.success'), /"reason":"passkey"/);
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.ok(after.credentials[0].signCount > credentials[0].signCount, 'the signature counter moved');

  // A wrong password is refused before any passkey is asked for.
  const other = await newPage();
  await virtualAuthenticator(other); // an authenticator without this site's passkey
  await goto(other, '/login');
  await other.fill('#login-form input[name=email]', 'admin@kakou.test');
  await other.fill('#login-form input[name=password]', 'not the password');
  await other.click('#passkey-login');
  await other.waitForFunction(() => /Wrong e-mail|違います/.test(document.getElementById('passkey-status')?.textContent ?? ''));
  // The right password on a device without the passkey: the browser finds none, no session.
  await other.fill('#login-form input[name=password]', PASSWORD);
  await other.click('#passkey-login');
  await other.waitForFunction(() => /Cancelled|キャンセル/.test(document.getElementById('passkey-status')?.textContent ?? ''),
    null, { timeout: 30000 });
  assert.ok(!(await other.context().cookies()).some((c) => c.name === 'kakou_session'), 'no session cookie');
  await other.context().close();
});

test('lockout: five wrong passwords lock the account even for the right password', async () => {
  const page = await newPage();
  for (let i = 0; i < 5; i++) {
    await login(page, 'uploader@hosp.test', 'wrong password ' + i);
    await page.waitForSelector('p.error[role=alert]');
  }
  await login(page, 'uploader@hosp.test', PASSWORD, totp(state.uploaderSecret));
  await page.waitForFunction(() => /locked|ロック/.test(document.querySelector('p.error')?.textContent ?? ''));
  await shot(page, '07-locked');
});

test('audit: the chain verifies, and tampering with the database is detected', async () => {
  const page = state.admin;
  await goto(page, '/audit');
  await page.waitForSelector('#audit tbody tr');
  const actions = await page.$$eval('#audit tbody tr td:nth-child(4)', (tds) => tds.map((t) => t.textContent));
  for (const a of ['login.success', 'login.failure', 'account.lock', 'csrf.rejected', 'provisions.view', 'optouts.view', 'user.',
    'passkey.add', 'org.policy']) {
    assert.ok(actions.some((x) => x.startsWith(a)), `${a} missing from ${[...new Set(actions)]}`);
  }
  assert.ok(actions.some((x) => x.startsWith('package.') || x.startsWith('upload.')), `no upload event in ${[...new Set(actions)]}`);
  await page.click('#verify-form button');
  await page.waitForSelector('#verify-result');
  assert.match(await page.textContent('#verify-result'), /verified/);
  await shot(page, '08-audit');
  execFileSync('python3', ['-c', `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
db.commit()`, dbFile]);
  await goto(page, '/audit');
  await page.click('#verify-form button');
  await page.waitForSelector('#verify-result.error');
  assert.match(await page.textContent('#verify-result'), /BROKEN at seq 3/);
  let code = 0;
  try {
    execFileSync(bin('kakou-store'), ['--db', `sqlite://${dbFile}`, '--objects', path.join(work, 'objects'), 'audit-verify']);
  } catch (e) { code = e.status; }
  assert.equal(code, 1, 'kakou-store audit-verify exits 1 on a broken chain');
});

test('printable notice names the hospital and the required items', async () => {
  const page = await newPage();
  const refused = await login(page, 'uploader2@hosp.test', 'x'); // unknown account: a generic refusal, no hint
  assert.equal(refused.status(), 401, 'a refused sign-in answers 401, not a server error');
  await page.waitForSelector('p.error[role=alert]');
  assert.match(await page.textContent('p.error'), /Wrong e-mail, password or code/);
});
