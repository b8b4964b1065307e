#!/usr/bin/env python3
"""The dedup benchmark's peers: datasketch and rensa on the same documents, as their users write it.

Per document: lower-cased words split on whitespace, word 5-shingles joined with spaces, a 128-permutation
MinHash of them, an LSH query at threshold 0.8, then an insert. Prints documents per second for each.
Run it with a virtual environment that has both installed (bench/dedup/run.sh makes one).

Usage: peers.py CORPUS.jsonl [--documents 20000]
"""
import argparse
import json
import time


def shingles(text, k=5):
    words = text.lower().split()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}


def run_datasketch(texts):
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    duplicates = 0
    start = time.perf_counter()
    for i, text in enumerate(texts):
        m = MinHash(num_perm=128)
        for s in shingles(text):
            m.update(s.encode("utf8"))
        if lsh.query(m):
            duplicates += 1
        lsh.insert(str(i), m)
    return time.perf_counter() - start, duplicates


def run_rensa(texts):
    from rensa import RMinHash, RMinHashLSH
    lsh = RMinHashLSH(threshold=0.8, num_perm=128, num_bands=16)
    duplicates = 0
    start = time.perf_counter()
    for i, text in enumerate(texts):
        m = RMinHash(num_perm=128, seed=42)
        m.update(list(shingles(text)))
        if lsh.query(m):
            duplicates += 1
        lsh.insert(i, m)
    return time.perf_counter() - start, duplicates


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--documents", type=int, default=20_000)
    args = parser.parse_args()
    texts = []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= args.documents:
                break
    for name, run in (("rensa", run_rensa), ("datasketch", run_datasketch)):
        elapsed, duplicates = run(texts)
        print(f"  {name}: {len(texts)} documents in {elapsed:.2f} s: {len(texts) / elapsed:.0f} docs/s "
              f"({duplicates} with an LSH candidate)")


if __name__ == "__main__":
    main()
