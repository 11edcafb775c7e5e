#!/usr/bin/env bash
# bench/hs-callgrind.sh - userspace instructions per TLS handshake, full and
# resumed, in-process GnuTLS against ktlsd, counted by valgrind's callgrind:
# the counts do not depend on the machine's speed or load (nor on
# emulation), so they compare across runs where times cannot.
#
#   bench/hs-callgrind.sh [N]        (N handshakes per run, default 20)
#
# Run it where `ktls-bench handshake` runs (a kTLS kernel, root; in the test
# VM: tests/vm/run --timeout 3600 --rw OUT -e OUT=OUT -- bench/hs-callgrind.sh).
# ECDSA P-256, TLS 1.3, AES-128-GCM, X25519, concurrency 1.
#
# Every arm runs twice, with N and with 2N handshakes; a count per handshake
# is the 2N run's minus the N run's, / N, so what happens once per run drops
# out: start-up, and the warm-up handshake before the measured ones (ktlsd
# and the resumed arms; a resumed arm's is a full handshake for its first
# ticket).  In both runs a resumed arm's measured handshakes must all have
# resumed (the bench's resumed count), and a full arm's none.
# Every process of the side under test is counted:
# - the caller: ktls-bench under callgrind with --toggle-collect=subject_handshake,
#   so only the side under test's own call is counted (for ktlsd: setting the
#   profile, the request, the fd passing, reading the reply; for inproc: the
#   whole GnuTLS handshake, a resuming client's ticket collection, and the
#   key install).  The bench's in-process peer (the other end, the same for
#   all arms) is not counted.
# - ktlsd (arms ktlsd and ktlsd-resume): the daemon under callgrind as well
#   (a wrapper given as --ktlsd), both its processes: the network process and
#   the key process with its signers (a fork, which valgrind follows; one
#   dump file each).  valgrind makes system calls of its own inside the
#   processes it runs (rt_sigprocmask around each call, gettid, ...), which
#   the key process's seccomp filter kills, so the wrapper sets
#   KTLSD_NO_KEYPROC_SECCOMP=1 and KTLSD_NO_NETWORK_SECCOMP=1 (ktlsd warns;
#   never in production).  A filter costs kernel time per system call, not
#   user instructions, so the counts hold for a filtered daemon.
# Output in OUT: callgrind.txt and .csv; per arm and role the functions the
# instructions go to, per handshake (the 2N run's callgrind_annotate minus
# the N run's, / N): ARM-ROLE-functions.txt (the daemon, both processes;
# ktlsd arms) and ARM-ROLE-caller-functions.txt (the caller).
# Environment: BUILD (default build), OUT (default $BUILD/bench-results/callgrind),
# ROLES (default "client server"), ARMS (default
# "inproc ktlsd inproc-resume ktlsd-resume"), SERVER_PROFILE_LINE (a line
# the wrapper adds to every server profile of the counted ktlsd's config,
# e.g. "resumption_psk_only = on").
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
BUILD=${BUILD:-build}
OUT=${OUT:-$BUILD/bench-results/callgrind}
ROLES=${ROLES:-client server}
ARMS=${ARMS:-inproc ktlsd inproc-resume ktlsd-resume}
SERVER_PROFILE_LINE=${SERVER_PROFILE_LINE:-}
N=${1:-20}
BIN=$(cd "$BUILD" && pwd -P) || exit 2
BENCH=$BIN/ktls-bench
KTLSD=$BIN/ktlsd
WAIT=1800	# valgrind on an emulated CPU starts ktlsd in minutes
# and a handshake under it outlasts ktlsd's default 10 s deadline
HS_TIMEOUT=${HS_TIMEOUT:-600s}

say() { printf 'hs-callgrind: %s\n' "$*" >&2; }

