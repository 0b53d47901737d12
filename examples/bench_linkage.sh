#!/usr/bin/env bash
# Linkage benchmark: FEBRL4 × SCALE (default 10: 50,000 × 50,000) linked by Kakou (tokens +
# match, from encodings only), Splink (raw fields, DuckDB) and anonlink (CLKs from clkhash,
# greedy 1:1 solver), in the same run on this machine; F1 by ../shared/eval/linkage/score_clusters.py.
# Installs splink, anonlink, clkhash and recordlinkage into $KAKOU_CACHE/linkage-venv on demand.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
scale=${1:-10}
cache=${KAKOU_CACHE:-$HOME/.cache/kakou}
venv="$cache/linkage-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import splink, anonlink, clkhash, recordlinkage" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q recordlinkage splink anonlink clkhash
fi
py="$venv/bin/python"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build -q --release -p kakou-cli
kakou=target/release/kakou
"$py" examples/linkage/febrl4.py "$work" --scale "$scale"
printf '%064x\n' 0 | sed 's/0$/1/' > "$work/linkage.key"
score() { python3 ../shared/eval/linkage/score_clusters.py "$work/truth.csv" "$1" | tail -1; }
now() { date +%s.%N; }

t0=$(now)
for s in febrl_a febrl_b; do
  "$kakou" link tokens "$work/$s.csv" "$work/$s.tok.csv" --key "$work/linkage.key" \
    --mapping-config examples/linkage/mapping-febrl.json 2>/dev/null
done
t1=$(now)
/usr/bin/time -f "%M" -o "$work/kakou.rss" "$kakou" link match "$work/febrl_a.tok.csv" "$work/febrl_b.tok.csv" --out "$work/kakou.csv" 2>/dev/null
t2=$(now)
kakou_tokens=$(echo "$t1 - $t0" | bc); kakou_match=$(echo "$t2 - $t1" | bc)
echo "kakou: tokens ${kakou_tokens}s (both files), match ${kakou_match}s, peak RSS $(( $(cat "$work/kakou.rss") / 1024 )) MB; $(score "$work/kakou.csv")"

"$py" examples/linkage/peers.py splink "$work" > "$work/splink.log"
echo "splink: $(tail -1 "$work/splink.log"); $(score "$work/splink.csv")"
"$py" examples/linkage/peers.py anonlink "$work" > "$work/anonlink.log"
echo "anonlink: $(tail -1 "$work/anonlink.log"); $(score "$work/anonlink.csv")"
