#!/usr/bin/env bash
# t_early_replay.sh - TLS 1.3 0-RTT between ktlsd's two roles, and a
# byte-identical replay of a captured 0-RTT first flight (issue 12):
#
#   - `ktls get --early-data` through ktlsd A (client profile) against
#     `ktls serve` on ktlsd A (server profile): the 1st get full, the 2nd
#     resumed with the request as 0-RTT: A logs early=accepted:N on the
#     client and on the server handshake line, ktls get says "early data:
#     accepted", ktls serve logs the GET as 0-RTT, the body's SHA-256 right
#   - openssl s_client -sess_in -early_data through a recording TCP relay
#     (python3, below) to ktls serve on A: everything the client sent
#     before the server's first byte (ClientHello + early data records) is
#     saved, the early GET answered once
#   - those bytes again on a new TCP connection (the attacker: no keys) to
#     A, then to ktlsd B (same ticket key, same memcached): the server
#     answers with a ServerHello (the ticket's PSK is good) whose
#     EncryptedExtensions record is 4 bytes shorter than the original's
#     (no early_data extension: the early data rejected, seen from the
#     wire), the handshake cannot complete, ktlsd counts a replay and its
#     "handshake failed" line says early=rejected:replay, ktls serve's log
#     has the early GET exactly once; A and B keep serving
# Needs a kTLS kernel (tests/vm/run -- bash THIS), openssl, memcached,
# python3.
# The conditions given to check() via eval are single-quoted on purpose:
# they are evaluated when the check runs.
# shellcheck disable=SC2016
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

BUILD=${BUILD:-build}
KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
PIDS=()
PORT_a=
PORT_b=

skip_all() { tap_skip_all "TLS 1.3 0-RTT replayed" "$1"; }

if [ ! -x "$KTLSD" ] || [ ! -x "$KTLS" ]; then
	skip_all "no $KTLSD or $KTLS (make)"
fi
missing=$(need_cmd openssl python3 sha256sum) || skip_all "$missing"
MEMCACHED=$(command -v memcached) || skip_all "no memcached (apt-get install memcached)"
why=$(why_not_root_ktls) && [ -z "$why" ] || skip_all "$why"

ktls_tmpdir early-replay || exit 1
W=$KTLS_TMPDIR
chmod 0755 "$W"

at_exit stop_bg_pids

# ---- the relay and the replayer ------------------------------------------------

# relay LISTEN TARGET OUT: one connection; the client's bytes are held
# until they hold a ClientHello and an application_data record (its early
# data) or 3 s pass, so the whole first flight goes out before the server
# can answer; what the client sent before the server's first byte goes to
# OUT; then both ways until either side closes.
# replay TARGET IN: send IN on a new connection, read 3 s, say what came
# back (the ServerHello's pre_shared_key extension: the PSK taken).
cat > "$W/flight.py" <<'PY'
import select, socket, sys, time

def records(buf):
    """(type, first handshake byte, length) of each whole TLS record."""
    out, off = [], 0
    while len(buf) - off >= 5:
        n = int.from_bytes(buf[off + 3:off + 5], "big")
        if len(buf) - off < 5 + n:
            break
        out.append((buf[off], buf[off + 5] if n else -1, n))
        off += 5 + n
    return out

def first_encrypted(buf):
    """The length of the server's first encrypted record: its
    EncryptedExtensions, 4 bytes longer when it carries early_data."""
    return next((n for t, _, n in records(buf) if t == 23), 0)

def server_hello_psk(buf):
    """None if buf does not start with a ServerHello, else whether it
    carries pre_shared_key (41)."""
    if len(buf) < 5 + 4 + 38 or buf[0] != 22 or buf[5] != 2:
        return None
    p = 5 + 4 + 2 + 32
    p += 1 + buf[p]
    p += 2 + 1
    end = p + 2 + int.from_bytes(buf[p:p + 2], "big")
    p += 2
    while p + 4 <= min(end, len(buf)):
        t = int.from_bytes(buf[p:p + 2], "big")
        if t == 41:
            return True
        p += 4 + int.from_bytes(buf[p + 2:p + 4], "big")
    return False

