# wasm-session: build / test entry points.
#
#   make setup   install missing tools (rust targets/components, wasm-pack,
#                wasm-bindgen-cli matching Cargo.lock, chromium + chromedriver,
#                brotli, node/npm, wasm-opt) -- quick when everything is present
#   make test    fmt, clippy (native + wasm32), native tests, headless Chrome tests,
#                the package checks (check-package), end-to-end tests
#   make build   release npm package in pkg/
#   make size    shipped size (bundler form: wasm gzip + glue minified, gzip; and
#                unminified, gzip and brotli) and the wasm's code per crate/module
#   make ui      wasm-session/react (React 18, 19) and wasm-session/dialog in Chromium
#   make bundlers  the packed package in Vite, webpack and esbuild apps (Chromium)
#                and a Vitest fake-timer unit test (part of `make test`)
#   make check-package  the size against size-budget.json, the packed files
#                against scripts/pack-files.txt, and no JSON text or HTTP-date
#                parser in the release wasm (part of `make test`)
#   make fuzz    cargo fuzz every target for FUZZ_SECONDS (default 30) each
#   make clean   remove build output
#
# Nothing here downloads binaries outside crates.io / apt: wasm-pack runs with
# `--mode no-install`, uses the wasm-bindgen on PATH and the apt chromedriver,
# and wasm-opt is the npm `binaryen` package pinned in tools/binaryen (Debian
# bookworm's binaryen 108 corrupts wasm-bindgen's externref table export,
# binaryen#4711, fixed in 110).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

# Tools installed by `cargo install` live here; make sure they win on PATH.
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(PATH)

WASM_TARGET := wasm32-unknown-unknown
PKG_DIR     := pkg
OUT_NAME    := wasm_session
WASM        := $(PKG_DIR)/$(OUT_NAME)_bg.wasm
# The release wasm as wasm-bindgen wrote it, before wasm-opt: it keeps the name
# section that `make size` reads for its per-module table.
NAMES_WASM  := target/size/$(OUT_NAME)_bg.names.wasm
SIZE_JSON   := target/size/size.json
SIZE_BUDGET := size-budget.json

# Deferred (`?=` / `=`): evaluated when used, i.e. after `setup` installed it.
CHROMEDRIVER ?= $(shell command -v chromedriver)

# Chrome capabilities (args) for wasm-bindgen-test-runner; it otherwise only
# looks for ./webdriver.json relative to its working directory.
export WASM_BINDGEN_TEST_WEBDRIVER_JSON := $(CURDIR)/webdriver.json
# Seconds per browser test run; the default 20 s is tight on a busy CI box.
export WASM_BINDGEN_TEST_TIMEOUT ?= 120

WASM_OPT := tools/binaryen/node_modules/.bin/wasm-opt
# Features rustc 1.95's wasm32-unknown-unknown output uses by default (also
# detected from its target_features section; listed so that a module without
# that section is not optimized as MVP wasm, which breaks wasm-bindgen's
# tables at init).
WASM_OPT_FEATURES := \
	--enable-bulk-memory \
	--enable-bulk-memory-opt \
	--enable-nontrapping-float-to-int \
	--enable-sign-ext \
	--enable-mutable-globals \
	--enable-reference-types \
	--enable-call-indirect-overlong \
	--enable-multivalue
# Measured on the release wasm (issue 13), gzip -9 of the .wasm: -Oz 87,796 B;
# -Os 87,445; -Os --converge then --flatten --rereloop -Os 86,522 (the flattened
# control flow re-optimized compresses better); the producers and
# target_features sections are of no use in the package. -ocimfs 20: binaryen
# otherwise inlines every function that has one caller, whatever its size, and
# the big single-caller bodies then repeat in the callers' copies (wasm gzip
# 86,354 -> 84,064 B; 0: 84,627, 10: 84,230, 40: 84,497, the default: 86,354);
# --merge-similar-functions folds bodies that differ only in constants (-36 B);
# a last -Os --converge re-optimizes the merged bodies (-99 B at e3b0d47; another
# --flatten --rereloop there, +83).
WASM_OPT_FLAGS ?= -Os --converge --flatten --rereloop -Os -ocimfs 20 --merge-similar-functions -Os --converge \
	--strip-producers --strip-target-features $(WASM_OPT_FEATURES)

