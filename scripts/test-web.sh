#!/usr/bin/env bash
# The web app's end-to-end workflow in headless Chromium against a real server on a fresh SQLite
# database (web/e2e/*.test.mjs, playwright-core with Debian's chromium). The web crates' unit
# tests (kakou-store on SQLite and PostgreSQL, kakou-web) run with the native suite in
# scripts/test.sh; alone: scripts/pg-test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
# The hydration client in the quick-to-build wasm-test profile (same code; scripts/serve.sh
# builds the shipped wasm-release one).
KAKOU_WEB_CLIENT_PROFILE=${KAKOU_WEB_CLIENT_PROFILE:-wasm-test} bash scripts/build-web.sh --no-server
# The servers (target/debug/kakou-web, kakou-store) exactly as the native test run builds them,
# same features: in scripts/test.sh this is a no-op, nothing is compiled twice.
cargo test -q --workspace --features kakou-web/ssr --no-run
node --test --test-reporter=spec web/e2e/ 2>&1 | tee /tmp/kakou-e2e.log
