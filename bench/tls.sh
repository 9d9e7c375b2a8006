#!/usr/bin/env bash
# TLS cost on netkit's echo service, all measured in one run on this
# machine: the server's CPU time per request over TLS next to plaintext
# (persistent connections: `netkit bench line`), and full and resumed TLS
# handshakes per second next to plain TCP connects (`netkit bench connect`,
# a new connection per request; --no-resume makes every handshake a full
# one).
#
#   bench/tls.sh [DURATION_SECONDS [ROUNDS]]      (default 5 s, 3 rounds)
#
# Two netkit serve processes, one plaintext and one with a self-signed
# ECDSA P-256 certificate, pinned to CPU 0 with the load generator on CPU 1
# when taskset exists. The table gives the median of the rounds. Server
# CPU is read from /proc/PID/stat (user + kernel). Everything runs on
# 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-5}
ROUNDS=${2:-3}
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

SRV_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi
go build -o "$TMP/netkit" ./cmd/netkit
NK=$TMP/netkit

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_line() {
	for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "timed out waiting for $2 in $1" >&2; cat "$1" >&2; return 1
}
# cpu_ticks PID: user + system clock ticks of the process so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

start_server() { # NAME EXTRA_ARGS...
	local name=$1; shift
	local port; port=$(free_port)
	"${SRV_PIN[@]}" "$NK" serve --echo-addr "127.0.0.1:$port" --chat-addr off --rpc-addr off --admin-addr off --web-addr off \
		--log-format json "$@" 2>"$TMP/$name.log" &
	PIDS+=($!)
	eval "${name}_PID=$!; ${name}_PORT=$port"
	wait_line "$TMP/$name.log" '"service":"echo"'
}
start_server plain
start_server tls --tls-self-signed --data-dir "$TMP/data"
CA=$TMP/data/tls/selfsigned-cert.pem

# run NAME PID TARGET ADDR ARGS...: prints "rps us_per_request resumed"
run() {
	local pid=$1 target=$2 addr=$3; shift 3
	local before after out
	before=$(cpu_ticks "$pid")
	out=$("${LOAD_PIN[@]}" "$NK" bench "$target" "$addr" -d "${DURATION}s" --json "$@")
	after=$(cpu_ticks "$pid")
	python3 - "$out" "$before" "$after" "$TICK" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); before, after, tick = map(float, sys.argv[2:5])
n = max(r["requests"], 1)
print(f'{r["rps"]:.0f} {(after - before) / tick / n * 1e6:.1f} {r.get("tls_resumed", 0)} {r["errors"]}')
PY
}

declare -A RES
CASES=(
	"line-plain|$plain_PID|line|127.0.0.1:$plain_PORT|-c 50"
	"line-tls|$tls_PID|line|tls://127.0.0.1:$tls_PORT|-c 50 --cacert $CA"
	"connect-plain|$plain_PID|connect|127.0.0.1:$plain_PORT|-c 8"
	"connect-full|$tls_PID|connect|tls://127.0.0.1:$tls_PORT|-c 8 --cacert $CA --no-resume"
	"connect-resumed|$tls_PID|connect|tls://127.0.0.1:$tls_PORT|-c 8 --cacert $CA"
)
# Warm-up: one short run of each.
for c in "${CASES[@]}"; do
	IFS='|' read -r name pid target addr args <<<"$c"
	"$NK" bench "$target" "$addr" -d 1s $args >/dev/null 2>&1 || true
done
for round in $(seq "$ROUNDS"); do
	for c in "${CASES[@]}"; do
		IFS='|' read -r name pid target addr args <<<"$c"
		line=$(run "$pid" "$target" "$addr" $args)
		RES[$name]+="$line;"
		echo "round $round $name: $line" >&2
	done
done

median() { # FIELD "a b c d;a b c d;..."
	python3 - "$1" "$2" <<'PY'
import statistics, sys
f = int(sys.argv[1]); rows = [r.split() for r in sys.argv[2].split(";") if r]
print(statistics.median(float(r[f]) for r in rows))
PY
}
echo
echo "| Case | Requests/s | Server CPU µs/request | Resumed | vs plaintext |"
echo "|---|---|---|---|---|"
for pair in "line-plain|line-plain" "line-tls|line-plain" "connect-plain|connect-plain" "connect-full|connect-plain" "connect-resumed|connect-plain"; do
	IFS='|' read -r name base <<<"$pair"
	rps=$(median 0 "${RES[$name]}"); cpu=$(median 1 "${RES[$name]}"); res=$(median 2 "${RES[$name]}")
	bcpu=$(median 1 "${RES[$base]}")
	printf '| %s | %.0f | %.1f | %.0f | %.2f× CPU |\n' "$name" "$rps" "$cpu" "$res" "$(python3 -c "print($cpu/$bcpu)")"
done
