# Twofold: `make run` builds everything and serves http://127.0.0.1:8080 on
# SQLite; `make test` runs every test (unit, PostgreSQL, headless Chromium).

SHELL := /bin/bash
GO    ?= go
# The server is built and tested with Go 1.27.3, which the Go module proxy
# serves (about 76 MB, fetched once per machine): the machine's Go 1.26.8
# has standard-library vulnerabilities that govulncheck finds reachable
# from the server (net/http, html/template, crypto/x509). The WASM console
# keeps the machine's Go (WASM_GOTOOLCHAIN): none of those packages runs in
# the browser build, and Go 1.27 makes app.wasm 217 KB (brotli) larger.
export GOTOOLCHAIN := go1.27.3
WASM_GOTOOLCHAIN ?= local
BIN   := bin/twofold
WASM  := web/static/app.wasm
export CGO_ENABLED := 0
# validator_novalidatefn drops the validator's validateFn rule, whose
# reflect.MethodByName keeps every exported method of the UI in the binary
# (-354 KB brotli). Nothing in shared/ may use that rule.
WASM_TAGS := -tags validator_novalidatefn
# axe-core, injected by the browser tests (.ci/ensure-tools test installs it).
AXE := $(CURDIR)/.cache/axe-core/node_modules/axe-core/axe.min.js
# Tools pinned in go.mod's tool directive. staticcheck is built for this
# machine once, so it can check the js/wasm target too.
STATICCHECK := .cache/bin/staticcheck
# Packages the race detector runs on: the server and shared packages, not
# the browser tests nor the cluster tests (real server processes, built
# without the race detector: the run would only check the harness twice).
RACE_PKGS = $$($(GO) list ./server/... ./shared/... | grep -v -e '/server/internal/e2e$$' -e '/server/internal/cluster$$')
# `make test` runs every test once: RACE_PKGS under the race detector, the
# others without it (NORACE_PKGS: two-process, console and tools packages;
# the browser tests, server/internal/e2e, as two processes: e2e-shard-*),
# and then the timing tests that skip themselves under the race detector.
NORACE_PKGS = $$(comm -23 <($(GO) list ./... | grep -v '/server/internal/e2e$$' | sort) <($(GO) list ./server/... ./shared/... | grep -v -e '/server/internal/e2e$$' -e '/server/internal/cluster$$' | sort))
TIMING_TESTS = ^TestArgon2ParametersConverge$$
# Time each fuzz target runs in `make fuzz`.
FUZZTIME ?= 10s

