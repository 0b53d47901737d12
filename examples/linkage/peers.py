#!/usr/bin/env python3
"""Peers for examples/bench_linkage.sh: link DIR/febrl_a.csv and febrl_b.csv, write DIR/<peer>.csv
(source,record_id,cluster_id) and print the time and peak memory as the last line.

usage: peers.py splink|anonlink DIR
"""
import csv, resource, sys, time

def write_clusters(path, a_ids, b_ids, pairs):
    cluster = {}
    for i, (x, y) in enumerate(pairs):
        cluster[("febrl_a", x)] = cluster[("febrl_b", y)] = f"L{i}"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["source", "record_id", "cluster_id"])
        for src, ids in (("febrl_a", a_ids), ("febrl_b", b_ids)):
            for r in ids:
                w.writerow([src, r, cluster.get((src, r), f"{src}:{r}")])

def splink(d):
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI
    a = pd.read_csv(f"{d}/febrl_a.csv", dtype=str).fillna("").rename(columns={"rec_id": "unique_id"})
    b = pd.read_csv(f"{d}/febrl_b.csv", dtype=str).fillna("").rename(columns={"rec_id": "unique_id"})
    for df in (a, b):
        df.replace("", None, inplace=True)
    start = time.time()
    settings = SettingsCreator(
        link_type="link_only",
        blocking_rules_to_generate_predictions=[block_on("given_name", "surname"), block_on("date_of_birth"),
                                                block_on("soc_sec_id"), block_on("postcode", "surname")],
        comparisons=[cl.JaroWinklerAtThresholds("given_name"), cl.JaroWinklerAtThresholds("surname"),
                     cl.DamerauLevenshteinAtThresholds("date_of_birth"), cl.DamerauLevenshteinAtThresholds("soc_sec_id"),
                     cl.ExactMatch("postcode"), cl.JaroWinklerAtThresholds("address_1"), cl.ExactMatch("suburb")],
    )
    db = DuckDBAPI()
    tables = [db.register(a, dataset_display_name="febrl_a"), db.register(b, dataset_display_name="febrl_b")]
    linker = Linker(tables, settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    pred = pred.sort_values("match_probability", ascending=False)
    used_a, used_b, pairs = set(), set(), []
    for x, y in zip(pred["unique_id_l"], pred["unique_id_r"]):
        if x not in used_a and y not in used_b:
            used_a.add(x); used_b.add(y); pairs.append((x, y))
    took = time.time() - start
    write_clusters(f"{d}/splink.csv", a["unique_id"], b["unique_id"], pairs)
    return took

def anonlink(d):
    import anonlink as al
    from clkhash import clk
    from clkhash.field_formats import FieldHashingProperties, StringSpec
    from clkhash.schema import Schema
    from clkhash.comparators import NgramComparison
    from bitarray import bitarray
    fields = ["rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
              "state", "date_of_birth", "soc_sec_id"]
    specs = [StringSpec(identifier=f, hashing_properties=FieldHashingProperties(
        comparator=NgramComparison(2), strategy=__import__("clkhash").field_formats.BitsPerFeatureStrategy(0 if f == "rec_id" else 30)))
        for f in fields]
    schema = Schema(specs, 1024)
    rows = {}
    for name in ("febrl_a", "febrl_b"):
        with open(f"{d}/{name}.csv", newline="") as f:
            rows[name] = [r for r in csv.reader(f)][1:]
    start = time.time()
    enc = {n: clk.generate_clks(rows[n], schema, "secret") for n in rows}
    cands = al.candidate_generation.find_candidate_pairs([enc["febrl_a"], enc["febrl_b"]], al.similarities.dice_coefficient, 0.8)
    groups = al.solving.greedy_solve(cands)
    took = time.time() - start
    pairs = []
    for g in groups:
        if len(g) == 2:
            (sa, ia), (sb, ib) = sorted(g)
            pairs.append((rows["febrl_a"][ia][0], rows["febrl_b"][ib][0]))
    write_clusters(f"{d}/anonlink.csv", [r[0] for r in rows["febrl_a"]], [r[0] for r in rows["febrl_b"]], pairs)
    return took

if __name__ == "__main__":
    peer, d = sys.argv[1], sys.argv[2]
    took = {"splink": splink, "anonlink": anonlink}[peer](d)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{took:.1f}s, peak RSS {rss} MB")
