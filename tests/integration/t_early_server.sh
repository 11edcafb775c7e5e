#!/usr/bin/env bash
# t_early_server.sh - TLS 1.3 0-RTT into ktlsd as a server (issue 12),
# with openssl s_client and gnutls-cli against ktls serve:
#
#   - a ticket from ktlsd A, early data "GET /page.txt": s_client reports
#     "Early data was accepted", the page comes back (SHA-256 checked),
#     ktlsd logs early=accepted, ktls serve logs the request as 0-RTT
#   - a POST in early data gets 425 Too Early
#   - the same session file used again (the same ticket identity, the
#     same early data): rejected as a replay, the handshake still resumes
#   - gnutls-cli --resume --earlydata: accepted, the page correct
#   - a caller that did not ask (ktls serve --no-early-data): rejected
#     (not-requested), the handshake resumes and the resent request works
#   - a host whose profile says early_data = off (same ticket key):
#     rejected (profile-off), the handshake resumes
#   - ktlsd B, same ticket key and memcached: a fresh ticket of A is
#     accepted on B, a ticket already used for 0-RTT on A is caught on B
#     as a replay (the shared store)
#   - more early data than the profile's size (host "small", 1k, a ticket
#     of A that allows 14k): the handshake fails as RFC 8446 4.2.10 wants,
#     and ktlsd keeps serving
#   - memcached stopped: early data rejected (store-unavailable), the
#     handshake succeeds, the resent request works
#   - ktls status --prometheus counts it all per profile
# Needs a kTLS kernel (tests/vm/run -- bash THIS), openssl, memcached;
# gnutls-cli for its part.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
PIDS=()

skip_all() { tap_skip_all "TLS 1.3 0-RTT into ktlsd as a server" "$1"; }

[ -x "$KTLSD" ] && [ -x "$KTLS" ] || skip_all "no $KTLSD or $KTLS (make)"
command -v openssl > /dev/null || skip_all "no openssl"
MEMCACHED=$(command -v memcached) || skip_all "no memcached (apt-get install memcached)"
why=$(why_not_root_ktls) && [ -z "$why" ] || skip_all "$why"

ktls_tmpdir early || exit 1
W=$KTLS_TMPDIR
chmod 0755 "$W"

at_exit stop_bg_pids

# ---- setup -------------------------------------------------------------------

write_config() {	# write_config NAME EARLY_DATA STORE(yes|no)
	{
		cat <<-EOF
		[global]
		socket = $W/$1.sock
		server_profile = web
		ticket_key_file = $W/ticket.key
		# long enough that GnuTLS never starts a new recording period
		# during the test: every rejection below is ours to explain
		early_data_window = 600s
		# four daemons in a slow guest: keep each small
		workers = 1
		signers = 1
		EOF
		[ "$3" = yes ] && cat <<-EOF
		session_store = memcached
		session_store_servers = 127.0.0.1:$MC_PORT
		session_store_timeout = 500ms
		EOF
		cat <<-EOF

		[profile web]
		role = server
		certificate = $W/server.pem
		key = $W/server.key
		alpn = http/1.1
		server_names = localhost
		early_data = $2
		EOF
	} > "$W/$1.conf"
}

start_ktlsd() {	# start_ktlsd NAME: twice, should a loaded guest be too slow once
	ktlsd_named_start "$1" || { diag "starting ktlsd $1 again"; ktlsd_named_start "$1"; }
}

# ---- helpers -----------------------------------------------------------------

GET_REQ=$'GET /page.txt HTTP/1.0\r\nHost: localhost\r\n\r\n'

# sclient NAME PORT STDIN-FILE ARGS...: s_client's output in $W/NAME.out
sclient() {
	local name=$1 port=$2 in=$3
	shift 3
	timeout 60 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$W/ca.pem" -verify_return_error -ign_eof -tls1_3 "$@" \
		< "$in" > "$W/$name.out" 2> "$W/$name.err"
}

page_ok() {	# page_ok FILE: the page's line is in FILE, its SHA-256 right
	local body
	body=$(grep -aoE '^[0-9a-f]{128}' "$1" | head -n 1)
	[ -n "$body" ] && [ "$(printf '%s\n' "$body" | sha256sum)" = "$PAGE_SUM" ]
}

