#!/usr/bin/env bash
# Runs every test of the project on this machine, installing what is missing first:
#   1. scripts/setup.sh (idempotent: toolchains, browser, judges, the DICOM corpus)
#   2. format and lint gates
#   3. native tests: unit tests, CLI tests, and end-to-end tests on the real corpus judged by
#      ../shared/eval (leakcheck.py, dciodvfy, dcmdump)
#   4. wasm tests in Node and headless Chromium, and native/wasm byte-equivalence on the corpus
#   5. the web app: kakou-store on SQLite and PostgreSQL, the e2e workflow in headless Chromium
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# No incremental caches: a test run builds each crate once, and incremental state would double
# the size of target/ (CI machines have limited disk).
export CARGO_INCREMENTAL=0

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

step "format and lints"
cargo fmt --check --all
cargo clippy -q --workspace --all-targets -- -D warnings
cargo clippy -q -p kakou-web --features ssr --all-targets -- -D warnings

step "native tests (unit, CLI, corpus end-to-end)"
cargo test --workspace --exclude kakou-wasm 2>&1 | tee -a "$log"

step "text: a generated 100 MB note file through the release CLI in bounded memory"
cargo test --release -p kakou-cli --test text large_text 2>&1 | tee -a "$log"

step "wasm tests (Node, headless Chromium, native/wasm equivalence)"
bash scripts/test-wasm.sh 2>&1 | tee -a "$log"

step "web app: store on SQLite and PostgreSQL, end-to-end workflow in headless Chromium"
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
