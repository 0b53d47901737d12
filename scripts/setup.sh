#!/usr/bin/env bash
# Installs everything Kakou needs on a fresh Debian machine of this project's kind, idempotently:
# a second run that finds everything installed takes about a second.
#
#   - Debian packages: rustc-web/cargo-web/rust-web-src (Rust 1.96 + std source, for the wasm build
#     with -Zbuild-std, see docs/toolchain.md), lld-19 (wasm-ld), chromium + chromium-driver (browser
#     tests), dcmtk (dcmdump), dicom3tools (dciodvfy), libgdcm-tools (gdcmanon, the benchmark peer),
#     postgresql (kakou-store tests against PostgreSQL, scripts/pg-test.sh).
#   - cargo: wasm-bindgen-cli at the exact version the wasm crate pins, wasm-pack.
#   - npm (under tools/node): binaryen's wasm-opt (Debian's 108 breaks wasm-bindgen output).
#   - the test corpus: real DICOM files from public packages, built by ../shared/eval/dicom.
#
# Environment: KAKOU_CACHE (default ~/.cache/kakou) holds the corpus and the Python venv.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# shellcheck source=scripts/env.sh
source scripts/env.sh

log() { printf '\033[1m[setup +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }

apt_pkgs=(rustc-web cargo-web rust-web-src lld-19 chromium chromium-driver dcmtk dicom3tools libgdcm-tools python3-venv postgresql libssl-dev pkg-config)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The corpus build is mostly downloads and unpacking: run it beside the CPU-bound cargo installs.
corpus_pid=
if [ ! -f "$KAKOU_CORPUS/manifest.tsv" ]; then
  log "building the DICOM test corpus in $KAKOU_CORPUS (pip install of pydicom & co., in the background)"
  mkdir -p "$KAKOU_CACHE"
  VENV="$KAKOU_VENV" bash "$KAKOU_SHARED/eval/dicom/build_corpus.sh" "$KAKOU_CORPUS" >"$KAKOU_CACHE/corpus-build.log" 2>&1 &
  corpus_pid=$!
fi

mkdir -p "$KAKOU_WASM_SHIM"
ln -sf /usr/bin/cargo /usr/bin/rustc /usr/bin/rustdoc "$KAKOU_WASM_SHIM/"

# cargo install builds with each tool's own release profile (fat LTO, opt-level 3): wasm-pack
# alone takes ~7 minutes on 2 cores (docs/toolchain.md). These tools only post-process a few
# wasm files, so a cheaper profile is plenty: both installed in ~5.5 minutes here.
export CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_INCREMENTAL=0
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes on a cold machine)"
  # no --locked: its lock pins a webpki-roots the registry does not serve (docs/toolchain.md)
  PATH="$HOME/.cargo/bin:/usr/bin:/bin" cargo +stable install -q --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  log "cargo install wasm-pack $WASM_PACK_VERSION"
  PATH="$HOME/.cargo/bin:/usr/bin:/bin" cargo +stable install -q --force --locked wasm-pack --version "$WASM_PACK_VERSION"
fi

if [ ! -x tools/node/node_modules/.bin/wasm-opt ] || [ ! -d tools/node/node_modules/playwright-core ]; then
  log "npm: binaryen (wasm-opt), playwright-core"
  (cd tools/node && npm ci --silent --no-audit --no-fund)
fi

if [ -n "$corpus_pid" ]; then
  wait "$corpus_pid" || { log "building the DICOM corpus failed: see $KAKOU_CACHE/corpus-build.log"; exit 1; }
fi
# --- anonymization (records): the independent k/l checker's deps and the benchmark peers -------
# (after the corpus build, which creates the venv)
# ../shared/eval/anon/check_k.py needs pandas + pycanon; examples/bench_anonymize.sh runs anjana.
if ! "$KAKOU_VENV/bin/python" -c "import pycanon, pandas, anjana" 2>/dev/null; then
  log "pip: pycanon, pandas, anjana (anonymization checker and peer)"
  [ -x "$KAKOU_VENV/bin/python" ] || python3 -m venv "$KAKOU_VENV"
  "$KAKOU_VENV/bin/pip" install -q pycanon pandas anjana
fi
# --- end anonymization ------------------------------------------------------------------------
# An S3 server for kakou-store's object-store tests (scripts/pg-test.sh starts it), in a venv of
# its own: its dependencies would move versions the judges' venv pins.
if ! "$KAKOU_S3_VENV/bin/python" -c "import moto.server" 2>/dev/null; then
  log "pip: moto[server] (an S3 server for the web store's tests)"
  python3 -m venv "$KAKOU_S3_VENV"
  "$KAKOU_S3_VENV/bin/pip" install -q "moto[server]"
fi
log "ready"
