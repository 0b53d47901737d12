#!/usr/bin/env bash
# Builds the web app into target/site (what `kakou-web serve --site-root target/site` serves):
#
#   target/site/pkg     the Leptos hydration module (kakou-web, feature hydrate; Debian rustc +
#                       build-std, wasm-bindgen --target web, wasm-opt -Oz from npm binaryen)
#   target/site/sdk     the SDK's browser package (wasm/pkg, scripts/build-wasm.sh web), which the
#                       upload page runs in a Web Worker
#   target/site/assets  web/app/assets (page scripts, the worker, CSS)
#
# and the server binary (target/debug/kakou-web, or target/release with --release).
# Idempotent: cargo decides what to rebuild; a no-op run takes a few seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
log() { printf '\033[1m[build-web +%ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }

server_profile=dev
case "${1:-}" in
  --release) server_profile=release ;;
  --no-server) server_profile=none ;; # scripts/test-web.sh: the test build makes the binaries
  "") ;;
  *) echo "usage: $0 [--release|--no-server]" >&2; exit 2 ;;
esac
client_profile=${KAKOU_WEB_CLIENT_PROFILE:-wasm-release}
site=target/site
mkdir -p "$site/pkg" "$site/sdk" "$site/assets"

log "client (hydrate, $client_profile)"
with_wasm_env cargo build -q --lib --target wasm32-unknown-unknown --profile "$client_profile" \
  -p kakou-web --no-default-features --features hydrate
raw=target/wasm/wasm32-unknown-unknown/$client_profile/kakou_web.wasm
stamp=$(sha256sum "$raw" | awk '{print $1}')
if [ "$(cat "$site/pkg/.stamp" 2>/dev/null)" != "$stamp" ]; then
  wasm-bindgen --target web --no-typescript --out-dir "$site/pkg" --out-name kakou_web "$raw"
  if [ "$client_profile" = wasm-release ]; then
    tools/node/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$site/pkg/kakou_web_bg.wasm" -o "$site/pkg/kakou_web_bg.wasm"
  fi
  echo "$stamp" >"$site/pkg/.stamp"
fi
log "client: $(du -k "$site/pkg/kakou_web_bg.wasm" | awk '{print $1}') KB, $(gzip -9c "$site/pkg/kakou_web_bg.wasm" | wc -c | awk '{printf "%d KB gzip", $1/1024}')"

log "SDK browser package"
bash scripts/build-wasm.sh web
cp -u wasm/pkg/kakou.js wasm/pkg/kakou_bg.wasm "$site/sdk/"
cp -u web/app/assets/* "$site/assets/"

log "server ($server_profile)"
if [ "$server_profile" = none ]; then
  :
elif [ "$server_profile" = release ]; then
  cargo build -q --release -p kakou-web --features ssr --bin kakou-web -p kakou-store --bin kakou-store
else
  cargo build -q -p kakou-web --features ssr --bin kakou-web -p kakou-store --bin kakou-store
fi
log "done: $site"
