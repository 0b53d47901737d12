#!/usr/bin/env bash
# The main job on bundled sample data: builds the kakou CLI, creates a project key on first run
# (in $KAKOU_CACHE, default ~/.cache/kakou), de-identifies examples/sample-dicom with the
# 匿名加工 preset, and prints the processing report. Works on a fresh machine: it needs only the
# Rust toolchain the machine has (run scripts/setup.sh for everything the full test suite needs).
#
# usage: scripts/run.sh [PRESET]   (basic | jp-pseudonymized | jp-anonymized; default jp-anonymized)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
preset=${1:-jp-anonymized}

cargo build --release -q -p kakou-cli
kakou=${CARGO_TARGET_DIR:-target}/release/kakou
mkdir -p "$KAKOU_CACHE"
key=$KAKOU_CACHE/sample-project.key
[ -f "$key" ] || "$kakou" keygen "$key"

out=$(mktemp -d "${TMPDIR:-/tmp}/kakou-sample.XXXXXX")/out
"$kakou" dicom examples/sample-dicom "$out" --key "$key" --preset "$preset"
echo
echo "--- one file's report (every attribute action, no original values):"
python3 - "$out/report.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("outcome") == "deidentified":
        print("%s: %s, patient pseudonym %s" % (r["file"], r["outcome"], r["patient_pseudonym"]))
        for a in r["actions"]:
            print("  %-40s %-15s %s" % (a["path"], a["action"], a["rule"]))
        break
PY
echo
echo "outputs: $out/release (safe to release), $out/quarantine (needs review), $out/report.jsonl"
