#!/usr/bin/env bash
# t_trust.sh - ktlsd's trust decisions against attackers, through the real
# daemon and libktls (daemon_client), in a kTLS kernel (issue 9):
#
#  1. PSK authenticates or nothing does.  A client profile with a psk_file
#     and a ca_file that trusts the attacker's certificate, against servers
#     that know no PSK and present that certificate: gnutls-serv (TLS 1.3)
#     and openssl s_server (TLS 1.3 and 1.2) must all fail (no session, an
#     error and its reason in ktlsd's log).  A PSK server (gnutls-serv
#     --pskpasswd) works; with psk_fallback = certificate the certificate
#     server works for the right name and fails (EACCES) for another.
#  2. SNI cannot loosen: a server request with KTLS_VERIFY none and no
#     profile, whose peer's SNI selects a verify = required profile, fails
#     with EPERM on the server side and the client gets no session.
#  3. Default ACL: a profile holding a private key, with no allowed_uids,
#     refuses uid 65534 (EPERM) and serves root; a profile that lists uid
#     65534 serves it.  Groups count as supplementary ones too (`usermod
#     -aG`): uid 65534 with ktlsd's group (gid 0 here: ktlsd runs as root
#     with no user/group configured) among its supplementary groups is
#     served by the default ACL, with another group it is refused; a
#     profile with allowed_gids = 4242 serves it with 4242 as a
#     supplementary group and refuses it with 4243.
#
# Needs root and a kTLS kernel (tests/vm/run -- bash THIS), gnutls-serv,
# openssl, setpriv; skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$BUILD/ktlsd
CLIENT=$BUILD/tests/integration/daemon_client
T=120
PIDS=()
KTLSD_PID=''
NOBODY=65534

skip_all() { tap_skip_all "ktlsd trust boundary" "$1"; }

