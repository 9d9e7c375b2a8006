#!/usr/bin/env bash
# One HTTP request end to end, as whole processes (start-up included):
# netkit http beside HTTPie (`http`) and curl, measured in the same run
# against one local server (netkit serve's admin /healthz, 127.0.0.1).
#
#   bench/httpcli.sh [RUNS]      (default 40 runs of each, interleaved)
#
# Prints the median and p90 wall time of each, and the ratios to netkit.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-40}
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
command -v http >/dev/null || { echo "HTTPie (http) is not installed: apt-get install -y httpie" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is not installed" >&2; exit 1; }
go build -o "$TMP/netkit" ./cmd/netkit
"$TMP/netkit" serve --echo-addr off --chat-addr off --rpc-addr off --web-addr off --admin-addr 127.0.0.1:0 \
	--log-format json 2>"$TMP/serve.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q '"service":"admin"' "$TMP/serve.log" 2>/dev/null && break; sleep 0.1; done
ADDR=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r.get("msg")=="listening" and r.get("service")=="admin": print(r["addr"])' "$TMP/serve.log")
URL="http://$ADDR/healthz"
python3 - "$RUNS" "$TMP/netkit" "$URL" <<'PY'
import statistics, subprocess, sys, time
runs, netkit, url = int(sys.argv[1]), sys.argv[2], sys.argv[3]
tools = {
    "netkit http": [netkit, "http", "--ignore-stdin", url],
    "HTTPie http": ["http", "--ignore-stdin", url],
    "curl": ["curl", "-s", url],
}
times = {k: [] for k in tools}
for name, cmd in tools.items():  # warm the page cache
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
for _ in range(runs):
    for name, cmd in tools.items():  # interleaved, so drift touches all
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        times[name].append((time.perf_counter() - t) * 1000)
base = statistics.median(times["netkit http"])
print(f"| Command | median ms | p90 ms | ÷ netkit http |")
print(f"|---|---|---|---|")
for name, ts in times.items():
    ts.sort()
    med = statistics.median(ts)
    print(f"| {name} | {med:.1f} | {ts[int(len(ts)*0.9)-1]:.1f} | {med/base:.2f} |")
PY
