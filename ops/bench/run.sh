#!/usr/bin/env bash
# The performance table of issue 6, every row measured side by side with its reference in one run.
#
# Usage: ops/bench/run.sh [--quick] [--runs N] [--events N] [--duration S] [--no-pg]
#   --quick       tiny sizes and short loads: a smoke run (well under a minute once built)
#   --runs N      repeats of every measurement; the table shows medians (default 3, quick 1)
#   --events N    size of the large log for the start/read/memory rows (default 1000000)
#   --duration S  seconds per load (default 10, quick 2)
#   --no-pg       skip the PostgreSQL and Message DB comparisons
#   --only PARTS  run only these parts, comma-separated: appends, large, pg, mdb (others print -)
# Environment: CARGO_TARGET_DIR (default target), BENCH_DIR (default /var/tmp/impact-ledger-bench:
# data dirs, the export and logs; the fdatasync probe writes there too, so it is the same disk),
# BENCH_PORT (default 18431), BENCH_PG_PORT (default 18432), BENCH_BINARY (measure this binary
# instead of building one: for two builds side by side), MESSAGE_DB_TGZ (the npm package of
# Message DB, default: `npm pack @eventide/message-db` into $BENCH_DIR).
#
# Installs what it needs from Debian's packages (wrk, PostgreSQL 15) when missing, builds the
# release binary, and prints the table; the raw numbers of every run go to $BENCH_DIR/raw.tsv.
# PostgreSQL runs in the bench's own cluster ($BENCH_DIR/pg, default durable settings), plain
# single-row INSERTs and Message DB's write_message (installed by its own database/install.sh)
# at the same loads as the ledger's appends: 1, 8, 64 connections, and batches of 100 at 8.
# Every load targets 127.0.0.1 only and is bounded in time (wrk -d, pgbench -T) or count.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

quick=0
runs=""
events=""
duration=""
with_pg=1
only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --runs) runs=$2; shift ;;
        --events) events=$2; shift ;;
        --duration) duration=$2; shift ;;
        --no-pg) with_pg=0 ;;
        --only) only=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    runs=${runs:-1}; events=${events:-2000}; duration=${duration:-2}; latency_count=3
else
    runs=${runs:-3}; events=${events:-1000000}; duration=${duration:-10}; latency_count=5
fi

bench_dir=${BENCH_DIR:-/var/tmp/impact-ledger-bench}
port=${BENCH_PORT:-18431}
pg_port=${BENCH_PG_PORT:-18432}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
bin=$target_dir/release/impact-ledger
probe="python3 $here/probe.py"
url=http://127.0.0.1:$port
pg_bin=/usr/lib/postgresql/15/bin
mkdir -p "$bench_dir"
raw=$bench_dir/raw.tsv
: > "$raw"

say() { echo "== $*" >&2; }

# --- what the run needs --------------------------------------------------------------------
install_packages() {
    local missing=()
    command -v wrk > /dev/null || missing+=(wrk)
    if [ "$with_pg" = 1 ] && [ ! -x "$pg_bin/postgres" ]; then missing+=(postgresql-15); fi
    command -v curl > /dev/null || missing+=(curl)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
    fi
}
install_packages
if [ -n "${BENCH_BINARY:-}" ]; then
    bin=$BENCH_BINARY
    built_from="$bin (given)"
else
    say "building the release binary ($target_dir)"
    (cd "$repo" && CARGO_TARGET_DIR=$target_dir cargo build --release --quiet)
    # What was built: the commit, and whether the work tree had changes to tracked files then.
    built_from="$(cd "$repo" && git rev-parse --short HEAD)$(cd "$repo" && git diff --quiet HEAD -- . 2> /dev/null || echo ' + uncommitted changes')"
fi
built_at=$(date -u +%H:%MZ)

