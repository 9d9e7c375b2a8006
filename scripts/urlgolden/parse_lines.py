#!/usr/bin/env python3
"""The CPython peer of `netkit url parse --json`.

Reads URLs one per line from standard input (each line as it is, without
its newline) and prints, for each, the JSON object `netkit url parse --json`
prints, from urllib.parse.urlparse: `null` where urlparse raises. The two
outputs are byte-identical, but for U+2028 and U+2029, which Go's JSON
encoder writes as escapes and Python as they are (the same JSON values);
internal/cli/url_test.go checks that, and docs/BENCHMARKS.md times both on
the same batch:

    python3 scripts/urlgolden/parse_lines.py < urls.txt
"""

import json
import sys
import urllib.parse as up


def main():
    out = sys.stdout
    for line in sys.stdin:
        u = line[:-1] if line.endswith("\n") else line
        try:
            r = up.urlparse(u)
        except ValueError:
            out.write("null\n")
            continue
        d = dict(scheme=r.scheme, netloc=r.netloc, path=r.path, params=r.params, query=r.query,
                 fragment=r.fragment, username=r.username, password=r.password, hostname=r.hostname)
        try:
            d["port"] = r.port
        except ValueError as e:
            d["port"] = None
            d["port_error"] = str(e)
        out.write(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.stdin.reconfigure(newline="\n")
    main()
