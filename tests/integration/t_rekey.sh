#!/usr/bin/env bash
# t_rekey.sh - TLS 1.3 KeyUpdate after the handoff, both directions, with
# ktlsd doing the handshakes and peers nobody here wrote (openssl s_server,
# openssl s_client).  Every transfer is hash-verified.
#
# On a kernel that can rekey (Linux 6.14+, `ktls check`: rekey yes):
#  - the key schedule over the kernel's HMAC (AF_ALG) against RFC 8448;
#  - ktlsd logs "rekey ... yes";
#  - ktls <-> ktls: hundreds of KeyUpdates initiated by each side, half of
#    them asking the other side to update too, every byte compared;
#  - openssl s_server types k, K, k in the middle of a 1 MiB stream to a
#    ktls_recv() client, a plain read() + ktls_handle_record() client and
#    `ktls get`: data intact, and after the K the client's own KeyUpdate
#    and its next data reach s_server;
#  - openssl s_client types k and K during a large download from
#    `ktls serve`, which keeps serving (the next request on the same
#    connection is answered, under the new keys);
#  - KTLS_TEST_AEAD_LIMIT=16 (test-only): `ktls serve` rekeys every few
#    records; `ktls get` and openssl s_client take the KeyUpdates;
#  - /proc/net/tls_stat TlsTxRekeyOk / TlsRxRekeyOk move as expected.
# On a kernel that cannot (6.12): the same peers end with a clear error --
# EKEYEXPIRED and a reason naming Linux 6.14, received bytes a clean prefix
# of what was sent, no hang; ktls_rekey() is EOPNOTSUPP and the connection
# still works; `ktls serve` at the AEAD limit closes with close_notify.
# The parts for the other kind of kernel SKIP with the reason.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
PEER=$BUILD/tests/integration/rekey_peer
UNIT=$BUILD/tests/unit/test_rekey
T=120				# seconds any single transfer may take
BYTES=1048576			# the s_server stream
PIDS=()

skip_all() { tap_skip_all "TLS 1.3 KeyUpdate" "$1"; }

# ---- setup -------------------------------------------------------------------

