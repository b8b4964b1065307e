#!/usr/bin/env bash
# Article extraction, one command: every collection (../shared/corpus/article-extraction and the three of
# ../shared/corpus/extraction-dev) cleaned by Winnow through the entry point users run (one release
# `winnowctl clean --json` process per collection, all pages as arguments) and by the peers (trafilatura as
# shipped and with include_comments=False, readability-lxml, jusText; pip, in a throw-away venv outside the
# repository), all in the same run, scored by score.py against each collection's truth. Prints one table
# of F1 and empty results, the metadata match rates, pages per second and peak memory.
#   bench/extract/run.sh [--no-peer]
# WINNOW_EXTRACT_COLLECTIONS overrides the collections (folders with html/ and truth/).
set -euo pipefail
cd "$(dirname "$0")/../.."
collections=${WINNOW_EXTRACT_COLLECTIONS:-"../shared/corpus/article-extraction ../shared/corpus/extraction-dev/readability ../shared/corpus/extraction-dev/cleaneval-dev ../shared/corpus/extraction-dev/cleanportaleval"}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
make deps >/dev/null
swift build -c release --product winnowctl >/dev/null
swift build -c release --product winnow-bench >/dev/null
if [ "${1:-}" != "--no-peer" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import trafilatura, readability, justext, lxml_html_clean" 2>/dev/null \
    || "$venv/bin/pip" install --quiet trafilatura readability-lxml justext lxml_html_clean
fi
for collection in $collections; do
  name=$(basename "$collection")
  mkdir -p "$out/$name"
  # The 181 article-extraction pages are the speed benchmark: more rounds there, one elsewhere.
  rounds=1; [ "$name" = article-extraction ] && rounds=5
  echo "== $name"
  .build/release/winnow-bench extract "$collection/html" --output "$out/$name/winnow-in-process.json" --rounds "$rounds"
  python3 bench/extract/winnowctl.py .build/release/winnowctl "$collection/html" "$out/$name/winnow.json" "$rounds"
  if [ "${1:-}" != "--no-peer" ]; then
    "$venv/bin/python" bench/extract/peers.py "$collection/html" "$out/$name" $(( rounds > 1 ? 3 : 1 ))
  fi
done
echo
absolute=$(for collection in $collections; do realpath "$collection"; done)
(cd bench/extract && python3 report.py "$out" $absolute)
# The in-process path (winnow-bench, what make test's quality gate scores) must agree with winnowctl.
for collection in $collections; do
  python3 bench/extract/score.py "$collection/truth" "$out/$(basename "$collection")/winnow-in-process.json"
done
