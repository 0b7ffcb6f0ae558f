#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for SECONDS (default 600), from the committed
# seeds in fuzz/seeds/<target>/ copied into fuzz/corpus/<target>/ (which grows and is not
# committed). A crash leaves its input in fuzz/artifacts/<target>/ and stops the run.
#
#   fuzz/run.sh                      # every target, 10 minutes each
#   fuzz/run.sh 60 codec_decode      # one target for a minute
#
# cargo-fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# Needs: `cargo install cargo-fuzz` and a C++ compiler (libFuzzer is built from source).
set -euo pipefail

seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(event_in codec_decode stored_json)

cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n "seeds/$target"/* "corpus/$target"/
  dict=()
  [ "$target" = codec_decode ] || dict=(-dict=seeds/json.dict)
  echo "== $target for $seconds s"
  cargo fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 -max_len=8192 -timeout=10 "${dict[@]}"
done