def relay(listen_port, target_port, out):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", listen_port))
    ls.listen(1)
    c, _ = ls.accept()
    held, deadline = b"", time.time() + 3
    while time.time() < deadline:
        r = records(held)
        if any(t == 22 and h == 1 for t, h, _ in r) and any(t == 23 for t, _, _ in r):
            break
        rd, _, _ = select.select([c], [], [], 0.1)
        if rd:
            d = c.recv(65536)
            if not d:
                break
            held += d
    s = socket.create_connection(("127.0.0.1", target_port))
    s.sendall(held)
    flight, answered, answer = held, False, b""
    ends = [c, s]
    while ends:
        rd, _, _ = select.select(ends, [], [], 30)
        if not rd:
            break
        for x in rd:
            d = x.recv(65536)
            y = s if x is c else c
            if not d:
                ends = []
                break
            if x is s and len(answer) < 65536:
                answer += d
            if x is s and not answered:
                answered = True
                with open(out, "wb") as f:
                    f.write(flight)
            elif x is c and not answered:
                flight += d
            y.sendall(d)
    if not answered:
        with open(out, "wb") as f:
            f.write(flight)
    print("flight: %d bytes, records %s; server's first encrypted record: %d bytes" % (
        len(flight), [t for t, _, _ in records(flight)], first_encrypted(answer)))

def replay(target_port, inp):
    flight = open(inp, "rb").read()
    s = socket.create_connection(("127.0.0.1", target_port))
    s.sendall(flight)
    got, deadline = b"", time.time() + 3
    while time.time() < deadline:
        rd, _, _ = select.select([s], [], [], 0.2)
        if rd:
            d = s.recv(65536)
            if not d:
                break
            got += d
    s.close()
    psk = server_hello_psk(got)
    print("sent %d bytes; got %d bytes, records %s; server_hello=%s psk=%s; "
          "server's first encrypted record: %d bytes" % (
        len(flight), len(got), [t for t, _, _ in records(got)],
        "no" if psk is None else "yes", "yes" if psk else "no", first_encrypted(got)))

