#!/usr/bin/env bash
# t_upcall.sh - ktlsd serving the kernel's TLS handshake upcall (net/handshake,
# generic netlink family "handshake", group "tlshd"), as tlshd does.
#
# The kernel consumer is the test-only module tests/kmod/hs_trigger.ko (built
# on the host by tests/kmod/build.sh into $BUILD/kmod/): each load opens
# kernel TCP sockets, calls tls_client_hello_{anon,x509,psk}() or
# tls_server_hello_{x509,psk}(), waits for DONE and moves data through the
# kTLS session ktlsd installed; it logs one line per handshake (status,
# remote peer id, duration, data check) that we read back from dmesg.
#
# Covered: kernel client -> openssl s_server and -> gnutls-serv; openssl
# s_client -> kernel server; kernel client <-> kernel server with ktlsd doing
# both ends; x509 with certificates and keys from keyrings (mutual TLS, both
# sides, remote identity reported) and the credential cache; PSK (kernel
# names the key; server finds it by serial or in the keyring the consumer
# linked); failures: untrusted certificate, wrong name, unknown PSK identity,
# a stalled peer (the kernel's TIMEOUT), no ktlsd (ESRCH at once), ktlsd
# killed between READY and ACCEPT, --no-netlink; [kernel]: its client and
# server profiles are the ones kernel requests get, its keyrings are linked
# (and searched for server PSKs), a reload unlinks them; 50 concurrent upcalls with
# no process forked; privileges: without CAP_NET_ADMIN the door stays shut,
# with only CAP_NET_ADMIN everything works; NFS over TLS when possible.
# Needs root and a kTLS kernel with CONFIG_NET_HANDSHAKE (the VM); skips
# with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$BUILD/ktlsd
KO=$(hs_trigger_ko)
EACCES=13 ESRCH=3 ETIMEDOUT=110 EKEYREJECTED=129
PIDS=()			# background processes, stopped at exit
KTLSD_PID='' KTLSD_LOG='' KTLSD_RUNS=0
KTLSD_WRAP=()		# a command ktlsd runs under (setpriv)
KTLSD_CONF=''		# the config ktlsd runs with (write_config)
TESTRING=''		# our keyring, unlinked at exit
EXTRARING=''		# a keyring only [kernel] keyrings names, unlinked at exit

skip_all() { tap_skip_all "kernel handshake upcall" "$1"; }

cleanup() {
	stop_bg_pids
	[ -n "$TESTRING" ] && keyctl unlink "$TESTRING" @u >/dev/null 2>&1
	[ -n "$EXTRARING" ] && keyctl unlink "$EXTRARING" @u >/dev/null 2>&1
	_ktls_cleanup_tmpdirs
}

# ---- setup -------------------------------------------------------------------

preconditions() {
	local missing vermagic
	[ "$(id -u)" = 0 ] || skip_all "needs root (insmod, keyrings)"
	[ -x "$KTLSD" ] || skip_all "$KTLSD is not built"
	# Before the module: on Linux 6.1 (Debian 12) no module could help.
	has_handshake_family; [ $? != 1 ] ||
		skip_all "kernel $(uname -r) has no generic netlink family \"handshake\" (CONFIG_NET_HANDSHAKE, Linux 6.5+): no kernel upcall to serve"
	missing=$(need_cmd keyctl openssl gnutls-serv insmod setpriv) || skip_all "$missing"
	[ -f "$KO" ] || skip_all "$KO is not built (tests/kmod/build.sh, on the host)"
	vermagic=$(modinfo -F vermagic "$KO" 2>/dev/null)
	[ "${vermagic%% *}" = "$(uname -r)" ] ||
		skip_all "$KO is built for ${vermagic%% *}, this kernel is $(uname -r)"
	[ -d /sys/module/tls ] || modprobe tls 2>/dev/null ||
		skip_all "no tls module in this kernel"
}

# A client certificate (mutual TLS) signed by the test CA.
make_client_cert() {
	cat > "$W/client.cnf" <<-EOF
	[req]
	distinguished_name = dn
	prompt = no
	[dn]
	CN = unused
	[client_ext]
	basicConstraints = critical, CA:FALSE
	keyUsage = critical, digitalSignature
	extendedKeyUsage = clientAuth
	subjectAltName = DNS:kernel-client.test
	EOF
	(
		set -e
		cd "$W"
		export OPENSSL_CONF=client.cnf
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out client.key
		openssl req -new -key client.key -subj "/CN=kernel-client.test" -out client.csr
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-days 2 -extfile client.cnf -extensions client_ext -out client.pem
	) > "$W/client-cert.log" 2>&1
}

# DER copies: the kernel's convention for keys holding certificates.
make_der() {
	local name
	for name in client server; do
		openssl x509 -in "$W/$name.pem" -outform DER -out "$W/$name.der" &&
		openssl pkey -in "$W/$name.key" -outform DER -out "$W/$name.key.der" || return 1
	done
}

