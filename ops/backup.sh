#!/usr/bin/env bash
# impact-ledger-backup: take a verified, dated export of the whole ledger from the running
# service. Installed as /usr/local/sbin/impact-ledger-backup and run daily by
# impact-ledger-backup.timer; safe to run by hand at any time (ops/README.md, "Daily backup").
#
# What it does, and why each step:
#   1. GET /api/v1/export with an auditor token. The service holds sled's exclusive lock on the
#      data dir, so the offline `impact-ledger export --data` cannot run beside it; the API
#      streams the very same bytes.
#   2. Checks the download is whole: as many lines as the `x-ledger-head-position` header said.
#   3. `impact-ledger verify --export FILE`: recomputes every hash of the chain and checks each
#      line is the event's canonical JSON; its head must be the header's head.
#   4. `python3 verify_export.py FILE`: the same check written without this project's code,
#      as an auditor would do it, so a bug in one is caught by the other.
#   5. The previous backup must begin this one, line for line (a line may differ only by an
#      erasure, with the same hash, CONTRACT §12): the log only grows, so
#      anything else means stored history changed, and that must be looked at, not overwritten.
#   6. Only then the file gets its dated name (impact-ledger-YYYY-MM-DDTHHMMSSZ.ndjson), with a
#      .sha256 and the verify summary beside it, all fsynced; `latest.ndjson` points at it.
#   7. Backups older than the retention are deleted, never the newest one.
# Any failure exits non-zero before step 6, leaves no dated file, and the unit shows failed.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: impact-ledger-backup [OPTIONS]

Options (each also an environment variable; the option wins):
  --url URL              the service's base URL              IMPACT_LEDGER_URL
                         (default http://127.0.0.1:8080)
  --token-file FILE      a file holding an auditor token     IMPACT_LEDGER_TOKEN_FILE
                         (default $CREDENTIALS_DIRECTORY/token, as systemd's LoadCredential)
  --dir DIR              where the backups are kept          IMPACT_LEDGER_BACKUP_DIR
                         (default /var/lib/impact-ledger-backup)
  --retention-days N     delete backups older than N days    IMPACT_LEDGER_RETENTION_DAYS
                         (default 90; the newest is always kept)
  --bin PATH             the impact-ledger binary            IMPACT_LEDGER_BIN
                         (default /usr/local/bin/impact-ledger)
  --verify-py PATH       the independent verifier            IMPACT_LEDGER_VERIFY_PY
                         (default /usr/local/share/impact-ledger/verify_export.py;
                         an empty value skips it, which the log then says)
  -h, --help             this text
EOF
}

url="${IMPACT_LEDGER_URL:-http://127.0.0.1:8080}"
token_file="${IMPACT_LEDGER_TOKEN_FILE:-}"
if [ -z "$token_file" ] && [ -n "${CREDENTIALS_DIRECTORY:-}" ]; then
  token_file="$CREDENTIALS_DIRECTORY/token"
fi
backup_dir="${IMPACT_LEDGER_BACKUP_DIR:-/var/lib/impact-ledger-backup}"
retention_days="${IMPACT_LEDGER_RETENTION_DAYS:-90}"
binary="${IMPACT_LEDGER_BIN:-/usr/local/bin/impact-ledger}"
# `-` rather than `:-`: set and empty means "skip", unset means the default.
verify_py="${IMPACT_LEDGER_VERIFY_PY-/usr/local/share/impact-ledger/verify_export.py}"

need_value() {
  if [ $# -lt 2 ]; then
    echo "impact-ledger-backup: $1 needs a value" >&2
    exit 2
  fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --url) need_value "$@"; url="$2"; shift 2 ;;
    --token-file) need_value "$@"; token_file="$2"; shift 2 ;;
    --dir) need_value "$@"; backup_dir="$2"; shift 2 ;;
    --retention-days) need_value "$@"; retention_days="$2"; shift 2 ;;
    --bin) need_value "$@"; binary="$2"; shift 2 ;;
    --verify-py) need_value "$@"; verify_py="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "impact-ledger-backup: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

fail() {
  echo "impact-ledger-backup: FAILED: $*" >&2
  exit 1
}

case "$retention_days" in
  '' | *[!0-9]*) fail "--retention-days must be a whole number of days, not '$retention_days'" ;;
esac
[ "$retention_days" -ge 1 ] || fail "--retention-days must be at least 1"
[ -n "$token_file" ] || fail "no token file: give --token-file or run under systemd with LoadCredential=token:..."
[ -r "$token_file" ] || fail "cannot read the token file $token_file"
[ -x "$binary" ] || fail "$binary is not an executable impact-ledger"
if [ -n "$verify_py" ]; then
  [ -r "$verify_py" ] || fail "cannot read $verify_py (install ops/verify_export.py there, or pass --verify-py '' to skip it)"
  command -v python3 >/dev/null || fail "python3 is not installed, and $verify_py needs it"
fi
token="$(tr -d '[:space:]' <"$token_file")"
[ -n "$token" ] || fail "the token file $token_file is empty"

mkdir -p "$backup_dir"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
name="impact-ledger-$stamp.ndjson"
partial="$backup_dir/.partial-$stamp.ndjson"
headers="$backup_dir/.partial-$stamp.headers"
summary="$backup_dir/.partial-$stamp.verify"
cleanup() {
  rm -f "$partial" "$headers" "$summary" "$backup_dir/.partial-$stamp.python"
}
trap cleanup EXIT

