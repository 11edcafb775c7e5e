#!/usr/bin/env bash
# tests/kmod/build.sh - build hs_trigger.ko for a VM kernel lane, on the HOST
# (the guest sees the host root read-only, so it cannot build anything).
#
#   BUILD=build tests/kmod/build.sh [--kernel LANE]
#       -> $BUILD/kmod/<kernel release>/hs_trigger.ko
#          (the default lane, 6.12, also -> $BUILD/kmod/hs_trigger.ko)
#
# LANE is one of tests/vm/lanes.sh (default 6.12, or KTLSD_VM_KERNEL).  The
# tests load $BUILD/kmod/$(uname -r)/hs_trigger.ko, else
# $BUILD/kmod/hs_trigger.ko, and skip when its vermagic is not the running
# kernel's.  Prepares the lane's headers first if needed (tests/vm/build-image
# --with-headers: linux-headers-<ver>, its -common and linux-kbuild packages;
# for 7.3 the kbuild tools run under trixie's glibc and the host's gcc builds,
# see KBUILD_ARGS in the lane's current.env).  Exit status 0 when the module
# is built and current; on failure the last lines of the build log are shown
# and tests/integration/t_upcall.sh reports the missing module.  The lane
# 6.1 has no net/handshake (Linux 6.5+): nothing to build there, exit 0.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=tests/vm/lanes.sh
. tests/vm/lanes.sh
BUILD=${BUILD:-build}
LANE=${KTLSD_VM_KERNEL:-$VM_DEFAULT_LANE}
case "${1:-}" in
	--kernel) LANE=${2:?--kernel needs a lane} ;;
	--kernel=*) LANE=${1#--kernel=} ;;
	"") ;;
	*) echo "usage: tests/kmod/build.sh [--kernel LANE]" >&2; exit 2 ;;
esac
vm_lane_select "$LANE" || { echo "tests/kmod/build.sh: unknown lane $LANE (${VM_LANES[*]})" >&2; exit 2; }
if [ "$LANE" = 6.1 ]; then
	echo "tests/kmod/build.sh: lane 6.1 has no net/handshake (CONFIG_NET_HANDSHAKE, Linux 6.5+): no module to build"
	exit 0
fi

tests/vm/build-image --kernel "$LANE" --with-headers --if-needed --quiet
env_value() {
	# shellcheck disable=SC1091
	(set +u; . "$LANE_CACHE/current.env" && printf '%s' "${!1:-}")
}
KBUILD_DIR=$(env_value KBUILD_DIR)
KVER=$(env_value KVER)
# Older current.env files have no KBUILD_ARGS: that was the only one then.
KBUILD_ARGS=$(env_value KBUILD_ARGS)
KBUILD_ARGS=${KBUILD_ARGS:-CONFIG_DEBUG_INFO_BTF_MODULES=}
if [ -z "$KBUILD_DIR" ] || [ ! -f "$KBUILD_DIR/Makefile" ] || [ -z "$KVER" ]; then
	echo "tests/kmod/build.sh: no kernel headers in $LANE_CACHE (tests/vm/build-image --kernel $LANE --with-headers)" >&2
	exit 1
fi
OUT=$(mkdir -p "$BUILD/kmod/$KVER" && cd "$BUILD/kmod/$KVER" && pwd)
LOG=$OUT/build.log
# A module built against other headers would not load: rebuild then.
if [ -f "$OUT/kbuild_dir" ] && [ "$(cat "$OUT/kbuild_dir")" != "$KBUILD_DIR" ]; then
	rm -f "$OUT"/*.ko "$OUT"/*.o
fi
# shellcheck disable=SC2086  # KBUILD_ARGS is a list of NAME=VALUE words
if ! make -C tests/kmod KBUILD_DIR="$KBUILD_DIR" OUT="$OUT" KBUILD_ARGS="$KBUILD_ARGS" > "$LOG" 2>&1; then
	tail -n 20 "$LOG" >&2
	echo "tests/kmod/build.sh: building hs_trigger.ko for $KVER failed (log: $LOG)" >&2
	exit 1
fi
printf '%s\n' "$KBUILD_DIR" > "$OUT/kbuild_dir"
if [ "$LANE" = "$VM_DEFAULT_LANE" ]; then
	# Where the tests looked before there were lanes.
	cp "$OUT/hs_trigger.ko" "$BUILD/kmod/hs_trigger.ko.tmp" &&
		mv "$BUILD/kmod/hs_trigger.ko.tmp" "$BUILD/kmod/hs_trigger.ko"
fi
echo "tests/kmod/build.sh: $OUT/hs_trigger.ko for $KVER (lane $LANE)"
