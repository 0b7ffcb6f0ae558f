#!/usr/bin/env bash
# impact-ledger-restore: replace the service's data dir with one rebuilt from a verified export.
# Installed as /usr/local/sbin/impact-ledger-restore; run as root. ops/README.md, "Restore",
# gives the same steps by hand.
#
#   1. Verify the export (impact-ledger verify --export, and verify_export.py) before anything
#      is touched, and note its head position and hash.
#   2. Stop the service: the import needs a data dir no process has open, and nothing may be
#      appended to the old log while it is being replaced.
#      Then `impact-ledger verify --data DATA` on the old log: it prints the old chain's state
#      for the record, and fails (so nothing is swapped) while any process still holds the lock.
#   3. `impact-ledger import FILE --data NEW` into a new sibling directory (same filesystem, so
#      the swap is a rename). import verifies every line again and writes nothing to NEW
#      unless the whole file verified.
#   4. `impact-ledger verify --data NEW`: the rebuilt log must end at the export's head hash.
#   5. Copy tokens.json (unless --fresh-tokens) and checkpoint-key.json from the old data dir, give NEW to the service
#      user, then swap: the old dir is renamed DATA.before-restore-STAMP and kept, never
#      deleted (it is the evidence of whatever went wrong), and NEW becomes DATA.
#   6. Start the service and wait until /healthz reports the export's head position.
# A failure before step 5 leaves the old data dir exactly as it was; the script says how to
# start the service again.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: impact-ledger-restore [OPTIONS] EXPORT_FILE

Options:
  --data DIR         the service's data dir (default /var/lib/impact-ledger)
  --service NAME     the systemd unit (default impact-ledger)
  --user USER        owner of the restored data dir (default impact-ledger)
  --url URL          where the service answers once started (default http://127.0.0.1:8080)
  --bin PATH         the impact-ledger binary (default /usr/local/bin/impact-ledger)
  --verify-py PATH   the independent verifier (default
                     /usr/local/share/impact-ledger/verify_export.py; '' skips it)
  --fresh-tokens     do not copy tokens.json: every old token stops working and the service
                     prints a new admin token once in its journal on start
  --no-systemd       do not stop or start a systemd unit (you have stopped the service
                     yourself); --user is then not applied unless given
  --no-start         leave the service stopped after the swap, to look at it first
  --yes              do not ask before stopping the service
  -h, --help         this text
EOF
}

data=/var/lib/impact-ledger
service=impact-ledger
user=impact-ledger
user_given=no
url=http://127.0.0.1:8080
binary=/usr/local/bin/impact-ledger
verify_py=/usr/local/share/impact-ledger/verify_export.py
fresh_tokens=no
systemd=yes
start=yes
assume_yes=no
export_file=

need_value() {
  if [ $# -lt 2 ]; then
    echo "impact-ledger-restore: $1 needs a value" >&2
    exit 2
  fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --data) need_value "$@"; data="$2"; shift 2 ;;
    --service) need_value "$@"; service="$2"; shift 2 ;;
    --user) need_value "$@"; user="$2"; user_given=yes; shift 2 ;;
    --url) need_value "$@"; url="$2"; shift 2 ;;
    --bin) need_value "$@"; binary="$2"; shift 2 ;;
    --verify-py) need_value "$@"; verify_py="$2"; shift 2 ;;
    --fresh-tokens) fresh_tokens=yes; shift ;;
    --no-systemd) systemd=no; shift ;;
    --no-start) start=no; shift ;;
    --yes) assume_yes=yes; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "impact-ledger-restore: unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      [ -z "$export_file" ] || { echo "impact-ledger-restore: one export file only" >&2; exit 2; }
      export_file="$1"; shift ;;
  esac
done

fail() {
  echo "impact-ledger-restore: FAILED: $*" >&2
  exit 1
}

[ -n "$export_file" ] || { usage >&2; exit 2; }
[ -r "$export_file" ] || fail "cannot read $export_file"
[ -x "$binary" ] || fail "$binary is not an executable impact-ledger"
data="${data%/}"
if [ -z "$data" ] || [ "$data" = "/" ]; then
  fail "--data must name a directory, not '/'"
fi
if [ "$systemd" = yes ] && [ "$(id -u)" -ne 0 ]; then
  fail "run as root: it stops and starts $service and changes the owner of the data dir"
fi

stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
new="$data.restore-$stamp"
old="$data.before-restore-$stamp"
if [ -e "$new" ] || [ -e "$old" ]; then
  fail "$new or $old already exists"
fi

# 1. The export must verify before anything is touched.
echo "== 1. verifying $export_file"
summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
if ! "$binary" verify --export "$export_file" >"$summary" 2>&1; then
  cat "$summary" >&2
  fail "the export does not verify; restore from an earlier verified backup instead"
fi
cat "$summary"
field() {
  sed -n "s/^$1: *//p" "$summary" | head -n 1
}
head_position="$(field head_position)"
head_hash="$(field head_hash)"
if [ "$(field ok)" != true ] || [ -z "$head_position" ] || [ -z "$head_hash" ]; then
  fail "impact-ledger verify did not report ok, head_position and head_hash"
fi
if [ -n "$verify_py" ]; then
  command -v python3 >/dev/null || fail "python3 is not installed (or pass --verify-py '')"
  python3 "$verify_py" "$export_file" || fail "$verify_py finds the export broken"
