#!/usr/bin/env bash
# t_resume_server.sh - ktlsd as a TLS server resumes sessions: clients
# nobody here wrote (openssl s_client -sess_out/-sess_in, gnutls-cli
# --resume) against `ktls serve`, whose handshakes ktlsd does, then kTLS
# carries the data (every body checked by SHA-256 against the file).
#
#  - TLS 1.3 tickets, TLS 1.2 tickets, TLS 1.2 session IDs (-no_ticket):
#    the second connection says "Reused" (gnutls-cli: "resumed session");
#  - two ktlsd instances with one ticket_key_file: a ticket from one
#    resumes on the other; an instance with another (random) key: a full
#    handshake and the data, no error;
#  - a ticket of profile "web" offered to profile "other" of the same
#    daemon: a full handshake;
#  - session_lifetime = 2: after 4 s, a full handshake (tickets and IDs);
#  - rotation: a new key file and SIGHUP: old tickets give full handshakes;
#  - ktlsd logs resumed=yes, and `ktls status --prometheus` counts resumed
#    and full handshakes for the profile.
# Needs a kTLS kernel (tests/vm/run -- bash THIS), openssl and gnutls-cli.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
T=60
PIDS=()

skip_all() { tap_skip_all "server session resumption" "$1"; }

# ---- setup -------------------------------------------------------------------

# write_config NAME KEYLINE: an instance's config (sockets differ).
write_config() {
	cat > "$W/$1.conf" <<-EOF
	[global]
	socket = $W/$1.sock
	server_profile = web
	$2

	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	server_names = localhost

	[profile other]
	role = server
	certificate = $W/server.pem
	key = $W/server.key

	[profile short]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	session_lifetime = 2
	EOF
}

