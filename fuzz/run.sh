#!/usr/bin/env bash
# Fuzzing, one command: builds the libFuzzer targets (swiftc -sanitize=fuzzer,address, each target
# compiled into the module it tests) and runs each for SECONDS (default 60), its corpus seeded from
# ../shared/corpus (the article pages and seeds for the cleaner, feedparser's fixtures for the feed
# parser, article pages and feedparser's sanitize fixtures for the HTML sanitizer; request lines for the
# control socket's reader; pipeline.json for the configuration loader). Crashes are written to
# $WINNOW_FUZZ_DIR/<target>/ (default /tmp/winnow-fuzz) and make the run fail; each one found becomes
# a regression test.
#   fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
out=${WINNOW_FUZZ_DIR:-/tmp/winnow-fuzz}
shared=${WINNOW_SHARED:-../shared}
mkdir -p "$out"

build() {  # target module sources...
  local target=$1 module=$2; shift 2
  echo "== building $target"
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$module" "$@" -o "$out/$target"
}
seed() {  # target files...
  local target=$1; shift
  mkdir -p "$out/$target/corpus"
  # Seeds over 64 kB are cut: libFuzzer mutates small inputs far faster, and size is not what breaks parsers.
  for f in "$@"; do head -c 65536 "$f" > "$out/$target/corpus/$(basename "$f")"; done
}
run() {  # target
  local target=$1
  echo "== fuzzing $target for $seconds s"
  # Leak checking is off: at exit it reports the runtime's lazily built globals (the entity table,
  # compiled rules) as "leaks"; a real per-input leak shows as growing RSS, which -rss_limit_mb stops.
  # Swift's own backtracer is off: symbolicating a crash under ASan took minutes and held the pipe open.
  (cd "$out/$target" && SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$out/$target.bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 corpus 2>&1 | grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==.*ERROR|SUMMARY|Done|artifact_prefix|Test unit written)" ) \
    || { echo "fuzz/run.sh: $target found a crash; the input is in $out/$target" >&2; return 1; }
}

build clean.bin WinnowClean Sources/WinnowClean/*.swift fuzz/CleanFuzz.swift
build feeds.bin WinnowFeeds Sources/WinnowFeeds/*.swift fuzz/FeedFuzz.swift
build sanitizer.bin WinnowFeeds Sources/WinnowFeeds/*.swift fuzz/SanitizerFuzz.swift
build control.bin WinnowPipeline Sources/WinnowPipeline/ControlServer.swift fuzz/ControlFuzz.swift
# The configuration loader needs the whole pipeline module and its packages: SwiftPM builds them with the
# sanitizers into .build/fuzz (a few minutes the first time), and the target links their objects.
echo "== building config.bin"
swift build -c release --build-path .build/fuzz --target WinnowPipeline -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address >/dev/null
objects=()
while IFS= read -r -d '' object; do objects+=("$object"); done < <(find .build/fuzz/release/ -name '*.o' \
  ! -path '*Tests.build/*' ! -path '*TestKit.build/*' ! -path '*-tool.build/*' ! -path '*/winnow*.build/*' ! -path '*ArgumentParser*' -print0)
swiftc -O -sanitize=fuzzer,address -parse-as-library -I .build/fuzz/release/Modules -I Sources/CCurl \
  -I .build/fuzz/checkouts/GRDB.swift/Sources/GRDBSQLite -I .build/fuzz/checkouts/swift-atomics/Sources/_AtomicsShims/include \
  fuzz/ConfigFuzz.swift "${objects[@]}" -lcurl -lsqlite3 -o "$out/config.bin" 2>&1 | { grep -v "Cannot export local symbol '__asan" || true; }
for t in clean feeds sanitizer control config; do mv "$out/$t.bin" "$out/$t.bin.tmp" 2>/dev/null || true; mkdir -p "$out/$t"; mv "$out/$t.bin.tmp" "$out/$t.bin"; done
seed clean "$shared"/corpus/article-extraction/html/*.html "$shared"/seeds/*.txt
seed feeds $(find "$shared/corpus/feedparser" -type f \( -name '*.xml' -o -name '*.json' -o -name '*.rdf' \) | head -2500)
seed sanitizer "$shared"/corpus/article-extraction/html/*.html "$shared"/corpus/feedparser/wellformed/sanitize/*.xml
mkdir -p "$out/control/corpus"
printf '\001{"command": "status"}\n{"command": "pause", "feed": "wire-digest"}\n' > "$out/control/corpus/requests"
printf '\007{"command": "fetch-now", "all": true}\n{"command": "reprocess", "from": "dedup"}\nnot json\n' > "$out/control/corpus/mixed"
mkdir -p "$out/config/corpus"
cp pipeline.json "$out/config/corpus/shipped.json"
printf '%s' '{"defaults": {"adaptive": true, "interval": "5m"}, "feeds": [{"name": "a", "url": "https://a.example/", "adaptive": {"min": "1m", "max": "2h"}, "full_text": true, "cleaning": {"disable": ["x"], "rules": [{"id": "r", "category": "c", "kind": "byline", "pattern": "^By (.+)$", "max_length": 80, "keywords": ["by"]}]}}], "fetch": {"proxy": "socks5h://127.0.0.1:1080", "per_host_gap": "1s"}, "dedup": {"threshold": 0.8, "canonical": "longest", "preferred_feeds": ["a"]}, "cleaning": {"learn": {"min_count": 3}}}' > "$out/config/corpus/full.json"
status=0
run clean || status=1
run feeds || status=1
run sanitizer || status=1
run control || status=1
run config || status=1
exit $status
