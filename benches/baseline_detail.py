#!/usr/bin/env python3
"""Python baseline for benchmarks: read every mlperf_log_detail.txt under the
given paths the way the reference tooling does (mlcommons/inference
tools/submission/log_parser.py, class MLPerfLog): for each line starting with
the `:::MLLOG` (or `:::ENDPTS`) marker, `json.loads` the rest, then collect
the keys, the first value of each key, and the error and warning counts.

It is kinder to Python than the reference: it keeps one dict of first values
instead of a list of every message (so memory stays flat), and skips invalid
lines instead of raising. Prints one summary line per file and a total.

Usage: baseline_detail.py PATH…   (files, or folders searched recursively)
"""
import json
import os
import sys

MARKERS = (":::MLLOG", ":::ENDPTS")


def parse(path):
    first = {}
    keys = set()
    errors = warnings = records = invalid = 0
    with open(path, "r", encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip()
            for marker in MARKERS:
                if line.startswith(marker):
                    break
            else:
                continue
            try:
                msg = json.loads(line[len(marker):])
            except ValueError:
                invalid += 1
                continue
            records += 1
            key = msg["key"]
            keys.add(key)
            if key not in first:
                first[key] = msg["value"]
            meta = msg.get("metadata") or {}
            errors += bool(meta.get("is_error"))
            warnings += bool(meta.get("is_warning"))
    return records, len(keys), errors, warnings, invalid


def main():
    files = []
    for p in sys.argv[1:]:
        if os.path.isdir(p):
            for dp, dns, fns in os.walk(p):
                dns.sort()
                files += [os.path.join(dp, f) for f in sorted(fns) if f == "mlperf_log_detail.txt"]
        else:
            files.append(p)
    total = 0
    for path in files:
        records, keys, errors, warnings, invalid = parse(path)
        total += records
        print(f"{path}: {records} records, {keys} keys, {errors} errors, "
              f"{warnings} warnings, {invalid} invalid")
    print(f"total: {len(files)} files, {total} records")


if __name__ == "__main__":
    main()