# start_ktlsd NAME: ktlsd with $W/NAME.conf; its pid in PID_<NAME>.
start_ktlsd() {
	local i pid
	"$KTLSD" --foreground --no-netlink --config "$W/$1.conf" > "$W/$1.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	printf -v "PID_$1" '%s' "$pid"
	for ((i = 0; i < 100; i++)); do
		[ -S "$W/$1.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd $1 did not come up; its log:" "$(cat "$W/$1.log")"
	return 1
}

# start_serve VAR INSTANCE PROFILE: `ktls serve` through that ktlsd; the
# port in VAR.
start_serve() {
	local port pid
	port=$(pick_port) || return 1
	KTLS_SOCKET=$W/$2.sock "$KTLS" serve --root "$W/root" --port "$port" --profile "$3" \
		> "$W/serve-$1.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	printf -v "$1" '%s' "$port"
	wait_for_port "$port" 20 "$pid" && return 0
	diag "ktls serve $1 did not come up:" "$(cat "$W/serve-$1.log")"
	return 1
}

# ---- clients -----------------------------------------------------------------

# sfetch PORT SESS_ARGS...: GET /data.bin through openssl s_client with the
# given session options (-sess_out F / -sess_in F, -tls1_3, -no_ticket...).
# Sets REUSED to Reused/New (what s_client says) and returns 0 if the body
# is the file (SHA-256).
sfetch() {
	local port=$1 out=$W/sfetch.out off
	shift
	REUSED=none
	printf 'GET /data.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout "$T" openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$W/ca.pem" -verify_return_error -ign_eof "$@" \
			> "$out" 2> "$out.err"
	REUSED=$(grep -aoE -m1 '^(New|Reused), TLSv1\.[23]' "$out" | cut -d, -f1)
	off=$(LC_ALL=C grep -obUa -m 1 $'^HTTP/1.1 200 OK\r$' "$out" | cut -d: -f1)
	[ -n "$off" ] || { diag "no HTTP response:" "$(tail -n 5 "$out.err")"; return 1; }
	tail -c +"$((off + 1))" "$out" > "$out.resp"
	off=$(LC_ALL=C grep -obUa -m 1 $'^\r$' "$out.resp" | cut -d: -f1)
	[ -n "$off" ] || return 1
	tail -c +"$((off + 3))" "$out.resp" | head -c "$DATA_LEN" > "$out.body"
	[ "$(sha256_of "$out.body")" = "$DATA_SHA" ]
}

# s_resume NAME PORT1 PORT2 WANT ARGS...: a full handshake to PORT1 saving
# the session, then offering it to PORT2; WANT is Reused or New for the
# second; both bodies must match.
s_resume() {
	local name=$1 p1=$2 p2=$3 want=$4 first
	shift 4
	rm -f "$W/sess.pem"
	if ! sfetch "$p1" -sess_out "$W/sess.pem" "$@" || [ "$REUSED" != New ] ||
	   [ ! -s "$W/sess.pem" ]; then
		tap_not_ok "$name: first handshake full, data ok, session saved"
		diag "s_client said $REUSED"
		return
	fi
	first=$REUSED
	if sfetch "$p2" -sess_in "$W/sess.pem" "$@" && [ "$REUSED" = "$want" ]; then
		tap_ok "$name: second handshake $want, data sha256 ok"
	else
		tap_not_ok "$name: second handshake $want (s_client: $first then $REUSED), data sha256 ok"
		diag "$(grep -a -m3 -i 'error\|alert' "$W/sfetch.out.err")"
	fi
}

# g_resume NAME PORT PRIORITY: gnutls-cli --resume (two connections of its
# own); the resumed one fetches /token.txt, whose random line must come back.
g_resume() {
	local out=$W/gcli.out
	printf 'GET /token.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout "$T" gnutls-cli --resume --x509cafile "$W/ca.pem" --port "$2" \
			--priority "$3" localhost > "$out" 2>&1
	if grep -q 'This is a resumed session' "$out" && grep -qxF "$TOKEN" "$out"; then
		tap_ok "$1: gnutls-cli --resume: resumed session, token back"
	else
		tap_not_ok "$1: gnutls-cli --resume: resumed session, token back"
		diag "$(grep -a -i 'resum\|error\|alert\|\*\*\*' "$out" | head -n 8)"
	fi
}

prom() {	# prom INSTANCE PROFILE EVENT: the session counter, or 0
	KTLS_SOCKET=$W/$1.sock "$KTLS" status --prometheus 2>/dev/null |
		sed -n "s/^ktlsd_session_events_total{profile=\"$2\",event=\"$3\"} //p" | head -n1 |
		grep . || echo 0
}

# ---- the tests ---------------------------------------------------------------

test_one_daemon() {
	s_resume "TLS 1.3 ticket" "$A_WEB" "$A_WEB" Reused -tls1_3
	s_resume "TLS 1.2 ticket" "$A_WEB" "$A_WEB" Reused -tls1_2
	s_resume "TLS 1.2 session ID (-no_ticket)" "$A_WEB" "$A_WEB" Reused -tls1_2 -no_ticket
	g_resume "TLS 1.3" "$A_WEB" "NORMAL:-VERS-ALL:+VERS-TLS1.3"
	g_resume "TLS 1.2 ticket" "$A_WEB" "NORMAL:-VERS-ALL:+VERS-TLS1.2"
	g_resume "TLS 1.2 session ID" "$A_WEB" "NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS"
}

test_two_daemons() {
	s_resume "shared ticket_key_file, TLS 1.3: A's ticket on B" "$A_WEB" "$B_WEB" Reused -tls1_3
	s_resume "shared ticket_key_file, TLS 1.2: A's ticket on B" "$A_WEB" "$B_WEB" Reused -tls1_2
	# Session IDs live in each daemon's own cache (no shared store here).
	s_resume "TLS 1.2 session ID of A on B: full handshake" "$A_WEB" "$B_WEB" New \
		-tls1_2 -no_ticket
	s_resume "another ticket key (C), TLS 1.3: full handshake, no error" "$A_WEB" "$C_WEB" \
		New -tls1_3
	s_resume "another ticket key (C), TLS 1.2: full handshake, no error" "$A_WEB" "$C_WEB" \
		New -tls1_2
}

test_profiles() {
	s_resume "profile web's TLS 1.3 ticket under profile other: full" "$A_WEB" "$A_OTHER" \
		New -tls1_3
	s_resume "profile web's TLS 1.2 ticket under profile other: full" "$A_WEB" "$A_OTHER" \
		New -tls1_2
	s_resume "profile web's session ID under profile other: full" "$A_WEB" "$A_OTHER" \
		New -tls1_2 -no_ticket
}

test_expiry() {
	local args name
	for args in "-tls1_3" "-tls1_2" "-tls1_2 -no_ticket"; do
		name="session_lifetime = 2, $args, 4 s later"
		rm -f "$W/sess.pem"
		# shellcheck disable=SC2086
		sfetch "$A_SHORT" -sess_out "$W/sess.pem" $args
		sleep 4
		# shellcheck disable=SC2086
		if sfetch "$A_SHORT" -sess_in "$W/sess.pem" $args && [ "$REUSED" = New ]; then
			tap_ok "$name: full handshake, data ok"
		else
			tap_not_ok "$name: full handshake (got $REUSED), data ok"
		fi
	done
}

test_rotation() {
	rm -f "$W/sess.pem"
	sfetch "$A_WEB" -sess_out "$W/sess.pem" -tls1_3
	rm -f "$W/shared.key"
	"$KTLSD" --generate-ticket-key "$W/shared.key" > /dev/null
	kill -HUP "$PID_a"
	sleep 1
	if sfetch "$A_WEB" -sess_in "$W/sess.pem" -tls1_3 && [ "$REUSED" = New ]; then
		tap_ok "new key file + SIGHUP: an old ticket gets a full handshake, data ok"
	else
		tap_not_ok "new key file + SIGHUP: an old ticket gets a full handshake (got $REUSED)"
		diag "$(tail -n 5 "$W/a.log")"
	fi
	s_resume "after rotation, new tickets resume" "$A_WEB" "$A_WEB" Reused -tls1_3
}

test_visible() {
	local resumed full
	if grep -q 'profile=web.*resumed=yes' "$W/a.log" || grep -q 'resumed=yes' "$W/a.log"; then
		tap_ok "ktlsd's handshake log line says resumed=yes"
	else
		tap_not_ok "ktlsd's handshake log line says resumed=yes"
		diag "$(grep -m3 'handshake' "$W/a.log")"
	fi
	resumed=$(prom a web resumed)
	full=$(prom a web full)
	diag "ktls status (a): web resumed=$resumed full=$full; (b): web resumed=$(prom b web resumed)"
	# On a: the six resumptions of test_one_daemon; full: the first
	# handshake of each of the 14 pairs before this point.
	if [ "$resumed" -eq 6 ] && [ "$full" -eq 14 ] && [ "$(prom b web resumed)" -eq 2 ]; then
		tap_ok "ktls status counts resumed and full handshakes per profile and daemon"
	else
		tap_not_ok "ktls status counts resumed (6: $resumed) and full (14: $full) handshakes of web, b resumed 2"
		diag "$(KTLS_SOCKET=$W/a.sock "$KTLS" status 2>&1 | tail -n 6)"
	fi
}

test_generate_refuses_overwrite() {
	local mode
	mode=$(stat -c %a "$W/shared.key")
	if ! "$KTLSD" --generate-ticket-key "$W/shared.key" > /dev/null 2>&1 && [ "$mode" = 600 ]
	then
		tap_ok "ktlsd --generate-ticket-key: mode 600, never overwrites"
	else
		tap_not_ok "ktlsd --generate-ticket-key: mode 600 ($mode), never overwrites"
	fi
}

main() {
	local missing start=$SECONDS
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built"
	[ -x "$KTLS" ] || skip_all "$KTLS not built"
	missing=$(need_cmd openssl gnutls-cli sha256sum timeout) || skip_all "$missing"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "this kernel cannot run kTLS"
	ktls_tmpdir resume-server || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	chmod 600 "$W"/*.key
	mkdir -p "$W/root" && head -c 262144 /dev/urandom > "$W/root/data.bin" ||
		skip_all "cannot write the test file"
	DATA_LEN=262144
	DATA_SHA=$(sha256_of "$W/root/data.bin")
	TOKEN=$(head -c 32 /dev/urandom | sha256sum | cut -d' ' -f1)
	echo "$TOKEN" > "$W/root/token.txt"
	"$KTLSD" --generate-ticket-key "$W/shared.key" > /dev/null ||
		{ tap_not_ok "ktlsd --generate-ticket-key"; tap_done; exit 1; }
	write_config a "ticket_key_file = $W/shared.key"
	write_config b "ticket_key_file = $W/shared.key"
	write_config c ""
	for i in a b c; do
		start_ktlsd "$i" || { tap_not_ok "ktlsd $i starts"; tap_done; exit 1; }
	done
	start_serve A_WEB a web && start_serve A_OTHER a other && start_serve A_SHORT a short &&
	start_serve B_WEB b web && start_serve C_WEB c web ||
		{ tap_not_ok "ktls serve starts"; tap_done; exit 1; }
	test_one_daemon
	test_two_daemons
	test_profiles
	test_expiry
	test_visible
	test_generate_refuses_overwrite
	test_rotation
	diag "ktlsd a log (last lines):" "$(tail -n 6 "$W/a.log")"
	diag "t_resume_server: $((SECONDS - start)) s"
	tap_done
}

main "$@"
