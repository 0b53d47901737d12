#!/usr/bin/env bash
# The code gates: rustfmt and clippy (warnings are errors) over every crate, with kakou-web's
# server side. Run before committing. Not part of scripts/test.sh: clippy's check build shares
# nothing with the test build, and on a 2-core CI machine it cost ~8 of the 40-minute budget.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh
cargo fmt --check --all
cargo clippy -q --workspace --features kakou-web/ssr --all-targets -- -D warnings
echo "lint: clean"
