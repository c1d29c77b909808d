#!/usr/bin/env bash
# The whole Flotilla test suite on a fresh Debian 12 machine, as root: installs the Debian packages the
# real-component tests need, starts the daemons they need, lints, builds and runs every test.
# Real-component tests fail (never skip) here: FLOTILLA_REQUIRE_REAL=1.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: docker.io (a real dockerd, started by the docker test fixture with its own
# data root when no daemon answers on /var/run/docker.sock), busybox-static (the local test image) and
# etcd-server (real 3-member clusters, started by the etcd test fixture on free loopback ports).
PACKAGES=(ca-certificates docker.io busybox-static etcd-server)
# kvm backend: QEMU, qemu-img, the cloud-init seed tool, and what scripts/guest-image.sh builds the guest with.
PACKAGES+=(qemu-system-x86 qemu-utils genisoimage cpio xz-utils kmod)
# Prometheus (issue 15): PrometheusProcessTests starts Debian's /usr/bin/prometheus on a free loopback port.
PACKAGES+=(prometheus)
# The dashboard (issue 15): DashboardBrowserTests drives /ui in headless Chromium through chromedriver.
PACKAGES+=(chromium chromium-driver)
# The systemd unit (issue 15): DeployUnitTests checks deploy/flotilla.service with systemd-analyze verify.
PACKAGES+=(systemd)
# The PostgreSQL store (issue 18): the fixture runs Debian's PostgreSQL 15 server (initdb, postgres) as the postgres
# user in a folder of its own on a free loopback port; psql creates the tests' databases.
PACKAGES+=(postgresql-15 postgresql-client-15)
# The layout check (issue 20, point 6): scripts/check-imports.sh reads `swift package dump-package` with jq.
PACKAGES+=(jq)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "== lint (swift format, config in .swift-format)"
swift format lint --strict --recursive Sources Tests Package.swift

echo "== every target declares what it imports (scripts/check-imports.sh, and SwiftPM's check in the build)"
scripts/check-imports.sh

echo "== build"
swift build --build-tests --explicit-target-dependency-import-check error

echo "== schemathesis against the served /openapi.json (a real flotilla serve, every operation)"
scripts/schemathesis.sh

# gRPC server reflection (issue 16): MicroVMReflectionTests runs Tests/Fixtures/grpc_reflection_check.py with
# grpcio-reflection's own client, pinned, in .build/grpc-reflection-venv (python3-venv: see schemathesis.sh).
GRPC_VENV=.build/grpc-reflection-venv
if ! "$GRPC_VENV/bin/python" -c 'import grpc, grpc_reflection; assert grpc.__version__ == "1.85.3"' 2>/dev/null; then
    echo "== installing grpcio and grpcio-reflection into $GRPC_VENV"
    rm -rf "$GRPC_VENV"
    python3 -m venv "$GRPC_VENV"
    "$GRPC_VENV/bin/pip" install -q "grpcio==1.85.3" "grpcio-reflection==1.85.1"
fi

echo "== kvm test guest (Debian kernel + busybox initramfs, cached in .build/flotilla-guest)"
scripts/guest-image.sh

