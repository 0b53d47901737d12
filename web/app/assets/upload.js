// The hospital upload page: import keys (kept in this browser only), pick files or a folder,
// de-identify them in a Web Worker, show the preview, then upload the package in resumable
// chunks. Only the de-identified package and its manifest are ever sent to the server.
const app = document.getElementById('upload-app');
const org = app.dataset.org;
const orgId = Number(app.dataset.orgId);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const policy = JSON.parse(app.dataset.policy || '{}');
const $ = (id) => document.getElementById(id);
const storeKey = (name) => `kakou:${org}:${name}`;
const CHUNK = 4 * 1024 * 1024;

const worker = new Worker('/assets/upload-worker.js', { type: 'module' });
let nextId = 1;
const pending = new Map();
const outcomes = [];
let onOutcome = () => {};
worker.onmessage = (event) => {
  const m = event.data;
  if (m.type === 'outcome') { outcomes.push(m.outcome); onOutcome(m.outcome); return; }
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'error') p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
  else p.resolve(m);
};
function ask(message, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ ...message, id }, transfer);
  });
}

function setText(id, text) { const el = $(id); if (el) el.textContent = text; }
function show(id, on) { const el = $(id); if (el) el.hidden = !on; }

// ---- keys: read from a file the creator gave the hospital, kept in localStorage -------------
async function refreshKeys() {
  const key = localStorage.getItem(storeKey('projectKey'));
  const linkageKey = localStorage.getItem(storeKey('linkageKey'));
  const f = await ask({ type: 'fingerprints', key, linkageKey }).catch(() => ({}));
  setText('key-status', key ? `project key ${f.project}` : 'no project key imported');
  setText('linkage-key-status', linkageKey ? `linkage key ${f.linkage}` : 'no linkage key (registers will be skipped)');
  $('process').disabled = !key;
}
async function importKey(input, name) {
  const file = input.files[0];
  if (!file) return;
  const text = (await file.text()).trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) { setText('key-error', `${file.name}: not a Kakou key (64 hexadecimal characters)`); return; }
  localStorage.setItem(storeKey(name), text.toLowerCase());
  setText('key-error', '');
  input.value = '';
  await refreshKeys();
}
$('project-key-file').addEventListener('change', (e) => importKey(e.target, 'projectKey'));
$('linkage-key-file').addEventListener('change', (e) => importKey(e.target, 'linkageKey'));
$('forget-keys').addEventListener('click', async () => {
  localStorage.removeItem(storeKey('projectKey'));
  localStorage.removeItem(storeKey('linkageKey'));
  await refreshKeys();
});

// ---- picking and processing -------------------------------------------------------------------
let picked = [];
function pick(input) {
  picked = Array.from(input.files).map((file) => ({ name: file.webkitRelativePath || file.name, file }));
  setText('picked', `${picked.length} files picked (${(picked.reduce((s, f) => s + f.file.size, 0) / 1e6).toFixed(1)} MB)`);
}
$('pick-folder').addEventListener('change', (e) => pick(e.target));
$('pick-files').addEventListener('change', (e) => pick(e.target));

let built = null;
$('process').addEventListener('click', async () => {
  if (!picked.length) { setText('process-error', 'pick files or a folder first'); return; }
  setText('process-error', '');
  $('process').disabled = true;
  $('upload').disabled = true;
  outcomes.length = 0;
  clearPreview();
  const bar = $('process-progress');
  bar.max = picked.length;
  bar.value = 0;
  onOutcome = queueOutcome(bar, picked.length);
  try {
    const optOut = await (await fetch('/api/optout', { headers: { 'x-csrf-token': csrf } })).json();
    await ask({ type: 'start', options: {
      key: localStorage.getItem(storeKey('projectKey')),
      linkageKey: localStorage.getItem(storeKey('linkageKey')) || undefined,
      preset: policy.preset, recordsPolicy: policy.recordsPolicy ?? undefined,
      optOut: optOut.pseudonyms, organisation: org, orgId,
    } });
    for (let i = 0; i < picked.length; i += 200) {
      await ask({ type: 'files', files: picked.slice(i, i + 200) });
    }
    const done = await ask({ type: 'finish', created: new Date().toISOString() });
    built = { zip: done.zip, manifest: done.manifest, uploadId: null, created: new Date().toISOString() };
    await keepPackage(built).catch((e) => console.warn('package not kept for resuming:', e));
    show('resume', false);
    showSummary(done.counts);
    $('upload').disabled = done.manifest.files.length === 0;
  } catch (err) {
    setText('process-error', `${err.code ?? 'error'}: ${err.message}`);
  } finally {
    $('process').disabled = false;
  }
});

// Outcomes arrive one message per file; the page draws them at most once per frame (a DOM
// update and a table layout per file made the page stutter with thousands of files).
function queueOutcome(bar, total) {
  let queue = [];
  let done = 0;
  const draw = () => {
    const batch = queue;
    queue = [];
    done += batch.length;
    bar.value = done;
    setText('process-text', `${done} / ${total}: ${batch[batch.length - 1].name}`);
    const rows = document.createDocumentFragment();
    for (const o of batch) addRow(o, rows);
    $('outcomes').append(rows);
  };
  return (o) => {
    if (queue.length === 0) requestAnimationFrame(draw);
    queue.push(o);
  };
}

