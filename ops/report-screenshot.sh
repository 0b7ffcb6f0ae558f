#!/usr/bin/env bash
# Renders the annual report of the demo data set as HTML and takes an A4-sized PNG of it with
# headless Chromium: docs/report-2023.png, the picture of the report in the README.
#
#   ops/report-screenshot.sh [YEAR] [OUT.png]
#
# Installs Debian's `chromium` when it is missing (as root). Builds the binary unless
# IMPACT_LEDGER_BIN names one. Everything else happens in a temporary directory that is removed
# on exit; the report is made offline with `impact-ledger report`, no server is started.
set -euo pipefail

year="${1:-2023}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${2:-$repo/docs/report-$year.png}"

if ! command -v chromium >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

if [[ -n "${IMPACT_LEDGER_BIN:-}" ]]; then
    bin="$IMPACT_LEDGER_BIN"
else
    cargo build --quiet --manifest-path "$repo/Cargo.toml" --bin impact-ledger
    target="${CARGO_TARGET_DIR:-$repo/target}"
    bin="$target/debug/impact-ledger"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$bin" demo --data "$work/data" >&2
"$bin" report --year "$year" --format html --municipality "Slagelse Kommune" --data "$work/data" \
    >"$work/report.html"

mkdir -p "$(dirname "$out")"
# The page is laid out 210 mm (794 CSS px) wide, as it prints. Drawn at 1.5625 device pixels
# per CSS pixel, a 794 x 1123 window is the first A4 page at 150 dpi: a PNG of about
# 1240 x 1754. The other flags keep Chromium from reaching out to anything: the page is
# self-contained, and a screenshot needs no updates, sync or crash reporting.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --force-device-scale-factor=1.5625 \
    --user-data-dir="$work/chromium" \
    --screenshot="$out" --window-size=794,1123 \
    "file://$work/report.html" >"$work/chromium.log" 2>&1 || {
    cat "$work/chromium.log" >&2
    exit 1
}
echo "wrote $out" >&2
