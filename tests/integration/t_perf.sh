#!/usr/bin/env bash
# t_perf.sh - what ktlsd's handshake performance rests on (issue 10).
#
#  1. Whole flights: a capture on lo (tcpdump) of one server-role handshake
#     (curl -> `ktls serve`) and one client-role handshake with a client
#     certificate (inflight latency -> a GnuTLS server): what GnuTLS writes
#     at once leaves in ONE TCP segment, so no record waits behind Nagle
#     for the peer's (delayed) ACK.  Server: ServerHello + ChangeCipherSpec
#     (GnuTLS flushes there), then EncryptedExtensions, Certificate,
#     CertificateVerify, Finished: at most 2 segments for its 6 records.
#     Client: Certificate, CertificateVerify, Finished: 1 segment.
#  2. KTLS_RECV_TICKETS: against a server that sends no tickets, a caller
#     that sets it waits once, while the session cache learns that the
#     server sends none ("by=request, keeping tickets"), then is handed over
#     at once under ticket_wait = auto (ktlsd's debug log says "wait=0ms
#     by=request" for every other), one that does not waits the auto window
#     each time ("by=auto", >= 100 ms); both p50s are printed.
#  3. Handshakes in flight: `inflight stall` holds N (KTLS_INFLIGHT_N,
#     default 1000) client handshakes whose server never answers; ktlsd
#     takes them all (none refused, `ktls status` counts N in flight), its
#     descriptors stay within the budget, and its RSS grows by at most
#     64 KiB per handshake.  Fresh handshakes' p99 while they are stalled is
#     printed next to the idle p99 (not judged: the VM's timing is noisy).
#     For the 10,000 figure: KTLS_INFLIGHT_N=10000 (ulimit -n is raised).
#  4. The key process's system call filter and its measuring switch: without
#     KTLSD_NO_KEYPROC_SECCOMP every thread of the key process (main and
#     signers) is under seccomp (/proc/PID/task/TID/status "Seccomp: 2") and
#     `ktls status` says so; a second ktlsd started with it =1 warns in its
#     log, its key threads have no filter and `ktls status` shows "NO
#     seccomp".  Then, with valgrind installed, bench/hs-callgrind.sh counts
#     a server handshake through ktlsd with every process under callgrind
#     (ECDSA, N=KTLS_PERF_CG_N, default 2): the network process's and the key
#     process's per-handshake counts are produced, nonzero and plausible (the
#     key process signs: >= 100k instructions; the network process runs the
#     GnuTLS handshake: >= 500k and < 1G).
#
# Needs a kTLS kernel and root (tests/vm/run -- bash THIS), tcpdump, python3
# and curl for 1, valgrind for the count in 4; skips with the reason otherwise.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$BUILD/ktlsd
KTLS=$BUILD/ktls
INFLIGHT=$BUILD/tests/integration/inflight
N=${KTLS_INFLIGHT_N:-1000}
LAT_N=${KTLS_INFLIGHT_LAT_N:-20}
T=300
PIDS=()
KTLSD_PID=''

skip_all() { tap_skip_all "ktlsd performance" "$1"; }

write_config() {
	cat > "$W/ktlsd.conf" <<-EOF
	[global]
	socket = $W/ktlsd.sock
	server_profile = web
	client_profile = stall
	handshake_timeout = 600s
	max_handshakes_per_uid = 16384

	# No tickets: GnuTLS writes its NewSessionTickets in a flush of their
	# own after the Finished, and the client waits for the flight, not them.
	[profile web]
	role = server
	certificate = $W/server.pem
	key = $W/server.key
	session_tickets = off

	# ticket_wait = auto (the default)
	[profile local]
	role = client
	ca_file = $W/ca.pem
	verify = required

	# a client certificate (the GnuTLS peer asks, does not verify)
	[profile mtls]
	role = client
	ca_file = $W/ca.pem
	certificate = $W/server.pem
	key = $W/server.key

	# the stalled handshakes: no name to verify
	[profile stall]
	role = client
	verify = none
	EOF
}

