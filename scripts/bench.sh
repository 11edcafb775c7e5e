#!/usr/bin/env bash
# scripts/bench.sh - `make bench`: ktls-bench sendfile + handshake, with the
# table, CSV and plots in one directory.
#
#   scripts/bench.sh [-- KTLS-BENCH-SENDFILE-OPTIONS...]
#   scripts/bench.sh --inside [...]     (what runs on the kTLS kernel)
#
# Natively when this host has kTLS and we are root, else inside the test VM
# (tests/vm/run: Debian's 6.12 kernel under QEMU TCG, so the numbers are
# only a smoke test; the output says so).  KTLSD_VM=1 forces the VM,
# KTLSD_VM=0 native.  In the VM, / is read-only: the bench works in the
# guest's /tmp and copies its results out through a read-write share.
#
# Results: $BENCH_OUT (default $BUILD/bench-results): sendfile.txt sendfile.csv
#   handshake.txt handshake.csv plots/*.png plots/*.gp.
# Environment: BUILD (default build), BENCH_OUT, BENCH_DURATION (seconds
#   per cell), BENCH_SIZES, BENCH_CIPHERS, BENCH_CONNS (ktls-bench options
#   of the same names; the VM gets smaller defaults so the run stays under
#   ~15 minutes), KTLSD_VM_TIMEOUT (default 1800).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
BUILD=${BUILD:-build}
BENCH=$BUILD/ktls-bench
OUT=${BENCH_OUT:-$BUILD/bench-results}

say() { printf 'bench: %s\n' "$*" >&2; }

host_has_ktls() {
	[ "$(id -u)" = 0 ] && "$BUILD/ktls" check --quiet >/dev/null 2>&1
}

# ---- inside: on a kernel with kTLS ------------------------------------------------

# Emulated TCG runs kTLS at tens of MB/s: fewer seconds per cell and no
# 64 MiB object, which would be a single object per timed pass anyway.
sendfile_args() {
	local duration sizes
	if [ "${KTLSD_IN_VM:-0}" = 1 ]; then
		duration=${BENCH_DURATION:-1}
		sizes=${BENCH_SIZES:-4K,64K,1M,16M}
	else
		duration=${BENCH_DURATION:-3}
		sizes=${BENCH_SIZES:-4K,64K,1M,64M}
	fi
	ARGS=(--duration "$duration" --sizes "$sizes")
	[ -z "${BENCH_CIPHERS:-}" ] || ARGS+=(--ciphers "$BENCH_CIPHERS")
	[ -z "${BENCH_CONNS:-}" ] || ARGS+=(--conns "$BENCH_CONNS")
}

inside() {
	local work=${TMPDIR:-/tmp}/ktls-bench-results.$$ rc=0 start=$SECONDS
	[ -x "$BENCH" ] || { say "$BENCH is not built (make all)"; return 2; }
	if [ "$(id -u)" = 0 ]; then
		modprobe tls 2>/dev/null || say "modprobe tls failed; continuing"
	fi
	rm -rf "$work" && mkdir -p "$work/plots"
	sendfile_args
	say "sendfile: $BENCH sendfile ${ARGS[*]} $*"
	"$BENCH" sendfile "${ARGS[@]}" --csv "$work/sendfile.csv" --plots "$work/plots" "$@" \
		2> >(tee "$work/sendfile.log" >&2) | tee "$work/sendfile.txt" || rc=1
	say "handshake: $BENCH handshake --duration ${BENCH_HS_DURATION:-3}"
	"$BENCH" handshake --duration "${BENCH_HS_DURATION:-3}" --csv "$work/handshake.csv" \
		--plots "$work/plots" 2> >(tee "$work/handshake.log" >&2) |
		tee "$work/handshake.txt" || rc=1
	mkdir -p "$OUT"
	cp -r "$work"/. "$OUT"/
	rm -rf "$work"
	say "results in $OUT ($((SECONDS - start)) s)"
	return "$rc"
}

# ---- outside: pick where ------------------------------------------------------------------

# One VM at a time on small shared machines: wait for another to finish.
wait_for_other_vms() {
	local waited=0
	while pgrep -f qemu-system >/dev/null 2>&1; do
		[ "$waited" = 0 ] && say "another QEMU VM is running; waiting for it to finish"
		sleep 5
		waited=$((waited + 5))
		[ "$waited" -lt 1800 ] || { say "still busy after 30 min; starting anyway"; break; }
	done
}

main() {
	local where
	if [ "${1:-}" = --inside ]; then
		shift
		inside "$@"
		return
	fi
	[ "${1:-}" != -- ] || shift
	case "${KTLSD_VM:-auto}" in
	0) where=native ;;
	1) where=vm ;;
	*) if host_has_ktls; then where=native; else where=vm; fi ;;
	esac
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd -P)
	if [ "$where" = native ]; then
		BENCH_OUT=$OUT inside "$@"
		return
	fi
	say "this kernel ($(uname -r)) has no usable kTLS (or we are not root): running in the" \
	    "emulated VM, where the numbers only show that each arm works"
	wait_for_other_vms
	tests/vm/run --timeout "${KTLSD_VM_TIMEOUT:-1800}" --rw "$OUT" -e "BUILD=$BUILD" \
		-e "BENCH_OUT=$OUT" -e "BENCH_DURATION=${BENCH_DURATION:-}" \
		-e "BENCH_SIZES=${BENCH_SIZES:-}" -e "BENCH_CIPHERS=${BENCH_CIPHERS:-}" \
		-e "BENCH_CONNS=${BENCH_CONNS:-}" -e "BENCH_HS_DURATION=${BENCH_HS_DURATION:-}" \
		-- scripts/bench.sh --inside "$@"
}

main "$@"
