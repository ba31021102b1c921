#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time (`make fuzz`).
#
#   FUZZ_SECONDS=30 bash scripts/fuzz.sh            # every target, 30 s each (the default)
#   FUZZ_SECONDS=300 bash scripts/fuzz.sh machine   # only the named targets
#
# Each target starts from its corpus in fuzz/corpus/<target>/: the committed
# seed-* files plus whatever earlier local runs added (git ignores those).
# A target that crashes leaves its input in fuzz/artifacts/<target>/; the script
# goes on with the other targets and fails at the end, naming the inputs. The
# targets are the functions of testkit/src/fuzz/; `cargo test -p
# wasm-session-testkit` replays the corpus and runs them on proptest inputs on stable.
#
# Needs the nightly toolchain (libFuzzer's sanitizer flags) and cargo-fuzz,
# which this script installs from crates.io when it is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
if ! [[ "$SECONDS_PER_TARGET" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz.sh: FUZZ_SECONDS must be a positive whole number of seconds, not '$SECONDS_PER_TARGET'" >&2
    exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: the nightly toolchain is missing (rustup toolchain install nightly)" >&2
    exit 1
fi

cd fuzz
mapfile -t ALL_TARGETS < <(cargo +nightly fuzz list)
if [[ $# -gt 0 ]]; then
    TARGETS=("$@")
else
    TARGETS=("${ALL_TARGETS[@]}")
fi
for target in "${TARGETS[@]}"; do
    if ! printf '%s\n' "${ALL_TARGETS[@]}" | grep -qx "$target"; then
        echo "fuzz.sh: no fuzz target '$target' (have: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done

# One build for every target (debug assertions and overflow checks on, ASan).
cargo +nightly fuzz build

LOGS="target/fuzz-logs"
mkdir -p "$LOGS"
failed=()
for target in "${TARGETS[@]}"; do
    mkdir -p "corpus/$target"
    log="$LOGS/$target.log"
    printf 'fuzz %-18s %4ss ... ' "$target" "$SECONDS_PER_TARGET"
    if cargo +nightly fuzz run "$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1; then
        runs="$(grep -Eo 'Done [0-9]+ runs' "$log" | grep -Eo '[0-9]+' || true)"
        units="$(find "corpus/$target" -type f | wc -l)"
        echo "ok (${runs:-?} runs, corpus $units)"
    else
        echo "FAILED"
        # The panic (file:line and the broken invariant) and libFuzzer's verdict.
        grep -E -A2 "panicked at|^==[0-9]+== ERROR|^SUMMARY" "$log" | grep -v '^stack backtrace' | head -n 12 |
            sed 's/^/    /' || true
        failed+=("$target")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo
    echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
    for target in "${failed[@]}"; do
        for input in artifacts/"$target"/*; do
            [[ -f "$input" ]] || continue
            echo "  reproduce: cd fuzz && cargo +nightly fuzz run $target $input" >&2
        done
    done
    echo "  full logs: fuzz/$LOGS/" >&2
    exit 1
fi
echo "fuzz.sh: ${#TARGETS[@]} target(s), ${SECONDS_PER_TARGET}s each, no failures"