if sys.argv[1] == "relay":
    relay(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
else:
    replay(int(sys.argv[2]), sys.argv[3])
PY

# ---- setup -------------------------------------------------------------------

write_config() {	# write_config NAME: a server profile, a client profile, the store
	cat > "$W/$1.conf" <<-EOF
	[global]
	socket = $W/$1.sock
	server_profile = web
	client_profile = local
	ticket_key_file = $W/ticket.key
	early_data_window = 600s
	workers = 1
	signers = 1
	session_store = memcached
	session_store_servers = 127.0.0.1:$MC_PORT
	session_store_timeout = 500ms

	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	alpn = http/1.1
	server_names = localhost
	early_data = 14k

	[profile local]
	role = client
	ca_file = $W/ca.pem
	verify = required
	EOF
}

# ---- helpers -----------------------------------------------------------------

sclient() {	# sclient NAME PORT STDIN-FILE ARGS...: output in $W/NAME.out
	local name=$1 port=$2 in=$3
	shift 3
	timeout 60 openssl s_client -connect "127.0.0.1:$port" -servername localhost \
		-CAfile "$W/ca.pem" -verify_return_error -ign_eof -tls1_3 "$@" \
		< "$in" > "$W/$name.out" 2> "$W/$name.err"
}

body_ok() {	# body_ok FILE SUM: FILE's 128-hex-digit line has SHA-256 SUM
	local body
	body=$(grep -aoE '^[0-9a-f]{128}' "$1" | head -n 1)
	[ -n "$body" ] && [ "$(printf '%s\n' "$body" | sha256sum)" = "$2" ]
}

early_status() {	# early_status NAME: what s_client said
	if grep -q 'Early data was accepted' "$W/$1.out"; then echo accepted
	elif grep -q 'Early data was rejected' "$W/$1.out"; then echo rejected
	else echo none; fi
}

last_early() {	# last_early KTLSD ROLE: the early= field of its last such line
	grep "handshake ok .* role=$2 " "$W/$1.log" | tail -n 1 |
		sed -n 's/.* early=\([^ ]*\) .*/\1/p'
}

counter() {	# counter KTLSD EVENT
	local v
	v=$(KTLS_SOCKET=$W/$1.sock "$KTLS" status --prometheus 2> /dev/null |
		sed -n "s/^ktlsd_early_data_total{profile=\"web\",event=\"$2\"} //p")
	echo "${v:-0}"
}

failed() { grep -c 'handshake failed' "$W/$1.log"; }

served() {	# served NAME PATH [0-RTT]: requests for PATH in serve-NAME's log
	grep -cE "\"GET $2 HTTP/1\.[01]\" 200 .*${3:-}" "$W/serve-$1.log"
}

check() {	# check LABEL CONDITION...
	local label=$1
	shift
	if "$@"; then tap_ok "$label"; else tap_not_ok "$label"; return 1; fi
}

# ---- run ---------------------------------------------------------------------

gen_test_certs "$W" localhost > /dev/null || skip_all "cannot make test certificates"
mkdir -p "$W/root"
for f in page replay; do
	head -c 64 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$W/root/$f.txt"
	echo >> "$W/root/$f.txt"
done
PAGE_SUM=$(sha256sum < "$W/root/page.txt")
REPLAY_SUM=$(sha256sum < "$W/root/replay.txt")
printf 'GET /replay.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' > "$W/early-get.txt"
printf 'GET /page.txt HTTP/1.0\r\nHost: localhost\r\n\r\n' > "$W/get.txt"
: > "$W/empty"
"$KTLSD" --generate-ticket-key "$W/ticket.key" > /dev/null ||
	skip_all "this ktlsd cannot make a ticket key"
MC_PORT=$(pick_port) || exit 1
memcached_start || skip_all "memcached did not start: $(cat "$W/memcached.log")"
write_config a
write_config b
"$KTLSD" -n --config "$W/a.conf" > "$W/check.out" 2>&1 ||
	skip_all "this ktlsd has no early_data: $(tail -n 1 "$W/check.out")"
if ktlsd_named_start a && ktlsd_named_start b && ktls_serve_named a a && ktls_serve_named b b; then
	tap_ok "memcached; ktlsd a, b (client + server profiles, one ticket key, one store); ktls serve on each"
else
	tap_not_ok "two ktlsd and their ktls serve up"
	tap_done
	exit 1
fi

# 1. ktlsd's client role into ktlsd's server role
kget() {	# kget NAME: ktls get --early-data through A to serve on A
	KTLS_SOCKET=$W/a.sock timeout 60 "$KTLS" get --early-data -o "$W/$1.body" \
		"https://localhost:$PORT_a/page.txt" 2> "$W/$1.err"
}
kget_early() { sed -n 's/^\* early data: \([a-z]*\).*/\1/p' "$W/$1.err" | head -n 1; }
sum_ok() { [ "$(sha256sum < "$1")" = "$PAGE_SUM" ]; }

kget k1
c=$(last_early a client)
s=$(last_early a server)
if sum_ok "$W/k1.body" && ! grep -q 'resumed session' "$W/k1.err" &&
	{ [ "$c" = not_offered ] || [ "$c" = - ]; } && [ "$(kget_early k1)" = not ]; then
	tap_ok "ktls get 1st: full handshake, early=$c (client), body sha256 match"
else
	tap_not_ok "ktls get 1st: early=$c/$s, get says '$(kget_early k1)'"
	diag "$(cat "$W/k1.err")"
fi
kget k2
c=$(last_early a client)
s=$(last_early a server)
n=$(wc -c < "$W/get.txt")
if sum_ok "$W/k2.body" && grep -q '^\* handshake by ktlsd: .*resumed session' "$W/k2.err" &&
	[ "$(kget_early k2)" = accepted ] && [ "${c%%:*}" = accepted ] &&
	[ "$s" = "accepted:${c#accepted:}" ] && [ "$(served a /page.txt 0-RTT)" = 1 ]; then
	tap_ok "ktls get 2nd: resumed, get says accepted, ktlsd client early=$c server early=$s, serve: 0-RTT GET, body sha256 match"
else
	tap_not_ok "ktls get 2nd: client early=$c server early=$s, get says '$(kget_early k2)', 0-RTT GETs $(served a /page.txt 0-RTT)"
	diag "$(cat "$W/k2.err")" "$(grep 'handshake' "$W/a.log" | tail -n 4)" \
		"serve: $(tail -n 3 "$W/serve-a.log")"
	# once more, only to say whether it is a race or every time
	kget k3
	diag "a 3rd get: early '$(kget_early k3)', $(tail -n 1 "$W/k3.err")"
fi
diag "request $n bytes; $(grep '^\* early data' "$W/k2.err")"

# 2. capture one 0-RTT first flight through the relay
sclient t1 "$PORT_a" "$W/get.txt" -sess_out "$W/t1.sess"
check "full handshake through A, ticket saved, page sha256 match" \
	eval '[ -s "$W/t1.sess" ] && body_ok "$W/t1.out" "$PAGE_SUM"'
RELAY=$(pick_port) || exit 1
python3 "$W/flight.py" relay "$RELAY" "$PORT_a" "$W/flight.bin" > "$W/relay.out" 2>&1 &
relay_pid=$!
PIDS+=("$relay_pid")
wait_for_port "$RELAY" 20 "$relay_pid"
sclient e1 "$RELAY" "$W/empty" -sess_in "$W/t1.sess" -early_data "$W/early-get.txt"
wait "$relay_pid"
diag "relay: $(cat "$W/relay.out")"
EE_ACCEPTED=$(sed -n "s/.*first encrypted record: \([0-9]*\) bytes.*/\1/p" "$W/relay.out")
if [ "$(early_status e1)" = accepted ] && body_ok "$W/e1.out" "$REPLAY_SUM" &&
	[ "$(last_early a server)" = "accepted:$(wc -c < "$W/early-get.txt")" ] &&
	grep -q 'records \[22, .*23' "$W/relay.out" && [ "$(served a /replay.txt 0-RTT)" = 1 ]; then
	tap_ok "0-RTT through the relay: accepted (early=$(last_early a server)), answered from early data once, flight recorded ($(wc -c < "$W/flight.bin") bytes)"
else
	tap_not_ok "0-RTT through the relay: s_client $(early_status e1), A early=$(last_early a server), 0-RTT GETs $(served a /replay.txt 0-RTT)"
	diag "$(grep -aE 'Early data|Reused|HTTP/|alert|error' "$W/e1.out" "$W/e1.err" | head -n 8)"
fi

# 3. the flight again, byte for byte, to A and then to B
replayed() {	# replayed KTLSD: send the flight to its ktls serve, judge
	local d=$1 port f0 a0 r0 i ok=1
	port=PORT_$d
	f0=$(failed "$d")
	a0=$(counter "$d" accepted)
	r0=$(counter "$d" replay)
	python3 "$W/flight.py" replay "${!port}" "$W/flight.bin" > "$W/replay-$d.out" 2>&1
	for ((i = 0; i < 150; i++)); do
		[ "$(failed "$d")" -gt "$f0" ] && break
		sleep 0.1
	done
	diag "replay to $d: $(cat "$W/replay-$d.out")" \
		"$d: $(grep 'handshake failed' "$W/$d.log" | tail -n 1)" \
		"$d counters: accepted $a0 -> $(counter "$d" accepted), replay $r0 -> $(counter "$d" replay)"
	check "replay to $d: it answers a ServerHello taking the ticket's PSK" \
		grep -q 'server_hello=yes psk=yes' "$W/replay-$d.out" || ok=0
	check "replay to $d: the handshake does not complete (handshake failed logged)" \
		[ "$(failed "$d")" -gt "$f0" ] || ok=0
	# The replayer cannot read EncryptedExtensions but sees its length:
	# without the early_data extension (rejected) it is 4 bytes shorter
	# than in the accepted original.
	ee=$(sed -n "s/.*first encrypted record: \([0-9]*\) bytes.*/\1/p" "$W/replay-$d.out")
	check "replay to $d: its early data rejected (EncryptedExtensions record $ee bytes, the accepted original's $EE_ACCEPTED: no early_data extension)" \
		eval '[ "${ee:-0}" -gt 0 ] && [ "$((EE_ACCEPTED - ${ee:-0}))" = 4 ]' || ok=0
	check "replay to $d: no early data accepted (accepted counter $a0 -> $(counter "$d" accepted))" \
		[ "$(counter "$d" accepted)" = "$a0" ] || ok=0
	# ktlsd counts the replay although the handshake never finishes, and
	# its failure line says why the early data was rejected
	check "replay to $d: counted as a replay (replay counter $r0 -> $(counter "$d" replay)), the failure line says early=rejected:replay" \
		eval '[ "$(counter "$d" replay)" = "$((r0 + 1))" ] &&
		      grep "handshake failed" "$W/$d.log" | tail -n 1 | grep -q "early=rejected:replay"' || ok=0
	check "replay to $d: ktls serve got the early GET exactly once in all (A: $(served a /replay.txt), B: $(served b /replay.txt))" \
		eval '[ "$(served a /replay.txt)" = 1 ] && [ "$(served b /replay.txt)" = 0 ]' || ok=0
	return $((1 - ok))
}
replayed a
replayed b

# 4. both keep serving
for d in a b; do
	port=PORT_$d
	sclient "after-$d" "${!port}" "$W/get.txt"
	check "ktlsd $d still serves: a full handshake, page sha256 match" \
		body_ok "$W/after-$d.out" "$PAGE_SUM"
done
# and the ticket's owner (who has the keys) is caught as a replay on B
sclient e2 "$PORT_b" "$W/early-get.txt" -sess_in "$W/t1.sess" -early_data "$W/early-get.txt"
note=$(last_early b server)
check "the ticket's holder sending its early data again to B: rejected (early=$note), resent GET answered" \
	eval '[ "$note" = rejected:replay ] && [ "$(early_status e2)" = rejected ] &&
	      body_ok "$W/e2.out" "$REPLAY_SUM" && [ "$(served b /replay.txt 0-RTT)" = 0 ]'

tap_done