# --- helpers -------------------------------------------------------------------------------
server_pid=""
pg_data=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2> /dev/null || true; fi
    if [ -n "$pg_data" ]; then as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop > /dev/null 2>&1 || true; fi
}
trap cleanup EXIT

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# start_server DATA: starts `serve`; sets server_pid and start_seconds (until /healthz answered).
start_seconds=""
start_server() {
    start_seconds=$($probe coldstart "$bench_dir/server.pid" "$bench_dir/server.log" 900 "$port" -- \
        "$bin" serve --data "$1" --listen "127.0.0.1:$port")
    server_pid=$(cat "$bench_dir/server.pid")
}

stop_server() {
    kill -TERM "$server_pid"
    for _ in $(seq 1 600); do
        kill -0 "$server_pid" 2> /dev/null || break
        sleep 0.1
    done
    server_pid=""
}

new_token() {
    "$bin" token new --role staff --name "bench-$RANDOM$RANDOM" --data "$1" 2> /dev/null
}

head_position() {
    curl -fsS "$url/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["head_position"])'
}

# wrk_rate NAME CONNECTIONS ARGS...: runs wrk, prints requests/s; refuses errors.
wrk_rate() {
    local name=$1 connections=$2 threads=2 out
    shift 2
    if [ "$connections" -lt 2 ]; then threads=1; fi
    out=$bench_dir/wrk-$name.txt
    wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s "$@" > "$out" 2>&1
    if grep -q -E "Non-2xx|Socket errors" "$out"; then
        echo "wrk $name: errors (see $out):" >&2
        grep -E "Non-2xx|Socket errors" "$out" >&2
        if grep -q "Non-2xx" "$out"; then exit 1; fi
    fi
    awk '/Requests\/sec/ {print $2}' "$out"
}

# wrk_p50 NAME ARGS...: one connection, prints the median latency in ms.
wrk_p50() {
    local name=$1 out
    shift
    out=$bench_dir/wrk-$name.txt
    wrk -t1 -c1 -d"${duration}s" --timeout 60s --latency "$@" > "$out" 2>&1
    if grep -q "Non-2xx" "$out"; then echo "wrk $name: errors, see $out" >&2; exit 1; fi
    awk '$1 == "50%" {
        value = $2; unit = value; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", value)
        factor = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : 60000
        printf "%.3f\n", value * factor }' "$out"
}

post() { # post NAME CONNECTIONS BATCH TOKEN: requests/s of appends of BATCH new events
    wrk_rate "$1" "$2" -s "$here/post.lua" -H "Authorization: Bearer $4" \
        -H "Content-Type: application/json" "$url/api/v1/events" -- "$3" "$(od -An -tx4 -N4 /dev/urandom | tr -d ' ')"
}

elapsed() { # elapsed START: seconds since START (from date +%s.%N)
    awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN {printf "%.1f\n", now - start}'
}

metric_sums() { # the writer's counters: events written, group commits, seconds in flush+fdatasync
    curl -fsS "$url/metrics" | awk '
        /^impact_ledger_writer_batch_events_sum/ {events = $2}
        /^impact_ledger_writer_batch_events_count/ {groups = $2}
        /^impact_ledger_flush_seconds_sum/ {flush = $2}
        END {print events + 0, groups + 0, flush + 0}'
}

# post_measured ROW RUN CONNECTIONS BATCH TOKEN: records the append rate (events/s for batches),
# and from the writer's metrics the events per group commit and the mean flush+fdatasync time.
post_measured() {
    local row=$1 run=$2 connections=$3 batch=$4 token=$5 before after rate
    before=$(metric_sums)
    rate=$(post "$row" "$connections" "$batch" "$token")
    after=$(metric_sums)
    record "$row" "$run" "$(awk -v rate="$rate" -v batch="$batch" 'BEGIN {printf "%.0f", rate * batch}')"
    read -r events_per_sync flush_ms <<< "$(echo "$before $after" | awk '{
        groups = $5 - $2
        if (groups > 0) printf "%.1f %.2f\n", ($4 - $1) / groups, ($6 - $3) / groups * 1000
        else print "- -" }')"
    record "${row}_events_per_sync" "$run" "$events_per_sync"
    record "${row}_flush_ms" "$run" "$flush_ms"
}

