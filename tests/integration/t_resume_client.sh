#!/usr/bin/env bash
# t_resume_client.sh - ktlsd's client session cache against servers nobody
# here wrote: openssl s_server, gnutls-serv and nginx (ssl_session_tickets
# on), TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2 session IDs.
#
# Per server: a full handshake by one program (resume_probe, no-resume),
# then `ktls get` resumes the session ktlsd kept, then resume_probe again
# (another program) resumes and reads the same peer facts (fingerprint,
# certificate, subject) as after the full handshake.  Every body is checked
# by SHA-256; where the server says so itself (s_server -www "Reused",
# gnutls-serv "*** This is a resumed session", nginx $ssl_session_reused)
# that is checked too.
# Negative: a session is not offered to another server name on the same
# address (with verification on, such an offer would skip the certificate
# check: the handshake must fail instead); a reload that changes ca_file
# drops the profile's sessions; so does a reload after the system trust
# store lost the CA (a second ktlsd in a mount namespace whose store is our
# CA, then another: an admin distrusting a CA must not see ktlsd resume
# what that CA verified); an expired ticket is not offered (counted as an
# eviction, not a hit); --no-resume is a full handshake.
# Also: the counters in `ktls status` / Prometheus, and full vs resumed
# handshake durations from ktlsd's log (diagnostics).
# Needs a kTLS kernel (run it in the VM) and $BUILD/ktlsd.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

BUILD=${BUILD:-build}
KTLSD=$BUILD/ktlsd
KTLS=$BUILD/ktls
PROBE=$BUILD/tests/integration/resume_probe
T=120
PIDS=()
SERVER_PID=""

stop_server() {
	stop_pid "$SERVER_PID"
	SERVER_PID=""
}

stop_all() {
	stop_server
	stop_bg_pids
}

if ! missing=$(need_cmd openssl gnutls-serv nginx sha256sum) ||
   [ ! -x "$KTLSD" ] || [ ! -x "$KTLS" ] || [ ! -x "$PROBE" ]; then
	tap_skip "client session resumption" "${missing:-$KTLSD, $KTLS or $PROBE not built}"
	tap_done
	exit 0
fi
ktls_tmpdir ktls-resume || exit 1
W=$KTLS_TMPDIR
at_exit stop_all
gen_test_certs "$W" localhost || exit 1
cp "$W/ca.pem" "$W/ca-copy.pem"
mkdir -p "$W/root" "$W/logs" && make_pattern_file "$W/root/one.bin" 1 || exit 1
WANT=$(sha256_of "$W/root/one.bin")

write_config() {	# write_config CA-FILE
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	client_profile = local

	[profile local]
	role = client
	ca_file = $1
	verify = required
	EOF
}

write_config "$W/ca.pem"
"$KTLSD" --foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" > "$W/ktlsd.log" 2>&1 &
KTLSD_PID=$!
PIDS+=("$KTLSD_PID")
for _ in $(seq 100); do [ -S "$W/ktlsd.sock" ] && break; sleep 0.1; done
export KTLS_SOCKET=$W/ktlsd.sock

# ---- servers -------------------------------------------------------------------

