#!/usr/bin/env bash
# Free-text redaction throughput, native and wasm (Node), in one run on the dev notes × ROUNDS.
# usage: examples/bench_text.sh [ROUNDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
rounds=${1:-20}
cargo build -q --release -p kakou-cli
bash scripts/build-wasm.sh >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do cat "$KAKOU_SHARED/data/text-dev/notes.jsonl"; done > "$tmp/notes.jsonl"
chars=$(python3 -c 'import json,sys; print(sum(len(json.loads(l)["text"]) for l in open(sys.argv[1])))' "$tmp/notes.jsonl")
start=$(date +%s.%N); target/release/kakou text --jsonl "$tmp/notes.jsonl" > /dev/null; end=$(date +%s.%N)
python3 -c "s=$end-$start; print(f'native (kakou text, 1 thread, incl. JSON I/O): $chars chars in {s:.2f} s = {$chars/s/1e6:.2f} M chars/s')"
node examples/bench_text.mjs "$KAKOU_SHARED/data/text-dev/notes.jsonl" "$rounds"