record() { # record ROW RUN VALUE
    printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$raw"
}

median() { # median ROW: the median of every run of ROW
    local values
    values=$(awk -F'\t' -v row="$1" '$1 == row {print $3}' "$raw")
    [ -n "$values" ] || { echo "-"; return; }
    # shellcheck disable=SC2086
    $probe median $values
}

# --- the machine ---------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load $load_before"

wanted() { [ -z "$only" ] || case ",$only," in *",$1,"*) true ;; *) false ;; esac; }
with_mdb=$with_pg
wanted pg || with_pg=0
wanted mdb || with_mdb=0

# --- appends: a fresh data dir per run -----------------------------------------------------
for run in $(seq 1 "$runs"); do
    wanted appends || break
    say "appends, run $run of $runs"
    data=$bench_dir/write
    rm -rf "$data"
    mkdir -p "$data"
    token=$(new_token "$data")
    start_server "$data"
    record healthz_c64 "$run" "$(wrk_rate healthz-c64 64 "$url/healthz")"
    before=$(head_position)
    post_measured post1_c64 "$run" 64 1 "$token"
    requests=$(awk '/requests in/ {print $1}' "$bench_dir/wrk-post1_c64.txt")
    stored=$(( $(head_position) - before ))
    say "64 connections: $requests appends answered, $stored events stored"
    [ "$stored" -ge "$requests" ] || { echo "fewer events stored than acknowledged" >&2; exit 1; }
    record fsync_300b "$run" "$($probe fsync "$bench_dir" "$duration" 1)"
    post_measured post1_c1 "$run" 1 1 "$token"
    post_measured post1_c8 "$run" 8 1 "$token"
    record fsync_300b_x100 "$run" "$($probe fsync "$bench_dir" "$duration" 100)"
    before=$(head_position)
    post_measured post100_c8_events "$run" 8 100 "$token"
    say "batches of 100: $(( $(head_position) - before )) events stored"
    stop_server
done

# --- the large log: export, import, start, reads, memory, disk ------------------------------
export_file=$bench_dir/export-$events.ndjson
if wanted large && [ ! -s "$export_file" ]; then
    say "generating a valid export of $events events"
    start=$(date +%s.%N)
    python3 "$here/gen_export.py" --events "$events" --out "$export_file.part"
    mv "$export_file.part" "$export_file"
    record generate_s 1 "$(elapsed "$start")"
fi
large=$bench_dir/large-$events
if wanted large && [ ! -e "$large/.imported" ]; then
    rm -rf "$large"
    say "importing it into $large"
    start=$(date +%s.%N)
    "$bin" import "$export_file" --data "$large" > "$bench_dir/import.log" 2>&1
    record import_s 1 "$(elapsed "$start")"
    touch "$large/.imported"
