#!/usr/bin/env bash
# Power cuts of the real service under LazyFS (issue 19; docs/RELIABILITY.md, "Power cut").
#
# LazyFS is a FUSE file system that keeps every write in its own page cache until fsync, and
# on `lazyfs::clear-cache` throws away whatever was not synced: what a power cut does to a
# disk's write-back cache. The data dir lives inside the mount. Each cycle: start the service,
# check every event acknowledged so far is there, the chain verifies and a retry of the last
# acknowledged request answers 200 with its position; let 16 writers append; SIGKILL the
# service; clear LazyFS's cache (the power cut). After the last cycle, start once more and check.
#
# Usage: ops/power_cut.sh [--cycles N] [--control] [--build-only] [--binary PATH]
#   --cycles N    power cuts (default 30)
#   --binary PATH test this impact-ledger binary instead of building one
#   --control     the positive control: the service's fdatasync made a no-op (an LD_PRELOAD
#                 shim), so acknowledged events must be found missing: the harness fails
#                 unless it detects loss
#   --build-only  build LazyFS and the binary, then stop
# Environment: WORK (default /var/tmp/impact-ledger-power-cut: LazyFS's build, its root and
# mount dirs), CARGO_TARGET_DIR (default target), LAZYFS_GIT, TOML11_GIT, SPDLOG_GIT (git dirs
# of github.com/dsrhaslab/lazyfs, ToruNiina/toml11 and gabime/spdlog; nothing is downloaded
# at build time, so bring them here first, e.g. `git clone --bare`), CYCLE_MS (how long the
# writers append before each cut, default 200-700 ms).
#
# Needs root (FUSE mounts, /dev/fuse) and Debian's fuse3, libfuse3-dev, cmake, g++, python3.
# Not in CI. Every server listens on 127.0.0.1 only; every loop is bounded.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cycles=30
control=0
build_only=0
binary=""
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles=$2; shift ;;
        --control) control=1 ;;
        --build-only) build_only=1 ;;
        --binary) binary=$2; shift ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
work=${WORK:-/var/tmp/impact-ledger-power-cut}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
lazyfs_git=${LAZYFS_GIT:-/work/.mirror/dsrhaslab+lazyfs/repo}
toml11_git=${TOML11_GIT:-/work/.mirror/ToruNiina+toml11/repo}
spdlog_git=${SPDLOG_GIT:-/work/.mirror/gabime+spdlog/repo}
say() { echo "== $*" >&2; }
mkdir -p "$work"

# --- LazyFS, built from local sources -----------------------------------------------------
build_lazyfs() {
    local src=$work/src
    if [ -x "$src/lazyfs/lazyfs/build/lazyfs" ]; then return; fi
    command -v cmake > /dev/null && [ -e /usr/include/fuse3/fuse.h ] || {
        say "installing fuse3 libfuse3-dev cmake g++ from Debian"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fuse3 libfuse3-dev cmake g++ > /dev/null
    }
    rm -rf "$src"
    mkdir -p "$src/lazyfs" "$src/toml11" "$src/spdlog"
    # The versions LazyFS's own CMakeLists names (toml11 v3.7.1, spdlog v1.10.0).
    git --git-dir="$lazyfs_git" archive HEAD lazyfs libs | tar -x -C "$src/lazyfs"
    git --git-dir="$toml11_git" archive v3.7.1 | tar -x -C "$src/toml11"
    git --git-dir="$spdlog_git" archive v1.10.0 | tar -x -C "$src/spdlog"
    say "building LazyFS $(git --git-dir="$lazyfs_git" rev-parse --short HEAD)"
    (cd "$src/lazyfs/libs/libpcache" &&
        cmake -S . -B build -DFETCHCONTENT_FULLY_DISCONNECTED=ON \
            -DFETCHCONTENT_SOURCE_DIR_TOML="$src/toml11" \
            -DFETCHCONTENT_SOURCE_DIR_SPDLOG="$src/spdlog" > "$work/build-pcache.log" &&
        cmake --build build -j2 >> "$work/build-pcache.log")
    # LazyFS looks for spdlog's headers where FetchContent would have put them.
    (cd "$src/lazyfs/lazyfs" &&
        cmake -S . -B build -DLAZYFS_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS="-I$src/spdlog/include" \
            > "$work/build-lazyfs.log" &&
        cmake --build build -j2 >> "$work/build-lazyfs.log")
}
build_lazyfs
lazyfs_bin=$work/src/lazyfs/lazyfs/build/lazyfs
export LD_LIBRARY_PATH=$work/src/lazyfs/libs/libpcache/build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

bin=$binary
if [ -z "$bin" ]; then
    say "building the release binary ($target_dir)"
    (cd "$repo" && CARGO_TARGET_DIR=$target_dir cargo build --release --quiet --bin impact-ledger)
    bin=$target_dir/release/impact-ledger
fi

# The positive control's shim: fdatasync, fsync and sync_file_range return 0 at once.
shim=$work/nosync.so
if [ ! -e "$shim" ]; then
    cat > "$work/nosync.c" << 'C'
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
int sync_file_range(int fd, long long offset, long long nbytes, unsigned flags) {
    (void)fd; (void)offset; (void)nbytes; (void)flags; return 0;
}
C
    cc -shared -fPIC -O2 -o "$shim" "$work/nosync.c"
fi
[ "$build_only" = 1 ] && { say "built: $lazyfs_bin, $bin"; exit 0; }

# --- the mount ------------------------------------------------------------------------------
root=$work/root
mnt=$work/mnt
fifo=$work/faults.fifo
lazyfs_pid=""
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2> /dev/null || true; fi
    if mountpoint -q "$mnt"; then fusermount3 -u "$mnt" 2> /dev/null || umount -l "$mnt" || true; fi
    if [ -n "$lazyfs_pid" ]; then kill "$lazyfs_pid" 2> /dev/null || true; fi
}
trap cleanup EXIT
mountpoint -q "$mnt" && fusermount3 -u "$mnt"
rm -rf "$root" "$mnt" "$fifo"
mkdir -p "$root" "$mnt"
mkfifo "$fifo"
cat > "$work/lazyfs.toml" << TOML
[faults]
fifo_path="$fifo"
[cache]
apply_eviction=false
[cache.simple]
custom_size="2gb"
blocks_per_page=1
[filesystem]
log_all_operations=false
logfile=""
TOML
"$lazyfs_bin" "$mnt" --config-path "$work/lazyfs.toml" -o allow_other -o modules=subdir \
    -o subdir="$root" -f > "$work/lazyfs.log" 2>&1 &
lazyfs_pid=$!
for _ in $(seq 1 100); do mountpoint -q "$mnt" && break; sleep 0.1; done
mountpoint -q "$mnt" || { echo "LazyFS did not mount (see $work/lazyfs.log):" >&2; tail -5 "$work/lazyfs.log" >&2; exit 1; }
say "LazyFS mounted at $mnt (pid $lazyfs_pid)"

data=$mnt/data
mkdir -p "$data"
chmod 700 "$data"
"$bin" token new --role admin --name power-cut --data "$data" > "$work/token"
# The token must survive the first cut too: a cut right after it shows that it was synced.
timeout 10 sh -c "echo 'lazyfs::clear-cache' > '$fifo'"
python3 "$here/power_cut.py" --binary "$bin" --data "$data" --token "$(cat "$work/token")" \
    --cycles "$cycles" --fifo "$fifo" --control "$control" --preload "$shim" \
    --cycle-ms "${CYCLE_MS:-200-700}" --log "$work/server.log"
