#!/usr/bin/env python3
"""Prints the medians of the last criterion run, per benchmark and per element.

Usage: criterion_table.py [TARGET_DIR]   (default: $CARGO_TARGET_DIR or target)
Reads TARGET_DIR/criterion/*/new/estimates.json, which `cargo bench` leaves behind.
"""

import json
import os
import sys


def duration(nanoseconds):
    if nanoseconds >= 1e6:
        return "%.1f ms" % (nanoseconds / 1e6)
    if nanoseconds >= 1e3:
        return "%.2f µs" % (nanoseconds / 1e3)
    return "%.0f ns" % nanoseconds


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
    rows = []
    for root, _, files in os.walk(os.path.join(target, "criterion")):
        if os.path.basename(root) != "new" or "estimates.json" not in files:
            continue
        with open(os.path.join(root, "estimates.json")) as file:
            median = json.load(file)["median"]["point_estimate"]
        with open(os.path.join(root, "benchmark.json")) as file:
            benchmark = json.load(file)
        elements = (benchmark.get("throughput") or {}).get("Elements") or 1
        rows.append((benchmark["full_id"], median, median / elements))
    print("| benchmark | median per iteration | per element |")
    print("| --- | ---: | ---: |")
    for name, median, per_element in sorted(rows):
        print("| %s | %s | %s |" % (name, duration(median), duration(per_element)))


if __name__ == "__main__":
    main()