# Keys in our own keyring (linked from root's user keyring, which ktlsd,
# also root, possesses).  Serials go into CLIENT_CERT, CLIENT_KEY,
# SERVER_CERT, SERVER_KEY, PSK, UNKNOWN_PSK; PSKRING is a keyring holding
# only PSK2 (the "consumer's keyring" the kernel links for us).  EXTRARING
# holds only PSK3; no request names it, only [kernel] keyrings does.
make_keys() {
	TESTRING=$(keyctl newring ktlsd-upcall-test @u) || return 1
	CLIENT_CERT=$(keyctl padd user kt-client-cert "$TESTRING" < "$W/client.der") &&
	CLIENT_KEY=$(keyctl padd user kt-client-key "$TESTRING" < "$W/client.key.der") &&
	SERVER_CERT=$(keyctl padd user kt-server-cert "$TESTRING" < "$W/server.der") &&
	SERVER_KEY=$(keyctl padd user kt-server-key "$TESTRING" < "$W/server.key.der") &&
	head -c 32 /dev/urandom > "$W/psk.bin" &&
	PSK_HEX=$(od -An -v -tx1 "$W/psk.bin" | tr -d ' \n') &&
	PSK=$(keyctl padd user ktls-test-psk "$TESTRING" < "$W/psk.bin") &&
	UNKNOWN_PSK=$(head -c 32 /dev/urandom | keyctl padd user nobody-knows-me "$TESTRING") &&
	PSKRING=$(keyctl newring ktlsd-upcall-psks "$TESTRING") &&
	PSK2=$(head -c 48 /dev/urandom | keyctl padd user ktls-ring-psk "$PSKRING") &&
	EXTRARING=$(keyctl newring ktlsd-upcall-extra @u) &&
	PSK3=$(head -c 32 /dev/urandom | keyctl padd user ktls-extra-psk "$EXTRARING") &&
	printf 'ktls-test-psk:%s\n' "$PSK_HEX" > "$W/psk.passwd"
}

# write_config NAME VERIFY [CLIENT_CERT]: $W/ktlsd.NAME.conf, whose kernel
# server profile verifies clients as VERIFY says, and whose kernel client
# profile carries the client certificate when CLIENT_CERT is "cert" (NFS
# mtls: the kernel's NFS client names no certificate, the agent supplies
# it, as tlshd's config does).
write_config() {
	local name=$1 verify=$2 client_cert=''
	[ "${3:-}" = cert ] && client_cert="certificate = $W/client.pem
	key = $W/client.key"
	cat > "$W/ktlsd.$name.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	client_profile = kclient
	server_profile = kserver
	handshake_timeout = 20s

	[profile kclient]
	role = client
	ca_file = $W/ca.pem
	verify = required
	$client_cert

	[profile kserver]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	ca_file = $W/ca.pem
	verify = $verify
	EOF
}

# The same [global] defaults, and a [kernel] section choosing other
# profiles: they trust, and present, the rogue CA's certificates, so a
# handshake with a rogue peer succeeds only with them.
write_kernel_config() {
	cat > "$W/ktlsd.kernel.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	client_profile = kclient
	server_profile = kserver
	handshake_timeout = 20s

	[kernel]
	client_profile = kclient-rogue
	server_profile = kserver-rogue
	keyrings = ktlsd-upcall-extra no-such-keyring-ktlsd

	[profile kclient]
	role = client
	ca_file = $W/ca.pem

	[profile kserver]
	role = server
	certificate = $W/server.pem
	key = $W/server.key

	[profile kclient-rogue]
	role = client
	ca_file = $W/rogue/ca.pem

	[profile kserver-rogue]
	role = server
	certificate = $W/rogue/server.pem
	key = $W/rogue/server.key
	EOF
}

write_configs() {
	chmod 600 "$W/client.key" "$W/server.key" "$W/rogue/server.key" &&
	write_config default none && write_config mtls required cert &&
	write_config optional optional && write_kernel_config
}

setup() {
	ktls_tmpdir upcall || return 1
	W=$KTLS_TMPDIR
	trap cleanup EXIT
	mkdir -p "$W/rogue" &&
	gen_test_certs "$W" localhost &&
	gen_test_certs "$W/rogue" localhost > /dev/null &&
	make_client_cert && make_der && make_keys && write_configs &&
	mkfifo "$W/stdin" && { sleep 3600 > "$W/stdin" & PIDS+=($!); }
}

# start_ktlsd [ARGS...]: in the background, logging (debug) to $KTLSD_LOG;
# returns once it says ready.  KTLSD_WRAP=(setpriv ...) runs it through that.
start_ktlsd() {
	local i
	KTLSD_RUNS=$((KTLSD_RUNS + 1))
	KTLSD_LOG=$W/ktlsd.$KTLSD_RUNS.log
	"${KTLSD_WRAP[@]}" "$KTLSD" --foreground --debug --config "$KTLSD_CONF" "$@" \
		> "$KTLSD_LOG" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q ' ready (config' "$KTLSD_LOG" && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(cat "$KTLSD_LOG")"
	return 1
}

stop_ktlsd() {
	[ -n "$KTLSD_PID" ] || return 0
	kill "$KTLSD_PID" 2>/dev/null
	wait "$KTLSD_PID" 2>/dev/null
	KTLSD_PID=''
}

# ---- the module --------------------------------------------------------------

# kmod_start NAME PARAM=VALUE...: load the module in the background (the
# load lasts as long as its handshakes); kmod_finish NAME collects its lines
# into $W/kmod.NAME.log.  kmod NAME ... does both.
kmod_start() {
	local name=$1
	shift
	KMOD_TAG=$name-$RANDOM
	KMOD_T0=$(date +%s%N)
	timeout 300 insmod "$KO" tag="$KMOD_TAG" "$@" > "$W/kmod.$name.insmod" 2>&1 &
	KMOD_PID=$!
}

kmod_finish() {
	wait "$KMOD_PID"
	KMOD_MS=$((($(date +%s%N) - KMOD_T0) / 1000000))
	dmesg | sed -n "s/^\[[^]]*\] hs_trigger\[$KMOD_TAG\]: //p" > "$W/kmod.$1.log"
}

kmod() {
	kmod_start "$@"
	kmod_finish "$1"
}

# kmod_seen PATTERN: has the running load logged PATTERN yet?
kmod_seen() {
	dmesg | grep -q "hs_trigger\[$KMOD_TAG\]: $1"
}

# kfield NAME IDX SIDE FIELD: one field of one handshake's line.
kfield() {
	awk -v idx="idx=$2" -v side="side=$3" -v f="$4=" '
		$1 == idx && $2 == side && $3 ~ /^status=/ {
			for (i = 3; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1)
		}' "$W/kmod.$1.log"
}

ksummary() {
	awk -v f="$2=" '$1 == "summary" {
		for (i = 2; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }' \
		"$W/kmod.$1.log"
}

