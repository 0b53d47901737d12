#!/usr/bin/env bash
# Runs every test of the project on this machine, installing what is missing first:
#   1. scripts/setup.sh (idempotent: toolchains, browser, judges, the DICOM corpus)
#   2. the format gate (lints: scripts/lint.sh)
#   3. native tests: unit tests, CLI tests, and end-to-end tests on the real corpus judged by
#      ../shared/eval (leakcheck.py, dciodvfy, dcmdump)
#   4. wasm tests in Node and headless Chromium, and native/wasm byte-equivalence on the corpus
#   5. the web app: the e2e workflow in headless Chromium (its crates' unit tests ran in 3,
#      kakou-store on SQLite and on a throwaway PostgreSQL)
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# No incremental caches: a test run builds each crate once, and incremental state would double
# the size of target/ (CI machines have limited disk).
export CARGO_INCREMENTAL=0
# Test builds of the optimized artifacts: the same code, cheaper compiler settings (no LTO, no
# wasm-opt; Cargo.toml's release-test and wasm-test profiles). What ships is built by
# scripts/build-wasm.sh, scripts/serve.sh and `cargo build --release`.
export KAKOU_NATIVE_PROFILE=release-test KAKOU_WASM_PROFILE=wasm-test KAKOU_WEB_CLIENT_PROFILE=wasm-test

# Each step's wall time, printed as it ends and again at the close (CI has a time budget).
timings=()
step_name= step_start=$SECONDS
end_step() {
  [ -n "$step_name" ] && timings+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$step_name")")
  step_name=
}
step() {
  end_step
  step_name=$* step_start=$SECONDS
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "setup (toolchains, browser, corpus; a no-op when installed)"
bash scripts/setup.sh
source scripts/env.sh

step "format"
# (clippy: scripts/lint.sh, run before committing; its check build would double CI's compile time)
cargo fmt --check --all
# One feature set for the native tests and the web servers the e2e test runs (kakou-web's server
# side is its `ssr` feature): every dependency is compiled once.
native=(--workspace --features kakou-web/ssr)

step "native tests (unit, CLI, corpus end-to-end; the web store on SQLite and PostgreSQL)"
bash scripts/pg-test.sh --run cargo test "${native[@]}" 2>&1 | tee -a "$log"

step "text: a generated 100 MB note file through the optimized CLI in bounded memory"
cargo test --profile "$KAKOU_NATIVE_PROFILE" -p kakou-cli --test text large_text 2>&1 | tee -a "$log"

step "wasm tests (Node, headless Chromium, native/wasm equivalence)"
bash scripts/test-wasm.sh 2>&1 | tee -a "$log"

step "web app: end-to-end workflow in headless Chromium"
bash scripts/test-web.sh 2>&1 | tee -a "$log"

# One closing line over every runner: cargo's "test result" lines and the JS scripts' own.
totals=$(sed -E 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /^test result: / { p += $4; f += $6 }
  /^[0-9]+ passed, [0-9]+ failed/ { p += $1; f += $3 }
  /^ℹ pass [0-9]+/ { p += $3 }
  /^ℹ fail [0-9]+/ { f += $3 }
  END { printf "%d passed, %d failed", p, f }')
end_step
echo
printf '%s\n' "${timings[@]}"
printf '%5ds  in all\n' "$SECONDS"
echo "$totals"
