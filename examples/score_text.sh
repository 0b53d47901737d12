#!/usr/bin/env bash
# Scores `kakou text` on the annotated dev notes with the independent scorer, per language.
# usage: examples/score_text.sh [GOLD=../shared/data/text-dev/notes.jsonl] [extra score.py args]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
gold=${1:-$KAKOU_SHARED/data/text-dev/notes.jsonl}
shift || true
cargo build -q --release -p kakou-cli
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for lang in ja en; do
  python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["lang"] == sys.argv[2]: print(json.dumps(d, ensure_ascii=False))' "$gold" "$lang" > "$tmp/gold-$lang.jsonl"
  start=$(date +%s.%N)
  target/release/kakou text --jsonl "$tmp/gold-$lang.jsonl" > "$tmp/pred-$lang.jsonl"
  end=$(date +%s.%N)
  chars=$(python3 -c 'import json,sys; print(sum(len(json.loads(l)["text"]) for l in open(sys.argv[1])))' "$tmp/gold-$lang.jsonl")
  echo "== $lang: $chars chars in $(python3 -c "print(f'{$end-$start:.3f}')") s (process start included)"
  python3 "$KAKOU_SHARED/eval/text/score.py" "$tmp/gold-$lang.jsonl" "$tmp/pred-$lang.jsonl" "$@"
done