early_status() {	# early_status NAME: accepted, rejected or none
	if grep -q 'Early data was accepted' "$W/$1.out"; then echo accepted
	elif grep -q 'Early data was rejected' "$W/$1.out"; then echo rejected
	else echo none; fi
}

reused() { grep -q '^Reused, TLSv1.3' "$W/$1.out"; }

# full NAME PORT: a full handshake that saves its ticket in $W/NAME.sess
full() {
	printf '%s' "$GET_REQ" > "$W/get.txt"
	sclient "$1" "$2" "$W/get.txt" -sess_out "$W/$1.sess" && [ -s "$W/$1.sess" ]
}

last_early() {	# last_early KTLSD: the early= field of its last handshake line
	grep 'handshake ok' "$W/$1.log" | tail -n 1 | sed -n 's/.* early=\([^ ]*\) .*/\1/p'
}

counter() {	# counter KTLSD EVENT
	KTLS_SOCKET=$W/$1.sock "$KTLS" status --prometheus 2> /dev/null |
		sed -n "s/^ktlsd_early_data_total{profile=\"web\",event=\"$2\"} //p"
}

check() {	# check LABEL CONDITION...: one TAP line, diagnostics on failure
	local label=$1
	shift
	if "$@"; then tap_ok "$label"; else tap_not_ok "$label"; return 1; fi
}

show() {	# show NAME: what s_client said, for a failure
	diag "s_client $1:" "$(grep -aE 'Early data|Reused|New,|HTTP/|alert|error' "$W/$1.out" "$W/$1.err" | head -n 12)"
}

# ---- run ---------------------------------------------------------------------

gen_test_certs "$W" > /dev/null || skip_all "cannot make test certificates"
mkdir -p "$W/root" && head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/root/page.txt"
echo >> "$W/root/page.txt"
PAGE_SUM=$(sha256sum < "$W/root/page.txt")
printf '%s' "$GET_REQ" > "$W/early-get.txt"
printf 'POST /page.txt HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello' \
	> "$W/early-post.txt"
: > "$W/empty"
"$KTLSD" --generate-ticket-key "$W/ticket.key" > /dev/null ||
	skip_all "this ktlsd cannot make a ticket key"
MC_PORT=$(pick_port) || exit 1
memcached_start || skip_all "memcached did not start: $(cat "$W/memcached.log")"
write_config a 14k yes
write_config b 14k yes
write_config off off no
write_config small 1k yes
"$KTLSD" -n --config "$W/a.conf" > "$W/check.out" 2>&1 ||
	skip_all "this ktlsd has no early_data: $(tail -n 1 "$W/check.out")"
if start_ktlsd a && start_ktlsd b && start_ktlsd off && start_ktlsd small &&
	ktls_serve_named a a && ktls_serve_named a_noearly a --no-early-data && ktls_serve_named b b &&
	ktls_serve_named off off && ktls_serve_named small small; then
	tap_ok "memcached; ktlsd a, b (early_data 14k, one ticket key, one store), off, small (1k)"
else
	tap_not_ok "four ktlsd and their ktls serve up"
	tap_done
	exit 1
fi

# 1. accepted: a GET in early data, answered
full t1 "$PORT_a" || diag "full handshake through A failed: $(cat "$W/t1.err")"
check "full handshake through A, page sha256 match, ticket saved" page_ok "$W/t1.out"
sclient e1 "$PORT_a" "$W/empty" -sess_in "$W/t1.sess" -early_data "$W/early-get.txt"
if [ "$(early_status e1)" = accepted ] && reused e1 && page_ok "$W/e1.out"; then
	tap_ok "s_client: Early data was accepted, resumed, the page from 0-RTT correct (sha256)"
else
	tap_not_ok "s_client 0-RTT through A: early $(early_status e1), page $(page_ok "$W/e1.out" && echo ok || echo wrong)"
	show e1
fi
note=$(last_early a)
check "ktlsd A logs early=$note (accepted:$(wc -c < "$W/early-get.txt"))" \
	[ "$note" = "accepted:$(wc -c < "$W/early-get.txt")" ]
