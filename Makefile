# EfA Marktplatz — everything a fresh machine needs goes through here.
#   make run    migrate, load the real seed data into an embedded SQLite file, serve on 127.0.0.1:8080
#   make test   every test, on SQLite and PostgreSQL
#   make bench  load benchmark report (bench/results.md); not part of make test
#   make fuzz   spec-driven fuzzing (schemathesis) of the running binary, >= 5,000 requests; not part of make test
#   make assets the shop's front-end files (KERN CSS, subset Fira Sans, htmx) into crates/efa-web/assets/dist
#   make browser Debian's chromium for the browser tests (apt-get, only when /usr/bin/chromium is missing)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
DATABASE_URL ?= efa.db
EFA_BIND ?= 127.0.0.1:8080
export DATABASE_URL EFA_BIND

.PHONY: help run build test tools assets browser smtp postgres openapi bench fuzz clean

help:
	@echo "make run     migrate, seed the real catalogue into $(DATABASE_URL), serve on http://$(EFA_BIND)"
	@echo "make test    all tests on SQLite and PostgreSQL (starts the local PostgreSQL if it is down)"
	@echo "make openapi rewrite openapi/openapi.json from the code"
	@echo "make bench   benchmark report, written to bench/results.md"
	@echo "make fuzz    schemathesis against the running server, >= 5,000 generated requests (make test runs a short one)"
	@echo "make assets  npm ci + KERN CSS, subset fonts and htmx into crates/efa-web/assets/dist (build, test and run do it)"
	@echo "make browser install Debian's chromium for the browser tests when /usr/bin/chromium is missing (test does it)"

tools:
	@command -v $(CARGO) >/dev/null || { echo "ERROR: cargo (Rust toolchain) is required" >&2; exit 1; }
	@$(CARGO) nextest --version >/dev/null 2>&1 || { echo "installing cargo-nextest from crates.io" >&2; $(CARGO) install cargo-nextest --locked; }
	@command -v node >/dev/null || { echo "ERROR: node (Node.js >= 20) is required for the shop's assets and browser tests (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "ERROR: npm is required for the shop's assets and browser tests (Debian: apt-get install npm)" >&2; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || { echo "ERROR: Node.js >= 20 is required, found $$(node --version)" >&2; exit 1; }

# The shop's vendored front-end files, which efa-web embeds at compile time: so before every cargo
# build (build, run, test, openapi, bench, fuzz). npm ci (from package-lock.json) when node_modules is older than the lock, then KERN's CSS
# with the Fira Sans faces it uses, subset with fonttools (in .venv), and htmx. Quiet; when nothing
# changed it only compares a few timestamps. VERBOSE=1 prints the sizes of the files.
assets:
	@bash scripts/build-assets.sh

# Debian's chromium for the browser tests (playwright-core drives it; no browser download).
CHROMIUM := /usr/bin/chromium
browser:
	@[[ -x $(CHROMIUM) ]] || { \
	  echo "installing chromium from Debian (apt-get) for the browser tests" >&2; \
	  log=$$(mktemp); \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$$log" 2>&1 || { \
	    echo "apt-get install failed; updating the package lists and trying again" >&2; \
	    apt-get update -q >"$$log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$$log" 2>&1; } || { \
	    cat "$$log" >&2; rm -f "$$log"; echo "ERROR: apt-get could not install chromium (its output is above; it needs root and the Debian mirror)" >&2; exit 1; }; \
	  rm -f "$$log"; }
	@[[ -x $(CHROMIUM) ]] || { echo "ERROR: apt-get installed chromium but $(CHROMIUM) is missing" >&2; exit 1; }

# aiosmtpd (PyPI, pinned) in .venv: the SMTP server the e-mail test starts (e2e/tests/mail.rs).
smtp:
	@bash scripts/ensure-aiosmtpd.sh

build: assets
	$(CARGO) build --release -p efa

EFA := $(or $(CARGO_TARGET_DIR),./target)/release/efa

run: assets build
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
	@echo "Shop: http://$(EFA_BIND)/  (log in with the development login: organisation and role)"
	@echo "API docs: http://$(EFA_BIND)/docs/   (Ctrl-C stops the server)"
	$(EFA) serve

postgres:
	@bash scripts/ensure-postgres.sh

# One build of the workspace's tests, then nextest runs them in parallel, each on its own database.
test: tools postgres assets browser smtp
	$(CARGO) build -p efa
	$(CARGO) nextest run --workspace --no-fail-fast
	bash e2e/browser/run.sh
	FUZZ_SEED=$${FUZZ_SEED:-1} bash fuzz/run.sh --short

openapi: assets
	$(CARGO) run -q -p efa -- openapi --out openapi/openapi.json
	@echo "wrote openapi/openapi.json"

# Both databases: SQLite in bench/tmp, PostgreSQL in a fresh database that is dropped again.
bench: postgres assets
	bash bench/run.sh

# Spec-driven fuzzing with schemathesis (installed into .venv from PyPI on first use); see fuzz/run.sh.
fuzz: assets
	bash fuzz/run.sh

clean:
	$(CARGO) clean
	rm -rf bench/tmp crates/efa-web/assets/dist
