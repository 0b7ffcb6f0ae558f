#!/usr/bin/env bash
# The rows of issue 17: appends on a three-node NATS JetStream cluster (replicas 3), side by side
# in one run with the data-dir store (sled) and a single-node JetStream stream (replicas 1), and
# the start time at N events read from the stream.
#
# Usage: ops/bench/cluster.sh [--quick] [--events N] [--duration S]
#   --quick       short loads and a small log: a smoke run
#   --events N    events in the stream for the start row (default 1000000)
#   --duration S  seconds per load (default 10, quick 2)
# Environment: CARGO_TARGET_DIR (default target), BENCH_DIR (default
# /var/tmp/impact-ledger-bench/cluster), BENCH_PORT (default 18431), BENCH_NATS_PORT (default
# 18441: the nodes use it and the next five ports).
#
# Rows, requests/s (events/s for batches): post1_c1, post1_c8, post1_c64 (one-event appends at
# 1, 8 and 64 connections), post100_c8 (100-event batches at 8 connections), for each store:
# sled, nats_r1, nats_r3; then start_s: seconds from `serve` to /healthz answering on a stream
# of N events (and the same for sled, from an export of the same events imported).
# Needs nats-server and wrk (installed from Debian when missing). Every server listens on
# 127.0.0.1 only and every load is bounded by wrk -d or a count.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
quick=0
events=""
duration=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --events) events=$2; shift ;;
        --duration) duration=$2; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    events=${events:-20000}; duration=${duration:-2}
else
    events=${events:-1000000}; duration=${duration:-10}
fi
bench_dir=${BENCH_DIR:-/var/tmp/impact-ledger-bench/cluster}
port=${BENCH_PORT:-18431}
nats_port=${BENCH_NATS_PORT:-18441}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
bin=$target_dir/release/impact-ledger
probe="python3 $here/probe.py"
url=http://127.0.0.1:$port
say() { echo "== $*" >&2; }

missing=()
command -v wrk > /dev/null || missing+=(wrk)
command -v nats-server > /dev/null || missing+=(nats-server)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
fi
say "building the release binary ($target_dir)"
(cd "$repo" && CARGO_TARGET_DIR=$target_dir cargo build --release --quiet)

rm -rf "$bench_dir"
mkdir -p "$bench_dir"
nats_pids=()
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2> /dev/null || true; fi
    for pid in "${nats_pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
}
trap cleanup EXIT

# start_nats NODES: NODES nats-server -js on 127.0.0.1 (a cluster when more than one); sets
# store_url. max_payload 8 MiB as ops/nats-cluster/ sets it.
start_nats() {
    local nodes=$1 routes="" index
    for index in $(seq 0 $((nodes - 1))); do
        routes+="${routes:+,}nats://127.0.0.1:$((nats_port + 3 + index))"
    done
    store_url="nats://"
    for index in $(seq 0 $((nodes - 1))); do
        local conf=$bench_dir/n$index.conf
        echo "max_payload: 8388608" > "$conf"
        local args=(-js -a 127.0.0.1 -p $((nats_port + index)) -n "n$index" -sd "$bench_dir/nats-n$index" -c "$conf")
        if [ "$nodes" -gt 1 ]; then
            args+=(--cluster_name bench --cluster "nats://127.0.0.1:$((nats_port + 3 + index))" --routes "$routes")
        fi
        nats-server "${args[@]}" > "$bench_dir/nats-n$index.log" 2>&1 &
        nats_pids+=($!)
        store_url+="127.0.0.1:$((nats_port + index)),"
    done
    store_url="${store_url%,}/BENCH"
    sleep 1
}

stop_nats() {
    for pid in "${nats_pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
    for pid in "${nats_pids[@]}"; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    done
    nats_pids=()
    rm -rf "$bench_dir"/nats-n*
}

# start_server DATA STORE: serve; prints the seconds until /healthz answered. The first start
# on an empty store prints the admin token, which the loads use (admin may append).
start_server() {
    $probe coldstart "$bench_dir/server.pid" "$1/server.log" 900 "$port" -- \
        "$bin" serve --data "$1" --store "$2" --listen "127.0.0.1:$port"
    server_pid=$(cat "$bench_dir/server.pid")
}

stop_server() {
    kill -TERM "$server_pid"
    for _ in $(seq 1 600); do kill -0 "$server_pid" 2> /dev/null || break; sleep 0.1; done
    server_pid=""
}

admin_token() { awk '/^admin token:/ {print $3}' "$1/server.log" | tail -1; }

post() { # post NAME CONNECTIONS BATCH TOKEN: requests/s of appends of BATCH new events
    local out=$bench_dir/wrk-$1.txt
    wrk -t"$(( $2 < 2 ? 1 : 2 ))" -c"$2" -d"${duration}s" --timeout 10s -s "$here/post.lua" \
        -H "Authorization: Bearer $4" -H "Content-Type: application/json" \
        "$url/api/v1/events" -- "$3" "$(od -An -tx4 -N4 /dev/urandom | tr -d ' ')" > "$out" 2>&1
    if grep -q "Non-2xx" "$out"; then echo "wrk $1: errors, see $out" >&2; exit 1; fi
    awk '/Requests\/sec/ {print $2}' "$out"
}

rows=$bench_dir/rows.tsv
printf 'row\tstore\tvalue\n' > "$rows"
appends() { # appends STORE_NAME STORE_URL
    local data=$bench_dir/data-$1
    mkdir -p "$data"
    start_server "$data" "$2" > /dev/null
    local token
    token=$(admin_token "$data")
    for connections in 1 8 64; do
        printf 'post1_c%s\t%s\t%s\n' "$connections" "$1" "$(post "$1-post1-c$connections" "$connections" 1 "$token")" >> "$rows"
    done
    local batches
    batches=$(post "$1-post100-c8" 8 100 "$token")
    printf 'post100_c8_events\t%s\t%s\n' "$1" "$(awk -v rate="$batches" 'BEGIN {printf "%.0f", rate * 100}')" >> "$rows"
    stop_server
}

say "appends: sled"
appends sled dir
say "appends: one node, replicas 1"
start_nats 1
appends nats_r1 "$store_url"
stop_nats
say "appends: three nodes, replicas 3"
start_nats 3
appends nats_r3 "$store_url"

# The start row: fill the three-node stream to N events with 1000-event requests (bounded by
# a count), restart the ledger server and time it until /healthz answers.
say "filling the stream to $events events"
data=$bench_dir/data-start
mkdir -p "$data"
start_server "$data" "$store_url" > /dev/null
token=$(admin_token "$data")
for _ in $(seq 1 $(( events / 1000 / 8 + 1 ))); do
    head=$(curl -fsS "$url/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["head_position"])')
    [ "$head" -lt "$events" ] || break
    post fill 8 1000 "$token" > /dev/null
done
stop_server
printf 'start_s\tnats_r3\t%s\n' "$(start_server "$data" "$store_url")" >> "$rows"
"$bin" export --data "$bench_dir/none" --store "$store_url" > "$bench_dir/export.ndjson" 2> /dev/null || true
stop_server
stop_nats
if [ -s "$bench_dir/export.ndjson" ]; then
    "$bin" import "$bench_dir/export.ndjson" --data "$bench_dir/data-sled-start" > /dev/null
    printf 'start_s\tsled\t%s\n' "$(start_server "$bench_dir/data-sled-start" dir)" >> "$rows"
    stop_server
fi

say "built from $(cd "$repo" && git rev-parse --short HEAD); load $(cut -d' ' -f1-3 /proc/loadavg)"
column -t -s $'\t' "$rows"