export FLOTILLA_REQUIRE_REAL=1
# The kvm tests boot real guests under TCG, which takes both cores for seconds at a time (every QEMU* and *KVM*
# suite), the etcd tests run real 3-member clusters whose leases must not starve, and the docker outage test
# stops a daemon under 20 containers, and the fault suites (fault harness, fencing, fixture hygiene, the chaos run)
# cut, pause and kill hosts on real etcd and dockerds, and every suite on a real 3-member etcd (the lease stream through a
# leader's death, in-process hosts migrating and restoring snapshots, a backup while a host runs; the lease stream failed
# once beside another test): they run on their own, one at a time, after everything else, so that no
# suite's load breaks another's lease timings (in-process hosts heartbeat on the same two cores).
HEAVY='QEMU|KVM|EtcdClusterStoreTests|EtcdStoreContractTests|EtcdTLSStoreContractTests|EtcdTLSTests|EtcdTLSServeTests|ClusterProcessTests|RegistryConvergenceTests|DockerOutageTests|FaultHarnessTests|FencingProcessTests|FixtureHygieneTests|ChaosRunTests|AuditCommandProcessTests|AuditClusterProcessTests|KeyCommandProcessTests|PrometheusProcessTests|LogsProcessTests|DashboardBrowserTests|FleetCommandProcessTests|EventsFollowProcessTests|ReadmeClusterTests|TracingProcessTests|VMNetworkProcessTests|VMDiskProcessTests|NetworkAllocationProcessTests|EtcdLeaseStreamTests|LiveMigrationTests|SnapshotElsewhereTests|StoreBackupProcessTests'
# The first phase runs two tests at a time (Swift Testing's SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH): most of
# its time is spent waiting (simulated latencies, expiries, processes starting): 187 s two at a time, where one at a
# time took 447 s before the sim latencies were shortened. Not more: every in-process host heartbeats on a 10 s lease
# on the same two cores, and on a fresh machine an unbounded parallel run starved them (workers offline, 503s).
# Each phase's output is kept in .build/test-phaseN.log; when a phase fails, its failing tests and expectations are
# printed again at the end, where a CI log that keeps only its last lines still shows them.
# A phase that prints nothing for SILENCE seconds is hung (no test waits that long without a line: their longest
# deadline is 8 minutes): the watchdog names the tests that started and never ended, and kills the test process,
# so that the run fails saying where instead of running into CI's time limit.
SILENCE=${FLOTILLA_TEST_SILENCE:-720}
watch_for_silence() {
    local log=$1
    while sleep 30; do
        local quiet=$(($(date +%s) - $(stat -c %Y "$log")))
        [ "$quiet" -lt "$SILENCE" ] && continue
        echo "== no test output for ${quiet} s: hung. Tests started and not ended:"
        touch "$log.hung"
        grep -a '^◇ Test ' "$log" | sed -E 's/^◇ Test (.*) started\.$/\1/' | sort > "$log.started" || true
        grep -aE '^(✔|✘|➜) Test ' "$log" | sed -E 's/^[^ ]+ Test (.*) (passed|failed|skipped).*$/\1/' | sort > "$log.ended" || true
        comm -23 "$log.started" "$log.ended" | cut -c1-400 || true
        # The test process, and every process still writing into the phase's output pipe (a child left running
        # would keep tee waiting for the end of its input).
        pkill -KILL -f 'flotillaPackageTests.xctest' || true
        local tee_pid pipe fd
        tee_pid=$(pgrep -f "tee $log" | head -1 || true)
        pipe=$(readlink "/proc/$tee_pid/fd/0" 2>/dev/null || true)
        if [ -n "$tee_pid" ] && [ -n "$pipe" ]; then
            for fd in /proc/[0-9]*/fd/1 /proc/[0-9]*/fd/2; do
                [ "$(readlink "$fd" 2>/dev/null)" = "$pipe" ] || continue
                fd=${fd#/proc/}
                echo "== killing ${fd%%/*}: $(tr '\0' ' ' < "/proc/${fd%%/*}/cmdline" 2>/dev/null | cut -c1-200)"
                kill -KILL "${fd%%/*}" 2>/dev/null || true
            done
        fi
        return
    done
}
run_phase() {
    local log=".build/test-$1.log"
    shift
    local status=0
    : > "$log"
    rm -f "$log.hung"
    watch_for_silence "$log" &
    local watcher=$!
    # Line-buffered (stdbuf): through a pipe the test process would otherwise hold kilobytes of output, and a hung
    # or killed run would lose the lines that say where it was.
    stdbuf -oL -eL swift test "$@" 2>&1 | tee "$log" || status=$?
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
    # Hung, even if only a process left behind kept the output open after every test passed: a failure.
    [ -e "$log.hung" ] && [ "$status" -eq 0 ] && status=1
    if [ "$status" -ne 0 ]; then
        echo "== failed in $log (exit $status):"
        grep -a '^✘ ' "$log" | cut -c1-600 || echo "(no failing test named: the test process itself failed; see $log)"
    fi
    return "$status"
}
# Both phases run whatever the first one gave, so that one run shows every failure; the command fails if either did.
failed=0
echo "== test (everything but the kvm and etcd suites, two at a time)"
SWT_EXPERIMENTAL_MAXIMUM_PARALLELIZATION_WIDTH=2 run_phase phase1 --skip "$HEAVY" || failed=1
echo "== test (kvm guests and etcd clusters, serialized)"
run_phase phase2 --filter "$HEAVY" --no-parallel || failed=1
if [ "$failed" -ne 0 ]; then
    echo "== this run failed; failing tests of both phases:"
    grep -a -h '^✘ Test .* failed after' .build/test-phase1.log .build/test-phase2.log | cut -c1-400 || true
fi
exit "$failed"
