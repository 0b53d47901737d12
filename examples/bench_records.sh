#!/usr/bin/env bash
# Benchmark (not a test): `kakou records pseudonymize` on a generated 1 M-row CSV against a
# pandas baseline doing the same pseudonymization, in the same run, alternating peers.
#
# usage: examples/bench_records.sh      env: ROWS=1000000 PATIENTS=100000 R=3 NOTES=0 KAKOU=
#
#   NOTES=1 adds a free-text column 所見 (the row's patient name and phone, a date, an age) that
#   kakou redacts with the row's identifiers as hints; pandas passes it through (no peer
#   redacts Japanese free text), so that ratio is not like for like. KAKOU=path measures another
#   kakou binary (e.g. an earlier build, for before/after) instead of building this tree.
#
#   * generates ROWS rows of a hospital-style export (UTF-8): 患者ID (PATIENTS distinct IDs),
#     氏名, 電話番号, マイナンバー, 生年月日, 受診日, 体重, 血圧, 病名,
#   * builds the release CLI and makes a throw-away key,
#   * runs R rounds of each peer (order alternating), measuring wall time and peak RSS with GNU time,
#   * prints the medians, rows/s, and the throughput ratio kakou / pandas.
#
# Peers (same work: keyed HMAC-SHA-256 pseudonym of the patient ID, three identifier columns
# dropped, everything else written back as CSV):
#   kakou   `kakou records pseudonymize IN OUT --key KEY --policy P -q` (streaming, one thread)
#   pandas  pandas.read_csv(dtype=str) + hmac/hashlib over the unique IDs + drop + to_csv
#           (the usual research-IT script); needs pandas in $KAKOU_VENV (pip install pandas).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/env.sh
source "$HERE/../scripts/env.sh"
cd "$KAKOU_ROOT"

ROWS=${ROWS:-1000000}
PATIENTS=${PATIENTS:-100000}
R=${R:-3}
NOTES=${NOTES:-0}
PY=${KAKOU_VENV}/bin/python
WORK=$(mktemp -d "${KAKOU_CACHE:-/tmp}/bench-records.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

if [[ -z "${KAKOU:-}" ]]; then
  cargo build --release -q -p kakou-cli
  KAKOU=$KAKOU_ROOT/target/release/kakou
fi
"$KAKOU" keygen "$WORK/project.key" 2>/dev/null

"$PY" - "$WORK/in.csv" "$ROWS" "$PATIENTS" "$NOTES" <<'EOF'
import sys
path, rows, patients, notes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
sick = ["高血圧症", "2型糖尿病", "脂質異常症", "気管支喘息", "慢性胃炎", "腰痛症"]
family = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村"]
given = ["太郎", "花子", "一郎", "美咲", "健太", "直子", "翔", "陽子"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("患者ID,氏名,電話番号,マイナンバー,生年月日,受診日,体重,血圧,病名" + (",所見" if notes else "") + "\n")
    for i in range(rows):
        p = (i * 7919) % patients
        name = f"{family[p % 8]} {given[p // 8 % 8]}"
        phone = f"090-{p % 10000:04d}-{i % 10000:04d}"
        f.write(f"P{p:08d},{name},{phone},{100000000000 + p},"
                f"19{p % 90 + 10}/{p % 12 + 1:02d}/{p % 28 + 1:02d},2024/{i % 12 + 1:02d}/{i % 28 + 1:02d},"
                f"{40 + i % 60}.{i % 10},{100 + i % 60}/{60 + i % 30},{sick[i % len(sick)]}")
        if notes:
            f.write(f",{name.split()[0]}さん {40 + p % 50}歳、2024/{i % 12 + 1:02d}/{i % 28 + 1:02d}受診。"
                    f"連絡先 {phone}。{sick[i % len(sick)]}は安定、内服継続")
        f.write("\n")
EOF
cat > "$WORK/policy.json" <<'EOF'
{"columns": {"患者ID": "patient-id", "氏名": "direct-identifier", "電話番号": "direct-identifier",
             "マイナンバー": "individual-code", "生年月日": "birth-date", "受診日": "date",
             "体重": "sensitive", "血圧": "sensitive", "病名": "sensitive", "所見": "free-text"}}
EOF
cat > "$WORK/pandas_peer.py" <<'EOF'
import hashlib, hmac, sys
import pandas as pd
src, dst, keyfile = sys.argv[1:4]
key = bytes.fromhex([l for l in open(keyfile) if not l.startswith("#")][0].strip())
df = pd.read_csv(src, dtype=str, keep_default_na=False)
ids = df["患者ID"].unique()
pseud = {v: "KK" + hmac.new(key, v.encode(), hashlib.sha256).hexdigest()[:14] for v in ids}
df["患者ID"] = df["患者ID"].map(pseud)
df = df.drop(columns=["氏名", "電話番号", "マイナンバー"])
df.to_csv(dst, index=False)
EOF

SIZE=$(stat -c %s "$WORK/in.csv")
echo "input: $ROWS rows, $PATIENTS patients, $((SIZE / 1000000)) MB"
declare -A WALL RSS CPU
measure() { # name, command… → appends wall, peak RSS (kB), user+sys CPU
  local name=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
  WALL[$name]+="$(cut -d' ' -f1 "$WORK/time") "
  RSS[$name]+="$(cut -d' ' -f2 "$WORK/time") "
  CPU[$name]+="$(awk '{print $3 + $4}' "$WORK/time") "
}
for round in $(seq 1 "$R"); do
  peers=(kakou pandas); ((round % 2 == 0)) && peers=(pandas kakou)
  for p in "${peers[@]}"; do
    rm -rf "$WORK/out" "$WORK/pandas.csv"
    case $p in
      kakou) measure kakou "$KAKOU" records pseudonymize "$WORK/in.csv" "$WORK/out" --key "$WORK/project.key" \
               --policy "$WORK/policy.json" -q -j 1 ;;
      pandas) measure pandas "$PY" "$WORK/pandas_peer.py" "$WORK/in.csv" "$WORK/pandas.csv" "$WORK/project.key" ;;
    esac
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
kw=$(echo "${WALL[kakou]}" | median); pw=$(echo "${WALL[pandas]}" | median)
kr=$(echo "${RSS[kakou]}" | median); pr=$(echo "${RSS[pandas]}" | median)
kc=$(echo "${CPU[kakou]}" | median); pc=$(echo "${CPU[pandas]}" | median)
echo
echo "| peer | median wall (s) | rows/s | MB/s | CPU user+sys (s) | peak RSS (MB) |"
echo "|---|---|---|---|---|---|"
awk -v r="$ROWS" -v s="$SIZE" -v w="$kw" -v c="$kc" -v m="$kr" 'BEGIN {printf "| kakou records | %.2f | %.0f | %.1f | %.2f | %.0f |\n", w, r/w, s/1e6/w, c, m/1024}'
awk -v r="$ROWS" -v s="$SIZE" -v w="$pw" -v c="$pc" -v m="$pr" 'BEGIN {printf "| pandas + hmac | %.2f | %.0f | %.1f | %.2f | %.0f |\n", w, r/w, s/1e6/w, c, m/1024}'
awk -v k="$kw" -v p="$pw" -v kc="$kc" -v pc="$pc" 'BEGIN {printf "\nratio kakou / pandas: %.2fx throughput (wall), %.2fx less CPU (rounds: %s)\n", p/k, pc/kc, '"$R"'}'
