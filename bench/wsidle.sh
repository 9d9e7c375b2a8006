#!/usr/bin/env bash
# Memory per idle chat connection, WebSocket against TCP, in one run: for
# each kind, a fresh `netkit serve` (chat and web listener only, with the
# admin listener for /metrics), then bench/wsidle opens N connections
# (10,000 by default) and holds them idle. The server's resident memory
# (VmRSS), the memory its Go runtime holds, its Go heap and stacks in use
# and its goroutines are read before the clients connect and 3 s after
# they are all connected and idle (no GC forced), and the difference is
# divided by N. Each kind runs ROUNDS times (3), alternating,
# and the table gives the medians. Everything runs on 127.0.0.1.
#
# With --profile, one more run of each kind uses a build with
# net/http/pprof added through `go build -overlay` (the tree is not
# changed) and prints where the connections' goroutines wait and what
# holds their heap (a heap profile taken after the clients connected,
# against one taken before).
#
#   bench/wsidle.sh [--profile] [N [ROUNDS]]
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=0
if [ "${1:-}" = --profile ]; then PROFILE=1; shift; fi
N=${1:-10000}
ROUNDS=${2:-3}
SETTLE=3         # seconds to let the server settle before each reading
READY_TIMEOUT=15 # seconds for netkit serve to listen
DIAL_TIMEOUT=300 # seconds for wsidle to open all connections

for cmd in go curl python3; do
	command -v "$cmd" >/dev/null || { echo "wsidle.sh: $cmd is needed" >&2; exit 1; }
done
[ -r /proc/self/status ] || { echo "wsidle.sh: needs /proc (Linux)" >&2; exit 1; }

# The server and the client each hold N descriptors.
need=$((N + 1000))
if ! ulimit -n 65536 2>/dev/null; then
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
		echo "wsidle.sh: cannot raise the open-files limit to 65536, and the hard limit ($hard) is under the $need that $N connections need" >&2
		exit 1
	fi
	ulimit -n "$hard"
fi

TMP=$(mktemp -d)
SERVER_PID="" CLIENT_PID=""
cleanup() {
	exec 4>&-
	for p in $CLIENT_PID $SERVER_PID; do kill "$p" 2>/dev/null || true; done
	for p in $CLIENT_PID $SERVER_PID; do wait "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$TMP/netkit" ./cmd/netkit
go build -o "$TMP/wsidle" ./bench/wsidle
if [ "$PROFILE" = 1 ]; then
	cat >"$TMP/pprof.go" <<'EOF'
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
)

func init() {
	// Every allocation from here on is in the heap profile, not a sample.
	runtime.MemProfileRate = 1
	if addr := os.Getenv("NETKIT_PPROF_ADDR"); addr != "" {
		go http.ListenAndServe(addr, nil)
	}
}
EOF
	printf '{"Replace": {"%s": "%s"}}\n' "$PWD/cmd/netkit/zz_pprof.go" "$TMP/pprof.go" >"$TMP/overlay.json"
	go build -overlay "$TMP/overlay.json" -o "$TMP/netkit-pprof" ./cmd/netkit
fi

# addr SERVICE: the address that SERVICE's "listening" log line reports.
addr() {
	grep '"msg":"listening"' "$TMP/server.log" | grep "\"service\":\"$1\"" |
		sed -E 's/.*"addr":"([^"]+)".*/\1/' | head -1
}

# start_server BINARY: starts netkit serve and waits until its chat, web
# and admin listeners have logged their addresses.
start_server() {
	: >"$TMP/server.log"
	"$1" serve --echo-addr off --rpc-addr off --chat-addr 127.0.0.1:0 \
		--web-addr 127.0.0.1:0 --admin-addr 127.0.0.1:0 --max-conns 20000 \
		--log-format json 2>"$TMP/server.log" &
	SERVER_PID=$!
	local deadline=$((SECONDS + READY_TIMEOUT))
	CHAT_ADDR="" WEB_ADDR="" ADMIN_ADDR=""
	until [ -n "$CHAT_ADDR" ] && [ -n "$WEB_ADDR" ] && [ -n "$ADMIN_ADDR" ]; do
		kill -0 "$SERVER_PID" 2>/dev/null || { echo "wsidle.sh: netkit serve exited:" >&2; cat "$TMP/server.log" >&2; exit 1; }
		[ "$SECONDS" -lt "$deadline" ] || { echo "wsidle.sh: netkit serve not listening after ${READY_TIMEOUT}s" >&2; exit 1; }
		sleep 0.1
		CHAT_ADDR=$(addr chat) WEB_ADDR=$(addr web) ADMIN_ADDR=$(addr admin)
	done
}

stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

# metric NAME: the value of an unlabelled metric on the admin listener.
metric() {
	curl -sf --max-time 10 "http://$ADMIN_ADDR/metrics" | awk -v n="$1" '$1 == n { printf "%.0f\n", $2 }'
}

