#!/usr/bin/env bash
# Bundles the text redactor's name and place lists into one file for the wasm package's lazy
# build (kakou-wasm without its default feature `embedded-dictionaries`): JS fetches it when it
# first needs to redact text and passes the bytes to `loadDictionaries(bytes)`.
#
#   scripts/build-dict.sh [OUT]     default OUT: target/kakou-dict.bin
#
# Format (sdk/src/text/dictionaries.rs): for each list a line `==> NAME <==`, then its lines.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/target/kakou-dict.bin}
mkdir -p "$(dirname "$out")"
{
  for name in ja_surnames ja_given ja_surname_readings ja_given_readings en_given en_surnames; do
    printf '==> %s <==\n' "$name"; cat "$root/sdk/data/names/$name.txt"
  done
  printf '==> ja_places <==\n'; cat "$root/sdk/data/places/ja_places.txt"
} >"$out"
printf '%s: %s bytes, %s gzipped\n' "$out" "$(wc -c <"$out")" "$(gzip -9c "$out" | wc -c)" >&2