write_config() {
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	server_profile = web
	client_profile = local
	# an emulated CPU shared with other VMs: s_server can be slow to answer
	handshake_timeout = 60s

	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	server_names = localhost

	[profile local]
	role = client
	ca_file = $W/ca.pem
	verify = required
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

# start_serve NAME [ENV...]: `ktls serve` of $W/root on a new port ($PORT).
start_serve() {
	local name=$1
	shift
	PORT=$(pick_port) || return 1
	env "$@" "$KTLS" serve --root "$W/root" --port "$PORT" > "$W/$name.log" 2>&1 &
	SERVE_PID=$!
	PIDS+=("$SERVE_PID")
	wait_for_port "$PORT" 20 "$SERVE_PID" && return 0
	diag "ktls serve did not come up; its log:" "$(cat "$W/$name.log")"
	return 1
}

make_files() {
	mkdir -p "$W/root" &&
	make_pattern_file "$W/root/big.bin" 4 &&
	make_pattern_file "$W/root/one.bin" 1 &&
	echo "small" > "$W/root/small.txt" &&
	# s_server sends its stdin; only digits and newlines, so that no read
	# of it can start with one of its command letters (k, K, q, ...)
	seq 1 400000 > "$W/seq.txt" &&
	head -c "$BYTES" "$W/seq.txt" > "$W/stream.txt" &&
	split -b $((BYTES / 4)) -d "$W/stream.txt" "$W/piece."
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s.
wait_until() {
	local seconds=$1 i
	shift
	for ((i = 0; i < seconds * 5; i++)); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

grep_q() { grep -q -- "$1" "$2" 2>/dev/null; }
# count_is N PATTERN FILE: PATTERN is on at least N lines of FILE
count_is() { [ "$(grep -c -- "$2" "$3" 2>/dev/null)" -ge "$1" ]; }
size_is() { [ "$(stat -c %s "$2" 2>/dev/null || echo -1)" -ge "$1" ]; }
# gone PID: our child PID has ended (a zombie not yet reaped counts)
gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}
# size_is_or_gone BYTES FILE PID: FILE has BYTES, or its writer PID ended
size_is_or_gone() { size_is "$1" "$2" || gone "$3"; }

# is_prefix PART WHOLE: PART is the start of WHOLE (maybe all of it).
is_prefix() {
	local n
	n=$(stat -c %s "$1") || return 1
	cmp -s -n "$n" "$1" "$2"
}

# ---- the key schedule over AF_ALG, ktlsd's log (both kernels) ----------------

test_unit_af_alg() {
	local out rc
	if [ ! -x "$UNIT" ]; then
		tap_skip "key schedule over the kernel's HMAC (AF_ALG)" "$UNIT not built (make tests)"
		return
	fi
	out=$("$UNIT" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^\[       OK \] test_schedule_af_alg' <<< "$out"; then
		tap_ok "RFC 8448 and OpenSSL-computed KeyUpdate vectors over the kernel's hmac(sha256/384) through AF_ALG"
	else
		tap_not_ok "key schedule over the kernel's HMAC (AF_ALG)"
		diag "$out"
	fi
}

test_ktlsd_logs_support() {
	local want
	if [ "$REKEY" = yes ]; then
		want='rekey (TLS 1.3 KeyUpdate after the handoff): yes'
	else
		want='rekey (TLS 1.3 KeyUpdate after the handoff): no, Linux 6.14 or later needed'
	fi
	if grep -qF -- "$want" "$W/ktlsd.log"; then
		tap_ok "ktlsd logs at start: $want"
	else
		tap_not_ok "ktlsd logs at start: $want"
		diag "$(cat "$W/ktlsd.log")"
	fi
}

# ---- ktls <-> ktls -----------------------------------------------------------

test_pair() {
	local tx0 rx0 tx rx out rc
	tx0=$(tls_stat TlsTxRekeyOk)
	rx0=$(tls_stat TlsRxRekeyOk)
	if [ "$REKEY" = yes ]; then
		out=$(timeout 600 "$PEER" pair --rounds 400 --chunk 4096)
	else
		out=$(timeout "$T" "$PEER" pair --rounds 20 --chunk 4096 --expect-old-kernel)
	fi
	rc=$?
	tap_relay <<< "$out"
	[ "$rc" -eq 0 ] || diag "rekey_peer pair exited $rc"
	[ "$REKEY" = yes ] || return
	# client 200 rekeys (100 asking), server 134 (67 asking): each KeyUpdate
	# is one TX install on its sender and one RX install on its receiver;
	# TX also counts libktls's probe (a second TX install on a loopback
	# pair), once per process: 2 more
	tx=$(($(tls_stat TlsTxRekeyOk) - tx0))
	rx=$(($(tls_stat TlsRxRekeyOk) - rx0))
	if [ "$rx" -eq 501 ] && [ "$tx" -eq $((rx + 2)) ]; then
		tap_ok "tls_stat: TlsRxRekeyOk +$rx (200 + 134 + 100 + 67 answers), TlsTxRekeyOk +$tx (the same and 2 probes)"
	else
		tap_not_ok "tls_stat: TlsTxRekeyOk +$tx, TlsRxRekeyOk +$rx (want +503, +501)"
	fi
}

# ---- openssl s_server sends KeyUpdates ----------------------------------------

# sserver_start: s_server on $SPORT, its stdin on fd 3 (a fifo).
sserver_start() {
	rm -f "$W/fifo" && mkfifo "$W/fifo" || return 1
	SPORT=$(pick_port) || return 1
	openssl s_server -accept "$SPORT" -naccept 1 -tls1_3 -cert "$W/server.pem" \
		-key "$W/server.key" < "$W/fifo" > "$W/s_out" 2> "$W/s_err" &
	SSERVER_PID=$!
	PIDS+=("$SSERVER_PID")
	exec 3> "$W/fifo"
	wait_for_port "$SPORT" 20 "$SSERVER_PID"
}

# sserver_feed PID OUT [HEAD]: HEAD, then the stream in four pieces with
# k, K, k typed between them.  s_server takes a command only from the
# start of one read of its stdin, so each letter must be alone in the pipe:
# we type it only once the client (PID, writing what it got to OUT) has
# all the data so far -- s_server has read everything before it -- and
# send the next piece only once the kernel saw the KeyUpdate
# (TlsRxRekeyReceived; on kernels without it, once the client is gone).
sserver_feed() {
	local pid=$1 out=$2 head=${3:-} letters=(k K k) i seen
	for ((i = 0; i < 4; i++)); do
		if [ "$i" -eq 0 ]; then
			{ printf '%b' "$head"; cat "$W/piece.00"; } >&3 2>/dev/null || return 1
		else
			cat "$W/piece.0$i" >&3 2>/dev/null || return 1
		fi
		wait_until "$T" size_is_or_gone $(((i + 1) * BYTES / 4)) "$out" "$pid"
		[ "$i" -lt 3 ] || break
		gone "$pid" && return 1
		seen=$(tls_stat TlsRxRekeyReceived)
		printf '%s\n' "${letters[i]}" >&3 2>/dev/null || return 1
		wait_until 60 rekey_seen_or_gone "$seen" "$pid"
	done
}

# rekey_seen_or_gone BEFORE PID: TlsRxRekeyReceived passed BEFORE, or PID ended
rekey_seen_or_gone() {
	[ "$(tls_stat TlsRxRekeyReceived)" -gt "$1" ] || gone "$2"
}

sserver_stop() {
	exec 3>&-
	timeout 20 tail --pid="$SSERVER_PID" -f /dev/null 2>/dev/null
	stop_pid "$SSERVER_PID"
}

# One s_server case with the rekey_peer client (KIND: recv or plain).
test_sserver_peer() {
	local kind=$1 flag=() say="after-rekey-$1-$RANDOM" rc pid rx0 tx0 rx tx label
	[ "$kind" = plain ] && flag=(--plain-read)
	label="s_server k/K/k mid-stream -> $([ "$kind" = plain ] && echo 'read()+ktls_handle_record()' || echo 'ktls_recv()') client"
	rx0=$(tls_stat TlsRxRekeyOk)
	tx0=$(tls_stat TlsTxRekeyOk)
	sserver_start || { tap_not_ok "$label: s_server starts"; return; }
	timeout 300 "$PEER" client --port "$SPORT" --bytes "$BYTES" --say "$say" "${flag[@]}" \
		> "$W/c_out" 2> "$W/c_err" &
	pid=$!
	PIDS+=("$pid")
	if ! wait_until 60 grep_q '# handshake done' "$W/c_err"; then
		tap_not_ok "$label: handshake"
		diag "$(cat "$W/c_err")"
		sserver_stop
		return
	fi
	sserver_feed "$pid" "$W/c_out"
	[ "$REKEY" = yes ] && wait_until 30 grep_q "$say" "$W/s_out"
	sserver_stop
	wait "$pid"
	rc=$?
	rx=$(($(tls_stat TlsRxRekeyOk) - rx0))
	tx=$(($(tls_stat TlsTxRekeyOk) - tx0))
	if [ "$REKEY" = yes ]; then
		if [ "$rc" -eq 0 ] && cmp -s "$W/c_out" "$W/stream.txt" && grep_q "$say" "$W/s_out" &&
		   [ "$rx" -ge 3 ] && [ "$tx" -ge 1 ]; then
			tap_ok "$label: 1 MiB intact, 3 KeyUpdates taken (TlsRxRekeyOk +$rx), K answered (TlsTxRekeyOk +$tx), our next data read by s_server"
		else
			tap_not_ok "$label (exit $rc, rx rekeys +$rx, tx +$tx)"
			diag "$(cat "$W/c_err")" "$(tail -5 "$W/s_err")"
		fi
	else
		if [ "$rc" -eq 3 ] && grep -q '# error: .*EKEYEXPIRED: .*Linux 6.14 or later' "$W/c_err" &&
		   is_prefix "$W/c_out" "$W/stream.txt"; then
			tap_ok "$label: EKEYEXPIRED naming Linux 6.14 after $(stat -c %s "$W/c_out") clean bytes (a prefix of the stream)"
		else
			tap_not_ok "$label: want exit 3, EKEYEXPIRED naming 6.14, a clean prefix (exit $rc)"
			diag "$(cat "$W/c_err")"
		fi
	fi
}

test_sserver_get() {
	local head rc pid label="s_server k/K/k mid-response -> ktls get" rx0
	head="HTTP/1.1 200 OK\r\nContent-Length: $BYTES\r\nConnection: close\r\n\r\n"
	rx0=$(tls_stat TlsRxRekeyOk)
	sserver_start || { tap_not_ok "$label: s_server starts"; return; }
	timeout 300 "$KTLS" get -o "$W/get_out" "https://localhost:$SPORT/" 2> "$W/get_err" &
	pid=$!
	PIDS+=("$pid")
	if ! wait_until 60 grep_q 'GET / HTTP/1.1' "$W/s_out"; then
		tap_not_ok "$label: request reached s_server"
		diag "$(cat "$W/get_err")"
		sserver_stop
		return
	fi
	sserver_feed "$pid" "$W/get_out" "$head"
	wait_until "$T" gone "$pid"
	wait "$pid"
	rc=$?
	sserver_stop
	if [ "$REKEY" = yes ]; then
		if [ "$rc" -eq 0 ] && cmp -s "$W/get_out" "$W/stream.txt" &&
		   [ $(($(tls_stat TlsRxRekeyOk) - rx0)) -ge 3 ]; then
			tap_ok "$label: 1 MiB body intact across 3 KeyUpdates"
		else
			tap_not_ok "$label (exit $rc)"
			diag "$(cat "$W/get_err")"
		fi
	elif [ "$rc" -eq 4 ] && grep -q 'Linux 6.14 or later' "$W/get_err"; then
		tap_ok "$label: exit 4, \"$(grep -o 'this kernel.*later is needed' "$W/get_err" | head -1)\""
	else
		tap_not_ok "$label: want exit 4 naming Linux 6.14 (exit $rc)"
		diag "$(cat "$W/get_err")"
	fi
}

# ---- openssl s_client sends KeyUpdates to ktls serve ---------------------------

# split_bodies RAW OUT...: the bodies of the HTTP responses in RAW, in order.
split_bodies() {
	python3 - "$@" <<-'EOF'
	import re, sys
	raw = open(sys.argv[1], 'rb').read()
	pos = 0
	for out in sys.argv[2:]:
	    m = re.compile(rb'HTTP/1\.1 \d+ [^\r]*\r\n(.*?)\r\n\r\n', re.S).search(raw, pos)
	    if not m:
	        sys.exit(1)
	    n = int(re.search(rb'(?i)content-length: *(\d+)', m.group(1)).group(1))
	    open(out, 'wb').write(raw[m.end():m.end() + n])
	    pos = m.end() + n
	EOF
}

test_sclient_to_serve() {
	local label="s_client k and K during a 4 MiB download from ktls serve" rx0 tx0 pid rc
	rx0=$(tls_stat TlsRxRekeyOk)
	tx0=$(tls_stat TlsTxRekeyOk)
	rm -f "$W/cfifo" && mkfifo "$W/cfifo"
	# -brief: no session chatter on stdout, commands (k, K) still on
	timeout 300 openssl s_client -brief -connect "localhost:$PORT" -servername localhost \
		-CAfile "$W/ca.pem" -tls1_3 < "$W/cfifo" > "$W/sc_out" 2> "$W/sc_err" &
	pid=$!
	PIDS+=("$pid")
	exec 4> "$W/cfifo"
	printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n' >&4
	# each letter alone in one read of s_client's stdin: the next one only
	# after s_client said it sent the last ("KEYUPDATE" on stderr)
	wait_until 60 size_is 1 "$W/sc_out"
	printf 'k\n' >&4
	wait_until 60 count_is 1 KEYUPDATE "$W/sc_err"
	printf 'K\n' >&4
	wait_until 60 count_is 2 KEYUPDATE "$W/sc_err"
	wait_until "$T" size_is_or_gone $((4 * 1024 * 1024)) "$W/sc_out" "$pid"
	sleep 1
	# the next request on the same connection: served under the new keys
	printf 'GET /one.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&4 2>/dev/null
	# an old kernel: once serve has given up, end s_client's input, which
	# may otherwise keep it waiting
	[ "$REKEY" = yes ] || { wait_until 60 grep_q 'Linux 6.14 or later' "$W/serve.log"; exec 4>&-; }
	wait_until "$T" gone "$pid"
	exec 4>&-
	wait "$pid"
	rc=$?
	if [ "$REKEY" = yes ]; then
		if split_bodies "$W/sc_out" "$W/sc_big" "$W/sc_one" &&
		   cmp -s "$W/sc_big" "$W/root/big.bin" && cmp -s "$W/sc_one" "$W/root/one.bin" &&
		   [ $(($(tls_stat TlsRxRekeyOk) - rx0)) -ge 2 ] &&
		   [ $(($(tls_stat TlsTxRekeyOk) - tx0)) -ge 1 ]; then
			tap_ok "$label: both bodies intact, ktls serve took both KeyUpdates, answered K, served the next request"
		else
			tap_not_ok "$label (s_client exit $rc)"
			diag "$(tail -5 "$W/sc_err")" "$(tail -5 "$W/serve.log")"
		fi
	elif split_bodies "$W/sc_out" "$W/sc_big" && cmp -s "$W/sc_big" "$W/root/big.bin" &&
	     wait_until 10 grep_q 'Linux 6.14 or later' "$W/serve.log"; then
		tap_ok "$label: the download intact, then ktls serve ends the connection naming Linux 6.14"
	else
		tap_not_ok "$label: want the download intact and a serve log naming Linux 6.14"
		diag "$(tail -5 "$W/sc_err")" "$(tail -5 "$W/serve.log")"
	fi
}

# ---- the AEAD limit ------------------------------------------------------------

test_aead_limit() {
	local tx0 rx0 tx rx rc label="KTLS_TEST_AEAD_LIMIT=16: ktls serve sending 4 MiB"
	start_serve serve16 KTLS_TEST_AEAD_LIMIT=16 || { tap_not_ok "$label: serve starts"; return; }
	tx0=$(tls_stat TlsTxRekeyOk)
	rx0=$(tls_stat TlsRxRekeyOk)
	timeout "$T" "$KTLS" get -o "$W/lim_out" "https://localhost:$PORT/big.bin" 2> "$W/lim_err"
	rc=$?
	tx=$(($(tls_stat TlsTxRekeyOk) - tx0))
	if [ "$REKEY" = yes ]; then
		# 256 full records, fewer than 16 per key: >= 16 KeyUpdates, each
		# an RX install in get; serve's TX count has its probe too (+1)
		rx=$(($(tls_stat TlsRxRekeyOk) - rx0))
		if [ "$rc" -eq 0 ] && cmp -s "$W/lim_out" "$W/root/big.bin" && [ "$rx" -ge 16 ] &&
		   [ "$tx" -eq $((rx + 1)) ]; then
			tap_ok "$label to ktls get: body intact, $rx KeyUpdates from serve, each taken by get"
		else
			tap_not_ok "$label to ktls get (exit $rc, TlsTxRekeyOk +$tx, TlsRxRekeyOk +$rx)"
			diag "$(cat "$W/lim_err")" "$(tail -3 "$W/serve16.log")"
		fi
		tx0=$(tls_stat TlsTxRekeyOk)
		printf 'GET /big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
			timeout "$T" openssl s_client -quiet -connect "localhost:$PORT" \
			-servername localhost -CAfile "$W/ca.pem" > "$W/lim_sc" 2> "$W/lim_sc_err"
		tx=$(($(tls_stat TlsTxRekeyOk) - tx0))
		if split_bodies "$W/lim_sc" "$W/lim_sc_body" &&
		   cmp -s "$W/lim_sc_body" "$W/root/big.bin" && [ "$tx" -ge 16 ]; then
			tap_ok "$label to openssl s_client: body intact across $tx KeyUpdates"
		else
			tap_not_ok "$label to openssl s_client (TlsTxRekeyOk +$tx)"
			diag "$(tail -3 "$W/lim_sc_err")" "$(tail -3 "$W/serve16.log")"
		fi
	else
		# 6.12: serve stops before the 17th record under one key, with
		# close_notify; the client sees a clean end, never a bad record
		if [ "$rc" -ne 0 ] && is_prefix "$W/lim_out" "$W/root/big.bin" &&
		   grep -q 'stopping the response: .*cannot be renewed' "$W/serve16.log" &&
		   ! grep -qi 'authentication\|bad_record_mac\|EBADMSG' "$W/lim_err"; then
			tap_ok "$label on an old kernel: stops at the limit ($(stat -c %s "$W/lim_out") clean bytes), close_notify, serve says why"
		else
			tap_not_ok "$label on an old kernel: want a clean short body and serve's reason (exit $rc)"
			diag "$(cat "$W/lim_err")" "$(tail -3 "$W/serve16.log")"
		fi
	fi
	stop_pid "$SERVE_PID"
}

main() {
	local missing
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built"
	[ -x "$PEER" ] || skip_all "$PEER not built (make tests)"
	missing=$(need_cmd openssl python3 sha256sum timeout mkfifo cmp split seq) ||
		skip_all "$missing"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "this kernel cannot run kTLS"
	if "$KTLS" check 2>/dev/null | grep -q '^rekey (TLS 1.3 TX) *yes'; then
		REKEY=yes
	else
		REKEY=no
	fi
	diag "kernel $(uname -r): rekey $REKEY"
	trap '' PIPE	# a peer gone early must fail our writes, not kill us
	ktls_tmpdir rekey || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	chmod 600 "$W"/*.key
	write_config
	make_files || skip_all "cannot write the test files"
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	export KTLS_SOCKET=$W/ktlsd.sock
	test_unit_af_alg
	test_ktlsd_logs_support
	test_pair
	test_sserver_peer recv
	test_sserver_peer plain
	test_sserver_get
	start_serve serve || { tap_not_ok "ktls serve starts"; tap_done; exit 1; }
	test_sclient_to_serve
	stop_pid "$SERVE_PID"
	test_aead_limit
	tap_done
}

main "$@"
