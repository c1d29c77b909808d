#!/usr/bin/env bash
# Issue 11's benchmark: an out-of-band kill (`docker kill` of a container, SIGKILL of a QEMU) to the registry
# showing it, median and p99 over N kills, with the agent following the backends' events and with only the 1 s
# resync they replace, in the same run. Starts a dockerd of its own (vfs, no iptables, no bridge) on a socket in a
# temporary folder with the local busybox test image, and builds the kvm test guest; cleans up after itself.
#
# Usage: benchmarks/out-of-band.sh [RUNS] [docker|kvm|both]
#   FLOTILLA_BENCH_BIN: the flotilla-bench binary (default: the release build in .build-release)
set -euo pipefail

RUNS=${1:-20}
WHICH=${2:-both}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FLOTILLA_BENCH_BIN:-$ROOT/.build-release/release/flotilla-bench}
[ -x "$BIN" ] || { echo "no flotilla-bench at $BIN (swift build -c release --product flotilla-bench --scratch-path .build-release)" >&2; exit 2; }
cd "$ROOT"

if [ "$WHICH" = docker ] || [ "$WHICH" = both ]; then
    WORK=$(mktemp -d /tmp/flotilla-oob-XXXXXX)
    cleanup() {
        [ -f "$WORK/dockerd.pid" ] && kill "$(cat "$WORK/dockerd.pid")" 2>/dev/null || true
        for _ in $(seq 1 50); do [ -f "$WORK/dockerd.pid" ] && kill -0 "$(cat "$WORK/dockerd.pid")" 2>/dev/null && sleep 0.2 || break; done
        rm -rf "$WORK"
    }
    trap cleanup EXIT
    dockerd --storage-driver=vfs --iptables=false --bridge=none --data-root "$WORK/data" --exec-root "$WORK/exec" \
        --pidfile "$WORK/dockerd.pid" -H "unix://$WORK/docker.sock" >"$WORK/dockerd.log" 2>&1 &
    for _ in $(seq 1 100); do docker -H "unix://$WORK/docker.sock" version >/dev/null 2>&1 && break; sleep 0.3; done
    mkdir -p "$WORK/rootfs/bin"
    cp /bin/busybox "$WORK/rootfs/bin/busybox"
    for tool in sh sleep; do ln -s busybox "$WORK/rootfs/bin/$tool"; done
    tar -C "$WORK/rootfs" -c . | docker -H "unix://$WORK/docker.sock" import - flotilla-test/busybox:1 >/dev/null
    "$BIN" oob --backend docker --runs "$RUNS" --socket "$WORK/docker.sock"
fi
if [ "$WHICH" = kvm ] || [ "$WHICH" = both ]; then
    "$BIN" oob --backend kvm --runs "$RUNS"
fi