# 1. The export. The token goes to curl through a file descriptor, never on its command line
# (which every user of the machine can read in ps).
echo "exporting $url/api/v1/export"
curl --fail --silent --show-error \
  --retry 3 --retry-delay 5 --connect-timeout 10 \
  --header @<(printf 'Authorization: Bearer %s\n' "$token") \
  --dump-header "$headers" \
  --output "$partial" \
  "$url/api/v1/export" ||
  fail "the export request failed (curl exit $?); is the service up and the token an auditor's?"

header() {
  tr -d '\r' <"$headers" | sed -n "s/^$1: *//Ip" | tail -n 1
}
head_position="$(header x-ledger-head-position)"
head_hash="$(header x-ledger-head-hash)"
case "$head_position" in
  '' | *[!0-9]*) fail "the answer has no x-ledger-head-position header; is $url an impact-ledger?" ;;
esac
[ -n "$head_hash" ] || fail "the answer has no x-ledger-head-hash header"

# 2. Whole: one line per event, up to the head the server announced.
lines="$(wc -l <"$partial")"
[ "$lines" -eq "$head_position" ] ||
  fail "the download has $lines lines but the server's head was $head_position: it was cut short"

# 3. The chain, recomputed by impact-ledger itself.
if ! "$binary" verify --export "$partial" >"$summary" 2>&1; then
  cat "$summary" >&2
  fail "impact-ledger verify --export found the export broken (see first_bad_position above)"
fi
field() {
  sed -n "s/^$1: *//p" "$summary" | head -n 1
}
[ "$(field ok)" = "true" ] || fail "impact-ledger verify did not say ok: $(tr '\n' ' ' <"$summary")"
[ "$(field head_position)" = "$head_position" ] ||
  fail "verify counted $(field head_position) events, the server said $head_position"
[ "$(field head_hash)" = "$head_hash" ] ||
  fail "verify ends at hash $(field head_hash), the server said $head_hash"

# 4. The chain, recomputed independently.
if [ -n "$verify_py" ]; then
  python_summary="$backup_dir/.partial-$stamp.python"
  if ! python3 "$verify_py" "$partial" >"$python_summary" 2>&1; then
    cat "$python_summary" >&2
    rm -f "$python_summary"
    fail "$verify_py found the export broken"
  fi
  # It prints `key: value` lines as `impact-ledger verify` does; when it names a head hash,
  # that must be the same one.
  python_hash="$(sed -n 's/^head_hash: *//p' "$python_summary" | tail -n 1)"
  { echo "# $verify_py"; cat "$python_summary"; } >>"$summary"
  rm -f "$python_summary"
  if [ -n "$python_hash" ] && [ "$python_hash" != "$head_hash" ]; then
    fail "$verify_py ends at hash $python_hash, impact-ledger at $head_hash"
  fi
else
  echo "note: the independent python check was skipped (--verify-py '')"
fi

# 5. Continuity: the last backup must be where this one starts, line for line. A line may
# differ only by an erasure (CONTRACT §12): today's line has an erased member ("salt":null)
# and the same hash, for the hash is over a commitment, not the value.
continuous() {
  local count
  count="$(wc -l <"$1")"
  [ "$count" -le "$(wc -l <"$2")" ] || return 1
  head -n "$count" "$2" | paste -d '\n' "$1" - | awk '
    function hash_of(line) {
      return match(line, /[{,]"hash":"[0-9a-f]+"/) ? substr(line, RSTART, RLENGTH) : ""
    }
    NR % 2 == 1 { previous = $0; next }
    $0 != previous && (index($0, "\"salt\":null") == 0 || hash_of($0) != hash_of(previous)) {
      exit 1
    }'
}
previous="$(find "$backup_dir" -maxdepth 1 -type f -name 'impact-ledger-*.ndjson' | sort | tail -n 1)"
if [ -n "$previous" ] && ! continuous "$previous" "$partial"; then
  fail "$(basename "$previous") is not the beginning of today's export: stored history differs \
from the last backup. Do not delete either file; see ops/README.md, \"When verification fails\". \
(After a deliberate restore from an older backup, move the newer ones into a subfolder first.)"
fi

# 6. Keep it: fsync the file, give it its dated name, fsync the directory.
{
  echo "file: $name"
  echo "url: $url"
  echo "x-ledger-head-position: $head_position"
  echo "x-ledger-head-hash: $head_hash"
} >>"$summary"
sync "$partial" "$summary"
mv "$summary" "$backup_dir/$name.verify"
mv "$partial" "$backup_dir/$name"
(cd "$backup_dir" && sha256sum "$name" >"$name.sha256")
ln -sfn "$name" "$backup_dir/latest.ndjson"
sync "$backup_dir/$name.sha256" "$backup_dir"

# 7. Retention: by age, never the file just written.
find "$backup_dir" -maxdepth 1 -type f -name 'impact-ledger-*.ndjson' -mtime "+$retention_days" \
  ! -name "$name" -print |
  while read -r old; do
    echo "deleting $(basename "$old") (older than $retention_days days)"
    rm -f "$old" "$old.sha256" "$old.verify"
  done

bytes="$(stat -c %s "$backup_dir/$name")"
echo "backup ok: $backup_dir/$name events=$head_position bytes=$bytes head_hash=$head_hash"