start_ktlsd() {
	local i
	"$KTLSD" --foreground --debug --no-netlink --workers 2 --config "$W/ktlsd.conf" \
		--socket "$W/ktlsd.sock" >> "$W/ktlsd.log" 2>&1 &
	KTLSD_PID=$!
	PIDS+=("$KTLSD_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q ' ready ' "$W/ktlsd.log" 2>/dev/null && [ -S "$W/ktlsd.sock" ] && return 0
		kill -0 "$KTLSD_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "ktlsd did not come up; its log:" "$(tail -n 20 "$W/ktlsd.log")"
	return 1
}

log_mark() { LOG_MARK=$(stat -c %s "$W/ktlsd.log"); }
log_since_mark() { tail -c +"$((LOG_MARK + 1))" "$W/ktlsd.log"; }

# ---- 1. whole flights ------------------------------------------------------------

# flights.py PCAP SERVER-PORT SIDE: for the first connection to SERVER-PORT,
# the records of SIDE's (server|client) handshake flight and the TCP
# segments they travelled in.  Server flight: its records after the
# ClientHello, before the client's next record.  Client flight: its last
# records, after the server's last (the client closes without data), less
# a leading ChangeCipherSpec (GnuTLS sends that alone, on the ServerHello).
# Prints "records=R segments=S types=..." (S: distinct segments).
write_flights_py() {
	cat > "$W/flights.py" <<-'EOF'
	import struct, sys
	path, sport, side = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	data = open(path, 'rb').read()
	magic = struct.unpack('<I', data[:4])[0]
	end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
	linktype = struct.unpack(end + 'I', data[20:24])[0]
	l2 = {1: 14, 113: 16, 276: 20, 0: 4}[linktype]
	off, pkts = 24, []
	while off + 16 <= len(data):
	    _, _, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
	    pkts.append(data[off + 16:off + 16 + incl])
	    off += 16 + incl
	conn, segs = None, []          # segs: (direction, seq, payload)
	acks = []                      # (time, direction) of bare ACKs
	off = 24
	times = []
	while off + 16 <= len(data):
	    sec, usec, incl, _ = struct.unpack(end + 'IIII', data[off:off + 16])
	    times.append(sec + usec / 1e6)
	    off += 16 + incl
	seg_time = []
	for p, when in zip(pkts, times):
	    ip = p[l2:]
	    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
	        continue
	    ihl = (ip[0] & 15) * 4
	    tot = struct.unpack('>H', ip[2:4])[0]
	    tcp = ip[ihl:tot]
	    src, dst, seq = struct.unpack('>HHI', tcp[:8])
	    payload = tcp[(tcp[12] >> 4) * 4:]
	    if sport not in (src, dst):
	        continue
	    client = dst if src == sport else src
	    if conn is None:
	        conn = client
	    if client != conn:
	        continue
	    d = 'server' if src == sport else 'client'
	    if payload:
	        segs.append((d, seq, payload))
	        seg_time.append(when)
	    else:
	        acks.append((when, d))
	# records per direction, each with the index of the segment its last byte came in
	records = []                   # (segment index of its end, direction, type)
	for d in ('client', 'server'):
	    buf, ends, seen = b'', [], set()
	    for i, (dd, seq, pl) in enumerate(segs):
	        if dd != d or seq in seen:
	            continue           # the other side, or a retransmission
	        seen.add(seq)
	        buf += pl
	        ends.append((len(buf), i))
	    pos = 0
	    while pos + 5 <= len(buf):
	        n = struct.unpack('>H', buf[pos + 3:pos + 5])[0]
	        last = pos + 5 + n - 1
	        if last >= len(buf):
	            break
	        seg = next(i for e, i in ends if e > last)
	        records.append((seg, d, buf[pos]))
	        pos += 5 + n
	records.sort(key=lambda r: r[0])   # stable: stream order within a segment
	runs = []                      # consecutive records of one side
	for seg, d, t in records:
	    if runs and runs[-1][0] == d:
	        runs[-1][1].append((seg, t))
	    else:
	        runs.append((d, [(seg, t)]))
	# runs[0]: ClientHello; runs[1]: the server's first flight; the
	# client's flight is its first run after that with more than the
	# ChangeCipherSpec GnuTLS sends on its own as soon as it has the
	# ServerHello (anything the server sends later, e.g. tickets, is not it)
	def strip_ccs(recs):
	    while recs and recs[0][1] == 20:
	        recs = recs[1:]
	    return recs
	flight = []
	if len(runs) >= 2 and runs[0][0] == 'client' and runs[0][1][0][1] == 22:
	    if side == 'server':
	        flight = runs[1][1]
	    else:
	        for d, recs in runs[2:]:
	            if d == 'client' and strip_ccs(recs):
	                flight = strip_ccs(recs)
	                break
	if not flight:
	    print('records=0 segments=0 types=none runs=%s' % ' '.join(
	          '%s:%s' % (d[0], ','.join(str(t) for _, t in recs)) for d, recs in runs))
	    sys.exit(0)
	used = sorted({s for s, _ in flight})
	# how the flight's segments were spaced, and how many of the peer's
	# bare ACKs came in between (Nagle holds a small segment for one)
	peer = 'client' if side == 'server' else 'server'
	between = sum(1 for t, d in acks if d == peer and seg_time[used[0]] < t < seg_time[used[-1]])
	gaps = ['%.1f' % ((seg_time[b] - seg_time[a]) * 1000) for a, b in zip(used, used[1:])]
	print('records=%d segments=%d types=%s span_ms=%.1f peer_acks_within=%d gaps_ms=%s' % (
	      len(flight), len(used), ','.join(str(t) for _, t in flight),
	      (seg_time[used[-1]] - seg_time[used[0]]) * 1000, between, ','.join(gaps) or '-'))
	EOF
}

# capture_start PORT: tcpdump on lo for PORT into $W/cap.pcap, once it listens.
capture_start() {
	local i
	rm -f "$W/cap.pcap" "$W/tcpdump.err"
	tcpdump -i lo -U -s 0 -w "$W/cap.pcap" "tcp port $1" 2> "$W/tcpdump.err" &
	CAP_PID=$!
	PIDS+=("$CAP_PID")
	for ((i = 0; i < 100; i++)); do
		# "listening on" can come a moment before packets are taken:
		# a capture that missed the handshake came out empty once
		grep -q 'listening on' "$W/tcpdump.err" 2>/dev/null && { sleep 0.5; return 0; }
		sleep 0.1
	done
	diag "tcpdump did not start:" "$(cat "$W/tcpdump.err")"
	return 1
}

# fins: how many FIN segments the capture holds so far
fins() {
	tcpdump -r "$W/cap.pcap" -nn "tcp[tcpflags] & tcp-fin != 0" 2>/dev/null | wc -l
}

# capture_stop: once tcpdump has written both FINs of the connection (up
# to 10 s): SIGINT ends tcpdump without reading what the kernel still
# holds for it, and on a loaded guest it lags behind the connection (a
# capture once ended after the server's first segment although the
# handshake had finished).
capture_stop() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(fins)" -ge 2 ] && break
		sleep 0.1
	done
	sleep 0.2
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}

