#!/usr/bin/env bash
# Builds the npm package @kakou/sdk from the kakou-wasm crate:
#
#   wasm/pkg        --target web      ES module for browsers and Web Workers (`await init()` first)
#   wasm/pkg-node   --target nodejs   CommonJS for Node (instantiated on require)
#
# with wasm-pack (--mode force: the wasm32 std comes from -Zbuild-std, not rustup) and the
# workspace's `wasm-release` profile (opt-level z, fat LTO, one codegen unit), then wasm-opt -Oz
# (npm binaryen, configured in wasm/Cargo.toml). Prints the .wasm size, raw and gzipped.
#
# Idempotent and fast when nothing changed: cargo's own no-op build decides, and a package whose
# stamp (hash of the raw wasm, this script and the tool versions) matches is left as it is.
#
#   scripts/build-wasm.sh            both packages
#   scripts/build-wasm.sh web        only wasm/pkg (or: node)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh

targets=("${@:-web node}")
read -r -a targets <<<"${targets[*]}"
# KAKOU_WASM_PROFILE=wasm-test (scripts/test.sh): a quicker build without wasm-opt, for tests.
profile=${KAKOU_WASM_PROFILE:-wasm-release}
raw=target/wasm/wasm32-unknown-unknown/$profile/kakou_wasm.wasm
log() { printf '\033[1m[build-wasm +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }

for tool in wasm-bindgen wasm-pack; do
  command -v "$tool" >/dev/null || { log "$tool missing: run scripts/setup.sh"; exit 1; }
done
[ -x tools/node/node_modules/.bin/wasm-opt ] || { log "wasm-opt missing: run scripts/setup.sh"; exit 1; }
have=$(wasm-bindgen --version | awk '{print $2}')
[ "$have" = "$WASM_BINDGEN_VERSION" ] || { log "wasm-bindgen $have found, $WASM_BINDGEN_VERSION needed: run scripts/setup.sh"; exit 1; }

# 1. The raw module (a no-op in about a second when nothing changed).
with_wasm_env cargo build -q --lib --target wasm32-unknown-unknown -p kakou-wasm --profile "$profile"

stamp=$( { echo "$profile"; sha256sum "$raw" "$0" wasm/README.md | awk '{print $1}'; wasm-pack --version; wasm-bindgen --version;
           tools/node/node_modules/.bin/wasm-opt --version; } | sha256sum | awk '{print $1}')

# wasm-opt -Oz (what wasm-pack would run), reusing the result when the input is byte-identical
# to the one optimized last.
opt_in=target/wasm/kakou_bg.bindgen.wasm
opt_out=target/wasm/kakou_bg.opt.wasm
optimize() {
  if [ "$profile" != wasm-release ]; then
    return
  elif [ -f "$opt_out" ] && cmp -s "$1" "$opt_in"; then
    log "wasm-opt: same module as the last target, reusing its output"
  else
    cp "$1" "$opt_in"
    tools/node/node_modules/.bin/wasm-opt -Oz "$opt_in" -o "$opt_out.tmp"
    mv "$opt_out.tmp" "$opt_out"
  fi
  cp "$opt_out" "$1"
}

# 2. One package per target.
for t in "${targets[@]}"; do
  case "$t" in
    web) out=pkg; wp_target=web ;;
    node) out=pkg-node; wp_target=nodejs ;;
    *) log "unknown target '$t' (web, node)"; exit 2 ;;
  esac
  dir=wasm/$out
  if [ -f "$dir/.build-stamp" ] && [ "$(cat "$dir/.build-stamp")" = "$stamp" ] && [ -f "$dir/kakou_bg.wasm" ]; then
    log "$dir is up to date"
  else
    log "wasm-pack build --target $wp_target → $dir"
    rm -rf "$dir"
    # wasm-pack runs cargo build again (a no-op now) and wasm-bindgen; wasm-opt -Oz runs below,
    # once: the module wasm-bindgen writes is the same for both targets (only the JS differs),
    # and optimizing it takes minutes on a 2-core machine.
    with_wasm_env wasm-pack --log-level warn build --mode force --target "$wp_target" --profile "$profile" \
      --out-dir "$out" --out-name kakou --no-gitignore --no-opt wasm
    optimize "$dir/kakou_bg.wasm"
    # The npm name is @kakou/sdk whatever the crate is called; same version as the crates.
    node -e '
      const fs = require("fs"), p = process.argv[1] + "/package.json";
      const j = JSON.parse(fs.readFileSync(p, "utf8"));
      j.name = "@kakou/sdk";
      j.description = "Kakou: DICOM de-identification (PS3.15 Annex E, Japanese presets) in the browser, Web Workers and Node. Same key and input, byte-identical output to the native CLI.";
      j.keywords = ["dicom", "de-identification", "anonymization", "pseudonymization", "wasm"];
      j.files = [...new Set([...(j.files || []), "README.md"])];
      fs.writeFileSync(p, JSON.stringify(j, null, 2) + "\n");
    ' "$dir"
    echo "$stamp" > "$dir/.build-stamp"
  fi
  wasm_file=$dir/kakou_bg.wasm
  raw_size=$(stat -c %s "$wasm_file")
  gz_size=$(gzip -9 -c "$wasm_file" | wc -c)
  awk -v f="$wasm_file" -v r="$raw_size" -v g="$gz_size" \
    'BEGIN { printf "%s: %d bytes (%.0f KiB), gzip -9: %d bytes (%.0f KiB)\n", f, r, r / 1024, g, g / 1024 }'
done
