#!/usr/bin/env bash
# Concurrent ingest into PostgreSQL, one command: builds winnowctl (release), makes the labelled dedup
# corpus once, starts a throw-away PostgreSQL cluster on 127.0.0.1, then times one SQLite process and
# 1, 2 and 3 `winnowctl ingest --db postgresql://...` processes over interleaved parts of the corpus,
# and scores each run's clusters against the SQLite run's and against the labels.
#   bench/postgres/run.sh [--documents 6000] [--processes "1 2 3"]
# Corpus and cluster live outside the repository (WINNOW_BENCH_DIR, default /tmp/winnow-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
documents=6000 processes="1 2 3"
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) documents=$2; shift 2 ;;
    --processes) processes=$2; shift 2 ;;
    *) echo "usage: $0 [--documents N] [--processes \"1 2 3\"]" >&2; exit 2 ;;
  esac
done
dir=${WINNOW_BENCH_DIR:-/tmp/winnow-bench}
mkdir -p "$dir"
corpus="$dir/dedup-corpus-$documents.jsonl"

make deps EXTRA_DEPS=postgresql >/dev/null
swift build -c release --product winnowctl
python3 -c "import numpy" 2>/dev/null || pip install --quiet numpy
[ -s "$corpus" ] || python3 bench/dedup/make_corpus.py "$corpus" --documents "$documents" --shared ../shared
python3 bench/postgres/ingest.py "$corpus" --winnowctl .build/release/winnowctl --processes $processes
