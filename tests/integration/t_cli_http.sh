#!/usr/bin/env bash
# t_cli_http.sh - `ktls serve` and `ktls get` over kernel TLS, with ktlsd
# doing the handshakes, against each other and against clients and servers
# nobody here wrote (curl, gnutls-cli, openssl s_client, openssl s_server,
# gnutls-serv).
#
# Files served: 1 MiB, 1 byte, empty, 16 KiB + 1 (one byte past a full TLS
# record), all random.  Every transfer is checked by SHA-256 against the
# original.  Also: HEAD, keep-alive reuse, 404/403/405/400, symlinks and
# ".." refused, 20 concurrent clients, a chunked response, TLS 1.2, a
# profile's ticket_wait (3s waited out, none not waited), the exit
# statuses of `ktls get` (1 HTTP error, 2 usage, 3 no ktlsd) and of
# `ktls serve` (0 on SIGTERM, 3 no ktlsd), and /proc/net/tls_stat growth.
# Needs a kTLS kernel (run it in the VM: tests/vm/run -- bash THIS) and
# $BUILD/ktlsd; skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
FILES=(one.bin byte.bin empty.bin record.bin)
CLIENTS=20
T=120				# seconds any single client may take
PIDS=()				# background processes we started, stopped at exit

skip_all() { tap_skip_all "ktls get/serve over kTLS" "$1"; }

# ---- setup -------------------------------------------------------------------

write_config() {
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	server_profile = web
	client_profile = local
	# 20 concurrent handshakes (test_concurrent) in an emulated 2-vCPU
	# guest on a loaded host can take longer than the 10 s default; the
	# test is about every client getting its bytes, not about speed
	handshake_timeout = 60s

	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	alpn = http/1.1
	server_names = localhost

	[profile local]
	role = client
	ca_file = $W/ca.pem
	verify = required

	# ticket_wait: a fixed wait that shows, and none
	[profile slowwait]
	role = client
	ca_file = $W/ca.pem
	ticket_wait = 3s

	[profile nowait]
	role = client
	ca_file = $W/ca.pem
	ticket_wait = none

	# lets a request turn verification off (ktls get --insecure)
	[profile lax]
	role = client
	verify = none
	EOF
}

start_ktlsd() {
	local i
	"$KTLSD" --foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" \
		> "$W/ktlsd.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 100; i++)); do
		[ -S "$W/ktlsd.sock" ] && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(cat "$W/ktlsd.log")"
	return 1
}

make_files() {
	mkdir -p "$W/root/sub" "$W/out" &&
	make_pattern_file "$W/root/one.bin" 1 &&
	head -c 1 /dev/urandom > "$W/root/byte.bin" &&
	: > "$W/root/empty.bin" &&
	head -c 16385 /dev/urandom > "$W/root/record.bin" &&
	echo '<p>index</p>' > "$W/root/sub/index.html" &&
	ln -s /etc/passwd "$W/root/passwd-link"
}

start_serve() {
	PORT=$(pick_port) || return 1
	"$KTLS" serve --root "$W/root" --port "$PORT" > "$W/serve.log" 2>&1 &
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
	wait_for_port "$PORT" 20 "$SERVE_PID" && return 0
	diag "ktls serve did not come up; its log:" "$(cat "$W/serve.log")"
	return 1
}

# ---- helpers -----------------------------------------------------------------

url() {
	printf 'https://localhost:%s/%s' "$PORT" "$1"
}

curl_get() {
	timeout "$T" curl -sS --cacert "$W/ca.pem" "$@"
}

same_as() {	# same_as GOT ORIGINAL
	[ -f "$1" ] && [ "$(sha256_of "$1")" = "$(sha256_of "$2")" ]
}

status_of() {	# status_of CURL-ARGS...: the HTTP status curl saw
	curl_get -o /dev/null -w '%{http_code}' "$@"
}

