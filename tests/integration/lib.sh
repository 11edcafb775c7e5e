# shellcheck shell=bash
# tests/integration/lib.sh - helpers for integration test scripts (sourced).
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# TAP:     tap_ok NAME | tap_not_ok NAME | tap_check NAME CMD... |
#          tap_skip NAME REASON | tap_relay < FILE | diag MSG... | tap_done |
#          tap_skip_all NAME REASON
# Files:   ktls_tmpdir PREFIX (a temp dir removed at exit; KTLS_KEEP_TMP=1
#          keeps it) | gen_test_certs DIR [HOSTNAME]
# Exit:    at_exit CMD... (run at exit, last registered first; lib.sh owns
#          the EXIT trap, so register cleanups here instead of trapping)
# Procs:   stop_pid PID | stop_bg_pids (the caller's PIDS array)
# Network: pick_port | port_listening PORT | wait_for_port PORT [SECONDS [PID]]
# Kernel:  tls_stat NAME (a /proc/net/tls_stat counter, -1 if unknown) |
#          hs_trigger_ko (the test module's path for the running kernel) |
#          has_handshake_family (the kernel's genl "handshake" family exists)
# Misc:    sha256_of FILE | make_pattern_file FILE MIB | need_cmd CMD...
# systemd: boot_and_judge TARGET [UNIT...] (all of it: the next five) |
#          boot_systemd TARGET [UNIT...] | systemd_state PID [UNIT...] |
#          cgroup_state | restore_cgroups | check_nothing_left MOUNTS_BEFORE
#          (systemd as PID 1 of a PID+mount namespace, in the VM)
#
# TAP numbering is per script: TAP_N counts lines, TAP_FAILED the failures;
# tap_done prints the plan "1..N" and returns 1 if anything failed.
# $BUILD (default build) is where the test programs are.

BUILD=${BUILD:-build}
TAP_N=0
TAP_FAILED=0
_KTLS_TMPDIRS=()
_KTLS_AT_EXIT=()

# ---- TAP ---------------------------------------------------------------------

diag() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<< "$*"
}

tap_ok() {
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s\n' "$TAP_N" "$1"
}

tap_not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$TAP_N" "$1"
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	printf 'ok %d - %s # SKIP %s\n' "$TAP_N" "$1" "$2"
}

# tap_check NAME CMD...: one TAP line from CMD's exit status; CMD's output
# becomes diagnostics.
tap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && diag "$out"
	if [ "$rc" -eq 0 ]; then tap_ok "$name"; else tap_not_ok "$name"; fi
	return "$rc"
}

# tap_relay < FILE: pass a helper program's TAP through, numbered in our
# sequence ("ok - x" and "ok 7 - x" both become "ok $TAP_N - x"); "#" lines
# stay as they are, anything else becomes a diagnostic.  Plans are dropped.
tap_relay() {
	local line rest
	while IFS= read -r line; do
		case "$line" in
		"not ok"*)
			rest=${line#not ok}
			rest=${rest#"${rest%%[!0-9 ]*}"}
			TAP_N=$((TAP_N + 1))
			TAP_FAILED=$((TAP_FAILED + 1))
			printf 'not ok %d %s\n' "$TAP_N" "$rest" ;;
		"ok"*)
			rest=${line#ok}
			rest=${rest#"${rest%%[!0-9 ]*}"}
			TAP_N=$((TAP_N + 1))
			printf 'ok %d %s\n' "$TAP_N" "$rest" ;;
		"#"*) printf '%s\n' "$line" ;;
		[0-9]*..[0-9]*) ;;
		"") ;;
		*) printf '# %s\n' "$line" ;;
		esac
	done
}