command -v valgrind > /dev/null || { say "no valgrind"; exit 2; }
case $N in '' | *[!0-9]* | 0) say "N must be a positive number"; exit 2 ;; esac
mkdir -p "$OUT" || exit 2
OUT=$(cd "$OUT" && pwd -P)
WRAP=$OUT/ktlsd-under-callgrind

# The wrapper the bench starts as its ktlsd; CG_OUT says where counts go
# (ktlsd.PID, one per process: the network process and the key process).
# It adds SERVER_PROFILE_LINE after each "role = server" of the config the
# bench wrote (the argument after --config) and keeps a copy in CG_OUT/work.
if [ -n "$SERVER_PROFILE_LINE" ]; then
	printf '%s\n' "$SERVER_PROFILE_LINE"
fi > "$OUT/server-profile-line" || exit 2
cat > "$WRAP" <<EOF
#!/bin/sh
prev=
for a; do
	if [ "\$prev" = --config ]; then
		sed -i '/^role = server\$/r $OUT/server-profile-line' "\$a" || exit 1
		cp "\$a" "\$CG_OUT/work/ktlsd.conf"
	fi
	prev=\$a
done
KTLSD_NO_KEYPROC_SECCOMP=1 KTLSD_NO_NETWORK_SECCOMP=1 exec valgrind --tool=callgrind \\
	--trace-children=yes --callgrind-out-file="\$CG_OUT/ktlsd.%p" "$KTLSD" "\$@"
EOF
chmod +x "$WRAP"

# callgrind_total FILE...: the instructions the dumped processes ran, the
# sum of their "totals:" lines (or "summary:" where a dump has no totals).
callgrind_total() {
	awk 'FNR == 1 { f++ } /^totals:/ { t[f] = $2 } /^summary:/ { s[f] = $2 }
	     END { for (i = 1; i <= f; i++) n += (i in t) ? t[i] : s[i]; printf "%d\n", n }' "$@"
}

# functions FILE...: "instructions function [object]" per function (self
# cost), summed over the dump files, from callgrind_annotate (whose lines
# are "1,234 (5.6%)  file:function [object]"; inlined code names its file).
functions() {
	local f
	for f in "$@"; do
		callgrind_annotate --threshold=100 --inclusive=no --auto=no "$f" 2> /dev/null
	done | awk '$1 ~ /^[0-9][0-9,]*$/ && $2 ~ /^\(/ && !/PROGRAM TOTALS/ {
			n = $1; gsub(",", "", n)
			i = index($0, ")"); rest = substr($0, i + 1); sub(/^ +/, "", rest)
			fn = rest; obj = ""
			if (match(rest, / \[[^]]*\]$/)) {
				obj = substr(rest, RSTART + 2, RLENGTH - 3); fn = substr(rest, 1, RSTART - 1)
				sub(/.*\//, "", obj)
			}
			sub(/.*:/, "", fn)
			c[fn (obj == "" ? "" : " [" obj "]")] += n }
		END { for (fn in c) printf "%d %s\n", c[fn], fn }'
}

# per_hs_functions SMALL BIG COUNT: BIG's functions minus SMALL's, / COUNT,
# largest first (the per-handshake part of two runs of N and 2N).
per_hs_functions() {
	awk -v n="$3" 'NR == FNR { a[substr($0, index($0, " ") + 1)] = $1; next }
		{ fn = substr($0, index($0, " ") + 1); d[fn] = $1 - a[fn]; delete a[fn] }
		END { for (fn in a) d[fn] = -a[fn]
		      for (fn in d) if (d[fn] / n >= 1000 || d[fn] / n <= -1000)
			printf "%12d %s\n", d[fn] / n, fn }' "$1" "$2" | sort -rn
}

# is_ktlsd ARM: the arm goes through ktlsd (whose count is the daemon's too).
is_ktlsd() {
	case $1 in ktlsd | ktlsd-*) return 0 ;; *) return 1 ;; esac
}