# captured PORT CMD...: run CMD (one connection to PORT) under a capture;
# again, up to 3 tries, while the capture lacks the connection's SYN or
# its FIN: tcpdump on a loaded guest can miss either end (the first
# packets after it says "listening"; at the stop, what the kernel still
# holds for it), and a partial capture says nothing about ktlsd's flights
# (CI failed once on "0 records", a VM run on "2 records").
captured() {
	local port=$1 try
	shift
	for try in 1 2 3; do
		capture_start "$port" || return 1
		"$@" > "$W/captured.out" 2>&1 || diag "$1 ...: $(tail -n 3 "$W/captured.out")"
		capture_stop
		[ -n "$(tcpdump -r "$W/cap.pcap" -nn -c 1 \
			"tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0" \
			2>/dev/null)" ] && [ "$(fins)" -ge 1 ] && return 0
		diag "capture $try of $port lacks the connection's SYN or its end" \
			"($(tcpdump -r "$W/cap.pcap" -nn 2>/dev/null | wc -l) packets, $(fins) FIN); again"
	done
	return 1
}

# judge_flight NAME SIDE PORT MIN-RECORDS MAX-SEGMENTS
judge_flight() {
	local name=$1 side=$2 port=$3 min=$4 max=$5 out records segments
	out=$(python3 "$W/flights.py" "$W/cap.pcap" "$port" "$side" 2>&1)
	records=$(sed -n 's/.*records=\([0-9]*\).*/\1/p' <<< "$out")
	segments=$(sed -n 's/.*segments=\([0-9]*\).*/\1/p' <<< "$out")
	diag "$name: $out"
	if [ "${records:-0}" -ge "$min" ] && [ "${segments:-0}" -ge 1 ] &&
	   [ "$segments" -le "$max" ]; then
		tap_ok "$name: its $records records leave in $segments TCP segment(s) (at most $max)"
	else
		tap_not_ok "$name: its ${records:-?} records (>= $min) leave in at most $max TCP segment(s) (got ${segments:-?})"
		tcpdump -r "$W/cap.pcap" -nn 2>/dev/null | head -n 30 | while read -r l; do diag "$l"; done
	fi
}

