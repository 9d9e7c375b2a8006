"""Reads `go test -bench BenchmarkClient` output and prints the median ns/op
of each client with its ratio to the net/http baseline, and the median of
the paired benchmark's ratio (the two clients alternating call by call)."""
import re
import statistics
import sys

runs: dict[str, list[float]] = {}
mem: dict[str, str] = {}
paired: list[float] = []
for line in sys.stdin:
    name = re.match(r"BenchmarkClient/(\w+)", line)
    if not name:
        continue
    if name.group(1) == "paired":
        m = re.search(r"([\d.]+) ratio", line)
        if m:
            paired.append(float(m.group(1)))
        continue
    m = re.search(r"\s([\d.]+) ns/op(?:\s+(\d+) B/op\s+(\d+) allocs/op)?", line)
    if m:
        runs.setdefault(name.group(1), []).append(float(m.group(1)))
        if m.group(2):
            mem[name.group(1)] = f"{m.group(2)} B/op, {m.group(3)} allocs/op"
base = statistics.median(runs["nethttp"])
print(f"{'client':<10} {'runs':>4} {'median ns/op':>13} {'vs net/http':>11}  memory")
for name, v in runs.items():
    med = statistics.median(v)
    print(f"{name:<10} {len(v):>4} {med:>13.0f} {med / base:>10.2f}x  {mem.get(name, '')}")
if paired:
    print(f"paired     {len(paired):>4} netkit/net/http ratio, median {statistics.median(paired):.3f}"
          f" (min {min(paired):.3f}, max {max(paired):.3f})")
