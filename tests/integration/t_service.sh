#!/usr/bin/env bash
# t_service.sh - ktlsd as a system service, without systemd as PID 1:
#
#  - the units: `systemd-analyze verify` of systemd/ktlsd.{service,socket}
#    (paths substituted as `make install` does) and the exposure score of
#    `systemd-analyze security --offline=yes` below 2.0;
#  - the user: systemd-sysusers creates "ktlsd" from systemd/ktlsd.sysusers
#    (in the VM; natively only when the user already exists);
#  - privilege drop: ktlsd started as root with user = ktlsd runs as ktlsd
#    (ps, /proc/PID/status of every thread: uids, gids, groups, CapEff and
#    CapBnd CAP_NET_ADMIN only while the netlink door is open, NoNewPrivs);
#    with --no-netlink no capability at all; refused (non-zero exit) when
#    the user cannot be applied (no CAP_SETUID);
#  - readiness: READY=1 (with MAINPID) on $NOTIFY_SOCKET only once serving,
#    RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 on SIGTERM;
#  - reload after the drop reads a key file owned by ktlsd; a key file made
#    group-readable is refused at reload (the old config keeps serving) and
#    at start; a root-owned key is refused at start, because it would be
#    unreadable at the next reload;
#  - `ktls status` (text and --prometheus) after real handshakes on both
#    roles: counters, failure reasons, per-profile counts, histogram count
#    equal to ok + failed; refused for a stranger, allowed for a member of
#    ktlsd's group;
#  - socket activation: systemd-socket-activate --seqpacket starts ktlsd on
#    the first connection with the socket as fd 3; ktlsd serves it, leaves
#    its file in place on exit, and refuses a stream socket;
#  - the key process: one child "ktlsd: keys" as ktlsd, no capabilities, one
#    thread and one socket per signer (fds 0-2, then the sockets); after real server handshakes (which it signed)
#    the EC private scalar of the key file is in its memory and nowhere in
#    the network process's (/proc/PID/mem searched for the scalar's bytes
#    in both byte orders); the same search finds it in the network process
#    of a ktlsd run with KTLSD_KEYPROC=0, so the check can fail; killing
#    the key process is logged and stops ktlsd with status 1 (systemd's
#    Restart=on-failure brings it back); the key process runs under its
#    seccomp filter (Seccomp: 2) and still loads at SIGHUP and signs, with
#    the EC key and with an RSA key loaded by a second SIGHUP;
#  - a compromised network process (build/tests/ktlsd-attack: ktlsd plus a
#    probe that runs in the network process right after its sandbox, with
#    exactly its ids, capabilities and Landlock domain), started as root
#    with user = ktlsd and started as ktlsd itself: open+read of the key
#    file and of the PSK file, read of the key process's /proc/PID/mem,
#    ptrace attach and process_vm_readv all fail, while the same reads of
#    itself (process_vm_readv) and of /etc/passwd work (the controls); that ktlsd
#    then reloads (config, certificate and PSK file through the key
#    process) and serves a handshake; `ktls status` names the protections;
#  - with log = syslog (a listener on /dev/log, in the VM), the key
#    process's lines reach syslog and none reaches ktlsd as a malformed
#    key-process answer (its syslog socket was fd 3, replaced by its
#    socketpair).
# Needs root and a kTLS kernel (the VM); skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$(realpath -m "$BUILD/ktlsd")
ATTACK=$(realpath -m "$BUILD/tests/ktlsd-attack")
KTLS=$(realpath -m "$BUILD/ktls")
PY=/usr/bin/python3
START_WAIT=120			# seconds: the emulated CPU probes ciphers slowly
PIDS=()
KTLSD_PID=''

skip_all() { tap_skip_all "ktlsd as a service" "$1"; }

cleanup() {
	stop_bg_pids
	_ktls_cleanup_tmpdirs
}

# ---- helpers -------------------------------------------------------------------

# notify_listener FILE: a datagram socket at FILE.sock whose messages are
# appended to FILE, one per line with newlines shown as '|'.
notify_listener() {
	"$PY" - "$1" <<-'EOF' &
	import os, socket, sys
	log = sys.argv[1]
	s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
	s.bind(log + ".sock")
	os.chmod(log + ".sock", 0o666)	# ktlsd sends after dropping root
	open(log, "w").close()
	while True:
	    msg = s.recv(4096).decode(errors="replace").replace("\n", "|")
	    with open(log, "a") as f:
	        f.write(msg + "\n")
	EOF
	PIDS+=("$!")
	wait_for_file "$1.sock" 20
}

wait_for_file() {	# wait_for_file PATH SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_for_line FILE PATTERN SECONDS [PID]: grep -E PATTERN appears in FILE.
wait_for_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && break
		sleep 0.1
	done
	grep -qE "$2" "$1" 2>/dev/null
}

# start_ktlsd NAME CONFIG [ARGS...]: in the background with NOTIFY_SOCKET
# pointing at $W/NAME.notify.sock; sets KTLSD_PID; waits for READY=1.
start_ktlsd() {
	local name=$1 config=$2
	shift 2
	notify_listener "$W/$name.notify" || { diag "no notify listener"; return 1; }
	NOTIFY_SOCKET=$W/$name.notify.sock "$KTLSD" --foreground --config "$config" "$@" \
		> "$W/$name.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	wait_for_line "$W/$name.notify" '^READY=1' "$START_WAIT" "$KTLSD_PID" && return 0
	diag "ktlsd ($name) did not become ready; its log:" "$(cat "$W/$name.log")"
	return 1
}

