#!/usr/bin/env python3
"""The oracle for the differential ingest test (tests/it/peer.rs).

usage: feedparser_oracle.py SDIST_DIR OUT.json

SDIST_DIR is an unpacked feedparser sdist: its own `feedparser` package
parses its own `tests/` corpus (so the oracle and the corpus are the same
version). Every file of tests/wellformed, tests/encoding and
tests/entities is parsed as if fetched from http://peer.test/<path> with
the `Header:` lines of its leading comment; OUT.json lists, per file, those
headers and feedparser's entries (title, link, plain summary text).
"""
import json
import os
import re
import sys

SUITES = ("wellformed", "encoding", "entities")
HEADER = re.compile(rb"^Header:\s*([^:]+):\s*(.*?)\s*$", re.M)


def main():
    sdist, out = sys.argv[1], sys.argv[2]
    sys.path.insert(0, sdist)
    import feedparser  # the sdist's own, not whatever pip installed

    tests = os.path.join(sdist, "tests")
    files = []
    for suite in SUITES:
        for root, _, names in os.walk(os.path.join(tests, suite)):
            for name in sorted(names):
                if not name.endswith(".xml"):
                    continue
                path = os.path.join(root, name)
                rel = os.path.relpath(path, tests)
                with open(path, "rb") as f:
                    body = f.read()
                head = body.split(b"-->", 1)[0] if body.lstrip().startswith(b"<!--") else b""
                headers = [[k.decode(), v.decode()] for k, v in HEADER.findall(head)]
                response = {k.lower(): v for k, v in headers}
                response.setdefault("content-location", "http://peer.test/" + rel)
                try:
                    d = feedparser.parse(body, response_headers=response)
                except Exception as e:  # the oracle itself fails: no verdict
                    print(f"{rel}: feedparser raised {e!r}", file=sys.stderr)
                    continue
                entries = [
                    {
                        "title": e.get("title", ""),
                        "link": e.get("link", ""),
                        "summary": e.get("summary", ""),
                    }
                    for e in d.entries
                ]
                files.append({
                    "path": rel,
                    "headers": headers,
                    "bozo": bool(d.bozo),
                    "version": d.get("version", ""),
                    "entries": entries,
                })
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"feedparser": feedparser.__version__, "files": files}, f, ensure_ascii=False, indent=0)
    print(f"{len(files)} files, {sum(1 for x in files if x['entries'])} with entries", file=sys.stderr)


if __name__ == "__main__":
    main()
