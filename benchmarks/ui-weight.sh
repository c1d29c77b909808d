#!/usr/bin/env bash
# Issue 15's dashboard benchmark: page weight and first render time of /ui with 1,000 instances. Starts one
# `flotilla serve` (sim backend, SQLite) on loopback, creates N sim instances through the API, then loads
# /ui#/instances in headless Chromium through chromedriver (W3C WebDriver, JSON over HTTP) RUNS times with the
# browser cache disabled (cold) and RUNS times with it (warm: the ETags answer 304), and prints, from the
# Performance API: the bytes transferred for the app's files (HTML+JS+CSS) and for the API's JSON, and the time
# from navigation start to the instance table showing its first page of rows (the app's
# `performance.mark("flotilla:instances-rendered")`). Cleans up after itself.
#
# Usage: benchmarks/ui-weight.sh [INSTANCES] [RUNS]
#   FLOTILLA_BIN: the flotilla binary (default: .build/release/flotilla if built, else .build/debug/flotilla)
#   Needs: chromium, chromium-driver, curl, python3 (standard library only).
set -euo pipefail

COUNT=${1:-1000}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FLOTILLA_BIN:-}
if [ -z "$BIN" ]; then
    BIN=$ROOT/.build/release/flotilla
    [ -x "$BIN" ] || BIN=$ROOT/.build/debug/flotilla
fi
[ -x "$BIN" ] || { echo "no flotilla binary at $BIN (swift build --product flotilla)" >&2; exit 2; }
command -v chromedriver >/dev/null || { echo "chromedriver is not installed (apt-get install chromium chromium-driver)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/flotilla-ui-weight-XXXXXX)
KEY=flt_ui_weight_benchmark_key_0123456
SERVE_PID=""
cleanup() {
    [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --grpc-listen 127.0.0.1:0 --data-dir "$WORK/data" --api-key "$KEY" --host-id ui-bench \
    --zone zone-a --backends sim --cpus 512 --memory-mb 262144 --max-instances "$COUNT" --log-level warning --insecure \
    >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
URL=""
for _ in $(seq 1 600); do
    URL=$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$WORK/serve.log" | head -1 | sed 's/listening on //') || true
    [ -n "$URL" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "flotilla serve did not start" >&2; exit 1; }

echo "creating $COUNT sim instances on $URL ..."
seq -f "bench-%04g" 1 "$COUNT" | xargs -P 8 -I{} curl -sf -m 30 -o /dev/null -H "X-API-Key: $KEY" \
    -H 'Content-Type: application/json' -d '{"name":"{}","backend":"sim","image":"busybox","resources":{"cpu_cores":0.1,"memory_mb":64}}' \
    "$URL/api/v2/vms"
for _ in $(seq 1 600); do
    running=$(curl -sf -m 30 -H "X-API-Key: $KEY" "$URL/api/v1/cluster/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_vms"])')
    [ "$running" -ge "$COUNT" ] && break
    sleep 0.5
done
echo "instances: $running"

python3 - "$URL" "$KEY" "$RUNS" <<'PY'
import base64, json, re, shutil, statistics, subprocess, sys, tempfile, time, urllib.request

url, key, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
profile = tempfile.mkdtemp(prefix="flotilla-ui-weight-chromium-")
driver = subprocess.Popen(["chromedriver", "--port=0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["value"]

try:
    deadline = time.time() + 30
    base = None
    while base is None and time.time() < deadline:
        match = re.search(r"port (\d+)\.", driver.stdout.readline())
        if match:
            base = f"http://127.0.0.1:{match.group(1)}"
    args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
            "--no-first-run", "--disable-extensions", "--disable-background-networking"]
    session = call("POST", "/session", {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}})["sessionId"]
    s = f"/session/{session}"
    run = lambda script: call("POST", f"{s}/execute/sync", {"script": script, "args": []})
    call("POST", f"{s}/url", {"url": url + "/ui"})
    run(f"sessionStorage.setItem('flotilla.key', {json.dumps(key)}); location.hash = '#/instances';")

    measure = r"""
      const mark = performance.getEntriesByName('flotilla:instances-rendered')[0];
      if (!mark) return null;
      const nav = performance.getEntriesByType('navigation')[0];
      const app = { bytes: nav.transferSize, body: nav.encodedBodySize, files: 1 };
      const api = { bytes: 0, body: 0, calls: 0 };
      for (const r of performance.getEntriesByType('resource')) {
        const path = new URL(r.name).pathname;
        if (path.startsWith('/ui/')) { app.bytes += r.transferSize; app.body += r.encodedBodySize; app.files++; }
        else if (path.startsWith('/api/') && path !== '/api/v2/events') { api.bytes += r.transferSize; api.body += r.encodedBodySize; api.calls++; }
      }
      return { renderMs: mark.startTime, rows: document.querySelectorAll('tr[data-id]').length, app, api };
    """
    results = {"cold": [], "warm": []}
    call("POST", f"{s}/goog/cdp/execute", {"cmd": "Network.enable", "params": {}})
    for mode in ("cold", "warm"):
        call("POST", f"{s}/goog/cdp/execute", {"cmd": "Network.setCacheDisabled", "params": {"cacheDisabled": mode == "cold"}})
        for i in range(runs + 1):
            run("location.reload()")
            result, deadline = None, time.time() + 60
            while result is None and time.time() < deadline:
                time.sleep(0.05)
                try:
                    result = run(measure)
                except Exception:
                    result = None
            if result is None:
                raise SystemExit("the instance table did not render within 60 s")
            if i > 0:  # the first load of each mode warms the host and the browser process
                results[mode].append(result)
    version = call("GET", "/status").get("build", {}).get("version", "?")
    print(f"chromedriver {version}; {len(results['cold'][0:1]) and results['cold'][0]['rows']} rows on the first page")
    for mode, items in results.items():
        render = [r["renderMs"] for r in items]
        app, api = items[-1]["app"], items[-1]["api"]
        print(f"{mode:>4}: first render median {statistics.median(render):.0f} ms (min {min(render):.0f}, max {max(render):.0f}, {len(render)} loads); "
              f"app files {app['files']}: {app['bytes']} B transferred ({app['body']} B bodies); "
              f"API JSON {api['calls']} calls: {api['bytes']} B transferred ({api['body']} B bodies)")
    call("DELETE", s)
finally:
    driver.kill()
    driver.wait()
    # A browser the driver left behind: the processes started with this run's profile folder.
    import os, signal
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if f"--user-data-dir={profile}".encode() in open(f"/proc/{pid}/cmdline", "rb").read():
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(profile, ignore_errors=True)
PY
