# Sourced by the project's scripts: one place for tool versions and paths.
# The wasm build uses Debian's rustc 1.96 with std built from source (rustup cannot fetch the
# wasm32 std here); the native build uses rustup's stable. See docs/toolchain.md.
KAKOU_ROOT=${KAKOU_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export WASM_BINDGEN_VERSION=0.2.130
export WASM_PACK_VERSION=0.15.1
export KAKOU_CACHE=${KAKOU_CACHE:-$HOME/.cache/kakou}
export KAKOU_VENV=${KAKOU_VENV:-$KAKOU_CACHE/venv}
export KAKOU_S3_VENV=${KAKOU_S3_VENV:-$KAKOU_CACHE/s3-venv}
export KAKOU_CORPUS=${KAKOU_CORPUS:-$KAKOU_CACHE/corpus}
export KAKOU_SHARED=${KAKOU_SHARED:-$(cd "$KAKOU_ROOT/.." && pwd)/shared}
export KAKOU_WASM_SHIM=$HOME/.local/wasm-tc/bin
export PATH="$HOME/.cargo/bin:$PATH"

# Run a command with the wasm toolchain environment (Debian rustc + build-std + wasm-ld).
with_wasm_env() {
  PATH="$KAKOU_WASM_SHIM:$KAKOU_ROOT/tools/node/node_modules/.bin:$PATH" \
  RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  CHROMEDRIVER=/usr/bin/chromedriver \
  CARGO_TARGET_DIR="$KAKOU_ROOT/target/wasm" \
  "$@"
}
