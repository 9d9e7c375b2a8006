#!/usr/bin/env bash
# Benchmarks JSON-RPC servers on loopback for docs/BENCHMARKS.md: netkit's
# jsonrpc (on tcpserver), Go's net/rpc/jsonrpc and the Python asyncio
# server, in one run, each server pinned to CPU 0 and the client to CPU 1.
#
#   bench/rpc.sh [DURATION] [ROUNDS]   (default 5s per run, 3 rounds)
#
# Each server is first warmed up with a short run of every scenario (a
# fresh CPython server costs two to five times its steady CPU per call for
# its first seconds of load). Each round then runs every scenario against
# every server, one after another, so a burst of load elsewhere on the
# machine touches all three alike; the table reports the median of the
# rounds, with the server's CPU per call split into user and kernel time.
# Scenarios: one connection, one call at a time; one connection with 64
# calls in flight (pipelined); 100 connections, one call at a time each.
# Prints one JSON object per run, then a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5s}
rounds=${2:-3}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/rpcbench" ./bench/rpcbench

# start NAME CMD...: runs a server on CPU 0, waits for its port line.
start() {
  local name=$1; shift
  taskset -c 0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  eval "${name}_pid=$!"
  for _ in $(seq 1 200); do
    if [ -s "$tmp/$name.out" ]; then break; fi
    sleep 0.05
  done
  local port
  port=$(head -1 "$tmp/$name.out")
  [ -n "$port" ] || { echo "$name did not start" >&2; cat "$tmp/$name.err" >&2; exit 1; }
  eval "${name}_addr=127.0.0.1:$port"
}

start netkit "$tmp/rpcbench" server -kind netkit
start netrpc "$tmp/rpcbench" server -kind netrpc
start python python3 bench/python/json_rpc_server.py 0

results="$tmp/results.jsonl"
# run KIND CONNS INFLIGHT DURATION: one client run against server KIND.
run() {
  local addr pid
  case $1 in
    netkit) addr=$netkit_addr pid=$netkit_pid ;;
    netrpc) addr=$netrpc_addr pid=$netrpc_pid ;;
    python) addr=$python_addr pid=$python_pid ;;
  esac
  taskset -c 1 "$tmp/rpcbench" client -kind "$1" -addr "$addr" -pid "$pid" \
    -conns "$2" -inflight "$3" -duration "$4"
}
scenarios=("1 1" "1 64" "100 1")
echo "warming up each server ..." >&2
for kind in netkit netrpc python; do
  for scenario in "${scenarios[@]}"; do
    run "$kind" $scenario 2s >/dev/null
  done
done
for round in $(seq 1 "$rounds"); do
for scenario in "${scenarios[@]}"; do
  for kind in netkit netrpc python; do
    run "$kind" $scenario "$duration" | tee -a "$results"
  done
done
done

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
keys = []
for r in runs:
    k = (r["conns"], r["inflight"], r["kind"])
    if k not in keys:
        keys.append(k)
med = {}
for k in keys:
    rs = [r for r in runs if (r["conns"], r["inflight"], r["kind"]) == k]
    med[k] = {f: statistics.median(r[f] for r in rs)
              for f in ("calls_per_s", "p50_us", "p99_us", "server_cpu_us_per_call",
                        "server_user_us_per_call", "server_sys_us_per_call")}
    med[k]["n"] = len(rs)
names = {"netkit": "netkit jsonrpc", "netrpc": "Go net/rpc/jsonrpc", "python": "Python asyncio server"}
print()
print("| Scenario | Server | calls/s | p50 µs | p99 µs | server CPU µs/call | user | kernel | CPU/call ÷ Python's |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (c, i, kind) in keys:
    m = med[(c, i, kind)]
    py = med[(c, i, "python")]["server_cpu_us_per_call"]
    scen = f"{c} conn{'s' if c > 1 else ''}, {i} in flight"
    print(f"| {scen} | {names[kind]} | {m['calls_per_s']:,.0f} | {m['p50_us']:.0f} | {m['p99_us']:.0f} | "
          f"{m['server_cpu_us_per_call']:.1f} | {m['server_user_us_per_call']:.1f} | {m['server_sys_us_per_call']:.1f} | "
          f"{m['server_cpu_us_per_call'] / py:.2f} |")
print()
ratio = med[(1, 64, "netkit")]["calls_per_s"] / med[(1, 1, "python")]["calls_per_s"]
print(f"netkit pipelined (1 conn, 64 in flight) ÷ Python sequential (1 conn, 1 in flight): {ratio:.1f}× the calls per second")
PY
