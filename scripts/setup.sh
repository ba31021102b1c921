#!/usr/bin/env bash
# Install everything `make test` / `make build` need on a fresh Debian machine.
#
# Idempotent and quick (a few seconds) when everything is already present.
# Prints one line per tool: "<tool>: present (...)" or "<tool>: installed (...)".
#
# Usage:
#   scripts/setup.sh              # toolchain, wasm tools, chromium, brotli, node,
#                                 # and wasm-opt (npm ci in tools/binaryen)
#   scripts/setup.sh --npm DIR    # additionally `npm ci` in DIR when its
#                                 # node_modules is missing or older than its lockfile
#
# Never downloads binaries from outside crates.io / npm / Debian apt: wasm-pack
# and wasm-bindgen-cli are built with `cargo install`, chromium/chromedriver,
# brotli and node/npm come from apt, wasm-opt from the npm `binaryen` package.
# Browsers for playwright are never downloaded (no `npx playwright install`);
# e2e tests use the apt chromium.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# wasm-opt comes from the npm `binaryen` package pinned in tools/binaryen:
# Debian bookworm's binaryen 108 writes wasm-bindgen's `__wbindgen_externrefs`
# table export pointing at the funcref table (binaryen#4711, fixed in 110), which
# breaks the package at init. So tools/binaryen is always installed.
NPM_DIRS=(tools/binaryen)
while [[ $# -gt 0 ]]; do
    case "$1" in
        --npm)
            [[ $# -ge 2 ]] || { echo "setup.sh: --npm needs a directory" >&2; exit 2; }
            NPM_DIRS+=("$2")
            shift 2
            ;;
        -h|--help)
            sed -n '2,17p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            echo "setup.sh: unknown argument: $1" >&2
            exit 2
            ;;
    esac
done

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

say() { printf '%-18s %s\n' "$1:" "$2"; }
die() { echo "setup.sh: error: $*" >&2; exit 1; }

if [[ "$(id -u)" -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi

# ---------------------------------------------------------------- apt packages
# "<command that proves it is installed> <debian package(s) providing it>"
APT_TOOLS=(
    "chromium chromium"
    "chromedriver chromium-driver"
    "brotli brotli"
    "gzip gzip"
    "python3 python3"
    "cc gcc libc6-dev"
    "node nodejs"
    "npm npm"
)

apt_missing=()
for entry in "${APT_TOOLS[@]}"; do
    read -r cmd pkgs <<<"$entry"
    if ! command -v "$cmd" >/dev/null 2>&1; then
        read -r -a pkg_list <<<"$pkgs"
        apt_missing+=("${pkg_list[@]}")
    fi
done
if [[ ${#apt_missing[@]} -gt 0 ]]; then
    command -v apt-get >/dev/null 2>&1 \
        || die "missing ${apt_missing[*]} and apt-get is not available; install them by hand"
    echo "apt-get: installing ${apt_missing[*]}"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${apt_missing[@]}"
fi
for entry in "${APT_TOOLS[@]}"; do
    read -r cmd pkgs <<<"$entry"
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after apt-get install $pkgs"
    state=present
    for m in "${apt_missing[@]+"${apt_missing[@]}"}"; do
        [[ " $pkgs " == *" $m "* ]] && state=installed
    done
    say "$cmd" "$state ($(command -v "$cmd"))"
done

# ---------------------------------------------------------------- rust toolchain
command -v rustup >/dev/null 2>&1 || die "rustup not found; install Rust via rustup first"
command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust via rustup first"

installed_targets="$(rustup target list --installed)"
if grep -qx 'wasm32-unknown-unknown' <<<"$installed_targets"; then
    say "wasm32 target" "present"
else
    rustup target add wasm32-unknown-unknown
    say "wasm32 target" "installed"
fi

installed_components="$(rustup component list --installed)"
for comp in clippy rustfmt; do
    if grep -q "^${comp}\(-\|$\)" <<<"$installed_components"; then
        say "$comp" "present"
    else
        rustup component add "$comp"
        say "$comp" "installed"
    fi
done

# cargo install --locked, falling back to a fresh resolution when the package's
# own lockfile pins a dependency version the registry index does not (yet) serve
# (seen with wasm-bindgen-cli 0.2.130: webpki-roots 1.0.11).
cargo_install() {
    if ! cargo install --locked "$@"; then
        echo "setup.sh: 'cargo install --locked $*' failed; retrying without --locked" >&2
        cargo install "$@"
    fi
}

# wasm-pack: any version; it only drives cargo and wasm-bindgen.
if command -v wasm-pack >/dev/null 2>&1; then
    say "wasm-pack" "present ($(wasm-pack --version))"
else
    cargo_install wasm-pack
    say "wasm-pack" "installed ($(wasm-pack --version))"
fi

# wasm-bindgen-cli: must match the wasm-bindgen crate in Cargo.lock exactly,
# otherwise wasm-pack would try to download it and the CLI would refuse the
# schema of the compiled wasm.
[[ -f Cargo.lock ]] || cargo generate-lockfile
WB_VERSION="$(awk '
    $0 == "name = \"wasm-bindgen\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
[[ -n "$WB_VERSION" ]] || die "could not find the wasm-bindgen version in Cargo.lock"

have_wb=""
if command -v wasm-bindgen >/dev/null 2>&1; then
    have_wb="$(wasm-bindgen --version | awk '{print $2}')"
fi
if [[ "$have_wb" == "$WB_VERSION" ]] && command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
    say "wasm-bindgen-cli" "present ($WB_VERSION)"
else
    echo "wasm-bindgen-cli: have '${have_wb:-none}', need $WB_VERSION"
    cargo_install --force wasm-bindgen-cli --version "$WB_VERSION"
    have_wb="$(wasm-bindgen --version | awk '{print $2}')"
    [[ "$have_wb" == "$WB_VERSION" ]] \
        || die "wasm-bindgen on PATH is $have_wb after installing $WB_VERSION (PATH order?)"
    say "wasm-bindgen-cli" "installed ($WB_VERSION)"
fi

# ---------------------------------------------------------------- npm (optional)
for dir in "${NPM_DIRS[@]+"${NPM_DIRS[@]}"}"; do
    [[ -f "$dir/package.json" ]] || die "--npm $dir: no package.json there"
    [[ -f "$dir/package-lock.json" ]] || die "--npm $dir: no package-lock.json (npm ci needs one)"
    stamp="$dir/node_modules/.package-lock.json"
    if [[ -f "$stamp" && ! "$dir/package-lock.json" -nt "$stamp" && ! "$dir/package.json" -nt "$stamp" ]]; then
        say "npm $dir" "present (node_modules up to date)"
    else
        # Playwright must use the apt chromium, never download browsers.
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
        say "npm $dir" "installed"
    fi
done

WASM_OPT="tools/binaryen/node_modules/.bin/wasm-opt"
[[ -x "$WASM_OPT" ]] || die "$WASM_OPT missing after npm ci in tools/binaryen"
say "wasm-opt" "present ($("$WASM_OPT" --version))"
