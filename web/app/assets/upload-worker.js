// The hospital's de-identification worker. Runs the Kakou SDK (wasm) off the page's thread so
// the page stays responsive with thousands of files. Raw files arrive here as File objects,
// leave only as the de-identified package; nothing in this worker talks to the network except
// to load the SDK itself.
import init, { ProviderPackage, keyFingerprint, linkageKeyFingerprint, patientPseudonym } from '/sdk/kakou.js';

const ready = init({ module_or_path: '/sdk/kakou_bg.wasm' });
let pkg = null;

function fail(id, err) {
  postMessage({ type: 'error', id, error: { code: err?.code ?? 'error', message: err?.message ?? String(err) } });
}

self.onmessage = async (event) => {
  const m = event.data;
  try {
    await ready;
    switch (m.type) {
      case 'fingerprints':
        postMessage({
          type: 'fingerprints', id: m.id,
          project: m.key ? keyFingerprint(m.key) : null,
          linkage: m.linkageKey ? linkageKeyFingerprint(m.linkageKey) : null,
        });
        break;
      case 'pseudonym':
        postMessage({ type: 'pseudonym', id: m.id, value: patientPseudonym(m.key, m.localId) });
        break;
      case 'start':
        pkg = new ProviderPackage(m.options);
        postMessage({ type: 'started', id: m.id });
        break;
      case 'files':
        for (const f of m.files) {
          let outcome;
          try {
            outcome = pkg.add(f.name, new Uint8Array(await f.file.arrayBuffer()));
          } catch (err) {
            outcome = { name: f.name, kind: 'other', status: 'failed', reason: err?.message ?? String(err), bytesIn: f.file.size, bytesOut: 0 };
          }
          postMessage({ type: 'outcome', outcome });
        }
        postMessage({ type: 'files-done', id: m.id, counts: pkg.counts() });
        break;
      case 'finish': {
        const counts = pkg.counts();
        const { zip, manifest } = pkg.finish(m.created);
        pkg = null;
        postMessage({ type: 'package', id: m.id, zip, manifest, counts }, [zip.buffer]);
        break;
      }
      default:
        fail(m.id, new Error(`unknown message ${m.type}`));
    }
  } catch (err) {
    fail(m.id, err);
  }
};