.PHONY: all setup test types e2e bundlers ui build size check-package demo bench fuzz clean

all: test

setup:
	bash scripts/setup.sh

test: setup
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --lib --target $(WASM_TARGET) -- -D warnings
	cargo test
	cargo clippy -p wasm-session-testkit --all-targets -- -D warnings
	cargo test -p wasm-session-testkit
	cargo clippy -p wasm-session-server --all-targets -- -D warnings
	cargo test -p wasm-session-server
	@test -n "$(CHROMEDRIVER)" || { echo "chromedriver not found on PATH" >&2; exit 1; }
	wasm-pack test --headless --chrome --chromedriver "$(CHROMEDRIVER)" --mode no-install
	$(MAKE) --no-print-directory check-package
	$(MAKE) --no-print-directory bundlers SKIP_BUILD=1
	$(MAKE) --no-print-directory e2e
	$(MAKE) --no-print-directory ui

# End-to-end: the demo page and the reference backend in real Chromium tabs
# (node:test + playwright-core driving Debian's chromium). Uses the debug
# package from `types` and the debug server that `cargo test -p` built.
e2e: types
	bash scripts/setup.sh --npm tests/e2e >/dev/null
	cargo build -p wasm-session-server
	node --test --test-concurrency=1 tests/e2e/

# wasm-session/react with React 18 and 19 (production builds, StrictMode in development
# builds, server rendering) and wasm-session/dialog (axe-core, keyboard only, two tabs)
# in Chromium, against the debug package from `types`.
ui: types
	bash scripts/setup.sh --npm tests/ui --npm tools/esbuild >/dev/null
	tests/types/node_modules/.bin/tsc -p tests/ui
	node --test --test-concurrency=1 tests/ui/

# The packed package as users install it (tests/bundlers): apps built for production
# with Vite, webpack and esbuild, run in Chromium, and a Vitest unit test with fake
# timers; the steps are README's "Use with…". `make test` runs it on the pkg/ that
# check-package built (SKIP_BUILD=1).
bundlers: $(if $(SKIP_BUILD),,build)
	bash scripts/setup.sh --npm tests/bundlers >/dev/null
	node tests/bundlers/install-package.mjs
	cd tests/bundlers && node --test --test-concurrency=1 --test-reporter=spec apps.test.mjs
	cd tests/bundlers && node_modules/.bin/vitest run

# The published declarations, type-checked the way a TypeScript user writes code
# (tests/types/usage.ts imports "wasm-session"); a debug build is enough.
types: setup
	bash scripts/setup.sh --npm tests/types >/dev/null
	wasm-pack build --dev --mode no-install --target web --out-dir target/types-pkg --out-name $(OUT_NAME) 2>&1 | tail -n 1
	node scripts/finish-pkg.mjs target/types-pkg
	tests/types/node_modules/.bin/tsc -p tests/types
	tests/types/node_modules/.bin/tsc -p tests/types/tsconfig.es2022.json
	@echo "types: tests/types type-checks against the generated declarations (lib esnext, and lib ES2022 + DOM)"

