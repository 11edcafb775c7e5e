#!/usr/bin/env bash
# tests/kmod/build.sh - build hs_trigger.ko for the VM kernel, on the HOST
# (the guest sees the host root read-only, so it cannot build anything).
#
#   BUILD=build tests/kmod/build.sh      -> $BUILD/kmod/hs_trigger.ko
#
# Prepares the VM kernel's headers first if needed (tests/vm/build-image
# --with-headers: linux-headers-<ver> plus its -common and linux-kbuild
# packages).  Exit status 0 when the module is built and current; on failure
# the last lines of the build log are shown and tests/integration/t_upcall.sh
# reports the missing module.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
BUILD=${BUILD:-build}
OUT=$(mkdir -p "$BUILD/kmod" && cd "$BUILD/kmod" && pwd)
CACHE="${KTLSD_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ktlsd-vm}"
LOG=$OUT/build.log

tests/vm/build-image --with-headers --if-needed --quiet
# shellcheck disable=SC1091
KBUILD_DIR=$(. "$CACHE/current.env" && printf '%s' "${KBUILD_DIR:-}")
if [ -z "$KBUILD_DIR" ] || [ ! -f "$KBUILD_DIR/Makefile" ]; then
	echo "tests/kmod/build.sh: no kernel headers in $CACHE (tests/vm/build-image --with-headers)" >&2
	exit 1
fi
# A module built for another kernel version would not load: rebuild then.
if [ -f "$OUT/kbuild_dir" ] && [ "$(cat "$OUT/kbuild_dir")" != "$KBUILD_DIR" ]; then
	rm -f "$OUT"/*.ko "$OUT"/*.o
fi
if ! make -C tests/kmod KBUILD_DIR="$KBUILD_DIR" OUT="$OUT" > "$LOG" 2>&1; then
	tail -n 20 "$LOG" >&2
	echo "tests/kmod/build.sh: building hs_trigger.ko failed (log: $LOG)" >&2
	exit 1
fi
printf '%s\n' "$KBUILD_DIR" > "$OUT/kbuild_dir"
echo "tests/kmod/build.sh: $OUT/hs_trigger.ko for $(basename "$KBUILD_DIR")"
