#!/usr/bin/env bash
# Every ill-formed fixture of ../shared/corpus/feedparser (the chardet ones included, which the
# conformance runner skips): parsed by winnowctl without a crash, and flagged bozo exactly where
# Python feedparser (pip, throw-away venv outside the repository) flags it.
#   bench/feeds/illformed-bozo.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${WINNOW_FEED_CORPUS:-../shared/corpus/feedparser}
venv=${WINNOW_PEERS_VENV:-/tmp/winnow-peers}
make deps >/dev/null
swift build -c release --product winnowctl >/dev/null
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import feedparser" 2>/dev/null || "$venv/bin/pip" install --quiet feedparser
mapfile -t files < <(find "$corpus/illformed" -type f | sort)
.build/release/winnowctl parse-feed --json "${files[@]}" >"${TMPDIR:-/tmp}/winnow-illformed.jsonl"
"$venv/bin/python" - "${TMPDIR:-/tmp}/winnow-illformed.jsonl" "${files[@]}" <<'PY'
import json, sys, feedparser
ours = [json.loads(line) for line in open(sys.argv[1])]
files = sys.argv[2:]
assert len(ours) == len(files), "winnowctl gave %d results for %d files" % (len(ours), len(files))
same = 0
for path, result in zip(files, ours):
    theirs = bool(feedparser.parse(open(path, 'rb').read()).bozo)
    same += result['bozo'] == theirs
    print("%-5s %-5s %s%s" % (result['bozo'], theirs, path.split('/illformed/')[1], "" if result['bozo'] == theirs else "   <- differs"))
print("bozo as feedparser: %d of %d ill-formed fixtures, none crashed" % (same, len(files)))
sys.exit(0 if same == len(files) else 1)
PY