# s_server drops its connections at EOF on stdin: give it a FIFO it holds.
start_s_server() {	# start_s_server PORT ARGS...
	local port=$1 fd
	shift
	[ -p "$W/stdin.fifo" ] || mkfifo "$W/stdin.fifo"
	exec {fd}<>"$W/stdin.fifo"
	(cd "$W/root" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$W/server.pem" \
		-key "$W/server.key" "$@") <&"$fd" > "$W/logs/server.log" 2>&1 &
	SERVER_PID=$!
	exec {fd}>&-
	wait_for_port "$port" 20 "$SERVER_PID"
}

start_gnutls_serv() {	# start_gnutls_serv PORT PRIORITY
	gnutls-serv --http --httpdata="$W/root/one.bin" -p "$1" --priority "$2" \
		--x509certfile "$W/server.pem" --x509keyfile "$W/server.key" \
		> "$W/logs/server.log" 2>&1 < /dev/null &
	SERVER_PID=$!
	wait_for_port "$1" 20 "$SERVER_PID"
}

start_nginx() {		# start_nginx PORT PROTOCOLS [SESSION-TIMEOUT]
	cat > "$W/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $W/logs/error.log info;
pid $W/logs/nginx.pid;
events { worker_connections 64; }
http {
	log_format reuse '\$request reused=\$ssl_session_reused';
	access_log $W/logs/server.log reuse;
	client_body_temp_path $W/logs/body;
	proxy_temp_path $W/logs/proxy;
	fastcgi_temp_path $W/logs/fastcgi;
	uwsgi_temp_path $W/logs/uwsgi;
	scgi_temp_path $W/logs/scgi;
	server {
		listen 127.0.0.1:$1 ssl;
		server_name localhost;
		ssl_certificate $W/server.pem;
		ssl_certificate_key $W/server.key;
		ssl_protocols $2;
		ssl_session_tickets on;
		ssl_session_timeout ${3:-5m};
		root $W/root;
	}
}
EOF
	: > "$W/logs/server.log"
	nginx -p "$W" -c "$W/nginx.conf" > "$W/logs/stdout.log" 2>&1 &
	SERVER_PID=$!
	wait_for_port "$1" 20 "$SERVER_PID"
}

# ---- one client run --------------------------------------------------------------

# kget NAME PORT PATH [ARGS...]: ktls get https://localhost:PORT/PATH; sets
# GOT_RESUMED (yes/no) and GOT_OK (1 when exit 0 and, for one.bin, the
# SHA-256 matches).
kget() {
	local port=$1 path=$2 rc
	shift 2
	rm -f "$W/got.bin"
	timeout "$T" "$KTLS" get "$@" -o "$W/got.bin" "https://localhost:$port/$path" \
		2> "$W/get.err"
	rc=$?
	GOT_OK=0
	if [ "$rc" -eq 0 ] && { [ "$path" != one.bin ] ||
				  [ "$(sha256_of "$W/got.bin")" = "$WANT" ]; }; then
		GOT_OK=1
	fi
	GOT_RESUMED=no
	grep -q '^\* handshake by ktlsd: .*resumed session' "$W/get.err" && GOT_RESUMED=yes
	return "$rc"
}

# probe PORT PATH [no-resume]: resume_probe 127.0.0.1 PORT localhost; sets
# PROBE_LINE and PROBE_OK like kget.
probe() {
	local port=$1 path=$2 rc
	shift 2
	rm -f "$W/probe.bin"
	PROBE_LINE=$(timeout "$T" "$PROBE" 127.0.0.1 "$port" localhost "$path" "$W/probe.bin" "$@" \
		     2> "$W/probe.err")
	rc=$?
	PROBE_OK=0
	[ "$rc" -eq 0 ] && [ "$(sha256_of "$W/probe.bin")" = "$WANT" ] && PROBE_OK=1
	return "$rc"
}

# The server's own word on the last connection, when it gives one.
server_says_reused() {	# server_says_reused KIND
	case $1 in
	gnutls) [ "$(grep -c '^\*\*\* This is a resumed session' "$W/logs/server.log")" -ge 1 ] ;;
	nginx) tail -n 1 "$W/logs/server.log" | grep -q 'reused=r$' ;;
	*) return 0 ;;
	esac
}

MATRIX=()

