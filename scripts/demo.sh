#!/usr/bin/env bash
# scripts/demo.sh - ktlsd end to end: a 100 MiB file served by `ktls serve`
# (sendfile() into kernel TLS) and fetched by curl and by `ktls get` (kernel
# TLS receive), with every handshake done by ktlsd.
#
#   make demo                 (builds first; BUILD=build by default)
#   BUILD=build scripts/demo.sh
#
# Runs natively when this kernel runs kTLS and we are root, else re-runs
# itself inside the test VM (tests/vm/run), where the host's files are
# visible read-only and /tmp is writable.  Everything it writes goes to a
# temporary directory under /tmp, removed at the end.
# Exit status 0 ("DEMO OK") only if both downloads are byte-identical to the
# original (SHA-256) and the kernel's kTLS TX counter grew.
# Environment: BUILD, KTLS_DEMO_MIB (file size, default 100), KTLS_DEMO_PORT
# (default 8443), KTLS_DEMO_KEEP=1 (keep the temporary directory).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
BUILD=${BUILD:-build}
KTLS=$BUILD/ktls
KTLSD=$BUILD/ktlsd
MIB=${KTLS_DEMO_MIB:-100}
PORT=${KTLS_DEMO_PORT:-8443}
STATS=(TlsTxSw TlsRxSw TlsCurrTxSw TlsCurrRxSw TlsTxDevice TlsRxDevice TlsDecryptError
       TlsRxNoPadViolation)
PIDS=()

# ---- where to run ------------------------------------------------------------

run_where_ktls_is() {
	if [ "$(id -u)" = 0 ] && "$KTLS" check --quiet > /dev/null 2>&1; then
		return 0
	fi
	echo "This kernel ($(uname -r)) cannot run kTLS here (or we are not root):"
	echo "running the demo inside the VM (Debian's 6.12 kernel under QEMU)."
	echo
	exec tests/vm/run --timeout 900 -e "BUILD=$BUILD" -e "KTLS_DEMO_MIB=$MIB" \
		-e "KTLS_DEMO_PORT=$PORT" -e "KTLS_DEMO_KEEP=${KTLS_DEMO_KEEP:-0}" \
		-- scripts/demo.sh --inside
}

# ---- output ------------------------------------------------------------------

heading() {
	printf '\n== %s\n' "$*"
}

indent() {
	sed 's/^/   /'
}

fail() {
	echo "demo: $*" >&2
	exit 1
}

# ---- steps -------------------------------------------------------------------

check_prerequisites() {
	local c
	for c in "$KTLS" "$KTLSD"; do
		[ -x "$c" ] || fail "$c is not built (make all)"
	done
	for c in curl openssl sha256sum; do
		command -v "$c" > /dev/null || fail "$c is not installed (make deps)"
	done
	[ -r /proc/net/tls_stat ] || modprobe tls 2> /dev/null
	[ -r /proc/net/tls_stat ] || fail "no /proc/net/tls_stat: the tls module is not loaded"
}

show_kernel() {
	heading "Kernel: $(uname -r)"
	"$KTLS" check 2>&1 | indent
}

# An ECDSA P-256 CA and a certificate for localhost signed by it.
make_certificates() {
	heading "Test CA and a server certificate for \"localhost\" (openssl)"
	cat > "$W/cert.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[ca]
	basicConstraints = critical, CA:TRUE
	keyUsage = critical, keyCertSign, cRLSign
	[server]
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = serverAuth
	subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
	EOF
	(
		set -e
		cd "$W"
		export OPENSSL_CONF=cert.cnf
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key
		openssl req -new -x509 -key ca.key -subj "/CN=ktlsd demo CA" -days 1 \
			-extensions ca -out ca.pem
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server.key
		openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 1 -extfile cert.cnf -extensions server -out server.pem
		chmod 600 ca.key server.key	# ktlsd refuses keys others can read
	) > "$W/cert.log" 2>&1 || { cat "$W/cert.log"; fail "cannot make certificates"; }
	openssl x509 -in "$W/server.pem" -noout -subject -issuer -ext subjectAltName | indent
}

