#!/usr/bin/env bash
# Takes the Danish screenshots of the web app shown in the README (docs/web-*.png) from the
# same browser run as the browser tests: tests/web_browser.rs drives Debian's Chromium headless
# through chromedriver against the real binary with the demo data, and with
# IMPACT_LEDGER_SCREENSHOTS set it saves a PNG of the dashboard, a refused form, a list and
# the annual report on the way.
#
#   ops/web-screenshots.sh [OUT_DIR]      (default: docs/)
#
# Installs chromium, chromium-driver and npm when missing (as root); the test itself installs
# axe-core into target/tmp.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:-$repo/docs}" && cd "${1:-$repo/docs}" && pwd)"

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v npm >/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver npm
fi

IMPACT_LEDGER_SCREENSHOTS="$out" cargo test --quiet --manifest-path "$repo/Cargo.toml" \
    --test web_browser >&2
ls "$out"/web-*.png >&2
