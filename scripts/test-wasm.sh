#!/usr/bin/env bash
# The wasm layer's tests, built and run in one go:
#
#   1. wasm-bindgen tests of the JS-facing API (wasm/tests/node.rs in Node, wasm/tests/browser.rs
#      in headless Chromium through chromedriver): a DICOM file built in the test, name/ID/UIDs
#      replaced, markers, determinism per key, error codes.
#   2. Native/wasm equivalence on the real corpus ($KAKOU_CORPUS/dcm): the native CLI de-identifies
#      it with a temporary key, then the npm package does the same in Node (wasm/pkg-node; every
#      preset, and basic with a pixel rule that blanks every at-risk image) and in Chromium
#      (wasm/pkg; jp-anonymized, with throughput): byte-identical outputs and identical reports.
#   3. The browser example (examples/browser) driven in headless Chromium: pick files, de-identify
#      in its Web Worker, check the table, the summary and a download.
#
#   scripts/test-wasm.sh            everything
#   scripts/test-wasm.sh --unit     step 1 only
#   scripts/test-wasm.sh --corpus   steps 2 and 3 only
#
# Needs scripts/setup.sh to have run (toolchain, chromium, corpus). Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

unit=1 corpus=1
case "${1:-}" in
  --unit) corpus=0 ;;
  --corpus) unit=0 ;;
  "") ;;
  *) echo "usage: $0 [--unit|--corpus]" >&2; exit 2 ;;
esac
log() { printf '\033[1m[test-wasm +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }
status=0

if [ ! -d tools/node/node_modules/playwright-core ] || [ ! -x tools/node/node_modules/.bin/wasm-opt ]; then
  log "npm ci (tools/node: binaryen, playwright-core)"
  (cd tools/node && npm ci --silent --no-audit --no-fund)
fi

if [ "$unit" = 1 ]; then
  log "1. wasm-bindgen tests (Node + headless Chromium)"
  # (no -q: cargo would pass --quiet to wasm-bindgen-test-runner, which refuses it)
  with_wasm_env cargo test --target wasm32-unknown-unknown -p kakou-wasm --tests || status=1
  log "1b. the lazy-dictionaries build in Node (loadDictionaries before/after; ~1.5 min: the SDK again)"
  with_wasm_env cargo test --target wasm32-unknown-unknown -p kakou-wasm --no-default-features --test node || status=1
fi

if [ "$corpus" = 1 ]; then
  corpus_dir=$KAKOU_CORPUS/dcm
  if [ ! -d "$corpus_dir" ]; then
    log "no corpus at $corpus_dir: run scripts/setup.sh"
    exit 1
  fi
  # Native and wasm from the same sources, built back to back.
  log "2. building the native CLI and the npm packages"
  # (the same command as scripts/test.sh's large-text test: that build is reused)
  native_profile=${KAKOU_NATIVE_PROFILE:-release}
  cargo test -q --profile "$native_profile" -p kakou-cli --test text --no-run
  kakou=target/$native_profile/kakou
  scripts/build-wasm.sh

  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$kakou" keygen "$tmp/key" 2>/dev/null
  cat > "$tmp/rules.json" <<'JSON'
[{ "name": "test: top-left corner of every at-risk image", "manufacturer": "",
   "regions": [{ "x": 0, "y": 0, "width": 32, "height": 8 }] }]
JSON
  native() { # name, kakou dicom args...
    local name=$1; shift
    # exit status 2 = some files failed to parse: expected on this corpus, compared below
    "$kakou" dicom "$corpus_dir" "$tmp/$name" --key "$tmp/key" -q "$@" >/dev/null || [ $? = 2 ]
  }
  for preset in basic jp-pseudonymized jp-anonymized; do
    native "$preset" --preset "$preset"
    log "equivalence in Node: $preset"
    node tests/wasm/equivalence-node.mjs --corpus "$corpus_dir" --native "$tmp/$preset" --key "$tmp/key" --preset "$preset" || status=1
  done
  native rules --preset basic --pixel-rules "$tmp/rules.json"
  log "equivalence in Node: basic + pixel rules (pixel decoding and blanking)"
  node tests/wasm/equivalence-node.mjs --corpus "$corpus_dir" --native "$tmp/rules" --key "$tmp/key" --preset basic \
    --pixel-rules "$tmp/rules.json" || status=1
  log "equivalence in Chromium: jp-anonymized"
  node tests/wasm/equivalence-browser.mjs --corpus "$corpus_dir" --native "$tmp/jp-anonymized" --key "$tmp/key" \
    --preset jp-anonymized || status=1
  log "3. the browser example in Chromium"
  node tests/wasm/example-browser.mjs --corpus "$corpus_dir" --screenshot "$tmp/browser-example.png" || status=1
fi

if [ "$status" = 0 ]; then log "all wasm tests passed"; else log "FAILED (see above)"; fi
exit "$status"
