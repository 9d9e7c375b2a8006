#!/usr/bin/env bash
# A/B benchmark of netkit's echo server between a git revision and the
# working tree, in one run: both servers run side by side, pinned to CPU 0
# with the load driver on CPU 1 (when taskset exists), and each round
# measures both at every connection count one after the other, so load
# elsewhere on the machine touches both alike. Reports the medians of the
# server's CPU time per request (user + kernel, from /proc) and the ratio
# new / base per round. Everything runs on 127.0.0.1.
#
#   bench/echo-ab.sh BASE_REV [DURATION_SECONDS [ROUNDS]]   (default 4 s, 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${1:?usage: bench/echo-ab.sh BASE_REV [DURATION_SECONDS [ROUNDS]]}
DURATION=${2:-4}
ROUNDS=${3:-5}
CONNS=(1 100)
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	git worktree remove --force "$TMP/base-src" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

SRV_PIN=() LOAD_PIN=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	SRV_PIN=(taskset -c 0) LOAD_PIN=(taskset -c 1)
fi

git worktree add --detach "$TMP/base-src" "$BASE" >/dev/null 2>&1
(cd "$TMP/base-src" && go build -o "$TMP/netkit-base" ./cmd/netkit)
go build -o "$TMP/netkit-new" ./cmd/netkit
go build -o "$TMP/echoload" ./bench/echoload

# start NAME: serve echo with binary netkit-NAME; sets NAME_pid, NAME_addr.
start() {
	local log="$TMP/$1.log" extra=()
	# Revisions with a web listener get it turned off, as the others
	# have none.
	if "$TMP/netkit-$1" serve --help 2>&1 | grep -q -- --web-addr; then extra=(--web-addr off); fi
	"${SRV_PIN[@]}" "$TMP/netkit-$1" serve --echo-addr 127.0.0.1:0 --chat-addr off --rpc-addr off --admin-addr off \
		--max-conns 20000 --idle-timeout 10m --log-format json "${extra[@]}" 2>"$log" &
	local pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do grep -q '"service":"echo","addr"' "$log" 2>/dev/null && break; sleep 0.1; done
	local addr
	addr=$(grep '"msg":"listening"' "$log" | grep '"service":"echo"' | sed -E 's/.*"addr":"([^"]+)".*/\1/')
	eval "$1_pid=$pid $1_addr=$addr"
}

run() { # NAME CONNS SECONDS
	local pid addr
	eval "pid=\$$1_pid addr=\$$1_addr"
	"${LOAD_PIN[@]}" "$TMP/echoload" -mode rps -addr "$addr" -conns "$2" -duration "$3s" \
		-warmup 1s -pid "$pid" -label "$1" -request "hello netkit"
}

start base
start new
OUT=$TMP/ab.jsonl
for name in base new; do for n in "${CONNS[@]}"; do run "$name" "$n" 2 >/dev/null; done; done
for round in $(seq "$ROUNDS"); do
	for n in "${CONNS[@]}"; do
		for name in base new; do run "$name" "$n" "$DURATION" | tee -a "$OUT" >&2; done
	done
done

python3 - "$OUT" "$BASE" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def cpu(r):
    return r["result"]["server_cpu_us_per_request"]
by = {}
for r in rows:
    by.setdefault((r["conns"], r["label"]), []).append(cpu(r))
print(f"| Connections | base ({sys.argv[2][:10]}) µs/req | new µs/req | new ÷ base (median) | per round |")
print("|---|---|---|---|---|")
for c in sorted({k[0] for k in by}):
    b, n = by[(c, "base")], by[(c, "new")]
    ratios = [x / y for x, y in zip(n, b)]
    print(f"| {c} | {statistics.median(b):.1f} | {statistics.median(n):.1f} | {statistics.median(ratios):.2f} | "
          + " ".join(f"{x:.2f}" for x in ratios) + " |")
PY
