#!/usr/bin/env python3
"""From `winnowctl ingest` output and the labelled corpus: each copy's cluster against its family's
original (copies joined, by kind), and whether any cluster holds two families or an unrelated document.
With --db, each article's cluster is the one the database ends with (a later article may merge the
cluster an ingest reported into an older one); without, the one ingest reported.

Usage: joined.py CORPUS.jsonl [--db DATABASE] INGEST.out...
"""
import collections
import json
import re
import sqlite3
import sys

args = sys.argv[1:]
docs = [json.loads(line) for line in open(args.pop(0), encoding="utf-8")]
final = None
if args and args[0] == "--db":
    args.pop(0)
    final = dict(sqlite3.connect(args.pop(0)).execute("SELECT id, cluster_id FROM articles"))
cluster = {}
for path in args:
    for line in open(path, encoding="utf-8"):
        m = re.match(r"(\S+): article (\d+) \S+, cluster (\d+)", line)
        if m:
            reported = int(m.group(3))
            cluster[int(m.group(1).rsplit("/", 1)[-1].split(".")[0])] = final.get(int(m.group(2)), reported) if final else reported
original = {d["family"]: cluster.get(d["id"]) for d in docs if d["variant"] == "original"}
joined = collections.defaultdict(lambda: [0, 0])
families = collections.defaultdict(set)
for d in docs:
    if d["id"] not in cluster or d["family"] < 0:
        continue
    families[cluster[d["id"]]].add(d["family"])
    if d["variant"] != "original":
        joined[d["variant"]][1] += 1
        joined[d["variant"]][0] += cluster[d["id"]] == original.get(d["family"])
mixed = sum(1 for f in families.values() if len(f) > 1)
strays = sum(1 for d in docs if d["family"] < 0 and cluster.get(d["id"]) in families)
print("copies joined to their original: " + ", ".join(f"{v} {j}/{n}" for v, (j, n) in sorted(joined.items())))
print(f"clusters holding two families: {mixed}; unrelated documents in a family's cluster: {strays}")
