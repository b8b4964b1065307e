#!/usr/bin/env bash
# The poll-cycle benchmark, one command: builds winnowd and winnow-bench (release), starts a local
# server for 10,000 feeds over 100 host names under .localhost (libcurl resolves them to 127.0.0.1, so
# nothing leaves the machine), and runs two `winnowd --once` cycles: the first poll (every feed new), then
# a cycle where 80% answer 304, 15% have new items and 5% fail. The server checks the per-host limits on
# every request. With --postgres "1 2 3", the same two cycles follow on a throw-away PostgreSQL cluster
# (127.0.0.1, fsync off) with 1, 2 and 3 daemons started together on one configuration, each count on
# a fresh database, the per-host limits checked across the daemons. Last, an idle daemon with nothing
# due is measured for CPU.
#   bench/poll/run.sh [--feeds 10000] [--hosts 100] [--concurrency 32] [--per-host 2] [--gap 0.02] [--postgres "1 2 3"]
set -euo pipefail
cd "$(dirname "$0")/../.."
make deps EXTRA_DEPS=postgresql >/dev/null
swift build -c release --product winnowd
swift build -c release --product winnow-bench
command -v /usr/bin/time >/dev/null || { echo "bench/poll/run.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
echo "== $(nproc) cores here"
.build/release/winnow-bench poll-cycle --winnowd .build/release/winnowd "$@"
