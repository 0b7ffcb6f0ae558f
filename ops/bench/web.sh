#!/usr/bin/env bash
# The web pages of issue 13 and the lists API (CONTRACT §9), p50 latency over HTTP, one
# connection: the rows run.sh does not have, for the demo data and for a large log.
#
# Usage: ops/bench/web.sh BINARY DATA_DIR [DURATION] [RUNS] [YEAR]
#   DURATION  seconds of wrk per row (default 5)
#   RUNS      repeats of every row; the last lines show medians (default 1)
#   YEAR      the year of the placements list and the annual report (default 2023)
# Prints one line per row and run (row, run, p50 ms) and then the medians; starts `serve` on
# DATA_DIR (127.0.0.1, BENCH_PORT, default 18431), waits for the background rehash, logs in
# by POST /login with a new staff token (the form's CSRF cookie repeated in the form), and
# measures each page with the session cookie. Any non-2xx answer (a redirect to /login
# included) stops the script. Make the demo data dir with `impact-ledger demo --data DIR`.
set -euo pipefail

binary=$1
data=$2
duration=${3:-5}
runs=${4:-1}
year=${5:-2023}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${BENCH_PORT:-18431}
url=http://127.0.0.1:$port
scratch=$(mktemp -d)
trap 'kill "$(cat "$scratch/pid" 2> /dev/null)" 2> /dev/null || true; rm -rf "$scratch"' EXIT

token=$("$binary" token new --role staff --name "web-sh-$RANDOM$RANDOM" --data "$data" 2> /dev/null)
seconds=$(python3 "$here/probe.py" coldstart "$scratch/pid" "$scratch/log" 900 "$port" -- \
    "$binary" serve --data "$data" --listen "127.0.0.1:$port")
echo "# started in $seconds s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for _ in $(seq 1 3000); do
    grep -q "whole chain verified" "$scratch/log" && break
    sleep 0.2
done

# Log in: the form sets il_login; POST it back as `csrf` with the token; il_session comes back.
login_csrf=$(curl -fsS -D - -o /dev/null "$url/login" | tr -d '\r' |
    sed -n 's/^[Ss]et-[Cc]ookie: il_login=\([^;]*\).*/\1/p')
session=$(curl -sS -D - -o /dev/null -X POST -H "Cookie: il_login=$login_csrf" \
    --data-urlencode "csrf=$login_csrf" --data-urlencode "next=/" --data-urlencode "token=$token" \
    "$url/login" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: il_session=\([^;]*\).*/\1/p')
[ -n "$session" ] || { echo "login failed (no il_session cookie)" >&2; exit 1; }
cookie="Cookie: il_session=$session"
auth="Authorization: Bearer $token"

# An event in the middle of the log, for /events/{id}.
events=$(curl -fsS "$url/healthz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["head_position"])')
event_id=$(curl -fsS -H "$auth" "$url/api/v1/events?after=$(( events / 2 ))&limit=1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["id"])')

# ROW HEADER PATH: the page must answer 200 first, then wrk's p50 in ms.
rows=(
    "web_dashboard|$cookie|/"
    "web_enterprises|$cookie|/enterprises"
    "web_placements_year|$cookie|/placements?year=$year"
    "web_event|$cookie|/events/$event_id"
    "web_annual_report|$cookie|/reports/annual/$year"
    "api_placements_year_limit100|$auth|/api/v1/placements?year=$year&limit=100"
    "api_placements_year_limit100_q_rare|$auth|/api/v1/placements?year=$year&limit=100&q=P-0001234"
    "api_placements_year_limit100_q_common|$auth|/api/v1/placements?year=$year&limit=100&q=kronen"
    "api_status_year|$auth|/api/v1/status/$year"
)
p50() {
    local out=$scratch/wrk.txt
    wrk -t1 -c1 -d"${duration}s" --timeout 60s --latency -H "$1" "$url$2" > "$out" 2>&1
    if grep -q -E "Non-2xx|Socket errors" "$out"; then echo "wrk $2: errors" >&2; cat "$out" >&2; exit 1; fi
    awk '$1 == "50%" {
        value = $2; unit = value; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", value)
        factor = (unit == "us") ? 0.001 : (unit == "ms") ? 1 : (unit == "s") ? 1000 : 60000
        printf "%.3f\n", value * factor }' "$out"
}
results=$scratch/results.tsv
for row in "${rows[@]}"; do
    IFS='|' read -r name header path <<< "$row"
    code=$(curl -sS -o "$scratch/body" -w '%{http_code}' -H "$header" "$url$path")
    [ "$code" = 200 ] || { echo "GET $path: $code $(head -c 300 "$scratch/body")" >&2; exit 1; }
    echo "# $name: $(stat -c %s "$scratch/body") bytes" >&2
done
for run in $(seq 1 "$runs"); do
    for row in "${rows[@]}"; do
        IFS='|' read -r name header path <<< "$row"
        printf '%s\t%s\t%s\n' "$name" "$run" "$(p50 "$header" "$path")" | tee -a "$results"
    done
done
echo "# medians over $runs run(s) of ${duration}s, $events events, load $(cut -d' ' -f1-3 /proc/loadavg)"
for row in "${rows[@]}"; do
    name=${row%%|*}
    # shellcheck disable=SC2046
    echo "$name median_ms $(python3 "$here/probe.py" median $(awk -F'\t' -v row="$name" '$1 == row {print $3}' "$results"))"
done