# resume_case LABEL KIND PORT: the three runs described at the top.
resume_case() {
	local label=$1 kind=$2 port=$3 full facts_full facts_resumed ok=1 says=""
	probe "$port" one.bin no-resume
	full=$PROBE_LINE
	if [ "$PROBE_OK" = 1 ] && [[ $full == resumed=0\ * ]]; then
		tap_ok "$label: full handshake by resume_probe (no-resume), SHA-256 match"
	else
		tap_not_ok "$label: full handshake by resume_probe (no-resume), SHA-256 match"
		diag "$full" "$(cat "$W/probe.err")" "$(tail -n 5 "$W/logs/server.log")"
		ok=0
	fi
	kget "$port" one.bin
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = yes ]; then
		tap_ok "$label: ktls get resumed the session resume_probe left, SHA-256 match"
	else
		tap_not_ok "$label: ktls get resumed the session resume_probe left, SHA-256 match"
		diag "$(cat "$W/get.err")" "$(grep 'handshake' "$W/ktlsd.log" | tail -n 3)"
		ok=0
	fi
	if server_says_reused "$kind"; then
		[ "$kind" = openssl ] || says=" (server's log agrees)"
		[ "$kind" = openssl ] || tap_ok "$label: the server says it resumed"
	else
		tap_not_ok "$label: the server says it resumed"
		diag "$(tail -n 5 "$W/logs/server.log")"
		ok=0
	fi
	probe "$port" one.bin
	facts_full=${full#resumed=0 }
	facts_resumed=${PROBE_LINE#resumed=1 }
	if [ "$PROBE_OK" = 1 ] && [[ $PROBE_LINE == resumed=1\ * ]] &&
	   [ "$facts_full" = "$facts_resumed" ] && [[ $facts_full != fingerprint=none* ]]; then
		tap_ok "$label: resume_probe resumed too and reads the full handshake's peer facts"
	else
		tap_not_ok "$label: resume_probe resumed too and reads the full handshake's peer facts"
		diag "full:    $full" "resumed: $PROBE_LINE" "$(cat "$W/probe.err")"
		ok=0
	fi
	MATRIX+=("$label: resumed $([ "$ok" = 1 ] && echo yes || echo NO)$says")
}

# s_server -www answers with a status page that says "Reused" or "New".
s_server_www_says() {	# s_server_www_says PORT WORD
	kget "$1" "" && grep -q -- "^$2, " "$W/got.bin"
}

# ---- the matrix -------------------------------------------------------------------

run_s_server() {	# run_s_server LABEL ARGS...
	local label=$1 port
	shift
	port=$(pick_port) || return
	if ! start_s_server "$port" -WWW "$@"; then
		tap_not_ok "$label: s_server started"
		stop_server
		return
	fi
	resume_case "$label" openssl "$port"
	stop_server
	# the server's own word: the same settings with -www
	port=$(pick_port) || return
	if start_s_server "$port" -www "$@" && s_server_www_says "$port" New &&
	   s_server_www_says "$port" Reused; then
		tap_ok "$label: s_server -www says New, then Reused"
	else
		tap_not_ok "$label: s_server -www says New, then Reused"
		diag "$(head -c 600 "$W/got.bin" 2>/dev/null)" "$(cat "$W/get.err")"
	fi
	stop_server
}

run_s_server "openssl s_server TLS 1.3 ticket" -tls1_3
run_s_server "openssl s_server TLS 1.2 session ticket" -tls1_2
run_s_server "openssl s_server TLS 1.2 session ID" -tls1_2 -no_ticket

for prio in "NORMAL:-VERS-ALL:+VERS-TLS1.3" "NORMAL:-VERS-ALL:+VERS-TLS1.2"; do
	label="gnutls-serv ${prio##*+VERS-} ticket"
	port=$(pick_port) || continue
	if start_gnutls_serv "$port" "$prio"; then
		resume_case "$label" gnutls "$port"
	else
		tap_not_ok "$label: gnutls-serv started"
	fi
	stop_server
done

for protocols in TLSv1.3 TLSv1.2; do
	label="nginx $protocols ticket"
	port=$(pick_port) || continue
	if start_nginx "$port" "$protocols"; then
		resume_case "$label" nginx "$port"
	else
		tap_not_ok "$label: nginx started"
		diag "$(tail -n 5 "$W/logs/error.log")"
	fi
	stop_server
done

# ---- negatives (nginx, TLS 1.3) ------------------------------------------------------

counter() {	# counter EVENT: this profile's session counter from ktls status
	"$KTLS" status --prometheus 2>/dev/null |
		sed -n "s/^ktlsd_session_events_total{profile=\"local\",event=\"$1\"} //p"
}

port=$(pick_port)
if start_nginx "$port" TLSv1.3; then
	kget "$port" one.bin --no-resume
	kget "$port" one.bin
	[ "$GOT_RESUMED" = yes ] || diag "setup: a session was not resumed to begin with"

	# another name on the same address: offering localhost's session here
	# would let a resumption skip the name check, so it must fail instead
	hits=$(counter cache_hit)
	if ! kget "$port" one.bin --sni other.invalid &&
	   grep -q 'does not match the name' "$W/get.err" && [ "$GOT_RESUMED" = no ] &&
	   [ "$(counter cache_hit)" = "$hits" ]; then
		tap_ok "a session is not offered to another server name (same address): verification fails"
	else
		tap_not_ok "a session is not offered to another server name (same address): verification fails"
		diag "$(cat "$W/get.err")"
	fi

	# --no-resume: a full handshake while a session is there
	kget "$port" one.bin --no-resume
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = no ] && server_says_reused nginx; then
		tap_not_ok "--no-resume: a full handshake (nginx: not reused)"
	elif [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = no ]; then
		tap_ok "--no-resume: a full handshake (nginx: not reused), SHA-256 match"
	else
		tap_not_ok "--no-resume: a full handshake (nginx: not reused), SHA-256 match"
		diag "$(cat "$W/get.err")"
	fi

	# a reload that changes ca_file (same certificates, another file)
	kget "$port" one.bin
	evicted=$(counter cache_evict)
	write_config "$W/ca-copy.pem"
	kill -HUP "$KTLSD_PID"
	for _ in $(seq 50); do
		grep -q 'configuration reloaded' "$W/ktlsd.log" && break
		sleep 0.1
	done
	kget "$port" one.bin
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = no ] &&
	   grep -Eq 'session cache: [0-9]+ sessions? dropped' "$W/ktlsd.log" &&
	   [ "$(counter cache_evict)" -gt "$evicted" ]; then
		tap_ok "a reload changing ca_file drops the profile's sessions: full handshake"
	else
		tap_not_ok "a reload changing ca_file drops the profile's sessions: full handshake"
		diag "resumed=$GOT_RESUMED" "$(grep -E 'reload|session cache' "$W/ktlsd.log")"
	fi
	kget "$port" one.bin
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = yes ]; then
		tap_ok "after the reload, new sessions resume again"
	else
		tap_not_ok "after the reload, new sessions resume again"
	fi
	stop_server