stop_ktlsd() {	# stop_ktlsd PID: SIGTERM, then its exit status
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

running() {	# running PID: exists and is not a zombie (init may not reap it)
	[ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

proc_field() {	# proc_field PID FIELD: a /proc/PID/status value, tabs as spaces
	awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"
}

write_config() {	# write_config FILE KEY-FILE SOCKET [GLOBAL-LINES...]
	local file=$1 key=$2 socket=$3
	shift 3
	{
		echo "[global]"
		echo "socket = $socket"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		cat <<-EOF
		server_profile = web
		client_profile = local

		[profile web]
		role = server
		certificate = $W/server.pem
		key = $key
		server_names = localhost

		[profile local]
		role = client
		ca_file = $W/ca.pem
		verify = required
		EOF
	} > "$file"
}

# ---- units ----------------------------------------------------------------------

test_units() {
	local units=$W/units score out
	mkdir -p "$units"
	# what `make install` does: the installed sbin path in ExecStart=
	sed "s|/usr/local/sbin|$(dirname "$KTLSD")|g" systemd/ktlsd.service > "$units/ktlsd.service"
	cp systemd/ktlsd.socket "$units/"
	if out=$(cd "$units" && systemd-analyze verify --man=no ./ktlsd.socket ./ktlsd.service 2>&1) &&
	   [ -z "$out" ]; then
		tap_ok "systemd-analyze verify: ktlsd.service and ktlsd.socket are clean"
	else
		tap_not_ok "systemd-analyze verify: ktlsd.service and ktlsd.socket are clean"
		diag "$out"
	fi
	out=$(systemd-analyze security --offline=yes "$units/ktlsd.service" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for ktlsd.service: \([0-9.]*\).*/\1/p' <<< "$out")
	diag "systemd-analyze security: exposure ${score:-unknown}"
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then
		tap_ok "systemd-analyze security --offline=yes: exposure $score < 2.0"
	else
		tap_not_ok "systemd-analyze security --offline=yes: exposure ${score:-?} < 2.0"
		diag "$(grep -E '✗|Overall' <<< "$out")"
	fi
}

test_sysusers() {
	getent passwd ktlsd >/dev/null && diag "user ktlsd already exists"
	if systemd-sysusers "$PWD/systemd/ktlsd.sysusers" > "$W/sysusers.log" 2>&1 &&
	   KTLSD_UID=$(id -u ktlsd) && KTLSD_GID=$(getent group ktlsd | cut -d: -f3) &&
	   [ "$KTLSD_UID" != 0 ] && [ "$(getent passwd ktlsd | cut -d: -f7)" = /usr/sbin/nologin ]
	then
		tap_ok "systemd-sysusers creates user and group ktlsd (uid $KTLSD_UID, gid $KTLSD_GID)"
		return 0
	fi
	tap_not_ok "systemd-sysusers creates user and group ktlsd"
	diag "$(cat "$W/sysusers.log")"
	return 1
}

# ---- privilege drop and readiness -------------------------------------------------

check_ids() {	# check_ids PID CAPS-HEX LABEL: every thread runs as ktlsd with CAPS
	local pid=$1 caps=$2 label=$3 task bad=''
	for task in /proc/"$pid"/task/*; do
		task=${task##*/}
		[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$pid/task/$task/status")" = \
		  "$KTLSD_UID $KTLSD_UID $KTLSD_UID $KTLSD_UID" ] || bad+=" uid($task)"
		[ "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$pid/task/$task/status")" = \
		  "$KTLSD_GID $KTLSD_GID $KTLSD_GID $KTLSD_GID" ] || bad+=" gid($task)"
		[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$pid/task/$task/status")" = "$caps" ] ||
			bad+=" CapEff($task)"
	done
	[ "$(proc_field "$pid" Groups)" = "$KTLSD_GID" ] || bad+=" groups"
	[ "$(proc_field "$pid" CapPrm)" = "$caps" ] || bad+=" CapPrm"
	[ "$(proc_field "$pid" CapBnd)" = "$caps" ] || bad+=" CapBnd"
	[ "$(proc_field "$pid" CapAmb)" = 0000000000000000 ] || bad+=" CapAmb"
	[ "$(proc_field "$pid" NoNewPrivs)" = 1 ] || bad+=" NoNewPrivs"
	[ "$(ps -o user= -p "$pid" | tr -d ' ')" = ktlsd ] || bad+=" ps-user"
	if [ -z "$bad" ]; then
		tap_ok "$label"
	else
		tap_not_ok "$label"
		diag "wrong:$bad" "$(grep -E '^(Uid|Gid|Groups|Cap|NoNewPrivs)' "/proc/$pid/status")"
	fi
}

test_drop_and_ready() {
	local notify=$W/main.notify
	write_config "$W/ktlsd.conf" "$W/server.key" "$W/ktlsd.sock" "user = ktlsd" "group = ktlsd"
	if ! start_ktlsd main "$W/ktlsd.conf"; then
		tap_not_ok "ktlsd started as root with user = ktlsd becomes ready"
		return 1
	fi
	tap_ok "ktlsd started as root with user = ktlsd sends READY=1 on \$NOTIFY_SOCKET"
	diag "notify: $(cat "$notify")"
	tap_check "READY=1 names ktlsd's pid (MAINPID=$KTLSD_PID)" \
		grep -q "^READY=1|.*MAINPID=$KTLSD_PID\$" "$notify"
	# READY comes after the drop: nothing ktlsd says after it is root's
	if grep -q 'info: running as user ktlsd' "$W/main.log" &&
	   [ "$(grep -n 'info: running as user ktlsd' "$W/main.log" | cut -d: -f1)" -lt \
	     "$(grep -n ' ready (config' "$W/main.log" | cut -d: -f1)" ]; then
		tap_ok "the log says the drop happened before ready"
	else
		tap_not_ok "the log says the drop happened before ready"
		diag "$(cat "$W/main.log")"
	fi
	diag "$(grep 'netlink door' "$W/main.log")"
	# CAP_NET_ADMIN is kept whenever the door is wanted (it opens after the drop)
	check_ids "$KTLSD_PID" 0000000000001000 \
		"every thread runs as ktlsd:ktlsd, groups ktlsd only, CAP_NET_ADMIN only, no_new_privs"
}

test_no_netlink_no_caps() {
	local pid kp
	write_config "$W/nonl.conf" "$W/server.key" "$W/nonl.sock" "user = ktlsd"
	if start_ktlsd nonl "$W/nonl.conf" --no-netlink; then
		pid=$KTLSD_PID
		check_ids "$pid" 0000000000000000 "with --no-netlink: ktlsd keeps no capability at all"
		kp=$(key_process_of "$pid")
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		for _ in $(seq 50); do [ -n "$kp" ] && running "$kp" && sleep 0.1; done
		if [ -n "$kp" ] && ! running "$kp"; then
			tap_ok "ktlsd killed with SIGKILL: its key process $kp ends too (PR_SET_PDEATHSIG)"
		else
			tap_not_ok "ktlsd killed with SIGKILL: its key process (${kp:-none}) ends too"
		fi
	else
		tap_not_ok "with --no-netlink: ktlsd keeps no capability at all"
	fi
}

# refused CAPABILITY MESSAGE: ktlsd as root without CAPABILITY must exit
# non-zero with MESSAGE in its log, never reaching ready.
refused() {
	local cap=$1 message=$2 rc
	timeout "$START_WAIT" setpriv --bounding-set "-$cap" "$KTLSD" --foreground \
		--config "$W/nonl.conf" --no-netlink > "$W/refused-$cap.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "$message" "$W/refused-$cap.log" &&
	   ! grep -q ' ready (config' "$W/refused-$cap.log"; then
		tap_ok "root without CAP_${cap^^}: ktlsd refuses to run (exit $rc) instead of staying root"
	else
		tap_not_ok "root without CAP_${cap^^}: ktlsd refuses to run instead of staying root (exit $rc)"
		diag "$(cat "$W/refused-$cap.log")"
	fi
}

test_drop_refused() {
	# cannot even take the user's ids to load the credentials
	refused setuid "cannot take the ids of user ktlsd to load credentials"
	# loads them, but cannot shrink the bounding set: the drop itself fails
	refused setpcap "refusing to keep running as root"
}

# ---- reload and key files ---------------------------------------------------------

test_reload() {
	local notify=$W/main.notify before
	before=$(grep -c '' "$notify")
	kill -HUP "$KTLSD_PID"
	if wait_for_line "$W/main.log" 'configuration reloaded' 60 "$KTLSD_PID" &&
	   wait_for_line "$notify" '^READY=1\|STATUS=configuration reloaded' 10 &&
	   tail -n +"$((before + 1))" "$notify" | head -1 | grep -q '^RELOADING=1|.*MONOTONIC_USEC=[0-9]'; then
		tap_ok "SIGHUP as ktlsd: key file owned by ktlsd reloaded; RELOADING=1 then READY=1"
	else
		tap_not_ok "SIGHUP as ktlsd: key file owned by ktlsd reloaded; RELOADING=1 then READY=1"
		diag "$(tail -n 5 "$W/main.log")" "notify:" "$(cat "$notify")"
	fi
}

test_group_readable_key() {
	local rc
	chmod 640 "$W/server.key"
	kill -HUP "$KTLSD_PID"
	if wait_for_line "$W/main.log" 'reload failed' 60 "$KTLSD_PID" &&
	   grep -q "key file $W/server.key is readable by group/others" "$W/main.log" &&
	   kill -0 "$KTLSD_PID"; then
		tap_ok "SIGHUP with a group-readable key file: refused, old configuration keeps serving"
	else
		tap_not_ok "SIGHUP with a group-readable key file: refused, old configuration keeps serving"
		diag "$(tail -n 5 "$W/main.log")"
	fi
	timeout "$START_WAIT" "$KTLSD" --check --config "$W/ktlsd.conf" > "$W/check640.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'readable by group/others' "$W/check640.log"; then
		tap_ok "ktlsd -n with a group-readable key file fails (exit $rc)"
	else
		tap_not_ok "ktlsd -n with a group-readable key file fails (exit $rc)"
		diag "$(cat "$W/check640.log")"
	fi
	chmod 600 "$W/server.key"
}

test_root_key_refused() {
	local rc
	cp -p "$W/server.key" "$W/root.key"
	chown root:root "$W/root.key"
	chmod 600 "$W/root.key"
	write_config "$W/rootkey.conf" "$W/root.key" "$W/rootkey.sock" "user = ktlsd"
	timeout "$START_WAIT" "$KTLSD" --check --config "$W/rootkey.conf" > "$W/rootkey.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q "$W/root.key: Permission denied" "$W/rootkey.log"; then
		tap_ok "user = ktlsd and a key only root can read: refused at start, not at the first reload"
	else
		tap_not_ok "user = ktlsd and a key only root can read: refused at start (exit $rc)"
		diag "$(cat "$W/rootkey.log")"
	fi
}

# ---- status ---------------------------------------------------------------------

handshakes() {
	local port i
	mkdir -p "$W/root" && echo hello > "$W/root/hello.txt"
	port=$(pick_port) || return 1
	KTLS_SOCKET=$W/ktlsd.sock "$KTLS" serve --root "$W/root" --port "$port" \
		> "$W/serve.log" 2>&1 &
	PIDS+=("$!")
	wait_for_port "$port" 30 "$!" || { diag "ktls serve:" "$(cat "$W/serve.log")"; return 1; }
	for i in 1 2 3; do
		timeout 60 curl -sS --cacert "$W/ca.pem" "https://localhost:$port/hello.txt" \
			> "$W/curl$i.out" 2>&1 || diag "curl $i: $(cat "$W/curl$i.out")"
	done
	# curl does not know our CA: it aborts the handshake, ktlsd's fails
	timeout 60 curl -sS "https://localhost:$port/hello.txt" > "$W/curl-untrusted.out" 2>&1 &&
		diag "curl without the CA succeeded?"
	KTLS_SOCKET=$W/ktlsd.sock timeout 60 "$KTLS" get "https://localhost:$port/hello.txt" \
		-o "$W/get.out" 2> "$W/get.err" || diag "ktls get: $(cat "$W/get.err")"
	sleep 1		# the server side of the last handshake is counted on its worker
}

test_status() {
	local out prom ok failed total
	handshakes
	out=$("$KTLS" status --socket "$W/ktlsd.sock" 2>&1)
	diag "$out"
	ok=$(sed -n 's/^handshakes: *\([0-9]*\) ok, \([0-9]*\) failed.*/\1/p' <<< "$out")
	failed=$(sed -n 's/^handshakes: *\([0-9]*\) ok, \([0-9]*\) failed.*/\2/p' <<< "$out")
	if [ "${ok:-0}" -ge 5 ] && [ "${failed:-0}" -ge 1 ] &&
	   grep -q '^ktlsd [0-9.]*, up ' <<< "$out" &&
	   grep -q '^doors: *unix active, netlink ' <<< "$out" &&
	   grep -Eq '^ +web +[4-9][0-9]* +[1-9]' <<< "$out" &&
	   grep -Eq '^ +local +[1-9][0-9]* +0$' <<< "$out" &&
	   grep -Eq '^latency: +p50 <= [0-9]+ ms, p90 <= [0-9]+ ms, p99 <= [0-9]+ ms' <<< "$out" &&
	   grep -Eq '^  E[A-Z0-9]+ +[1-9]' <<< "$out"; then
		tap_ok "ktls status: $ok ok, $failed failed, by reason, by profile (web, local), percentiles"
	else
		tap_not_ok "ktls status shows the handshakes (>= 5 ok, >= 1 failed, web and local)"
	fi
	prom=$("$KTLS" status --prometheus --socket "$W/ktlsd.sock" 2>&1)
	total=$(sed -n 's/^ktlsd_handshake_duration_seconds_count \([0-9]*\)$/\1/p' <<< "$prom")
	ok=$(sed -n 's/^ktlsd_handshakes_total{result="ok"} \([0-9]*\)$/\1/p' <<< "$prom")
	failed=$(sed -n 's/^ktlsd_handshakes_total{result="failed"} \([0-9]*\)$/\1/p' <<< "$prom")
	if [ -n "$total" ] && [ -n "$ok" ] && [ -n "$failed" ] && [ "$total" -eq $((ok + failed)) ] &&
	   grep -q '^ktlsd_handshake_duration_seconds_bucket{le="+Inf"} '"$total"'$' <<< "$prom" &&
	   grep -q '^ktlsd_profile_handshakes_total{profile="web",result="ok"} [1-9]' <<< "$prom" &&
	   grep -q '^# TYPE ktlsd_handshake_duration_seconds histogram$' <<< "$prom"; then
		tap_ok "ktls status --prometheus: counters, histogram count $total = ok + failed"
	else
		tap_not_ok "ktls status --prometheus: counters, histogram count = ok + failed"
		diag "$prom"
	fi
}

test_status_access() {
	local out rc
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$KTLS" status \
		--socket "$W/ktlsd.sock" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q 'refused: uid 65534 may not' <<< "$out"; then
		tap_ok "ktls status as nobody: refused by ktlsd (exit 1)"
	else
		tap_not_ok "ktls status as nobody: refused by ktlsd (exit $rc)"
		diag "$out"
	fi
	out=$(setpriv --reuid 65534 --regid 65534 --groups "$KTLSD_GID" "$KTLS" status \
		--socket "$W/ktlsd.sock" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^handshakes:' <<< "$out"; then
		tap_ok "ktls status as a member of group ktlsd: allowed"
	else
		tap_not_ok "ktls status as a member of group ktlsd: allowed (exit $rc)"
		diag "$out"
	fi
}

test_stopping() {
	local rc
	stop_ktlsd "$KTLSD_PID"
	rc=$?
	if [ "$rc" -eq 0 ] && wait_for_line "$W/main.notify" '^STOPPING=1' 5; then
		tap_ok "SIGTERM: STOPPING=1, exit 0"
	else
		tap_not_ok "SIGTERM: STOPPING=1, exit 0 (exit $rc)"
		diag "$(tail -n 5 "$W/main.log")"
	fi
}

# ---- the key process ------------------------------------------------------------

KEYPROC_PID=''

key_process_of() {	# key_process_of PID: pids of its children named "ktlsd: keys"
	local d
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "ktlsd: keys" ] &&
		[ "$(awk '$1 == "PPid:" { print $2 }' "$d/status" 2>/dev/null)" = "$1" ] &&
			echo "${d#/proc/}"
	done
}

test_key_process() {
	local kp bad='' fds signers want_fds i
	kp=$(key_process_of "$KTLSD_PID")
	if [ -z "$kp" ] || [ "$(wc -w <<< "$kp")" -ne 1 ]; then
		tap_not_ok "ktlsd has one child \"ktlsd: keys\" (found: ${kp:-none})"
		diag "$(ps -ef | grep -i ktlsd)"
		return 1
	fi
	KEYPROC_PID=$kp
	[ "$(cat "/proc/$kp/comm")" = "ktlsd: keys" ] || bad+=" comm"
	[ "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$kp/status")" = \
	  "$KTLSD_UID $KTLSD_UID $KTLSD_UID $KTLSD_UID" ] || bad+=" uid"
	[ "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "/proc/$kp/status")" = \
	  "$KTLSD_GID $KTLSD_GID $KTLSD_GID $KTLSD_GID" ] || bad+=" gid"
	[ "$(proc_field "$kp" CapEff)" = 0000000000000000 ] || bad+=" CapEff"
	[ "$(proc_field "$kp" CapPrm)" = 0000000000000000 ] || bad+=" CapPrm"
	[ "$(proc_field "$kp" CapBnd)" = 0000000000000000 ] || bad+=" CapBnd"
	[ "$(proc_field "$kp" NoNewPrivs)" = 1 ] || bad+=" NoNewPrivs"
	# one thread and one socket (fd 3 on) per signer ([global] signers)
	signers=$(sed -n 's/.*key process [0-9]* started with \([0-9]*\) signer.*/\1/p' \
		"$W/main.log" | tail -n 1)
	[ -n "$signers" ] && [ "$signers" -ge 1 ] || { bad+=" signers(no log line)"; signers=1; }
	[ "$(proc_field "$kp" Threads)" = "$signers" ] || bad+=" Threads"
	fds=$(ls "/proc/$kp/fd" | sort -n | tr '\n' ' ')
	want_fds="0 1 2 "
	for ((i = 0; i < signers; i++)); do
		want_fds+="$((3 + i)) "
		readlink "/proc/$kp/fd/$((3 + i))" | grep -q '^socket:' || bad+=" fd$((3 + i))"
	done
	[ "$fds" = "$want_fds" ] || bad+=" fds($fds)"
	if [ -z "$bad" ]; then
		tap_ok "key process $kp \"ktlsd: keys\": ktlsd:ktlsd, no capabilities, $signers signer thread(s), fds 0-2 and one socket each"
	else
		tap_not_ok "key process $kp runs as ktlsd without capabilities, one thread and one socket per signer ($signers)"
		diag "wrong:$bad" "$(grep -E '^(Uid|Gid|Cap|NoNewPrivs|Threads)' "/proc/$kp/status")"
	fi
	grep -q "key process: running as user ktlsd .* without capabilities" "$W/main.log" ||
		diag "no 'key process: running as user ktlsd' line in the log"
}

# key_hits KEYFILE PID: how many readable mappings of PID hold the EC
# private scalar of KEYFILE (its first 24 bytes big-endian, as in DER, or
# its low 24 bytes little-endian, as in GMP/nettle limbs).
key_hits() {
	"$PY" - "$1" "$2" <<-'EOF'
	import base64, sys
	pem = open(sys.argv[1]).read().splitlines()
	der = base64.b64decode("".join(l for l in pem if l and not l.startswith("-----")))
	i = der.find(b"\x02\x01\x01\x04\x20")	# ECPrivateKey: version 1, 32-byte key
	if i < 0:
	    sys.exit("no EC private key in " + sys.argv[1])
	d = der[i + 5:i + 37]
	needles = (d[:24], d[::-1][:24])
	hits = 0
	with open("/proc/%s/maps" % sys.argv[2]) as maps, \
	     open("/proc/%s/mem" % sys.argv[2], "rb", 0) as mem:
	    for line in maps:
	        span, perms = line.split()[:2]
	        if "r" not in perms:
	            continue
	        lo, hi = (int(x, 16) for x in span.split("-"))
	        try:
	            mem.seek(lo)
	            data = mem.read(hi - lo)
	        except (OSError, ValueError, OverflowError):
	            continue
	        hits += sum(1 for n in needles if n in data)
	print(hits)
	EOF
}

test_key_isolation() {
	local in_net in_keys in_single pid
	[ -n "$KEYPROC_PID" ] || { tap_not_ok "key isolation (no key process)"; return 1; }
	in_keys=$(key_hits "$W/server.key" "$KEYPROC_PID")
	in_net=$(key_hits "$W/server.key" "$KTLSD_PID")
	diag "private scalar found in: key process ${in_keys:-?} mapping(s), network process ${in_net:-?}"
	tap_check "the key process holds the private key (the search works: ${in_keys:-?} hit(s))" \
		test "${in_keys:-0}" -ge 1
	tap_check "the network process, after serving handshakes, holds no trace of it" \
		test "${in_net:-1}" -eq 0
	# the control: without the key process the same search must find it
	write_config "$W/single.conf" "$W/server.key" "$W/single.sock" "user = ktlsd"
	if KTLSD_KEYPROC=0 start_ktlsd single "$W/single.conf" --no-netlink; then
		pid=$KTLSD_PID
		in_single=$(key_hits "$W/server.key" "$pid")
		if [ "${in_single:-0}" -ge 1 ] && [ -z "$(key_process_of "$pid")" ] &&
		   grep -q 'KTLSD_KEYPROC=0' "$W/single.log"; then
			tap_ok "control: KTLSD_KEYPROC=0 has no key process and the key in its memory ($in_single)"
		else
			tap_not_ok "control: KTLSD_KEYPROC=0 keeps the key in the network process (${in_single:-?})"
		fi
		stop_ktlsd "$pid"
		KTLSD_PID=$(cat "$W/main.pid")
	else
		tap_not_ok "control: KTLSD_KEYPROC=0 ktlsd starts"
	fi
}

# one_handshake NAME: a curl over a fresh `ktls serve` of the main ktlsd
# (its server profile signs through the key process); 0 if it fetched.
one_handshake() {
	local port pid rc
	port=$(pick_port) || return 1
	KTLS_SOCKET=$W/ktlsd.sock "$KTLS" serve --root "$W/root" --port "$port" \
		> "$W/serve-$1.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for_port "$port" 30 "$pid" || { kill "$pid"; return 1; }
	timeout 60 curl -sS --cacert "$W/ca.pem" "https://localhost:$port/hello.txt" \
		> "$W/curl-$1.out" 2>&1
	rc=$?
	kill "$pid" 2>/dev/null
	[ "$rc" -eq 0 ] && grep -q '^hello$' "$W/curl-$1.out"
}

# The key process's seccomp filter (keyproc_sandbox() in daemon/keys/keyproc.c):
# on (Seccomp: 2), and what it allows is enough for its real work: the
# same key process has LOADed at start and at the SIGHUP above and signed
# the handshakes of test_status (ECDSA); now an RSA key is loaded by a
# SIGHUP and signs a handshake (RSA-PSS), and the process is still alive.
test_key_process_filter() {
	local kp=$KEYPROC_PID reloads i
	[ -n "$kp" ] || { tap_not_ok "key process seccomp filter (no key process)"; return 1; }
	tap_check "key process $kp: seccomp filter mode (Seccomp: 2), still the same process" \
		test "$(proc_field "$kp" Seccomp)" = 2 -a "$(key_process_of "$KTLSD_PID")" = "$kp"
	if ! (cd "$W" && OPENSSL_CONF=req.cnf openssl genpkey -algorithm RSA \
		-pkeyopt rsa_keygen_bits:2048 -out rsa.key &&
	      openssl req -config req.cnf -new -key rsa.key -subj /CN=localhost -out rsa.csr &&
	      openssl x509 -req -in rsa.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile req.cnf -extensions server_ext -out rsa.pem) > "$W/rsa.log" 2>&1; then
		tap_skip "RSA key through the filtered key process" "no RSA certificate (openssl)"
		return 0
	fi
	chown ktlsd: "$W/rsa.key" && chmod 600 "$W/rsa.key" && chmod 644 "$W/rsa.pem"
	cp "$W/ktlsd.conf" "$W/ktlsd.conf.ec"
	sed -i "s|^certificate = $W/server.pem|certificate = $W/rsa.pem|; s|^key = $W/server.key|key = $W/rsa.key|" \
		"$W/ktlsd.conf"
	reloads=$(grep -c 'configuration reloaded' "$W/main.log")
	kill -HUP "$KTLSD_PID"
	for ((i = 0; i < 600; i++)); do
		[ "$(grep -c 'configuration reloaded' "$W/main.log")" -gt "$reloads" ] && break
		running "$KTLSD_PID" || break
		sleep 0.1
	done
	if [ "$(grep -c 'configuration reloaded' "$W/main.log")" -gt "$reloads" ] &&
	   one_handshake rsa &&
	   grep -qi 'rsaEncryption' <(openssl x509 -in "$W/rsa.pem" -noout -text) &&
	   [ "$(proc_field "$kp" Seccomp)" = 2 ] && running "$kp" && running "$KTLSD_PID" &&
	   ! grep -q 'key process: process .* killed' "$W/main.log"; then
		tap_ok "SIGHUP to an RSA key: the filtered key process loads it and signs a handshake"
	else
		tap_not_ok "SIGHUP to an RSA key: the filtered key process loads it and signs a handshake"
		diag "$(tail -n 8 "$W/main.log")" "curl: $(cat "$W/curl-rsa.out" 2>/dev/null)"
	fi
	cp "$W/ktlsd.conf.ec" "$W/ktlsd.conf"
}

# A dead key process stops ktlsd with status 1 (the service manager
# restarts it; see on_signal() in daemon/main.c): a daemon that looks
# healthy while every certificate handshake fails would be worse.  Its own
# ktlsd, so the others' tests keep theirs.
test_key_process_dies() {
	local pid kp rc
	if ! start_ktlsd dies "$W/ktlsd.conf" --socket "$W/dies.sock"; then
		tap_not_ok "a dead key process stops ktlsd (ktlsd did not start)"
		return 1
	fi
	pid=$KTLSD_PID
	kp=$(key_process_of "$pid")
	[ -n "$kp" ] || { tap_not_ok "a dead key process stops ktlsd (no key process)"; return 1; }
	kill -KILL "$kp"
	for ((rc = 0; rc < 200; rc++)); do
		running "$pid" || break
		sleep 0.1
	done
	if running "$pid"; then
		tap_not_ok "key process killed: ktlsd stops within 20 s"
		diag "$(tail -n 8 "$W/dies.log")"
		stop_ktlsd "$pid"
		return 1
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -eq 1 ] &&
	   grep -q "key process: process $kp killed by signal 9" "$W/dies.log" &&
	   grep -q 'stopping: without its key process' "$W/dies.log" &&
	   wait_for_line "$W/dies.notify" '^STOPPING=1' 5; then
		tap_ok "key process killed: logged, STOPPING=1, ktlsd exits 1 (for Restart=on-failure)"
	else
		tap_not_ok "key process killed: logged, STOPPING=1, ktlsd exits 1 (exit $rc)"
		diag "$(tail -n 8 "$W/dies.log")" "notify: $(cat "$W/dies.notify")"
	fi
}

# ---- a compromised network process --------------------------------------------------

# attack_checks LOG LABEL: the probe's verdicts in LOG as TAP lines.
attack_checks() {
	local log=$1 label=$2 what
	for what in "open+read $W/server.key" "open+read $W/psk.txt" \
		    "read /proc/KEYPROC/mem" "ptrace(PTRACE_ATTACH) on the key process" \
		    "process_vm_readv of the key process" "execve /bin/sh" \
		    "fork (clone without CLONE_THREAD)" "socket(AF_INET, SOCK_STREAM)" \
		    "TCP connect to 127.0.0.1"; do
		if grep -qF "attack: $what: blocked" "$log"; then
			tap_ok "$label: $what fails ($(grep -F "attack: $what: blocked" "$log" |
				sed 's/.*blocked (\(.*\))$/\1/'))"
		else
			tap_not_ok "$label: $what fails"
			diag "$(grep -F "attack: $what" "$log" || echo "no verdict in the log")"
		fi
	done
	if grep -q 'attack: control: process_vm_readv of itself: works' "$log" &&
	   grep -qF 'attack: open+read /etc/passwd: SUCCEEDED' "$log"; then
		tap_ok "$label: the controls work (process_vm_readv of itself, /etc/passwd)"
	else
		tap_not_ok "$label: the controls work (process_vm_readv of itself, /etc/passwd)"
	fi
}