# raw_request REQUEST OUT: send REQUEST as it is through openssl s_client and
# keep every byte of the answer (status line, headers, body).  -quiet
# implies -ign_eof: s_client waits for the server to close.
raw_request() {
	printf '%b' "$1" | timeout "$T" openssl s_client -quiet -connect "localhost:$PORT" \
		-servername localhost -CAfile "$W/ca.pem" -verify_return_error \
		> "$2" 2> "$2.err"
}

# split_response RAW BODY: the head of RAW on stdout, its body into BODY.
# The head ends at the first line that is just CR (grep's byte offset).
split_response() {
	local off
	off=$(LC_ALL=C grep -obUa -m 1 $'^\r$' "$1" | cut -d: -f1)
	[ -n "$off" ] || return 1
	head -c "$off" "$1"
	tail -c +"$((off + 3))" "$1" > "$2"
}

# ---- the tests ---------------------------------------------------------------

test_curl_files() {
	local f
	for f in "${FILES[@]}"; do
		if curl_get -o "$W/out/curl-$f" "$(url "$f")" 2> "$W/err" &&
		   same_as "$W/out/curl-$f" "$W/root/$f"; then
			tap_ok "curl fetches $f ($(stat -c %s "$W/root/$f") bytes) from ktls serve, sha256 match"
		else
			tap_not_ok "curl fetches $f from ktls serve, sha256 match"
			diag "$(cat "$W/err")"
		fi
	done
}

test_get_files() {
	local f rc
	for f in "${FILES[@]}"; do
		timeout "$T" "$KTLS" get "$(url "$f")" -o "$W/out/get-$f" 2> "$W/get-$f.err"
		rc=$?
		if [ "$rc" -eq 0 ] && same_as "$W/out/get-$f" "$W/root/$f"; then
			tap_ok "ktls get fetches $f from ktls serve, exit 0, sha256 match"
		else
			tap_not_ok "ktls get fetches $f from ktls serve (exit $rc), sha256 match"
			diag "$(cat "$W/get-$f.err")"
		fi
	done
}

test_get_reports_session() {
	local err=$W/get-one.bin.err fingerprint
	fingerprint=$(openssl x509 -in "$W/server.pem" -noout -fingerprint -sha256 | cut -d= -f2)
	diag "ktls get said:" "$(cat "$err")"
	if grep -q '^\* handshake by ktlsd: TLS1\.[23], ' "$err" &&
	   grep -q '^\* kernel TLS: TX [A-Z0-9-]*, RX [A-Z0-9-]*$' "$err" &&
	   grep -q '^\* server certificate: CN=localhost' "$err" &&
	   grep -qx "\* server certificate SHA-256: $fingerprint" "$err" &&
	   grep -q '^\* HTTP/1.1 200 OK, 1048576 body bytes' "$err"; then
		tap_ok "ktls get reports version, cipher, certificate and its SHA-256, kernel TX/RX, status"
	else
		tap_not_ok "ktls get reports version, cipher, certificate and its SHA-256, kernel TX/RX, status"
		diag "certificate SHA-256: $fingerprint"
	fi
}

test_head() {
	local head
	raw_request 'HEAD /one.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
		"$W/head.raw"
	head=$(split_response "$W/head.raw" "$W/head.body")
	if [[ $head == "HTTP/1.1 200 OK"* ]] &&
	   grep -qi '^Content-Length: 1048576' <<< "$head" && [ ! -s "$W/head.body" ]; then
		tap_ok "HEAD: 200, Content-Length: 1048576, no body bytes"
	else
		tap_not_ok "HEAD: 200, Content-Length: 1048576, no body bytes"
		diag "head:" "$head" "body bytes: $(stat -c %s "$W/head.body" 2>/dev/null)"
	fi
}

