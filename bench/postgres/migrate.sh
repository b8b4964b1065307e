#!/usr/bin/env bash
# `winnowctl migrate` timed, one command: builds winnowctl (release), makes a SQLite store of the
# labelled corpus once (bench/dedup/make_corpus.py, ingested 10,000 documents a batch), then times its
# migration into a throw-away PostgreSQL cluster straight through and killed and resumed, and checks
# that status and export show on PostgreSQL what they show on the SQLite file.
#   bench/postgres/migrate.sh [--documents 100000] [--kill-after 10]
# Corpus, store and cluster live outside the repository (WINNOW_BENCH_DIR, default /tmp/winnow-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
documents=100000 kill_after=10
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) documents=$2; shift 2 ;;
    --kill-after) kill_after=$2; shift 2 ;;
    *) echo "usage: $0 [--documents N] [--kill-after SECONDS]" >&2; exit 2 ;;
  esac
done
dir=${WINNOW_BENCH_DIR:-/tmp/winnow-bench}
mkdir -p "$dir"
corpus="$dir/dedup-corpus-$documents.jsonl"
files="$dir/migrate-files-$documents"
store="$dir/migrate-store-$documents.sqlite"

make deps EXTRA_DEPS=postgresql >/dev/null
swift build -c release --product winnowctl
python3 -c "import numpy" 2>/dev/null || pip install --quiet numpy
[ -s "$corpus" ] || python3 bench/dedup/make_corpus.py "$corpus" --documents "$documents" --shared ../shared
if [ ! -f "$store.done" ]; then
  rm -rf "$files" "$store" "$store-wal" "$store-shm"
  python3 bench/ingest/split.py "$corpus" "$files" --batch 10000
  for batch in "$files"/batch-*; do .build/release/winnowctl ingest --db "$store" "$batch" > /dev/null; done
  rm -rf "$files"
  touch "$store.done"
fi
python3 bench/postgres/migrate.py "$store" --winnowctl .build/release/winnowctl --kill-after "$kill_after"