# attack_run NAME [setpriv ARGS...]: ktlsd-attack with a key and a PSK
# profile, as root with user = ktlsd (no args) or started by setpriv.
attack_run() {
	local name=$1 saved=$KTLSD pid out reloads sock kp
	sock=$W/$name/ktlsd.sock
	shift
	mkdir -p "$W/$name" && chown ktlsd: "$W/$name"	# started as ktlsd, it binds there
	write_config "$W/$name.conf" "$W/server.key" "$sock" "user = ktlsd"
	printf '[profile psk]\nrole = server\npsk_file = %s\n' "$W/psk.txt" >> "$W/$name.conf"
	if [ $# -gt 0 ]; then
		KTLSD=$W/$name-start.sh
		printf '#!/bin/sh\nexec setpriv %s %s "$@"\n' "$*" "$ATTACK" > "$KTLSD"
		chmod 755 "$KTLSD"
	else
		KTLSD=$ATTACK
	fi
	KTLSD_ATTACK_FILES="$W/server.key:$W/psk.txt" start_ktlsd "$name" "$W/$name.conf" \
		--no-netlink
	KTLSD=$saved
	pid=$KTLSD_PID
	KTLSD_PID=$(cat "$W/main.pid" 2>/dev/null)
	if ! wait_for_line "$W/$name.log" 'attack: done' 30 "$pid"; then
		tap_not_ok "$name: the attack probe ran"
		diag "$(cat "$W/$name.log")"
		return 1
	fi
	diag "$(grep -E 'attack:|sandbox|Landlock|running as' "$W/$name.log")"
	attack_checks "$W/$name.log" "$name"
	# not dumpable, whatever Landlock does: another process of ktlsd's
	# user, outside any sandbox, cannot read the key process's memory
	kp=$(key_process_of "$pid")
	if [ -n "$kp" ] && ! setpriv --reuid=ktlsd --regid=ktlsd --clear-groups --inh-caps=-all \
		"$PY" -c 'import sys; f = open("/proc/%s/mem" % sys.argv[1], "rb")' "$kp" \
		> "$W/$name-mem.err" 2>&1; then
		tap_ok "$name: a process of user ktlsd outside the sandbox cannot open the key process's memory ($(tail -n 1 "$W/$name-mem.err" | sed 's/.*Error: //'))"
	else
		tap_not_ok "$name: a process of user ktlsd outside the sandbox cannot open the key process's memory (key process ${kp:-none})"
	fi
	reloads=$(grep -c 'configuration reloaded' "$W/$name.log")
	kill -HUP "$pid"
	wait_for_line "$W/$name.log" 'configuration reloaded|reload failed' 60 "$pid"
	if [ "$(grep -c 'configuration reloaded' "$W/$name.log")" -gt "$reloads" ]; then
		tap_ok "$name: sandboxed, it reloads config, certificate and PSK file (via the key process)"
	else
		tap_not_ok "$name: sandboxed, it reloads config, certificate and PSK file"
		diag "$(tail -n 8 "$W/$name.log")"
	fi
	out=$("$KTLS" status --socket "$sock" 2>&1)
	tap_check "$name: ktls status names the protections" \
		grep -q '^key isolation: .*Landlock.*, seccomp$' <<< "$out"
	diag "$(grep '^key isolation' <<< "$out")"
	stop_ktlsd "$pid"
}

test_attack() {
	[ -x "$ATTACK" ] || { tap_skip "compromised network process" "$ATTACK not built"; return 0; }
	diag "LSMs: $(cat /sys/kernel/security/lsm 2>/dev/null || echo '?');" \
	     "yama ptrace_scope: $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo none)"
	printf 'client1:%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$W/psk.txt"
	chown ktlsd: "$W/psk.txt" && chmod 600 "$W/psk.txt"
	attack_run attack-root
	attack_run attack-user --reuid=ktlsd --regid=ktlsd --init-groups
}

# ---- syslog -----------------------------------------------------------------------

test_syslog() {
	local pid i made=''
	if [ ! -e /dev/log ]; then
		[ "${KTLSD_IN_VM:-0}" = 1 ] ||
			{ tap_skip "key process logs to syslog" "no /dev/log, and not in the VM"; return; }
		"$PY" - "$W/syslog.out" <<-'EOF' &
		import os, socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
		s.bind("/dev/log")
		os.chmod("/dev/log", 0o666)
		open(sys.argv[1], "w").close()
		while True:
		    msg = s.recv(8192).decode(errors="replace")
		    with open(sys.argv[1], "a") as f:
		        f.write(msg + "\n")
		EOF
		PIDS+=("$!")
		made=1
		wait_for_file /dev/log 20
	else
		tap_skip "key process logs to syslog" "/dev/log exists: not ours to listen on"
		return
	fi
	write_config "$W/syslog.conf" "$W/server.key" "$W/syslog.sock" "user = ktlsd" "log = syslog"
	"$KTLSD" --config "$W/syslog.conf" --no-netlink > "$W/syslog.stderr" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < START_WAIT * 10; i++)); do
		grep -q ' ready (config' "$W/syslog.out" 2>/dev/null && break
		running "$pid" || break
		sleep 0.1
	done
	kill -HUP "$pid"	# a reload: more round trips with the key process
	wait_for_line "$W/syslog.out" 'configuration reloaded' 60 "$pid"
	diag "$(grep -E 'key process|malformed' "$W/syslog.out" | head -n 8)"
	if grep -q 'key process: running as user ktlsd' "$W/syslog.out" &&
	   grep -q 'configuration reloaded' "$W/syslog.out" &&
	   ! grep -q 'malformed' "$W/syslog.out"; then
		tap_ok "log = syslog: the key process's lines reach syslog, none reaches ktlsd as an answer"
	else
		tap_not_ok "log = syslog: the key process's lines reach syslog, none reaches ktlsd as an answer"
		diag "$(tail -n 20 "$W/syslog.out")" "$(cat "$W/syslog.stderr")"
	fi
	stop_ktlsd "$pid"
	[ -n "$made" ] && rm -f /dev/log
}