test_flights() {
	local missing port serve_pid
	missing=$(need_cmd tcpdump python3 curl) || {
		tap_skip "whole flights" "$missing"
		return
	}
	write_flights_py
	# server role: curl -> ktls serve (TLS 1.3: SH, CCS, EE, Cert, CV, Fin)
	port=$(pick_port) || { tap_not_ok "whole flights: a free port"; return; }
	mkdir -p "$W/root" && echo hello > "$W/root/index.html"
	"$KTLS" serve --root "$W/root" --port "$port" > "$W/serve.log" 2>&1 &
	serve_pid=$!
	PIDS+=("$serve_pid")
	if ! wait_for_port "$port" 20 "$serve_pid"; then
		tap_not_ok "whole flights: ktls serve starts"
		diag "$(cat "$W/serve.log")"
		return
	fi
	if captured "$port" timeout 60 curl -sS --tlsv1.3 --cacert "$W/ca.pem" -o /dev/null \
			"https://localhost:$port/"; then
		judge_flight "server flight (ktlsd as TLS 1.3 server)" server "$port" 6 2
	else
		tap_not_ok "whole flights: a capture of curl's connection to ktls serve"
	fi
	stop_pid "$serve_pid"
	# client role: inflight latency (ktls_connect) -> a GnuTLS server
	port=$(pick_port) || { tap_not_ok "whole flights: a free port"; return; }
	if captured "$port" timeout 60 "$INFLIGHT" latency --count 1 --port "$port" \
			--cert "$W/server.pem" --key "$W/server.key" --profile mtls --request-cert \
			--recv-tickets 1; then
		judge_flight "client flight with a certificate (ktlsd as TLS 1.3 client)" client \
			"$port" 3 1
	else
		tap_not_ok "whole flights: a capture of inflight's connection"
	fi
}

# ---- 2. KTLS_RECV_TICKETS ------------------------------------------------------------

