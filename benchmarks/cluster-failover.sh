#!/usr/bin/env bash
# Issue 5's benchmarks (a) and (b), on a real 3-member etcd and three `flotilla serve` processes on
# loopback, with default settings (lease TTL 3 s):
#   (a) kill -9 of the leader -> the first create through another host that succeeds (placed and running);
#   (b) kill -9 of a (follower) host -> it reads `offline` on every surviving host.
# Each run kills a follower first (b), then the leader (a); creates go through the one host left.
# Each run starts a fresh cluster. Prints one line per run and the medians.
#
# Usage: benchmarks/cluster-failover.sh [RUNS]   (FLOTILLA_BIN: the flotilla binary; default the release build)
set -euo pipefail

RUNS=${1:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FLOTILLA_BIN:-$ROOT/.build-release/release/flotilla}
ETCD=${FLOTILLA_ETCD_BIN:-/usr/bin/etcd}
KEY=flt_bench_failover_key_0123456789ab
[ -x "$BIN" ] || { echo "no flotilla binary at $BIN (swift build -c release --scratch-path .build-release)" >&2; exit 2; }
[ -x "$ETCD" ] || { echo "no etcd at $ETCD (apt-get install -y etcd-server)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/flotilla-failover-XXXXXX)
[ -n "${KEEP:-}" ] && echo "work dir: $WORK" >&2
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# shellcheck source=benchmarks/etcd-cluster.sh
. "$ROOT/benchmarks/etcd-cluster.sh"

start_cluster() {
    local dir=$1
    start_etcd "$dir"
    STORE="etcd://$ETCD_ENDPOINTS"
    for i in 1 2 3; do
        PORT[$i]=$(free_port)
        "$BIN" serve --listen "127.0.0.1:${PORT[$i]}" --data-dir "$dir/h$i" --store "$STORE" --cluster-secret bench \
            --host-id "h$i" --zone "z$i" --api-key "$KEY" --backends sim --grpc-listen off --log-level warning >"$dir/h$i.log" 2>&1 &
        HOSTPID[$i]=$!
        PIDS+=($!)
    done
    for i in 1 2 3; do
        for _ in $(seq 1 300); do
            curl -sf "http://127.0.0.1:${PORT[$i]}/health" >/dev/null && break
            sleep 0.1
        done
    done
}

leader() {
    for _ in $(seq 1 300); do
        for i in 1 2 3; do
            if curl -sf "http://127.0.0.1:${PORT[$i]}/health" | grep -q '"role":"leader"'; then echo "$i"; return; fi
        done
        sleep 0.1
    done
    echo "no leader" >&2; exit 1
}

# A create through host $1 that is placed and running (HTTP 201 with state running).
create_ok() {
    local out
    out=$(curl -s -m 5 -o - -w '%{http_code}' -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
        -d "{\"name\":\"probe-$RANDOM$RANDOM\",\"backend\":\"sim\",\"config\":{\"image\":\"busybox\"},\"resources\":{\"cpu\":{\"cores\":0.1},\"memory\":{\"limit\":16777216}}}" \
        "http://127.0.0.1:${PORT[$1]}/api/v1/compute/instances?wait=true" 2>/dev/null) || return 1
    [[ $out == *'"state":"running"'*201 ]]
}

offline_at() {  # host $1 reports worker $2 offline
    curl -sf -m 2 -H "X-API-Key: $KEY" "http://127.0.0.1:${PORT[$1]}/api/v1/workers/$2" | grep -q '"status":"offline"'
}

A=()
B=()
for run in $(seq 1 "$RUNS"); do
    dir="$WORK/run$run"
    mkdir -p "$dir"
    PIDS=()
    start_cluster "$dir"
    L=$(leader)
    others=()
    for i in 1 2 3; do [ "$i" != "$L" ] && others+=("$i"); done
    until create_ok "${others[0]}"; do sleep 0.1; done  # the cluster works before the kills
    # (b) a follower dies: offline at the other two hosts (the leader among them).
    F=${others[1]}
    t0=$(ms)
    kill -9 "${HOSTPID[$F]}"
    offL="" offO=""
    while [ -z "$offL" ] || [ -z "$offO" ]; do
        [ -z "$offL" ] && offline_at "$L" "h$F" && offL=$(( $(ms) - t0 ))
        [ -z "$offO" ] && offline_at "${others[0]}" "h$F" && offO=$(( $(ms) - t0 ))
        [ $(( $(ms) - t0 )) -gt 60000 ] && { echo "run $run: timed out" >&2; exit 1; }
    done
    offline=$(( offL > offO ? offL : offO ))
    # (a) then the leader dies: the first create through the last host that succeeds.
    t0=$(ms)
    kill -9 "${HOSTPID[$L]}"
    created=""
    until [ -n "$created" ]; do
        create_ok "${others[0]}" && created=$(( $(ms) - t0 ))
        [ $(( $(ms) - t0 )) -gt 60000 ] && { echo "run $run: timed out" >&2; exit 1; }
    done
    echo "run $run: follower h$F killed: offline on both other hosts after ${offline} ms; leader h$L killed: first create through h${others[0]} after ${created} ms"
    A+=("$created")
    B+=("$offline")
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "(a) leader kill -9 -> first successful create elsewhere: median $(median "${A[@]}") ms over $RUNS runs (min $(printf '%s\n' "${A[@]}" | sort -n | head -1), max $(printf '%s\n' "${A[@]}" | sort -n | tail -1))"
echo "(b) follower kill -9 -> offline on every surviving host: median $(median "${B[@]}") ms over $RUNS runs (min $(printf '%s\n' "${B[@]}" | sort -n | head -1), max $(printf '%s\n' "${B[@]}" | sort -n | tail -1))"
