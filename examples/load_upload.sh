#!/usr/bin/env bash
# Load test of the upload path: builds the release server (scripts/build-web.sh --release) and
# the SDK's Node package, starts kakou-web on a fresh SQLite database, and runs
# examples/load_upload.mjs with N concurrent clients (default 50). Prints throughput, p50/p99
# latency per request kind, and fails if a package was lost or recorded twice.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clients=${1:-50}
bash scripts/build-web.sh --release >/dev/null
bash scripts/build-wasm.sh node >/dev/null
work=$(mktemp -d /tmp/kakou-load.XXXXXX)
port=$((4100 + RANDOM % 400))
export KAKOU_DB_URL="sqlite://$work/kakou.db?mode=rwc" KAKOU_OBJECTS="$work/objects"
target/release/kakou-web serve --addr "127.0.0.1:$port" --site-root target/site >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
KAKOU_BASE="http://127.0.0.1:$port" KAKOU_STORE_BIN=target/release/kakou-store node examples/load_upload.mjs "$clients"
