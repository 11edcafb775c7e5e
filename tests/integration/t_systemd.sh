#!/usr/bin/env bash
# t_systemd.sh - the shipped units under a real systemd: systemd runs as
# PID 1 of a PID and mount namespace inside the VM (a container, as far as
# systemd is concerned; the VM's own PID 1 stays the test harness), boots a
# minimal target holding ktlsd.socket and a runner service, and the runner
# (this script with --inside) checks:
#
#  - ktlsd.socket listens and ktlsd.service is not started until the first
#    client handshake (ktls get -> openssl s_server) activates it; the
#    service is active/running only after READY=1 (Type=notify; StatusText
#    from our STATUS=) and serves the socket systemd passed;
#  - the hardened service: every process of the unit (ktlsd and its key
#    process) runs as ktlsd with at most CAP_NET_ADMIN, no_new_privs and a
#    seccomp filter; `systemd-analyze security` of the loaded unit < 2.0;
#  - handshakes on both doors: curl -> `ktls serve` (application door,
#    server role), `ktls get` (client role), and the kernel's handshake
#    upcall (tests/kmod/hs_trigger.ko -> openssl s_server) when the module
#    is built;
#  - `systemctl reload`: RELOADING=1/READY=1, configuration reloaded;
#  - `ktls status` counts what happened;
#  - `systemctl stop ktlsd.service` leaves the socket (and its file) to
#    systemd, and the next connection activates ktlsd again; the stop
#    logs no error (the key process is not killed before ktlsd drops its
#    keys: no "cannot drop key generation", no "Broken pipe");
#  - a compromised network process under the shipped unit: ExecStart= of
#    build/tests/ktlsd-attack (ktlsd plus a probe run in the network
#    process right after its sandbox): open+read of the key file and the
#    PSK file, the key process's /proc/PID/mem, ptrace and
#    process_vm_readv all fail, the controls work; `ktls status` names
#    the protections in force;
#  - with --no-netlink (drop-in) ktlsd keeps no capability (capset is
#    allowed by the unit's filter);
#  - afterwards nothing is left for the suites that follow: no process of
#    the namespace, the same mounts, cgroups and root cgroup controllers.
#
# It writes /etc/ktlsd, /etc/systemd/system and creates a user, so it runs
# only inside the VM (KTLSD_IN_VM=1), as root.  The units keep
# DefaultDependencies= off through drop-ins (this boot has no
# sysinit.target) and ExecStart= points at a copy of $BUILD/ktlsd in
# /etc/ktlsd/vmtest-bin (visible in the sandbox); everything else is
# the shipped systemd/ktlsd.{service,socket}.  (Static checks of the units,
# `systemd-analyze verify` and the --offline=yes score, are in t_service.sh.)
#
# Bounded: every step inside has its own timeout, the runner has
# TimeoutStartSec=, and from outside the namespace is killed when the
# runner has not started after RUNNER_START_WAIT seconds (systemd froze or
# never got to it) or is not done after SYSTEMD_WAIT; then a "not ok" with
# systemd's jobs and unit states and the tails of its log (kmsg), the
# runner's and ktlsd's.  ~1 min in the VM when all goes well, under 4 at
# worst.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

KTLSD=$(realpath -m "$BUILD/ktlsd")
ATTACK=$(realpath -m "$BUILD/tests/ktlsd-attack")
KTLS=$(realpath -m "$BUILD/ktls")
KO=$(realpath -m "$(hs_trigger_ko)")
PY=/usr/bin/python3
UNITS=/etc/systemd/system
ETC=/etc/ktlsd
SOCK=/run/ktlsd/ktlsd.sock
START_WAIT=120		# seconds: ktlsd probes ciphers slowly on an emulated CPU
RUNNER_START_WAIT=90	# seconds from unshare to the runner's first line
SYSTEMD_WAIT=${KTLS_SYSTEMD_WAIT:-360}	# seconds for the whole boot and the runner (~90 s)
STEP_WAIT=60		# seconds for one handshake, systemctl call or status
PIDS=()
KMSG_BEFORE=0		# kernel log lines before our systemd started

