# Tessera — two commands matter on a fresh machine: `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
BIN := $(CURDIR)/.build/release/tessera
PORT ?= 9000
DATA ?= ./data

.PHONY: run build release test unit integration crashtest crashtest-short powercut powercut-short loadtest bench clean packages-build packages-test packages-bench install manual

## Build (release) and run the daemon on 127.0.0.1:$(PORT) with data under $(DATA).
run: release
	$(BIN) serve --listen 127.0.0.1:$(PORT) --data-dir $(DATA) --domain localhost

release: packages-build
	$(SWIFT) build -c release --product tessera

## What a fresh machine lacks: installed when run as root, else the exact commands are printed (scripts/ensure-packages.sh).
packages-build:
	@scripts/ensure-packages.sh build

packages-test:
	@scripts/ensure-packages.sh test

packages-bench:
	@scripts/ensure-packages.sh bench

build:
	$(SWIFT) build

## Every test: Swift unit and in-process tests, the real-client suite against the release binary,
## the short crash-consistency and power-cut runs, and 60 s of each fuzz target under AddressSanitizer (fails on a crash).
## First the clients and servers the tests drive are installed when missing (packages-test).
test: packages-test unit crashtest-short powercut-short integration fuzz-short

unit:
	$(SWIFT) test

integration: release
	TESSERA_BIN=$(BIN) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/integration

## kill -9 at random moments under concurrent writers; verifies nothing acknowledged is lost: one daemon on
## SQLite, then 3 gateways over a throwaway PostgreSQL on one shared data dir (one killed at a time); each
## form once more with --self-check (a dropped write and a removed blob must be caught). See docs/reliability.md.
crashtest: release
	$(PYTHON) Tests/crash/crashtest.py --kills 50 --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --cluster 3 --kills 40 --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --kills 3 --self-check --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --cluster 3 --kills 3 --self-check --bin $(BIN)

crashtest-short: release
	$(PYTHON) Tests/crash/crashtest.py --kills 6 --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --cluster 3 --kills 4 --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --kills 3 --self-check --bin $(BIN)
	$(PYTHON) Tests/crash/crashtest.py --cluster 3 --kills 3 --self-check --bin $(BIN)

## Power cuts: the data directory on lossyfs (Tests/crash/lossyfs.py, FUSE: needs root and /dev/fuse), which
## drops everything not fsynced at each cut; concurrent writers; verifies nothing acknowledged is lost and fsck
## is clean. Tests/integration/test_powercut.py shows it reports losses against serve --no-fsync. See docs/reliability.md.
powercut: release
	$(PYTHON) Tests/crash/powercut.py --cuts 50 --bin $(BIN)

powercut-short: release
	$(PYTHON) Tests/crash/powercut.py --cuts 4 --bin $(BIN)

## 64 clients mixing PUT/GET/multipart for 10 minutes: errors, RSS over time, descriptor leaks.
loadtest: release
	$(PYTHON) Tests/load/loadtest.py --clients 64 --seconds 600 --bin $(BIN)

## Performance figures and their ratios to references measured in the same run (loopback only; not part of test).
## BENCH_FULL=1 adds the 10 GiB multipart case. See docs/performance.md.
bench: packages-bench release
	$(SWIFT) build -c release --product tessera-framework-floor
	TESSERA_BIN=$(BIN) $(PYTHON) bench/run.py

clean:
	rm -rf .build

## The man page (swift-argument-parser's generate-manual plugin, from the release build) into .build/manual/.
manual: release
	$(SWIFT) package plugin generate-manual
	rm -rf .build/manual && cp -R .build/plugins/GenerateManual/outputs/tessera .build/manual

## Binary, systemd unit, sample config, man page and shell completions under $(DESTDIR)$(PREFIX)
## (e.g. `make install DESTDIR=/tmp/stage`; `PREFIX=/usr` for a package). Completions come from the binary itself.
PREFIX ?= /usr/local
install: release manual
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/doc/tessera $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/tessera
	sed 's|/usr/local/bin/tessera|$(PREFIX)/bin/tessera|' dist/tessera.service > $(DESTDIR)$(PREFIX)/lib/systemd/system/tessera.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/tessera.service
	install -m 0644 dist/tessera.json $(DESTDIR)$(PREFIX)/share/doc/tessera/tessera.json
	install -m 0644 .build/manual/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	$(BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tessera
	$(BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tessera
	$(BIN) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/tessera.fish

## libFuzzer targets (Fuzz/; see docs/reliability.md): every target, one after another, for 10 M executions
## (each capped at FUZZ_MAX_TIME seconds; built without ASan and against the release build's swift-crypto
## and NIO, for speed), or for 60 s each under AddressSanitizer (part of `test`); both print each run's
## execs and last status line, and fail if a run crashed.
FUZZ_MAX_TIME ?= 14400
.PHONY: fuzz fuzz-short
fuzz:
	SWIFT=$(SWIFT) FUZZ_SANITIZE=none FUZZ_CONFIG=release Fuzz/fuzz.sh run 10000000 $(FUZZ_MAX_TIME)

fuzz-short:
	SWIFT=$(SWIFT) Fuzz/fuzz.sh run 0 60
