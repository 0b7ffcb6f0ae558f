#!/usr/bin/env bash
# Starts of one data dir, measured one by one: for comparing two builds within minutes on a
# shared machine (run them interleaved), where run.sh's full table takes ten.
#
# Usage: ops/bench/start.sh BINARY DATA_DIR [STARTS] [APPENDS]
#   STARTS   how many starts (default 3)
#   APPENDS  single-event appends after the background rehash of the last start (default 0)
# Prints per start: seconds until /healthz answers, CPU seconds of the process by then
# (utime + stime) and its VmRSS; with APPENDS, each append's time and the VmRSS after them.
# Drops the page cache before each start when run as root. BENCH_PORT (default 18431).
# APPENDS writes real events into DATA_DIR (use a copy of a benchmark log).
set -euo pipefail

binary=$1
data=$2
starts=${3:-3}
appends=${4:-0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${BENCH_PORT:-18431}
scratch=$(mktemp -d)
trap 'kill "$(cat "$scratch/pid" 2> /dev/null)" 2> /dev/null || true; rm -rf "$scratch"' EXIT

rss_mb() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$1/status"; }

for run in $(seq 1 "$starts"); do
    sync
    (echo 3 > /proc/sys/vm/drop_caches) 2> /dev/null || true
    seconds=$(python3 "$here/probe.py" coldstart "$scratch/pid" "$scratch/log" 900 "$port" -- \
        "$binary" serve --data "$data" --listen "127.0.0.1:$port")
    pid=$(cat "$scratch/pid")
    cpu=$(awk '{printf "%.2f", ($14 + $15) / 100}' "/proc/$pid/stat")
    echo "start $run: ${seconds} s, ${cpu} s of CPU, $(rss_mb "$pid") MB resident"
    if [ "$run" = "$starts" ] && [ "$appends" -gt 0 ]; then
        token=$("$binary" token new --role staff --name "start-sh-$RANDOM$RANDOM" --data "$data" 2> /dev/null)
        until grep -q "whole chain verified" "$scratch/log"; do sleep 0.2; done
        echo "after the background rehash: $(rss_mb "$pid") MB resident"
        for _ in $(seq 1 "$appends"); do
            trend_id=$(python3 -c 'import uuid; print(uuid.uuid4())')
            body="{\"events\":[{\"type\":\"TrendNoted\",\"occurred_on\":\"2024-01-01\",\"data\":{\"trend_id\":\"$trend_id\",\"kind\":\"trend\",\"title\":\"start.sh\"}}]}"
            curl -fsS -o /dev/null -w "append: %{http_code} in %{time_total} s\n" -X POST \
                -H "Authorization: Bearer $token" -H "Content-Type: application/json" \
                "http://127.0.0.1:$port/api/v1/events" -d "$body"
        done
        sleep 0.5
        echo "after $appends appends: $(rss_mb "$pid") MB resident"
    fi
    kill "$pid"
    while kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
done