write_config() {
	heading "ktlsd configuration ($W/ktlsd.conf)"
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	server_profile = web
	client_profile = demo-client

	# the server side of \`ktls serve\`; it holds a private key, so only
	# the callers listed may use it (without a list: root and ktlsd's
	# own user and group)
	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	alpn = http/1.1
	server_names = localhost
	allowed_uids = root

	# \`ktls get\`: trusts the demo CA only
	[profile demo-client]
	role = client
	ca_file = $W/ca.pem
	verify = required
	EOF
	indent < "$W/ktlsd.conf"
	heading "ktlsd -n: the configuration checked, and who may use each profile"
	"$KTLSD" -n --config "$W/ktlsd.conf" 2>&1 | indent || fail "ktlsd -n refused the configuration"
}

start_ktlsd() {
	local i
	heading "Starting ktlsd"
	"$KTLSD" --foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" \
		> "$W/ktlsd.log" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -S "$W/ktlsd.sock" ] && break
		kill -0 "${PIDS[-1]}" 2> /dev/null || break
		sleep 0.1
	done
	[ -S "$W/ktlsd.sock" ] || { indent < "$W/ktlsd.log"; fail "ktlsd did not start"; }
	echo "   ktlsd pid ${PIDS[-1]}, socket $W/ktlsd.sock"
	export KTLS_SOCKET=$W/ktlsd.sock
}

make_data() {
	heading "A $MIB MiB file of random bytes"
	mkdir -p "$W/www"
	head -c "$((MIB * 1024 * 1024))" /dev/urandom > "$W/www/big.bin" ||
		fail "cannot write $W/www/big.bin"
	ORIGINAL=$(sha256sum < "$W/www/big.bin" | cut -d' ' -f1)
	echo "   $W/www/big.bin  sha256 $ORIGINAL"
}

# Is a TCP socket listening on port $1?  From /proc: a test connection
# would cost the server a failed handshake.
listening() {
	awk -v port=":$(printf '%04X' "$1")" \
		'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == port { found = 1 }
		 END { exit !found }' /proc/net/tcp /proc/net/tcp6 2> /dev/null
}

start_server() {
	local i
	heading "Starting: ktls serve --root $W/www --port $PORT"
	"$KTLS" serve --root "$W/www" --port "$PORT" > "$W/serve.log" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		listening "$PORT" && break
		kill -0 "${PIDS[-1]}" 2> /dev/null || break
		sleep 0.1
	done
	kill -0 "${PIDS[-1]}" 2> /dev/null || { indent < "$W/serve.log"; fail "ktls serve died"; }
	indent < "$W/serve.log"
}

declare -A STAT_BEFORE
tls_stat() {
	awk -v n="$1" '$1 == n { print $2; found = 1 } END { if (!found) print "-" }' \
		/proc/net/tls_stat
}

snapshot_stats() {
	local n
	for n in "${STATS[@]}"; do
		STAT_BEFORE[$n]=$(tls_stat "$n")
	done
}

fetch_with_curl() {
	local summary
	heading "curl --cacert ca.pem https://localhost:$PORT/big.bin -o out1 (OpenSSL decrypts)"
	summary=$(curl -v --cacert "$W/ca.pem" -o "$W/out1" \
		-w 'HTTP %{http_code}, %{size_download} bytes in %{time_total} s (%{speed_download} bytes/s)' \
		"https://localhost:$PORT/big.bin" 2> "$W/curl.err")
	CURL_RC=$?
	grep -E '^\* +(SSL connection using|ALPN: server|subject:|issuer:|SSL certificate verify)' \
		"$W/curl.err" | sed 's/^\*  */   curl: /'
	echo "   curl: $summary"
	[ "$CURL_RC" -eq 0 ] || { tail -n 5 "$W/curl.err" | indent; echo "   curl failed ($CURL_RC)"; }
}