function clearPreview() {
  rowsShown = 0;
  $('outcomes').replaceChildren();
  $('samples').replaceChildren();
  setText('summary', '');
}
const STATUS = { included: '含む included', excluded: 'オプトアウト excluded', quarantined: '保留 quarantined', skipped: 'skipped', failed: 'failed' };
let rowsShown = 0;
const MAX_INCLUDED_ROWS = 500;
function addRow(o, into) {
  if (o.status !== 'included' || rowsShown < MAX_INCLUDED_ROWS) {
    rowsShown += 1;
    const tr = document.createElement('tr');
    tr.className = `status-${o.status}`;
    for (const v of [o.name, o.kind, STATUS[o.status] ?? o.status, o.reason ?? '', String(o.replaced ?? 0)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    into.append(tr);
  }
  if (o.preview && $('samples').children.length < 3) {
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = o.name;
    const before = document.createElement('pre');
    before.className = 'before';
    before.textContent = o.preview.before;
    const after = document.createElement('pre');
    after.className = 'after';
    after.textContent = o.preview.after;
    fig.append(cap, before, after);
    $('samples').append(fig);
  }
}
function showSummary(c) {
  setText('summary', `package: ${c.files} files to send; left out: ${c.excluded_opt_out} files and ${c.rows_excluded_opt_out} rows by opt-out, ${c.quarantined} quarantined, ${c.skipped} skipped, ${c.failed} failed`);
}

// ---- upload: resumable chunks -------------------------------------------------------------------
async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}
async function api(method, url, body, type = 'application/json') {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fetch(url, { method, body, headers: { 'content-type': type, 'x-csrf-token': csrf } });
      if (r.ok) return r.json();
      const text = await r.text();
      if (r.status < 500 || attempt >= 4) throw new Error(`${r.status}: ${text}`);
    } catch (err) {
      if (attempt >= 4 || err.message.match(/^\d{3}:/)) throw err;
    }
    await new Promise((res) => setTimeout(res, 500 * 2 ** attempt));
  }
}
async function uploadBuilt() {
  $('upload').disabled = true;
  show('resume', false);
  setText('upload-error', '');
  const { zip } = built;
  const bar = $('upload-progress');
  bar.max = zip.byteLength;
  try {
    const sha256 = await sha256Hex(zip);
    // A package kept from before a reload resumes its own upload where the server's bytes end.
    const started = built.uploadId
      ? await api('GET', `/api/uploads/${built.uploadId}`).catch(() => api('POST', '/api/uploads', '{}'))
      : await api('POST', '/api/uploads', '{}');
    if (started.id !== built.uploadId) {
      built.uploadId = started.id;
      await keepPackage(built).catch(() => {});
    }
    let offset = started.offset;
    while (offset < zip.byteLength) {
      const chunk = zip.subarray(offset, Math.min(offset + CHUNK, zip.byteLength));
      const r = await api('PUT', `/api/uploads/${started.id}?offset=${offset}`, chunk, 'application/octet-stream')
        .catch(async (err) => {
          // Resume from what the server actually holds (a lost response, a retried chunk).
          const s = await api('GET', `/api/uploads/${started.id}`);
          if (s.offset === offset) throw err;
          return s;
        });
      offset = r.offset;
      bar.value = offset;
      setText('upload-text', `${(offset / 1e6).toFixed(1)} / ${(zip.byteLength / 1e6).toFixed(1)} MB`);
    }
    const record = await api('POST', `/api/uploads/${started.id}/finish`, JSON.stringify({ sha256 }));
    setText('upload-text', `uploaded: provision record ${record.id}, package ${record.sha256.slice(0, 16)}…`);
    const link = $('provision-link');
    link.href = '/provisions';
    link.hidden = false;
    built = null;
    await forgetPackage().catch(() => {});
  } catch (err) {
    setText('upload-error', `upload failed: ${err.message} (the package stays in this browser: try again, or resume after a reload)`);
    $('upload').disabled = false;
  }
}
$('upload').addEventListener('click', () => { if (built) uploadBuilt(); });

// ---- resuming after a reload: the processed package waits in IndexedDB -------------------------
// Only the de-identified package (exactly what would be uploaded) and its upload id are kept,
// per organisation, until the upload finishes or the user discards it.
function packageStore(mode) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('kakou-upload', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('packages');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => resolve(open.result.transaction('packages', mode).objectStore('packages'));
  });
}
function request(r) {
  return new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });
}
async function keepPackage(p) {
  const store = await packageStore('readwrite');
  await request(store.put({ zip: new Blob([p.zip]), manifest: p.manifest, uploadId: p.uploadId, created: p.created }, org));
}
async function forgetPackage() {
  await request((await packageStore('readwrite')).delete(org));
}
async function offerResume() {
  const kept = await packageStore('readonly').then((s) => request(s.get(org))).catch(() => undefined);
  if (!kept) return;
  const mb = (kept.zip.size / 1e6).toFixed(1);
  setText('resume-text', `未送信のパッケージがあります。A package processed ${kept.created} (${kept.manifest.files.length} files, ${mb} MB) was not uploaded completely. `);
  show('resume', true);
  $('resume-upload').onclick = async () => {
    built = { zip: new Uint8Array(await kept.zip.arrayBuffer()), manifest: kept.manifest, uploadId: kept.uploadId, created: kept.created };
    await uploadBuilt();
  };
  $('discard-package').onclick = async () => {
    await forgetPackage();
    show('resume', false);
  };
}

offerResume();
refreshKeys();