# ---- socket activation ------------------------------------------------------------

# ask_status SOCKET SECONDS: a bare STATUS_REQ; waits as long as the daemon
# takes to start (the first connection is what activates it).
ask_status() {
	"$PY" - "$1" "$2" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	s.settimeout(float(sys.argv[2]))
	s.connect(sys.argv[1])
	s.send(b"kTLS\x01\x03\x00\x00\x00\x00\x00\x0c")
	reply = s.recv(32768)
	sys.exit(0 if reply[:6] == b"kTLS\x01\x04" else 1)
	EOF
}

test_socket_activation() {
	local sock=$W/act.sock pid rc out
	write_config "$W/act.conf" "$W/server.key" "$W/act-config.sock" "user = ktlsd"
	notify_listener "$W/act.notify"
	systemd-socket-activate --seqpacket -l "$sock" -E NOTIFY_SOCKET="$W/act.notify.sock" \
		"$KTLSD" --foreground --config "$W/act.conf" --no-netlink > "$W/act.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for_file "$sock" 20
	if [ -S "$sock" ] && ! grep -q '^READY' "$W/act.notify" &&
	   ask_status "$sock" "$START_WAIT" &&
	   grep -q "socket $sock passed by the service manager" "$W/act.log" &&
	   grep -q "^READY=1|.*MAINPID=$pid\$" "$W/act.notify" &&
	   ! grep -q "listening on" "$W/act.log"; then
		tap_ok "socket activation: first connection starts ktlsd, which serves fd 3 (LISTEN_FDS)"
	else
		tap_not_ok "socket activation: first connection starts ktlsd, which serves fd 3"
		diag "$(cat "$W/act.log")" "notify: $(cat "$W/act.notify")"
	fi
	out=$("$KTLS" status --socket "$sock" 2>&1)
	tap_check "ktls status through the activated socket" grep -q '^handshakes:' <<< "$out"
	stop_ktlsd "$pid"
	rc=$?
	if [ "$rc" -eq 0 ] && [ -S "$sock" ]; then
		tap_ok "on exit ktlsd leaves the manager's socket file in place"
	else
		tap_not_ok "on exit ktlsd leaves the manager's socket file in place (exit $rc)"
	fi
}

