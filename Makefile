# EfA Marktplatz — everything a fresh machine needs goes through here.
#   make run    migrate, load the real seed data into an embedded SQLite file, serve on 127.0.0.1:8080
#   make test   every test, on SQLite and PostgreSQL
#   make bench  load benchmark report (bench/results.md); not part of make test
#   make fuzz   spec-driven fuzzing (schemathesis) of the running binary, >= 5,000 requests; not part of make test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
DATABASE_URL ?= efa.db
EFA_BIND ?= 127.0.0.1:8080
export DATABASE_URL EFA_BIND

.PHONY: help run build test tools postgres openapi bench fuzz clean

help:
	@echo "make run     migrate, seed the real catalogue into $(DATABASE_URL), serve on http://$(EFA_BIND)"
	@echo "make test    all tests on SQLite and PostgreSQL (starts the local PostgreSQL if it is down)"
	@echo "make openapi rewrite openapi/openapi.json from the code"
	@echo "make bench   benchmark report, written to bench/results.md"
	@echo "make fuzz    schemathesis against the running server, >= 5,000 generated requests (make test runs a short one)"

tools:
	@command -v $(CARGO) >/dev/null || { echo "ERROR: cargo (Rust toolchain) is required" >&2; exit 1; }
	@$(CARGO) nextest --version >/dev/null 2>&1 || { echo "installing cargo-nextest from crates.io" >&2; $(CARGO) install cargo-nextest --locked; }

build:
	$(CARGO) build --release -p efa

EFA := ./target/release/efa

run: build
	$(EFA) migrate
	$(EFA) seed
	@echo
	@echo "Bearer tokens for trying the write endpoints (local development key, valid 8 hours):"
	@echo "  municipality_user  (Köln):                  $$($(EFA) token --org ags:05315000 --role municipality_user --ttl 8h)"
	@echo "  municipality_user  (Kreis Kleve):           $$($(EFA) token --org kreis:05154 --role municipality_user --ttl 8h)"
	@echo "  provider_publisher (Land Nordrhein-Westfalen): $$($(EFA) token --org land:05 --role provider_publisher --ttl 8h)"
	@echo "  land_coordinator   (Nordrhein-Westfalen):   $$($(EFA) token --org land:05 --role land_coordinator --land 05 --ttl 8h)"
	@echo "  operator           (FITKO):                 $$($(EFA) token --org 'name:FITKO (Föderale IT-Kooperation)' --role operator --ttl 8h)"
	@echo "  (bundler: no bundling organisation is in the real data; mint one with efa token --org <id> --role bundler)"
	@echo
	@echo "API docs: http://$(EFA_BIND)/docs/   (Ctrl-C stops the server)"
	$(EFA) serve

postgres:
	@bash scripts/ensure-postgres.sh

# One build of the workspace's tests, then nextest runs them in parallel, each on its own database.
test: tools postgres
	$(CARGO) build -p efa
	$(CARGO) nextest run --workspace --no-fail-fast
	FUZZ_SEED=$${FUZZ_SEED:-1} bash fuzz/run.sh --short

openapi:
	$(CARGO) run -q -p efa -- openapi --out openapi/openapi.json
	@echo "wrote openapi/openapi.json"

# Both databases: SQLite in bench/tmp, PostgreSQL in a fresh database that is dropped again.
bench: postgres
	bash bench/run.sh

# Spec-driven fuzzing with schemathesis (installed into .venv from PyPI on first use); see fuzz/run.sh.
fuzz:
	bash fuzz/run.sh

clean:
	$(CARGO) clean
	rm -rf bench/tmp
