#!/usr/bin/env bash
# Run every cargo-fuzz target for a bounded time (docs/fuzzing.md).
#
# Usage: tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET…]
#   SECONDS_PER_TARGET  default 60; the 19 targets then take ~20 min
#   TARGET…             default: every target in tests/fuzz/targets.txt
# Env:  FUZZ_NO_BUILD=1 reuses the last build; FUZZ_JOBS=N runs N targets at
#       once (default 1: the machines here have 2 cores).
#
# cargo fuzz needs nightly-only flags (-Zsanitizer=address, sanitizer
# coverage). Where only a stable toolchain exists, RUSTC_BOOTSTRAP=1 lets
# stable rustc accept them; set CARGO_FUZZ_TOOLCHAIN=+nightly to use a
# nightly toolchain instead.
#
# Corpora grow in tests/fuzz/corpus/<target>/ (git-ignored), seeded from the
# fixture folders listed in targets.txt. A crash leaves its input in
# tests/fuzz/artifacts/<target>/ and makes this script exit 1; copy it to
# fixtures/bad-input/regressions/<target>/ once fixed (the `it` test
# fuzz::regressions_stay_fixed replays that folder).
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-60}
shift || true
fuzz_dir=tests/fuzz
toolchain=${CARGO_FUZZ_TOOLCHAIN:-}
command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 2
}
if [ -z "$toolchain" ]; then
    export RUSTC_BOOTSTRAP=1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(grep -v '^#' "$fuzz_dir/targets.txt" | awk 'NF {print $1}')
fi

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    # -O with debug assertions: overflow checks stay on, so arithmetic on
    # input-derived numbers that could wrap is a crash here too.
    # shellcheck disable=SC2086 # $toolchain is empty or one word
    cargo $toolchain fuzz build --fuzz-dir "$fuzz_dir" -O --debug-assertions
fi
bin_dir="$fuzz_dir/target/x86_64-unknown-linux-gnu/release"

stat_of() { awk -v k="stat::$1:" '$1 == k {print $2}' "$fuzz_dir/artifacts/$2.log"; }

run_one() {
    local t=$1 seeds=() corpus="$fuzz_dir/corpus/$1" artifacts="$fuzz_dir/artifacts/$1/"
    read -r -a seeds < <(awk -v t="$t" '$1 == t { $1 = ""; print }' "$fuzz_dir/targets.txt")
    mkdir -p "$corpus" "$artifacts"
    # -timeout: one input slower than 10 s is a hang (a parser must be
    # linear); -rss_limit_mb: more than 2 GiB is a memory blow-up.
    if "$bin_dir/$t" "$corpus" "${seeds[@]}" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts" -print_final_stats=1 \
        >"$fuzz_dir/artifacts/$t.log" 2>&1; then
        printf '%-18s ok    %s runs, %s new units, peak %s MB\n' "$t" \
            "$(stat_of number_of_executed_units "$t")" "$(stat_of new_units_added "$t")" \
            "$(stat_of peak_rss_mb "$t")"
    else
        printf '%-18s CRASH see %s\n' "$t" "$fuzz_dir/artifacts/$t.log"
        return 1
    fi
}

failed=0
jobs_max=${FUZZ_JOBS:-1}
for t in "${targets[@]}"; do
    if [ "$jobs_max" -le 1 ]; then
        run_one "$t" || failed=1
    else
        run_one "$t" &
        while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || failed=1; done
    fi
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=1; done
exit $failed
