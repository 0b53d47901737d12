#!/usr/bin/env bash
# Benchmark (not a test): `kakou dicom` against `cp -r` and gdcmanon on the same 2,000-file bulk
# DICOM workload, in the same run, alternating peers.
#
# usage: examples/bench_dicom.sh     env: R=3 rounds, BENCH_WASM=auto|0, BULK_N=2000,
#                                        BENCH_TMP=$KAKOU_CACHE/bench-tmp, KEEP_RAW=FILE (raw TSV copy)
#
#   * materialises the bulk workload once into $KAKOU_CACHE/bulk (shared/eval/dicom/make_bulk.sh;
#     skipped when $KAKOU_CACHE/bulk.manifest.tsv is present),
#   * builds the release CLI and makes a throw-away key,
#   * runs one warm-up pass of each peer (page cache cannot be dropped here), then R rounds; the
#     order of peers rotates by one every round, so that each peer also runs first once,
#   * measures wall, user+sys CPU and peak RSS with GNU time, and prints a markdown table of the
#     medians, the throughput ratios kakou/gdcmanon and kakou/cp, and kakou's peak RSS.
#
# Peers:
#   cp        `cp -r BULK OUT`
#   gdcmanon  `gdcmanon -e -p PASS -r --continue -i BULK -o OUT`: one process over the whole tree,
#             PS3.15 E.1.1 Basic Application Level Confidentiality Profile (-e). gdcmanon's -e
#             mode encrypts the original attributes into an Encrypted Attributes Sequence and needs
#             either an X.509 certificate (-c) or a password (-p); the password (CMS PBE) mode
#             is the one that needs no certificate. (--dumb only applies --empty/--remove/... lists
#             given by hand and is not a profile.)
#   kakou     `kakou dicom BULK OUT --key KEY -q` (default preset basic, default threads)
#   wasm      optional: `node tests/wasm/bench-browser.mjs BULK` when that script and wasm/pkg exist
#
# Input bytes = sum of the bulk files' sizes; MB = 10^6 bytes. Throughput ratio = inverse ratio of
# median wall times. KEEP_RAW=FILE keeps the raw per-run rows (TSV); the run folder is deleted.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/env.sh
source "$HERE/../scripts/env.sh"
cd "$KAKOU_ROOT"

R=${R:-3}
BULK_N=${BULK_N:-2000}
BULK=$KAKOU_CACHE/bulk
# outputs on the same disk as the input (/tmp may be a different file system on other machines)
BENCH_TMP=${BENCH_TMP:-$KAKOU_CACHE/bench-tmp}
GDCM_PASS=kakou-bench-not-a-secret

say() { printf '== %s\n' "$*" >&2; }

# --- GNU time ---------------------------------------------------------------------------------
if ! /usr/bin/time -f %e true >/dev/null 2>&1; then
  say "installing GNU time (Debian package 'time')"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -q time >/dev/null || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q time >/dev/null; }
fi
command -v gdcmanon >/dev/null || { echo "gdcmanon not found (Debian: libgdcm-tools)" >&2; exit 1; }

# --- workload ---------------------------------------------------------------------------------
if [ -f "$BULK.manifest.tsv" ] && [ -d "$BULK" ]; then
  say "bulk workload present: $BULK"
else
  say "building the bulk workload ($BULK_N files) into $BULK (once)"
  rm -rf "$BULK.partial" "$BULK.partial.manifest.tsv"
  VENV=$KAKOU_VENV bash "$KAKOU_SHARED/eval/dicom/make_bulk.sh" "$KAKOU_CORPUS" "$BULK.partial" "$BULK_N" >&2
  mv "$BULK.partial" "$BULK"
  mv "$BULK.partial.manifest.tsv" "$BULK.manifest.tsv"
fi
REV=$(git -C "$KAKOU_ROOT" describe --always --dirty 2>/dev/null || echo unknown)
IN_FILES=$(find "$BULK" -type f | wc -l)
IN_BYTES=$(find "$BULK" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d", s}')
say "input: $IN_FILES files, $IN_BYTES bytes"

# --- kakou ------------------------------------------------------------------------------------
say "building the release CLI"
cargo build --release -q -p kakou-cli
KAKOU=$KAKOU_ROOT/target/release/kakou
mkdir -p "$BENCH_TMP"
WORK=$(mktemp -d "$BENCH_TMP/run.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$KAKOU" keygen "$WORK/bench.key" >/dev/null 2>&1

PEERS=(cp gdcmanon kakou)
WASM_SCRIPT=$KAKOU_ROOT/tests/wasm/bench-browser.mjs
if [ "${BENCH_WASM:-auto}" = 0 ]; then
  say "wasm peer skipped (BENCH_WASM=0)"
elif [ -f "$WASM_SCRIPT" ] && [ -d "$KAKOU_ROOT/wasm/pkg" ]; then
  PEERS+=(wasm)
else
  say "wasm peer skipped (needs tests/wasm/bench-browser.mjs and a built wasm/pkg)"
fi

run_peer() { # peer out
  local out=$2
  case $1 in
    cp) cp -r "$BULK" "$out" ;;
    gdcmanon) mkdir -p "$out" && gdcmanon -e -p "$GDCM_PASS" -r --continue -i "$BULK" -o "$out" ;;
    kakou) "$KAKOU" dicom "$BULK" "$out" --key "$WORK/bench.key" -q ;;
    wasm) mkdir -p "$out" && node "$WASM_SCRIPT" "$BULK" --key "$WORK/bench.key" >"$out/wasm.log" ;;
  esac
}

