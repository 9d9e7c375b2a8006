#!/bin/sh
# Measures the overhead of httpclient.Client and httpclient.Transport over a
# plain *http.Client, GETting 1 KiB from a local server, and prints the
# median ns/op of each and the ratios to net/http. The three run in turns,
# COUNT rounds, so that a noisy neighbour slows all of them alike.
# Usage: bench/httpclient/run.sh [COUNT]
set -eu
cd "$(dirname "$0")/../.."
count=${1:-10}
bin=$(mktemp -d)/httpclient.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./httpclient
i=0
while [ "$i" -lt "$count" ]; do
	for b in nethttp netkit transport paired; do
		"$bin" -test.run '^$' -test.bench "^BenchmarkClient/$b\$" -test.benchtime 1s -test.benchmem
	done
	i=$((i + 1))
done | python3 bench/httpclient/medians.py