else
  echo "note: the independent python check was skipped (--verify-py '')"
fi

echo "== plan"
echo "   restore $export_file (events 1..$head_position, head hash $head_hash)"
echo "   into $data; the current $data is kept as $old"
if [ "$assume_yes" != yes ]; then
  [ -t 0 ] || fail "not asking on a non-terminal: pass --yes to go ahead"
  read -r -p "stop $service and restore? [y/N] " answer
  case "$answer" in
    y | Y | yes) ;;
    *) echo "nothing was changed"; exit 1 ;;
  esac
fi

# 2. Stop writes.
if [ "$systemd" = yes ]; then
  echo "== 2. stopping $service"
  systemctl stop "$service"
  if systemctl is-active --quiet "$service"; then
    fail "$service is still active after systemctl stop"
  fi
  trap 'rm -f "$summary"; echo "impact-ledger-restore: $data was not changed; start the service again with: systemctl start $service" >&2' EXIT
else
  echo "== 2. --no-systemd: the service must already be stopped"
fi

# The old log, as evidence and as a guard: `verify --data` opens it, which sled refuses while
# any process (a service not stopped, a forgotten `serve`) still holds the data dir's lock.
# A broken chain is no reason to stop here: that is often why one restores.
if [ -d "$data/sled" ]; then
  echo "== 2b. impact-ledger verify --data $data (the log being replaced)"
  old_summary="$(mktemp)"
  # As the service user: sled may write when it opens a log, and a root-owned file in the
  # data dir would be one the service cannot change if the restore stops after this.
  as_owner=()
  if [ "$systemd" = yes ] || [ "$user_given" = yes ]; then
    as_owner=(runuser -u "$user" --)
  fi
  set +e
  "${as_owner[@]}" "$binary" verify --data "$data" >"$old_summary" 2>&1
  set -e
  if grep -q '^ok: ' "$old_summary"; then
    sed -n '/^ok: /,/^first_bad_position: /p;/^error: /p' "$old_summary"
    rm -f "$old_summary"
  else
    cat "$old_summary" >&2
    rm -f "$old_summary"
    fail "cannot open the log in $data (above): is the service still running? Nothing was changed"
  fi
fi

# 3. Rebuild the log in a new directory. The pepper of the person pseudonyms comes first: the
# export's pseudonyms were made with it, and a new one would count a person twice
# (CONTRACT §12, ops/decisions/0005); import refuses such an export without it.
if [ -f "$data/keys/pepper" ]; then
  install -d -m 0700 "$new" "$new/keys"
  cp -p "$data/keys/pepper" "$new/keys/pepper"
  echo "   keys/pepper copied from $data: pseudonyms stay the same"
fi
echo "== 3. impact-ledger import $export_file --data $new"
"$binary" import "$export_file" --data "$new" || fail "import refused the export; $new was not kept"

# 4. The rebuilt log must end where the export ends.
echo "== 4. impact-ledger verify --data $new"
"$binary" verify --data "$new" >"$summary" 2>&1 || {
  cat "$summary" >&2
  fail "the rebuilt log does not verify; it is left at $new for inspection"
}
cat "$summary"
if [ "$(field head_position)" != "$head_position" ] || [ "$(field head_hash)" != "$head_hash" ]; then
  fail "the rebuilt log ends at $(field head_position)/$(field head_hash), not $head_position/$head_hash"
fi

# 5. Tokens, owner, swap.
echo "== 5. swapping the data dirs"
if [ "$fresh_tokens" = no ] && [ -f "$data/tokens.json" ]; then
  cp -p "$data/tokens.json" "$new/tokens.json"
  echo "   tokens.json copied from $data: every token keeps working"
else
  echo "   no tokens.json copied: the service prints a new admin token once when it starts"
fi
# The checkpoint key always comes along: checkpoints already published name it (docs/AUDIT.md
# section 9). The checkpoint remembered at the last start does not: an older backup is shorter.
if [ -f "$data/checkpoint-key.json" ]; then
  cp -p "$data/checkpoint-key.json" "$new/checkpoint-key.json"
  echo "   checkpoint-key.json copied from $data: checkpoints stay signed by the published key"
fi
if [ "$systemd" = yes ] || [ "$user_given" = yes ]; then
  chown -R "$user:$user" "$new"
fi
chmod 0700 "$new"
sync "$new"
if [ -e "$data" ]; then
  mv "$data" "$old"
fi
mv "$new" "$data"
sync "$(dirname "$data")"
trap 'rm -f "$summary"' EXIT
echo "   restored into $data; the previous data dir is kept at $old (evidence: do not delete)"

# 6. Start, and wait until the service serves the restored head.
if [ "$systemd" = yes ] && [ "$start" = yes ]; then
  echo "== 6. starting $service"
  systemctl start "$service"
  for _ in $(seq 1 60); do
    if curl --silent --fail "$url/healthz" 2>/dev/null | grep -q "\"head_position\":${head_position}[,}]"; then
      echo "== restored: $service serves head position $head_position"
      [ "$fresh_tokens" = no ] || echo "   the new admin token: journalctl -u $service -n 20"
      exit 0
    fi
    sleep 1
  done
  fail "$service did not report head position $head_position within 60 s: journalctl -u $service"
fi
echo "== restored; start the service yourself (systemctl start $service) and check /healthz"