# hs_expect NAME IDX SIDE STATUS [DATA]: the outcome of one handshake.
hs_expect() {
	local st data
	st=$(kfield "$1" "$2" "$3" status)
	data=$(kfield "$1" "$2" "$3" data)
	if [ "$st" = "$4" ] && { [ -z "${5:-}" ] || [ "$data" = "$5" ]; }; then
		return 0
	fi
	echo "handshake $2 ($3): status=${st:-none}, want $4; data=${data:-none}, want ${5:-any}"
	echo "module log:"
	cat "$W/kmod.$1.log" "$W/kmod.$1.insmod"
	echo "ktlsd log (tail):"
	tail -n 15 "$KTLSD_LOG"
	return 1
}

# ---- peers -------------------------------------------------------------------

# openssl_server PORT ARGS...: s_server -rev (answers each line reversed).
openssl_server() {
	local port=$1
	shift
	openssl s_server -accept "127.0.0.1:$port" -rev -naccept 1 "$@" \
		< "$W/stdin" > "$W/s_server.$port.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_for_port "$port" 30 "$SRV_PID" ||
		{ diag "s_server did not start:" "$(cat "$W/s_server.$port.log")"; return 1; }
}

# gnutls_server PORT ARGS...: gnutls-serv --echo.
gnutls_server() {
	local port=$1
	shift
	gnutls-serv --echo -p "$port" "$@" > "$W/gnutls-serv.$port.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_for_port "$port" 30 "$SRV_PID" ||
		{ diag "gnutls-serv did not start:" "$(cat "$W/gnutls-serv.$port.log")"; return 1; }
}

stop_server() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}

# openssl_client PORT OUT ARGS...: send one line to a kernel server.
openssl_client() {
	local port=$1 out=$2
	shift 2
	printf 'ping-from-openssl\n' | timeout 60 openssl s_client -connect "127.0.0.1:$port" \
		-servername localhost -CAfile "$W/ca.pem" -verify_return_error -quiet "$@" \
		> "$out" 2> "$out.err"
}

# ---- kernel client -> servers we did not write -------------------------------

test_anon_client() {
	local port
	port=$(pick_port) && openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" &&
	kmod anon-ossl role=client mode=anon port="$port" peername=localhost reply=rev
	tap_check "anon: kernel client -> openssl s_server, server verified, data both ways" \
		hs_expect anon-ossl 0 client 0 ok
	stop_server
	port=$(pick_port) &&
	gnutls_server "$port" --x509certfile "$W/server.pem" --x509keyfile "$W/server.key" &&
	kmod anon-gnutls role=client mode=anon port="$port" peername=127.0.0.1 reply=echo
	tap_check "anon: kernel client -> gnutls-serv (peer named by IP), data both ways" \
		hs_expect anon-gnutls 0 client 0 ok
	stop_server
}

test_x509_client_to_openssl() {
	local port
	port=$(pick_port) &&
	openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" -Verify 1 \
		-CAfile "$W/ca.pem" -verify_return_error &&
	kmod x509-ossl role=client mode=x509 port="$port" peername=localhost reply=rev \
		cert="$CLIENT_CERT" privkey="$CLIENT_KEY"
	tap_check "x509: kernel client with certificate+key from the keyring -> openssl s_server requiring a client certificate" \
		hs_expect x509-ossl 0 client 0 ok
	stop_server
	if grep -q 'CN *= *kernel-client.test' "$W/s_server.$port.log"; then
		tap_ok "x509: s_server saw the keyring's client certificate (CN=kernel-client.test)"
	else
		tap_not_ok "x509: s_server saw the keyring's client certificate"
		diag "$(cat "$W/s_server.$port.log")"
	fi
}

test_psk_clients() {
	local port
	port=$(pick_port) &&
	gnutls_server "$port" --pskpasswd "$W/psk.passwd" --priority "NORMAL:+ECDHE-PSK:+PSK" &&
	kmod psk-gnutls role=client mode=psk port="$port" peerid="$PSK" reply=echo
	tap_check "psk: kernel client (key $PSK from the keyring) -> gnutls-serv, data both ways" \
		hs_expect psk-gnutls 0 client 0 ok
	stop_server
	tap_check "psk: DONE names the PSK as the remote identity" \
		test "$(kfield psk-gnutls 0 client peerid)" = "$PSK"
	port=$(pick_port) &&
	openssl_server "$port" -nocert -psk "$PSK_HEX" -psk_identity ktls-test-psk &&
	kmod psk-ossl role=client mode=psk port="$port" peerid="$PSK" reply=rev
	tap_check "psk: kernel client -> openssl s_server -psk, data both ways" \
		hs_expect psk-ossl 0 client 0 ok
	stop_server
}

# ---- kernel server <- openssl s_client ---------------------------------------

test_kernel_server_tls() {
	local port out=$W/s_client.out
	port=$(pick_port) || { tap_not_ok "kernel server (x509, profile): a free port"; return; }
	kmod_start srv-profile role=server mode=x509 port="$port"
	wait_for_port "$port" 30 "$KMOD_PID" && openssl_client "$port" "$out"
	kmod_finish srv-profile
	tap_check "x509: openssl s_client -> kernel server (profile certificate), handshake" \
		hs_expect srv-profile 0 server 0 ok
	tap_check "x509: s_client verified the server and got the kernel's answer over kTLS" \
		grep -q 'kernel-server-got:ping-from-openssl' "$out"
}

