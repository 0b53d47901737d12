// Kakou de-identification worker: loads the wasm package (target web) once and de-identifies
// the files it is given, one at a time, posting each result back (the output bytes are
// transferred, not copied). Runs off the main thread so the page stays responsive.
//
// Messages in:   { type: "generate-key" }
//                { type: "fingerprint", key }
//                { type: "run", options, files: [{ file: File, rel }] }
// Messages out:  { type: "ready", version } | { type: "fatal", message }
//                { type: "key", key, fingerprint } | { type: "fingerprint", fingerprint } | { type: "key-error", message }
//                { type: "started", fingerprint, policy } | { type: "run-error", code, message }
//                { type: "result", index, rel, report, bytes } | { type: "file-error", index, rel, code, message, bytesIn }
//                { type: "done", summary, summaryText, ms }

import init, { DicomDeidentifier, generateKey, keyFingerprint, version } from "../../wasm/pkg/kakou.js";

const ready = init()
  .then(() => postMessage({ type: "ready", version: version() }))
  .catch((e) => postMessage({ type: "fatal", message: `cannot load the wasm module: ${e}` }));

onmessage = async ({ data: msg }) => {
  await ready;
  switch (msg.type) {
    case "generate-key": {
      const key = generateKey();
      postMessage({ type: "key", key, fingerprint: keyFingerprint(key) });
      break;
    }
    case "fingerprint":
      try {
        postMessage({ type: "fingerprint", fingerprint: keyFingerprint(msg.key) });
      } catch (e) {
        postMessage({ type: "key-error", message: e.message });
      }
      break;
    case "run":
      await run(msg.options, msg.files);
      break;
  }
};

async function run(options, files) {
  let deid;
  try {
    deid = new DicomDeidentifier(options);
  } catch (e) {
    postMessage({ type: "run-error", code: e.code, message: e.message });
    return;
  }
  postMessage({ type: "started", fingerprint: deid.fingerprint, policy: deid.policy() });
  const t0 = performance.now();
  for (let index = 0; index < files.length; index++) {
    const { file, rel } = files[index];
    let input;
    try {
      input = new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      postMessage({ type: "file-error", index, rel, code: "read-error", message: `${rel}: cannot read the file: ${e}`, bytesIn: 0 });
      continue;
    }
    try {
      const { bytes, report } = deid.deidentify(rel, input);
      postMessage({ type: "result", index, rel, report, bytes }, [bytes.buffer]);
    } catch (e) {
      if (!e || !e.code) {
        // A Rust panic: this wasm instance must not be used again.
        postMessage({ type: "fatal", message: `internal error on ${rel}: ${e}` });
        return;
      }
      postMessage({ type: "file-error", index, rel, code: e.code, message: e.message, bytesIn: input.length });
    }
  }
  postMessage({ type: "done", summary: deid.summary(), summaryText: deid.summaryText(), ms: performance.now() - t0 });
  deid.free();
}