# run ARM ROLE COUNT DIR: one bench run of COUNT handshakes, the caller
# under callgrind, and for the ktlsd arms the daemon too.
run() {
	local arm=$1 role=$2 count=$3 dir=$4 ktlsd=$WRAP work rc
	rm -rf "$dir" && mkdir -p "$dir/work"
	# the bench starts its ktlsd for every arm: under callgrind only when counted
	is_ktlsd "$arm" || ktlsd=$KTLSD
	# ktlsd's socket must not be on a shared file system (9p in the VM)
	work=$(mktemp -d "${TMPDIR:-/tmp}/hs-callgrind.XXXXXX") || return 1
	CG_OUT=$dir valgrind --tool=callgrind --collect-atstart=no \
		--toggle-collect='subject_handshake*' --callgrind-out-file="$dir/caller.%p" \
		"$BENCH" handshake --hs-arms "$arm" --roles "$role" --certs ecdsa \
		--concurrency 1 --handshakes "$count" --ktlsd "$ktlsd" --ktlsd-wait "$WAIT" \
		--ktlsd-global "handshake_timeout = $HS_TIMEOUT" --csv "$dir/bench.csv" \
		--work-dir "$work" > "$dir/bench.out" 2> "$dir/bench.err"
	rc=$?
	cp "$work/ktlsd.log" "$dir/work/" 2> /dev/null
	rm -rf "$work"
	return "$rc"
}

# bench_ok ARM ROLE DIR COUNT: the run's one cell ran and passed its checks,
# with COUNT handshakes, all resumed in a resumed arm, none in a full one
# (the bench lets a resumed arm pass with 90%: not enough for counts per
# handshake); else why, on stderr, and 2 if the bench run failed, 1 if it
# passed with other counts.
bench_ok() {
	local arm=$1 role=$2 dir=$3 count=$4 want=0 got
	if ! grep -q '^1 cells, 0 failed their checks' "$dir/bench.out" ||
		grep -q 'skipped:' "$dir/bench.out"; then
		say "$arm $role: the bench run failed: $(tail -n 3 "$dir/bench.err")" \
			"$(grep -m1 -i 'error' "$dir/work/ktlsd.log" 2> /dev/null)"
		return 2
	fi
	case $arm in *-resume) want=$count ;; esac
	# cert,role,arm,concurrency,handshakes,...,resumed (21st),error
	got=$(awk -F, -v a="$arm" '$3 == a { print $5 "/" $21 }' "$dir/bench.csv")
	if [ "$got" != "$count/$want" ]; then
		say "$arm $role: FAILED: handshakes/resumed $got, want $count/$want ($dir/bench.csv)"
		return 1
	fi
}

# key_pid DIR: the key process's pid, from ktlsd's log.
key_pid() {
	sed -n 's/.*key process \([0-9][0-9]*\) started.*/\1/p' "$1/work/ktlsd.log" | head -n 1
}

# daemon_totals DIR: "NETWORK KEYPROC" instructions of a run's ktlsd.
daemon_totals() {
	local dir=$1 kp f net=0 key=0 t
	kp=$(key_pid "$dir")
	for f in "$dir"/ktlsd.*; do
		[ -f "$f" ] || continue
		t=$(callgrind_total "$f")
		if [ -n "$kp" ] && [ "$f" = "$dir/ktlsd.$kp" ]; then
			key=$((key + t))
		else
			net=$((net + t))
		fi
	done
	echo "$net $key"
}