# latency NAME ARGS...: one inflight latency run; sets P50 P99 (ms)
latency() {
	local name=$1 out
	shift
	out=$(timeout "$T" "$INFLIGHT" latency --cert "$W/server.pem" --key "$W/server.key" \
		--profile local "$@" 2>&1)
	diag "$name: $(grep -v '^#' <<< "$out")"
	grep '^# ' <<< "$out" | head -n 5 | while read -r l; do diag "$l"; done
	P50=$(sed -n 's/.* p50_ms=\([0-9]*\).*/\1/p' <<< "$out")
	P99=$(sed -n 's/.* p99_ms=\([0-9]*\).*/\1/p' <<< "$out")
	[ -n "$P50" ] && grep -q ' failed=0 ' <<< "$out"
}

test_recv_tickets() {
	local n=8 flagged learned plain p50_flag p50_plain lines
	log_mark
	latency "ktls_recv() callers (KTLS_RECV_TICKETS=1)" --count "$n" --recv-tickets 1 ||
		tap_not_ok "KTLS_RECV_TICKETS=1: $n handshakes succeed"
	p50_flag=$P50
	lines=$(log_since_mark | grep 'ticket wait ')
	flagged=$(grep -c 'wait=0ms by=request$' <<< "$lines")
	learned=$(grep -c 'by=request, keeping tickets' <<< "$lines")
	log_mark
	latency "plain read() callers (KTLS_RECV_TICKETS=0)" --count "$n" --recv-tickets 0 ||
		tap_not_ok "KTLS_RECV_TICKETS=0: $n handshakes succeed"
	p50_plain=$P50
	lines=$(log_since_mark | grep 'ticket wait ')
	plain=$(grep -E -c 'wait=([1-9][0-9]{2,})ms by=auto' <<< "$lines")
	# the first handshake to this server may wait (the cache does not know
	# yet that it sends no ticket); every later one must not
	if [ "$learned" -le 1 ] && [ $((flagged + learned)) = "$n" ]; then
		tap_ok "KTLS_RECV_TICKETS=1 under ticket_wait = auto: no wait ($flagged x \"wait=0ms by=request\" after $learned wait(s) to learn the server sends no ticket)"
	else
		tap_not_ok "KTLS_RECV_TICKETS=1 under ticket_wait = auto: no wait (\"wait=0ms by=request\" $flagged of $n times, $learned learning waits)"
		diag "$(log_since_mark | grep 'ticket wait ' | head -n 3)"
	fi
	if [ "$plain" = "$n" ]; then
		tap_ok "plain read() caller under ticket_wait = auto: waits >= 100 ms ($n x \"by=auto\")"
	else
		tap_not_ok "plain read() caller under ticket_wait = auto: waits >= 100 ms ($plain of $n times)"
		diag "$(log_since_mark | grep 'ticket wait ' | head -n 3)"
	fi
	# not judged: under an emulated, shared CPU the noise exceeds the wait
	diag "p50 with KTLS_RECV_TICKETS=1: ${p50_flag:-?} ms; plain caller (auto wait):" \
	     "${p50_plain:-?} ms"
}

