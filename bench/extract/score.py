#!/usr/bin/env python3
"""Scores extracted article bodies against the corpus's human ground truth, the corpus's way:
token 4-gram shingles per document (tokens are runs of word characters), true and false positives
and false negatives counted per shingle and normalised per document, precision and recall averaged
over documents, F1 of the two means.
    score.py TRUTH_DIR PREDICTIONS.json [--worst N] [--require-f1 MIN]
With --require-f1 it exits 1 when F1 is below MIN (make test's quality gate)."""
import json, os, re, sys
from collections import Counter

TOKEN = re.compile(r'\w+', re.UNICODE)

def shingles(text, n=4):
    tokens = TOKEN.findall(text or '')
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])

def match(true, pred):
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)

def precision(tp, fp, fn):
    if fp == fn == 0: return 1.0
    if tp == fp == 0: return 0.0
    return tp / (tp + fp)

def recall(tp, fp, fn):
    if fp == fn == 0: return 1.0
    if tp == fn == 0: return 0.0
    return tp / (tp + fn)

def score(truth_dir, predictions):
    rows = []
    for name in sorted(os.listdir(truth_dir)):
        if not name.endswith('.json'): continue
        key = name[:-5]
        true = json.load(open(os.path.join(truth_dir, name), encoding='utf-8')).get('articleBody', '')
        pred = predictions.get(key, {}).get('articleBody', '')
        rows.append((key, match(true, pred)))
    ps = [precision(*m) for _, m in rows if m[0] + m[1] > 0]
    rs = [recall(*m) for _, m in rows if m[0] + m[2] > 0]
    p, r = sum(ps) / len(ps), sum(rs) / len(rs)
    return p, r, 2 * p * r / (p + r), rows

if __name__ == '__main__':
    truth_dir, path = sys.argv[1], sys.argv[2]
    p, r, f1, rows = score(truth_dir, json.load(open(path, encoding='utf-8')))
    print(f'{os.path.basename(path)}: F1 {f1:.3f}  precision {p:.3f}  recall {r:.3f}  ({len(rows)} pages)')
    if '--require-f1' in sys.argv:
        minimum = float(sys.argv[sys.argv.index('--require-f1') + 1])
        if f1 < minimum:
            print(f'FAIL: F1 {f1:.4f} is below the required {minimum}', file=sys.stderr)
            sys.exit(1)
    if '--worst' in sys.argv:
        n = int(sys.argv[sys.argv.index('--worst') + 1])
        for key, m in sorted(rows, key=lambda km: min(precision(*km[1]), recall(*km[1])))[:n]:
            print(f'  {key[:16]}  precision {precision(*m):.2f}  recall {recall(*m):.2f}')