check "ktls serve answered it as 0-RTT" grep -q '"GET /page.txt HTTP/1.0" 200 .* 0-RTT' \
	"$W/serve-a.log"

# 2. a POST in early data: 425
full t2 "$PORT_a" > /dev/null
sclient e2 "$PORT_a" "$W/empty" -sess_in "$W/t2.sess" -early_data "$W/early-post.txt"
if [ "$(early_status e2)" = accepted ] && grep -aq '^HTTP/1.1 425 Too Early' "$W/e2.out"; then
	tap_ok "a POST in early data: accepted by TLS, answered 425 Too Early"
else
	tap_not_ok "a POST in early data: early $(early_status e2), $(grep -a '^HTTP/' "$W/e2.out")"
	show e2
fi

# 3. the same session file again (same ticket, same early data): a replay
before=$(counter a replay)
sclient e3 "$PORT_a" "$W/early-get.txt" -sess_in "$W/t1.sess" -early_data "$W/early-get.txt"
if [ "$(early_status e3)" = rejected ] && reused e3 && page_ok "$W/e3.out"; then
	tap_ok "the same ticket's early data again: rejected, resumed as 1-RTT, resent GET answered"
else
	tap_not_ok "replay on A: early $(early_status e3), resumed $(reused e3 && echo yes || echo no)"
	show e3
fi
note=$(last_early a)
after=$(counter a replay)
if [ "$note" = rejected:replay ] && [ "${after:-0}" -gt "${before:-0}" ]; then
	tap_ok "ktlsd A logs early=$note, the replay counted ($before -> $after)"
else
	tap_not_ok "ktlsd A logs early=$note (want rejected:replay), replays $before -> $after"
fi
n=$(grep -c '"GET /page.txt HTTP/1.0" 200 .* 0-RTT' "$W/serve-a.log")
check "the application got early data once, never twice (0-RTT requests served: $n)" [ "$n" = 1 ]

# 4. gnutls-cli --resume --earlydata
if command -v gnutls-cli > /dev/null; then
	(sleep 5) | timeout 60 gnutls-cli --resume --earlydata="$W/early-get.txt" \
		--x509cafile="$W/ca.pem" -p "$PORT_a" localhost > "$W/g1.out" 2> "$W/g1.err"
	note=$(last_early a)
	if grep -q 'This is a resumed session' "$W/g1.out" && [ "${note%%:*}" = accepted ] &&
		page_ok "$W/g1.out"; then
		tap_ok "gnutls-cli --resume --earlydata: resumed, early=$note, the page correct (sha256)"
	else
		tap_not_ok "gnutls-cli --resume --earlydata: early=$note"
		diag "$(tail -n 15 "$W/g1.out")" "$(tail -n 5 "$W/g1.err")"
	fi
else
	tap_skip "gnutls-cli --resume --earlydata" "no gnutls-cli"
fi

# 5. a caller that did not ask: ktls serve --no-early-data on the same ktlsd
full t5 "$PORT_a" > /dev/null
sclient e5 "$PORT_a_noearly" "$W/early-get.txt" -sess_in "$W/t5.sess" \
	-early_data "$W/early-get.txt"
note=$(last_early a)
if [ "$(early_status e5)" = rejected ] && reused e5 && page_ok "$W/e5.out" &&
	[ "$note" = rejected:not-requested ]; then
	tap_ok "a caller that did not ask: rejected (early=$note), resumed, resent GET answered"
else
	tap_not_ok "a caller that did not ask: early $(early_status e5), log early=$note"
	show e5
fi
! grep -q '0-RTT' "$W/serve-a_noearly.log" && tap_ok "... and it got no early data" ||
	tap_not_ok "the caller that did not ask got early data"

# 6. the profile says off (same ticket key): rejected, the handshake resumes
full t6 "$PORT_a" > /dev/null
sclient e6 "$PORT_off" "$W/early-get.txt" -sess_in "$W/t6.sess" -early_data "$W/early-get.txt"
note=$(last_early off)
if [ "$(early_status e6)" = rejected ] && reused e6 && page_ok "$W/e6.out" &&
	[ "$note" = rejected:profile-off ]; then
	tap_ok "early_data = off: rejected (early=$note), resumed, resent GET answered"
