#!/usr/bin/env python3
"""Small measuring helpers for ops/bench/run.sh; Python standard library only.

  probe.py fsync DIR SECONDS GROUP [prealloc|append]
                                            records/s of 300-byte records, GROUP per fdatasync
  probe.py coldstart PIDFILE LOG TIMEOUT PORT -- CMD...
                                            start CMD, print seconds until GET /healthz is 200
  probe.py latency URL TOKEN COUNT          COUNT sequential GETs: prints "p50_ms min_ms max_ms"
  probe.py rss PID                          prints "VmRSS_MB VmHWM_MB"
  probe.py instant URL TOKEN POSITION       recorded_at of the event at POSITION
  probe.py median NUMBER...                 the median
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse

RECORD_BYTES = 300


PREALLOCATED_BYTES = 64 * 1024 * 1024


def fsync_rate(directory, seconds, group, mode):
    """Writes 300-byte records, `group` per write + fdatasync; prints records/s.

    `prealloc` overwrites a file that was written and synced first (as a database log segment
    is: sled's segments, PostgreSQL's WAL), so fdatasync flushes data only. `append` grows the
    file by every write, so every fdatasync also commits the file's new size (an ext4 journal
    commit), which is slower and suffers most from other writers on the same file system.
    """
    path = os.path.join(directory, "fsync-probe.%d" % os.getpid())
    record = b"x" * (RECORD_BYTES - 1) + b"\n"
    chunk = record * group
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "append" else 0)
    fd = os.open(path, flags, 0o600)
    try:
        if mode == "prealloc":
            zeros = bytes(1024 * 1024)
            for _ in range(PREALLOCATED_BYTES // len(zeros)):
                os.write(fd, zeros)
            os.fsync(fd)
        records = 0
        offset = 0
        start = time.monotonic()
        deadline = start + seconds
        while True:
            if mode == "append":
                os.write(fd, chunk)
            else:
                if offset + len(chunk) > PREALLOCATED_BYTES:
                    offset = 0
                os.pwrite(fd, chunk, offset)
                offset += len(chunk)
            os.fdatasync(fd)
            records += group
            now = time.monotonic()
            if now >= deadline:
                break
        print("%.0f" % (records / (now - start)))
    finally:
        os.close(fd)
        os.unlink(path)


def healthz_ok(port):
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        connection.request("GET", "/healthz")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def coldstart(pidfile, log, timeout, port, command):
    """Starts the server and times it until /healthz answers; the server is left running."""
    if healthz_ok(port):
        sys.exit("something already answers on port %d: stop it first" % port)
    with open(log, "ab") as out:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
        with open(pidfile, "w") as pids:
            pids.write("%d\n" % process.pid)
        deadline = start + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit("the server exited with %s before answering; see %s" % (process.returncode, log))
            if healthz_ok(port):
                print("%.3f" % (time.monotonic() - start))
                return
            time.sleep(0.002)
    sys.exit("no answer from /healthz within %s s; see %s" % (timeout, log))


def latency(url, token, count):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    path = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"Authorization": "Bearer " + token}
    times = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            sys.exit("GET %s: %d %s" % (url, response.status, body[:300]))
    print("%.3f %.3f %.3f" % (statistics.median(times), min(times), max(times)))


def rss(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    print("%.1f %.1f" % (fields["VmRSS"], fields["VmHWM"]))


def instant(url, token, position):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "GET",
        "/api/v1/events?after=%d&limit=1" % (position - 1),
        headers={"Authorization": "Bearer " + token},
    )
    response = connection.getresponse()
    page = json.loads(response.read())
    print(page["events"][0]["recorded_at"])


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    verb, args = argv[1], argv[2:]
    if verb == "fsync":
        fsync_rate(args[0], float(args[1]), int(args[2]), args[3] if len(args) > 3 else "prealloc")
    elif verb == "coldstart":
        split = args.index("--")
        pidfile, log, timeout, port = args[:split]
        coldstart(pidfile, log, float(timeout), int(port), args[split + 1 :])
    elif verb == "latency":
        latency(args[0], args[1], int(args[2]))
    elif verb == "rss":
        rss(int(args[0]))
    elif verb == "instant":
        instant(args[0], args[1], int(args[2]))
    elif verb == "median":
        print(statistics.median(float(value) for value in args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