make_files() {
	gen_test_certs "$W" localhost > "$W/certs.log" 2>&1 ||
		{ diag "$(cat "$W/certs.log")"; return 1; }
	PSK=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf 'dev1:%s\n' "$PSK" > "$W/client.psk"
	printf 'dev1:%s\n' "$PSK" > "$W/gnutls-serv.psk"
	chmod 600 "$W"/*.key "$W"/*.psk
}

write_config() {
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	socket = $W/sock/ktlsd.sock
	server_profile = srv
	client_profile = noverify
	handshake_timeout = 60s

	# the attacker's certificate is signed by this very CA: only the PSK
	# may authenticate the server all the same
	[profile psk-cli]
	role = client
	psk_file = $W/client.psk
	ca_file = $W/ca.pem

	[profile psk-fb]
	role = client
	psk_file = $W/client.psk
	ca_file = $W/ca.pem
	psk_fallback = certificate

	[profile noverify]
	role = client
	verify = none

	# holds a key, lists no one: root and ktlsd's ids only
	[profile srv]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	verify = none

	[profile strict]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	ca_file = $W/ca.pem
	verify = required
	server_names = strict.test

	[profile srv-nobody]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	verify = none
	allowed_uids = $NOBODY

	[profile srv-4242]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	verify = none
	allowed_gids = 4242
	EOF
}

start_ktlsd() {
	local i
	mkdir -p "$W/sock" && chmod 755 "$W" "$W/sock"	# uid 65534 reaches the socket
	"$KTLSD" --foreground --config "$W/ktlsd.conf" --workers 2 --no-netlink \
		>> "$W/ktlsd.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 200; i++)); do
		grep -q ' ready ' "$W/ktlsd.log" 2>/dev/null && [ -S "$W/sock/ktlsd.sock" ] && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(cat "$W/ktlsd.log")"
	return 1
}

log_mark() { LOG_MARK=$(stat -c %s "$W/ktlsd.log"); }
log_since_mark() { tail -c +"$((LOG_MARK + 1))" "$W/ktlsd.log"; }

# helper ARGS...: one daemon_client run (as root, or as $AS_UID with primary
# group $AS_UID and supplementary groups $AS_GROUPS, "gid,gid", or none),
# its TAP relayed.
helper() {
	local rc wrap=() groups=(--clear-groups)
	[ -n "${AS_GROUPS:-}" ] && groups=(--groups "$AS_GROUPS")
	[ -n "${AS_UID:-}" ] && wrap=(setpriv --reuid "$AS_UID" --regid "$AS_UID" "${groups[@]}")
	timeout -k 5 "$T" "${wrap[@]}" "$CLIENT" "$@" > "$W/out.txt" 2>&1
	rc=$?
	tap_relay < "$W/out.txt"
	case $rc in
	0 | 1) ;;
	*) tap_not_ok "daemon_client $1: exited with status $rc" ;;
	esac
	return "$rc"
}

# expect_failed_logged NAME TEXT: a "handshake failed" line with TEXT since
# log_mark, and no "handshake ok".
expect_failed_logged() {
	local name=$1 text=$2 log i
	for ((i = 0; i < 30; i++)); do
		log=$(log_since_mark)
		grep -F 'handshake failed' <<< "$log" | grep -qF -- "$text" && break
		sleep 0.1
	done
	if grep -F 'handshake failed' <<< "$log" | grep -qF -- "$text" &&
	   ! grep -qF 'handshake ok' <<< "$log"; then
		tap_ok "$name: ktlsd logged the refusal (\"$text\") and no session"
	else
		tap_not_ok "$name: ktlsd logged the refusal (\"$text\") and no session"
		diag "log since the test:" "$(log_since_mark | tail -n 6)"
	fi
}

# ---- servers ---------------------------------------------------------------

start_gnutls_serv() {	# start_gnutls_serv PORT ARGS...
	local port=$1
	shift
	gnutls-serv -p "$port" "$@" > "$W/gnutls-serv.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_for_port "$port" 30 "$SERVER_PID" && return 0
	diag "gnutls-serv did not start:" "$(tail -n 5 "$W/gnutls-serv.log")"
	return 1
}

start_s_server() {	# start_s_server PORT VERSION-FLAG
	local port=$1
	openssl s_server -accept "127.0.0.1:$port" -naccept 1 -quiet "$2" \
		-cert "$W/server.pem" -key "$W/server.key" < <(sleep 60) \
		> "$W/s_server.log" 2>&1 &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	wait_for_port "$port" 30 "$SERVER_PID" && return 0
	diag "s_server did not start:" "$(tail -n 5 "$W/s_server.log")"
	return 1
}

stop_server() { stop_pid "$SERVER_PID"; }

# ---- 1. PSK authenticates or nothing does --------------------------------------

# attack NAME EXPECT-ERRNO: the PSK client profile against $PORT.
attack() {
	local name=$1 errno=$2
	log_mark
	helper connect --label "$name" --port "$PORT" --profile psk-cli \
		--server-name localhost --expect-errno "$errno"
	expect_failed_logged "$name" "profile=psk-cli"
}

test_psk_attacks() {
	PORT=$(pick_port) || { tap_not_ok "no free port"; return; }
	if start_gnutls_serv "$PORT" --x509certfile "$W/server.pem" --x509keyfile "$W/server.key" \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3"; then
		attack "PSK profile vs gnutls-serv with only a certificate (TLS 1.3)" EACCES
		if grep -qF 'did not use a known PSK' "$W/out.txt"; then
			tap_ok "the reason says the server did not use a known PSK"
		else
			tap_not_ok "the reason says the server did not use a known PSK"
		fi
		# psk_fallback = certificate: verified like any client profile
		helper connect --label "psk_fallback = certificate, right name" --port "$PORT" \
			--profile psk-fb --server-name localhost --expect-version 1.3
		helper connect --label "psk_fallback = certificate, wrong name" --port "$PORT" \
			--profile psk-fb --server-name wrong.example --expect-errno EACCES \
			--expect-reason 'does not match the name'
		stop_server
	else
		tap_not_ok "gnutls-serv (certificate only) listening"
	fi

	for version in -tls1_3 -tls1_2; do
		PORT=$(pick_port) || { tap_not_ok "no free port"; return; }
		if start_s_server "$PORT" "$version"; then
			# TLS 1.2: no PSK suite in common, the server says so (any
			# errno); TLS 1.3: it answers with its certificate (EACCES)
			attack "PSK profile vs openssl s_server $version with only a certificate" \
				"$([ "$version" = -tls1_3 ] && echo EACCES || echo any)"
			stop_server
		else
			tap_not_ok "openssl s_server $version listening"
		fi
	done

	PORT=$(pick_port) || { tap_not_ok "no free port"; return; }
	if start_gnutls_serv "$PORT" --echo --pskpasswd "$W/gnutls-serv.psk" \
		--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3:+ECDHE-PSK:+PSK"; then
		helper connect --label "PSK profile vs gnutls-serv with the PSK" --port "$PORT" \
			--profile psk-cli --server-name "" --expect-version 1.3 --echo-sizes 1,16385
		stop_server
	else
		tap_not_ok "gnutls-serv (PSK) listening"
	fi
}

# ---- 2. SNI cannot loosen --------------------------------------------------------

test_sni_loosening() {
	log_mark
	helper pair --label "verify none, SNI selects verify = required" --profile noverify \
		--server-profile "" --server-verify none --server-name strict.test \
		--expect-server-errno EPERM --expect-errno any --mib 0 --sendfile-kib 0
	expect_failed_logged "SNI selects verify = required" 'requires peer verification'
	helper pair --label "verify none, SNI selects the verify = none default" \
		--profile noverify --server-profile "" --server-verify none \
		--server-name www.example --mib 0 --sendfile-kib 16
}

# ---- 3. default ACL ----------------------------------------------------------------

test_default_acl() {
	log_mark
	AS_UID=$NOBODY helper pair --label "uid $NOBODY asks profile srv (a key, no ACL)" \
		--profile noverify --server-profile srv --expect-server-errno EPERM \
		--expect-errno any --mib 0 --sendfile-kib 0
	if grep -qF "uid $NOBODY gid $NOBODY may not use profile \"srv\"" "$W/out.txt"; then
		tap_ok "the refusal names uid $NOBODY and profile srv"
	else
		tap_not_ok "the refusal names uid $NOBODY and profile srv"
	fi
	AS_UID=$NOBODY helper pair --label "uid $NOBODY asks profile srv-nobody (lists it)" \
		--profile noverify --server-profile srv-nobody --mib 0 --sendfile-kib 16
	helper pair --label "root asks profile srv (default ACL)" --profile noverify \
		--server-profile srv --mib 0 --sendfile-kib 16
	# ktlsd runs as root here: its group is gid 0.  As a supplementary
	# group (what `usermod -aG` gives) it admits like a primary one.
	AS_UID=$NOBODY AS_GROUPS="100,$(id -g)" helper pair \
		--label "uid $NOBODY with ktlsd's group $(id -g) as a supplementary group asks srv" \
		--profile noverify --server-profile srv --mib 0 --sendfile-kib 16
	AS_UID=$NOBODY AS_GROUPS=100,4242 helper pair \
		--label "uid $NOBODY with other supplementary groups asks srv" \
		--profile noverify --server-profile srv --expect-server-errno EPERM \
		--expect-errno any --mib 0 --sendfile-kib 0
	AS_UID=$NOBODY AS_GROUPS=100,4242 helper pair \
		--label "uid $NOBODY in group 4242 (supplementary) asks srv-4242" \
		--profile noverify --server-profile srv-4242 --mib 0 --sendfile-kib 16
	AS_UID=$NOBODY AS_GROUPS=100,4243 helper pair \
		--label "uid $NOBODY not in group 4242 asks srv-4242" \
		--profile noverify --server-profile srv-4242 --expect-server-errno EPERM \
		--expect-errno any --mib 0 --sendfile-kib 0
	if "$KTLSD" -n --config "$W/ktlsd.conf" 2>&1 |
	   grep -F "profile srv: usable by root, ktlsd's own uid" |
	   grep -qF "primary or supplementary"; then
		tap_ok "ktlsd -n explains profile srv's default ACL"
	else
		tap_not_ok "ktlsd -n explains profile srv's default ACL"
		diag "$("$KTLSD" -n --config "$W/ktlsd.conf" 2>&1)"
	fi
}

main() {
	local missing
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built (make)"
	[ -x "$CLIENT" ] || skip_all "$CLIENT not built (make tests)"
	[ "$(id -u)" = 0 ] || skip_all "needs root (run it in the VM: tests/vm/run -- bash $0)"
	grep -q '^TlsTxSw' /proc/net/tls_stat 2>/dev/null || modprobe tls 2>/dev/null
	[ -r /proc/net/tls_stat ] || skip_all "no kernel TLS here (run it in the VM)"
	missing=$(need_cmd gnutls-serv openssl setpriv) || skip_all "$missing"
	ktls_tmpdir ktls-trust || exit 2
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	make_files || skip_all "cannot generate certificates"
	write_config
	export KTLS_SOCKET=$W/sock/ktlsd.sock
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	test_psk_attacks
	test_sni_loosening
	test_default_acl
	kill -TERM "$KTLSD_PID"
	[ "$TAP_FAILED" -eq 0 ] || diag "ktlsd's log (last 30 lines):" "$(tail -n 30 "$W/ktlsd.log")"
	tap_done
}

main "$@"
