#!/usr/bin/env bash
# Issue 5's benchmarks (c) and (d), with the release build of flotilla-bench:
#   (c) placements per second with 1,000 simulated workers in one process, on SQLite and on a real etcd;
#   (d) creates per second through etcd vs raw etcd puts per second, in the same run.
# A 3-member etcd cluster on loopback is started here and removed afterwards.
#
# Usage: benchmarks/cluster-throughput.sh   (FLOTILLA_BENCH: the flotilla-bench binary; default the release build)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${FLOTILLA_BENCH:-$ROOT/.build-release/release/flotilla-bench}
ETCD=${FLOTILLA_ETCD_BIN:-/usr/bin/etcd}
[ -x "$BENCH" ] || { echo "no flotilla-bench at $BENCH (swift build -c release --scratch-path .build-release)" >&2; exit 2; }
[ -x "$ETCD" ] || { echo "no etcd at $ETCD (apt-get install -y etcd-server)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/flotilla-throughput-XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# shellcheck source=benchmarks/etcd-cluster.sh
. "$ROOT/benchmarks/etcd-cluster.sh"

echo "== (c) placements with 1,000 simulated workers"
"$BENCH" placement --store sqlite --workers 1000 --instances "${INSTANCES:-20000}"
mkdir -p "$WORK/placement"
start_etcd "$WORK/placement"
"$BENCH" placement --store "etcd://$ETCD_ENDPOINTS" --workers 1000 --instances "${INSTANCES:-20000}"
for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
PIDS=()

echo "== (d) creates through etcd vs raw etcd puts"
mkdir -p "$WORK/creates"
start_etcd "$WORK/creates"
"$BENCH" creates --store "etcd://$ETCD_ENDPOINTS" --count "${COUNT:-3000}" --concurrency 16