test_keep_alive() {
	local reused=no
	curl_get -v -o "$W/out/ka1" "$(url one.bin)" -o "$W/out/ka2" "$(url record.bin)" \
		2> "$W/ka.err"
	grep -q 'Re-using existing connection' "$W/ka.err" && reused=yes
	if [ "$reused" = yes ] && same_as "$W/out/ka1" "$W/root/one.bin" &&
	   same_as "$W/out/ka2" "$W/root/record.bin"; then
		tap_ok "keep-alive: curl reuses the connection for two files, both sha256 match"
	else
		tap_not_ok "keep-alive: curl reuses the connection (reused: $reused), both sha256 match"
		diag "$(grep -E '^\* |^< ' "$W/ka.err" | head -n 30)"
	fi
}

expect_status() {	# expect_status NAME WANT... -- CURL-ARGS...
	local name=$1 want=() got
	shift
	while [ "$1" != -- ]; do want+=("$1"); shift; done
	shift
	got=$(status_of "$@")
	if [[ " ${want[*]} " == *" $got "* ]]; then
		tap_ok "$name: $got"
	else
		tap_not_ok "$name: got $got, want ${want[*]}"
	fi
}

test_errors() {
	local raw
	expect_status "missing file" 404 -- "$(url nothing-here.bin)"
	expect_status "/../etc/passwd (--path-as-is)" 403 404 -- --path-as-is \
		"https://localhost:$PORT/../etc/passwd"
	expect_status "/sub/../../etc/passwd (--path-as-is)" 403 404 -- --path-as-is \
		"https://localhost:$PORT/sub/../../etc/passwd"
	expect_status "/%2e%2e/%2e%2e/etc/passwd" 403 404 -- --path-as-is \
		"https://localhost:$PORT/%2e%2e/%2e%2e/etc/passwd"
	expect_status "symlink to /etc/passwd inside the root" 403 -- "$(url passwd-link)"
	expect_status "directory with index.html" 200 -- "$(url sub/)"
	expect_status "POST" 405 -- -X POST --data x "$(url one.bin)"
	raw_request 'BREW /pot HTTP/1.1 junk\r\n\r\n' "$W/bad.raw"
	raw=$(head -n 1 "$W/bad.raw" | tr -d '\r')
	if [ "$raw" = "HTTP/1.1 400 Bad Request" ]; then
		tap_ok "malformed request line: 400"
	else
		tap_not_ok "malformed request line: 400 (got \"$raw\")"
	fi
	raw_request 'GET /one.bin HTTP/1.1\r\nX: y\r\n\r\n' "$W/nohost.raw"
	raw=$(head -n 1 "$W/nohost.raw" | tr -d '\r')
	if [ "$raw" = "HTTP/1.1 400 Bad Request" ]; then
		tap_ok "HTTP/1.1 request without Host: 400"
	else
		tap_not_ok "HTTP/1.1 request without Host: 400 (got \"$raw\")"
	fi
	if grep -q 'root:' "$W"/out/* 2>/dev/null; then
		tap_not_ok "no response carried /etc/passwd"
	else
		tap_ok "no response carried /etc/passwd"
	fi
}

test_concurrent() {
	local i rc ok=0 pids=() failed=()
	for ((i = 0; i < CLIENTS; i++)); do
		curl_get -o "$W/out/c$i" "$(url one.bin)" 2> "$W/c$i.err" &
		pids+=($!)
	done
	for ((i = 0; i < CLIENTS; i++)); do
		wait "${pids[$i]}"
		rc=$?
		if [ "$rc" -eq 0 ] && same_as "$W/out/c$i" "$W/root/one.bin"; then
			ok=$((ok + 1))
		else
			failed+=("client $i: exit $rc, $(stat -c %s "$W/out/c$i" 2>/dev/null || echo no) bytes, $(cat "$W/c$i.err")")
		fi
	done
	if [ "$ok" -eq "$CLIENTS" ]; then
		tap_ok "$CLIENTS concurrent curl clients all got one.bin intact"
	else
		tap_not_ok "$CLIENTS concurrent curl clients all got one.bin intact ($ok did)"
		# Everything that tells why: curl's words, and what the two
		# servers logged other than success.
		diag "$(printf '%s\n' "${failed[@]}")"
		diag "ktls serve, not 200:" "$(grep -v '" 200 \|TLS by ktlsd' "$W/serve.log" | tail -n 20)"
		diag "ktlsd, not ok:" "$(grep -v 'handshake ok' "$W/ktlsd.log" | tail -n 20)"
	fi
}

# Silent clients (TCP connected, never a ClientHello) hold only their own
# threads: others are served meanwhile.
test_silent_clients() {
	local fds=() fd i
	for i in 1 2 3; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && fds+=("$fd")
	done
	if curl_get --max-time 20 -o "$W/out/silent" "$(url record.bin)" 2> "$W/err" &&
	   same_as "$W/out/silent" "$W/root/record.bin"; then
		tap_ok "${#fds[@]} silent TCP clients do not hold up a curl fetch"
	else
		tap_not_ok "${#fds[@]} silent TCP clients do not hold up a curl fetch"
		diag "$(cat "$W/err")"
	fi
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
}

# --max-clients 1: while a silent client holds the only slot, a second one
# waits in the backlog; it is served as soon as the slot frees (closing the
# silent connection ends its handshake at once, long before ktlsd's timeout).
test_max_clients() {
	local port pid fd curl_pid rc waited=no freed took
	port=$(pick_port) || { tap_not_ok "--max-clients: a free port"; return; }
	"$KTLS" serve --root "$W/root" --port "$port" --max-clients 1 > "$W/serve1.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if ! wait_for_port "$port" 20 "$pid"; then
		tap_not_ok "ktls serve --max-clients 1 starts"
		return
	fi
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	sleep 0.5
	# curl must not inherit the silent socket, or closing ours would not close it
	curl_get --max-time 60 -o "$W/out/max1" "https://localhost:$port/byte.bin" \
		2> "$W/err" {fd}>&- &
	curl_pid=$!
	sleep 2
	kill -0 "$curl_pid" 2>/dev/null && waited=yes
	freed=$SECONDS
	exec {fd}>&-
	wait "$curl_pid"
	rc=$?
	took=$((SECONDS - freed))
	diag "--max-clients 1: curl done ${took}s after the silent client closed"
	if [ "$waited" = yes ] && [ "$rc" -eq 0 ] && [ "$took" -lt 8 ] &&
	   same_as "$W/out/max1" "$W/root/byte.bin"; then
		tap_ok "--max-clients 1: a second client waits while the slot is taken, then is served"
	else
		tap_not_ok "--max-clients 1: second client waited ($waited), then served (curl exit $rc, ${took}s)"
		diag "$(cat "$W/err" "$W/serve1.log")"
	fi
	stop_pid "$pid"
}

# gnutls-cli quits at EOF on stdin without waiting for the answer: keep its
# stdin open (a sleeping writer) until the server has closed.
test_gnutls_cli() {
	local head writer
	gnutls-cli --x509cafile "$W/ca.pem" -p "$PORT" --logfile "$W/gnutls-cli.log" localhost \
		< <(printf 'GET /one.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
		    exec sleep "$T" 2>/dev/null) > "$W/gnutls.raw" 2> "$W/gnutls-cli.err"
	writer=$!
	kill "$writer" 2>/dev/null
	head=$(split_response "$W/gnutls.raw" "$W/out/gnutls.body")
	if [[ $head == "HTTP/1.1 200 OK"* ]] && same_as "$W/out/gnutls.body" "$W/root/one.bin"; then
		tap_ok "gnutls-cli as client of ktls serve: 200, body sha256 match"
	else
		tap_not_ok "gnutls-cli as client of ktls serve: 200, body sha256 match"
		diag "$head" "$(tail -n 5 "$W/gnutls-cli.err" "$W/gnutls-cli.log")"
	fi
}

test_openssl_client() {
	local head
	raw_request 'GET /one.bin HTTP/1.0\r\n\r\n' "$W/openssl.raw"
	head=$(split_response "$W/openssl.raw" "$W/out/openssl.body")
	if [[ $head == "HTTP/1.1 200 OK"* ]] && grep -qi '^Connection: close' <<< "$head" &&
	   same_as "$W/out/openssl.body" "$W/root/one.bin"; then
		tap_ok "openssl s_client (HTTP/1.0) as client of ktls serve: 200, close, body sha256 match"
	else
		tap_not_ok "openssl s_client (HTTP/1.0) as client of ktls serve: 200, body sha256 match"
		diag "$head" "$(tail -n 5 "$W/openssl.raw.err")"
	fi
}

# start_s_server PORT ARGS...: openssl s_server in $W/root.  Its stdin is a
# FIFO it holds open itself: s_server drops connections at EOF on stdin.
start_s_server() {
	local port=$1 fd
	shift
	[ -p "$W/stdin.fifo" ] || mkfifo "$W/stdin.fifo"
	exec {fd}<>"$W/stdin.fifo"
	(cd "$W/root" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$W/server.pem" \
		-key "$W/server.key" -http_server_binmode "$@") <&"$fd" > "$W/s_server.log" 2>&1 &
	S_SERVER_PID=$!
	PIDS+=("$S_SERVER_PID")
	exec {fd}>&-
	wait_for_port "$port" 20 "$S_SERVER_PID"
}

get_from_peer() {	# get_from_peer NAME URL EXPECTED [GET-ARGS...]
	local name=$1 link=$2 want=$3 rc
	shift 3
	timeout "$T" "$KTLS" get "$@" -o "$W/out/peer.bin" "$link" 2> "$W/peer.err"
	rc=$?
	if [ "$rc" -eq 0 ] && same_as "$W/out/peer.bin" "$want"; then
		tap_ok "$name: exit 0, sha256 match"
		diag "$(grep -E '^\* (handshake|kernel)' "$W/peer.err")"
	else
		tap_not_ok "$name: exit $rc, sha256 match"
		diag "$(cat "$W/peer.err")" "s_server/gnutls-serv log:" \
		     "$(tail -n 10 "$W/s_server.log" "$W/gnutls-serv.log" 2>/dev/null)"
	fi
	rm -f "$W/out/peer.bin"
}

# -WWW answers "HTTP/1.0 200 ok" with no length: the body ends at close.
# Under TLS 1.3 s_server sends two NewSessionTickets after the handshake,
# which ktls_recv() must skip.
test_openssl_server() {
	local port
	port=$(pick_port) || { tap_not_ok "openssl s_server: a free port"; return; }
	if start_s_server "$port" -WWW -num_tickets 2; then
		get_from_peer "ktls get from openssl s_server -WWW on 127.0.0.1 (TLS 1.3, 2 tickets)" \
			"https://localhost:$port/one.bin" "$W/root/one.bin"
		get_from_peer "ktls get from openssl s_server -WWW, empty file" \
			"https://localhost:$port/empty.bin" "$W/root/empty.bin"
	else
		tap_not_ok "openssl s_server -WWW started"
	fi
	stop_pid "$S_SERVER_PID"
	if start_s_server "$port" -WWW -tls1_2; then
		get_from_peer "ktls get from openssl s_server -WWW -tls1_2" \
			"https://localhost:$port/record.bin" "$W/root/record.bin"
		grep -q 'handshake by ktlsd: TLS1.2' "$W/peer.err" ||
			diag "ktls get did not report TLS1.2"
	else
		tap_not_ok "openssl s_server -WWW -tls1_2 started"
	fi
	stop_pid "$S_SERVER_PID"
}

# -HTTP sends the file as it is, headers included: a chunked response.
make_chunked_response() {
	local src=$W/root/one.bin out=$W/root/chunked.http
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' > "$out"
	printf '%x;ext=1\r\n' 1000 >> "$out"
	head -c 1000 "$src" >> "$out"
	printf '\r\n%X\r\n' 300000 >> "$out"
	tail -c +1001 "$src" | head -c 300000 >> "$out"
	printf '\r\n%x\r\n' $((1048576 - 301000)) >> "$out"
	tail -c +301001 "$src" >> "$out"
	printf '\r\n0\r\nX-Trailer: yes\r\n\r\n' >> "$out"
}

test_chunked() {
	local port
	port=$(pick_port) || { tap_not_ok "chunked: a free port"; return; }
	make_chunked_response
	if start_s_server "$port" -HTTP; then
		get_from_peer "ktls get decodes a chunked response (openssl s_server -HTTP)" \
			"https://localhost:$port/chunked.http" "$W/root/one.bin"
	else
		tap_not_ok "openssl s_server -HTTP started"
	fi
	stop_pid "$S_SERVER_PID"
}

test_gnutls_serv() {
	local port pid
	port=$(pick_port) || { tap_not_ok "gnutls-serv: a free port"; return; }
	gnutls-serv --http --httpdata="$W/root/one.bin" -p "$port" \
		--x509certfile "$W/server.pem" --x509keyfile "$W/server.key" \
		> "$W/gnutls-serv.log" 2>&1 < /dev/null &
	pid=$!
	PIDS+=("$pid")
	if wait_for_port "$port" 20 "$pid"; then
		get_from_peer "ktls get from gnutls-serv --http (127.0.0.1 with --sni localhost)" \
			"https://127.0.0.1:$port/" "$W/root/one.bin" --sni localhost
	else
		tap_not_ok "gnutls-serv started"
		diag "$(cat "$W/gnutls-serv.log")"
	fi
	stop_pid "$pid"
}

# ticket_wait, seen from ktlsd's duration= for a server that sends no
# tickets (gnutls-serv --noticket): a fixed 3 s wait is waited out in full,
# none waits for nothing; both fetch intact (ktls get reads with
# ktls_recv(), which would skip a late ticket).
handshake_ms() {	# handshake_ms PROFILE: duration of its last handshake
	grep "handshake ok .*profile=$1 " "$W/ktlsd.log" | tail -n 1 |
		sed -n 's/.* duration=\([0-9]*\)ms.*/\1/p'
}

