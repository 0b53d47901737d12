#!/usr/bin/env bash
# Defacing speed, same run: Kakou native (plan alone and whole series), Kakou wasm in Node and in
# headless Chromium, and quickshear (PyPI; given the scorer's brain mask, so it does less work
# than Kakou, which finds the brain itself).   bash examples/bench_deface.sh [CASE/VARIANT=mr_sub01/axial]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source scripts/env.sh
series=$KAKOU_CACHE/deface/series/${1:-mr_sub01/axial}
py=$KAKOU_CACHE/deface-venv/bin/python
[ -d "$series/dicom" ] || { echo "no series at $series: run the deface test or make_series.py" >&2; exit 1; }
cargo build --release -q -p kakou-cli --example bench_deface
target/release/examples/bench_deface "$series/dicom" 3
[ -f wasm/pkg-node/kakou.js ] && node examples/bench_deface.mjs "$series/dicom" 3 || echo "wasm/pkg-node missing: bash scripts/build-wasm.sh"
[ -f wasm/pkg/kakou.js ] && node examples/bench_deface_browser.mjs "$series/dicom" 3 || echo "wasm/pkg missing: bash scripts/build-wasm.sh"
tmp=$(mktemp -d)
"$py" - "$series" "$tmp" <<'PY'
import os, sys; sys.path.insert(0, os.environ["KAKOU_SHARED"] + "/eval/deface")
import deface_lib as L, nibabel as nib, numpy as np
s = L.read_series(sys.argv[1] + "/dicom")
ras = np.diag([-1.0, -1.0, 1.0, 1.0]) @ s.affine
nib.save(nib.Nifti1Image(s.vol, ras), sys.argv[2] + "/vol.nii.gz")
m = nib.load(sys.argv[1] + "/brainmask.nii.gz")
nib.save(nib.Nifti1Image(np.asarray(m.dataobj).astype(np.uint8), ras), sys.argv[2] + "/mask.nii.gz")
PY
t0=$(date +%s.%N)
"$(dirname "$py")/quickshear" "$tmp/vol.nii.gz" "$tmp/mask.nii.gz" "$tmp/out.nii.gz" >/dev/null 2>&1
t1=$(date +%s.%N)
echo "quickshear seconds=$(echo "$t1 - $t0" | bc)"
rm -rf "$tmp"
