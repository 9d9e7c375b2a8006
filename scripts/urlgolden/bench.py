#!/usr/bin/env python3
"""Time CPython's urllib.parse on the corpus of urlparse's BenchmarkParse.

The Python figures of docs/BENCHMARKS.md ("URL parsing") come from here, run
beside `go test -bench` on the same machine:

    python3 scripts/urlgolden/bench.py

The corpus is read from urlparse/bench_test.go so both sides parse the same
URLs. urlsplit has an lru_cache; "uncached" clears it before each pass, as a
stream of distinct URLs (a log file) would see it, "cached" is the best case
of the same URLs over and over.
"""

import pathlib
import re
import timeit
import urllib.parse as up

ROOT = pathlib.Path(__file__).resolve().parents[2]
src = (ROOT / "urlparse" / "bench_test.go").read_text()
block = src[src.index("var benchURLs = []string{"):]
block = block[: block.index("\n}\n")]
CORPUS = re.findall(r'\t"([^"]*)",', block)


def best_ns_per_url(stmt, repeat=7):
    t = timeit.Timer(stmt, globals=globals())
    n, _ = t.autorange()
    return min(t.repeat(repeat, n)) / n / len(CORPUS) * 1e9


def parse_uncached():
    up.clear_cache()
    for u in CORPUS:
        up.urlparse(u)


def parse_cached():
    for u in CORPUS:
        up.urlparse(u)


def parse_string_uncached():
    up.clear_cache()
    for u in CORPUS:
        up.urlparse(u).geturl()


print("corpus: %d URLs" % len(CORPUS))
print("urlparse (uncached)          %7.0f ns/URL" % best_ns_per_url(parse_uncached))
print("urlparse (cached)            %7.0f ns/URL" % best_ns_per_url(parse_cached))
print("urlparse+geturl (uncached)   %7.0f ns/URL" % best_ns_per_url(parse_string_uncached))