test_ticket_wait() {
	local port pid slow fast
	port=$(pick_port) || { tap_not_ok "ticket_wait: a free port"; return; }
	gnutls-serv --http --noticket --httpdata="$W/root/one.bin" -p "$port" \
		--x509certfile "$W/server.pem" --x509keyfile "$W/server.key" \
		> "$W/gnutls-serv.log" 2>&1 < /dev/null &
	pid=$!
	PIDS+=("$pid")
	if ! wait_for_port "$port" 20 "$pid"; then
		tap_not_ok "ticket_wait: gnutls-serv --noticket started"
		stop_pid "$pid"
		return
	fi
	get_from_peer "ticket_wait = 3s, server sends no tickets" \
		"https://127.0.0.1:$port/" "$W/root/one.bin" --sni localhost --profile slowwait
	get_from_peer "ticket_wait = none, server sends no tickets" \
		"https://127.0.0.1:$port/" "$W/root/one.bin" --sni localhost --profile nowait
	get_from_peer "ticket_wait = auto (default), server sends no tickets" \
		"https://127.0.0.1:$port/" "$W/root/one.bin" --sni localhost --profile local
	slow=$(handshake_ms slowwait)
	fast=$(handshake_ms nowait)
	diag "client handshake with no tickets to wait for: ticket_wait auto $(handshake_ms local) ms," \
	     "none $fast ms, 3s $slow ms"
	if [ -n "$slow" ] && [ -n "$fast" ] && [ "$slow" -ge 3000 ] && [ "$fast" -lt 3000 ]; then
		tap_ok "ticket_wait: 3s waits it out (${slow} ms), none does not (${fast} ms)"
	else
		tap_not_ok "ticket_wait: 3s waits it out (${slow:-?} ms), none does not (${fast:-?} ms)"
	fi
	stop_pid "$pid"
}

