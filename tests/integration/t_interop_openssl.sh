#!/usr/bin/env bash
# t_interop_openssl.sh - libktls against a TLS peer nobody here wrote.
#
# For each TLS version x cipher, `openssl s_server` (with OpenSSL's own kTLS
# switched on through an OPENSSL_CONF file: "Options = KTLS") serves two
# connections to interop_openssl, a GnuTLS client that moves its session into
# the kernel with ktls_params_from_gnutls + ktls_install_both:
#   get: s_server -WWW -sendfile sends a file; the client hashes the body.
#   put: the client sendfile()s the file; s_server -quiet writes what it
#        decrypted to its stdout, which we hash here.
# Whether OpenSSL really used kTLS is read from /proc/net/tls_stat by the
# client and reported (not asserted: it depends on how OpenSSL was built).
# Environment: BUILD (default build), KTLS_INTEROP_MIB (default 4).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

CLIENT=$BUILD/tests/integration/interop_openssl
MIB=${KTLS_INTEROP_MIB:-4}
SERVER_WAIT_S=30
CLIENT_TIMEOUT_S=300

# version, libktls cipher name, OpenSSL's name for the suite
CASES=(
	"1.3 AES-128-GCM TLS_AES_128_GCM_SHA256"
	"1.3 AES-256-GCM TLS_AES_256_GCM_SHA384"
	"1.3 CHACHA20-POLY1305 TLS_CHACHA20_POLY1305_SHA256"
	"1.3 AES-128-CCM TLS_AES_128_CCM_SHA256"
	"1.2 AES-128-GCM ECDHE-ECDSA-AES128-GCM-SHA256"
	"1.2 AES-256-GCM ECDHE-ECDSA-AES256-GCM-SHA384"
	"1.2 CHACHA20-POLY1305 ECDHE-ECDSA-CHACHA20-POLY1305"
	"1.2 AES-128-CCM ECDHE-ECDSA-AES128-CCM"
)
SUMMARY=()
SERVER_PID=''

skip_all() {
	local c version cipher
	for c in "${CASES[@]}"; do
		read -r version cipher _ <<< "$c"
		tap_skip "openssl tls${version/./}-${cipher,,}: interop" "$1"
	done
	tap_done
	exit $?
}

# OpenSSL's kTLS is an SSL option; system_default applies it to every
# SSL_CTX that s_server creates.
write_openssl_conf() {
	cat > "$1" <<-EOF
	openssl_conf = openssl_init
	[openssl_init]
	ssl_conf = ssl_configuration
	[ssl_configuration]
	system_default = ktls_defaults
	[ktls_defaults]
	Options = KTLS
	EOF
}

openssl_offers() {
	local version=$1 suite=$2
	if [ "$version" = 1.3 ]; then
		openssl ciphers -tls1_3 -ciphersuites "$suite" -s >/dev/null 2>&1
	else
		openssl ciphers -tls1_2 -s "$suite" >/dev/null 2>&1
	fi
}

# start_server MODE VERSION SUITE PORT OUT LOG: s_server in the background,
# one connection, its pid in SERVER_PID.
start_server() {
	local mode=$1 version=$2 suite=$3 port=$4 out=$5 log=$6 stdin_fd
	local args=(s_server -accept "127.0.0.1:$port" -naccept 1
		    -cert "$WORK/server.pem" -key "$WORK/server.key")
	if [ "$version" = 1.3 ]; then
		args+=(-tls1_3 -ciphersuites "$suite")
	else
		args+=(-tls1_2 -cipher "$suite")
	fi
	case $mode in
	get) args+=(-WWW -sendfile -http_server_binmode) ;;
	put) args+=(-quiet) ;;
	esac
	# s_server drops the connection at EOF on stdin even with -quiet: give
	# it a FIFO that it holds open read-write itself, so no EOF ever comes.
	exec {stdin_fd}<>"$WORK/stdin.fifo"
	(cd "$WORK/www" && OPENSSL_CONF="$WORK/openssl-ktls.cnf" exec openssl "${args[@]}") \
		<&"$stdin_fd" > "$out" 2> "$log" &
	SERVER_PID=$!
	exec {stdin_fd}>&-
}

# At exit (a timeout, an interrupt) no s_server may be left waiting.
stop_server() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	return 0
}

# wait_server: s_server's exit status, or 124 (and kill it) if it is still
# running after SERVER_WAIT_S.
wait_server() {
	local i
	for ((i = 0; i < SERVER_WAIT_S * 10; i++)); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID"
			return $?
		fi
		sleep 0.1
	done
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	return 124
}

# run_client LABEL MODE-ARGS...: interop_openssl's TAP into ours.
run_client() {
	local label=$1
	shift
	timeout -k 5 "$CLIENT_TIMEOUT_S" "$CLIENT" --label "$label" --port "$PORT" \
		--ca "$WORK/ca.pem" "$@" > "$WORK/client.out" 2>&1
	local rc=$?
	tap_relay < "$WORK/client.out"
	[ "$rc" -eq 124 ] && tap_not_ok "$label: client timed out after ${CLIENT_TIMEOUT_S}s"
	return 0
}

# What the client saw, for the summary: "tx=yes rx=no" and the ticket count.
client_findings() {
	local ktls tickets
	ktls=$(sed -n 's/^# openssl-ktls: \(tx=[a-z]* rx=[a-z]*\).*/\1/p' "$WORK/client.out")
	tickets=$(sed -n 's/^# post-handshake records from the server: \([0-9]*\) New.*/\1/p' \
		"$WORK/client.out")
	printf 'openssl kTLS %s, %s NewSessionTicket' "${ktls:-unknown}" "${tickets:-?}"
}

