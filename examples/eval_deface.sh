#!/usr/bin/env bash
# Defacing evaluation on real heads (issue 6): builds the series with ../shared/eval/deface/make_series.py
# (cached in ~/.cache/kakou/deface), defaces each with the release `kakou deface`, and judges it with
# score.py (11 rendered views, two face detectors, brain preserved, face shell altered) and
# validity_check.sh (dciodvfy). Installs what it needs first (scripts/setup-deface.sh).
# Takes 30–60 minutes on 2 cores; not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-deface.sh
exec cargo run -q --release -p kakou-tests --example eval_deface