fi
wanted large && token=$(new_token "$large")
for run in $(seq 1 "$runs"); do
    wanted large || break
    say "large log, run $run of $runs"
    cache=warm
    sync
    if (echo 3 > /proc/sys/vm/drop_caches) 2> /dev/null; then cache=dropped; fi
    touch "$bench_dir/server.log"
    log_lines=$(wc -l < "$bench_dir/server.log")
    start_server "$large"
    started_at=$(date +%s.%N)
    record "cold_start_s_cache_$cache" "$run" "$start_seconds"
    record rss_after_start_mb "$run" "$($probe rss "$server_pid" | cut -d' ' -f1)"
    # Since 0c72134 a start checks how records link and recomputes every hash afterwards, in
    # the background: the reads below are measured once that is done (the steady state).
    for _ in $(seq 1 3000); do
        tail -n +"$((log_lines + 1))" "$bench_dir/server.log" | grep -q "whole chain verified" && break
        sleep 0.2
    done
    record verified_after_start_s "$run" "$(awk -v start="$start_seconds" -v since="$(elapsed "$started_at")" 'BEGIN {printf "%.1f", start + since}')"
    record healthz_p50_ms "$run" "$(wrk_p50 healthz-p50 "$url/healthz")"
    record status_p50_ms "$run" "$(wrk_p50 status-p50 -H "Authorization: Bearer $token" "$url/api/v1/status/2023")"
    # The last event but one: the whole log is folded (at the head the current figures answer).
    last=$($probe instant "$url" "$token" $(( events - 1 )))
    middle=$($probe instant "$url" "$token" $(( (events + 1) / 2 )))
    record as_of_end_p50_ms "$run" "$($probe latency "$url/api/v1/status/2023?as_of=$last" "$token" "$latency_count" | cut -d' ' -f1)"
    record as_of_middle_p50_ms "$run" "$($probe latency "$url/api/v1/status/2023?as_of=$middle" "$token" "$latency_count" | cut -d' ' -f1)"
    # Transparency (issue 16): proofs for a past tree size, so they read kept and recomputed
    # parts of the Merkle tree (the tree was built before "whole chain verified").
    proof_size=$(( events - 7 ))
    record inclusion_p50_ms "$run" "$($probe latency "$url/api/v1/proofs/inclusion?position=$(( events / 3 ))&tree_size=$proof_size" "$token" "$latency_count" | cut -d' ' -f1)"
    record consistency_p50_ms "$run" "$($probe latency "$url/api/v1/proofs/consistency?from=$(( events / 2 + 3 ))&to=$proof_size" "$token" "$latency_count" | cut -d' ' -f1)"
    read -r rss_now rss_peak <<< "$($probe rss "$server_pid")"
    record rss_after_reads_mb "$run" "$rss_now"
    record rss_peak_mb "$run" "$rss_peak"
    stop_server
done
if wanted large; then
    record disk_mb 1 "$(du -sb "$large/sled" | awk '{printf "%.1f", $1 / 1e6}')"
    record export_mb 1 "$(stat -c %s "$export_file" | awk '{printf "%.1f", $1 / 1e6}')"
fi

# --- PostgreSQL 15 and Message DB: the appends' loads, in the bench's own cluster ------------
# pgbench_rate ROW CLIENTS SCRIPT [USER DATABASE [PER]]: transactions/s of SCRIPT times PER (the
# events in one transaction, default 1), recorded as ROW per run.
pgbench_rate() {
    local row=$1 clients=$2 script=$3 user=${4:-postgres} database=${5:-postgres} per=${6:-1} out
    for run in $(seq 1 "$runs"); do
        out=$bench_dir/pgbench-$row-$run.txt
        if ! as_postgres pgbench -n -M prepared -c "$clients" -j 2 -T "$duration" -f "$script" \
            -h 127.0.0.1 -p "$pg_port" -U "$user" "$database" > "$out" 2>&1; then
            echo "pgbench $row failed:" >&2
            tail -5 "$out" >&2
            exit 1
        fi
        record "$row" "$run" "$(awk -v per="$per" '/^tps = / {printf "%.0f\n", $3 * per; exit}' "$out")"
    done
}

# batch_script FILE STATEMENT_FILE: a transaction of 100 of the statement.
batch_script() {
    { echo "BEGIN;"; for _ in $(seq 1 100); do grep -v '^\\set' "$2"; done; echo "COMMIT;"; } > "$1.body"
    { grep '^\\set' "$2"; cat "$1.body"; } > "$1"
    rm "$1.body"
}