else
	tap_not_ok "nginx for the negative tests started"
fi

# The system trust store (a profile without ca_file): a second ktlsd in
# its own mount namespace, where GnuTLS's store file is ours.
SYSTEM_STORE=/etc/ssl/certs/ca-certificates.crt
system_store_case() {
	local port=$1 sys_pid i
	mkdir -p "$W/other" && gen_test_certs "$W/other" localhost > /dev/null || return 1
	cp "$W/ca.pem" "$W/store.pem"
	printf '[global]\nclient_profile = sys\n\n[profile sys]\nrole = client\nverify = required\n' \
		> "$W/sys.conf"
	# unshare without --fork: the shell it runs execs ktlsd, so $! is ktlsd
	unshare -m --propagation private sh -c \
		'mount --bind "$1" "$2" && exec "$3" --foreground --no-netlink --config "$4" --socket "$5"' \
		sh "$W/store.pem" "$SYSTEM_STORE" "$KTLSD" "$W/sys.conf" "$W/sys.sock" \
		> "$W/sys.log" 2>&1 &
	sys_pid=$!
	PIDS+=("$sys_pid")
	for ((i = 0; i < 100; i++)); do [ -S "$W/sys.sock" ] && break; sleep 0.1; done
	KTLS_SOCKET=$W/sys.sock kget "$port" one.bin
	KTLS_SOCKET=$W/sys.sock kget "$port" one.bin
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = yes ]; then
		tap_ok "system trust store holding our CA: full handshake, then resumed"
	else
		tap_not_ok "system trust store holding our CA: full handshake, then resumed"
		diag "$(cat "$W/get.err")" "$(tail -n 5 "$W/sys.log")"
	fi
	# the admin replaces the store (same file, in place) and reloads
	cat "$W/other/ca.pem" > "$W/store.pem"
	kill -HUP "$sys_pid"
	for ((i = 0; i < 50; i++)); do
		grep -q 'configuration reloaded' "$W/sys.log" && break
		sleep 0.1
	done
	if ! KTLS_SOCKET=$W/sys.sock kget "$port" one.bin && [ "$GOT_RESUMED" = no ] &&
	   grep -q 'not signed by a trusted CA' "$W/get.err"; then
		tap_ok "a reload after our CA left the system store: no resumption, verification fails"
	else
		tap_not_ok "a reload after our CA left the system store: no resumption, verification fails"
		diag "ok=$GOT_OK resumed=$GOT_RESUMED" "$(cat "$W/get.err")" \
		     "$(grep -E 'reload|session cache' "$W/sys.log")"
	fi
	kill "$sys_pid" 2>/dev/null && wait "$sys_pid" 2>/dev/null
}

