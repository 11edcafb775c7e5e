#!/usr/bin/env bash
# t_nginx.sh - `ktls get` (a ktlsd client handshake, then plain kTLS) against
# nginx, a server nobody here wrote, with and without nginx's own kTLS
# (`ssl_conf_command Options KTLS`, sendfile on), TLS 1.3 and TLS 1.2; every
# body verified by SHA-256.  nginx (OpenSSL) sends TLS 1.3 session tickets:
# the fetch must still succeed.  Runs as root on a kTLS kernel (the VM).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

BUILD=${BUILD:-build}
KTLSD=$BUILD/ktlsd
KTLS=$BUILD/ktls
NGINX_PID="" KTLSD_PID=""

stop_nginx() {
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=""
}

stop_all() {
	stop_nginx
	[ -n "$KTLSD_PID" ] && kill "$KTLSD_PID" 2>/dev/null && wait "$KTLSD_PID" 2>/dev/null
	KTLSD_PID=""
}

if ! missing=$(need_cmd nginx openssl sha256sum) || [ ! -x "$KTLSD" ] || [ ! -x "$KTLS" ]; then
	tap_skip "ktls get against nginx" "${missing:-$KTLSD or $KTLS not built}"
	exit 0
fi
ktls_tmpdir ktls-nginx || exit 1
W=$KTLS_TMPDIR
at_exit stop_all
gen_test_certs "$W" localhost || exit 1
mkdir -p "$W/root" "$W/logs" && make_pattern_file "$W/root/one.bin" 1 || exit 1
WANT=$(sha256_of "$W/root/one.bin")

cat > "$W/ktlsd.conf" <<EOF
[global]
client_profile = local

[profile local]
role = client
ca_file = $W/ca.pem
verify = required
EOF
"$KTLSD" --foreground --config "$W/ktlsd.conf" --socket "$W/ktlsd.sock" > "$W/ktlsd.log" 2>&1 &
KTLSD_PID=$!
for _ in $(seq 100); do [ -S "$W/ktlsd.sock" ] && break; sleep 0.1; done
export KTLS_SOCKET=$W/ktlsd.sock

# start_nginx PORT PROTOCOLS KTLS(on|off)
start_nginx() {
	local port=$1 protocols=$2 ktls=$3 option=""
	[ "$ktls" = on ] && option="ssl_conf_command Options KTLS;"
	cat > "$W/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
error_log $W/logs/error.log info;
pid $W/logs/nginx.pid;
events { worker_connections 64; }
http {
	access_log $W/logs/access.log;
	client_body_temp_path $W/logs/body;
	proxy_temp_path $W/logs/proxy;
	fastcgi_temp_path $W/logs/fastcgi;
	uwsgi_temp_path $W/logs/uwsgi;
	scgi_temp_path $W/logs/scgi;
	sendfile on;
	server {
		listen 127.0.0.1:$port ssl;
		server_name localhost;
		ssl_certificate $W/server.pem;
		ssl_certificate_key $W/server.key;
		ssl_protocols $protocols;
		$option
		root $W/root;
	}
}
EOF
	nginx -p "$W" -c "$W/nginx.conf" > "$W/logs/stdout.log" 2>&1 &
	NGINX_PID=$!
	wait_for_port "$port" 20 "$NGINX_PID"
}

for protocols in TLSv1.3 TLSv1.2; do
	for ktls in off on; do
		name="ktls get <- nginx $protocols (nginx's own kTLS $ktls): 1 MiB"
		port=$(pick_port) || { tap_not_ok "$name: no free port"; continue; }
		before=$(tls_stat TlsTxSw)
		if ! start_nginx "$port" "$protocols" "$ktls"; then
			tap_not_ok "$name: nginx did not start"
			diag "$(cat "$W/logs/error.log" "$W/logs/stdout.log" 2>/dev/null | tail -n 5)"
			stop_nginx
			continue
		fi
		rm -f "$W/got.bin"
		if "$KTLS" get "https://localhost:$port/one.bin" -o "$W/got.bin" 2> "$W/get.err" &&
		   [ "$(sha256_of "$W/got.bin")" = "$WANT" ]; then
			tap_ok "$name, SHA-256 match"
		else
			tap_not_ok "$name, SHA-256 match"
			diag "$(tail -n 5 "$W/get.err")"
		fi
		diag "$(grep -iE 'version|cipher' "$W/get.err" | head -n 2)"
		if [ "$ktls" = on ]; then
			# nginx's own kTLS TX adds one more TX socket on top of ours
			after=$(tls_stat TlsTxSw)
			if [ $((after - before)) -ge 2 ]; then
				tap_ok "$name: nginx used kTLS too (TlsTxSw +$((after - before)))"
			else
				tap_not_ok "$name: nginx used kTLS too (TlsTxSw +$((after - before)))"
			fi
		fi
		stop_nginx
	done
done
tap_done
