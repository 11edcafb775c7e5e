#!/usr/bin/env bash
# t_resume_fleet.sh - TLS 1.2 session resumption across two ktlsd hosts
# through a shared memcached (the Debian server, started here on loopback),
# with one ticket_key_file, and what happens when the store fails.
#
#   - a session made with openssl s_client -no_ticket (a TLS 1.2 session
#     ID) through ktlsd A resumes through ktlsd B ("Reused"); a TLS 1.2
#     ticket from A resumes on B (the shared key alone); the page fetched
#     each time is checked by SHA-256
#   - ktlsd C, same store, another ticket key: A's session does not open
#     there (a full handshake, no failure; counted and logged)
#   - memcached killed mid-test: full handshakes, none fails, the store
#     error counter of the profile moves (ktls status), the log says so
#     once; memcached back: logged once, sessions resume again
#   - memcached stopped (SIGSTOP, accepts but never answers): handshakes
#     still complete, each within the wait bound
#   - the sandbox: with a store, a compromised network process (the
#     ktlsd-attack probe) still cannot connect to any other TCP port
#   - add_once against the real server (the shared_store unit tests with
#     their live memcached part, as TAP)
# Needs a kTLS kernel (tests/vm/run -- bash THIS), openssl, memcached.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
TIMEOUT_MS=500			# session_store_timeout (a TCG guest is slow)
PIDS=()

skip_all() { tap_skip_all "fleet resumption through a shared store" "$1"; }

[ -x "$KTLSD" ] && [ -x "$KTLS" ] || skip_all "no $KTLSD or $KTLS (make)"
command -v openssl > /dev/null || skip_all "no openssl"
MEMCACHED=$(command -v memcached) || skip_all "no memcached (apt-get install memcached)"
why=$(why_not_root_ktls) && [ -z "$why" ] || skip_all "$why"

ktls_tmpdir fleet || exit 1
W=$KTLS_TMPDIR
chmod 0755 "$W"

cleanup() {
	[ -n "${MC_PID:-}" ] && kill -CONT "$MC_PID" 2> /dev/null	# a test stops it
	stop_bg_pids
}
at_exit cleanup

# ---- setup -------------------------------------------------------------------

write_config() {	# write_config NAME KEYFILE
	cat > "$W/$1.conf" <<-EOF
	[global]
	socket = $W/$1.sock
	server_profile = web
	ticket_key_file = $2
	session_store = memcached
	session_store_servers = localhost:$MC_PORT
	session_store_timeout = ${TIMEOUT_MS}ms

	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	alpn = http/1.1
	server_names = localhost
	session_ids = on
	session_tickets = on
	EOF
}

start_ktlsd() {	# start_ktlsd NAME: ktlsd and its `ktls serve`; sets PID_NAME, PORT_NAME
	ktlsd_named_start "$1" && ktls_serve_named "$1" "$1"
}

# ---- helpers -----------------------------------------------------------------

# fetch NAME PORT OPENSSL-ARGS...: GET /page.txt through s_client; its
# output in $W/NAME.out, "New" or "Reused" in SESSION, the page's checksum
# compared.  Fails if the handshake or the transfer did.
fetch() {
	local name=$1 port=$2 body
	shift 2
	printf 'GET /page.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' |
		timeout 60 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
			-CAfile "$W/ca.pem" -verify_return_error -ign_eof "$@" \
			> "$W/$name.out" 2> "$W/$name.err" || return 1
	SESSION=$(grep -oE '^(New|Reused), TLSv1\.[23]' "$W/$name.out" | head -n 1)
	SESSION=${SESSION%%,*}
	body=$(sed -n '/^\r\?$/,$p' "$W/$name.out" | grep -xE '[0-9a-f]{128}' | head -n 1)
	[ -n "$body" ] && [ "$(printf '%s\n' "$body" | sha256sum)" = "$PAGE_SUM" ]
}

