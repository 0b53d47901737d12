#!/usr/bin/env bash
# The web app's tests: its native unit tests (kakou-store on SQLite, and on PostgreSQL through
# scripts/pg-test.sh), then the end-to-end
# workflow in headless Chromium against a real server on a fresh SQLite database
# (web/e2e/*.test.mjs, playwright-core with Debian's chromium).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
bash scripts/build-web.sh
cargo test -q -p kakou-web --features ssr --lib 2>&1 | tail -3
# kakou-store on SQLite and on a throwaway PostgreSQL cluster (installed by setup.sh).
bash scripts/pg-test.sh
node --test --test-reporter=spec web/e2e/ 2>&1 | tee /tmp/kakou-e2e.log
