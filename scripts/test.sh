#!/usr/bin/env bash
# Runs every test of the project on this machine, installing what is missing first:
#   1. scripts/setup.sh (idempotent: toolchains, browser, judges, the DICOM corpus)
#   2. format and lint gates
#   3. native tests: unit tests, CLI tests, and end-to-end tests on the real corpus judged by
#      ../shared/eval (leakcheck.py, dciodvfy, dcmdump)
#   4. wasm tests in Node and headless Chromium, and native/wasm byte-equivalence on the corpus
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "format and lints"
cargo fmt --check -p kakou-sdk -p kakou-dicom -p kakou-cli -p kakou-tests -p kakou-wasm
cargo clippy -q --workspace --all-targets -- -D warnings

step "native tests (unit, CLI, corpus end-to-end)"
cargo test --workspace --exclude kakou-wasm

step "wasm tests (Node, headless Chromium, native/wasm equivalence)"
bash scripts/test-wasm.sh
