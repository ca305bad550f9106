# SPDX-License-Identifier: Apache-2.0
# Entry points. `make run` and `make check` do all set-up on a fresh Debian 12
# machine (packages, configure, build). See docs/development.md.
.PHONY: all deps build run check check-asan debug bench fuzz lint format coverage conformance clean

B ?= build

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@bash scripts/build.sh $(B)

run: build
	@bash scripts/run-main.sh $(B)

check: build
	@bash scripts/run-tests.sh $(B)

debug: deps
	@bash scripts/build.sh build-debug -Dbuildtype=debug

check-asan: deps
	@bash scripts/build.sh build-asan --asan
	@bash scripts/run-tests.sh build-asan

bench: build
	@bash scripts/bench.sh $(B)

fuzz: deps
	@bash scripts/fuzz.sh

lint: deps
	@bash scripts/lint.sh

format: deps
	@bash scripts/lint.sh --fix

coverage: deps
	@bash scripts/build.sh build-cov -Dbuildtype=debug -Db_coverage=true
	@bash scripts/run-tests.sh build-cov || true
	@ninja -C build-cov coverage-text >/dev/null && cat build-cov/meson-logs/coverage.txt

# Needs ENARX_WASM_TESTSUITE (spec test/core at wg-2.0) and/or
# ENARX_WASI_TESTSUITE; ENARX_WAST2JSON may name a wast2json newer than Debian's.
conformance: build
	@bash tests/conformance/wasm/conformance.sh $(B)
	@bash scripts/run-tests.sh $(B) --suite conformance

clean:
	rm -rf build build-debug build-asan build-cov build-fuzz
