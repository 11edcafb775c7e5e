#!/usr/bin/env bash
# t_daemon.sh - ktlsd end to end, through libktls's daemon client
# (daemon_client), with a CA, certificates and PSKs generated here.
#
#  0. `ktlsd -n`: the config is valid; a group-readable key or PSK file is
#     refused with an error that names the file.
#  1. ktls <-> ktls: one process ktls_accept()s, another ktls_connect()s,
#     both through the same ktlsd; TLS 1.3 and 1.2 x AES-128-GCM,
#     AES-256-GCM, CHACHA20-POLY1305, AES-128-CCM (client profiles whose
#     priority pins version and cipher); KTLS_VERSION/KTLS_CIPHER as asked
#     and as the kernel reports; ALPN "h2,http/1.1" against a server
#     profile offering "http/1.1"; 1 MiB write() + 64 KiB sendfile() each
#     way read with plain read(), SHA-256 compared; close_notify as EOF.
#  2. Peers nobody here wrote: gnutls-serv --echo (1 byte, 16385 bytes and
#     1 MiB written right after ktls_connect come back intact) and openssl
#     s_server (1 MiB each way at once; its TLS 1.3 NewSessionTickets must
#     not reach our plain read()), for both versions x four ciphers; and a
#     GnuTLS server that writes 1 / 16385 bytes the moment its handshake
#     returns (nothing may be lost when ktlsd hands the socket over).
#  3. Verification: wrong name, untrusted CA, expired certificate, mTLS
#     required without a client certificate (TLS 1.3 and 1.2), optional
#     without, required with one (the server reads the client's subject,
#     fingerprint and DER), PSK (good, unknown identity on either side, the
#     file's default identity), KTLS_VERIFY none against a verifying
#     profile.  Each failure: its own errno and reason to the caller, the
#     same reason in a "handshake failed" log line; a good handshake after.
#  4. Bad input: garbage, truncated, oversized frames, an unknown critical
#     TLV, zero or two fds, a pipe, UDP, unconnected, listening, already-kTLS
#     and AF_UNIX sockets, peers that stall (deadline), close or speak
#     plain text, a caller that leaves before the reply, a request
#     connection that sends nothing.  Then ktlsd still serves, and its fd
#     count is back where it started.
#  5. 100 concurrent handshakes (async API, both ends through ktlsd): all
#     succeed; the wall time is printed ("# 100 concurrent handshakes: X s").
# Finally the interop matrix as "# " lines, and ktlsd exits 0 on SIGTERM.
#
# Needs a kTLS kernel and root (tests/vm/run -- bash THIS), $BUILD/ktlsd and
# $BUILD/tests/integration/daemon_client; skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$BUILD/ktlsd
CLIENT=$BUILD/tests/integration/daemon_client
T=180				# seconds any one helper run may take
PIDS=()				# background processes we started
KTLSD_PID=''
declare -A MATRIX		# "peer|version|cipher" -> pass/fail

# version tag, TLS version, libktls cipher name, GnuTLS priority cipher,
# OpenSSL suite
CASES=(
	"13 1.3 AES-128-GCM AES-128-GCM TLS_AES_128_GCM_SHA256"
	"13 1.3 AES-256-GCM AES-256-GCM TLS_AES_256_GCM_SHA384"
	"13 1.3 CHACHA20-POLY1305 CHACHA20-POLY1305 TLS_CHACHA20_POLY1305_SHA256"
	"13 1.3 AES-128-CCM AES-128-CCM TLS_AES_128_CCM_SHA256"
	"12 1.2 AES-128-GCM AES-128-GCM ECDHE-ECDSA-AES128-GCM-SHA256"
	"12 1.2 AES-256-GCM AES-256-GCM ECDHE-ECDSA-AES256-GCM-SHA384"
	"12 1.2 CHACHA20-POLY1305 CHACHA20-POLY1305 ECDHE-ECDSA-CHACHA20-POLY1305"
	"12 1.2 AES-128-CCM AES-128-CCM ECDHE-ECDSA-AES128-CCM"
)