APP_SRC    := $(shell find app shared -name '*.go' 2>/dev/null) go.mod go.sum Makefile
SERVER_SRC := $(shell find server shared app web -name '*.go' 2>/dev/null) $(wildcard web/static/*.css web/static/*.png web/static/*.svg) go.mod go.sum

.PHONY: all build run test test-norace norace-others e2e-shard-0 e2e-shard-1 lint vulncheck race deploy-check fuzz bench bench-go clean tools-build tools-test $(STATICCHECK)

all: build

## build: the WASM console (with .br and .gz copies) and the server binary in bin/
build: $(BIN)

tools-build:
	@.ci/ensure-tools build

$(WASM): $(APP_SRC) | tools-build
	GOTOOLCHAIN=$(WASM_GOTOOLCHAIN) GOOS=js GOARCH=wasm $(GO) build $(WASM_TAGS) -trimpath -ldflags="-s -w" -o $(WASM) ./app
	brotli -q 11 -f -k $(WASM)
	gzip -9 -k -f $(WASM)
	@printf 'app.wasm: %s bytes raw, %s bytes brotli, %s bytes gzip\n' \
		$$(stat -c %s $(WASM)) $$(stat -c %s $(WASM).br) $$(stat -c %s $(WASM).gz)

$(BIN): $(WASM) $(SERVER_SRC)
	$(GO) build -trimpath -o $(BIN) ./server

## run: build, then serve with the defaults (SQLite in ./data)
run: build
	./$(BIN) serve

## test: every check and test: lint (gofmt, vet and staticcheck for both
## targets), govulncheck, the deployment guide's configuration files
## (nginx, caddy, systemd), then every test once (fuzz seed corpora
## included): the server and shared packages under the race detector beside
## the other packages, then the timing tests that the race detector skips;
## installs
## Chromium, gcc and axe-core, fetches nginx and caddy, and starts
## PostgreSQL when needed
test: build
	@.ci/ensure-tools test
	@.ci/step lint $(MAKE) --no-print-directory lint
	@.ci/step vulncheck $(MAKE) --no-print-directory vulncheck
	@.ci/step deploy .ci/check-deploy $(BIN)
	@.ci/step tests env TWOFOLD_REQUIRE_BUILD=1 $(MAKE) --no-print-directory -j4 race test-norace
	@.ci/step timing env TWOFOLD_REQUIRE_POSTGRES=1 $(GO) test -count=1 -run '$(TIMING_TESTS)' ./server/internal/console/

# test-norace: the packages the race step leaves out (browser tests, the
# two-process tests, the UI packages and the tools). `make test` runs it beside
# the race step: the longest package of each (the console's server tests
# under the race detector, the browser tests) uses about one core.
# The browser tests run as two processes at once (TWOFOLD_E2E_SHARD): they
# wait on the browser most of the time (about half a core each).
test-norace: norace-others e2e-shard-0 e2e-shard-1

norace-others:
	TWOFOLD_E2E=1 TWOFOLD_REQUIRE_POSTGRES=1 TWOFOLD_REQUIRE_BUILD=1 TWOFOLD_AXE=$(AXE) \
		$(GO) test -count=1 -timeout 20m $(NORACE_PKGS)

e2e-shard-0 e2e-shard-1: e2e-shard-%:
	TWOFOLD_E2E=1 TWOFOLD_E2E_SHARD=$*/2 TWOFOLD_REQUIRE_POSTGRES=1 TWOFOLD_REQUIRE_BUILD=1 TWOFOLD_AXE=$(AXE) \
		$(GO) test -count=1 -timeout 20m ./server/internal/e2e

## lint: formatting, go vet and staticcheck, for linux and for js/wasm
lint: $(STATICCHECK)
	@out=$$(gofmt -l app server shared web .ci); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet .ci/vulngate.go
	GOTOOLCHAIN=$(WASM_GOTOOLCHAIN) GOOS=js GOARCH=wasm $(GO) vet $(WASM_TAGS) ./app/... ./shared/...
	@rc=0; \
	echo "$(STATICCHECK) ./...  (linux)"; $(STATICCHECK) ./... || rc=1; \
	echo "$(STATICCHECK) $(WASM_TAGS) ./app/... ./shared/...  (js/wasm)"; \
	GOTOOLCHAIN=$(WASM_GOTOOLCHAIN) GOOS=js GOARCH=wasm $(STATICCHECK) $(WASM_TAGS) ./app/... ./shared/... || rc=1; \
	exit $$rc

$(STATICCHECK):
	@$(GO) build -o $@ honnef.co/go/tools/cmd/staticcheck

## vulncheck: govulncheck with an offline snapshot of the vulnerability
## database (skipped, saying why, when it cannot be had)
vulncheck:
	@GO=$(GO) VULNCHECK_STDLIB=$${VULNCHECK_STDLIB:-fail} .ci/vulncheck

## race: the server and shared tests under the race detector (cgo on for
## this run only; needs gcc and PostgreSQL, see .ci/ensure-tools test)
race:
	CGO_ENABLED=1 TWOFOLD_REQUIRE_POSTGRES=1 $(GO) test -race -count=1 -timeout 15m $(RACE_PKGS)

## deploy-check: the configuration files of docs/deploy.md (nginx -t,
## caddy validate, systemd-analyze verify and security)
deploy-check: $(BIN)
	@.ci/check-deploy $(BIN)

## fuzz: every Fuzz* target of the module, FUZZTIME (10s) each
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

## bench: the load generator (server/cmd/bench) against bin/twofold on
## SQLite and PostgreSQL (when reachable): sign-ins, argon2 limit, cheap
## hash, flood, GET /api/account, memory, start-up, WASM sizes, first
## paint; prints a table and writes bench.json (never part of `make test`;
## BENCH_FLAGS=-long for longer phases, BENCH_FLAGS=-flat=5m for the
## flatness run)
bench: build
	@.ci/ensure-tools bench
	$(GO) run ./server/cmd/bench $(BENCH_FLAGS)

## bench-go: the Go micro-benchmarks (go test -bench)
bench-go:
	TWOFOLD_REQUIRE_POSTGRES=0 $(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin test-artifacts .cache $(WASM) $(WASM).br $(WASM).gz
