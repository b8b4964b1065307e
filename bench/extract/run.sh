#!/usr/bin/env bash
# Article extraction, one command: the 181 pages of ../shared/corpus/article-extraction cleaned by
# WinnowClean (release winnow-bench: page bytes in, article text out, best of N rounds on one core),
# then by trafilatura and readability-lxml (pip, in a throw-away venv outside the repository), all
# scored by score.py against the human ground truth the corpus's way. Prints F1, precision, recall,
# pages per second and peak memory side by side.
#   bench/extract/run.sh [--no-peer]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${WINNOW_EXTRACT_CORPUS:-../shared/corpus/article-extraction}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
make deps >/dev/null
swift build -c release --product winnow-bench >/dev/null
.build/release/winnow-bench extract "$corpus/html" --output "$out/winnow.json" --rounds 10 | tee "$out/speed.txt"
.build/release/winnow-bench extract "$corpus/html" --output "$out/winnow-structure-only.json" --rounds 10 --structure-only \
  | sed 's/^winnow:/winnow (structure only, no rules):/' | tee -a "$out/speed.txt"
if [ "${1:-}" != "--no-peer" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import trafilatura, readability" 2>/dev/null || "$venv/bin/pip" install --quiet trafilatura readability-lxml
  "$venv/bin/python" bench/extract/peers.py "$corpus/html" "$out" 3 | tee -a "$out/speed.txt"
fi
echo
echo "quality against $corpus/truth (token 4-gram shingles, per-document P/R averaged, F1 of the means):"
for result in "$out"/*.json; do python3 bench/extract/score.py "$corpus/truth" "$result"; done