# sample: the server's RSS (bytes), heap in use, stacks in use, goroutines,
# and all that the Go runtime holds from the OS less what it has returned.
sample() {
	local v
	v="$(awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$SERVER_PID/status") $(metric go_memstats_heap_inuse_bytes)"
	v="$v $(metric go_memstats_stack_inuse_bytes) $(metric go_goroutines)"
	v="$v $(($(metric go_memstats_sys_bytes) - $(metric go_memstats_heap_released_bytes)))"
	# shellcheck disable=SC2086
	set -- $v
	[ $# -eq 5 ] || { echo "wsidle.sh: cannot read the server's memory and metrics: $v" >&2; exit 1; }
	echo "$v"
}

# hold KIND: starts wsidle with N connections of KIND and waits for its
# "ready" line; the connections stay open until close_clients.
hold() {
	local target
	if [ "$1" = tcp ]; then target=(-kind tcp -addr "$CHAT_ADDR"); else target=(-kind ws -url "ws://$WEB_ADDR/ws/chat"); fi
	rm -f "$TMP/stdin" "$TMP/client.out"
	mkfifo "$TMP/stdin"
	exec 4<>"$TMP/stdin" # wsidle holds its connections until this closes
	"$TMP/wsidle" "${target[@]}" -n "$N" -hold 5m <"$TMP/stdin" 4>&- >"$TMP/client.out" 2>"$TMP/client.err" &
	CLIENT_PID=$!
	local deadline=$((SECONDS + DIAL_TIMEOUT))
	until grep -q '^ready ' "$TMP/client.out" 2>/dev/null; do
		kill -0 "$CLIENT_PID" 2>/dev/null || { echo "wsidle.sh: wsidle exited:" >&2; cat "$TMP/client.err" >&2; exit 1; }
		[ "$SECONDS" -lt "$deadline" ] || { echo "wsidle.sh: $N connections not open after ${DIAL_TIMEOUT}s" >&2; exit 1; }
		sleep 0.2
	done
}

close_clients() {
	exec 4>&-
	if ! wait "$CLIENT_PID"; then
		CLIENT_PID=""
		echo "wsidle.sh: wsidle failed:" >&2
		cat "$TMP/client.err" >&2
		exit 1
	fi
	CLIENT_PID=""
}

check_clients() {
	local clients
	clients=$(metric netkit_chat_clients)
	[ "$clients" = "$N" ] || { echo "wsidle.sh: the server counts $clients chat clients, not $N" >&2; exit 1; }
}

# run KIND: one measurement; appends "KIND before... after..." to results.
run() {
	start_server "$TMP/netkit"
	sleep "$SETTLE"
	local before after
	before=$(sample)
	hold "$1"
	sleep "$SETTLE"
	after=$(sample)
	check_clients
	close_clients
	stop_server
	echo "$1 $before $after" | tee -a "$TMP/results" >&2
}

echo "# kind rss heap stack goroutines go-runtime (before), the same after $N connections" >&2
for round in $(seq "$ROUNDS"); do
	for kind in tcp ws; do run "$kind"; done
done

python3 - "$TMP/results" "$N" <<'PY'
import statistics, sys
n = int(sys.argv[2])
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    kind, b, a = f[0], list(map(int, f[1:6])), list(map(int, f[6:11]))
    rows.setdefault(kind, []).append({
        "rss": a[0] - b[0],
        "heapstack": (a[1] + a[2]) - (b[1] + b[2]),
        "heap": a[1] - b[1],
        "stack": a[2] - b[2],
        "gor": a[3] - b[3],
        "gosys": a[4] - b[4],
    })
def med(kind, key):
    return statistics.median(r[key] for r in rows[kind])
print(f"Medians of {len(rows['tcp'])} runs, {n:,} idle connections:")
print()
print("| Kind | Connections | RSS delta | RSS per connection | Go runtime per connection | Heap + stacks per connection | (heap, stacks) | Goroutines per connection |")
print("|---|---|---|---|---|---|---|---|")
names = {"tcp": "TCP chat", "ws": "WebSocket chat"}
for kind in ("tcp", "ws"):
    print(f"| {names[kind]} | {n:,} | {med(kind, 'rss') / 2**20:.1f} MiB | {med(kind, 'rss') / n / 1024:.1f} KiB "
          f"| {med(kind, 'gosys') / n / 1024:.1f} KiB "
          f"| {med(kind, 'heapstack') / n / 1024:.1f} KiB | ({med(kind, 'heap') / n / 1024:.1f}, {med(kind, 'stack') / n / 1024:.1f}) KiB "
          f"| {med(kind, 'gor') / n:.2f} |")
print()
for key, label in (("rss", "RSS"), ("heapstack", "heap + stacks")):
    print(f"WebSocket / TCP, {label} per connection: {med('ws', key) / med('tcp', key):.2f}")
print()
print("Go runtime: go_memstats_sys_bytes less go_memstats_heap_released_bytes.")
print("Per run, RSS and heap + stacks per connection (KiB):")
for kind in ("tcp", "ws"):
    print(f"  {kind}: " + ", ".join(f"{r['rss'] / n / 1024:.1f} and {r['heapstack'] / n / 1024:.1f}" for r in rows[kind]))