tap_done() {
	printf '1..%d\n' "$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# tap_skip_all NAME REASON: the whole script is skipped: one skip, the plan, exit 0.
tap_skip_all() {
	tap_skip "$1" "$2"
	tap_done
	exit 0
}

# ---- exit --------------------------------------------------------------------

_ktls_run_at_exit() {
	local i
	for ((i = ${#_KTLS_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_KTLS_AT_EXIT[i]}"
	done
}

at_exit() {
	_KTLS_AT_EXIT+=("$*")
	trap _ktls_run_at_exit EXIT
}

# ---- files -------------------------------------------------------------------

_ktls_cleanup_tmpdirs() {
	local d
	for d in "${_KTLS_TMPDIRS[@]}"; do
		if [ "${KTLS_KEEP_TMP:-0}" = 1 ]; then
			diag "kept $d"
		else
			rm -rf -- "$d"
		fi
	done
}

# ktls_tmpdir PREFIX: make a temp dir, named in $KTLS_TMPDIR, removed when
# the shell exits.  Not in $(...): the exit trap must be the main shell's.
ktls_tmpdir() {
	KTLS_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/${1:-ktls}.XXXXXX") || return 1
	[ ${#_KTLS_TMPDIRS[@]} -gt 0 ] || at_exit _ktls_cleanup_tmpdirs
	_KTLS_TMPDIRS+=("$KTLS_TMPDIR")
}

# gen_test_certs DIR [HOSTNAME]: a throw-away ECDSA P-256 CA (ca.pem, ca.key)
# and a server certificate for HOSTNAME (default localhost, also valid for
# 127.0.0.1) signed by it (server.pem, server.key), with openssl if present,
# else certtool.  Prints which tool it used as a diagnostic.
gen_test_certs() {
	local dir=$1 host=${2:-localhost}
	if command -v openssl >/dev/null; then
		_gen_certs_openssl "$dir" "$host"
	elif command -v certtool >/dev/null; then
		_gen_certs_certtool "$dir" "$host"
	else
		diag "gen_test_certs: neither openssl nor certtool is installed"
		return 1
	fi
}

_gen_certs_openssl() {
	local dir=$1 host=$2
	# A config of our own: the system one (or an OPENSSL_CONF meant for a
	# server) must not change what we generate.
	cat > "$dir/req.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[ca_ext]
	basicConstraints = critical, CA:TRUE
	keyUsage = critical, keyCertSign, cRLSign
	subjectKeyIdentifier = hash
	[server_ext]
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:$host, IP:127.0.0.1
	subjectKeyIdentifier = hash
	authorityKeyIdentifier = keyid
	EOF
	(
		set -e
		cd "$dir"
		export OPENSSL_CONF=req.cnf
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
		openssl req -config req.cnf -new -x509 -key ca.key -subj "/CN=ktls test CA" \
			-days 2 -extensions ca_ext -out ca.pem
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
		openssl req -config req.cnf -new -key server.key -subj "/CN=$host" -out server.csr
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile req.cnf -extensions server_ext -out server.pem
	) > "$dir/certs.log" 2>&1 || { diag "openssl failed:" "$(cat "$dir/certs.log")"; return 1; }
	diag "test CA and server certificate for $host generated with $(openssl version)"
}

_gen_certs_certtool() {
	local dir=$1 host=$2
	cat > "$dir/ca.tmpl" <<-EOF
	cn = "ktls test CA"
	ca
	cert_signing_key
	expiration_days = 2
	EOF
	cat > "$dir/server.tmpl" <<-EOF
	cn = "$host"
	dns_name = "$host"
	ip_address = "127.0.0.1"
	tls_www_server
	signing_key
	expiration_days = 2
	EOF
	(
		set -e
		cd "$dir"
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile ca.key
		certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl \
			--outfile ca.pem
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile server.key
		certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \
			--load-ca-privkey ca.key --template server.tmpl --outfile server.pem
	) > "$dir/certs.log" 2>&1 || { diag "certtool failed:" "$(cat "$dir/certs.log")"; return 1; }
	diag "test CA and server certificate for $host generated with certtool"
}

# make_pattern_file FILE MIB: MIB MiB of random bytes.
make_pattern_file() {
	local file=$1 mib=$2
	head -c "$((mib * 1024 * 1024))" /dev/urandom > "$file" &&
		[ "$(stat -c %s "$file")" -eq "$((mib * 1024 * 1024))" ]
}

sha256_of() {
	local sum
	sum=$(sha256sum < "$1") || return 1
	printf '%s\n' "${sum%% *}"
}

# hs_trigger_ko: where tests/kmod/build.sh put the test module for the
# running kernel ($BUILD/kmod/<release>/, one per VM lane), else the
# default lane's $BUILD/kmod/hs_trigger.ko (the caller checks its vermagic).
hs_trigger_ko() {
	local ko
	ko=$BUILD/kmod/$(uname -r)/hs_trigger.ko
	[ -f "$ko" ] || ko=$BUILD/kmod/hs_trigger.ko
	printf '%s\n' "$ko"
}

# has_handshake_family: does this kernel have the generic netlink family
# "handshake" (CONFIG_NET_HANDSHAKE, Linux 6.5+; not Debian 12's 6.1)?
# Asks `ktls check`; exit 2 when that cannot answer.
has_handshake_family() {
	local out
	out=$("$BUILD/ktls" check 2>/dev/null | grep 'genl "handshake" family') || return 2
	case "$out" in
	*present*) return 0 ;;
	*absent*) return 1 ;;
	*) return 2 ;;
	esac
}

# need_cmd CMD...: succeed if all are installed, else name the missing ones.
need_cmd() {
	local c missing=()
	for c in "$@"; do
		command -v "$c" >/dev/null || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "missing ${missing[*]}"
	return 1
}

# ---- processes ---------------------------------------------------------------

# stop_pid PID: kill a background process and reap it; nothing if PID is empty.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# stop_bg_pids: kill every process in the caller's PIDS array, reap them, empty it.
stop_bg_pids() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	PIDS=()
}

# ---- ktlsd instances named in $W ---------------------------------------------
# For suites that run several daemons: ktlsd NAME reads $W/NAME.conf (which
# says socket = $W/NAME.sock) and logs to $W/NAME.log; every process
# started here goes into the caller's PIDS (stop_bg_pids stops them).

# why_not_root_ktls: why a suite that runs ktlsd as root over kTLS cannot
# run here, on stdout; nothing when it can (the tls module is loaded).
why_not_root_ktls() {
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (kTLS, ktlsd as in the VM)"
		return
	fi
	modprobe tls 2> /dev/null
	grep -q '^tls ' /proc/modules 2> /dev/null || [ -d /sys/module/tls ] ||
		echo "no kTLS in this kernel"
}

# ktlsd_named_start NAME: starts $KTLSD for $W/NAME.conf, waits up to 20 s
# for its socket; sets PID_NAME.  Says why and returns 1 if it did not
# come up (the process is stopped).
ktlsd_named_start() {
	local name=$1 i pid
	rm -f "$W/$name.sock"
	"$KTLSD" --foreground --config "$W/$name.conf" > "$W/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 200; i++)); do
		[ -S "$W/$name.sock" ] && break
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	if [ ! -S "$W/$name.sock" ]; then
		diag "ktlsd $name did not come up:" "$(cat "$W/$name.log")"
		stop_pid "$pid"
		return 1
	fi
	printf -v "PID_$name" '%s' "$pid"
}

# ktls_serve_named NAME KTLSD [ARGS...]: `$KTLS serve` of $W/root through
# ktlsd KTLSD on a free port, with ARGS; sets PORT_NAME.
ktls_serve_named() {
	local name=$1 sock=$2 port serve
	shift 2
	port=$(pick_port) || return 1
	KTLS_SOCKET=$W/$sock.sock "$KTLS" serve --root "$W/root" --port "$port" "$@" \
		> "$W/serve-$name.log" 2>&1 &
	serve=$!
	PIDS+=("$serve")
	wait_for_port "$port" 20 "$serve" || {
		diag "ktls serve $name did not come up:" "$(cat "$W/serve-$name.log")"
		return 1
	}
	printf -v "PORT_$name" '%s' "$port"
}

# memcached_start: $MEMCACHED (or memcached) on 127.0.0.1:$MC_PORT, 16 MB,
# no UDP, logging to $W/memcached.log; sets MC_PID.
memcached_start() {
	"${MEMCACHED:-memcached}" -u nobody -l 127.0.0.1 -p "$MC_PORT" -U 0 -m 16 \
		2> "$W/memcached.log" &
	MC_PID=$!
	PIDS+=("$MC_PID")
	wait_for_port "$MC_PORT" 20 "$MC_PID"
}

# ---- network -----------------------------------------------------------------

# port_socket PORT [STATE]: has a TCP socket (IPv4 or IPv6) PORT as its
# local port, in STATE (hex, as in /proc: 0A is LISTEN) or in any state?
# Reads /proc, so it never connects (a connection would use up a server
# started with -naccept 1); pure bash, because every fork counts under an
# emulated CPU.
port_socket() {
	local hex f _ local_address state
	printf -v hex '%04X' "$1"
	for f in /proc/net/tcp /proc/net/tcp6; do
		[ -r "$f" ] || continue
		# "sl local_address rem_address st ...": ADDR:PORT in hex
		while read -r _ local_address _ state _; do
			[ "${local_address##*:}" = "$hex" ] && [ -z "${2:-}" -o "$state" = "${2:-}" ] &&
				return 0
		done < "$f"
	done
	return 1
}

# port_listening PORT: is a TCP socket listening on PORT?
port_listening() {
	port_socket "$1" 0A
}

# pick_port: a port from 20000 up to the start of the kernel's ephemeral
# range (so no outgoing connection can take it before our server binds it:
# "Address already in use" seen in the VM), that no socket uses right now.
pick_port() {
	local port low=32768 _
	read -r low _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null
	[ "$low" -gt 21000 ] 2>/dev/null || low=60000	# odd range: the old 20000..59999
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % (low - 20000)))
		port_socket "$port" || { echo "$port"; return 0; }
	done
	return 1
}