test_get_exit_statuses() {
	local rc
	timeout "$T" "$KTLS" get -o "$W/out/x" "$(url nothing-here.bin)" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q 'answered 404' "$W/x.err" && [ ! -e "$W/out/x" ]; then
		tap_ok "ktls get: HTTP 404 exits 1, says so, writes no output file"
	else
		tap_not_ok "ktls get: HTTP 404 exits 1 (got $rc), says so, writes no output file"
		diag "$(cat "$W/x.err")"
	fi
	"$KTLS" get --cafile "$W/ca.pem" "$(url one.bin)" > /dev/null 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q 'ca_file' "$W/x.err"; then
		tap_ok "ktls get --cafile: exit 2, points to ca_file in a ktlsd profile"
	else
		tap_not_ok "ktls get --cafile: exit 2 (got $rc), points to ca_file"
	fi
}

# Verification is ktlsd's: a wrong name fails, --insecure needs a profile
# that allows it, an IP address is checked against the certificate's IP SAN.
test_get_verification() {
	local rc
	timeout "$T" "$KTLS" get --sni other.example -o "$W/out/x" "$(url byte.bin)" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 4 ] && [ ! -e "$W/out/x" ]; then
		tap_ok "ktls get --sni other.example: certificate name mismatch, exit 4"
	else
		tap_not_ok "ktls get --sni other.example: certificate name mismatch, exit 4 (got $rc)"
	fi
	diag "$(grep 'ktls get' "$W/x.err")"
	timeout "$T" "$KTLS" get --insecure -o "$W/out/x" "$(url byte.bin)" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 4 ] && grep -q 'requires peer verification' "$W/x.err"; then
		tap_ok "ktls get --insecure with a verify=required profile: refused by ktlsd, exit 4"
	else
		tap_not_ok "ktls get --insecure with a verify=required profile: refused, exit 4 (got $rc)"
		diag "$(cat "$W/x.err")"
	fi
	timeout "$T" "$KTLS" get --insecure --profile lax --sni other.example \
		-o "$W/out/lax" "$(url byte.bin)" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 0 ] && same_as "$W/out/lax" "$W/root/byte.bin" &&
	   grep -q 'NOT verified' "$W/x.err"; then
		tap_ok "ktls get --insecure --profile lax: fetched, and says it did not verify"
	else
		tap_not_ok "ktls get --insecure --profile lax: fetched (exit $rc), says it did not verify"
		diag "$(cat "$W/x.err")"
	fi
	timeout "$T" "$KTLS" get -o "$W/out/ip" "https://127.0.0.1:$PORT/byte.bin" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 0 ] && same_as "$W/out/ip" "$W/root/byte.bin"; then
		tap_ok "ktls get https://127.0.0.1:PORT/: verified against the IP address SAN"
	else
		tap_not_ok "ktls get https://127.0.0.1:PORT/: verified against the IP address SAN (exit $rc)"
		diag "$(cat "$W/x.err")"
	fi
	if ! grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null; then
		tap_skip "ktls get https://[::1]:PORT/" "no ::1 on lo here"
		return
	fi
	timeout "$T" "$KTLS" get --sni localhost -o "$W/out/v6" "https://[::1]:$PORT/byte.bin" \
		2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 0 ] && same_as "$W/out/v6" "$W/root/byte.bin" &&
	   grep -q 'connected to ::1 (::1)' "$W/x.err"; then
		tap_ok "ktls get https://[::1]:PORT/ --sni localhost over IPv6"
	else
		tap_not_ok "ktls get https://[::1]:PORT/ --sni localhost over IPv6 (exit $rc)"
		diag "$(cat "$W/x.err")"
	fi
}