# s_server prints "Using Kernel TLS for sending|receiving" after handshakes
# in its default (not -WWW) mode, -quiet or not.
server_ktls_claims() {
	local claims
	claims=$(sed -n 's/^Using Kernel TLS for \([a-z]*\).*/\1/p' "$WORK/server.log" | tr '\n' ' ')
	claims=${claims% }
	printf '%s' "${claims:-no kTLS}"
}

server_started() {
	local label=$1
	if wait_for_port "$PORT" 20 "$SERVER_PID"; then
		return 0
	fi
	tap_not_ok "$label: openssl s_server listening on 127.0.0.1:$PORT"
	diag "$(cat "$WORK/server.log")"
	kill "$SERVER_PID" 2>/dev/null
	wait "$SERVER_PID" 2>/dev/null
	return 1
}

# get: s_server -WWW -sendfile -> kTLS client.
run_get() {
	local version=$1 cipher=$2 suite=$3 tag=$4 label rc sendfile
	label="openssl $tag get"
	PORT=$(pick_port) || { tap_not_ok "$label: no free port"; return; }
	start_server get "$version" "$suite" "$PORT" "$WORK/server.out" "$WORK/server.log"
	server_started "$label" || return
	run_client "$label" --version "$version" --cipher "$cipher" \
		--get payload.bin --expect "$WORK/www/payload.bin"
	wait_server
	rc=$?
	# s_server -sendfile warns and falls back to SSL_write without kTLS TX
	if grep -q 'KTLS is not available' "$WORK/server.log"; then
		sendfile="SSL_write"
	else
		sendfile="SSL_sendfile"
	fi
	diag "s_server served the file with $sendfile"
	if [ "$rc" -eq 0 ]; then
		tap_ok "$label: openssl s_server served one connection and exited 0"
	else
		tap_not_ok "$label: openssl s_server exited with status $rc"
		diag "$(tail -n 20 "$WORK/server.log" "$WORK/server.out")"
	fi
	SUMMARY+=("$(printf '%-24s get: %s, served with %s' "$tag" "$(client_findings)" "$sendfile")")
}

# put: kTLS client sendfile -> s_server -quiet, which writes it to stdout.
run_put() {
	local version=$1 cipher=$2 suite=$3 tag=$4 label rc got
	label="openssl $tag put"
	PORT=$(pick_port) || { tap_not_ok "$label: no free port"; return; }
	start_server put "$version" "$suite" "$PORT" "$WORK/received.bin" "$WORK/server.log"
	server_started "$label" || return
	run_client "$label" --version "$version" --cipher "$cipher" --put "$WORK/www/payload.bin"
	wait_server
	rc=$?
	got=$(sha256_of "$WORK/received.bin")
	if [ "$rc" -eq 0 ] && [ "$got" = "$PAYLOAD_SHA256" ]; then
		tap_ok "$label: s_server decrypted $(stat -c %s "$WORK/received.bin") bytes, sha256 match, exit 0"
	else
		tap_not_ok "$label: s_server output matches what was sent (exit 0, sha256)"
		diag "s_server exit status $rc; received $(stat -c %s "$WORK/received.bin") bytes," \
		     "sha256 $got, want $PAYLOAD_SHA256"
		diag "$(tail -n 20 "$WORK/server.log")"
	fi
	SUMMARY+=("$(printf '%-24s put: %s, s_server says: %s' "$tag" "$(client_findings)" \
		"$(server_ktls_claims)")")
	rm -f "$WORK/received.bin"
}

run_case() {
	local version=$1 cipher=$2 suite=$3 tag
	tag="tls${version/./}-${cipher,,}"
	if ! openssl_offers "$version" "$suite"; then
		tap_skip "openssl $tag: interop" "this openssl does not offer $suite"
		return
	fi
	diag "== $tag: openssl s_server $suite"
	run_get "$version" "$cipher" "$suite" "$tag"
	run_put "$version" "$cipher" "$suite" "$tag"
}

main() {
	local missing c start=$SECONDS
	missing=$(need_cmd openssl sha256sum mkfifo timeout awk) || skip_all "$missing"
	[ -x "$CLIENT" ] || skip_all "$CLIENT not built (make tests)"
	[ -r /proc/net/tls_stat ] || skip_all "no kTLS in this kernel (/proc/net/tls_stat missing)"
	at_exit stop_server
	ktls_tmpdir interop
	WORK=$KTLS_TMPDIR
	if ! mkdir "$WORK/www" || ! mkfifo "$WORK/stdin.fifo"; then
		skip_all "cannot set up $WORK"
	fi
	gen_test_certs "$WORK" localhost || skip_all "cannot generate test certificates"
	write_openssl_conf "$WORK/openssl-ktls.cnf"
	make_pattern_file "$WORK/www/payload.bin" "$MIB" || skip_all "cannot write $MIB MiB payload"
	PAYLOAD_SHA256=$(sha256_of "$WORK/www/payload.bin")
	diag "$(openssl version); payload $MIB MiB each way per case"
	for c in "${CASES[@]}"; do
		# shellcheck disable=SC2086
		run_case $c
	done
	diag "summary (openssl kTLS from /proc/net/tls_stat deltas; tickets seen by the kTLS client):"
	for c in "${SUMMARY[@]}"; do
		diag "  $c"
	done
	diag "t_interop_openssl: $((SECONDS - start)) s"
	tap_done
}

main "$@"
