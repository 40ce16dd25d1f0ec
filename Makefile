# tradefast: `make run` starts everything, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-built
RUST_SOURCES := $(shell find rust -name '*.rs' -o -name 'Cargo.toml' -o -name 'Cargo.lock' -o -name 'build.rs') proto/tradefast.proto

.PHONY: setup test lint fmt proto

setup: $(CORE_STAMP)

$(PY):
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.deps-installed: pyproject.toml | $(PY)
	$(BIN)/pip install --quiet "maturin>=1.9,<2"
	touch $@

$(CORE_STAMP): $(VENV)/.deps-installed $(RUST_SOURCES)
	source $(BIN)/activate && maturin develop --release --extras dev --quiet
	touch $@

# The dashboard (web/dist): npm packages from the lock file, protobuf code generated from
# proto/tradefast.proto, bundled by esbuild. Nothing is installed globally.
WEB_SOURCES := $(shell find web/src -type f -not -path 'web/src/gen/*') web/build.mjs proto/tradefast.proto

.PHONY: web
setup: web
web: web/dist/index.html

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run build

proto: setup
	PATH=$(abspath $(BIN)):$$PATH $(PY) -m grpc_tools.protoc -Iproto \
		--python_out=python/tradefast/proto --mypy_out=python/tradefast/proto proto/tradefast.proto

test: setup
	cargo test --release --quiet --manifest-path rust/position_core/Cargo.toml
	$(BIN)/pytest --benchmark-disable

# Only the fault-injection tests (also part of `make test`), with their one-line findings.
.PHONY: chaos
chaos: setup
	$(BIN)/pytest --benchmark-disable -m chaos -s tests/chaos

lint: setup
	$(BIN)/ruff check python tests bench
	$(BIN)/ruff format --check python tests bench
	$(BIN)/mypy
	cargo fmt --manifest-path rust/position_core/Cargo.toml -- --check
	cargo clippy --manifest-path rust/position_core/Cargo.toml --all-targets -- -D warnings

fmt: setup
	$(BIN)/ruff format python tests bench
	$(BIN)/ruff check --fix python tests bench
	cargo fmt --manifest-path rust/position_core/Cargo.toml

# Local Kafka (KRaft, jars from Maven Central) and Redis: see docs/infra.md.
.PHONY: infra-fetch infra-up infra-down infra-status

infra-fetch: setup
	$(BIN)/tradefast infra fetch

infra-up: setup
	$(BIN)/tradefast infra up

infra-down: setup
	$(BIN)/tradefast infra down

infra-status: setup
	$(BIN)/tradefast infra status

# The whole pipeline on this machine (infra, services, dashboard); Ctrl-C stops it. RATE=inquiries/s.
.PHONY: run
RATE ?= 20

run: setup
	$(BIN)/tradefast run --rate $(RATE)

# The end-to-end integration test script (also run once by `make test`, through
# tests/integration/test_integration_script.py): starts its own Kafka and Redis on free ports
# unless TRADEFAST_KAFKA_BOOTSTRAP / TRADEFAST_REDIS_URL name running ones.
.PHONY: integration-test
integration-test: setup
	$(PY) -m tradefast.integration

# The end-to-end benchmark (docs/bench.md): hop floor, e2e at 1k and 10k/s on the Rust and the
# reference core, max-rate search; writes bench/results/<date>.{json,md,png}. Reuses Kafka and
# Redis when they answer at the configured addresses, else starts and stops them.
.PHONY: bench
bench: setup
	$(BIN)/tradefast bench suite --out bench/results
