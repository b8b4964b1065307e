#!/usr/bin/env python3
"""Writes a corpus (JSON lines with id and text, from make_corpus.py) out as text files, one folder a
batch: OUT/batch-001/0000000.txt ... so `winnowctl ingest --db DB OUT/batch-001` takes a batch.

Usage: split.py CORPUS.jsonl OUT --batch 10000
"""
import argparse
import json
import os

parser = argparse.ArgumentParser()
parser.add_argument("corpus")
parser.add_argument("out")
parser.add_argument("--batch", type=int, default=10000)
args = parser.parse_args()
with open(args.corpus, encoding="utf-8") as f:
    for line in f:
        doc = json.loads(line)
        folder = os.path.join(args.out, f"batch-{doc['id'] // args.batch + 1:03d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{doc['id']:07d}.txt"), "w", encoding="utf-8") as out:
            out.write(doc["text"])
