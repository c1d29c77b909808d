#!/usr/bin/env bash
# Issue 18's figures (docs/benchmarks.md): creates per second through the PostgreSQL store beside raw single-row
# inserts of a value of the same size (same client, same 16 clients), and placements per second with 1,000
# simulated workers on PostgreSQL and, for comparison, on a 3-member etcd.
# Starts a throwaway PostgreSQL 15 (as the postgres user when run as root) and etcd on free loopback ports, and
# removes them afterwards. Needs postgresql-15 and etcd-server (Debian). Usage: benchmarks/postgres-store.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PGBIN=${FLOTILLA_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
ETCD=${FLOTILLA_ETCD_BIN:-/usr/bin/etcd}
source benchmarks/etcd-cluster.sh

swift build -c release --product flotilla-bench >/dev/null
BENCH=.build/release/flotilla-bench

dir=$(mktemp -d /tmp/flotilla-pgbench-XXXXXX)
PIDS=()
as_postgres() {
    if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups --reset-env -- "$@"; else "$@"; fi
}
cleanup() {
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    for pid in "${PIDS[@]}"; do { kill -9 "$pid"; wait "$pid"; } 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

password="bench-$RANDOM$RANDOM"
echo "$password" >"$dir/pwfile"
[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
as_postgres "$PGBIN/initdb" -D "$dir/data" -U flotilla --auth=scram-sha-256 --pwfile="$dir/pwfile" -E UTF8 --no-locale >/dev/null
port=$(free_port)
as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
export PGPASSWORD=$password FLOTILLA_POSTGRES_PASSWORD=$password
psql -h 127.0.0.1 -p "$port" -U flotilla -d postgres -qc "CREATE DATABASE creates" -c "CREATE DATABASE placement"
base="postgres://flotilla@127.0.0.1:$port"

echo "== $(date -u +%F), $(nproc) cores, $(psql -h 127.0.0.1 -p "$port" -U flotilla -d postgres -Atc 'SHOW server_version'), synchronous_commit $(psql -h 127.0.0.1 -p "$port" -U flotilla -d postgres -Atc 'SHOW synchronous_commit')"
echo "== creates through the store vs raw inserts"
"$BENCH" postgres --store "$base/creates?sslmode=disable" --count "${COUNT:-20000}" --concurrency 16
echo "== placements, 1,000 workers, PostgreSQL"
"$BENCH" placement --store "$base/placement?sslmode=disable" --workers 1000 --instances 20000
mkdir -p "$dir/etcd"
start_etcd "$dir/etcd"
echo "== placements, 1,000 workers, etcd (3 members)"
"$BENCH" placement --store "etcd://$ETCD_ENDPOINTS" --workers 1000 --instances 20000