test_activation_wrong_type() {
	local sock=$W/stream.sock pid rc
	systemd-socket-activate -l "$sock" "$KTLSD" --foreground --config "$W/act.conf" \
		--no-netlink > "$W/stream.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	wait_for_file "$sock" 20
	"$PY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' \
		"$sock" 2>/dev/null
	timeout "$START_WAIT" tail --pid="$pid" -f /dev/null
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 0 ] && grep -q 'not a listening AF_UNIX SOCK_SEQPACKET socket' "$W/stream.log"
	then
		tap_ok "socket activation with a stream socket: refused (exit $rc)"
	else
		tap_not_ok "socket activation with a stream socket: refused (exit $rc)"
		diag "$(cat "$W/stream.log")"
	fi
}

# ---- main -------------------------------------------------------------------------

main() {
	local missing
	[ "$(id -u)" = 0 ] || skip_all "needs root (users, privilege drop)"
	[ -x "$KTLSD" ] && [ -x "$KTLS" ] || skip_all "$BUILD/ktlsd or $BUILD/ktls not built"
	missing=$(need_cmd systemd-analyze systemd-sysusers systemd-socket-activate setpriv curl \
			   ps "$PY") || skip_all "$missing"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "no usable kTLS in this kernel"
	# systemd-sysusers adds a system user: only in the throw-away VM, or
	# where an administrator created ktlsd already
	[ "${KTLSD_IN_VM:-0}" = 1 ] || getent passwd ktlsd > /dev/null ||
		skip_all "would create the system user ktlsd: run in the VM, or create it first"
	at_exit cleanup
	ktls_tmpdir ktls-service || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	chmod 755 "$W"		# ktlsd's user reads the config and keys here
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	chmod 644 "$W"/*.pem

	test_units
	test_sysusers || { tap_done; exit 1; }
	chown ktlsd: "$W/server.key" && chmod 600 "$W/server.key"
	if test_drop_and_ready; then
		echo "$KTLSD_PID" > "$W/main.pid"
		test_key_process
		test_reload
		test_group_readable_key
		test_status
		test_status_access
		test_key_isolation
		test_key_process_filter
		test_stopping
		test_key_process_dies
		test_attack
	fi
	test_no_netlink_no_caps
	test_drop_refused
	test_root_key_refused
	test_syslog
	test_socket_activation
	test_activation_wrong_type
	tap_done
}

main "$@"
