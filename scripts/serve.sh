#!/usr/bin/env bash
# Builds the web app (scripts/build-web.sh --release) and serves it with embedded defaults:
# a SQLite file and a package folder under ./kakou-data, created on first run. The first run
# prints a one-time link for the first admin. Extra arguments go to `kakou-web serve`
# (see `target/release/kakou-web serve --help`: --addr, --db postgres://…, --objects, …).
# Needs scripts/setup.sh's toolchain (the wasm build); run that first on a fresh machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build-web.sh --release
exec target/release/kakou-web serve --site-root target/site "$@"
