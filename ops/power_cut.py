#!/usr/bin/env python3
"""The cycles of ops/power_cut.sh: start, check, append with 16 writers, SIGKILL, power cut.

Python standard library only. Prints one line per cycle and a summary; exits 0 when every
acknowledged event survived every cut (or, with --control 1, when the harness saw a loss: an
acknowledged event missing or changed, a broken chain, or a service that cannot start).
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

WRITERS = 16
START_SECONDS_MAX = 120


class Loss(Exception):
    """What the harness exists to find."""


def request(base, method, path, token, body=None, timeout=10):
    host, port = base.split("//")[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    headers = {"Authorization": "Bearer " + token}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    answer = response.read()
    connection.close()
    return response.status, (json.loads(answer) if answer else None)


def start(args, control=None):
    environment = dict(os.environ, RUST_LOG="warn")
    if args.control if control is None else control:
        environment["LD_PRELOAD"] = args.preload
    log = open(args.log, "ab")
    server = subprocess.Popen(
        [args.binary, "serve", "--listen", "127.0.0.1:0", "--data", args.data],
        stdout=subprocess.PIPE, stderr=log, env=environment)
    deadline = time.monotonic() + START_SECONDS_MAX
    while time.monotonic() < deadline:
        line = server.stdout.readline().decode(errors="replace")
        if not line:
            server.wait(timeout=10)
            raise Loss("the service did not start (exit %s; see %s)" % (server.returncode, args.log))
        found = re.match(r"impact-ledger listening on (\S+)", line)
        if found:
            return server, found.group(1)
    server.kill()
    raise Loss("the service did not answer within %d s" % START_SECONDS_MAX)


def read_log(base, token):
    events, after = [], 0
    for _ in range(100000):
        status, page = request(base, "GET", "/api/v1/events?after=%d&limit=1000" % after, token)
        if status != 200:
            raise Loss("GET /events answered %d: %s" % (status, page))
        events.extend(page["events"])
        if page.get("next_after") is None:
            return events
        after = page["next_after"]
    raise Loss("the log did not end")


def check(base, token, acknowledged):
    """Every acknowledged event at its position with its hash; the chain verifies; a retry."""
    events = read_log(base, token)
    ids = set()
    previous = "0" * 64
    for position, event in enumerate(events, start=1):
        if event["position"] != position or event["prev_hash"] != previous:
            raise Loss("the chain breaks at position %d" % position)
        if event["id"] in ids:
            raise Loss("id %s appears twice" % event["id"])
        ids.add(event["id"])
        previous = event["hash"]
    status, summary = request(base, "GET", "/api/v1/verify", token, timeout=120)
    if status != 200 or not summary["ok"]:
        raise Loss("GET /verify: %d %s" % (status, summary))
    for ack in acknowledged:
        stored = events[ack["position"] - 1] if ack["position"] <= len(events) else None
        if stored is None or stored["id"] != ack["id"] or stored["hash"] != ack["hash"]:
            raise Loss("acknowledged event %s at position %d is %s" % (
                ack["id"], ack["position"], "missing" if stored is None else "different"))
    if acknowledged:
        ack = acknowledged[-1]
        status, answer = request(base, "POST", "/api/v1/events", token, ack["body"])
        receipt = (answer or {}).get("events", [{}])[0]
        if status != 200 or receipt.get("position") != ack["position"]:
            raise Loss("a retry of an acknowledged request answered %d: %s" % (status, answer))
    return len(events)


def writer(base, token, stop, acknowledged, lock, seed):
    generator = random.Random(seed)
    while not stop.is_set():
        event_id = str(uuid.uuid4())
        body = {"events": [{
            "id": event_id, "type": "PersonPlacedInEmployment", "occurred_on": "2023-06-01",
            "data": {"placement_id": str(uuid.uuid4()),
                     "person_ref": "P-%d" % generator.randrange(500),
                     "employment_type": "ordinary"}}]}
        try:
            status, answer = request(base, "POST", "/api/v1/events", token, body)
        except (OSError, http.client.HTTPException):
            return  # killed mid-request: not acknowledged
        if status != 201:
            raise RuntimeError("an append answered %d: %s" % (status, answer))
        receipt = answer["events"][0]
        with lock:
            acknowledged.append({"body": body, "id": event_id,
                                 "position": receipt["position"], "hash": receipt["hash"]})


def power_cut(fifo):
    # LazyFS reads its fifo; the write blocks until it does, so it is bounded by an alarm.
    signal.alarm(10)
    with open(fifo, "w") as faults:
        faults.write("lazyfs::clear-cache\n")
    signal.alarm(0)
    time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser()
    for name in ("binary", "data", "token", "fifo", "preload", "log", "cycle-ms"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--cycles", type=int, required=True)
    parser.add_argument("--control", type=int, default=0)
    args = parser.parse_args()
    low, high = (int(part) for part in args.cycle_ms.split("-"))
    seed = int(time.time())
    generator = random.Random(seed)
    print("power cut: %d cycles, seed %d, control %s" % (args.cycles, seed, bool(args.control)))
    acknowledged, lock = [], threading.Lock()
    started = time.monotonic()
    restarts = 0
    # A first start and clean stop with the syncs on, then a cut: the data dir's own files (the
    # checkpoint key, sled's conf) exist and are durable, so that the control loses events
    # rather than failing on a file made at the first start.
    server, _ = start(args, control=False)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    power_cut(args.fifo)
    try:
        for cycle in range(1, args.cycles + 2):
            server, base = start(args)
            restarts += 1
            stored = check(base, args.token, acknowledged)
            if cycle > args.cycles:
                server.kill()
                server.wait()
                break
            stop = threading.Event()
            threads = [threading.Thread(target=writer, args=(
                base, args.token, stop, acknowledged, lock, generator.random()))
                for _ in range(WRITERS)]
            for thread in threads:
                thread.start()
            time.sleep(generator.uniform(low, high) / 1000)
            server.send_signal(signal.SIGKILL)
            server.wait()
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            power_cut(args.fifo)
            print("cycle %d: %d events stored at the start, %d acknowledged so far, cut" % (
                cycle, stored, len(acknowledged)), flush=True)
    except Loss as loss:
        print("LOSS after %d restarts, %d acknowledged: %s" % (restarts, len(acknowledged), loss))
        if args.control:
            print("positive control: the harness detected the loss (as it must with sync off)")
            return 0
        return 1
    print("power cut: %d cycles, %d acknowledged events all present after every cut, chain "
          "verified, %d restarts, %.0f s" % (args.cycles, len(acknowledged), restarts,
                                            time.monotonic() - started))
    if args.control:
        print("positive control FAILED: sync was off and nothing was found missing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
