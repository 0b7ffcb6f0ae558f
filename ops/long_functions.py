#!/usr/bin/env python3
"""Lists the Rust functions longer than a limit (STYLE: ~70 lines, short enough to see whole).

Usage: ops/long_functions.py [--max 70] [--allow FILE] [paths...]  (default: src events/src
projections/src). A function is counted from its `fn` line to the line of its closing brace.
With --allow, functions named in FILE (`path::name`, one a line, `#` comments) are reported but
pass; any other function over the limit makes the exit status 1, so CI catches a new one.
"""

import argparse
import pathlib
import re
import sys

FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)")


def strip(line):
    """The line without string literals, char literals and a trailing // comment."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    return line.split("//", 1)[0]


def functions(path):
    """(name, first line, length) of every function with a body in `path`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for start, line in enumerate(lines):
        match = FN.match(line)
        if not match:
            continue
        depth, opened = 0, False
        for end in range(start, len(lines)):
            text = strip(lines[end])
            if not opened and ";" in text and "{" not in text:
                break  # a declaration without a body (a trait's)
            depth += text.count("{") - text.count("}")
            opened = opened or "{" in text
            if opened and depth <= 0:
                found.append((match.group(1), start + 1, end - start + 1))
                break
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=70)
    parser.add_argument("--allow")
    parser.add_argument("paths", nargs="*", default=["src", "events/src", "projections/src"])
    args = parser.parse_args()
    allowed = set()
    if args.allow:
        for line in pathlib.Path(args.allow).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                allowed.add(line)
    failed = False
    for root in args.paths:
        for path in sorted(pathlib.Path(root).rglob("*.rs")):
            for name, line, length in functions(path):
                if length <= args.max:
                    continue
                key = f"{path}::{name}"
                known = key in allowed
                failed = failed or not known
                note = " (allowed for now)" if known else ""
                print(f"{path}:{line}: fn {name} is {length} lines{note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