# ---- 3. handshakes in flight ------------------------------------------------------------

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$KTLSD_PID/status"; }
fd_count() { local f=(/proc/"$KTLSD_PID"/fd/*); echo "${#f[@]}"; }
metric() {	# metric NAME: from ktls status --prometheus
	timeout 60 "$KTLS" status --prometheus --socket "$W/ktlsd.sock" 2> /dev/null |
		sed -n "s/^$1 \\([0-9]*\\)$/\\1/p"
}

# ktlsd runs the handshake with TCP_NODELAY (a flight written in two
# steps must not wait for an ACK) and gives the caller's setting back
# before ktls_connect() returns: inflight fails a handshake whose socket
# comes back with another TCP_NODELAY than the caller set.
test_nodelay_returned() {
	local v ok=0
	for v in 0 1; do
		if latency "TCP_NODELAY $v before ktls_connect()" --count 2 --recv-tickets 1 \
				--nodelay "$v"; then
			ok=$((ok + 1))
		fi
	done
	if [ "$ok" -eq 2 ]; then
		tap_ok "the caller's TCP_NODELAY (0 and 1) is as it set it after ktls_connect()"
	else
		tap_not_ok "the caller's TCP_NODELAY (0 and 1) is as it set it after ktls_connect()"
	fi
}

test_in_flight() {
	local idle_p50 idle_p99 stall_pid fifo_fd rss0 rss1 started answered in_flight fds
	local max_hs per_hs
	latency "idle: $LAT_N fresh handshakes" --count "$LAT_N" --recv-tickets 1 ||
		tap_not_ok "idle: $LAT_N fresh handshakes succeed"
	idle_p50=$P50 idle_p99=$P99
	sleep 1
	rss0=$(rss_kib)
	rm -f "$W/stall.fifo" && mkfifo "$W/stall.fifo"
	"$INFLIGHT" stall --count "$N" < "$W/stall.fifo" > "$W/stall.out" 2>&1 &
	stall_pid=$!
	PIDS+=("$stall_pid")
	exec {fifo_fd}> "$W/stall.fifo"
	for ((i = 0; i < T * 10; i++)); do
		grep -q '^READY' "$W/stall.out" && break
		kill -0 "$stall_pid" 2> /dev/null || break
		sleep 0.1
	done
	diag "inflight stall: $(grep -v READY "$W/stall.out" | head -n 5 | tr '\n' ' ')"
	started=$(sed -n 's/^started=\([0-9]*\).*/\1/p' "$W/stall.out")
	answered=$(sed -n 's/.* answered=\([0-9]*\).*/\1/p' "$W/stall.out")
	sleep 2
	rss1=$(rss_kib)
	fds=$(fd_count)
	in_flight=$(metric ktlsd_handshakes_in_flight)
	max_hs=$(metric 'ktlsd_limit{limit="max_handshakes"}')
	if [ "${started:-0}" = "$N" ] && [ "${answered:-1}" = 0 ] && [ "${in_flight:-0}" -ge "$N" ]; then
		tap_ok "$N stalled handshakes: all taken, none refused, ktls status: $in_flight in flight"
	else
		tap_not_ok "$N stalled handshakes: all taken (${started:-?}), none refused (${answered:-?} answered), $N in flight (${in_flight:-?})"
		diag "$(tail -n 5 "$W/ktlsd.log")"
	fi
	diag "ktlsd: $fds fds open, limit $(ulimit -n), max_handshakes in force ${max_hs:-?}"
	if [ "$fds" -le "$(ulimit -n)" ] && [ "${max_hs:-0}" -ge "$N" ] &&
	   [ "$fds" -le $((2 * N + 200)) ]; then
		tap_ok "fd budget: $fds fds for $N handshakes (<= 2 each + 200), max_handshakes ${max_hs}"
	else
		tap_not_ok "fd budget: $fds fds for $N handshakes (<= 2 each + 200), max_handshakes ${max_hs:-?} >= $N"
	fi
	per_hs=$(( (rss1 - rss0) * 1024 / N ))
	diag "ktlsd RSS $rss0 KiB idle, $rss1 KiB with $N stalled: $per_hs bytes per handshake"
	if [ "$per_hs" -le 65536 ]; then
		tap_ok "memory: $per_hs bytes of RSS per stalled handshake (<= 64 KiB)"
	else
		tap_not_ok "memory: $per_hs bytes of RSS per stalled handshake (<= 64 KiB)"
	fi
	latency "with $N stalled: $LAT_N fresh handshakes" --count "$LAT_N" --recv-tickets 1 ||
		tap_not_ok "with $N stalled: $LAT_N fresh handshakes succeed"
	diag "fresh handshakes p50/p99: idle ${idle_p50:-?}/${idle_p99:-?} ms," \
	     "with $N stalled ${P50:-?}/${P99:-?} ms"
	if [ -n "${P99:-}" ]; then
		tap_ok "with $N stalled: fresh handshakes succeed (p99 ${P99} ms, idle ${idle_p99} ms)"
	fi
	exec {fifo_fd}>&-
	wait "$stall_pid" 2> /dev/null
	diag "inflight stall at the end: $(grep answered_at_end "$W/stall.out")"
}

# ---- 4. the key process's filter, and counting ktlsd under callgrind ---------------

# key_threads_seccomp LOG: "TID:MODE ..." for every thread of the key
# process that LOG says was started (Seccomp: 0 none, 2 filter).
key_threads_seccomp() {
	local pid t
	pid=$(sed -n 's/.*key process \([0-9][0-9]*\) started.*/\1/p' "$1" | tail -n 1)
	[ -n "$pid" ] && [ -d "/proc/$pid/task" ] || return 1
	for t in /proc/"$pid"/task/*; do
		printf '%s:%s ' "${t##*/}" "$(awk '$1 == "Seccomp:" { print $2 }' "$t/status")"
	done
}

