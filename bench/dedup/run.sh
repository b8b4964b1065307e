#!/usr/bin/env bash
# The dedup benchmark, one command: builds winnow-bench (release), makes the labelled corpus once, runs
# Winnow on it, then datasketch and rensa on the same first documents, in the same run.
#   bench/dedup/run.sh [--documents 100000] [--peer-documents 20000] [--no-peers]
# The corpus and the peers' virtual environment live outside the repository (WINNOW_BENCH_DIR,
# default /tmp/winnow-bench; WINNOW_PEERS_VENV, default /tmp/winnow-peers).
set -euo pipefail
cd "$(dirname "$0")/../.."
documents=100000 peer_documents=20000 peers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) documents=$2; shift 2 ;;
    --peer-documents) peer_documents=$2; shift 2 ;;
    --no-peers) peers=0; shift ;;
    *) echo "usage: $0 [--documents N] [--peer-documents N] [--no-peers]" >&2; exit 2 ;;
  esac
done
dir=${WINNOW_BENCH_DIR:-/tmp/winnow-bench}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
mkdir -p "$dir"
corpus="$dir/dedup-corpus-$documents.jsonl"

make deps >/dev/null
swift build -c release --product winnow-bench
python3 -c "import numpy" 2>/dev/null || pip install --quiet numpy
[ -s "$corpus" ] || python3 bench/dedup/make_corpus.py "$corpus" --documents "$documents" --shared ../shared

echo "== Winnow ($(nproc) cores here; the benchmark uses one)"
.build/release/winnow-bench dedup --corpus "$corpus" --peer-documents "$peer_documents"

if [ "$peers" = 1 ]; then
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  "$venv/bin/python" -c "import datasketch, rensa" 2>/dev/null || "$venv/bin/pip" install --quiet datasketch rensa
  echo
  echo "== peers on the first $peer_documents documents ($("$venv/bin/python" -c 'import importlib.metadata as m; print("datasketch", m.version("datasketch"), "rensa", m.version("rensa"))'))"
  "$venv/bin/python" bench/dedup/peers.py "$corpus" --documents "$peer_documents"
fi
