#!/usr/bin/env bash
# Feed parsing speed, one command: every fixture of ../shared/corpus/feedparser parsed by the release
# winnowctl (in one process) and by Python feedparser (pip, in a throw-away venv), same files, same run.
#   bench/feeds/run.sh [--no-peer]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${WINNOW_FEED_CORPUS:-../shared/corpus/feedparser}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
make deps >/dev/null
swift build -c release --product winnowctl >/dev/null
mapfile -t files < <(find "$corpus" -type f \( -name '*.xml' -o -name '*.json' -o -name '*.rdf' \) | sort)
bytes=$(cat "${files[@]}" | wc -c)
echo "corpus: ${#files[@]} files, $bytes bytes"
start=$(date +%s.%N)
for _ in 1 2 3 4 5; do .build/release/winnowctl parse-feed --json "${files[@]}" >/dev/null 2>&1 || true; done
end=$(date +%s.%N)
python3 - "$start" "$end" "${#files[@]}" "$bytes" <<'PY'
import sys
s, e, n, b = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = (e - s) / 5
print("winnow (parse + feedparser-shaped JSON out, one process, mean of 5): %.3f s, %.0f feeds/s, %.1f MB/s" % (t, n / t, b / 1e6 / t))
PY
if [ "${1:-}" != "--no-peer" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import feedparser" 2>/dev/null || "$venv/bin/pip" install --quiet feedparser
  "$venv/bin/python" - "${files[@]}" <<'PY'
import sys, time, feedparser
files = sys.argv[1:]
data = [open(f, 'rb').read() for f in files]
start = time.perf_counter()
for d in data:
    feedparser.parse(d)
t = time.perf_counter() - start
print("feedparser %s (parse only, bytes in memory): %.3f s, %.0f feeds/s, %.1f MB/s" % (feedparser.__version__, t, len(data) / t, sum(map(len, data)) / 1e6 / t))
PY
fi