# key_status SOCKET: the key isolation part of `ktls status`.
key_status() {
	KTLS_SOCKET=$1 "$KTLS" status 2> /dev/null | grep -m1 '^key isolation:'
}

test_keyproc_filter() {
	local modes st pid2 i ok
	# the ktlsd of 1-3: started without the switch
	modes=$(key_threads_seccomp "$W/ktlsd.log")
	st=$(key_status "$W/ktlsd.sock")
	diag "without the switch: key process threads (tid:Seccomp) $modes; $st"
	if [ -n "$modes" ] && [ "$(wc -w <<< "$modes")" -ge 2 ] &&
	   ! grep -qv ':2$' <<< "$(tr ' ' '\n' <<< "$modes" | sed '/^$/d')"; then
		tap_ok "without KTLSD_NO_KEYPROC_SECCOMP: every key process thread (main, signer) is under its filter"
	else
		tap_not_ok "without KTLSD_NO_KEYPROC_SECCOMP: every key process thread under its filter (got: ${modes:-none})"
	fi
	if [[ $st == *"(not dumpable, seccomp)"* ]] && ! grep -q 'KTLSD_NO_KEYPROC_SECCOMP' "$W/ktlsd.log"; then
		tap_ok "without the switch: ktls status shows the key process under seccomp, no warning"
	else
		tap_not_ok "without the switch: ktls status shows the key process under seccomp (got: ${st:-nothing})"
	fi

	# a second ktlsd, with the switch
	mkdir -p "$W/nf" || return
	sed "s|^socket = .*|socket = $W/nf/ktlsd.sock|" "$W/ktlsd.conf" > "$W/nf/ktlsd.conf"
	KTLSD_NO_KEYPROC_SECCOMP=1 "$KTLSD" --foreground --no-netlink --workers 2 \
		--config "$W/nf/ktlsd.conf" --socket "$W/nf/ktlsd.sock" > "$W/nf/ktlsd.log" 2>&1 &
	pid2=$!
	PIDS+=("$pid2")
	ok=0
	for ((i = 0; i < 300; i++)); do
		grep -q ' ready ' "$W/nf/ktlsd.log" 2> /dev/null && [ -S "$W/nf/ktlsd.sock" ] &&
			{ ok=1; break; }
		kill -0 "$pid2" 2> /dev/null || break
		sleep 0.1
	done
	if [ "$ok" != 1 ]; then
		tap_not_ok "KTLSD_NO_KEYPROC_SECCOMP=1: ktlsd starts"
		diag "$(tail -n 5 "$W/nf/ktlsd.log")"
		return
	fi
	modes=$(key_threads_seccomp "$W/nf/ktlsd.log")
	st=$(key_status "$W/nf/ktlsd.sock")
	diag "with KTLSD_NO_KEYPROC_SECCOMP=1: key process threads $modes; $st"
	if grep -q 'KTLSD_NO_KEYPROC_SECCOMP=1: the key process and its signers run WITHOUT' \
		"$W/nf/ktlsd.log" && [[ $st == *"(not dumpable, NO seccomp)"* ]] &&
	   [ -n "$modes" ] && ! grep -qv ':0$' <<< "$(tr ' ' '\n' <<< "$modes" | sed '/^$/d')"; then
		tap_ok "KTLSD_NO_KEYPROC_SECCOMP=1: the key process has no filter, says so in the log, ktls status shows NO seccomp"
	else
		tap_not_ok "KTLSD_NO_KEYPROC_SECCOMP=1: no filter (got: ${modes:-none}), a warning, ktls status NO seccomp (got: ${st:-nothing})"
	fi
	stop_pid "$pid2"
}