test_kernel_server_mtls() {
	local port out=$W/s_client.out
	port=$(pick_port) || { tap_not_ok "kernel server (x509, keyring): a free port"; return; }
	kmod_start srv-keyring role=server mode=x509 port="$port" srv_cert="$SERVER_CERT" \
		srv_privkey="$SERVER_KEY"
	wait_for_port "$port" 30 "$KMOD_PID" &&
		openssl_client "$port" "$out" -cert "$W/client.pem" -key "$W/client.key"
	kmod_finish srv-keyring
	tap_check "x509: openssl s_client (client certificate) -> kernel server with the keyring's certificate, client certificate required" \
		hs_expect srv-keyring 0 server 0 ok
	tap_check "x509: the kernel server's answer reached s_client" \
		grep -q 'kernel-server-got:ping-from-openssl' "$out"
	remote_is_certificate srv-keyring 0 server "verified client certificate"
}

# remote_is_certificate NAME IDX SIDE WHAT: DONE's remote identity is an
# "asymmetric" key holding the peer's certificate.
remote_is_certificate() {
	local id desc
	id=$(kfield "$1" "$2" "$3" peerid)
	desc=$(keyctl rdescribe "$id" 2>&1)
	if [ "${id:-0}" != 0 ] && [[ $desc == asymmetric\;* ]]; then
		tap_ok "x509: DONE reports the $4 as key $id ($desc)"
	else
		tap_not_ok "x509: DONE reports the $4 as an asymmetric key (got id ${id:-none}: $desc)"
	fi
}

# ---- kernel <-> kernel -------------------------------------------------------

test_pairs() {
	local port
	port=$(pick_port) && kmod pair-anon role=pair mode=anon port="$port" peername=localhost
	tap_check "anon: kernel client <-> kernel server, ktlsd doing both ends: client side" \
		hs_expect pair-anon 0 client 0 ok
	tap_check "anon: kernel client <-> kernel server: server side, ping/pong verified" \
		hs_expect pair-anon 0 server 0 ok

	port=$(pick_port) && kmod pair-psk role=pair mode=psk port="$port" peerid="$PSK" \
		srv_peerid="$PSK"
	tap_check "psk: kernel client <-> kernel server, key named by serial on both ends: client" \
		hs_expect pair-psk 0 client 0 ok
	tap_check "psk: kernel <-> kernel: server" hs_expect pair-psk 0 server 0 ok
	tap_check "psk: both ends report the PSK ($PSK) as the remote identity" \
		test "$(kfield pair-psk 0 client peerid)/$(kfield pair-psk 0 server peerid)" = "$PSK/$PSK"

	port=$(pick_port) && kmod pair-psk-ring role=pair mode=psk port="$port" peerid="$PSK2" \
		srv_keyring="$PSKRING"
	tap_check "psk: server finds the client's identity in the keyring the consumer linked (6.12: our process keyring)" \
		hs_expect pair-psk-ring 0 server 0 ok
	tap_check "psk: ... and the client side completes" hs_expect pair-psk-ring 0 client 0 ok
	diag "process keyrings now: $(grep ' _pid' /proc/keys | tr '\n' ';')"
	tap_check "psk: nothing stays linked in ktlsd's process keyring after the request" \
		bash -c "! grep -E ' _pid: [0-9]' /proc/keys"
}

test_pair_x509() {
	local port
	port=$(pick_port) && kmod pair-x509 role=pair mode=x509 port="$port" peername=localhost \
		cert="$CLIENT_CERT" privkey="$CLIENT_KEY" srv_cert="$SERVER_CERT" \
		srv_privkey="$SERVER_KEY"
	tap_check "x509: mutual TLS kernel <-> kernel, both certificates from the keyring: client" \
		hs_expect pair-x509 0 client 0 ok
	tap_check "x509: mutual TLS kernel <-> kernel: server" hs_expect pair-x509 0 server 0 ok
	remote_is_certificate pair-x509 0 client "verified server certificate"
	remote_is_certificate pair-x509 0 server "verified client certificate"
}

# The credentials built from keyring keys are cached by content.
test_x509_cache() {
	local port built_before built_after cached_before cached_after out
	built_before=$(grep -c 'x509 credentials.*: built in' "$KTLSD_LOG")
	cached_before=$(grep -c 'x509 credentials.*: cached in' "$KTLSD_LOG")
	port=$(pick_port) && kmod cache-1 role=pair mode=x509 port="$port" peername=localhost \
		cert="$CLIENT_CERT" privkey="$CLIENT_KEY" srv_cert="$SERVER_CERT" \
		srv_privkey="$SERVER_KEY"
	built_after=$(grep -c 'x509 credentials.*: built in' "$KTLSD_LOG")
	cached_after=$(grep -c 'x509 credentials.*: cached in' "$KTLSD_LOG")
	if hs_expect cache-1 0 client 0 ok >/dev/null && hs_expect cache-1 0 server 0 ok >/dev/null &&
	   [ "$built_after" = "$built_before" ] && [ "$cached_after" -eq $((cached_before + 2)) ]; then
		tap_ok "x509: the same keys again reuse the cached credentials (no trust store copy)"
	else
		tap_not_ok "x509: the same keys again reuse the cached credentials"
		diag "built $built_before -> $built_after, cached $cached_before -> $cached_after"
	fi
	diag "credential build times seen: $(grep -o 'built in [0-9]* ms' "$KTLSD_LOG" | tr '\n' ' ')"
	# Same serial, new content (the key in PEM now): must be rebuilt, and PEM works.
	keyctl pupdate "$CLIENT_KEY" < "$W/client.key"
	port=$(pick_port) && kmod cache-2 role=pair mode=x509 port="$port" peername=localhost \
		cert="$CLIENT_CERT" privkey="$CLIENT_KEY" srv_cert="$SERVER_CERT" \
		srv_privkey="$SERVER_KEY"
	if out=$(hs_expect cache-2 0 client 0 ok) &&
	   [ "$(grep -c 'x509 credentials.*: built in' "$KTLSD_LOG")" -gt "$built_after" ]; then
		tap_ok "x509: a key updated under the same serial gets fresh credentials (PEM key accepted)"
	else
		tap_not_ok "x509: a key updated under the same serial gets fresh credentials"
		diag "$out"
	fi
	keyctl pupdate "$CLIENT_KEY" < "$W/client.key.der"
}

