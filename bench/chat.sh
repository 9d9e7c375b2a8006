#!/bin/sh
# Broadcast benchmark of the chat service: 1,000 clients in one room,
# netkit's server (in its own process and in the clients' process) against
# the Python asyncio chat server made to broadcast. Prints the Go benchmark
# lines; docs/BENCHMARKS.md, "Chat service", has the figures.
#
#   bench/chat.sh [COUNT]
set -e
cd "$(dirname "$0")/.."
go test -run '^$' -bench 'BenchmarkBroadcast' -benchtime 300x -count "${1:-3}" ./chat/