skip_all() {
	tap_skip "ktlsd under systemd as PID 1" "$1"
	tap_done
	exit 0
}

cleanup() {
	local pid i alive
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		alive=0
		for pid in "${PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	PIDS=()
}

# ---- outside: set up, boot, collect ------------------------------------------------

# What we added to the VM's /etc goes again: later suites start ktlsd
# without -c, which would read our ktlsd.conf.
remove_installed() {
	rm -rf "$ETC" "$UNITS"/ktlsd.service "$UNITS"/ktlsd.socket "$UNITS"/ktlsd.service.d \
	       "$UNITS"/ktlsd.socket.d "$UNITS"/ktlsd-vmtest.service "$UNITS"/ktlsd-vmtest.target \
	       /var/log/ktlsd-vmtest.log
}

write_config() {
	cat > "$ETC/ktlsd.conf" <<-EOF
	[global]
	server_profile = web
	client_profile = local
	handshake_timeout = 60s

	[profile web]
	role = server
	certificate = $ETC/server.pem
	key = $ETC/server.key
	server_names = localhost

	[profile local]
	role = client
	ca_file = $ETC/ca.pem
	verify = required

	[profile psk]
	role = server
	psk_file = $ETC/psk.txt
	EOF
}

# The shipped units, ExecStart= pointed at this build, plus drop-ins for a
# boot without sysinit.target, and the runner.
write_units() {
	# A copy where the sandbox can see it: the build may be under /tmp or
	# /home, which PrivateTmp= and ProtectHome= hide from the service
	# (status=203/EXEC when CI's clone lives in /tmp).
	install -D -m 0755 "$KTLSD" "$ETC/vmtest-bin/ktlsd" || return 1
	[ -x "$ATTACK" ] && install -m 0755 "$ATTACK" "$ETC/vmtest-bin/ktlsd-attack"
	sed "s|/usr/local/sbin|$ETC/vmtest-bin|g" systemd/ktlsd.service > "$UNITS/ktlsd.service"
	cp systemd/ktlsd.socket "$UNITS/ktlsd.socket"
	mkdir -p "$UNITS/ktlsd.service.d" "$UNITS/ktlsd.socket.d"
	cat > "$UNITS/ktlsd.service.d/vmtest.conf" <<-EOF
	[Unit]
	DefaultDependencies=no
	[Service]
	# no journald in this boot
	StandardOutput=append:/var/log/ktlsd-vmtest.log
	StandardError=inherit
	EOF
	printf '[Unit]\nDefaultDependencies=no\n' > "$UNITS/ktlsd.socket.d/vmtest.conf"
	cat > "$UNITS/ktlsd-vmtest.service" <<-EOF
	[Unit]
	DefaultDependencies=no
	Wants=ktlsd.socket
	After=ktlsd.socket
	SuccessAction=exit-force
	FailureAction=exit-force
	[Service]
	Type=oneshot
	Environment=BUILD=$BUILD PATH=$PATH KTLSD_IN_VM=1 HOME=/root
	WorkingDirectory=$PWD
	ExecStart=/bin/bash $PWD/tests/integration/t_systemd.sh --inside $W
	StandardOutput=append:$W/runner.log
	StandardError=inherit
	TimeoutStartSec=$((SYSTEMD_WAIT - 15))
	EOF
	cat > "$UNITS/ktlsd-vmtest.target" <<-EOF
	[Unit]
	DefaultDependencies=no
	Wants=ktlsd.socket ktlsd-vmtest.service
	EOF
}

