#!/usr/bin/env bash
# bench/hs-callgrind.sh - userspace instructions per TLS handshake, in-process
# GnuTLS against ktlsd, counted by valgrind's callgrind: the counts do not
# depend on the machine's speed or load (nor on emulation), so they compare
# across runs where times cannot.
#
#   bench/hs-callgrind.sh [N]        (N handshakes per run, default 20)
#
# Run it where `ktls-bench handshake` runs (a kTLS kernel, root; in the test
# VM: tests/vm/run --timeout 3000 --rw OUT -e OUT=OUT -- bench/hs-callgrind.sh).
# ECDSA P-256, TLS 1.3, AES-128-GCM, X25519, concurrency 1, both roles.
#
# The caller: ktls-bench under callgrind with --toggle-collect=subject_handshake,
#   so only the side under test's own call is counted (for ktlsd: setting the
#   profile, the request, the fd passing, reading the reply; for inproc: the
#   whole GnuTLS handshake and the key install); total / N.
# ktlsd: the daemon under callgrind (through a wrapper given as --ktlsd), its
#   "Collected" counts (the network process, and the key process where it
#   exits cleanly) from its log, for N and for 2N handshakes: the
#   difference / N is the daemon's per-handshake count without its start-up.
# Environment: BUILD (default build), OUT (default $BUILD/bench-results/callgrind).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/bench-results/callgrind}
N=${1:-20}
BIN=$(cd "$BUILD" && pwd -P) || exit 2
BENCH=$BIN/ktls-bench
KTLSD=$BIN/ktlsd
WAIT=1800	# valgrind on an emulated CPU starts ktlsd in minutes

say() { printf 'hs-callgrind: %s\n' "$*" >&2; }

command -v valgrind > /dev/null || { say "no valgrind"; exit 2; }
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd -P)
WRAP=$OUT/ktlsd-under-callgrind

# The wrapper the bench starts as its ktlsd; CG_OUT says where counts go.
cat > "$WRAP" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="\$CG_OUT/ktlsd.%p" "$KTLSD" "\$@"
EOF
chmod +x "$WRAP"

# collected LOG: the sum of valgrind's "Collected : N" lines (every process).
collected() { awk '/== Collected :/ { s += $NF } END { print s + 0 }' "$1"; }
# callgrind_total FILE...: the sum of the "totals:" lines of dump files.
callgrind_total() {
	awk '/^totals:/ { s += $2 } END { print s + 0 }' "$@"
}

# run ARM ROLE COUNT DAEMON(0|1) DIR: one bench run of COUNT handshakes.
run() {
	local arm=$1 role=$2 count=$3 daemon=$4 dir=$5 ktlsd=$KTLSD work rc
	rm -rf "$dir" && mkdir -p "$dir/work"
	[ "$daemon" = 1 ] && ktlsd=$WRAP
	# ktlsd's socket must not be on a shared file system (9p in the VM)
	work=$(mktemp -d "${TMPDIR:-/tmp}/hs-callgrind.XXXXXX") || return 1
	CG_OUT=$dir valgrind --tool=callgrind --collect-atstart=no \
		--toggle-collect='subject_handshake*' --callgrind-out-file="$dir/caller.%p" \
		"$BENCH" handshake --hs-arms "$arm" --roles "$role" --certs ecdsa \
		--concurrency 1 --handshakes "$count" --ktlsd "$ktlsd" --ktlsd-wait "$WAIT" \
		--work-dir "$work" > "$dir/bench.out" 2> "$dir/bench.err"
	rc=$?
	cp "$work/ktlsd.log" "$dir/work/" 2> /dev/null
	rm -rf "$work"
	return "$rc"
}

# bench_ok DIR: the run's one cell ran and passed its checks.
bench_ok() {
	grep -q '^1 cells, 0 failed their checks' "$1/bench.out" && ! grep -q 'skipped:' "$1/bench.out"
}

# daemon_count ROLE: ktlsd's instructions per handshake (2N run minus N run,
# / N), or a reason on stderr and nothing on stdout.
daemon_count() {
	local role=$1 dir k1 k2
	dir=$OUT/ktlsd-$role-daemon
	say "ktlsd $role: the daemon under callgrind, $N then $((2 * N)) handshakes"
	run ktlsd "$role" "$N" 1 "$dir" || true
	k1=$(collected "$dir/work/ktlsd.log")
	if ! bench_ok "$dir"; then
		say "ktlsd $role: the daemon does not work under valgrind: $(grep -m1 -i 'error' \
			"$dir/work/ktlsd.log")"
		return 1
	fi
	run ktlsd "$role" "$((2 * N))" 1 "$dir-2n" || true
	k2=$(collected "$dir-2n/work/ktlsd.log")
	if [ "$k1" -le 0 ] || [ "$k2" -le "$k1" ]; then
		say "ktlsd $role: no usable daemon counts ($k1, $k2): see $dir*/work/ktlsd.log"
		return 1
	fi
	echo $(( (k2 - k1) / N ))
}

main() {
	local arm role dir caller kper rc=0
	printf '# callgrind: userspace instructions per handshake (Ir), ECDSA-P256, c=1, N=%s\n' "$N" \
		> "$OUT/callgrind.txt"
	printf '%-7s %-6s %16s %16s %16s\n' arm role caller ktlsd total >> "$OUT/callgrind.txt"
	echo "arm,role,n,caller_ir_per_hs,ktlsd_ir_per_hs,total_ir_per_hs" > "$OUT/callgrind.csv"
	for role in client server; do
		for arm in inproc ktlsd; do
			dir=$OUT/$arm-$role
			say "$arm $role: $N handshakes, the caller under callgrind"
			if ! run "$arm" "$role" "$N" 0 "$dir" || ! bench_ok "$dir"; then
				say "$arm $role failed: $(tail -n 3 "$dir/bench.err")"
				rc=1
				continue
			fi
			caller=$(( $(callgrind_total "$dir"/caller.*) / N ))
			kper=0
			if [ "$arm" = ktlsd ] && ! kper=$(daemon_count "$role"); then
				kper="?"
				rc=1
			fi
			printf '%-7s %-6s %16s %16s %16s\n' "$arm" "$role" "$caller" "$kper" \
				"$([ "$kper" = "?" ] && echo "?" || echo $((caller + kper)))" \
				>> "$OUT/callgrind.txt"
			echo "$arm,$role,$N,$caller,$kper,$([ "$kper" = "?" ] || echo $((caller + kper)))" \
				>> "$OUT/callgrind.csv"
		done
	done
	cat "$OUT/callgrind.txt"
	return "$rc"
}

main "$@"
