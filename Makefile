# tradefast: `make run` starts everything, `make test` runs the whole suite.
SHELL := /bin/bash
VENV ?= .venv
# Each set-up step says what it does as it starts and how long it took.
STEP := scripts/step
# Sources only: cargo's target folder holds generated .rs files newer than any build.
RUST_SOURCES := $(shell find rust -name target -prune -o \( -name '*.rs' -o -name 'Cargo.toml' -o -name 'Cargo.lock' \) -print) proto/tradefast.proto

# A virtualenv that is active and already holds this checkout's built extension and dependencies
# (say, after `maturin develop --release` in it) is used as it is; otherwise make builds .venv.
ENV_PURPOSE := $(if $(filter-out run setup web infra-% integration-test,$(or $(MAKECMDGOALS),setup)),test,run)
ifneq ($(VIRTUAL_ENV),)
ifneq ($(abspath $(VIRTUAL_ENV)),$(abspath $(VENV)))
ACTIVE_ENV := $(shell "$(VIRTUAL_ENV)/bin/python" -m tradefast.envcheck $(ENV_PURPOSE) "$(CURDIR)" 2>&1 | tail -n 1)
ifeq ($(ACTIVE_ENV),usable)
VENV := $(VIRTUAL_ENV)
$(info using the active virtualenv $(VENV): it has this checkout's extension and dependencies)
else
$(info not using the active virtualenv $(VIRTUAL_ENV): $(or $(ACTIVE_ENV),its python does not answer); using $(VENV))
endif
endif
endif

PY := $(VENV)/bin/python
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.core-built

.PHONY: setup test lint fmt proto

ifeq ($(ACTIVE_ENV),usable)
setup:
else
setup: $(CORE_STAMP)
endif

$(PY):
	@$(STEP) "creating the virtualenv $(VENV)" \
		bash -c 'python3 -m venv $(VENV) && $(BIN)/pip install --quiet --upgrade pip'

$(VENV)/.deps-installed: pyproject.toml | $(PY)
	@$(STEP) "installing maturin" $(BIN)/pip install --quiet "maturin>=1.9,<2"
	@touch $@

# maturin installs the Python dependencies (quietly), then cargo builds the extension, printing
# each crate it compiles (a progress bar on a terminal).
$(CORE_STAMP): $(VENV)/.deps-installed $(RUST_SOURCES)
	@$(STEP) "installing the Python dependencies and building the Rust extension (release; minutes the first time)" \
		bash -c 'source $(BIN)/activate && PIP=$(abspath $(BIN))/pip \
			maturin develop --release --extras dev --pip-path scripts/quiet-pip'
	@touch $@

# The dashboard (web/dist): npm packages from the lock file, protobuf code generated from
# proto/tradefast.proto, bundled by esbuild. Nothing is installed globally.
WEB_SOURCES := $(shell find web/src -type f -not -path 'web/src/gen/*') web/build.mjs proto/tradefast.proto

.PHONY: web
setup: web
web: web/dist/index.html

web/node_modules/.installed: web/package.json web/package-lock.json
	@$(STEP) "installing the dashboard's npm packages" bash -c 'cd web && npm ci --no-audit --no-fund'
	@touch $@

web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	@$(STEP) "building the dashboard" bash -c 'cd web && npm run --silent build'

proto: setup
	PATH=$(abspath $(BIN)):$$PATH $(PY) -m grpc_tools.protoc -Iproto \
		--python_out=python/tradefast/proto --mypy_out=python/tradefast/proto proto/tradefast.proto

# What the tests need from the OS (Java, Maven, Chromium) is installed with apt-get when running as
# root on Debian; otherwise one line says what to install, and make stops.
test: setup
	@$(PY) -m tradefast.infra.system_packages test
	cargo test --release --quiet --manifest-path rust/position_core/Cargo.toml
	$(BIN)/pytest --benchmark-disable

# Only the fault-injection tests (also part of `make test`), with their one-line findings.
.PHONY: chaos
chaos: setup
	$(BIN)/pytest --benchmark-disable -m chaos -s tests/chaos

# Only the tests on a local three-broker Kafka cluster and a Redis Cluster (also part of
# `make test`), with their figures: leader moves, failover and recovery times.
.PHONY: test-cluster
test-cluster: setup
	@$(PY) -m tradefast.infra.system_packages test
	$(BIN)/pytest --benchmark-disable -m cluster -s tests

lint: setup
	$(BIN)/ruff check python tests bench
	$(BIN)/ruff format --check python tests bench
	$(BIN)/mypy
	# The Rust extension against its stub (python/tradefast/_core.pyi), so the two cannot drift.
	MYPYPATH=python $(BIN)/python -m mypy.stubtest tradefast._core
	cargo fmt --manifest-path rust/position_core/Cargo.toml -- --check
	cargo clippy --manifest-path rust/position_core/Cargo.toml --all-targets -- -D warnings

fmt: setup
	$(BIN)/ruff format python tests bench
	$(BIN)/ruff check --fix python tests bench
	cargo fmt --manifest-path rust/position_core/Cargo.toml

# Local Kafka (KRaft, jars from Maven Central) and Redis: see docs/infra.md.
.PHONY: infra-fetch infra-up infra-up-cluster infra-down infra-status

infra-fetch: setup
	$(BIN)/tradefast infra fetch

infra-up: setup
	$(BIN)/tradefast infra up

# Three Kafka brokers (3 replicas, 2 in sync) and a Redis Cluster: docs/deploy.md.
infra-up-cluster: setup
	$(BIN)/tradefast infra up --brokers 3 --redis-cluster

infra-down: setup
	$(BIN)/tradefast infra down

infra-status: setup
	$(BIN)/tradefast infra status

# The whole pipeline on this machine (infra, services, dashboard); Ctrl-C stops it. RATE=inquiries/s
# (else TRADEFAST_RUN_RATE, else 20: docs/settings.md).
.PHONY: run

run: setup
	@$(PY) -m tradefast.infra.system_packages run
	@$(BIN)/tradefast run $(if $(RATE),--rate $(RATE))

# The end-to-end integration test script (also run once by `make test`, through
# tests/integration/test_integration_script.py): starts its own Kafka and Redis on free ports
# unless TRADEFAST_KAFKA_BOOTSTRAP / TRADEFAST_REDIS_URL name running ones.
.PHONY: integration-test
integration-test: setup
	$(PY) -m tradefast.integration

# The end-to-end benchmark (docs/bench.md): hop floor, e2e at 1k and 10k/s on the Rust and the
# reference core, max-rate search, then the dashboard alone in Chromium under recorded gateway
# frames at 1k, 10k and 30k updates/s; writes bench/results/<date>.{json,md,png}. Reuses Kafka and
# Redis when they answer at the configured addresses, else starts and stops them.
.PHONY: bench
bench: setup
	@$(PY) -m tradefast.infra.system_packages bench
	$(BIN)/tradefast bench suite --out bench/results