# What went wrong, from every side.
dump_logs() {
	diag "systemd's log (kmsg, tail):" \
		"$(dmesg | tail -n "+$((KMSG_BEFORE + 1))" | grep 'systemd\[1\]' | tail -n 40)" \
		"$(tail -n 10 "$W/systemd.log")"
	diag "runner's log (tail):" "$(tail -n 20 "$W/runner.log" 2>/dev/null)"
	diag "ktlsd's log (tail):" "$(tail -n 30 /var/log/ktlsd-vmtest.log 2>/dev/null)"
}

outside() {
	local missing
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ "${KTLSD_IN_VM:-0}" = 1 ] ||
		skip_all "writes /etc and creates a user: runs in the VM only (tests/vm/run)"
	[ -x "$KTLSD" ] && [ -x "$KTLS" ] || skip_all "$BUILD/ktlsd or $BUILD/ktls not built"
	missing=$(need_cmd unshare nsenter systemd-sysusers systemctl systemd-analyze curl \
			   openssl "$PY") || skip_all "$missing"
	[ -x /lib/systemd/systemd ] || skip_all "no /lib/systemd/systemd"
	[ -d /sys/fs/cgroup ] || skip_all "no /sys/fs/cgroup to mount cgroup2 on"
	"$KTLS" check --quiet > /dev/null 2>&1 || skip_all "no usable kTLS in this kernel"
	[ -e "$ETC" ] && skip_all "$ETC exists already: not ours to overwrite"
	at_exit cleanup
	at_exit remove_installed
	ktls_tmpdir ktls-systemd || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	chmod 755 "$W"
	systemd-sysusers "$PWD/systemd/ktlsd.sysusers" > "$W/sysusers.log" 2>&1 ||
		skip_all "systemd-sysusers failed: $(cat "$W/sysusers.log")"
	mkdir -p "$ETC" && gen_test_certs "$W" localhost || skip_all "cannot make certificates"
	install -m 0644 "$W/server.pem" "$W/ca.pem" "$ETC/" &&
	install -m 0600 -o ktlsd -g ktlsd "$W/server.key" "$ETC/server.key" &&
	printf 'client1:%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$ETC/psk.txt" &&
	chown ktlsd:ktlsd "$ETC/psk.txt" && chmod 600 "$ETC/psk.txt" ||
		skip_all "cannot install the certificates"
	write_config && write_units
	boot_and_judge ktlsd-vmtest.target ktlsd.socket ktlsd.service ktlsd-vmtest.service
	[ "$TAP_FAILED" -eq 0 ] || dump_logs
	tap_done
}

# ---- inside: the runner service -----------------------------------------------------

sc() {		# systemctl, bounded: a stuck manager must not stall the runner
	timeout "$STEP_WAIT" systemctl "$@"
}

prop() {	# prop UNIT PROPERTY: one property's value
	sc show -p "$2" --value "$1"
}

unit_status() {
	diag "$(sc status --no-pager --lines=10 ktlsd.socket ktlsd.service 2>&1)"
}

# ask_status SECONDS: a bare STATUS_REQ on the socket; the first connection
# starts ktlsd, so wait as long as it takes to start.
ask_status() {
	"$PY" - "$SOCK" "$1" <<-'EOF'
	import socket, sys
	s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
	s.settimeout(float(sys.argv[2]))
	s.connect(sys.argv[1])
	s.send(b"kTLS\x01\x03\x00\x00\x00\x00\x00\x0c")
	sys.exit(0 if s.recv(32768)[:6] == b"kTLS\x01\x04" else 1)
	EOF
}