fetch_with_ktls_get() {
	local start end
	heading "ktls get https://localhost:$PORT/big.bin -o out2 (handshake by ktlsd, kTLS decrypts)"
	start=$(date +%s.%N)
	"$KTLS" get -o "$W/out2" "https://localhost:$PORT/big.bin" 2> "$W/get.err"
	GET_RC=$?
	end=$(date +%s.%N)
	indent < "$W/get.err"
	awk -v s="$start" -v e="$end" -v b="$((MIB * 1048576))" \
		'BEGIN { printf "   %d bytes in %.2f s (%.1f MiB/s)\n", b, e - s, b / 1048576 / (e - s) }'
	[ "$GET_RC" -eq 0 ] || echo "   ktls get failed (exit $GET_RC)"
}

verify_hashes() {
	local f sum
	heading "SHA-256"
	HASHES_OK=1
	printf '   %-9s %s\n' original "$ORIGINAL"
	for f in out1 out2; do
		sum=$(sha256sum < "$W/$f" 2> /dev/null | cut -d' ' -f1)
		if [ "$sum" = "$ORIGINAL" ]; then
			printf '   %-9s %s  match\n' "$f" "$sum"
		else
			printf '   %-9s %s  DIFFERENT\n' "$f" "${sum:-missing}"
			HASHES_OK=0
		fi
	done
}

show_stat_deltas() {
	local n after
	heading "/proc/net/tls_stat: before -> after (delta)"
	for n in "${STATS[@]}"; do
		after=$(tls_stat "$n")
		[ "$after" = - ] && continue
		printf '   %-20s %6s -> %-6s (%+d)\n' "$n" "${STAT_BEFORE[$n]}" "$after" \
			"$((after - STAT_BEFORE[$n]))"
	done
	TX_DELTA=$(($(tls_stat TlsTxSw) - STAT_BEFORE[TlsTxSw]))
	echo "   TlsTxSw/TlsRxSw count sockets that got software kTLS keys installed: the"
	echo "   server's two connections and ktls get's own socket.  The server wrote the file"
	echo "   with plain sendfile(); that curl could decrypt it shows the kernel encrypted it."
}

show_logs() {
	heading "ktlsd log"
	indent < "$W/ktlsd.log"
	heading "ktls serve log"
	indent < "$W/serve.log"
}

stop_all() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2> /dev/null
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2> /dev/null
	done
	PIDS=()
	if [ "${KTLS_DEMO_KEEP:-0}" = 1 ]; then
		echo "demo: kept $W"
	else
		rm -rf -- "$W"
	fi
}

verdict() {
	heading "Result"
	if [ "$HASHES_OK" = 1 ] && [ "$TX_DELTA" -gt 0 ]; then
		echo "   both downloads are identical to the original; kTLS TX installed $TX_DELTA time(s)"
		echo
		echo "DEMO OK"
		return 0
	fi
	[ "$HASHES_OK" = 1 ] || echo "   a download differs from the original (or failed)"
	[ "$TX_DELTA" -gt 0 ] || echo "   the kernel's TlsTxSw counter did not grow"
	echo
	echo "DEMO FAILED"
	return 1
}

main() {
	local start=$SECONDS rc
	[ "${1:-}" = --inside ] || run_where_ktls_is
	check_prerequisites
	W=$(mktemp -d /tmp/ktlsd-demo.XXXXXX) || fail "cannot make a temporary directory"
	trap stop_all EXIT
	echo "ktlsd demo: $MIB MiB over kernel TLS, handshakes by ktlsd (work dir $W)"
	show_kernel
	make_certificates
	write_config
	start_ktlsd
	make_data
	start_server
	snapshot_stats
	fetch_with_curl
	fetch_with_ktls_get
	verify_hashes
	show_stat_deltas
	show_logs
	verdict
	rc=$?
	echo "(demo took $((SECONDS - start)) s)"
	return "$rc"
}

main "$@"