test_callgrind_count() {
	local n=${KTLS_PERF_CG_N:-2} out=$W/cg net key caller try
	if ! command -v valgrind > /dev/null || ! command -v callgrind_annotate > /dev/null; then
		tap_skip "ktlsd under callgrind" "no valgrind"
		return
	fi
	mkdir -p "$out"
	# Twice at most: under valgrind on a loaded emulated host one step of
	# the first handshake can outlast the bench's 120 s socket timeout
	# (seen once in the VM); a count that fails twice is a failure.
	for try in 1 2; do
		BUILD=$BUILD OUT=$out ROLES=server ARMS=ktlsd timeout 3000 bench/hs-callgrind.sh "$n" \
			> "$out/run.out" 2>&1 && break
		diag "hs-callgrind.sh try $try failed:" \
		     "$(grep -h -m2 -i 'fail\|error' "$out"/ktlsd-server*/bench.out "$out"/ktlsd-server*/work/ktlsd.log 2> /dev/null | grep -v '0 failed')"
	done
	IFS=, read -r _ _ _ caller net key _ <<< "$(grep '^ktlsd,server,' "$out/callgrind.csv")"
	diag "callgrind, server, through ktlsd, per handshake: caller ${caller:-?}," \
	     "network process ${net:-?}, key process ${key:-?} instructions"
	if [[ ${net:-} =~ ^[0-9]+$ ]] && [[ ${key:-} =~ ^[0-9]+$ ]] &&
	   [ "$net" -ge 500000 ] && [ "$net" -lt 1000000000 ] && [ "$key" -ge 100000 ]; then
		tap_ok "callgrind: ktlsd's per-handshake counts, network $net and key process $key (>= 500k, >= 100k)"
	else
		tap_not_ok "callgrind: ktlsd's per-handshake counts produced and plausible (network ${net:-?}, key ${key:-?})"
		diag "$(tail -n 5 "$out/run.out")"
	fi
}

main() {
	local missing
	[ -x "$KTLSD" ] || skip_all "$KTLSD not built"
	[ -x "$INFLIGHT" ] || skip_all "$INFLIGHT not built"
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	missing=$(need_cmd openssl timeout mkfifo) || skip_all "$missing"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "this kernel cannot run kTLS"
	# three descriptors per stalled handshake in inflight, two in ktlsd
	ulimit -n $((3 * N + 4096)) 2> /dev/null || ulimit -n 65536 ||
		skip_all "cannot raise ulimit -n for $N handshakes"
	ktls_tmpdir perf || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	at_exit stop_bg_pids
	gen_test_certs "$W" localhost || skip_all "cannot generate certificates"
	chmod 600 "$W"/*.key
	write_config
	start_ktlsd || { tap_not_ok "ktlsd starts"; tap_done; exit 1; }
	export KTLS_SOCKET=$W/ktlsd.sock
	test_flights
	test_recv_tickets
	test_nodelay_returned
	test_in_flight
	test_keyproc_filter
	test_callgrind_count
	tap_done
}

main "$@"