# A server profile with verify = optional (what an NFS server offering both
# xprtsec=tls and mtls needs): clients without a certificate get in, those
# with one are verified and reported.
test_optional_client_certificate() {
	local port
	port=$(pick_port) && kmod opt-anon role=pair mode=anon port="$port" peername=localhost
	tap_check "verify=optional server: a kernel client without a certificate gets in" \
		hs_expect opt-anon 0 server 0 ok
	port=$(pick_port) && kmod opt-x509 role=pair mode=x509 port="$port" peername=localhost \
		cert="$CLIENT_CERT" privkey="$CLIENT_KEY"
	tap_check "verify=optional server: a kernel client with a certificate gets in" \
		hs_expect opt-x509 0 server 0 ok
	remote_is_certificate opt-x509 0 server "client certificate verified under verify=optional"
}

# ---- [kernel] ----------------------------------------------------------------

# [kernel] client_profile / server_profile, not [global]'s, serve the kernel.
test_kernel_profiles() {
	local port out=$W/s_client.kernel.out
	port=$(pick_port) &&
	openssl_server "$port" -cert "$W/rogue/server.pem" -key "$W/rogue/server.key" &&
	kmod kprof-client role=client mode=anon port="$port" peername=localhost reply=rev
	stop_server
	tap_check "[kernel] client_profile: the kernel client trusts its CA (the [global] client_profile's would refuse this server)" \
		hs_expect kprof-client 0 client 0 ok
	tap_check "[kernel] client_profile: ktlsd logs profile=kclient-rogue for the ClientHello request" \
		grep -qE 'kernel request fd=[0-9]+ ClientHello .* profile=kclient-rogue$' "$KTLSD_LOG"
	port=$(pick_port) || { tap_not_ok "[kernel] server_profile: a free port"; return; }
	kmod_start kprof-server role=server mode=x509 port="$port"
	wait_for_port "$port" 30 "$KMOD_PID" && openssl_client "$port" "$out" -CAfile "$W/rogue/ca.pem"
	kmod_finish kprof-server
	tap_check "[kernel] server_profile: s_client trusting only the rogue CA accepts the kernel server (its certificate is the [kernel] profile's)" \
		hs_expect kprof-server 0 server 0 ok
	tap_check "[kernel] server_profile: the kernel server's answer reached s_client" \
		grep -q 'kernel-server-got:ping-from-openssl' "$out"
	tap_check "[kernel] server_profile: ktlsd logs profile=kserver-rogue for the ServerHello request" \
		grep -qE 'kernel request fd=[0-9]+ ServerHello .* profile=kserver-rogue$' "$KTLSD_LOG"
}

# process_keyring_count: the keys linked in ktlsd's process keyring, as
# /proc/keys counts them ("empty" -> 0); "none" without one.
process_keyring_count() {
	local line
	line=$(grep -E ' _pid: ' /proc/keys)
	case $line in
	'') echo none ;;
	*': empty') echo 0 ;;
	*) echo "${line##*: }" ;;
	esac
}

# Without [kernel] keyrings nobody links EXTRARING: its PSK is unknown.
test_extra_keyring_not_searched() {
	local port
	port=$(pick_port) && kmod kring-none role=pair mode=psk port="$port" peerid="$PSK3"
	tap_check "keyrings: without [kernel] keyrings, a PSK in a keyring no request names is unknown to the server (EKEYREJECTED)" \
		hs_expect kring-none 0 server "-$EKEYREJECTED"
}

test_kernel_keyrings() {
	local port count
	tap_check "[kernel] keyrings: the named keyring is linked at start" \
		grep -qE 'keyring "ktlsd-upcall-extra" \(key [0-9]+\) linked' "$KTLSD_LOG"
	tap_check "[kernel] keyrings: a missing keyring is a warning, the door serves" \
		grep -q 'warn: .*keyring "no-such-keyring-ktlsd" is not used for now' "$KTLSD_LOG"
	port=$(pick_port) && kmod kring-psk role=pair mode=psk port="$port" peerid="$PSK3"
	tap_check "[kernel] keyrings: the server finds the client's PSK in the configured keyring" \
		hs_expect kring-psk 0 server 0 ok
	tap_check "[kernel] keyrings: ... the client side completes, both report PSK $PSK3" \
		test "$(hs_expect kring-psk 0 client 0 ok >/dev/null && echo ok)/$(kfield kring-psk 0 server peerid)" = "ok/$PSK3"
	port=$(pick_port) && kmod kring-consumer role=pair mode=psk port="$port" peerid="$PSK2" \
		srv_keyring="$PSKRING"
	count=$(process_keyring_count)
	tap_check "[kernel] keyrings: the consumer's keyring is still searched" \
		hs_expect kring-consumer 0 server 0 ok
	tap_check "[kernel] keyrings: after it, ktlsd's process keyring holds the configured keyring only (links: $count)" \
		test "$count" = 1
}

# SIGHUP with the keyrings line gone: the keyring is unlinked again.
test_kernel_keyrings_reload() {
	local port i count
	sed -i '/^keyrings = /d' "$KTLSD_CONF"
	kill -HUP "$KTLSD_PID"
	for ((i = 0; i < 100; i++)); do
		grep -q 'configuration reloaded' "$KTLSD_LOG" && break
		sleep 0.1
	done
	port=$(pick_port) && kmod kring-reload role=pair mode=psk port="$port" peerid="$PSK3"
	tap_check "[kernel] keyrings: after a reload without it, its PSK is unknown again (EKEYREJECTED)" \
		hs_expect kring-reload 0 server "-$EKEYREJECTED"
	count=$(process_keyring_count)
	tap_check "[kernel] keyrings: ... and nothing stays linked in ktlsd's process keyring (links: $count)" \
		test "$count" = 0 -o "$count" = none
	write_kernel_config
}

