#!/usr/bin/env python3
"""Check an impact-ledger export (NDJSON) without the ledger's code: Python standard library only.

Written from docs/CONTRACT.md section 3.3. For every line, in order:
  1. it parses as JSON (a line that does not, or a file cut in the middle of a line, is bad);
  2. it is byte for byte the canonical JSON of the object (so the export re-imports and
     re-exports to the same bytes);
  3. SHA-256 over the canonical JSON of the object without its "hash" member equals "hash"
     (for a sealed event, of its hashed form, below);
  4. "prev_hash" equals the previous line's "hash" (64 zeros on the first line);
  5. "position" is the line number: 1, 2, 3, ... with no gaps;
  6. "version" counts 1, 2, 3, ... within each "stream", and "recorded_at" never goes back.

Events stored under the erasure scheme (docs/CONTRACT.md section 12, ops/decisions/0005) carry
a "sealed" member: for each personal member (note, case_ref, data.person_ref) its commitment,
its pseudonym and its salt. Their hash is over the hashed form: each sealed member's value
written as null and each "sealed" entry without its "salt". Where the value is still there
(salt not null), SHA-256(salt bytes || UTF-8 value) must equal the commitment; an erased
member (value and salt null) is taken by its commitment. So an event verifies with the same
hash before and after its erasure.

Stored data holds no floats, so json.dumps with sorted keys and no spaces gives the same bytes as
RFC 8785 (JCS). Memory is constant apart from one version number per stream.

Usage: verify_export.py EXPORT.ndjson      (or - for stdin)
Prints a summary (key: value lines). Exit 0 when the chain is whole, 1 when it is broken (the
summary names the first bad position, which is also the first bad line), 2 when the file cannot
be read at all.
"""

import hashlib
import json
import sys

GENESIS = "0" * 64


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def hashed_form(event):
    """The object the hash of a sealed event is over, after checking each open member's
    commitment; an event without "sealed" is hashed as it is. Returns (object, None) or
    (None, reason)."""
    sealed = event.get("sealed")
    if sealed is None:
        return event, None
    if not isinstance(sealed, dict) or not sealed:
        return None, "\"sealed\" must be an object naming at least one member"
    hashed = json.loads(json.dumps(event))
    for path, entry in sealed.items():
        if not isinstance(entry, dict) or set(entry) != {"commitment", "pseudonym", "salt"}:
            return None, "sealed.%s must hold commitment, pseudonym and salt" % path
        parts = path.split(".")
        holder = hashed
        for part in parts[:-1]:
            holder = holder.get(part) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or parts[-1] not in holder:
            return None, "sealed.%s names no member of the event" % path
        value = holder[parts[-1]]
        if entry["salt"] is None:
            if value is not None:
                return None, "sealed.%s has no salt but a value" % path
        else:
            try:
                salt = bytes.fromhex(entry["salt"])
            except (TypeError, ValueError):
                return None, "sealed.%s: the salt is not hex" % path
            if not isinstance(value, str):
                return None, "sealed.%s has a salt but no value" % path
            if hashlib.sha256(salt + value.encode("utf-8")).hexdigest() != entry["commitment"]:
                return None, "%s does not match its commitment: it was changed after it was stored" % path
        holder[parts[-1]] = None
        del hashed["sealed"][path]["salt"]
    return hashed, None


def check_line(raw, expected_position, prev_hash, last_recorded_at, versions):
    """Returns (event, None) when the line is good, or (None, reason)."""
    if not raw.endswith(b"\n"):
        return None, "the file ends in the middle of this line (no newline): it was truncated"
    line = raw[:-1]
    try:
        event = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return None, "not valid JSON: %s" % error
    if not isinstance(event, dict) or not isinstance(event.get("hash"), str):
        return None, "not a stored event: an object with a \"hash\" is expected"
    if canonical(event) != line:
        return None, "the line is not the event's canonical JSON (RFC 8785): it was reformatted or edited"
    if event.get("position") != expected_position:
        return None, "expected position %d, found %r: an event is missing or out of order" % (
            expected_position,
            event.get("position"),
        )
    if event.get("prev_hash") != prev_hash:
        return None, "prev_hash does not match the hash of the event before it"
    content = {key: value for key, value in event.items() if key != "hash"}
    content, reason = hashed_form(content)
    if reason is not None:
        return None, reason
    if hashlib.sha256(canonical(content)).hexdigest() != event["hash"]:
        return None, "hash does not match the event's content: it was changed after it was stored"
    recorded_at = event.get("recorded_at")
    if not isinstance(recorded_at, str) or (last_recorded_at is not None and recorded_at < last_recorded_at):
        return None, "recorded_at is missing or earlier than the event before it"
    stream = event.get("stream")
    expected_version = versions.get(stream, 0) + 1
    if event.get("version") != expected_version:
        return None, "stream %s jumps to version %r, expected %d" % (stream, event.get("version"), expected_version)
    return event, None


def verify(lines):
    """Checks the export's lines; returns the summary as a dict."""
    events = 0
    head_hash = GENESIS
    last_recorded_at = None
    versions = {}
    for raw in lines:
        position = events + 1
        event, reason = check_line(raw, position, head_hash, last_recorded_at, versions)
        if reason is not None:
            return summary(events, head_hash, position, "line %d: %s" % (position, reason))
        events = position
        head_hash = event["hash"]
        # recorded_at is always UTC with six fraction digits, so text order is time order.
        last_recorded_at = event["recorded_at"]
        versions[event["stream"]] = event["version"]
    return summary(events, head_hash, None, None)


def summary(events, head_hash, first_bad_position, error):
    result = {
        "ok": first_bad_position is None,
        "events": events,
        "head_position": events,
        "head_hash": head_hash,
        "first_bad_position": first_bad_position,
    }
    if error is not None:
        result["error"] = error
    return result


def main(argv):
    if len(argv) != 2:
        print("usage: verify_export.py EXPORT.ndjson (or - for stdin)", file=sys.stderr)
        return 2
    try:
        stream = sys.stdin.buffer if argv[1] == "-" else open(argv[1], "rb")
    except OSError as error:
        print("cannot read %s: %s" % (argv[1], error), file=sys.stderr)
        return 2
    with stream:
        result = verify(stream)
    for key in ("ok", "events", "head_position", "head_hash", "first_bad_position", "error"):
        if key in result:
            value = result[key]
            text = "null" if value is None else ("true" if value is True else "false" if value is False else value)
            print("%s: %s" % (key, text))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