skip_all() { tap_skip_all "ktlsd end to end" "$1"; }

# ---- files -------------------------------------------------------------------

# certtool_cert NAME CA-PREFIX TEMPLATE-LINES...: NAME.key and NAME.pem
# signed by CA-PREFIX.pem/.key.  certtool because it can backdate.
certtool_cert() {
	local name=$1 ca=$2
	shift 2
	printf '%s\n' "$@" > "$W/$name.tmpl"
	certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
		--outfile "$W/$name.key" &&
	certtool --generate-certificate --load-privkey "$W/$name.key" \
		--load-ca-certificate "$W/$ca.pem" --load-ca-privkey "$W/$ca.key" \
		--template "$W/$name.tmpl" --outfile "$W/$name.pem"
}

make_certs() {
	gen_test_certs "$W" localhost || return 1
	{
		certtool_cert client ca 'cn = "ktls test client"' tls_www_client signing_key \
			'expiration_days = 2' &&
		certtool_cert wrongname ca 'cn = "wrong.example"' 'dns_name = "wrong.example"' \
			tls_www_server signing_key 'expiration_days = 2' &&
		certtool_cert expired ca 'cn = "localhost"' 'dns_name = "localhost"' \
			tls_www_server signing_key 'activation_date = "2020-01-01 00:00:00"' \
			'expiration_date = "2021-01-01 00:00:00"' &&
		certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
			--outfile "$W/other-ca.key" &&
		printf '%s\n' 'cn = "some other CA"' ca cert_signing_key 'expiration_days = 2' \
			> "$W/other-ca.tmpl" &&
		certtool --generate-self-signed --load-privkey "$W/other-ca.key" \
			--template "$W/other-ca.tmpl" --outfile "$W/other-ca.pem" &&
		certtool_cert untrusted other-ca 'cn = "localhost"' 'dns_name = "localhost"' \
			tls_www_server signing_key 'expiration_days = 2'
	} > "$W/certtool.log" 2>&1 || { diag "certtool failed:" "$(tail -20 "$W/certtool.log")"; return 1; }
	# the same key for "dev1" on both ends; "stranger" only the client has
	printf 'dev1:%s\n' "$PSK_DEV1" > "$W/server.psk"
	printf '# identities this client may use\ndev1:%s\nstranger:%s\n' "$PSK_DEV1" \
		"$PSK_STRANGER" > "$W/client.psk"
	chmod 600 "$W"/*.key "$W"/*.psk
}

# cipher_profiles: one client profile per version x cipher, e.g. c13-AES-128-GCM.
cipher_profiles() {
	local c tag version cipher gnutls_cipher
	for c in "${CASES[@]}"; do
		read -r tag version cipher gnutls_cipher _ <<< "$c"
		cat <<-EOF

		[profile c$tag-$cipher]
		role = client
		ca_file = $W/ca.pem
		priority = NORMAL:-VERS-ALL:+VERS-TLS$version:-CIPHER-ALL:+$gnutls_cipher
		EOF
	done
}

# server_profile NAME CERT [EXTRA-LINES...]
server_profile() {
	local name=$1 cert=$2
	shift 2
	printf '\n[profile %s]\nrole = server\ncertificate = %s\nkey = %s\n' "$name" \
		"$W/$cert.pem" "$W/$cert.key"
	printf '%s\n' "$@"
}

write_config() {
	{
		cat <<-EOF
		# written by t_daemon.sh
		[global]
		socket = $W/ktlsd.sock
		server_profile = srv
		client_profile = local
		# generous: 200 handshakes at once under an emulated CPU
		handshake_timeout = 120s

		[profile local]
		role = client
		ca_file = $W/ca.pem
		verify = required

		[profile withcert]
		role = client
		certificate = $W/client.pem
		key = $W/client.key
		ca_file = $W/ca.pem

		[profile psk-cli]
		role = client
		psk_file = $W/client.psk
		ca_file = $W/ca.pem
		priority = NORMAL:-VERS-TLS1.2:+ECDHE-PSK:+PSK

		[profile psk-srv]
		role = server
		psk_file = $W/server.psk
		priority = NORMAL:-VERS-TLS1.2:+ECDHE-PSK:+PSK
		verify = none
		EOF
		server_profile srv server 'alpn = http/1.1' 'verify = none'
		server_profile wrongname wrongname 'verify = none'
		server_profile expired expired 'verify = none'
		server_profile untrusted untrusted 'verify = none'
		server_profile mtls server "ca_file = $W/ca.pem" 'verify = required'
		server_profile mtls-opt server "ca_file = $W/ca.pem" 'verify = optional'
		cipher_profiles
	} > "$W/ktlsd.conf"
}

# ---- ktlsd ---------------------------------------------------------------------

start_ktlsd() {
	local i args=(--foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" --workers 2)
	# the kernel's handshake upcall is another suite's business
	grep -q -- --no-netlink <<< "$("$KTLSD" --help 2>&1)" && args+=(--no-netlink)
	"$KTLSD" "${args[@]}" >> "$W/ktlsd.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 200; i++)); do
		grep -q ' ready ' "$W/ktlsd.log" 2>/dev/null && [ -S "$W/ktlsd.sock" ] && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(cat "$W/ktlsd.log")"
	return 1
}

fd_count() {
	local fds=(/proc/"$KTLSD_PID"/fd/*)
	echo "${#fds[@]}"
}

log_mark() {
	LOG_MARK=$(stat -c %s "$W/ktlsd.log")
}

log_since_mark() {
	tail -c +"$((LOG_MARK + 1))" "$W/ktlsd.log"
}

# ---- helper runs ---------------------------------------------------------------

# helper MODE ARGS...: one daemon_client run, its TAP relayed; its output
# stays in $W/out.txt.  Returns its exit status.
helper() {
	local mode=$1 rc
	timeout -k 5 "$T" "$CLIENT" "$@" > "$W/out.txt" 2>&1
	rc=$?
	tap_relay < "$W/out.txt"
	case $rc in
	0 | 1) ;;
	124) tap_not_ok "daemon_client $mode: timed out after ${T}s" ;;
	*) tap_not_ok "daemon_client $mode: exited with status $rc ($*)" ;;
	esac
	return "$rc"
}

# check_logged NAME SIDE: the reason daemon_client printed for SIDE
# ("client" or "server") is in a "handshake failed ... role=SIDE" log line
# written since log_mark.
check_logged() {
	local name=$1 side=$2 reason failed
	reason=$(sed -n "s/^# $side-reason: //p" "$W/out.txt")
	reason=${reason%%$'\n'*}
	# no "grep -q" at the end of a pipe: under pipefail, the SIGPIPE of
	# the commands before it would turn a match into a failure
	failed=$(log_since_mark | grep -F 'handshake failed' | grep -F "role=$side")
	if [ -n "$reason" ] && grep -qF -- "reason=\"$reason\"" <<< "$failed"; then
		tap_ok "$name: ktlsd logged \"handshake failed\" for the $side with reason \"$reason\""
	else
		tap_not_ok "$name: ktlsd logged \"handshake failed\" for the $side with the reason it answered (\"$reason\")"
		diag "log since the test:" "$(log_since_mark | tail -n 6)"
	fi
}

# expect_log NAME TEXT: a line with TEXT appeared in the log since log_mark.
expect_log() {
	local name=$1 text=$2 i
	for ((i = 0; i < 30; i++)); do
		grep -qF -- "$text" <<< "$(log_since_mark)" && { tap_ok "$name"; return 0; }
		sleep 0.1
	done
	tap_not_ok "$name"
	diag "log since the test:" "$(log_since_mark | tail -n 6)"
	return 1
}

good_handshake() {
	helper pair --label "$1" --mib 0 --sendfile-kib 16
}

# ---- 0. configuration checks ------------------------------------------------------

test_config_check() {
	local out rc
	out=$("$KTLSD" -n --config "$W/ktlsd.conf" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		tap_ok "ktlsd -n accepts the test configuration ($(echo "$out" | tail -n 1))"
	else
		tap_not_ok "ktlsd -n accepts the test configuration (exit $rc)"
		diag "$out"
	fi
	check_secret_mode key "$W/server.key" 640 "key = $W/server.key"
	check_secret_mode PSK "$W/server.psk" 644 "psk_file = $W/server.psk"
}

# check_secret_mode WHAT FILE MODE LINE: a copy of FILE with MODE in a
# profile must make `ktlsd -n` fail, naming the file.
check_secret_mode() {
	local what=$1 file=$2 mode=$3 copy out rc
	copy=$W/loose-$(basename "$file")
	cp "$file" "$copy" && chmod "$mode" "$copy"
	{
		printf '[profile loose]\nrole = server\nverify = none\n'
		if [ "$what" = key ]; then
			printf 'certificate = %s\nkey = %s\n' "$W/server.pem" "$copy"
		else
			printf 'psk_file = %s\n' "$copy"
		fi
	} > "$W/loose.conf"
	out=$("$KTLSD" -n --config "$W/loose.conf" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && grep -qF -- "$copy" <<< "$out"; then
		tap_ok "ktlsd -n refuses a $what file with mode $mode, naming it (exit $rc: $(grep -F -- "$copy" <<< "$out" | head -n 1))"
	else
		tap_not_ok "ktlsd -n refuses a $what file with mode $mode, naming it (exit $rc)"
		diag "$out"
	fi
}

# ---- 1. ktls <-> ktls ------------------------------------------------------------------

test_pairs() {
	local c tag version cipher label
	for c in "${CASES[@]}"; do
		read -r tag version cipher _ <<< "$c"
		label="ktls<->ktls TLS$version $cipher"
		if helper pair --label "$label" --profile "c$tag-$cipher" --server-profile srv \
			--alpn h2,http/1.1 --expect-alpn http/1.1 --expect-version "$version" \
			--expect-cipher "$cipher" --mib 1 --sendfile-kib 64; then
			MATRIX["ktls<->ktls|$version|$cipher"]=pass
		else
			MATRIX["ktls<->ktls|$version|$cipher"]=FAIL
		fi
	done
}

# ---- 2. peers nobody here wrote ------------------------------------------------------

start_gnutls_serv() {
	local version=$1 port=$2
	gnutls-serv --echo --crlf -p "$port" --x509certfile "$W/server.pem" \
		--x509keyfile "$W/server.key" --priority "NORMAL:-VERS-ALL:+VERS-TLS$version" \
		> "$W/gnutls-serv-$version.log" 2>&1 &
	PIDS+=("$!")
	GNUTLS_SERV_PID=$!
	wait_for_port "$port" 30 "$GNUTLS_SERV_PID" && return 0
	diag "gnutls-serv did not start:" "$(tail -n 5 "$W/gnutls-serv-$version.log")"
	return 1
}

test_gnutls_serv() {
	local version tag c cv cipher port label
	for version in 1.3 1.2; do
		tag=${version/./}
		port=$(pick_port) || { tap_not_ok "gnutls-serv: no free port"; continue; }
		if ! start_gnutls_serv "$version" "$port"; then
			tap_not_ok "gnutls-serv --echo (TLS$version) listening"
			continue
		fi
		for c in "${CASES[@]}"; do
			read -r _ cv cipher _ <<< "$c"
			[ "$cv" = "$version" ] || continue
			label="gnutls-serv TLS$version $cipher"
			if helper connect --label "$label" --port "$port" --profile "c$tag-$cipher" \
				--expect-version "$version" --expect-cipher "$cipher" \
				--echo-sizes 1,16385,1048576 --shutdown; then
				MATRIX["gnutls-serv|$version|$cipher"]=pass
			else
				MATRIX["gnutls-serv|$version|$cipher"]=FAIL
			fi
		done
		stop_pid "$GNUTLS_SERV_PID"
	done
}

# s_server sends what it reads on stdin and writes what it decrypts to
# stdout (-quiet).  It drops the connection at EOF on stdin, so stdin is a
# FIFO that we hold open read-write; a writer feeds it the payload.
run_s_server_case() {
	local tag=$1 version=$2 cipher=$3 suite=$4 port label fifo_fd server_pid feeder_pid rc got
	local args=(s_server -accept "127.0.0.1:PORT" -naccept 1 -quiet
		    -cert "$W/server.pem" -key "$W/server.key")
	label="openssl s_server TLS$version $cipher"
	port=$(pick_port) || { tap_not_ok "$label: no free port"; return 1; }
	args[2]=127.0.0.1:$port
	if [ "$version" = 1.3 ]; then
		args+=(-tls1_3 -ciphersuites "$suite")
	else
		args+=(-tls1_2 -cipher "$suite")
	fi
	rm -f "$W/stdin.fifo" && mkfifo "$W/stdin.fifo"
	exec {fifo_fd}<>"$W/stdin.fifo"
	openssl "${args[@]}" <&"$fifo_fd" > "$W/s_server.out" 2> "$W/s_server.log" &
	server_pid=$!
	PIDS+=("$server_pid")
	cat "$W/s2c.bin" >&"$fifo_fd" &
	feeder_pid=$!
	PIDS+=("$feeder_pid")
	exec {fifo_fd}>&-
	if ! wait_for_port "$port" 30 "$server_pid"; then
		tap_not_ok "$label: s_server listening"
		diag "$(tail -n 5 "$W/s_server.log")"
		stop_pid "$server_pid"
		stop_pid "$feeder_pid"
		return 1
	fi
	helper connect --label "$label" --port "$port" --profile "c$tag-$cipher" \
		--expect-version "$version" --expect-cipher "$cipher" \
		--send "$W/c2s.bin" --expect-file "$W/s2c.bin" --shutdown
	rc=$?
	wait_gone "$server_pid" 20 || stop_pid "$server_pid"
	stop_pid "$feeder_pid"
	got=$(sha256_of "$W/s_server.out")
	if [ "$got" = "$C2S_SHA256" ]; then
		tap_ok "$label: s_server decrypted the client's $(stat -c %s "$W/s_server.out") bytes, SHA-256 match"
	else
		tap_not_ok "$label: s_server decrypted the client's bytes (got $(stat -c %s "$W/s_server.out") bytes, SHA-256 ${got:0:16}...)"
		diag "$(tail -n 5 "$W/s_server.log")"
		rc=1
	fi
	return "$rc"
}

# wait_gone PID SECONDS: until PID exits (reaped); 1 if it is still there.
wait_gone() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
	return 1
}

test_s_server() {
	local c tag version cipher suite
	make_pattern_file "$W/c2s.bin" 1 && make_pattern_file "$W/s2c.bin" 1 || return
	C2S_SHA256=$(sha256_of "$W/c2s.bin")
	for c in "${CASES[@]}"; do
		read -r tag version cipher _ suite <<< "$c"
		if run_s_server_case "$tag" "$version" "$cipher" "$suite"; then
			MATRIX["openssl s_server|$version|$cipher"]=pass
		else
			MATRIX["openssl s_server|$version|$cipher"]=FAIL
		fi
	done
}

test_handoff() {
	local version bytes
	for version in 1.3 1.2; do
		for bytes in 1 16385; do
			helper early --label "handoff TLS$version: GnuTLS server writes $bytes B at once" \
				--tls "$version" --bytes "$bytes" --cert "$W/server.pem" --key "$W/server.key"
		done
	done
}

# ---- 3. verification ------------------------------------------------------------------

# verify_case NAME ARGS...: a pair expected to fail; both sides' reasons
# must be in ktlsd's log.
verify_case() {
	local name=$1 side
	shift
	log_mark
	helper pair --label "$name" --mib 0 --sendfile-kib 16 "$@"
	for side in client server; do
		grep -q "^# $side-reason: " "$W/out.txt" && check_logged "$name" "$side"
	done
}

test_verification() {
	verify_case "wrong hostname" --server-profile wrongname --expect-errno EACCES \
		--expect-reason 'does not match the name "localhost"' --expect-server-errno any
	verify_case "untrusted CA" --server-profile untrusted --expect-errno EKEYREJECTED \
		--expect-reason 'not signed by a trusted CA' --expect-server-errno any
	verify_case "expired certificate" --server-profile expired --expect-errno EKEYEXPIRED \
		--expect-reason 'has expired' --expect-server-errno any
	# TLS 1.3: the client is done before the server checks its certificate;
	# the server's alert may come under keys the client no longer holds, or
	# after the handoff: the client must fail, the server must say EACCES.
	verify_case "mTLS required, no client certificate, TLS1.3" --server-profile mtls \
		--expect-server-errno EACCES --expect-errno any
	# TLS 1.2: the server rejects after our Finished and closes; its alert
	# may or may not reach the client before the close does: the client
	# must fail, with the alert or with ECONNRESET; the server must say EACCES.
	verify_case "mTLS required, no client certificate, TLS1.2" --server-profile mtls \
		--profile c12-AES-128-GCM --expect-server-errno EACCES --expect-errno any
	helper pair --label "mTLS optional, no client certificate" --server-profile mtls-opt \
		--mib 0 --sendfile-kib 16
	helper pair --label "mTLS required, client certificate" --profile withcert \
		--server-profile mtls --expect-peer-subject "CN=ktls test client" \
		--expect-peer-cert "$W/client.pem" --mib 0 --sendfile-kib 16
	helper pair --label "PSK dev1" --profile psk-cli --psk-identity dev1 --server-name "" \
		--server-profile psk-srv --expect-version 1.3 --mib 0 --sendfile-kib 16
	verify_case "unknown PSK identity (server)" --profile psk-cli --psk-identity stranger \
		--server-name "" --server-profile psk-srv --expect-server-errno EKEYREJECTED \
		--expect-errno any
	verify_case "PSK identity the client profile lacks" --profile psk-cli \
		--psk-identity nobody --server-name "" --server-profile psk-srv \
		--expect-errno ENOKEY --expect-reason nobody --expect-server-errno any
	helper pair --label "PSK client profile, no KTLS_PSK_IDENTITY: the file's first identity" \
		--profile psk-cli --server-name "" --server-profile psk-srv --mib 0 --sendfile-kib 16
	verify_case "KTLS_VERIFY none on a verifying profile" --verify none \
		--expect-errno EPERM --expect-reason 'requires peer verification' \
		--expect-server-errno any
	good_handshake "after the verification failures, a good handshake"
}

# ---- 4. bad input -----------------------------------------------------------------------

test_bad_input() {
	helper raw --label "bad request"
	helper badfd --label "bad socket"
	log_mark
	helper peer --label "stalled peer" --case stall --timeout-ms 2000 --min-ms 1500 --max-ms 5000
	check_logged "stalled peer" client
	log_mark
	helper peer --label "peer closes mid-handshake" --case close --timeout-ms 20000
	check_logged "peer closes mid-handshake" client
	log_mark
	helper peer --label "peer speaks plain HTTP" --case nontls --timeout-ms 20000
	check_logged "peer speaks plain HTTP" client
	log_mark
	helper abandon --label "caller leaves before the reply" --timeout-ms 20000
	expect_log "caller leaves before the reply: ktlsd logged the cancelled job (ECANCELED)" \
		"reason=\"the caller went away before the handshake finished\""
	helper silent --label "silent request connection" --min-ms 1500 --max-ms 5000
	good_handshake "after the bad input, a good handshake"
	check_fd_count "after the bad input"
}

# check_fd_count WHEN: ktlsd's fd count is back at FD_START (a few seconds
# allowed for the last closes).
check_fd_count() {
	local n i
	for ((i = 0; i < 30; i++)); do
		n=$(fd_count)
		[ "$n" -eq "$FD_START" ] && break
		sleep 0.1
	done
	if [ "$n" -eq "$FD_START" ]; then
		tap_ok "$1: ktlsd has $n fds open, as at start"
	else
		tap_not_ok "$1: ktlsd has $n fds open, $FD_START at start"
		diag "$(ls -l /proc/"$KTLSD_PID"/fd 2>&1 | tail -n +2)"
	fi
}

# ---- 5. concurrency ---------------------------------------------------------------------

test_concurrent() {
	helper concurrent --label "100 concurrent handshakes" --count 100 --server-profile srv
	CONCURRENT_TIME=$(sed -n 's/^# 100 concurrent handshakes: //p' "$W/out.txt")
	check_fd_count "after 100 concurrent handshakes"
}

# ---- the end ----------------------------------------------------------------------------

print_matrix() {
	local peer version c cipher line
	diag "interop matrix (client side through ktlsd; ktls<->ktls: both sides):"
	diag "$(printf '%-18s %-7s %-12s %-12s %-18s %-12s' peer version AES-128-GCM \
		AES-256-GCM CHACHA20-POLY1305 AES-128-CCM)"
	for peer in "ktls<->ktls" gnutls-serv "openssl s_server"; do
		for version in 1.3 1.2; do
			line=$(printf '%-18s TLS%-4s' "$peer" "$version")
			for c in AES-128-GCM AES-256-GCM CHACHA20-POLY1305 AES-128-CCM; do
				cipher=${MATRIX["$peer|$version|$c"]:-not run}
				case $c in
				CHACHA20-POLY1305) line+=$(printf ' %-18s' "$cipher") ;;
				*) line+=$(printf ' %-12s' "$cipher") ;;
				esac
			done
			diag "$line"
		done
	done
	diag "100 concurrent handshakes through ktlsd: ${CONCURRENT_TIME:-not measured}"
}

test_shutdown() {
	local rc
	kill -TERM "$KTLSD_PID"
	if wait_gone_status "$KTLSD_PID" 20; then
		rc=$WAIT_STATUS
		if [ "$rc" -eq 0 ] && [ ! -e "$W/ktlsd.sock" ]; then
			tap_ok "ktlsd exits 0 on SIGTERM and removes its socket"
		else
			tap_not_ok "ktlsd exits 0 on SIGTERM and removes its socket (status $rc)"
		fi
	else
		tap_not_ok "ktlsd exits on SIGTERM within 20 s"
	fi
	KTLSD_PID=''
}

wait_gone_status() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			WAIT_STATUS=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

main() {
	local missing start=$SECONDS
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built (make)"
	[ -x "$CLIENT" ] || skip_all "$CLIENT not built (make tests)"
	[ "$(id -u)" = 0 ] || skip_all "needs root (run it in the VM: tests/vm/run -- bash $0)"
	grep -q '^TlsTxSw' /proc/net/tls_stat 2>/dev/null || modprobe tls 2>/dev/null
	[ -r /proc/net/tls_stat ] || skip_all "no kernel TLS here (run it in the VM)"
	missing=$(need_cmd certtool gnutls-serv openssl) || skip_all "$missing"
	ktls_tmpdir ktls-daemon || exit 2
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	PSK_DEV1=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	PSK_STRANGER=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	make_certs || skip_all "cannot generate certificates"
	write_config
	export KTLS_SOCKET=$W/ktlsd.sock
	test_config_check
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	FD_START=$(fd_count)
	diag "ktlsd pid $KTLSD_PID, $FD_START fds open at start"
	test_pairs
	test_gnutls_serv
	test_s_server
	test_handoff
	test_verification
	test_bad_input
	test_concurrent
	print_matrix
	test_shutdown
	diag "t_daemon.sh: $((SECONDS - start)) s; ktlsd's log: $(grep -c 'handshake ok' "$W/ktlsd.log") ok," \
		"$(grep -c 'handshake failed' "$W/ktlsd.log") failed handshakes"
	[ "$TAP_FAILED" -eq 0 ] || diag "ktlsd's log (last 40 lines):" "$(tail -n 40 "$W/ktlsd.log")"
	tap_done
}

main "$@"
