#!/usr/bin/env bash
# t_kernel_door.sh - ktlsd's netlink (kernel) door follows the kernel, and the
# application door serves either way.
#
# ktlsd starts with its default doors (no --no-netlink).  On a kernel without
# the generic netlink family "handshake" (CONFIG_NET_HANDSHAKE, Linux 6.5+;
# Debian 12's own 6.1, the VM lane `tests/vm/run --kernel 6.1`):
#   - ktlsd starts, logs "netlink door unavailable: the kernel has no
#     "handshake" generic netlink family ...; serving applications only",
#     and keeps running;
# on a kernel with the family: it logs "netlink door active".  Both ways:
#   - `ktls check` says the same about the family as ktlsd's log;
#   - an application handshake pair through ktlsd's socket (daemon_client
#     pair: both ends through ktlsd, 1 MiB each way, kTLS on both sockets)
#     succeeds, and ktlsd exits 0 on SIGTERM.
# Needs root and a kTLS kernel (the VM); skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$BUILD/ktlsd
CLIENT=$BUILD/tests/integration/daemon_client
PIDS=()
KTLSD_PID=''

skip_all() { tap_skip_all "ktlsd's kernel door follows the kernel" "$1"; }

write_config() {
	cat > "$W/ktlsd.conf" <<-EOF
	# written by t_kernel_door.sh
	[global]
	socket = $W/ktlsd.sock
	server_profile = srv
	client_profile = local
	handshake_timeout = 120s

	[profile local]
	role = client
	ca_file = $W/ca.pem
	verify = required

	[profile srv]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	verify = none
	EOF
}

start_ktlsd() {
	local i
	"$KTLSD" --foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" --workers 2 \
		>> "$W/ktlsd.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q ' ready ' "$W/ktlsd.log" 2>/dev/null && [ -S "$W/ktlsd.sock" ] && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(cat "$W/ktlsd.log")"
	return 1
}

check_door_log() {
	local family=$1 line
	line=$(grep -m1 -e 'netlink door unavailable' -e 'netlink door active' "$W/ktlsd.log")
	if [ "$family" = absent ]; then
		if [[ $line == *'netlink door unavailable: the kernel has no "handshake" generic netlink family'*'serving applications only'* ]]; then
			tap_ok "kernel $(uname -r) without the handshake family: ktlsd says its netlink door is off and why, and serves applications"
		else
			tap_not_ok "kernel $(uname -r) without the handshake family: ktlsd logs that its netlink door is off and why"
			diag "its log:" "$(cat "$W/ktlsd.log")"
		fi
	else
		if [[ $line == *'netlink door active: family "handshake"'* ]]; then
			tap_ok "kernel $(uname -r) with the handshake family: ktlsd's netlink door is active"
		else
			tap_not_ok "kernel $(uname -r) with the handshake family: ktlsd's netlink door is active"
			diag "its log:" "$(cat "$W/ktlsd.log")"
		fi
	fi
}

check_pair() {
	local rc
	timeout -k 5 300 "$CLIENT" pair --label "application door, netlink door $1" --mib 1 \
		> "$W/pair.txt" 2>&1
	rc=$?
	tap_relay < "$W/pair.txt"
	[ "$rc" -le 1 ] || tap_not_ok "daemon_client pair: exited with status $rc"
}

check_shutdown() {
	local i rc=''
	sleep 1
	if ! kill -0 "$KTLSD_PID" 2>/dev/null; then
		tap_not_ok "ktlsd is still running after the pair"
		diag "its log:" "$(tail -n 20 "$W/ktlsd.log")"
		return
	fi
	kill -TERM "$KTLSD_PID"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$KTLSD_PID" 2>/dev/null || { wait "$KTLSD_PID"; rc=$?; break; }
		sleep 0.1
	done
	tap_check "ktlsd ran on and exits 0 on SIGTERM (status ${rc:-still running})" test "${rc:-x}" = 0
	KTLSD_PID=''
}

main() {
	local family missing
	[ "$(id -u)" = 0 ] || skip_all "needs root (run it in the VM: tests/vm/run --kernel 6.1 -- bash $0)"
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built (make)"
	[ -x "$CLIENT" ] || skip_all "$CLIENT not built (make tests)"
	[ -x "$BUILD/ktls" ] || skip_all "$BUILD/ktls not built (make)"
	[ -d /sys/module/tls ] || modprobe tls 2>/dev/null || skip_all "no kernel TLS here (run it in the VM)"
	missing=$(need_cmd openssl) || skip_all "$missing"
	has_handshake_family
	case $? in
	0) family=present ;;
	1) family=absent ;;
	*) skip_all "$BUILD/ktls check does not say whether the handshake family exists" ;;
	esac
	diag "kernel $(uname -r): generic netlink family \"handshake\" $family (ktls check)"
	ktls_tmpdir ktls-kernel-door || exit 2
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	write_config
	export KTLS_SOCKET=$W/ktlsd.sock
	start_ktlsd || { tap_not_ok "ktlsd starts with its default doors"; tap_done; exit 1; }
	check_door_log "$family"
	check_pair "$([ "$family" = absent ] && echo off || echo on)"
	check_shutdown
	tap_done
}

main "$@"