if [ "$with_pg" = 1 ] || [ "$with_mdb" = 1 ]; then
    say "PostgreSQL 15"
    pg_data=$bench_dir/pg
    rm -rf "$pg_data"
    mkdir -p "$pg_data"
    if [ "$(id -u)" = 0 ]; then chown postgres "$pg_data"; fi
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres > "$bench_dir/pg-init.log" 2>&1
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg_data/log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_data -c max_connections=100" start > /dev/null
    psql_pg() { as_postgres psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
fi
if [ "$with_pg" = 1 ]; then
    psql_pg -c "CREATE TABLE events (id uuid PRIMARY KEY, recorded_at timestamptz NOT NULL DEFAULT now(), body jsonb NOT NULL)"
    script=$pg_data/insert.sql
    # One placement event with its envelope, about 300 bytes of JSON (no `:word` in the text:
    # pgbench would take it for a variable).
    cat > "$script" << 'SQL'
\set person random(1, 999999)
INSERT INTO events (id, body) VALUES (gen_random_uuid(), jsonb_build_object('type', 'PersonPlacedInEmployment', 'occurred_on', '2025-06-02', 'actor', 'bench', 'case_ref', NULL, 'note', NULL, 'correlation_id', NULL, 'data', jsonb_build_object('placement_id', gen_random_uuid(), 'person_ref', 'P-' || lpad(CAST(:person AS text), 7, '0'), 'employment_type', 'ordinary', 'enterprise_id', NULL)));
SQL
    batch_script "$pg_data/insert100.sql" "$script"
    if [ "$(id -u)" = 0 ]; then chown postgres "$script" "$pg_data/insert100.sql"; fi
    pgbench_rate pg_insert_c1 1 "$script"
    pgbench_rate pg_insert_c8 8 "$script"
    pgbench_rate pg_insert_c64 64 "$script"
    pgbench_rate pg_insert100_c8 8 "$pg_data/insert100.sql" postgres postgres 100
fi

# Message DB (github.com/message-db/message-db), from the npm registry, installed into this
# cluster by its own database/install.sh; every message in one category, as an event store's
# writers would append placements.
if [ "$with_mdb" = 1 ]; then
    say "Message DB"
    tgz=${MESSAGE_DB_TGZ:-}
    if [ -z "$tgz" ]; then
        tgz=$(cd "$bench_dir" && ls eventide-message-db-*.tgz 2> /dev/null | tail -1)
        [ -n "$tgz" ] || tgz=$(cd "$bench_dir" && npm pack --silent @eventide/message-db)
        tgz=$bench_dir/$tgz
    fi
    mdb=$bench_dir/message-db
    rm -rf "$mdb"
    mkdir -p "$mdb"
    tar -xzf "$tgz" -C "$mdb"
    chmod -R a+rX "$mdb"
    as_postgres env PGHOST=127.0.0.1 PGPORT="$pg_port" PGUSER=postgres \
        bash "$mdb/package/database/install.sh" > "$bench_dir/message-db-install.log" 2>&1 || {
        echo "Message DB's install.sh failed:" >&2; tail -5 "$bench_dir/message-db-install.log" >&2; exit 1; }
    psql_pg -d message_store -c "ALTER ROLE message_store SET search_path = message_store, public"
    script=$pg_data/write_message.sql
    cat > "$script" << 'SQL'
\set person random(1, 999999)
SELECT message_store.write_message(gen_random_uuid()::varchar, 'placement-' || gen_random_uuid(), 'PersonPlacedInEmployment', jsonb_build_object('occurred_on', '2025-06-02', 'actor', 'bench', 'case_ref', NULL, 'note', NULL, 'correlation_id', NULL, 'placement_id', gen_random_uuid(), 'person_ref', 'P-' || lpad(CAST(:person AS text), 7, '0'), 'employment_type', 'ordinary', 'enterprise_id', NULL), NULL, NULL);
SQL
    batch_script "$pg_data/write_message100.sql" "$script"
    if [ "$(id -u)" = 0 ]; then chown postgres "$script" "$pg_data/write_message100.sql"; fi
    pgbench_rate mdb_write_c1 1 "$script" message_store message_store
    pgbench_rate mdb_write_c8 8 "$script" message_store message_store
    pgbench_rate mdb_write_c64 64 "$script" message_store message_store
    pgbench_rate mdb_write100_c8 8 "$pg_data/write_message100.sql" message_store message_store 100
fi
if [ -n "$pg_data" ]; then
    as_postgres "$pg_bin/pg_ctl" -D "$pg_data" -m fast stop > /dev/null
    pg_data=""
fi

# --- the table -----------------------------------------------------------------------------
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cold_row=$(awk -F'\t' '$1 ~ /^cold_start_s/ {print $1; exit}' "$raw")
cold_row=${cold_row:-cold_start_s}
# run_ratio ROW REF_ROW: the median over runs of ROW / REF_ROW of the same run; the disk and the
# machine drift between runs (other work on a shared machine), so each run is its own pair.
run_ratio() {
    local ratios
    ratios=$(awk -F'\t' -v row="$1" -v ref="$2" '
        $1 == row {value[$2] = $3} $1 == ref {base[$2] = $3}
        END {for (run in value) if (base[run] + 0 > 0) print value[run] / base[run]}' "$raw")
    [ -n "$ratios" ] || { echo "-"; return; }
    # shellcheck disable=SC2086
    $probe median $ratios
}

# table_row WHAT MEASURED REF_NAME REF_VALUE KIND TARGET [RATIO]: one row of the table; without
# RATIO the ratio is MEASURED / REF_VALUE.
table_row() {
    awk -v what="$1" -v measured="$2" -v ref_name="$3" -v ref="$4" -v kind="$5" -v target="$6" -v given="${7:-}" '
    function number(text) {
        if (text == "-") return text
        return (text + 0 >= 100) ? sprintf("%.0f", text) : sprintf("%.3g", text)
    }
    BEGIN {
        ratio = "-"
        if (kind !~ /only/ && ref != "-" && ref + 0 > 0 && measured != "-") ratio = sprintf("%.2f", measured / ref)
        if (given != "" && given != "-") ratio = sprintf("%.2f", given)
        value = (kind ~ /ratio/) ? ratio : measured
        if (value == "-") met = "?"
        else if (kind ~ /min/) met = (value + 0 >= target + 0) ? "yes" : "NO"
        else met = (value + 0 <= target + 0) ? "yes" : "NO"
        op = (kind ~ /min/) ? ">=" : "<="
        printf "| %-42s | %11s | %-28s | %11s | %5s | %-12s | %-3s |\n", what, number(measured), ref_name, number(ref), ratio, \
            ((kind ~ /ratio/) ? "ratio " : "") op " " target, met
    }'
}
echo
echo "impact-ledger performance, $(date -u +%Y-%m-%dT%H:%MZ), built at $built_at from $built_from"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), disk $(df -h "$bench_dir" | awk 'NR==2 {print $1", "$2}')"
echo "load average before $load_before, after $load_after; $runs run(s) of ${duration}s, medians; large log $events events"
echo "ratios: the median of each run's ratio where both sides ran in the same run, else of the medians"
echo
printf "| %-42s | %11s | %-28s | %11s | %5s | %-12s | %-3s |\n" row measured reference "ref. value" ratio target met
echo "|--------------------------------------------|-------------|------------------------------|-------------|-------|--------------|-----|"
table_row "appends 1 event, 64 conn (req/s)" "$(median post1_c64)" "GET /healthz, 64 conn" "$(median healthz_c64)" ratio_min 0.5 "$(run_ratio post1_c64 healthz_c64)"
table_row "appends 1 event, 1 conn (req/s)" "$(median post1_c1)" "fdatasync 300 B (rec/s)" "$(median fsync_300b)" ratio_min 0.5 "$(run_ratio post1_c1 fsync_300b)"
table_row "appends 100-event batches, 8 conn (ev/s)" "$(median post100_c8_events)" "fdatasync 100x300 B (rec/s)" "$(median fsync_300b_x100)" min 150000
table_row "cold start to /healthz, $events ev (s)" "$(median "$cold_row")" "-" "-" max 1.5
table_row "GET status/2023 p50 (ms)" "$(median status_p50_ms)" "GET /healthz p50, 1 conn" "$(median healthz_p50_ms)" max 2
table_row "GET status/2023?as_of=<last-1> p50 (ms)" "$(median as_of_end_p50_ms)" "as_of=<middle> p50 (ms)" "$(median as_of_middle_p50_ms)" max 300
table_row "GET proofs/inclusion p50 (ms)" "$(median inclusion_p50_ms)" "proofs/consistency p50 (ms)" "$(median consistency_p50_ms)" max 5
table_row "resident memory after start (MB)" "$(median rss_after_start_mb)" "-" "-" max 300
table_row "resident memory after the reads (MB)" "$(median rss_after_reads_mb)" "peak (VmHWM)" "$(median rss_peak_mb)" max_only 300
table_row "disk of the log (MB)" "$(median disk_mb)" "NDJSON export (MB)" "$(median export_mb)" ratio_max 2.5
table_row "appends 1 event, 8 conn (req/s)" "$(median post1_c8)" "PostgreSQL 15 INSERT, 8 cl" "$(median pg_insert_c8)" ratio_min 2 "$(run_ratio post1_c8 pg_insert_c8)"
echo
echo "appends against PostgreSQL 15 and Message DB 1.3 in the bench's cluster (issue 19); each ratio is"
echo "the ledger's rate over the other's, the median of each run's own ratio"
echo
printf "| %-34s | %10s | %10s | %6s | %10s | %6s |\n" load impact-ledger PostgreSQL ratio "Message DB" ratio
echo "|------------------------------------|------------|------------|--------|------------|--------|"
shown() { # shown FORMAT: a number from stdin in FORMAT, or "-"
    awk -v format="$1" '$1 != "-" {printf format, $1; next} {print}'
}
compare_row() { # compare_row WHAT LEDGER_ROW PG_ROW MDB_ROW
    printf "| %-34s | %10s | %10s | %6s | %10s | %6s |\n" "$1" "$(median "$2" | shown %.0f)" \
        "$(median "$3" | shown %.0f)" "$(run_ratio "$2" "$3" | shown %.2f)" \
        "$(median "$4" | shown %.0f)" "$(run_ratio "$2" "$4" | shown %.2f)"
}
compare_row "1 event, 1 connection (per s)" post1_c1 pg_insert_c1 mdb_write_c1
compare_row "1 event, 8 connections (per s)" post1_c8 pg_insert_c8 mdb_write_c8
compare_row "1 event, 64 connections (per s)" post1_c64 pg_insert_c64 mdb_write_c64
compare_row "batches of 100, 8 conn (events/s)" post100_c8_events pg_insert100_c8 mdb_write100_c8
echo
echo "cold start page cache: ${cold_row#cold_start_s_cache_}; raw numbers per run: $raw"
echo "every hash recomputed (background, after the start): $(median verified_after_start_s) s after launch; the reads were measured after it"
echo "group commit (events per sync; mean flush+fdatasync ms):" \
    "64 conn $(median post1_c64_events_per_sync); $(median post1_c64_flush_ms)," \
    "1 conn $(median post1_c1_events_per_sync); $(median post1_c1_flush_ms)," \
    "8 conn $(median post1_c8_events_per_sync); $(median post1_c8_flush_ms)," \
    "batches $(median post100_c8_events_events_per_sync); $(median post100_c8_events_flush_ms)"
for extra in generate_s import_s; do
    if grep -q "^$extra" "$raw"; then echo "$extra: $(median $extra)"; fi
done
