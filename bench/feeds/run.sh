#!/usr/bin/env bash
# Feed parsing speed, one command: every fixture of ../shared/corpus/feedparser, and separately its
# large feeds (>= 100 kB), parsed from memory by WinnowFeeds (release winnow-bench) and by Python
# feedparser (pip, in a throw-away venv outside the repository): same files, same run, best of N rounds.
# Winnow is timed to the feedparser-shaped document (what feedparser.parse returns: HTML sanitized
# and relative URIs resolved, as feedparser does by default) and to the pipeline's Feed model as well
# (which keeps HTML as received, so it skips the sanitizer).
#   bench/feeds/run.sh [--no-peer]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${WINNOW_FEED_CORPUS:-../shared/corpus/feedparser}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
list=$(mktemp)
trap 'rm -f "$list" "$list.winnow"' EXIT
make deps >/dev/null
swift build -c release --product winnow-bench >/dev/null
find "$corpus" -type f \( -name '*.xml' -o -name '*.json' -o -name '*.rdf' \) | sort >"$list"
.build/release/winnow-bench feeds --list "$list" --rounds 50 --large-bytes 100000 | tee "$list.winnow"
if [ "${1:-}" != "--no-peer" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c "import feedparser" 2>/dev/null || "$venv/bin/pip" install --quiet feedparser
  "$venv/bin/python" - "$list" "$list.winnow" <<'PY'
import re, sys, time, feedparser
data = [open(f, 'rb').read() for f in open(sys.argv[1]).read().split()]
def report(label, docs, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        entries = sum(len(feedparser.parse(d, response_headers={'content-location': 'http://127.0.0.1/feed.xml'}).entries) for d in docs)
        times.append(time.perf_counter() - start)
    times.sort()
    best, median = times[0], times[len(times) // 2]
    size = sum(map(len, docs))
    print("feedparser %s, %s: %d bytes, %d entries: %.1f ms, %.0f feeds/s, %.1f MB/s (best of %d), median %.1f ms"
          % (feedparser.__version__, label, size, entries, best * 1000, len(docs) / best, size / 1e6 / best, rounds, median * 1000))
    return best, median
# winnow's lines: per set, the document alone (what feedparser.parse returns) then with the pipeline model.
text = open(sys.argv[2]).read()
ours = [float(m) for m in re.findall(r": ([0-9.]+) ms,", text)]
ours_median = [float(m) for m in re.findall(r"median ([0-9.]+) ms", text)]
theirs = [report("all %d documents" % len(data), data, 5)]
large = [d for d in data if len(d) >= 100000]
if large:
    theirs.append(report("the %d large document(s) (>= 100000 bytes)" % len(large), large, 10))
# Best against best flatters the side with more, shorter rounds on a busy machine; medians do not.
for k, (label, (best, median)) in enumerate(zip(["all documents", "large documents"], theirs)):
    print("winnow / feedparser, %s: best %.0fx, median %.0fx (document); best %.0fx, median %.0fx (with the pipeline model)"
          % (label, best * 1000 / ours[2 * k], median * 1000 / ours_median[2 * k],
             best * 1000 / ours[2 * k + 1], median * 1000 / ours_median[2 * k + 1]))
PY
fi
