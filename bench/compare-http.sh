#!/usr/bin/env bash
# HTTP load generators side by side: wrk, hey and netkit bench http (its
# HTTP/1.1 engine, and net/http's client as a reference) and a closed loop on
# valyala/fasthttp's client (bench/fasthttp) against one Go
# net/http hello server (bench/hello), with the server pinned to core 0 and
# each generator to core 1, 100 connections, for the same duration.
#
#   bench/compare-http.sh [RUNS] [SECONDS] [CONNS] [keep-alive|close]
#                                      (default 5 10 100 keep-alive)
#
# With "close" every request asks the server to close its connection
# (Connection: close; hey's -disable-keepalive), so each request costs a
# new connection; the fasthttp loop, which cannot send that header, sits
# it out.
#
# For every run and tool it measures requests per second (as the tool
# reports it), the generator's CPU time per request (user + system, from
# the kernel's accounting of the process and its threads) and the server's
# (from /proc), and prints the median, minimum and maximum of the first two
# as ratios to wrk in the same run.
# Needs wrk and hey (apt-get install -y wrk hey) and two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
SECS=${2:-10}
CONNS=${3:-100}
MODE=${4:-keep-alive}
case "$MODE" in keep-alive|close) ;; *) echo "mode: keep-alive or close, not $MODE" >&2; exit 2 ;; esac
for tool in wrk hey taskset; do
	command -v $tool >/dev/null || { echo "$tool is not installed: apt-get install -y wrk hey util-linux" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { echo "needs two cores: one for the server, one for the generator" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/netkit" ./cmd/netkit
go build -o "$TMP/hello" ./bench/hello
# fasthttp's client, in a module of its own so that netkit does not depend on it.
(cd bench/fasthttp && go build -o "$TMP/fasthttp" .)
python3 - "$RUNS" "$SECS" "$CONNS" "$TMP" "$MODE" <<'PY'
import json, os, re, resource, statistics, subprocess, sys, time

runs, secs, conns, tmp, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
srv = subprocess.Popen(["taskset", "-c", "0", tmp + "/hello"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
addr = srv.stdout.readline().strip()
url = "http://" + addr + "/"

def wrk(out):
    n = int(re.search(r"(\d+) requests in", out).group(1))
    return n, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

def hey(out):
    n = sum(int(c) for c in re.findall(r"\[\d+\]\s+(\d+) responses", out))
    return n, float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

def netkit(out):
    r = json.loads(out)
    return r["requests"], r["rps"]

close = ["-H", "Connection: close"] if mode == "close" else []
tools = {
    "wrk": (["wrk", "-t1", "-c%d" % conns, "-d%ds" % secs] + close + [url], wrk),
    "hey": (["hey", "-z", "%ds" % secs, "-c", str(conns)] + (["-disable-keepalive"] if close else []) + [url], hey),
    "netkit": ([tmp + "/netkit", "bench", "http", url, "-c", str(conns), "-d", "%ds" % secs, "--json"] + close, netkit),
    "fasthttp": ([tmp + "/fasthttp", "-c", str(conns), "-d", "%ds" % secs, url], wrk),
    "netkit (net/http)": ([tmp + "/netkit", "bench", "http", url, "-c", str(conns), "-d", "%ds" % secs, "--json", "--engine", "net/http"] + close, netkit),
}
if close:
    del tools["fasthttp"]

tick = os.sysconf("SC_CLK_TCK")

def server_cpu():
    # utime + stime of the server, in seconds, from /proc.
    f = open("/proc/%d/stat" % srv.pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / tick

def measure(cmd, parse):
    # CPU time of the generator alone: the child's rusage, taken by wait4;
    # the server's from /proc around the run.
    s0 = server_cpu()
    p = subprocess.Popen(["taskset", "-c", "1"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    s1 = server_cpu()
    if status != 0:
        sys.exit("%s failed (status %d): %s" % (cmd[0], status, out[-500:]))
    n, rps = parse(out)
    return rps, (ru.ru_utime + ru.ru_stime) / n * 1e6, (s1 - s0) / n * 1e6

res = {t: [] for t in tools}
for i in range(runs):
    order = list(tools)[i % len(tools):] + list(tools)[:i % len(tools)]
    for t in order:
        res[t].append(measure(*tools[t]))
    print("run %d: " % (i + 1) + ", ".join("%s %.0f req/s %.1f µs (server %.1f µs)" % (t, *res[t][-1]) for t in tools), file=sys.stderr)
srv.stdin.close()
srv.wait()

print("%d runs of %d s, %d connections%s, server on core 0, generator on core 1" % (runs, secs, conns, ", Connection: close" if close else ""))
print()
print("| generator | req/s (median) | generator CPU µs/request (median) | server CPU µs/request (median) | req/s ÷ wrk: median (min–max) | generator CPU/request ÷ wrk: median (min–max) |")
print("|---|---:|---:|---:|---:|---:|")
for t in tools:
    rps = [r[0] for r in res[t]]
    cpu = [r[1] for r in res[t]]
    scpu = [r[2] for r in res[t]]
    rr = [a[0] / w[0] for a, w in zip(res[t], res["wrk"])]
    cr = [a[1] / w[1] for a, w in zip(res[t], res["wrk"])]
    print("| %s | %.0f | %.2f | %.2f | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) |" % (
        t, statistics.median(rps), statistics.median(cpu), statistics.median(scpu),
        statistics.median(rr), min(rr), max(rr), statistics.median(cr), min(cr), max(cr)))
PY