# counter NAME EVENT: the web profile's session counter in ktls status
counter() {
	KTLS_SOCKET=$W/$1.sock "$KTLS" status --prometheus 2> /dev/null |
		sed -n "s/^ktlsd_session_events_total{profile=\"web\",event=\"$2\"} //p"
}

failed_handshakes() {
	KTLS_SOCKET=$W/$1.sock "$KTLS" status --prometheus 2> /dev/null |
		sed -n 's/^ktlsd_profile_handshakes_total{profile="web",result="failed"} //p'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

expect_session() {	# expect_session WANT LABEL: after a fetch
	if [ "$SESSION" = "$1" ]; then
		tap_ok "$2: $1, page sha256 match"
	else
		tap_not_ok "$2: wanted $1, got '${SESSION:-nothing}'"
	fi
}

# ---- run ---------------------------------------------------------------------

gen_test_certs "$W" > /dev/null || skip_all "cannot make test certificates"
mkdir -p "$W/root" && head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/root/page.txt"
echo >> "$W/root/page.txt"
PAGE_SUM=$(sha256sum < "$W/root/page.txt")
"$KTLSD" --generate-ticket-key "$W/ticket.key" > /dev/null ||
	skip_all "this ktlsd cannot make a ticket key"
"$KTLSD" --generate-ticket-key "$W/other.key" > /dev/null || exit 1
MC_PORT=$(pick_port) || exit 1
memcached_start || skip_all "memcached did not start: $(cat "$W/memcached.log")"
write_config a "$W/ticket.key"
write_config b "$W/ticket.key"
write_config c "$W/other.key"
"$KTLSD" -n --config "$W/a.conf" > "$W/check.out" 2>&1 ||
	skip_all "this ktlsd has no session store: $(tail -n 1 "$W/check.out")"
start_ktlsd a && start_ktlsd b && start_ktlsd c || { tap_not_ok "three ktlsd up"; tap_done; exit 1; }
tap_ok "memcached on :$MC_PORT; ktlsd a, b (one ticket key), c (another) serving"

# 1. the shared store: a session ID from A resumes through B
if fetch a1 "$PORT_a" -tls1_2 -no_ticket -sess_out "$W/id.sess"; then
	expect_session New "TLS 1.2 session ID, first handshake through A"
else
	tap_not_ok "TLS 1.2 session ID, first handshake through A"
	diag "$(cat "$W/a1.err")"
fi
fetch b1 "$PORT_b" -tls1_2 -no_ticket -sess_in "$W/id.sess" ||
	diag "fetch through B failed: $(cat "$W/b1.err")"
expect_session Reused "the same session ID through B (shared store)"
[ "$(counter b store_error)" = 0 ] && tap_ok "no store error on B so far" ||
	tap_not_ok "no store error on B so far (got $(counter b store_error))"

# 2. the shared key alone: a TLS 1.2 ticket from A resumes on B
fetch a2 "$PORT_a" -tls1_2 -sess_out "$W/ticket.sess" || diag "$(cat "$W/a2.err")"
fetch b2 "$PORT_b" -tls1_2 -sess_in "$W/ticket.sess" || diag "$(cat "$W/b2.err")"
expect_session Reused "a TLS 1.2 ticket from A through B (one ticket_key_file)"

# 3. another key on the same store: a full handshake, no failure
before=$(counter c store_error)
if fetch c1 "$PORT_c" -tls1_2 -no_ticket -sess_in "$W/id.sess"; then
	expect_session New "A's session ID through C (another ticket key)"
else
	tap_not_ok "A's session ID through C (another ticket key): handshake failed"
fi
[ "$(counter c store_error)" -gt "${before:-0}" ] 2> /dev/null &&
	grep -q 'does not open with this host.s key' "$W/c.log" &&
	tap_ok "C counts and logs the entry it cannot open" ||
	tap_not_ok "C counts and logs the entry it cannot open ($(counter c store_error))"

# 4. the store killed mid-test
fetch a3 "$PORT_a" -tls1_2 -no_ticket -sess_out "$W/id2.sess" || diag "$(cat "$W/a3.err")"
kill "$MC_PID"; wait "$MC_PID" 2> /dev/null
ok=0
for i in 1 2 3 4; do
	fetch "down-a$i" "$PORT_a" -tls1_2 -no_ticket -sess_out "$W/down$i.sess" &&
		[ "$SESSION" = New ] && ok=$((ok + 1))
	fetch "down-b$i" "$PORT_b" -tls1_2 -no_ticket -sess_in "$W/down$i.sess" &&
		[ "$SESSION" = New ] && ok=$((ok + 1))
done
fetch down-b "$PORT_b" -tls1_2 -no_ticket -sess_in "$W/id2.sess" && [ "$SESSION" = New ] &&
	ok=$((ok + 1))
[ "$ok" = 9 ] && tap_ok "store down: 9 handshakes through A and B all complete, full" ||
	tap_not_ok "store down: $ok of 9 handshakes completed as full handshakes"
errs_a=$(counter a store_error) errs_b=$(counter b store_error)
[ "${errs_a:-0}" -gt 0 ] && [ "${errs_b:-0}" -gt 0 ] &&
	tap_ok "store down: store_error counted (A $errs_a, B $errs_b)" ||
	tap_not_ok "store down: store_error counted (A ${errs_a:-?}, B ${errs_b:-?})"
[ "$(failed_handshakes a)" = 0 ] && [ "$(failed_handshakes b)" = 0 ] &&
	tap_ok "store down: no failed handshake on A or B" ||
	tap_not_ok "store down: failed handshakes A $(failed_handshakes a), B $(failed_handshakes b)"
n=$(grep -c 'session store (memcached.*failed' "$W/a.log")
[ "$n" = 1 ] && tap_ok "store down: A's log says so once" ||
	{ tap_not_ok "store down: A's log says so once (got $n)"; diag "$(grep 'session store' "$W/a.log")"; }

# 5. back: logged once, resumption works again
memcached_start || diag "memcached did not restart"
sleep 1.2			# a handle's quiet time after a failure (1 s)
fetch a4 "$PORT_a" -tls1_2 -no_ticket -sess_out "$W/id3.sess" || diag "$(cat "$W/a4.err")"
fetch b4 "$PORT_b" -tls1_2 -no_ticket -sess_in "$W/id3.sess" || diag "$(cat "$W/b4.err")"
expect_session Reused "store back: a new session from A resumes through B"
n=$(grep -c 'session store (memcached.*answers again after' "$W/a.log")
[ "$n" = 1 ] && tap_ok "store back: A's log says so once" ||
	{ tap_not_ok "store back: A's log says so once (got $n)"; diag "$(grep 'session store' "$W/a.log")"; }

# 6. the store slow: SIGSTOP (the kernel still accepts, nothing answers).
# Timed by ktlsd itself (its "handshake ok ... duration=Nms" lines, free
# of the guest's s_client start-up noise): B's full handshakes with a
# healthy store, then, memcached stopped, a session from A offered to B
# (B's lookup waits out the store, then B does a full handshake).
durations() {	# durations LOG FROM-LINE: "ok" handshakes' ms after that line
	tail -n +"$(($2 + 1))" "$1" | sed -n 's/.*handshake ok .*duration=\([0-9]*\)ms.*/\1/p'
}
max_of() { sort -n | tail -n 1; }
mark=$(wc -l < "$W/b.log")
for i in 1 2 3; do
	fetch "full-b$i" "$PORT_b" -tls1_2 -no_ticket || diag "$(cat "$W/full-b$i.err")"
done
base=$(durations "$W/b.log" "$mark" | max_of)
fetch a5 "$PORT_a" -tls1_2 -no_ticket -sess_out "$W/id4.sess" || diag "$(cat "$W/a5.err")"
failed_before=$(failed_handshakes b)
mark=$(wc -l < "$W/b.log")
kill -STOP "$MC_PID"
# stopped for sure (the signal is asynchronous) before the first handshake
for ((i = 0; i < 100; i++)); do
	[ "$(sed 's/.*) //' "/proc/$MC_PID/stat" | cut -c1)" = T ] && break
	sleep 0.05
done
sleep 0.1
ok=0
for i in 1 2 3; do
	fetch "slow-b$i" "$PORT_b" -tls1_2 -no_ticket -sess_in "$W/id4.sess" &&
		[ "$SESSION" = New ] && ok=$((ok + 1))
done
kill -CONT "$MC_PID"
times=$(durations "$W/b.log" "$mark" | tr '\n' ' ')
worst=$(durations "$W/b.log" "$mark" | max_of)
# A lookup waits at most ~2 x timeout (send, reply), the store call after
# it as much again at worst; plus a second of slack for the TCG guest.
bound=$((${base:-0} + 4 * TIMEOUT_MS + 1000))
diag "B's handshakes (ktlsd's duration): full, healthy store: worst ${base:-?} ms; memcached stopped: ${times}ms (bound $bound ms)"
[ "$ok" = 3 ] && tap_ok "store slow: 3 handshakes through B complete (full), page sha256 match" ||
	tap_not_ok "store slow: $ok of 3 handshakes completed"
[ -n "$worst" ] && [ "$worst" -le "$bound" ] &&
	tap_ok "store slow: each within the bound (${worst} <= ${bound} ms)" ||
	tap_not_ok "store slow: worst ${worst:-?} ms over the bound ${bound} ms"
[ "$(failed_handshakes b)" = "$failed_before" ] && tap_ok "store slow: no failed handshake on B" ||
	tap_not_ok "store slow: failed handshakes on B: $failed_before before, $(failed_handshakes b) after"
diag "A's store log lines:" "$(grep -h 'session store' "$W/a.log")"
diag "B's store log lines:" "$(grep -h 'session store' "$W/b.log")"
grep -q 'handshake failed' "$W/b.log" && diag "B's failures:" "$(grep 'handshake failed' "$W/b.log")"

# 7. the sandbox with a store: the network process runs under its filter
# and Landlock (the lines below), reaches memcached (everything above),
# and a compromised one (build/tests/ktlsd-attack, the probe of
# tests/integration/attack) still cannot connect to another TCP port, here
# ktls serve's of A, which listens.
diag "A's sandbox:" "$(grep -E 'Landlock|system call filter' "$W/a.log")"
ATTACK=$BUILD/tests/ktlsd-attack
abi=$(sed -n 's/.*sandboxed (Landlock ABI \([0-9]*\)).*/\1/p' "$W/a.log" | head -n 1)
if [ ! -x "$ATTACK" ]; then
	tap_skip "a compromised network process with a store: no other TCP port" "no $ATTACK"
elif [ "${abi:-0}" -lt 4 ]; then
	tap_skip "a compromised network process with a store: no other TCP port" \
		"Landlock ABI ${abi:-none} here: TCP rules need 4"
else
	write_config d "$W/ticket.key"
	KTLSD_ATTACK_PORT=$PORT_a "$ATTACK" --foreground --config "$W/d.conf" > "$W/d.log" 2>&1 &
	PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		grep -q 'attack: TCP connect' "$W/d.log" && break
		sleep 0.1
	done
	diag "$(grep 'attack: \(socket\|TCP\)' "$W/d.log")"
	grep -q 'attack: TCP connect to 127.0.0.1: blocked' "$W/d.log" &&
		tap_ok "a compromised network process with a store cannot connect to another TCP port (Landlock ABI $abi)" ||
		tap_not_ok "a compromised network process with a store cannot connect to another TCP port"
fi

# 8. add_once (and the rest of the store's unit tests) against the real server
if [ -x "$BUILD/tests/unit/test_shared_store" ]; then
	tap_relay < <(CMOCKA_MESSAGE_OUTPUT=TAP "$BUILD/tests/unit/test_shared_store" \
		2> "$W/unit.err")
else
	tap_skip "shared_store against a real memcached" "no $BUILD/tests/unit/test_shared_store"
fi

tap_done
