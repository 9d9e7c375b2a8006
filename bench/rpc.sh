#!/usr/bin/env bash
# Benchmarks JSON-RPC servers on loopback for docs/BENCHMARKS.md: netkit's
# jsonrpc (on tcpserver), Go's net/rpc/jsonrpc and the chapter's Python
# server, in one run, each server pinned to CPU 0 and the client to CPU 1.
#
#   bench/rpc.sh [DURATION]      (default 5s per scenario)
#
# Scenarios: one connection, one call at a time; one connection with 64
# calls in flight (pipelined); 100 connections, one call at a time each.
# Prints one JSON object per run, then a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5s}
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
for scenario in "1 1" "1 64" "100 1"; do
  set -- $scenario
  for kind in netkit netrpc chapter; do
    case $kind in
      netkit) addr=$netkit_addr pid=$netkit_pid ;;
      netrpc) addr=$netrpc_addr pid=$netrpc_pid ;;
      chapter) addr=$python_addr pid=$python_pid ;;
    esac
    taskset -c 1 "$tmp/rpcbench" client -kind "$kind" -addr "$addr" -pid "$pid" \
      -conns "$1" -inflight "$2" -duration "$duration" | tee -a "$results"
  done
done

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
names = {"netkit": "netkit jsonrpc", "netrpc": "Go net/rpc/jsonrpc", "chapter": "chapter's Python server"}
print()
print("| Scenario | Server | calls/s | p50 µs | p99 µs | server CPU µs/call | CPU/call vs Python |")
print("|---|---|---:|---:|---:|---:|---:|")
for r in rows:
    scen = f"{r['conns']} conn{'s' if r['conns'] > 1 else ''} × {r['inflight']} in flight"
    py = next(x for x in rows if x["kind"] == "chapter" and x["conns"] == r["conns"] and x["inflight"] == r["inflight"])
    ratio = r["server_cpu_us_per_call"] / py["server_cpu_us_per_call"] if py["server_cpu_us_per_call"] else float("nan")
    print(f"| {scen} | {names[r['kind']]} | {r['calls_per_s']:,.0f} | {r['p50_us']:.0f} | {r['p99_us']:.0f} | {r['server_cpu_us_per_call']:.1f} | {ratio:.2f} |")
seq_py = next(x for x in rows if x["kind"] == "chapter" and x["conns"] == 1 and x["inflight"] == 1)
pip_nk = next(x for x in rows if x["kind"] == "netkit" and x["conns"] == 1 and x["inflight"] == 64)
print()
print(f"netkit pipelined (1 conn × 64) / Python sequential (1 conn × 1): {pip_nk['calls_per_s'] / seq_py['calls_per_s']:.1f}×")
PY
