# Tessera — two commands matter on a fresh machine: `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
BIN := .build/release/tessera
PORT ?= 9000
DATA ?= ./data

.PHONY: run build release test unit integration crashtest crashtest-short bench clean

## Build (release) and run the daemon on 127.0.0.1:$(PORT) with data under $(DATA).
run: release
	$(BIN) serve --listen 127.0.0.1:$(PORT) --data-dir $(DATA) --domain localhost

release:
	$(SWIFT) build -c release --product tessera

build:
	$(SWIFT) build

## Every test: Swift unit and in-process tests, the real-client suite against the release binary,
## and the short crash-consistency run.
test: unit crashtest-short integration

unit:
	$(SWIFT) test

integration: release
	TESSERA_BIN=$(BIN) $(PYTHON) -m pytest -q -p no:cacheprovider Tests/integration

## kill -9 at random moments under concurrent writers; verifies nothing acknowledged is lost.
crashtest: release
	$(PYTHON) Tests/crash/crashtest.py --kills 50 --bin $(BIN)

crashtest-short: release
	$(PYTHON) Tests/crash/crashtest.py --kills 6 --bin $(BIN)

## Performance figures and their ratios to references measured in the same run (loopback only; not part of test).
## BENCH_FULL=1 adds the 10 GiB multipart case. See docs/performance.md.
bench: release
	TESSERA_BIN=$(BIN) $(PYTHON) bench/run.py

clean:
	rm -rf .build