test_tls_stat() {
	local tx rx
	tx=$(($(tls_stat TlsTxSw) - TX_BEFORE))
	rx=$(($(tls_stat TlsRxSw) - RX_BEFORE))
	diag "/proc/net/tls_stat: TlsTxSw +$tx, TlsRxSw +$rx; TlsCurrTxSw now $(tls_stat TlsCurrTxSw)"
	# each ktls serve connection and each ktls get adds one TX and one RX
	if [ "$tx" -ge $((CLIENTS + 8)) ] && [ "$rx" -ge $((CLIENTS + 8)) ]; then
		tap_ok "tls_stat: kTLS TX/RX installed for every connection (TlsTxSw +$tx, TlsRxSw +$rx)"
	else
		tap_not_ok "tls_stat: kTLS TX/RX installed for every connection (TlsTxSw +$tx, TlsRxSw +$rx)"
	fi
}

test_serve_stops() {
	local rc
	kill -TERM "$SERVE_PID"
	timeout 15 tail --pid="$SERVE_PID" -f /dev/null
	wait "$SERVE_PID"
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q 'stopped' "$W/serve.log"; then
		tap_ok "ktls serve exits 0 on SIGTERM"
	else
		tap_not_ok "ktls serve exits 0 on SIGTERM (got $rc)"
	fi
}

