#!/usr/bin/env bash
# Echo service benchmark: netkit's echo server beside the Python asyncio
# asyncio echo server and redis-server answering inline PING, all measured
# in the same run on this machine.
#
#   bench/echo.sh [DURATION_SECONDS [ROUNDS]]      (default 5 s, 3 rounds)
#
# For 1, 100 and 1,000 connections it reports requests per second, p50/p99
# latency and the server's CPU time per request (from /proc/PID/stat, split
# into user and kernel time), with the servers pinned to CPU 0 and the load
# driver (bench/echoload) to CPU 1 when taskset exists; then the resident
# memory of each server at 10,000 idle connections. The three servers run
# side by side; each is warmed up with a run per connection count before
# the measured rounds (a fresh CPython server costs two to five times its
# steady CPU per request for its first seconds of load), and each round
# measures every server at every count one after another, so a burst of
# load elsewhere on the machine touches all alike. The table reports the
# median of the rounds. Results go to stdout as Markdown tables and to
# bench/results/echo-<date>.jsonl. Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-5}
ROUNDS=${2:-3}
CONNS=(1 100 1000)
NAMES=(netkit python redis)
IDLE=10000
# After the exchanges, wait past a GC cycle (Go forces one every 2 min) so
# the runtime has returned the freed goroutine stacks of parked connections.
IDLE_SETTLE=${IDLE_SETTLE:-130}
OUT=bench/results/echo-$(date -u +%Y%m%dT%H%M%SZ).jsonl
mkdir -p bench/results
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

if ! command -v redis-server >/dev/null; then
	echo "installing redis-server (Debian package) ..." >&2
	apt-get install -y redis-server >/dev/null
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SRV_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

go build -o "$TMP/netkit" ./cmd/netkit
go build -o "$TMP/echoload" ./bench/echoload

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_line FILE PATTERN: wait up to 10 s for PATTERN in FILE.
wait_line() {
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "timed out waiting for $2 in $1" >&2; cat "$1" >&2; return 1
}

# start_server NAME: starts it pinned, sets SRV_PID, SRV_ADDR and REQ, and
# records them as NAME_pid, NAME_addr and NAME_req for the rounds.
start_server() {
	local log="$TMP/$1.log"
	case $1 in
	netkit)
		"${SRV_PIN[@]}" "$TMP/netkit" serve --echo-addr 127.0.0.1:0 --chat-addr off --rpc-addr off --admin-addr off --web-addr off \
			--max-conns 20000 --idle-timeout 10m --log-format json 2>"$log" &
		SRV_PID=$!
		wait_line "$log" '"service":"echo","addr"'
		SRV_ADDR=$(grep '"msg":"listening"' "$log" | grep '"service":"echo"' | sed -E 's/.*"addr":"([^"]+)".*/\1/')
		REQ=(-request "hello netkit")
		;;
	python)
		"${SRV_PIN[@]}" python3 bench/python/echo_server.py 0 --quiet >"$log" 2>&1 &
		SRV_PID=$!
		wait_line "$log" '^PORT '
		SRV_ADDR=127.0.0.1:$(sed -n 's/^PORT //p' "$log")
		REQ=(-request "hello netkit")
		;;
	redis)
		local port
		port=$(free_port)
		"${SRV_PIN[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--maxclients 20000 --protected-mode no >"$log" 2>&1 &
		SRV_PID=$!
		wait_line "$log" 'Ready to accept connections'
		SRV_ADDR=127.0.0.1:$port
		REQ=(-request PING -expect $'+PONG\r')
		;;
	esac
	PIDS+=("$SRV_PID")
	eval "$1_pid=$SRV_PID $1_addr=$SRV_ADDR"
	eval "$1_req=(\"\${REQ[@]}\")"
}

stop_server() { kill "$SRV_PID" 2>/dev/null || true; wait "$SRV_PID" 2>/dev/null || true; }

# rps NAME CONNS SECONDS: one load run against the running server NAME.
rps() {
	local pid addr
	eval "pid=\$$1_pid addr=\$$1_addr REQ=(\"\${$1_req[@]}\")"
	"${LOAD_PIN[@]}" "$TMP/echoload" -mode rps -addr "$addr" -conns "$2" -duration "$3s" \
		-warmup 1s -pid "$pid" -label "$1" "${REQ[@]}"
}

: >"$OUT"
for name in "${NAMES[@]}"; do start_server "$name"; done
echo "warming up each server ..." >&2
for name in "${NAMES[@]}"; do
	for n in "${CONNS[@]}"; do rps "$name" "$n" 2 >/dev/null; done
done
for round in $(seq "$ROUNDS"); do
	for n in "${CONNS[@]}"; do
		for name in "${NAMES[@]}"; do
			rps "$name" "$n" "$DURATION" | tee -a "$OUT" >&2
		done
	done
done
for name in "${NAMES[@]}"; do
	eval "SRV_PID=\$${name}_pid"
	stop_server
done

# Idle memory, each server fresh.
for name in "${NAMES[@]}"; do
	start_server "$name"
	"${LOAD_PIN[@]}" "$TMP/echoload" -mode idle -addr "$SRV_ADDR" -conns "$IDLE" -pid "$SRV_PID" \
		-settle "${IDLE_SETTLE}s" -label "$name" | tee -a "$OUT" >&2
	stop_server
done

python3 - "$OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rps = [r for r in rows if r["mode"] == "rps"]
idle = [r for r in rows if r["mode"] == "idle"]
keys = []
for r in rps:
    if (r["conns"], r["label"]) not in keys:
        keys.append((r["conns"], r["label"]))
keys.sort(key=lambda k: k[0])
fields = ("rps", "p50_us", "p99_us", "server_cpu_us_per_request", "server_user_us_per_request", "server_sys_us_per_request")
med = {}
for k in keys:
    rs = [r["result"] for r in rps if (r["conns"], r["label"]) == k]
    med[k] = {f: statistics.median(x.get(f, 0) for x in rs) for f in fields}
    med[k]["n"] = len(rs)
print("| Conns | Server | req/s | p50 (us) | p99 (us) | server CPU per request (us) | user | kernel | ÷ Python's | ÷ redis's |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for k in keys:
    m = med[k]
    py = med.get((k[0], "python"), {}).get("server_cpu_us_per_request") or float("nan")
    rd = med.get((k[0], "redis"), {}).get("server_cpu_us_per_request") or float("nan")
    c = m["server_cpu_us_per_request"]
    print(f'| {k[0]:,} | {k[1]} | {m["rps"]:,.0f} | {m["p50_us"]:.0f} | {m["p99_us"]:.0f} | {c:.1f} | {m["server_user_us_per_request"]:.1f} | {m["server_sys_us_per_request"]:.1f} | {c/py:.2f} | {c/rd:.2f} |')
if med:
    print(f"\nMedians of {min(m['n'] for m in med.values())} rounds.")
print()
print("| Server | Idle conns | RSS before (MiB) | KiB per idle conn | KiB per conn after one request |")
print("|---|---:|---:|---:|---:|")
for r in idle:
    x = r["result"]
    print(f'| {r["label"]} | {r["conns"]} | {x["rss_before_kib"]/1024:.1f} | {x["kib_per_idle_conn"]:.2f} | {x["kib_per_idle_conn_after_one_request"]:.2f} |')
PY
echo "raw results: $OUT" >&2
