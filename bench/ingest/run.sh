#!/usr/bin/env bash
# The ingest benchmark, one command: builds winnowctl (release), makes the labelled corpus once
# (bench/dedup/make_corpus.py: news-length documents, families of copies among unrelated ones), writes
# it out as text files, and pushes it through `winnowctl ingest --db NEW.db FOLDER` in consecutive
# batches into one database: clean, learned boilerplate, dedup, committed, as users run it. Prints
# documents/s and peak memory per batch as the store grows, the verdicts, and the copies joined to
# their original by kind.
#   bench/ingest/run.sh [--documents 10000] [--batches 5] [--winnowctl PATH]
#   bench/ingest/run.sh --scale            # 1,000,000 documents in batches of 100,000 (not in make test)
# Files and databases live outside the repository (WINNOW_BENCH_DIR, default /tmp/winnow-bench).
set -euo pipefail
cd "$(dirname "$0")/../.."
documents=10000 batches=5 winnowctl=""
while [ $# -gt 0 ]; do
  case "$1" in
    --documents) documents=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --scale) documents=100000; batches=10; shift ;;
    --winnowctl) winnowctl=$2; shift 2 ;;
    *) echo "usage: $0 [--documents N] [--batches N] [--scale] [--winnowctl PATH]" >&2; exit 2 ;;
  esac
done
dir=${WINNOW_BENCH_DIR:-/tmp/winnow-bench}
total=$((documents * batches))
corpus="$dir/dedup-corpus-$total.jsonl"
files="$dir/ingest-files-$total"
mkdir -p "$dir"
command -v /usr/bin/time >/dev/null || { echo "$0 needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ -z "$winnowctl" ]; then
  make deps >/dev/null
  swift build -c release --product winnowctl
  winnowctl=.build/release/winnowctl
fi
python3 -c "import numpy" 2>/dev/null || pip install --quiet numpy
[ -s "$corpus" ] || python3 bench/dedup/make_corpus.py "$corpus" --documents "$total" --shared ../shared
[ -f "$files/.done-$documents" ] || { rm -rf "$files"; python3 bench/ingest/split.py "$corpus" "$files" --batch "$documents"; touch "$files/.done-$documents"; }

db="$dir/ingest-$total-$$.db"
rm -f "$db" "$db-wal" "$db-shm"
echo "== winnowctl ingest: $batches batches of $documents documents into one new database ($(nproc) cores; $winnowctl)"
printf "%-6s %10s %9s %10s %12s %10s\n" batch documents seconds "docs/s" "peak MB" "vs first"
first=""
for b in $(seq 1 "$batches"); do
  folder=$(printf "%s/batch-%03d" "$files" "$b")
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$dir/ingest-time.txt" "$winnowctl" ingest --db "$db" "$folder" > "$dir/ingest-batch-$b.out"
  end=$(date +%s.%N)
  python3 - "$b" "$documents" "$start" "$end" "$(cat "$dir/ingest-time.txt")" "${first:-0}" <<'PY' > "$dir/ingest-line.txt"
import sys
b, n, start, end, peak_kb, first = sys.argv[1:]
seconds = float(end) - float(start); rate = int(n) / seconds
ratio = f"{rate / float(first):.2f}" if float(first) > 0 else "1.00"
print(f"{b:<6} {int(n):>10,} {seconds:>9.2f} {rate:>10,.0f} {int(peak_kb) / 1024:>12.0f} {ratio:>10} {rate}")
PY
  line=$(cat "$dir/ingest-line.txt")
  echo "${line% *}"
  [ -n "$first" ] || first=${line##* }
done
echo
# This run's outputs only: a longer earlier run (--scale) leaves more batch files in the same folder.
outputs=$(for b in $(seq 1 "$batches"); do echo "$dir/ingest-batch-$b.out"; done)
echo "verdicts: $(cat $outputs | grep -oE ': article [0-9]+ [a-z-]+' | awk '{print $4}' | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}' | sed 's/, $//')"
echo "database: $(du -m "$db" | cut -f1) MB"
python3 bench/ingest/joined.py "$corpus" --db "$db" $outputs
rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
