#!/usr/bin/env bash
# Free-text redaction throughput, native and wasm (Node), in one run on the dev notes × ROUNDS.
# Prints wall-clock and CPU-time rates and the wasm/native ratio of CPU-time rates (fair on a
# shared machine).
# usage: examples/bench_text.sh [ROUNDS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
rounds=${1:-20}
cargo build -q --release -p kakou-cli
bash scripts/build-wasm.sh node >/dev/null
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do cat "$KAKOU_SHARED/data/text-dev/notes.jsonl"; done > "$tmp/notes.jsonl"
chars=$(python3 -c 'import json,sys; print(sum(len(json.loads(l)["text"]) for l in open(sys.argv[1])))' "$tmp/notes.jsonl")
native=$(python3 - "$tmp/notes.jsonl" "$chars" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(["target/release/kakou", "text", "--jsonl", sys.argv[1]], stdout=subprocess.DEVNULL, check=True)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime
n = int(sys.argv[2])
print(f"native (kakou text, 1 thread, incl. JSON I/O): {n} chars in {wall:.2f} s = {n/wall/1e6:.2f} M chars/s; CPU {cpu:.2f} s = {n/cpu/1e6:.2f} M chars/CPU-s")
PY
)
echo "$native"
wasm=$(node examples/bench_text.mjs "$KAKOU_SHARED/data/text-dev/notes.jsonl" "$rounds")
echo "$wasm"
n=$(echo "$native" | sed -E 's/.* = ([0-9.]+) M chars\/CPU-s/\1/')
w=$(echo "$wasm" | sed -E 's/.* = ([0-9.]+) M chars\/CPU-s/\1/')
python3 -c "print(f'wasm / native (CPU time): {$w/$n:.2f}x')"