# After wasm-bindgen: closure shims only the function table still names are
# dropped, and after wasm-opt the functions are ordered so that similar bodies sit
# together for gzip (scripts/wasm-layout.mjs says why each is safe and what it saves).
build: setup
	rm -rf $(PKG_DIR)
	wasm-pack build --release --mode no-install --target web \
		--out-dir $(PKG_DIR) --out-name $(OUT_NAME)
	node scripts/wasm-layout.mjs drop-dead-shims $(WASM) $(WASM)
	mkdir -p $(dir $(NAMES_WASM)) && cp $(WASM) $(NAMES_WASM)
	$(WASM_OPT) $(WASM_OPT_FLAGS) -g $(WASM) -o $(WASM).opt
	node scripts/wasm-layout.mjs order-for-gzip $(WASM).opt $(WASM) $(WASM_OPT) $(WASM_OPT_FEATURES)
	rm $(WASM).opt
	node scripts/minify-imports.mjs $(WASM) $(PKG_DIR)/$(OUT_NAME).js \
		$(PKG_DIR)/$(OUT_NAME).d.ts $(PKG_DIR)/$(OUT_NAME)_bg.wasm.d.ts
	node scripts/check-wasm.mjs $(WASM)
	node scripts/finish-pkg.mjs $(PKG_DIR)
	python3 scripts/gen-pkg-json.py pkg.json Cargo.toml $(PKG_DIR)/package.json
	rm -f $(PKG_DIR)/.gitignore
	cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE $(PKG_DIR)/
	@ls -l $(PKG_DIR)

# The headline is the bundler form (what an app built with Vite, webpack or esbuild
# ships); scripts/size.mjs says how each figure is measured. Also writes $(SIZE_JSON).
size: build
	bash scripts/setup.sh --npm tools/esbuild >/dev/null
	node scripts/size.mjs report --pkg $(PKG_DIR) --names $(NAMES_WASM) \
		--json $(SIZE_JSON) --budget $(SIZE_BUDGET)

# Growth needs a decision: fails when the bundler-form size exceeds $(SIZE_BUDGET)
# (lower it as the size falls), when `npm pack` would ship other files than
# scripts/pack-files.txt lists, or when the release wasm's name section shows a
# JSON text parser or an HTTP-date parser (the browser does both).
check-package: size
	node --test --test-reporter=spec scripts/size-tools.test.mjs scripts/finish-pkg.test.mjs
	node scripts/size.mjs check --json $(SIZE_JSON) --budget $(SIZE_BUDGET)
	node scripts/check-pack.mjs $(PKG_DIR) scripts/pack-files.txt
	node scripts/check-names.mjs $(NAMES_WASM) target/$(WASM_TARGET)/release/$(OUT_NAME).wasm

# The demo: the package, the reference backend, and the page in www/.
# `make demo DEMO_MODE=cookie` shows cookie sessions; `make demo DEMO_REFRESH=body`
# bearer tokens with the refresh token in memory (JSON bodies) instead of an
# HttpOnly cookie; DEMO_PORT=0 picks a free port.
DEMO_PORT ?= 8080
DEMO_MODE ?= bearer
DEMO_REFRESH ?= cookie
demo: setup build
	cargo build --release -p wasm-session-server
	@echo "Starting the reference backend; open the URL below, then 'Open another tab'. Ctrl-C stops it."
	target/release/wasm-session-server --port $(DEMO_PORT) --mode $(DEMO_MODE) --refresh-token $(DEMO_REFRESH) \
		--static-dir www --pkg-dir $(PKG_DIR) --access-ttl 20s --idle-timeout 10m --absolute-timeout 30m

# Benchmarks (numbers, not pass/fail): size, init, activity overhead, cross-tab
# logout latency, timer error, refreshes per token lifetime, wasm memory per tab;
# peers from npm (react-idle-timer inside a production React root), measured in
# the same run. Writes bench/report.md and bench/report.json. BENCH_SOAK_S=300 for
# the 5-minute memory soak (default 90 s); BENCH_QUICK=1 for a smoke run.
bench: build
	bash scripts/setup.sh --npm bench >/dev/null
	node bench/run.mjs

# Coverage-guided fuzzing (cargo fuzz on nightly, libFuzzer) of every parser and
# the state machine, from the seed corpus in fuzz/corpus, FUZZ_SECONDS (default
# 30) per target. `make test` replays the same corpus and runs the same targets
# on proptest inputs (testkit/tests/core/fuzz.rs; the targets are in testkit/src/fuzz/).
fuzz:
	bash scripts/fuzz.sh

clean:
	rm -rf $(PKG_DIR)
	cargo clean