PY

[ "$PROFILE" = 1 ] || exit 0

# profile KIND: heap and goroutine profiles of the server holding N
# connections of KIND.
profile() {
	local pport
	pport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	NETKIT_PPROF_ADDR=127.0.0.1:$pport start_server "$TMP/netkit-pprof"
	local pp=http://127.0.0.1:$pport/debug/pprof
	sleep "$SETTLE"
	curl -sf --max-time 30 "$pp/heap?gc=1" -o "$TMP/heap-before.pb.gz"
	local live_before live_after # heap in use right after the GC that ?gc=1 forces
	live_before=$(metric go_memstats_heap_inuse_bytes)
	hold "$1"
	sleep "$SETTLE"
	curl -sf --max-time 30 "$pp/heap?gc=1" -o "$TMP/heap-after.pb.gz"
	live_after=$(metric go_memstats_heap_inuse_bytes)
	curl -sf --max-time 30 "$pp/goroutine?debug=1" -o "$TMP/goroutines.txt"
	check_clients
	close_clients
	stop_server
	echo
	echo "== $1: heap in use after a forced GC: $(python3 -c "print(f'{($live_after - $live_before) / $N / 1024:.1f}')") KiB per connection"
	echo
	echo "== $1: goroutines by where they wait (groups of at least $((N / 10)))"
	python3 - "$TMP/goroutines.txt" "$((N / 10))" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for block in text.split("\n\n"):
    m = re.search(r"^(\d+) @", block, re.M)
    if not m or int(m.group(1)) < int(sys.argv[2]):
        continue
    frames = re.findall(r"#\s+0x[0-9a-f]+\s+(\S+)\+", block)
    frames = [f for f in frames if not f.startswith(("runtime.", "internal/", "sync.", "syscall."))]
    print(f"{m.group(1):>7}  " + " <- ".join(frames[:4]))
PY
	echo
	echo "== $1: live heap per connection (the profile after the connections less the one before), by owner"
	go tool pprof -sample_index=inuse_space -unit=B -traces -diff_base "$TMP/heap-before.pb.gz" "$TMP/heap-after.pb.gz" \
		2>/dev/null >"$TMP/traces.txt"
	python3 - "$TMP/traces.txt" "$N" <<'PY'
import re, sys
n = int(sys.argv[2])
# Each allocation goes to the first of these that its stack names, from
# the allocating function outwards.
owners = [
    ("goroutine descriptors (runtime g)", ("runtime.malg",)),
    ("tcpserver read buffer (stream)", ("github.com/netkit-dev/netkit/stream.",)),
    ("net.Pipe", ("net.Pipe", "net.(*pipe", "net.makePipeDeadline")),
    ("coder/websocket Conn", ("github.com/coder/websocket.",)),
    ("gateway pumps and keep-alive (web)", ("github.com/netkit-dev/netkit/web.",)),
    ("HTTP server connection (net/http)", ("net/http.",)),
    ("socket (net, syscall)", ("net.", "syscall.", "internal/poll.")),
    ("chat session, tcpserver.Conn", ("github.com/netkit-dev/netkit/chat.", "github.com/netkit-dev/netkit/tcpserver.",
                                      "golang.org/x/time/rate.")),
]
total = {}
for block in open(sys.argv[1]).read().split("-----------+-")[1:]:
    lines = [l for l in block.split("\n")[1:] if l.strip() and not l.startswith("-")]
    m = re.match(r"\s+(-?\d+)B\s+(\S.*)$", lines[1]) if len(lines) > 1 else None
    if not m:
        continue
    frames = [m.group(2)] + [l.strip() for l in lines[2:]]
    owner = next((name for f in frames for name, pre in owners if f.startswith(pre)), "other")
    total[owner] = total.get(owner, 0) + int(m.group(1))
for owner, b in sorted(total.items(), key=lambda kv: -kv[1]):
    print(f"{b / n:8.0f} B  {owner}")
print(f"{sum(total.values()) / n:8.0f} B  in all")
PY
	echo
	go tool pprof -sample_index=alloc_space -unit=B -traces -diff_base "$TMP/heap-before.pb.gz" "$TMP/heap-after.pb.gz" 2>/dev/null |
		awk -v n="$N" -v k="$1" '/^ +-?[0-9]+B +[^ ]/ { v = $1; sub("B", "", v); s += v }
			END { printf "== %s: allocated per connection from before to after: %.0f B\n", k, s / n }'
	echo
	echo "== $1: live heap per connection, by allocating function (top 12)"
	go tool pprof -sample_index=inuse_space -unit=B -top -nodecount=12 -diff_base "$TMP/heap-before.pb.gz" "$TMP/heap-after.pb.gz" \
		2>/dev/null | awk -v n="$N" 'go { f = $1; sub("B", "", f); printf "%8.0f B  %s\n", f / n, $6 } /flat%/ { go = 1 }'
}

for kind in tcp ws; do profile "$kind"; done