# wait_for_port PORT [SECONDS [PID]]: until something listens on PORT; fails
# after SECONDS (default 20) or as soon as process PID (the server) is gone.
wait_for_port() {
	local port=$1 seconds=${2:-20} pid=${3:-} i
	for ((i = 0; i < seconds * 10; i++)); do
		port_listening "$port" && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# ---- kernel ------------------------------------------------------------------

# tls_stat NAME: one counter of /proc/net/tls_stat (TlsTxSw, TlsCurrRxSw...),
# -1 if the file or the counter does not exist.
tls_stat() {
	local v
	v=$(awk -v n="$1" '$1 == n { print $2; found = 1 } END { exit !found }' \
		/proc/net/tls_stat 2>/dev/null) || v=-1
	echo "$v"
}

# ---- systemd as PID 1 of a namespace (t_systemd.sh, t_package.sh) ------------
# The caller sets W (its work directory), RUNNER_START_WAIT and SYSTEMD_WAIT
# (seconds) and writes its units; see t_systemd.sh for the whole sequence.

# boot_systemd TARGET [UNIT...]: systemd as PID 1 of new PID and mount
# namespaces (a "container"): its own /run and cgroup2 mount, TARGET,
# logging to the kernel log.  TARGET holds the caller's runner service,
# which touches $W/inside.started first and $W/inside.done last and ends
# with SuccessAction=exit-force.  Returns once the runner is done and
# systemd has exited, or after killing it: when the runner has not started
# within RUNNER_START_WAIT seconds or is not done within SYSTEMD_WAIT, or
# systemd lingers after it (BOOT_PROBLEM says which; with the state of the
# UNITs).  --kill-child takes the whole namespace along with unshare.
boot_systemd() {
	local target=$1 pid sd i rc
	shift
	BOOT_PROBLEM=''
	unshare --pid --mount --fork --mount-proc --propagation private --kill-child \
		env -i container=ktlsd-vm PATH="$PATH" /bin/sh -c '
		mount -t tmpfs -o mode=755 tmpfs /run &&
		mount -t cgroup2 cgroup2 /sys/fs/cgroup &&
		exec /lib/systemd/systemd --system --unit="$0" \
			--log-target=kmsg --log-level=info --show-status=no' "$target" \
		> "$W/systemd.log" 2>&1 < /dev/null &
	pid=$!
	for ((i = 0; i < SYSTEMD_WAIT; i++)); do
		[ -e "$W/inside.done" ] && break
		kill -0 "$pid" 2>/dev/null || break
		if [ "$i" -ge "$RUNNER_START_WAIT" ] && [ ! -e "$W/inside.started" ]; then
			BOOT_PROBLEM="the runner service did not start within $RUNNER_START_WAIT s"
			break
		fi
		sleep 1
	done
	if [ -z "$BOOT_PROBLEM" ] && kill -0 "$pid" 2>/dev/null && [ ! -e "$W/inside.done" ]; then
		BOOT_PROBLEM="the runner was not done within $SYSTEMD_WAIT s"
	fi
	if [ -z "$BOOT_PROBLEM" ]; then
		for ((i = 0; i < 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 1
		done
		kill -0 "$pid" 2>/dev/null &&
			BOOT_PROBLEM="systemd did not exit within 20 s of the runner's end (SuccessAction=exit-force)"
	fi
	sd=$(pgrep -P "$pid" -x systemd)
	if [ -n "$BOOT_PROBLEM" ]; then
		diag "$BOOT_PROBLEM: killing systemd's namespace" "$(systemd_state "$pid" "$@")"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null		# no "Killed" notice
	rc=$?
	# SIGKILL by --kill-child, if unshare went first: systemd's cgroups
	# are busy until it is gone.
	for ((i = 0; i < 100; i++)); do
		[ -n "$sd" ] && [ -e "/proc/$sd" ] || break
		sleep 0.1
	done
	return "$rc"
}

# systemd_state UNSHARE_PID [UNIT...]: what systemd in there is doing, bounded.
systemd_state() {
	local ns=$1 sd
	shift
	sd=$(pgrep -P "$ns" | head -n 1)
	[ -n "$sd" ] || { echo "(no systemd process under unshare $ns)"; return; }
	echo "jobs:"
	timeout 10 nsenter -t "$sd" -m -p systemctl list-jobs --no-pager 2>&1
	[ $# -eq 0 ] || timeout 10 nsenter -t "$sd" -m -p systemctl status --no-pager --lines=5 \
		"$@" 2>&1 | tail -n 40
	echo "processes:"
	ps -eo pid,ppid,stat,etime,args | grep -v ' \[' | tail -n 25
}

# systemd makes cgroups (init.scope, system.slice, ...) in the VM's one
# cgroup2 hierarchy and enables controllers at its root; both outlive its
# namespace.  cgroup_state records them before, restore_cgroups removes the
# (empty) new cgroups and disables the new controllers after (the state
# before in $W/cgroups.before), so that the suites after us find the VM as
# it was.
cgroup_state() {		# "controllers: LIST", then one cgroup directory a line
	unshare --mount --propagation private /bin/sh -c '
		mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1
		echo "controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
		find /sys/fs/cgroup -mindepth 1 -type d'
}

restore_cgroups() {
	[ -s "$W/cgroups.before" ] || return 0
	unshare --mount --propagation private /bin/bash -c '
		mount -t cgroup2 cgroup2 /sys/fs/cgroup || exit 1
		before=$(cat "$1")
		find /sys/fs/cgroup -mindepth 1 -type d | sort -r | while read -r d; do
			grep -qxF "$d" <<< "$before" || rmdir "$d" || echo "cgroup $d left behind"
		done
		for c in $(cat /sys/fs/cgroup/cgroup.subtree_control); do
			grep -q "^controllers:.* $c\( \|$\)" <<< "$before" ||
				echo "-$c" > /sys/fs/cgroup/cgroup.subtree_control ||
				echo "controller $c left enabled"
		done' restore "$W/cgroups.before" 2>&1
}

# check_nothing_left MOUNTS_BEFORE: the suites after us get the VM as it was:
# no process in another PID namespace (systemd's is gone with everything in
# it), as many mounts as before, the same cgroups and root controllers.
check_nothing_left() {
	local p ours others='' mounts now
	ours=$(readlink /proc/self/ns/pid)
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ours" ] ||
			[ ! -e "$p/ns/pid" ] || others+=" ${p#/proc/}($(cat "$p/comm" 2>/dev/null))"
	done
	mounts=$(wc -l < /proc/self/mounts)
	now=$(cgroup_state 2>&1)
	if [ -z "$others" ] && [ "$mounts" = "$1" ] && [ "$now" = "$(cat "$W/cgroups.before")" ]; then
		tap_ok "nothing left behind: no process of the namespace, mounts and cgroups as before"
	else
		tap_not_ok "nothing left behind: no process of the namespace, mounts and cgroups as before"
		diag "processes in other PID namespaces:${others:- none}" \
			"mounts: $1 before, $mounts now" \
			"cgroups before:" "$(cat "$W/cgroups.before")" "cgroups now:" "$now"
	fi
}

# boot_and_judge TARGET [UNIT...]: the whole run: record the cgroups and
# mounts, boot_systemd, restore the cgroups, relay the runner's TAP
# ($W/inside.tap), a "not ok" when the boot did not end as it should, and
# check_nothing_left.  KMSG_BEFORE: the kernel log's lines before the boot.
boot_and_judge() {
	local rc missing mounts_before
	cgroup_state > "$W/cgroups.before" 2> "$W/cgroups.err" ||
		diag "cannot read the cgroup tree before: $(cat "$W/cgroups.err")"
	mounts_before=$(wc -l < /proc/self/mounts)
	KMSG_BEFORE=$(dmesg | wc -l)
	boot_systemd "$@"
	rc=$?
	missing=$(restore_cgroups)
	[ -z "$missing" ] || diag "$missing"
	diag "systemd (PID 1 of its namespace) exited with $rc"
	if [ -s "$W/inside.tap" ]; then
		tap_relay < "$W/inside.tap"
	fi
	if [ -n "$BOOT_PROBLEM" ]; then
		tap_not_ok "systemd ran the runner to its end and exited: $BOOT_PROBLEM"
	elif [ ! -s "$W/inside.tap" ]; then
		tap_not_ok "the runner service under systemd reported something"
	elif [ ! -e "$W/inside.done" ]; then
		tap_not_ok "the runner ran to its end (not stopped by TimeoutStartSec=$((SYSTEMD_WAIT - 15)))"
	elif [ "$rc" -ne 0 ] && [ "$TAP_FAILED" -eq 0 ]; then
		tap_not_ok "systemd exited with 0 after the runner (got $rc)"
	fi
	check_nothing_left "$mounts_before"
}