test_no_daemon() {
	local rc
	stop_pid "$KTLSD_PID"
	timeout "$T" "$KTLS" get -o "$W/out/x" "$(url one.bin)" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q 'ktlsd is not running' "$W/x.err"; then
		tap_ok "ktls get with ktlsd stopped: exit 3, \"ktlsd is not running\""
	else
		tap_not_ok "ktls get with ktlsd stopped: exit 3 (got $rc), \"ktlsd is not running\""
		diag "$(cat "$W/x.err")"
	fi
	timeout "$T" "$KTLS" serve --root "$W/root" --port "$PORT" 2> "$W/x.err"
	rc=$?
	if [ "$rc" -eq 3 ] && grep -q 'ktlsd is not running' "$W/x.err"; then
		tap_ok "ktls serve with ktlsd stopped: exit 3, \"ktlsd is not running\""
	else
		tap_not_ok "ktls serve with ktlsd stopped: exit 3 (got $rc)"
		diag "$(cat "$W/x.err")"
	fi
}

main() {
	local missing start=$SECONDS
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built"
	[ -x "$KTLS" ] || skip_all "$KTLS not built"
	missing=$(need_cmd curl openssl gnutls-cli gnutls-serv sha256sum timeout mkfifo) ||
		skip_all "$missing"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "this kernel cannot run kTLS"
	ktls_tmpdir cli-http || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	chmod 600 "$W"/*.key
	write_config
	make_files || skip_all "cannot write the test files"
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	export KTLS_SOCKET=$W/ktlsd.sock
	TX_BEFORE=$(tls_stat TlsTxSw)
	RX_BEFORE=$(tls_stat TlsRxSw)
	start_serve || { tap_not_ok "ktls serve starts"; tap_done; exit 1; }
	diag "ktlsd pid $KTLSD_PID, ktls serve pid $SERVE_PID on port $PORT"
	test_curl_files
	test_get_files
	test_get_reports_session
	test_head
	test_keep_alive
	test_errors
	test_concurrent
	test_silent_clients
	test_max_clients
	test_gnutls_cli
	test_openssl_client
	test_openssl_server
	test_chunked
	test_gnutls_serv
	test_ticket_wait
	test_get_exit_statuses
	test_get_verification
	test_tls_stat
	test_serve_stops
	test_no_daemon
	diag "ktls serve log (last lines):" "$(tail -n 8 "$W/serve.log")"
	diag "ktlsd log (last lines):" "$(tail -n 8 "$W/ktlsd.log")"
	diag "t_cli_http: $((SECONDS - start)) s"
	tap_done
}

main "$@"