# measure ARM ROLE: runs of N and 2N handshakes; prints "CALLER NETWORK
# KEYPROC" instructions per handshake (2N run minus N run, / N; 0 0 for the
# daemon of an in-process arm), or a reason on stderr and nothing on stdout.
measure() {
	local arm=$1 role=$2 d1=$OUT/$1-$2 d2=$OUT/$1-$2-2n c1 c2 n1 k1 n2 k2
	local count dir try
	for count in "$N" "$((2 * N))"; do
		dir=$d1
		[ "$count" = "$N" ] || dir=$d2
		# under valgrind on a loaded emulated CPU ktlsd's own deadlines
		# can pass: the key process's 5 s answer at start-up ("ktlsd
		# unavailable"), the 2 s for the caller's first request (the
		# warm-up's "Broken pipe").  A failed run is tried again, up to
		# three times; one that ran with the wrong counts is not.
		for try in 1 2 3; do
			say "$arm $role: $count handshakes under callgrind (try $try)"
			run "$arm" "$role" "$count" "$dir"
			bench_ok "$arm" "$role" "$dir" "$count"
			case $? in 0) continue 2 ;; 1) return 1 ;; esac
		done
		return 1
	done
	c1=$(callgrind_total "$d1"/caller.*) c2=$(callgrind_total "$d2"/caller.*)
	if [ "$c2" -le "$c1" ]; then
		say "$arm $role: no usable caller counts ($c1/$c2): see $d1*"
		return 1
	fi
	n1=0 k1=0 n2=0 k2=0
	if is_ktlsd "$arm"; then
		read -r n1 k1 <<< "$(daemon_totals "$d1")"
		read -r n2 k2 <<< "$(daemon_totals "$d2")"
		if [ "$n1" -le 0 ] || [ "$n2" -le "$n1" ] || [ "$k1" -le 0 ]; then
			say "$arm $role: no usable daemon counts (network $n1/$n2," \
				"key process $k1/$k2): see $d1*"
			return 1
		fi
	fi
	if command -v callgrind_annotate > /dev/null; then
		functions "$d1"/caller.* > "$d1/caller-functions.txt"
		functions "$d2"/caller.* > "$d2/caller-functions.txt"
		per_hs_functions "$d1/caller-functions.txt" "$d2/caller-functions.txt" "$N" |
			head -n 60 > "$OUT/$arm-$role-caller-functions.txt"
		if is_ktlsd "$arm"; then
			functions "$d1"/ktlsd.* > "$d1/functions.txt"
			functions "$d2"/ktlsd.* > "$d2/functions.txt"
			per_hs_functions "$d1/functions.txt" "$d2/functions.txt" "$N" \
				> "$OUT/$arm-$role-functions.txt"
		fi
	fi
	echo "$(( (c2 - c1) / N )) $(( (n2 - n1) / N )) $(( (k2 - k1) / N ))"
}

main() {
	local arm role counts caller net key total rc=0
	{
		printf '# callgrind: userspace instructions per handshake (Ir), ECDSA-P256, c=1, N=%s\n' "$N"
		printf '# each: the 2N run minus the N run, / N; caller: the side under test in\n'
		printf '# ktls-bench; ktlsd-net/ktlsd-key: its network and key process; total: all\n'
		[ -z "$SERVER_PROFILE_LINE" ] ||
			printf '# ktlsd server profiles: %s\n' "$SERVER_PROFILE_LINE"
		printf '%-13s %-6s %12s %12s %12s %12s\n' arm role caller ktlsd-net ktlsd-key total
	} > "$OUT/callgrind.txt"
	echo "arm,role,n,caller_ir_per_hs,ktlsd_net_ir_per_hs,ktlsd_key_ir_per_hs,total_ir_per_hs" \
		> "$OUT/callgrind.csv"
	for role in $ROLES; do
		for arm in $ARMS; do
			if ! counts=$(measure "$arm" "$role"); then
				counts="? ? ?"
				rc=1
			fi
			read -r caller net key <<< "$counts"
			total="?"
			[ "$caller" != "?" ] && total=$((caller + net + key))
			printf '%-13s %-6s %12s %12s %12s %12s\n' "$arm" "$role" "$caller" "$net" \
				"$key" "$total" >> "$OUT/callgrind.txt"
			echo "$arm,$role,$N,$caller,$net,$key,$total" >> "$OUT/callgrind.csv"
		done
	done
	cat "$OUT/callgrind.txt"
	return "$rc"
}

{ main "$@"; exit; }
