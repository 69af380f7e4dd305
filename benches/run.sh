#!/usr/bin/env bash
# Benchmarks (issue 7): build the release binary, generate the inputs once
# into target/bench-inputs/ (git-ignored; regenerated when a generator
# changes), then print Markdown tables: wall time, CPU time, MiB/s and peak
# RSS for each LoadGen size next to `wc -l` on the same bytes and the Python
# baseline on the detail logs, the 1,000-run tree, `index` over 500
# reports, and per-stage timings (parse vs analyze vs render).
#
# Usage: benches/run.sh            (sizes 10, 100 and 1024 MiB, 3 runs each)
#   SIZES="10 100" REPS=5 benches/run.sh
#   BIN=path/to/mlperf-health NO_BUILD=1 benches/run.sh   (measure another build)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"10 100 1024"}
REPS=${REPS:-3}
BIN=${BIN:-target/release/mlperf-health}
IN=target/bench-inputs
OUT=target/bench-out

if [ -z "${NO_BUILD:-}" ]; then
    cargo build --release --quiet
    cargo bench --bench stages --no-run --quiet 2>/dev/null
fi

# Generate "$dir" with the given arguments unless it exists and was made
# by the same generator sources and arguments.
stamp=$(cat benches/gen_inputs.py benches/gen_trace.py fixtures/archive/*/report.json | sha256sum | cut -c1-16)
gen() {
    local dir=$1
    shift
    local want="$stamp $*"
    if [ -d "$dir" ] && [ "$(cat "$dir.stamp" 2>/dev/null)" = "$want" ]; then
        return
    fi
    rm -rf "$dir"
    python3 benches/gen_inputs.py "$@" "$dir" >&2
    echo "$want" >"$dir.stamp"
}
mkdir -p "$IN" "$OUT"
for s in $SIZES; do
    gen "$IN/loadgen-${s}MB" loadgen "$s"
done
gen "$IN/tree-1000" tree 1000
gen "$IN/archive-500" archive 500

echo "## Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ): \`$BIN\` (worktree at $(git rev-parse --short HEAD))"
echo
python3 benches/measure.py --bin "$BIN" --inputs "$IN" --out "$OUT" --reps "$REPS" --sizes $SIZES

if [ -z "${NO_BUILD:-}" ]; then
    largest=$(echo $SIZES | tr ' ' '\n' | sort -n | tail -1)
    for root in "$IN/tree-1000" "$IN/loadgen-${largest}MB"; do
        echo
        cargo bench --bench stages --quiet -- "$root" "$REPS" 2>/dev/null
    done
fi
