#!/usr/bin/env bash
# Schemathesis against the served /openapi.json: starts a real `flotilla serve` (sim backend, a temporary data
# folder, an admin key, a free loopback port), runs every documented operation with bounded examples and the
# checks not_a_server_error, status_code_conformance, response_schema_conformance and content_type_conformance,
# prints the counts and fails on any failure. Run after `swift build` (scripts/test.sh does); needs python3 (and
# python3-venv, installed from Debian when missing). Schemathesis is pinned and installed in .build/schemathesis-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-20}
VENV=.build/schemathesis-venv
BIN=${FLOTILLA_BIN:-.build/debug/flotilla}

if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    echo "== installing python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
[ -x "$BIN" ] || { echo "no flotilla binary at $BIN: run swift build first" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

API_KEY="flt_schemathesis_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
# The host-to-host credential too, so that the internal routes are tested past their 401 (ClusterCredential: the
# hex HMAC-SHA256 of "flotilla-internal-v1" under the cluster secret).
CLUSTER_SECRET="schemathesis-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
CLUSTER_TOKEN=$("$VENV/bin/python" -c 'import hmac, hashlib, sys
print(hmac.new(sys.argv[1].encode(), b"flotilla-internal-v1", hashlib.sha256).hexdigest())' "$CLUSTER_SECRET")
env -u FLOTILLA_API_KEY "$BIN" serve --listen 127.0.0.1:0 --grpc-listen off --data-dir "$WORK/data" --api-key "$API_KEY" \
    --cluster-secret "$CLUSTER_SECRET" --host-id schemathesis-host --backends sim --cpus 4096 --memory-mb 16777216 --disk-gb 1048576 --max-instances 100000 \
    --rate-limit 0 --log-level warning >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
URL=""
for _ in $(seq 1 600); do
    URL=$(grep -oE 'listening on http://[0-9.]+:[0-9]+' "$WORK/serve.out" | head -1 | sed 's/listening on //' || true)
    [ -n "$URL" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/serve.out" "$WORK/serve.err" >&2; echo "flotilla serve exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "flotilla serve did not listen within 60 s" >&2; exit 1; }
echo "== schemathesis $SCHEMATHESIS_VERSION against $URL/openapi.json (at most $MAX_EXAMPLES examples per operation)"

# Configuration: a GET's min_revision is 0 (a revision this host has not reached makes the GET wait out its bound,
# 5 s, for a 504: documented, but a server error to schemathesis), and the event stream starts at revision 0 and
# is read for two events (without `since` it waits for events that never come).
cat >"$WORK/schemathesis.toml" <<'EOF'
[cache]
enabled = false

[parameters]
"query.min_revision" = 0

[[operations]]
include-path = "/api/v2/events"
max-stream-events = 2
parameters = { "query.since" = 0 }
EOF

# Requests for kvm or docker (creates, backend info) are sent for sim, the one backend this host runs: the others
# answer 503 BACKEND_UNAVAILABLE, documented but a server error to schemathesis. Everything else is as generated.
mkdir -p "$WORK/hooks"
cat >"$WORK/hooks/flotilla_hooks.py" <<'EOF'
import schemathesis


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    path = case.operation.path
    params = case.path_parameters
    if path == "/api/v1/compute/backends/{backend}/info" and params and params.get("backend") in ("kvm", "docker"):
        params["backend"] = "sim"
    # A synchronous action waits up to `timeout` seconds (at most 3600) for its end state: kept within the
    # request timeout.
    query = case.query
    if query and isinstance(query.get("timeout"), int) and query["timeout"] > 10:
        query["timeout"] = 10
    body = case.body
    if not isinstance(body, dict):
        return
    if path in ("/api/v1/compute/instances", "/api/v2/vms") and body.get("backend") in ("kvm", "docker"):
        body["backend"] = "sim"
    elif path == "/api/v1/vms" and isinstance(body.get("metadata"), dict) and "backend" in body["metadata"]:
        body["metadata"]["backend"] = "sim"
    elif path == "/v1alpha1/microvm" and isinstance(body.get("microvm"), dict):
        body["microvm"]["provider"] = "sim"
    elif path == "/api/v1/keys/{id}/rotate" and isinstance(body.get("grace"), int) and 0 <= body["grace"] < 600:
        # A rotation of the run's own admin key must leave it working for the passes after this one.
        body["grace"] = 600
EOF

# One worker: with two, hypothesis inspecting its own source in two threads crashed now and then (a SystemError
# from Python 3.11's ast, a KeyError from linecache), an error of the tool, not of the server.
# Three passes: every operation but key revocation and rotation, then rotation (its grace kept at 600 s or more by
# the hook), then revocation (schemathesis harvests ids from responses, and revoking or rotating the run's own admin
# key first would leave every later request a 401).
REVOKE=delete_api_v1_keys_id
ROTATE=post_api_v1_keys_id_rotate
run_pass() {
    local name=$1
    shift
    echo "== pass: $name"
    set +e
    (
        cd "$WORK" && PYTHONPATH="$WORK/hooks" SCHEMATHESIS_HOOKS=flotilla_hooks "$ROOT/$VENV/bin/schemathesis" --no-color --config-file "$WORK/schemathesis.toml" run "$URL/openapi.json" \
            --header "X-API-Key: $API_KEY" --header "X-Flotilla-Cluster-Token: $CLUSTER_TOKEN" \
            --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
            --max-examples "$MAX_EXAMPLES" --phases examples,coverage,fuzzing --request-timeout 90 --workers 1 --seed 12 \
            --suppress-health-check all --report junit --report-junit-path "$WORK/junit-$name.xml" "$@"
    ) 2>&1 | tee "$WORK/run-$name.log"
    local status=${PIPESTATUS[0]}
    set -e
    return "$status"
}
status=0
run_pass main --exclude-operation-id "$REVOKE" --exclude-operation-id "$ROTATE" || status=$?
run_pass rotate --include-operation-id "$ROTATE" || status=$?
run_pass revoke --include-operation-id "$REVOKE" || status=$?

count() { grep -hoE "$1" "$WORK"/run-*.log | grep -oE '^[0-9]+' | awk '{s+=$1} END {print s+0}'; }
operations=$(grep -hoE 'Tested: [0-9]+' "$WORK"/run-*.log | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
cases=$(count '[0-9]+ generated')
failures=$(cat "$WORK"/junit-*.xml 2>/dev/null | grep -c '<failure' || true)
echo "== schemathesis: $operations operations, $cases test cases, $failures failing operations in ${SECONDS} s (exit $status)"
if [ "$status" -ne 0 ]; then
    echo "== flotilla serve stderr (last 40 lines)"
    tail -40 "$WORK/serve.err" || true
    exit "$status"
fi
