#!/usr/bin/env bash
# Issue 23's figures, one command, through the real binaries (release): winnowd stores 100,000
# synthetic articles from local file feeds with a webhook to a loopback port nothing listens on (the
# outbox's depth and the daemon's memory are sampled), then `winnowctl export --output` is timed to a
# plain and a .gz file (alternating runs), then `winnowctl feeds list` on a 100,000-feed pipeline.json.
#   bench/export/run.sh [--articles 100000] [--feeds 100000] [--folder /tmp/winnow-export-bench] [--runs 3]
# The store is kept in --folder; remove it to measure the fill again.
set -euo pipefail
cd "$(dirname "$0")/../.."
make deps >/dev/null
swift build -c release --product winnowd
swift build -c release --product winnowctl
swift build -c release --product winnow-bench
command -v /usr/bin/time >/dev/null || { echo "bench/export/run.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "== $(nproc) cores here"
.build/release/winnow-bench export "$@"
