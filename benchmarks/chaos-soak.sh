#!/usr/bin/env bash
# The chaos soak (issue 13, docs/reliability.md): the "Chaos run" suite for a long time (30 minutes by default)
# on three real `flotilla serve` hosts and a real 3-member etcd, faults injected from a seeded plan the whole
# time. Builds the tests if needed, runs the suite with FLOTILLA_REQUIRE_REAL=1 and tees everything into a log
# file; prints the run's figures (seed, operations, faults, violations, convergence) and where the log is.
#
# Usage: benchmarks/chaos-soak.sh [SECONDS] [SEED]     (defaults: 1800, a random seed printed at the start)
set -euo pipefail

SECONDS_TO_RUN=${1:-1800}
SEED=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOG=${FLOTILLA_CHAOS_LOG:-/tmp/flotilla-chaos-soak-$(date -u +%Y%m%dT%H%M%SZ).log}

cd "$ROOT"
swift build --build-tests 2>&1 | tail -3
echo "chaos soak: ${SECONDS_TO_RUN} s, seed ${SEED:-random}; log: $LOG"

export FLOTILLA_REQUIRE_REAL=1
export FLOTILLA_CHAOS_SECONDS="$SECONDS_TO_RUN"
[ -n "$SEED" ] && export FLOTILLA_CHAOS_SEED="$SEED"

status=0
swift test --skip-build --filter 'ChaosRunTests/chaos' 2>&1 | tee "$LOG" || status=$?

echo
echo "=== figures"
awk '/^chaos run: seed/ { p = 1 } p { print } p && /^convergence after the last heal/ { exit }' "$LOG"
echo "=== log: $LOG (exit status $status)"
exit "$status"
