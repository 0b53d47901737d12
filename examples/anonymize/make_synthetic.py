#!/usr/bin/env python3
"""A large synthetic table shaped like Adult, for the scale benchmark.

  make_synthetic.py ADULT_DIR ROWS OUT.csv [SEED]

Rows are Adult records drawn with replacement (so the columns keep their correlations) with
age moved by a uniform −3..+3 years (kept within 17..90), so the table has many more distinct
combinations than Adult itself. Deterministic for a given seed.
"""
import sys

import numpy as np
import pandas as pd

adult_dir, rows, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 1
rng = np.random.default_rng(seed)
data = pd.read_csv(f"{adult_dir}/adult.csv", sep=";", dtype=str, keep_default_na=False)
sample = data.iloc[rng.integers(0, len(data), rows)].reset_index(drop=True)
age = sample["age"].astype(int) + rng.integers(-3, 4, rows)
sample["age"] = age.clip(17, 90).astype(str)
sample.to_csv(out, sep=";", index=False)
print(f"wrote {rows} rows to {out}")
