#!/usr/bin/env python3
"""Peer run for examples/bench_anonymize.sh: anjana's k-anonymity on Adult with ARX's hierarchies.

  anjana_peer.py ADULT_DIR K SUPP_PERCENT OUT.csv

Prints one line: `anjana k=.. seconds=.. precision=.. suppressed=..` where precision is ARX's
Precision metric computed from anjana's chosen levels and suppressed records (the same formula
Kakou reports; docs/anonymization.md).
"""
import sys
import time

import pandas as pd
from anjana.anonymity import _k_anonymity as ka

QI = ["age", "education", "marital-status", "native-country", "race", "salary-class", "sex", "workclass"]

adult_dir, k, supp, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
data = pd.read_csv(f"{adult_dir}/adult.csv", sep=";", dtype=str, keep_default_na=False)
hierarchies, heights = {}, {}
for c in QI:
    h = pd.read_csv(f"{adult_dir}/adult_hierarchy_{c}.csv", sep=";", header=None, dtype=str, keep_default_na=False)
    hierarchies[c] = {i: h[i].values for i in range(h.shape[1])}
    heights[c] = h.shape[1] - 1
n = len(data)
t0 = time.perf_counter()
anon, supp_records, levels = ka.k_anonymity_inner(data, [], QI, k, supp, hierarchies)
seconds = time.perf_counter() - t0
s = supp_records / n
precision = sum(((1 - s) * levels.get(c, 0) / heights[c] + s) for c in QI) / len(QI)
# anjana drops suppressed rows; check_k.py counts them with --n-original.
anon.to_csv(out, sep=";", index=False)
print(f"anjana k={k} seconds={seconds:.3f} precision={precision:.4f} suppressed={s:.4f} levels={levels}")