# ---- failures ----------------------------------------------------------------

test_bad_certificate() {
	local port
	port=$(pick_port) &&
	openssl_server "$port" -cert "$W/rogue/server.pem" -key "$W/rogue/server.key" &&
	kmod bad-ca role=client mode=anon port="$port" peername=localhost reply=rev
	tap_check "failure: server certificate from an untrusted CA -> DONE EACCES" \
		hs_expect bad-ca 0 client "-$EACCES"
	stop_server
	port=$(pick_port) && openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" &&
	kmod bad-name role=client mode=anon port="$port" peername=wrong.example reply=rev
	tap_check "failure: server certificate for another name than PEERNAME -> DONE EACCES" \
		hs_expect bad-name 0 client "-$EACCES"
	stop_server
	port=$(pick_port) && openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" &&
	kmod no-name role=client mode=anon port="$port" peername= reply=rev
	tap_check "failure: no PEERNAME, nothing to verify against (no reverse DNS) -> DONE EACCES" \
		hs_expect no-name 0 client "-$EACCES"
	stop_server
}

test_unknown_psk() {
	local port
	port=$(pick_port) && kmod psk-unknown role=pair mode=psk port="$port" \
		peerid="$UNKNOWN_PSK" srv_peerid="$PSK"
	tap_check "failure: unknown PSK identity -> server's DONE is EKEYREJECTED" \
		hs_expect psk-unknown 0 server "-$EKEYREJECTED"
	if [ "$(kfield psk-unknown 0 client status)" != 0 ]; then
		tap_ok "failure: unknown PSK identity: the client fails too ($(kfield psk-unknown 0 client status))"
	else
		tap_not_ok "failure: unknown PSK identity: the client fails too"
	fi
}

test_stalled_peer() {
	local port ms
	port=$(pick_port) &&
	kmod stall role=client mode=anon stall=1 port="$port" peername=localhost timeout_ms=3000
	tap_check "failure: a peer that never answers -> DONE ETIMEDOUT from ktlsd" \
		hs_expect stall 0 client "-$ETIMEDOUT"
	ms=$(kfield stall 0 client ms)
	if [ -n "$ms" ] && [ "$ms" -ge 2900 ] && [ "$ms" -lt 8000 ]; then
		tap_ok "failure: the kernel's 3000 ms TIMEOUT is honoured (DONE after $ms ms)"
	else
		tap_not_ok "failure: the kernel's 3000 ms TIMEOUT is honoured (DONE after ${ms:-?} ms)"
	fi
}