# start_s_server PORT ARGS...: openssl s_server serving $W/www with our
# certificate.  Its stdin is a FIFO it holds open itself: s_server drops
# connections at EOF on stdin.
start_s_server() {
	local port=$1 fd
	shift
	[ -p "$W/stdin.fifo" ] || mkfifo "$W/stdin.fifo"
	exec {fd}<>"$W/stdin.fifo"
	(cd "$W/www" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$ETC/server.pem" \
		-key "$W/server.key" "$@") <&"$fd" >> "$W/s_server.log" 2>&1 &
	PIDS+=("$!")
	exec {fd}>&-
	wait_for_port "$port" 30 "$!"
}

# The first client handshake activates the service: ktls get connects to
# openssl s_server and asks ktlsd, through the socket systemd holds, for
# the handshake; systemd starts ktlsd, which answers once it is READY.
test_activation() {
	local state port
	if [ "$(sc is-active ktlsd.socket)" = active ] && [ -S "$SOCK" ] &&
	   [ "$(sc is-active ktlsd.service)" = inactive ]; then
		tap_ok "ktlsd.socket listens on $SOCK; ktlsd.service not started yet"
	else
		tap_not_ok "ktlsd.socket listens on $SOCK; ktlsd.service not started yet"
		unit_status
	fi
	port=$(pick_port) && start_s_server "$port" -WWW -naccept 1 ||
		diag "openssl s_server did not start:" "$(cat "$W/s_server.log")"
	if timeout "$((START_WAIT + 10))" "$KTLS" get --timeout "$((START_WAIT * 1000))" \
		-o "$W/activation.out" "https://localhost:$port/hello.txt" 2> "$W/activation.err" &&
	   grep -qx hello "$W/activation.out"; then
		tap_ok "a client handshake (ktls get -> openssl s_server) activated ktlsd.service"
	else
		tap_not_ok "a client handshake (ktls get -> openssl s_server) activated ktlsd.service"
		diag "ktls get:" "$(cat "$W/activation.err")" "s_server:" "$(tail -n 5 "$W/s_server.log")"
		unit_status
		# go on only if the service came up all the same
		ask_status 10 || return 1
	fi
	state="$(prop ktlsd.service ActiveState)/$(prop ktlsd.service SubState)"
	if [ "$state" = active/running ] && [ "$(prop ktlsd.service StatusText)" = serving ]; then
		tap_ok "Type=notify: active/running after READY=1 (StatusText=serving)"
	else
		tap_not_ok "Type=notify: active/running after READY=1 (got $state, StatusText=$(prop ktlsd.service StatusText))"
	fi
	tap_check "ktlsd served the socket systemd passed (LISTEN_FDS), bound none" \
		grep -q "socket $SOCK passed by the service manager" /var/log/ktlsd-vmtest.log
}

# cap_subset HEX MASK: are the bits of HEX all within MASK?
cap_subset() {
	(( (16#$1 & ~16#$2) == 0 ))
}

# Every process of the unit (ktlsd and its key process, however many):
# user ktlsd, capabilities within CAP_NET_ADMIN (the main one has it in
# effect), no_new_privs, a seccomp filter.
test_sandbox() {
	local pid main cg pids=() bad='' uid f score out
	main=$(prop ktlsd.service MainPID)
	cg=$(prop ktlsd.service ControlGroup)
	mapfile -t pids < "/sys/fs/cgroup$cg/cgroup.procs"
	uid=$(id -u ktlsd)
	for pid in "${pids[@]}"; do
		f=/proc/$pid/status
		[ "$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "$f")" = "$uid$uid$uid$uid" ] ||
			bad+=" $pid:uid"
		cap_subset "$(awk '$1 == "CapBnd:" { print $2 }' "$f")" 1000 || bad+=" $pid:CapBnd"
		cap_subset "$(awk '$1 == "CapPrm:" { print $2 }' "$f")" 1000 || bad+=" $pid:CapPrm"
		[ "$(awk '$1 == "NoNewPrivs:" { print $2 }' "$f")" = 1 ] || bad+=" $pid:NoNewPrivs"
		[ "$(awk '$1 == "Seccomp:" { print $2 }' "$f")" = 2 ] || bad+=" $pid:Seccomp"
	done
	[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$main/status")" = 0000000000001000 ] ||
		bad+=" $main:CapEff"
	grep -qx "$main" "/sys/fs/cgroup$cg/cgroup.procs" || bad+=" main-pid-not-in-cgroup"
	diag "processes of ktlsd.service: $(for pid in "${pids[@]}"; do
		printf '%s (%s) ' "$pid" "$(cat "/proc/$pid/comm")"; done)"
	if [ -z "$bad" ] && [ "${#pids[@]}" -ge 1 ]; then
		tap_ok "all ${#pids[@]} process(es) of the service: user ktlsd, CAP_NET_ADMIN at most, no_new_privs, seccomp"
	else
		tap_not_ok "all process(es) of the service: user ktlsd, CAP_NET_ADMIN at most, no_new_privs, seccomp"
		for pid in "${pids[@]}"; do
			diag "$pid: $(grep -E '^(Name|Uid|Cap(Prm|Eff|Bnd)|NoNewPrivs|Seccomp):' \
				"/proc/$pid/status" | tr '\n\t' '  ')"
		done
		diag "wrong:$bad"
	fi
	out=$(timeout "$STEP_WAIT" systemd-analyze security ktlsd.service 2>&1)
	score=$(sed -n 's/.*Overall exposure level for ktlsd.service: \([0-9.]*\).*/\1/p' <<< "$out")
	if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s < 2.0) }'; then
		tap_ok "systemd-analyze security (the loaded unit): exposure $score < 2.0"
	else
		tap_not_ok "systemd-analyze security (the loaded unit): exposure ${score:-?} < 2.0"
		diag "$(grep -E '✗|Overall' <<< "$out")"
	fi
}

test_application_door() {
	local port i ok=0
	port=$(pick_port) || { tap_not_ok "application door: a free port"; return; }
	"$KTLS" serve --root "$W/www" --port "$port" > "$W/serve.log" 2>&1 &
	PIDS+=("$!")
	wait_for_port "$port" 30 "$!" || diag "ktls serve:" "$(cat "$W/serve.log")"
	for i in 1 2; do
		timeout "$STEP_WAIT" curl -sS --cacert "$ETC/ca.pem" \
			"https://localhost:$port/hello.txt" > "$W/curl$i.out" 2>&1 &&
			[ "$(cat "$W/curl$i.out")" = hello ] && ok=$((ok + 1))
	done
	[ "$ok" = 2 ] || diag "curl:" "$(cat "$W"/curl*.out)" "serve:" "$(tail "$W/serve.log")"
	tap_check "application door: curl -> ktls serve, ktlsd does the server handshakes" \
		[ "$ok" = 2 ]
	timeout "$STEP_WAIT" "$KTLS" get "https://localhost:$port/hello.txt" -o "$W/get.out" \
		2> "$W/get.err"
	tap_check "application door: ktls get -> ktls serve, ktlsd does both ends" \
		grep -qx hello "$W/get.out"
}

test_netlink_door() {
	local port tag vermagic line
	vermagic=$(modinfo -F vermagic "$KO" 2>/dev/null)
	if ! has_handshake_family; then
		tap_skip "netlink door: kernel client handshake" \
			"kernel $(uname -r) has no generic netlink family \"handshake\" (Linux 6.5+)"
		return
	fi
	if [ ! -f "$KO" ] || [ "${vermagic%% *}" != "$(uname -r)" ]; then
		tap_skip "netlink door: kernel client handshake" "$KO not built for $(uname -r)"
		return
	fi
	if port=$(pick_port) && start_s_server "$port" -rev -naccept 1; then
		tag=vmtest-$RANDOM
		timeout 90 insmod "$KO" tag="$tag" role=client mode=anon port="$port" \
			peername=localhost reply=rev > "$W/insmod.log" 2>&1
		line=$(dmesg | sed -n "s/^\[[^]]*\] hs_trigger\[$tag\]: //p" |
			grep '^idx=0 side=client status=')
		rmmod hs_trigger 2>/dev/null
	fi
	diag "hs_trigger: ${line:-nothing}"
	if grep -q 'status=0 ' <<< "$line" && grep -q 'data=ok' <<< "$line"; then
		tap_ok "netlink door: kernel client -> openssl s_server through the hardened service"
	else
		tap_not_ok "netlink door: kernel client -> openssl s_server through the hardened service"
		diag "$(cat "$W/insmod.log" 2>/dev/null)" "$(tail -n 5 "$W/s_server.log")" \
			"$(tail -n 10 /var/log/ktlsd-vmtest.log)"
	fi
}

test_reload() {
	local pid
	pid=$(prop ktlsd.service MainPID)
	if sc reload ktlsd.service &&
	   [ "$(prop ktlsd.service MainPID)" = "$pid" ] &&
	   [ "$(prop ktlsd.service ActiveState)" = active ] &&
	   [ "$(prop ktlsd.service StatusText)" = "configuration reloaded" ] &&
	   grep -q 'configuration reloaded' /var/log/ktlsd-vmtest.log; then
		tap_ok "systemctl reload: SIGHUP, RELOADING=1 then READY=1, same pid, still active"
	else
		tap_not_ok "systemctl reload: SIGHUP, RELOADING=1 then READY=1, same pid, still active"
		diag "StatusText=$(prop ktlsd.service StatusText)" "$(tail -n 5 /var/log/ktlsd-vmtest.log)"
	fi
}

test_status() {
	local out ok netlink=active
	out=$(timeout "$STEP_WAIT" "$KTLS" status 2>&1)
	diag "$out"
	ok=$(sed -n 's/^handshakes: *\([0-9]*\) ok.*/\1/p' <<< "$out")
	# Without the kernel's handshake family (6.1) there is no netlink door.
	has_handshake_family || netlink=inactive
	if [ "${ok:-0}" -ge 5 ] && grep -q "^doors: *unix active, netlink $netlink" <<< "$out"; then
		tap_ok "ktls status under systemd: $ok handshakes ok, unix door active, netlink $netlink"
	else
		tap_not_ok "ktls status under systemd: >= 5 handshakes ok, unix door active, netlink $netlink"
	fi
}

test_stop_and_reactivate() {
	local old lines
	old=$(prop ktlsd.service MainPID)
	lines=$(grep -c '' /var/log/ktlsd-vmtest.log)
	sc stop ktlsd.service
	# systemctl stop signals the unit: the key process must outlive ktlsd's
	# own shutdown (it drops its key generation there)
	if tail -n "+$((lines + 1))" /var/log/ktlsd-vmtest.log |
		grep -E 'error: |cannot drop key generation|Broken pipe|key process: process .* killed' \
		> "$W/stop-errors.log"; then
		tap_not_ok "systemctl stop: no error logged (the key process is not killed first)"
		diag "$(cat "$W/stop-errors.log")"
	else
		tap_ok "systemctl stop: no error logged (the key process is not killed first)"
	fi
	if [ "$(sc is-active ktlsd.service)" = inactive ] &&
	   [ "$(sc is-active ktlsd.socket)" = active ] && [ -S "$SOCK" ] &&
	   ask_status "$START_WAIT" && [ "$(sc is-active ktlsd.service)" = active ] &&
	   [ "$(prop ktlsd.service MainPID)" != "$old" ]; then
		tap_ok "stop leaves the socket to systemd; the next connection starts ktlsd again"
	else
		tap_not_ok "stop leaves the socket to systemd; the next connection starts ktlsd again"
		unit_status
	fi
}

# restart_with NAME [Service lines...]: a drop-in NAME.conf for ktlsd.service
# (none when no lines), restarted; waits until it answers.
restart_with() {
	local name=$1
	shift
	rm -f "$UNITS/ktlsd.service.d/"{attack,nonetlink}.conf
	[ $# -gt 0 ] && printf '[Service]\n%s\n' "$@" > "$UNITS/ktlsd.service.d/$name.conf"
	sc daemon-reload && sc restart ktlsd.service && ask_status "$START_WAIT"
}

test_attack() {
	local lines log=$W/attack.log what out
	if [ ! -x "$ETC/vmtest-bin/ktlsd-attack" ]; then
		tap_skip "compromised network process under the unit" "$ATTACK not built"
		return
	fi
	lines=$(grep -c '' /var/log/ktlsd-vmtest.log)
	if ! restart_with attack "ExecStart=" \
		"ExecStart=$ETC/vmtest-bin/ktlsd-attack --foreground" \
		"Environment=KTLSD_ATTACK_FILES=$ETC/server.key:$ETC/psk.txt"; then
		tap_not_ok "ktlsd-attack under the shipped unit starts"
		unit_status
		return
	fi
	tail -n "+$((lines + 1))" /var/log/ktlsd-vmtest.log > "$log"
	diag "$(grep -E 'attack:|sandbox|Landlock' "$log")"
	for what in "open+read $ETC/server.key" "open+read $ETC/psk.txt" \
		    "read /proc/KEYPROC/mem" "ptrace(PTRACE_ATTACH) on the key process" \
		    "process_vm_readv of the key process" "execve /bin/sh" \
		    "fork (clone without CLONE_THREAD)" "socket(AF_INET, SOCK_STREAM)" \
		    "TCP connect to 127.0.0.1"; do
		if grep -qF "attack: $what: blocked" "$log"; then
			tap_ok "under the unit, a compromised network process: $what fails"
		else
			tap_not_ok "under the unit, a compromised network process: $what fails"
			diag "$(grep -F "attack: $what" "$log" || echo "no verdict in the log")"
		fi
	done
	if grep -q 'attack: control: process_vm_readv of itself: works' "$log" &&
	   grep -qF 'attack: open+read /etc/passwd: SUCCEEDED' "$log"; then
		tap_ok "under the unit: the probe's controls work (process_vm_readv of itself, /etc/passwd)"
	else
		tap_not_ok "under the unit: the probe's controls work (process_vm_readv of itself, /etc/passwd)"
	fi
	out=$(timeout "$STEP_WAIT" "$KTLS" status 2>&1)
	diag "$(grep '^key isolation' <<< "$out")"
	tap_check "under the unit: ktls status shows the key process not dumpable and Landlock" \
		grep -q '^key isolation: key process (not dumpable, seccomp); network process: Landlock.*, seccomp$' \
		<<< "$out"
}

test_no_netlink_caps() {
	local main
	if restart_with nonetlink "ExecStart=" "ExecStart=$ETC/vmtest-bin/ktlsd --foreground --no-netlink"
	then
		main=$(prop ktlsd.service MainPID)
		tap_check "with --no-netlink under the unit ktlsd drops CAP_NET_ADMIN (capset allowed)" \
			test "$(awk '$1 == "CapPrm:" { print $2 }' "/proc/$main/status")" = \
			     0000000000000000
		diag "$(grep -E '^Cap(Prm|Eff)' "/proc/$main/status" | tr '\n\t' '  ')"
	else
		tap_not_ok "ktlsd --no-netlink under the unit starts"
	fi
	restart_with none
}

inside() {
	local rc
	W=$1
	exec > "$W/inside.tap" 2>> "$W/runner.log"
	touch "$W/inside.started"
	at_exit cleanup
	mkdir -p "$W/www" && echo hello > "$W/www/hello.txt"
	if test_activation; then
		test_sandbox
		test_application_door
		test_netlink_door
		test_reload
		test_status
		test_stop_and_reactivate
		test_attack
		test_no_netlink_caps
	fi
	tap_done
	rc=$?
	touch "$W/inside.done"
	return "$rc"
}

if [ "${1:-}" = --inside ]; then
	inside "$2"
else
	outside
fi