port=$(pick_port)
if ! command -v unshare > /dev/null || [ ! -e "$SYSTEM_STORE" ] || [ "$(id -u)" != 0 ]; then
	tap_skip "system trust store change at reload" \
		"needs root, unshare and $SYSTEM_STORE (GnuTLS's store) to bind a store of ours over it"
elif start_nginx "$port" TLSv1.3; then
	system_store_case "$port" || tap_not_ok "system trust store case: a second test CA generated"
	stop_server
else
	tap_not_ok "nginx for the system trust store case started"
fi

# expiry: nginx's ticket lifetime is its ssl_session_timeout
port=$(pick_port)
if start_nginx "$port" TLSv1.3 2s; then
	kget "$port" one.bin
	sleep 3
	hits=$(counter cache_hit) evicted=$(counter cache_evict)
	kget "$port" one.bin
	if [ "$GOT_OK" = 1 ] && [ "$GOT_RESUMED" = no ] && [ "$(counter cache_hit)" = "$hits" ] &&
	   [ "$(counter cache_evict)" -gt "$evicted" ]; then
		tap_ok "an expired ticket (lifetime 2 s) is not offered: evicted, full handshake"
	else
		tap_not_ok "an expired ticket (lifetime 2 s) is not offered: evicted, full handshake"
		diag "resumed=$GOT_RESUMED hits $hits -> $(counter cache_hit)" \
		     "evicted $evicted -> $(counter cache_evict)"
	fi
	stop_server
else
	tap_not_ok "nginx (ssl_session_timeout 2s) started"
fi

# ---- counters and timing -------------------------------------------------------------

resumed=$(counter resumed)
if [ -n "$resumed" ] && [ "$resumed" -ge 14 ] && "$KTLS" status | grep -q '^sessions: '; then
	tap_ok "ktls status counts sessions per profile (resumed: $resumed)"
else
	tap_not_ok "ktls status counts sessions per profile (resumed: ${resumed:-none})"
	diag "$("$KTLS" status 2>&1 | tail -n 4)"
fi
diag "$("$KTLS" status 2>&1 | sed -n '/^sessions:/,$p')"

# Full vs resumed, against nginx TLS 1.3: ktlsd's own handshake durations.
port=$(pick_port)
if start_nginx "$port" TLSv1.3; then
	: > "$W/durations"
	for _ in $(seq 8); do
		kget "$port" one.bin --no-resume
		kget "$port" one.bin
	done
	grep -o 'version=TLS1.3.*resumed=[a-z]* early=[^ ]* duration=[0-9]*' "$W/ktlsd.log" |
		tail -n 16 |
		sed 's/.*resumed=\([a-z]*\) early=[^ ]* duration=\([0-9]*\)/\1 \2/' > "$W/durations"
	for r in no yes; do
		diag "handshake through ktlsd, resumed=$r: median $(awk -v r="$r" '$1 == r { print $2 }' \
		     "$W/durations" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }') ms" \
		     "over $(grep -c "^$r " "$W/durations") handshakes (VM, TCG)"
	done
	stop_server
fi

diag "resumption matrix (ktlsd client, peer x version x mechanism):"
for line in "${MATRIX[@]}"; do diag "  $line"; done
tap_done