else
	tap_not_ok "early_data = off: early $(early_status e6), log early=$note"
	show e6
fi

# 7. the fleet: B accepts a fresh ticket of A, catches one A took 0-RTT on
full t7 "$PORT_a" > /dev/null
sclient e7 "$PORT_b" "$W/empty" -sess_in "$W/t7.sess" -early_data "$W/early-get.txt"
if [ "$(early_status e7)" = accepted ] && page_ok "$W/e7.out"; then
	tap_ok "B: a fresh ticket of A carries early data (accepted, page correct)"
else
	tap_not_ok "B: a fresh ticket of A: early $(early_status e7)"
	show e7
fi
sclient e8 "$PORT_b" "$W/early-get.txt" -sess_in "$W/t2.sess" -early_data "$W/early-post.txt"
note=$(last_early b)
if [ "$(early_status e8)" = rejected ] && reused e8 && [ "$note" = rejected:replay ]; then
	tap_ok "B: a ticket A took 0-RTT on is caught as a replay (shared store), resumed"
else
	tap_not_ok "B: the replay of A's 0-RTT: early $(early_status e8), log early=$note"
	show e8
fi

# 8. more early data than the profile takes: the handshake fails, ktlsd lives
full t9 "$PORT_a" > /dev/null
head -c 4000 /dev/zero | tr '\0' 'x' > "$W/big.txt"
failed_before=$(grep -c 'handshake failed' "$W/small.log")
sclient e9 "$PORT_small" "$W/empty" -sess_in "$W/t9.sess" -early_data "$W/big.txt"
failed_after=$(grep -c 'handshake failed' "$W/small.log")
# s_client may already have read "accepted" (EncryptedExtensions) when the
# server stops at the record past the limit: what counts is that the
# handshake fails and the application never gets any of it.
if ! page_ok "$W/e9.out" && [ "$failed_after" -gt "$failed_before" ] &&
	grep 'handshake failed' "$W/small.log" | tail -n 1 | grep -q 'more early data than the 1024 bytes' &&
	! grep -q '0-RTT' "$W/serve-small.log"; then
	tap_ok "4000 bytes of early data into a 1k profile: the handshake fails (RFC 8446 4.2.10), said so, nothing delivered"
else
	tap_not_ok "oversized early data: early $(early_status e9), failures $failed_before -> $failed_after"
	show e9
fi
diag "small's log: $(grep 'handshake failed' "$W/small.log" | tail -n 1)"
full t10 "$PORT_small" > /dev/null
check "... and ktlsd small still serves (a full handshake, page sha256 match)" \
	page_ok "$W/t10.out"
check "... its process alive" kill -0 "$PID_small"

# 9. memcached stopped: early data rejected, the handshake succeeds
full t11 "$PORT_a" > /dev/null
kill "$MC_PID"
wait "$MC_PID" 2> /dev/null
sclient e11 "$PORT_a" "$W/early-get.txt" -sess_in "$W/t11.sess" -early_data "$W/early-get.txt"
note=$(last_early a)
if [ "$(early_status e11)" = rejected ] && reused e11 && page_ok "$W/e11.out" &&
	[ "$note" = rejected:store-unavailable ]; then
	tap_ok "memcached down: early data rejected (early=$note), resumed, resent GET answered"
else
	tap_not_ok "memcached down: early $(early_status e11), log early=$note"
	show e11
fi

# 10. the counters
for ev in offered accepted rejected replay store_error bytes; do
	diag "A $ev: $(counter a $ev)  B $ev: $(counter b $ev)"
done
[ "$(counter a accepted)" -ge 3 ] 2> /dev/null && [ "$(counter a replay)" -ge 1 ] &&
	[ "$(counter a store_error)" -ge 1 ] && [ "$(counter b replay)" -ge 1 ] &&
	[ "$(counter a offered)" -ge 6 ] &&
	tap_ok "ktls status counts offered/accepted/replay/store_error per profile" ||
	tap_not_ok "ktls status counters"
KTLS_SOCKET=$W/a.sock "$KTLS" status | grep -q '^early data:' &&
	tap_ok "ktls status shows an early data table" || tap_not_ok "ktls status early data table"

tap_done