export BULK KAKOU WORK GDCM_PASS WASM_SCRIPT
export -f run_peer

count_out() { # peer out
  case $1 in
    kakou) find "$2/release" "$2/quarantine" -type f 2>/dev/null | wc -l ;;
    # the page discards its outputs: count the files it reports as de-identified or quarantined
    wasm) sed -n 's/^outcomes: //p' "$2/wasm.log" | tr ' ' '\n' |
            awk -F= '$1 == "deidentified" || $1 == "quarantined" {n += $2} END {print n + 0}' ;;
    *) find "$2" -type f | wc -l ;;
  esac
}

RAW=$WORK/bench_runs.tsv
printf 'peer\tround\twall_s\tuser_s\tsys_s\tmaxrss_kb\tfiles_out\trc\tload1_before\n' >"$RAW"

measure() { # peer round
  local peer=$1 round=$2 out=$WORK/out-$1 rc=0 load
  rm -rf "$out"
  sync
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e\t%U\t%S\t%M' -o "$WORK/time.txt" \
    bash -c 'run_peer "$0" "$1"' "$peer" "$out" \
    >"$WORK/$peer.stdout" 2>"$WORK/$peer.stderr" || rc=$?
  local files; files=$(count_out "$peer" "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$peer" "$round" "$(tail -n1 "$WORK/time.txt")" "$files" "$rc" "$load" >>"$RAW"
  say "$(printf '%-9s round %-6s wall %6ss  files_out %s  rc %s  load %s' "$peer" "$round" \
    "$(tail -n1 "$WORK/time.txt" | cut -f1)" "$files" "$rc" "$load")"
  rm -rf "$out"
}

say "warm-up pass (not recorded in the medians)"
for p in "${PEERS[@]}"; do measure "$p" warmup; done
for ((r = 1; r <= R; r++)); do
  n=${#PEERS[@]}
  for ((i = 0; i < n; i++)); do measure "${PEERS[$(((i + r - 1) % n))]}" "$r"; done
done
[ -n "${KEEP_RAW:-}" ] && cp "$RAW" "$KEEP_RAW"

# --- table ------------------------------------------------------------------------------------
python3 - "$RAW" "$IN_FILES" "$IN_BYTES" "$R" "$REV" "$(nproc)" <<'PY'
import csv, statistics as st, sys
raw, in_files, in_bytes, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rev, ncpu = sys.argv[5], sys.argv[6]
allrows = [r for r in csv.DictReader(open(raw), delimiter="\t") if r["round"] != "warmup"]
# kakou exits 2 when some inputs could not be parsed (the batch still completed); anything else
# non-zero is a failed run and is left out of the medians
ok = lambda r: r["rc"] == "0" or (r["peer"] == "kakou" and r["rc"] == "2")
rows = [r for r in allrows if ok(r)]
failed = [r for r in allrows if not ok(r)]
peers = list(dict.fromkeys(r["peer"] for r in rows))
med = {}
print(f"kakou {rev}, {ncpu} CPUs. Input: {in_files} files, {in_bytes/1e6:.1f} MB; medians of {rounds} rounds "
      "(min–max wall in brackets).\n")
print("| peer | wall s | user+sys s | files/s | MB/s | files per CPU-s | peak RSS MB | files out | rc | load1 before |")
print("|---|---|---|---|---|---|---|---|---|---|")
for p in peers:
    rs = [r for r in rows if r["peer"] == p]
    wall = [float(r["wall_s"]) for r in rs]
    cpu = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
    rss = [int(r["maxrss_kb"]) / 1024 for r in rs]
    w = st.median(wall)
    med[p] = dict(wall=w, rss=max(rss), cpu=st.median(cpu))
    outs = ",".join(sorted(set(r["files_out"] for r in rs)))
    rcs = ",".join(sorted(set(r["rc"] for r in rs)))
    print(f"| {p} | {w:.2f} ({min(wall):.2f}–{max(wall):.2f}) | {st.median(cpu):.2f} | "
          f"{in_files / w:.0f} | {in_bytes / 1e6 / w:.1f} | {in_files / st.median(cpu):.0f} | {st.median(rss):.0f} | {outs} | {rcs} | "
          f"{st.median(float(r['load1_before']) for r in rs):.2f} |")
print()
for r in failed:
    print(f"- FAILED run left out: {r['peer']} round {r['round']} rc {r['rc']} ({r['wall_s']} s)")
k = med.get("kakou")
if k:
    for p, goal in (("gdcmanon", 2.0), ("cp", 0.6)):
        if p in med:
            ratio = med[p]["wall"] / k["wall"]
            print(f"- throughput kakou / {p}: **{ratio:.2f}×** (goal ≥ {goal}×: {'met' if ratio >= goal else 'NOT met'}); "
                  f"CPU time {p} / kakou: {med[p]['cpu'] / k['cpu']:.2f}×")
    print(f"- kakou peak RSS: **{k['rss']:.0f} MB** (max over rounds)")
    if "wasm" in med:
        print(f"- throughput wasm / kakou: {k['wall'] / med['wasm']['wall']:.2f}×")
PY
