#!/usr/bin/env bash
# The comparative benchmark suite: netkit's echo and JSON-RPC services, the
# Python asyncio peers (asyncio echo, counting, JSON-RPC, and the
# thread-per-connection server) and redis-server's inline PING, each pinned
# to CPU 0 and driven by `netkit bench` pinned to CPU 1; the generator
# against a minimal Go ping-pong loop; idle connections held by netkit
# serve. Figures go to bench/compare/results (JSON, summary.md) and plots to
# bench/compare/plots; docs/BENCHMARKS.md quotes them.
#
#   bench/compare.sh            the full run (about 6 minutes)
#   bench/compare.sh --quick    tiny durations, for CI (well under a minute)
#
# Other arguments are passed to the suite program (bench/compare/suite),
# for example: bench/compare.sh -duration 5s -scale 10000
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
args=()
for a in "$@"; do
  if [ "$a" = "--quick" ]; then quick=1; else args+=("$a"); fi
done

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/netkit" ./cmd/netkit
go build -o "$bin/pingpong" ./bench/compare/pingpong
go build -o "$bin/suite" ./bench/compare/suite

# redis-server is the C reference for a line ping-pong (Debian package).
if ! command -v redis-server >/dev/null && [ "$quick" = 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y redis-server >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y redis-server >/dev/null 2>&1; } ||
      echo "compare.sh: could not install redis-server; its row is skipped" >&2
  else
    echo "compare.sh: redis-server missing (apt-get install redis-server); its row is skipped" >&2
  fi
fi

# Many idle connections need many file descriptors in both processes.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

common=(-netkit "$bin/netkit" -pingpong "$bin/pingpong")
if [ "$quick" = 1 ]; then
  out="$bin/results"
  exec_args=(-quick -duration 300ms -reps 1 -rep-duration 300ms -scale 200 -scale-duration 300ms -out "$out")
else
  exec_args=()
fi
"$bin/suite" "${common[@]}" "${exec_args[@]+"${exec_args[@]}"}" "${args[@]+"${args[@]}"}"
