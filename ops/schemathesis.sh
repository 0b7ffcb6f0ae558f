#!/usr/bin/env bash
# Schemathesis against the real binary: every operation of GET /api/v1/openapi.json is called
# with generated requests, valid and invalid, and every answer is checked against the document
# (status code, content type, headers and body schema), and for a 5xx, which is always a bug
# (CONTRACT §5). The run and what it found are recorded in docs/RELIABILITY.md.
#
# What it does:
#   1. builds the release binary (in $CARGO_TARGET_DIR, default ./target);
#   2. makes a temp data dir, creates an admin token in it, and starts `serve --demo` on
#      127.0.0.1 with port 0 (the port the server chose is read from its ready line), so the
#      figures, streams and events have something in them;
#   3. runs `schemathesis run` with the token, every check, all phases, a bounded number of
#      examples per operation and a bounded time, with ops/schemathesis.toml: GET
#      /api/v1/subscribe is read for 5 events and closed (an event stream never ends), and the
#      refusals a schema cannot state are listed there;
#   4. stops the server (SIGTERM, which flushes), fails if it logged an ERROR (every 5xx is),
#      and checks the chain still verifies offline;
#      the data dir and server log are kept on failure, removed on success.
# Exit status: schemathesis's (0: nothing found), or 1 if the server or the chain failed.
#
# Needs: cargo, python3 with schemathesis (`pip install schemathesis`; recorded with 4.32.5).
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: ops/schemathesis.sh [--quick] [--max-examples N] [--max-time SECONDS] [--seed N]
                           [-- EXTRA SCHEMATHESIS OPTIONS]

  --quick             20 examples per operation, at most 120 s: a smoke run
  --max-examples N    examples per operation in the fuzzing phase (default 100)
  --max-time SECONDS  time budget for the whole schemathesis run (default 900)
  --seed N            schemathesis's random seed, to replay a run
Environment: CARGO_TARGET_DIR (where to build), SCHEMATHESIS (the command, default schemathesis).
EOF
}

examples_max=100
time_max_seconds=900
seed=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) examples_max=20; time_max_seconds=120 ;;
    --max-examples) examples_max="$2"; shift ;;
    --max-time) time_max_seconds="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
schemathesis="${SCHEMATHESIS:-schemathesis}"
command -v "$schemathesis" >/dev/null || {
  echo "schemathesis is not installed: pip install schemathesis" >&2
  exit 1
}

echo "== building the release binary"
cargo build --release --locked --bin impact-ledger
binary="${CARGO_TARGET_DIR:-$root/target}/release/impact-ledger"

work="$(mktemp -d -t impact-schemathesis.XXXXXX)"
data="$work/data"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" || true
  fi
  server_pid=""
}
trap stop_server EXIT

# The token before the first start, so the server prints none and we know ours.
token="$("$binary" token new --role admin --name fuzz --data "$data")"

echo "== starting impact-ledger serve --demo (data and log in $work)"
RUST_LOG=warn "$binary" serve --demo --data "$data" --listen 127.0.0.1:0 \
  >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
base=""
for _ in $(seq 1 300); do
  base="$(sed -n 's/^impact-ledger listening on //p' "$work/server.out")"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$base" ] || { echo "the server did not start within 30 s" >&2; exit 1; }
echo "server at $base"

seed_option=()
[ -n "$seed" ] && seed_option=(--seed "$seed")

echo "== $("$schemathesis" --version): $examples_max examples per operation, at most ${time_max_seconds} s"
status=0
# From the temp dir: schemathesis keeps its replay data in ./.schemathesis.
(cd "$work" && "$schemathesis" --config-file "$root/ops/schemathesis.toml" run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "$examples_max" \
  --max-time "$time_max_seconds" \
  --request-timeout 30 \
  --workers 1 \
  --generation-database none \
  --report junit --report-dir "$work/report" \
  --no-color \
  "${seed_option[@]}" "${extra[@]}") || status=$?

echo "== stopping the server"
stop_server
# Every 5xx is logged at ERROR with its cause (http/observe.rs, http/error.rs): any ERROR line
# is a bug to look at, even one Schemathesis did not see as a failure.
if grep -q ' ERROR ' "$work/server.log"; then
  echo "the server logged errors:" >&2
  grep ' ERROR ' "$work/server.log" | head -20 >&2
  status=1
fi
"$binary" verify --data "$data" || status=1

if [ "$status" -eq 0 ]; then
  rm -rf "$work"
  echo "schemathesis: no failures; the chain verifies"
else
  echo "schemathesis run failed (status $status); data, server log and report kept in $work" >&2
fi
exit "$status"