# 50 handshakes at once (25 kernel pairs), all on ktlsd's threads.
test_concurrent() {
	local port threads_before threads_after forks_before forks_after children wall
	threads_before=$(ls "/proc/$KTLSD_PID/task" | wc -l)
	forks_before=$(awk '$1 == "processes" { print $2 }' /proc/stat)
	port=$(pick_port) &&
	kmod many role=pair mode=anon count=25 port="$port" peername=localhost timeout_ms=120000
	forks_after=$(awk '$1 == "processes" { print $2 }' /proc/stat)
	threads_after=$(ls "/proc/$KTLSD_PID/task" | wc -l)
	# the one child allowed is the key process, there before and after
	children=$(for c in $(cat /proc/"$KTLSD_PID"/task/*/children); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = "ktlsd: keys" ] || echo "$c"
	done | wc -w)
	wall=$(ksummary many wall_ms)
	if [ "$(ksummary many ok)" = 50 ]; then
		tap_ok "50 concurrent upcalls (25 kernel pairs) all complete with data verified (wall ${wall:-?} ms)"
	else
		tap_not_ok "50 concurrent upcalls (25 kernel pairs) all complete with data verified"
		diag "$(grep -v 'status=0 .*data=ok' "$W/kmod.many.log" | grep -v submitted)"
		diag "$(grep -E 'warn|error' "$KTLSD_LOG" | tail -n 20)"
	fi
	diag "50 upcalls: module wall ${wall:-?} ms (connect + handshakes + ping/pong), insmod $KMOD_MS ms," \
	     "slowest handshake $(awk '$3 ~ /^status=/ { sub("ms=", "", $5); if ($5 > m) m = $5 } END { print m + 0 }' "$W/kmod.many.log") ms," \
	     "EAGAIN retries (kernel's pending cap) $(ksummary many busy_retries)"
	if [ "$children" = 0 ] && [ "$threads_after" = "$threads_before" ] &&
	   [ $((forks_after - forks_before)) -lt 20 ]; then
		tap_ok "no process per request: ktlsd has no child but its key process, $threads_after threads before and after, $((forks_after - forks_before)) forks system-wide during 50 upcalls"
	else
		tap_not_ok "no process per request (children $children, threads $threads_before -> $threads_after, forks $((forks_after - forks_before)))"
	fi
}

# READY reached a ktlsd that died before ACCEPT: the next one takes it.
test_restart_between_ready_and_accept() {
	local port i
	if ! { port=$(pick_port) &&
	       openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key"; }; then
		tap_not_ok "restart: openssl s_server started for the request"
		return
	fi
	kill -STOP "$KTLSD_PID"
	kmod_start restart role=client mode=anon port="$port" peername=localhost reply=rev \
		timeout_ms=60000
	for ((i = 0; i < 300; i++)); do
		kmod_seen "idx=0 side=client submitted" && break
		sleep 0.1
	done
	kill -KILL "$KTLSD_PID"
	wait "$KTLSD_PID" 2>/dev/null
	KTLSD_PID=''
	start_ktlsd
	kmod_finish restart
	stop_server
	tap_check "restart: READY went to a ktlsd killed before ACCEPT; the restarted ktlsd takes the request" \
		hs_expect restart 0 client 0 ok
}

test_no_daemon() {
	local port
	stop_ktlsd
	port=$(pick_port) && openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" &&
	kmod nodaemon role=client mode=anon port="$port" peername=localhost reply=rev
	stop_server
	tap_check "no ktlsd: the consumer gets ESRCH at once (insmod took $KMOD_MS ms, submit $(kfield nodaemon 0 client ms) ms)" \
		hs_expect nodaemon 0 client "-$ESRCH"
	tap_check "no ktlsd: ... within a second" test "$(kfield nodaemon 0 client ms)" -lt 1000

	start_ktlsd --no-netlink || return
	port=$(pick_port) && kmod nonetlink role=client mode=anon stall=1 port="$port"
	tap_check "--no-netlink: ktlsd does not join the group (consumer: ESRCH)" \
		hs_expect nonetlink 0 client "-$ESRCH"
	tap_check "--no-netlink: the application door still listens" test -S "$W/ktlsd.sock"
	stop_ktlsd
}

# ACCEPT needs CAP_NET_ADMIN, and nothing else is needed.
test_privileges() {
	local port cap
	stop_ktlsd
	KTLSD_WRAP=(setpriv --bounding-set=-net_admin --inh-caps=-net_admin --)
	start_ktlsd || { KTLSD_WRAP=(); return; }
	tap_check "without CAP_NET_ADMIN: the door says why it is closed" \
		grep -q 'netlink door unavailable: ACCEPT: Operation not permitted' "$KTLSD_LOG"
	tap_check "without CAP_NET_ADMIN: the application door still serves" \
		test -S "$W/ktlsd.sock"
	port=$(pick_port) && kmod nocap role=client mode=anon stall=1 port="$port"
	tap_check "without CAP_NET_ADMIN: ktlsd left the group, so consumers fail fast (ESRCH)" \
		hs_expect nocap 0 client "-$ESRCH"
	stop_ktlsd

	KTLSD_WRAP=(setpriv --bounding-set=-all,+net_admin --inh-caps=-all --)
	start_ktlsd || { KTLSD_WRAP=(); return; }
	KTLSD_WRAP=()
	cap=$(awk '$1 == "CapEff:" { print $2 }' "/proc/$KTLSD_PID/status")
	port=$(pick_port) && openssl_server "$port" -cert "$W/server.pem" -key "$W/server.key" &&
	kmod onlycap role=client mode=anon port="$port" peername=localhost reply=rev
	stop_server
	tap_check "only CAP_NET_ADMIN (CapEff $cap): anon client handshake works" \
		hs_expect onlycap 0 client 0 ok
	port=$(pick_port) && kmod onlycap-psk role=pair mode=psk port="$port" peerid="$PSK" \
		srv_keyring="$TESTRING"
	tap_check "only CAP_NET_ADMIN: PSK from keyrings works (key reads need no capability)" \
		hs_expect onlycap-psk 0 server 0 ok
	tap_check "only CAP_NET_ADMIN: ktlsd's effective set is CAP_NET_ADMIN alone" \
		test "$cap" = 0000000000001000
	stop_ktlsd
}

# ---- NFS over TLS ------------------------------------------------------------

NFS_PIDS=()

nfs_start_server() {
	mkdir -p "$W/export" "$W/mnt" /run/rpcbind || return 1
	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd || return 1
	mount -t tmpfs tmpfs "$W/export" || return 1
	# Debian 12's nfs-utils 2.6.2 has no "xprtsec=" export option (2.6.3+):
	# the export cannot insist on TLS, but it accepts it.
	exportfs -o rw,sync,no_subtree_check,no_root_squash,insecure,fsid=0 \
		"127.0.0.1:$W/export" || return 1
	rpcbind -w || return 1
	rpc.mountd -N 2 -N 3 || return 1
	rpc.nfsd -N 3 4 || return 1
	NFS_PIDS=($(pgrep -x rpcbind) $(pgrep -x rpc.mountd))
}

nfs_stop_server() {
	mountpoint -q "$W/mnt" && umount "$W/mnt"
	rpc.nfsd 0
	kill "${NFS_PIDS[@]}" 2>/dev/null
	exportfs -ua
	mountpoint -q "$W/export" && umount "$W/export"
}

# nfs_mount_cycle MODE: mount with xprtsec=MODE, write a file (or with
# "read", only read it back), unmount; 0 when its SHA-256 is right.
nfs_mount_cycle() {
	local mode=$1 action=${2:-write} out
	out=$(timeout 120 mount -t nfs4 -o "vers=4.2,xprtsec=$mode" localhost:/ "$W/mnt" 2>&1) ||
		{ echo "mount -o xprtsec=$mode: $out"; return 1; }
	NFS_OPTIONS=$(awk -v m="$W/mnt" '$2 == m { print $4 }' /proc/mounts)
	NFS_TLS_TX=$(tls_stat TlsCurrTxSw)
	if [ "$action" = write ]; then
		cp "$W/nfs-data" "$W/mnt/data" && sync || { umount "$W/mnt"; return 1; }
	fi
	NFS_HASH=$(sha256_of "$W/mnt/data")
	umount "$W/mnt" || return 1
	[ "$NFS_HASH" = "$(sha256_of "$W/nfs-data")" ]
}

# server_remote_ids LOG: for each ServerHello in LOG, the remote identity
# its DONE reported ("kernel request fd=N ServerHello" ... "DONE fd=N").
server_remote_ids() {
	awk '$4 == "kernel" && $5 == "request" { split($6, f, "="); role[f[2]] = $7 }
	     $4 == "DONE" { split($5, f, "="); split($7, r, "=");
			    if (role[f[2]] == "ServerHello") print r[2] }' "$1"
}

test_nfs_mode() {
	local mode=$1 mark log=$W/nfs-$1.ktlsd.log handshakes failed ids
	mark=$(wc -l < "$KTLSD_LOG")
	if nfs_mount_cycle "$mode" write && nfs_mount_cycle "$mode" read; then
		tap_ok "nfs: xprtsec=$mode mount, 1 MiB written, unmounted, mounted again, SHA-256 matches"
	else
		tap_not_ok "nfs: xprtsec=$mode mount, write, remount, read back"
		diag "$(dmesg | tail -n 15)" "$(tail -n 15 "$KTLSD_LOG")"
		return
	fi
	tail -n +"$((mark + 1))" "$KTLSD_LOG" > "$log"
	tap_check "nfs: the $mode mount runs over kernel TLS (options ${NFS_OPTIONS:-?}, TlsCurrTxSw $NFS_TLS_TX while mounted)" \
		bash -c "[[ '$NFS_OPTIONS' == *xprtsec=$mode* ]] && [ '$NFS_TLS_TX' -ge 2 ]"
	handshakes=$(grep -c 'handshake ok' "$log")
	failed=$(grep -c 'handshake failed' "$log")
	tap_check "nfs: ktlsd did both ends of both $mode mounts ($handshakes handshakes ok, $failed failed)" \
		test "$handshakes" -ge 4 -a "$failed" = 0
	[ "$mode" = mtls ] || return
	ids=$(server_remote_ids "$log" | tr '\n' ' ')
	if [ -n "${ids// /}" ] && [[ " $ids" != *" 0 "* ]]; then
		tap_ok "nfs: mtls: every nfsd handshake reported the client's certificate (REMOTE_AUTH $ids)"
	else
		tap_not_ok "nfs: mtls: every nfsd handshake reported the client's certificate (REMOTE_AUTH: ${ids:-none})"
	fi
}

nfs_usable() {
	local missing
	if [ "${KTLSD_IN_VM:-0}" != 1 ]; then
		tap_skip "nfs over TLS" "VM only (starts nfsd, changes the export table)"
		return 1
	fi
	if ! missing=$(need_cmd rpc.nfsd rpc.mountd exportfs mount.nfs rpcbind) ||
	   ! modprobe nfsd 2>/dev/null || ! modprobe nfsv4 2>/dev/null; then
		tap_skip "nfs over TLS" "${missing:-no nfsd/nfsv4 modules} (install nfs-kernel-server)"
		return 1
	fi
	[ -f "$W/nfs-data" ] || make_pattern_file "$W/nfs-data" 1
}

# NFS over TLS on loopback: kernel nfsd and the kernel NFS client, ktlsd
# doing both ends of every connection.  VM only: it starts nfsd, rpcbind
# and mountd and changes the export table.
test_nfs() {
	local mode=$1
	nfs_usable || return
	if ! nfs_start_server > "$W/nfs-server.log" 2>&1; then
		tap_not_ok "nfs: start nfsd, mountd, rpcbind and export a tmpfs"
		diag "$(cat "$W/nfs-server.log")"
	else
		test_nfs_mode "$mode"
	fi
	nfs_stop_server > /dev/null 2>&1
}

test_nfs_tls() {
	test_nfs tls
}

test_nfs_mtls() {
	test_nfs mtls
}

test_ktls_check() {
	local out
	out=$("$BUILD/ktls" check 2>&1)
	if grep -q 'genl "handshake" family.*present' <<< "$out"; then
		tap_ok "ktls check reports the handshake family"
	else
		tap_not_ok "ktls check reports the handshake family"
		diag "$out"
	fi
}

# ---- main --------------------------------------------------------------------

# CONFIG:TEST, in order; ktlsd is (re)started with $W/ktlsd.CONFIG.conf
# whenever the config changes or a test stopped it.
TESTS=(
	default:test_ktls_check default:test_anon_client default:test_x509_client_to_openssl
	default:test_psk_clients default:test_kernel_server_tls default:test_pairs
	default:test_bad_certificate default:test_unknown_psk default:test_stalled_peer
	default:test_concurrent default:test_restart_between_ready_and_accept
	default:test_nfs_tls
	mtls:test_kernel_server_mtls mtls:test_pair_x509 mtls:test_x509_cache mtls:test_nfs_mtls
	optional:test_optional_client_certificate
	default:test_extra_keyring_not_searched kernel:test_kernel_profiles
	kernel:test_kernel_keyrings kernel:test_kernel_keyrings_reload
	default:test_no_daemon default:test_privileges
)

# T_UPCALL_ONLY="default:test_pairs mtls:test_pair_x509" runs only those.
run_tests() {
	local entry conf test current=default
	for entry in ${T_UPCALL_ONLY:-${TESTS[@]}}; do
		conf=${entry%%:*}
		test=${entry#*:}
		if [ "$conf" != "$current" ] || [ -z "$KTLSD_PID" ]; then
			stop_ktlsd
			KTLSD_CONF=$W/ktlsd.$conf.conf
			current=$conf
			start_ktlsd || { tap_not_ok "ktlsd starts with the $conf config for $test"; continue; }
		fi
		"$test"
	done
}

main() {
	local tx_before rx_before
	preconditions
	setup || { tap_not_ok "setup (certificates, keys, config)"; tap_done; exit 1; }
	KTLSD_CONF=$W/ktlsd.default.conf
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	if grep -q 'netlink door unavailable' "$KTLSD_LOG"; then
		skip_all "$(grep -o 'netlink door unavailable.*' "$KTLSD_LOG")"
	fi
	tap_ok "ktlsd starts with the netlink door active"
	tx_before=$(tls_stat TlsCurrTxSw)
	rx_before=$(tls_stat TlsCurrRxSw)
	run_tests
	stop_ktlsd
	sleep 1		# socket teardown after the last consumer closed
	tap_check "every kTLS socket of these tests is gone (TlsCurrTxSw $tx_before -> $(tls_stat TlsCurrTxSw), TlsCurrRxSw $rx_before -> $(tls_stat TlsCurrRxSw))" \
		test "$(tls_stat TlsCurrTxSw)/$(tls_stat TlsCurrRxSw)" = "$tx_before/$rx_before"
	tap_done
}

main "$@"
