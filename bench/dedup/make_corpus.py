#!/usr/bin/env python3
"""Builds the labelled near-duplicate corpus for the dedup benchmark.

From the human ground-truth article bodies in ../shared/corpus/article-extraction/truth, each body
becomes a family: the original and variants a wire story goes through when sites republish it
(boilerplate added, light edits, sentences rotated, paragraphs reordered with and without light edits,
truncation, a new headline, combinations). The rest of
the corpus is unrelated documents: word sequences drawn from the corpus' own word frequencies, with
the corpus' length distribution. Output: JSON lines {"id", "family", "variant", "text"}, shuffled
with a fixed seed, so every run sees the same documents in the same order.

Usage: make_corpus.py OUT.jsonl [--documents 100000] [--shared ../shared]
"""
import argparse
import glob
import json
import os
import random

import numpy as np

BOILERPLATE = [
    "Your cart is currently empty!",
    "Subscribe now for unlimited access to local news.",
    "Already a subscriber? Log in to continue reading.",
    "Sign up for our morning newsletter and get the top stories in your inbox.",
    "Voice is AI-generated. Inconsistencies may occur.",
    "Share this article on Facebook, Twitter and LinkedIn.",
    "We use cookies to improve your experience. By continuing you accept our cookie policy.",
    "Related: more stories from our regional desk this week.",
    "Advertisement",
    "Comments are closed for this story.",
    "Copyright 2026 the publisher. All rights reserved. This material may not be republished.",
    "Read more: the latest headlines from around the world, updated every hour.",
]
HEADLINES = [
    "Breaking: officials respond as the story develops",
    "What we know so far about the latest developments",
    "Update: new details emerge in the case",
    "Explainer: the background to today's news",
]


def words_of(text):
    return text.split()


def edit(words, fraction, rng, vocabulary):
    words = list(words)
    for _ in range(max(1, int(len(words) * fraction))):
        words[rng.randrange(len(words))] = rng.choice(vocabulary)
    return words


def reorder(text, rng):
    # Move a block of sentences: the same story, its paragraphs in another order.
    sentences = [s for s in text.replace("\n", " ").split(". ") if s]
    if len(sentences) < 4:
        return text
    cut = rng.randrange(1, len(sentences) - 1)
    return ". ".join(sentences[cut:] + sentences[:cut])


def reorder_paragraphs(body, rng):
    # Paragraphs shuffled, as aggregator rewrites move them; line breaks kept.
    paragraphs = [p for p in body.split("\n") if p.strip()]
    rng.shuffle(paragraphs)
    return "\n".join(paragraphs)


def edit_lines(text, fraction, rng, vocabulary):
    # Light word edits that keep the line structure.
    lines = [line.split(" ") for line in text.split("\n")]
    places = [(i, j) for i, line in enumerate(lines) for j in range(len(line))]
    for _ in range(max(1, int(len(places) * fraction))):
        i, j = rng.choice(places)
        lines[i][j] = rng.choice(vocabulary)
    return "\n".join(" ".join(line) for line in lines)


def variants(body, rng, vocabulary):
    words = words_of(body)
    top = "\n".join(rng.sample(BOILERPLATE, 2))
    bottom = "\n".join(rng.sample(BOILERPLATE, 3))
    yield "original", body
    yield "boilerplate", f"{top}\n{body}\n{bottom}"
    yield "boilerplate-heavy", "\n".join(rng.sample(BOILERPLATE, 5)) + "\n" + body + "\n" + "\n".join(rng.sample(BOILERPLATE, 5))
    yield "edit-1pct", " ".join(edit(words, 0.01, rng, vocabulary))
    yield "edit-3pct", " ".join(edit(words, 0.03, rng, vocabulary))
    yield "reordered", reorder(body, rng)
    yield "reordered-paragraphs", reorder_paragraphs(body, rng)
    yield "reordered+edit", edit_lines(reorder_paragraphs(body, rng), 0.01, rng, vocabulary)
    yield "truncated-80", " ".join(words[: int(len(words) * 0.8)])
    yield "truncated-60", " ".join(words[: int(len(words) * 0.6)])
    yield "headline", rng.choice(HEADLINES) + "\nBy Staff Reporter\n" + body
    yield "boilerplate+edit", f"{top}\n" + " ".join(edit(words, 0.02, rng, vocabulary)) + f"\n{bottom}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    truth = sorted(glob.glob(os.path.join(args.shared, "corpus", "article-extraction", "truth", "*.json")))
    if not truth:
        raise SystemExit(f"no ground-truth files under {args.shared}/corpus/article-extraction/truth: pass --shared")
    bodies = []
    for path in truth:
        with open(path, encoding="utf-8") as f:
            body = json.load(f).get("articleBody", "").strip()
        if len(body.split()) >= 60:  # a family needs enough words to have variants
            bodies.append(body)

    all_words = [w for b in bodies for w in b.split()]
    vocabulary, counts = np.unique(np.array(all_words), return_counts=True)
    vocabulary_list = vocabulary.tolist()
    lengths = [len(b.split()) for b in bodies]

    documents = []
    for family, body in enumerate(bodies):
        for variant, text in variants(body, rng, vocabulary_list):
            documents.append({"family": family, "variant": variant, "text": text})

    np_rng = np.random.default_rng(args.seed)
    probabilities = counts / counts.sum()
    unrelated = max(0, args.documents - len(documents))
    for _ in range(unrelated):
        n = int(min(2000, max(80, rng.choice(lengths))))
        indexes = np_rng.choice(len(vocabulary), size=n, p=probabilities)
        documents.append({"family": -1, "variant": "unrelated", "text": " ".join(vocabulary[indexes].tolist())})

    rng.shuffle(documents)
    with open(args.out, "w", encoding="utf-8") as f:
        for i, doc in enumerate(documents):
            f.write(json.dumps({"id": i, **doc}, ensure_ascii=False) + "\n")
    families = len(bodies)
    per_family = len(documents[0:0]) or sum(1 for d in documents if d["family"] == 0)
    print(f"{args.out}: {len(documents)} documents: {families} families x {per_family} variants, {unrelated} unrelated")


if __name__ == "__main__":
    main()
