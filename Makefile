# Winnow: `make run` starts the daemon on the bundled pipeline.json; `make test` runs the whole test suite.
# Both install the Debian -dev packages they need when missing, and are safe to run again.

SWIFT     ?= swift
PREFIX    ?= /usr/local
DESTDIR   ?=
CONFIG    ?= pipeline.json
APT_DEPS  := libcurl4-openssl-dev libsqlite3-dev zlib1g-dev libpq-dev
# The PostgreSQL tests start a throw-away cluster of their own (Sources/WinnowTestSupport/PostgresServer.swift).
TEST_DEPS := python3 postgresql
BIN       := .build/debug
SUDO      := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

SHARED    := $(abspath ../shared)

.PHONY: deps check-shared test-deps build release run once status test install clean bench-dedup bench-poll bench-ingest bench-extract feed-conformance crash-test fuzz test-asan

deps:
	@missing=""; for p in $(APT_DEPS) $(EXTRA_DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

run: build
	$(BIN)/winnowd --config $(CONFIG)

once: build
	$(BIN)/winnowd --config $(CONFIG) --once

status: build
	$(BIN)/winnowctl status --config $(CONFIG)

# The tests read seeds and corpora in place from ../shared beside the checkout: stop before building
# when it is not there, with the one message that says so (not a failure in every test that needs it).
check-shared:
	@for d in $(SHARED)/seeds $(SHARED)/corpus/feedparser $(SHARED)/corpus/article-extraction; do \
	  [ -d "$$d" ] || { echo "make test: $$d is missing. The tests read ../shared (seeds/ and corpus/) beside the checkout, in place: put the shared folder (or a link to it) at $(SHARED) and run make test again." >&2; exit 2; }; \
	done

test: EXTRA_DEPS := $(TEST_DEPS)
# The PostgreSQL tests (a throw-away cluster, a 1,000-article batch, four concurrent ingests, killed and
# resumed migrations, real winnowd processes sharing a database: about 75 s) run after the others, not
# among them, so they add no load to the tests that wait on loopback servers and daemons with time bounds.
PG_TESTS  := WinnowPostgresTests|PostgresHostRestTests|PostgresIngestTests|PostgresReadCommandTests|PostgresMigrateTests|PostgresDaemonTests

test: check-shared build
	$(SWIFT) test --skip '$(PG_TESTS)'
	$(SWIFT) test --skip-build --filter '$(PG_TESTS)'
	python3 bench/feeds/conformance.py --subset bench/feeds/ci-subset.txt --require-all --show-failures 100
	@# The cleaner's quality floor on the article-extraction corpus, scored the corpus's way (after the
	@# unit tests, not among them: 10 s of CPU there starves the tests that wait on loopback servers).
	$(BIN)/winnow-bench extract ../shared/corpus/article-extraction/html --rounds 1 --output .build/extract-check.json
	python3 bench/extract/score.py ../shared/corpus/article-extraction/truth .build/extract-check.json --require-f1 0.96
	@# The crash harness on a short schedule (`make crash-test` runs the full one).
	$(BIN)/winnow-bench crash --winnowd $(BIN)/winnowd --kills 25 --migration-kills 10

# SIGKILL winnowd 100 times at random moments, then check nothing was lost, doubled or left inconsistent.
crash-test: release
	.build/release/winnow-bench crash --winnowd .build/release/winnowd --kills $(or $(KILLS),100)

# The whole test suite built with the address sanitizer (its own build folder; the daemons the tests
# start are instrumented too). Timing bounds in a few tests are tight for an instrumented build.
test-asan: check-shared deps
	$(SWIFT) build --build-path .build/asan --sanitize=address --build-tests
	ASAN_OPTIONS=detect_leaks=0 $(SWIFT) test --build-path .build/asan --sanitize=address --skip-build

# Every libFuzzer target for a fixed time each (FUZZ_SECONDS, default 60).
fuzz:
	fuzz/run.sh $(or $(FUZZ_SECONDS),60)

# The full feedparser conformance report (a report, not a gate).
feed-conformance: build
	python3 bench/feeds/conformance.py

bench-dedup:
	bench/dedup/run.sh

bench-extract:
	bench/extract/run.sh

bench-poll:
	bench/poll/run.sh

bench-ingest:
	bench/ingest/run.sh

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/winnow $(DESTDIR)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/winnow/samples
	install -m 0755 .build/release/winnowd .build/release/winnowctl $(DESTDIR)$(PREFIX)/bin/
	sed -e 's|/usr/local/bin/winnowd|$(PREFIX)/bin/winnowd|' systemd/winnowd.service > $(DESTDIR)/lib/systemd/system/winnowd.service
	chmod 0644 $(DESTDIR)/lib/systemd/system/winnowd.service
	install -d $(DESTDIR)$(PREFIX)/share/doc/winnow/docs && install -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/winnow/README.md
	install -m 0644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/winnow/docs/
	install -m 0644 samples/* $(DESTDIR)$(PREFIX)/share/winnow/samples/
	# The service's configuration: its database and metrics in StateDirectory, logs in LogsDirectory,
	# the control socket in RuntimeDirectory, the bundled samples where they were installed.
	sed -e 's|"database": "state/winnow.sqlite"|"database": "/var/lib/winnow/winnow.sqlite",\n  "control": { "socket": "/run/winnow/winnowd.sock" }|' \
	    -e 's|"folder": "logs"|"folder": "/var/log/winnow"|' \
	    -e 's|file:samples/|file:$(PREFIX)/share/winnow/samples/|' $(CONFIG) > $(DESTDIR)/etc/winnow/pipeline.json.example
	[ -e $(DESTDIR)/etc/winnow/pipeline.json ] || cp $(DESTDIR)/etc/winnow/pipeline.json.example $(DESTDIR)/etc/winnow/pipeline.json

clean:
	rm -rf .build state
