#!/usr/bin/env bash
# t_package.sh - the Debian packages on a live system: what `make deb` built
# on the host ($BUILD/deb, by tests/install/package before the VM boots) is
# installed, used, removed and purged with dpkg while systemd runs as PID 1
# of a PID and mount namespace in the VM (lib.sh's boot_and_judge, as in
# t_systemd.sh), so that the maintainer scripts take the paths they take
# on a running system.  The runner service (this script with --inside):
#
#  - dpkg -i libktls0 libktls-dev ktlsd: user and group ktlsd exist
#    (sysusers.d); ktlsd.socket is enabled (the sockets.target.wants link)
#    and listening (postinst started it), ktlsd.service neither enabled nor
#    started; /etc/ktlsd/ktlsd.conf is a conffile and `ktlsd -n` accepts it
#    as shipped; systemd-modules-load's configuration names tls and kmod's
#    has the softdep; a program built with `pkg-config libktls` runs
#    against the installed libktls.so.0;
#  - a `ktls get` (installed /usr/bin/ktls, profile added to the conffile by
#    hand as an operator would) from openssl s_server: the socket starts
#    ktlsd.service (/usr/sbin/ktlsd as user ktlsd), the body's SHA-256 is
#    the served file's;
#  - an upgrade (dpkg -i of the same ktlsd again: prerm upgrade, postinst
#    configure with the old version): the running service is restarted
#    (try-restart), the socket stays enabled and listening, the edited
#    conffile is kept, and a handshake works after it;
#  - dpkg -r: the service and the socket are stopped, no ktlsd process and
#    no socket file is left, the programs and units are gone, the edited
#    conffile stays (state config-files);
#  - dpkg -P: nothing of ours is left in the directories the packages
#    touched, /etc (recursively) and systemd's state: no file, link or
#    directory that was not there before.  User and group ktlsd stay, as
#    Debian does for system users (files may still belong to the uid);
#    systemd-sysusers would recreate them with the same name anyway.
#
# dpkg runs with a database of its own (--admindir), seeded with the
# entries of the packages ours depend on: reading the VM's real one (the
# host's, 1500 packages over 9p on an emulated CPU) and running its
# man-db trigger took 9 minutes for one `dpkg -i`.  Everything else is the
# real thing: the files land in the VM's root (a RAM overlay, gone after
# the run), the maintainer scripts run with systemd up.  Only drop-ins
# with DefaultDependencies=no (this boot has no sysinit.target) and a log
# file are added to the packaged units.  ~2-3 min in the VM.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 2
# shellcheck source=tests/integration/lib.sh
. tests/integration/lib.sh

DEB_DIR=$(realpath -m "$BUILD/deb")
PACKAGES=(libktls0 libktls-dev ktlsd)
UNITS=/etc/systemd/system
ETC=/etc/ktlsd
SOCK=/run/ktlsd/ktlsd.sock
RUNNER_START_WAIT=90	# seconds from unshare to the runner's first line
SYSTEMD_WAIT=${KTLS_PACKAGE_WAIT:-480}	# seconds for the boot and the runner
STEP_WAIT=180		# seconds for one dpkg run or handshake (ktlsd probes slowly)
PIDS=()
KMSG_BEFORE=0

skip_all() {
	tap_skip "Debian packages installed, used, removed, purged under systemd" "$1"
	tap_done
	exit 0
}

cleanup() {
	stop_bg_pids
}

# The debs, in install order.
debs() {
	local p
	for p in "${PACKAGES[@]}"; do
		compgen -G "$DEB_DIR/${p}_*.deb" | head -n 1
	done
}

# ---- outside: set up, boot, collect ------------------------------------------------

# Paths whose entries we compare before install and after purge: /etc and
# systemd's state in full, and the directories the packages put files in.
watched_dirs() {
	local deb
	echo /etc
	echo /var/lib/systemd
	for deb in $(debs); do
		dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\.||; s|/[^/]*$||'
	done | grep -v '^$' | sort -u
}

# listing: every entry under /etc and /var/lib/systemd, and in (not under)
# the packages' directories.
listing() {
	local d
	{
		find /etc /var/lib/systemd 2>/dev/null
		while read -r d; do
			case "$d" in /etc | /etc/* | /var/lib/systemd*) continue ;; esac
			[ -d "$d" ] && find "$d" -maxdepth 1
		done < "$W/watched"
	} | LC_ALL=C sort -u
}

# A dpkg database holding the installed packages ours depend on (first
# alternative that is installed), so that dpkg checks the dependencies.
seed_dpkg_db() {
	local names
	mkdir -p "$W/dpkg/info" "$W/dpkg/updates" "$W/dpkg/triggers" || return 1
	touch "$W/dpkg/available"
	names=$(for deb in $(debs); do dpkg-deb -f "$deb" Depends Pre-Depends; done |
		sed 's/^[A-Za-z-]*: //' | tr ',|' '\n' | sed 's/(.*)//; s/:any//; s/[[:space:]]//g' |
		grep -v -e '^$' -e '^libktls' | sort -u)
	# dpkg-query -s prints the installed ones; those not installed are not
	# needed when an alternative is (dpkg -i says which one is missing)
	# shellcheck disable=SC2086  # one name a word
	dpkg-query -s $names > "$W/dpkg/status" 2> "$W/dpkg-seed.err"
	diag "dpkg database seeded with: $(grep '^Package:' "$W/dpkg/status" | cut -d' ' -f2 | tr '\n' ' ')"
	[ -s "$W/dpkg/status" ]
}

remove_scaffolding() {
	rm -f "$UNITS"/ktlsd.service.d/pkgtest.conf "$UNITS"/ktlsd.socket.d/pkgtest.conf \
	      "$UNITS"/ktlsd-pkgtest.service "$UNITS"/ktlsd-pkgtest.target
	rmdir "$UNITS"/ktlsd.service.d "$UNITS"/ktlsd.socket.d 2>/dev/null
	return 0
}

# What a failed run left is removed too, so the suites after us (t_systemd)
# find no /etc/ktlsd and no packaged unit.
remove_leftovers() {
	[ -e "$W/policy-rc.d" ] && mv "$W/policy-rc.d" /usr/sbin/policy-rc.d
	rm -f "$ETC/pkgtest-ca.pem"
	[ -d "$W/dpkg" ] && dpkg --admindir="$W/dpkg" --force-all -P "${PACKAGES[@]}" \
		> /dev/null 2>&1
	rmdir "$ETC" 2>/dev/null
	remove_scaffolding
}

write_units() {
	mkdir -p "$UNITS/ktlsd.service.d" "$UNITS/ktlsd.socket.d" || return 1
	cat > "$UNITS/ktlsd.service.d/pkgtest.conf" <<-EOF
	[Unit]
	DefaultDependencies=no
	[Service]
	# no journald in this boot
	StandardOutput=append:$W/ktlsd.log
	StandardError=inherit
	EOF
	printf '[Unit]\nDefaultDependencies=no\n' > "$UNITS/ktlsd.socket.d/pkgtest.conf"
	cat > "$UNITS/ktlsd-pkgtest.service" <<-EOF
	[Unit]
	DefaultDependencies=no
	SuccessAction=exit-force
	FailureAction=exit-force
	[Service]
	Type=oneshot
	Environment=BUILD=$BUILD PATH=$PATH KTLSD_IN_VM=1 HOME=/root
	WorkingDirectory=$PWD
	ExecStart=/bin/bash $PWD/tests/integration/t_package.sh --inside $W
	StandardOutput=append:$W/runner.log
	StandardError=inherit
	TimeoutStartSec=$((SYSTEMD_WAIT - 15))
	EOF
	printf '[Unit]\nDefaultDependencies=no\nWants=ktlsd-pkgtest.service\n' \
		> "$UNITS/ktlsd-pkgtest.target"
}

dump_logs() {
	diag "systemd's log (kmsg, tail):" \
		"$(dmesg | tail -n "+$((KMSG_BEFORE + 1))" | grep 'systemd\[1\]' | tail -n 30)"
	diag "runner's log (tail):" "$(tail -n 30 "$W/runner.log" 2>/dev/null)"
	diag "ktlsd's log (tail):" "$(tail -n 20 "$W/ktlsd.log" 2>/dev/null)"
}

outside() {
	local missing deb
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ "${KTLSD_IN_VM:-0}" = 1 ] ||
		skip_all "installs packages and creates a user: runs in the VM only (tests/vm/run)"
	for deb in "${PACKAGES[@]}"; do
		compgen -G "$DEB_DIR/${deb}_*.deb" > /dev/null ||
			skip_all "no ${deb}_*.deb in $DEB_DIR (tests/install/package builds them on the host)"
	done
	missing=$(need_cmd dpkg dpkg-deb dpkg-query unshare nsenter systemctl systemd-analyze \
			   openssl modprobe) || skip_all "$missing"
	[ -x /lib/systemd/systemd ] || skip_all "no /lib/systemd/systemd"
	[ -d /sys/fs/cgroup ] || skip_all "no /sys/fs/cgroup to mount cgroup2 on"
	"$BUILD/ktls" check --quiet > /dev/null 2>&1 || skip_all "no usable kTLS in this kernel"
	[ -e "$ETC" ] && skip_all "$ETC exists already: not ours to overwrite"
	at_exit cleanup
	ktls_tmpdir ktls-package || skip_all "no temp dir"
	W=$KTLS_TMPDIR
	chmod 755 "$W"
	at_exit remove_leftovers
	# A container image's policy-rc.d (exit 101) stops deb-systemd-invoke
	# from starting or stopping anything; a live system has none.  (The
	# VM's root is a RAM overlay: the host's file is not touched.)
	if [ -e /usr/sbin/policy-rc.d ]; then
		mv /usr/sbin/policy-rc.d "$W/policy-rc.d" &&
			diag "/usr/sbin/policy-rc.d moved aside for the test: it forbids starting services"
	fi
	seed_dpkg_db || skip_all "cannot seed a dpkg database: $(cat "$W/dpkg-seed.err")"
	watched_dirs > "$W/watched"
	listing > "$W/before.list"
	write_units || skip_all "cannot write the runner's units"
	boot_and_judge ktlsd-pkgtest.target ktlsd.socket ktlsd.service ktlsd-pkgtest.service
	[ "$TAP_FAILED" -eq 0 ] || dump_logs
	tap_done
}

# ---- inside: the runner service -----------------------------------------------------

sc() {		# systemctl, bounded
	timeout 60 systemctl "$@"
}

prop() {	# prop UNIT PROPERTY: one property's value
	sc show -p "$2" --value "$1"
}

pkg_dpkg() {
	timeout "$STEP_WAIT" dpkg --admindir="$W/dpkg" "$@"
}

unit_status() {
	diag "$(sc status --no-pager --lines=10 ktlsd.socket ktlsd.service 2>&1)"
}

test_install() {
	local debs
	mapfile -t debs < <(debs)
	if pkg_dpkg -i "${debs[@]}" > "$W/install.log" 2>&1; then
		tap_ok "dpkg -i ${PACKAGES[*]} (systemd running)"
		# (the seeded entries come without file lists: dpkg says so)
		diag "$(grep -v -e '^Selecting' -e '^Preparing' -e '^Unpacking' \
			-e 'files list file for package .* missing' "$W/install.log")"
	else
		tap_not_ok "dpkg -i ${PACKAGES[*]} (systemd running)"
		diag "$(cat "$W/install.log")"
		return 1
	fi
}

test_user() {
	local pw
	pw=$(getent passwd ktlsd)
	if [ -n "$pw" ] && getent group ktlsd > /dev/null &&
	   [ "$(cut -d: -f6,7 <<< "$pw")" = /nonexistent:/usr/sbin/nologin ] &&
	   [ "$(cut -d: -f3 <<< "$pw")" -lt 1000 ]; then
		tap_ok "user and group ktlsd created: a system user, no home, nologin ($pw)"
	else
		tap_not_ok "user and group ktlsd created: a system user, no home, nologin (${pw:-none})"
	fi
}

test_units() {
	local link=$UNITS/sockets.target.wants/ktlsd.socket
	if [ "$(sc is-enabled ktlsd.socket)" = enabled ] &&
	   [ "$(readlink "$link")" = /lib/systemd/system/ktlsd.socket ]; then
		tap_ok "ktlsd.socket is enabled ($link)"
	else
		tap_not_ok "ktlsd.socket is enabled ($link -> $(readlink "$link"))"
	fi
	if [ "$(sc is-active ktlsd.socket)" = active ] && [ -S "$SOCK" ] &&
	   [ "$(sc is-active ktlsd.service)" = inactive ] &&
	   [ "$(sc is-enabled ktlsd.service)" = disabled ]; then
		tap_ok "postinst started ktlsd.socket ($SOCK); ktlsd.service neither enabled nor started"
	else
		tap_not_ok "postinst started ktlsd.socket ($SOCK); ktlsd.service neither enabled nor started"
		unit_status
	fi
}

test_conffile() {
	local conffiles out
	conffiles=$(dpkg-query --admindir="$W/dpkg" -W -f='${Conffiles}\n' ktlsd)
	tap_check "/etc/ktlsd/ktlsd.conf is a conffile of ktlsd" \
		grep -q "^ */etc/ktlsd/ktlsd.conf [0-9a-f]" <<< "$conffiles" || diag "$conffiles"
	if out=$(timeout "$STEP_WAIT" /usr/sbin/ktlsd -n -c "$ETC/ktlsd.conf" 2>&1); then
		tap_ok "ktlsd -n accepts the shipped ktlsd.conf (user ktlsd resolves)"
	else
		tap_not_ok "ktlsd -n accepts the shipped ktlsd.conf"
		diag "$out"
	fi
}

test_kmod() {
	local cfg
	cfg=$(timeout 60 systemd-analyze cat-config modules-load.d 2>&1)
	if grep -qx '# /usr/lib/modules-load.d/ktls.conf' <<< "$cfg" &&
	   [ "$(grep -v -e '^#' -e '^$' /usr/lib/modules-load.d/ktls.conf)" = tls ]; then
		tap_ok "systemd-modules-load reads /usr/lib/modules-load.d/ktls.conf, which names tls"
	else
		tap_not_ok "systemd-modules-load reads /usr/lib/modules-load.d/ktls.conf, which names tls"
		diag "$cfg"
	fi
	tap_check "kmod's configuration has the package's softdep for tls (/lib/modprobe.d)" \
		grep -qx 'softdep tls pre: aesni_intel ghash_clmulni_intel chacha_x86_64 poly1305_x86_64' \
		<(modprobe -c 2>&1)
}

# libktls-dev and libktls0: a program built with the installed header and
# .pc runs against the installed libktls.so.0.
test_library() {
	local out
	if ! command -v cc > /dev/null || ! command -v pkg-config > /dev/null; then
		tap_skip "a program built with pkg-config libktls runs on libktls.so.0" "no cc or pkg-config"
		return
	fi
	printf '%s\n' '#include <ktls.h>' '#include <stdio.h>' \
		'int main(void) { puts(ktls_cipher_name(KTLS_CIPHER_AES_128_GCM)); return 0; }' \
		> "$W/uselib.c"
	# shellcheck disable=SC2046
	if out=$(cc -o "$W/uselib" "$W/uselib.c" $(pkg-config --cflags --libs libktls) 2>&1 &&
		 "$W/uselib" 2>&1) && [ "$out" = AES-128-GCM ] &&
	   ldd "$W/uselib" | grep -Eq 'libktls.so.0 => (/usr)?/lib/[a-z0-9_-]+/libktls.so.0 '; then
		tap_ok "a program built with pkg-config libktls runs on the installed libktls.so.0"
	else
		tap_not_ok "a program built with pkg-config libktls runs on the installed libktls.so.0"
		diag "$out" "$(ldd "$W/uselib" 2>&1)"
	fi
}

# start_s_server PORT: openssl s_server -WWW serving $W/www, its stdin a
# FIFO it holds open itself (s_server drops connections at EOF on stdin).
start_s_server() {
	local port=$1 fd
	[ -p "$W/stdin.fifo" ] || mkfifo "$W/stdin.fifo" || return 1
	exec {fd}<>"$W/stdin.fifo"
	(cd "$W/www" && exec openssl s_server -accept "127.0.0.1:$port" -cert "$W/server.pem" \
		-key "$W/server.key" -WWW -naccept 1) <&"$fd" >> "$W/s_server.log" 2>&1 &
	PIDS+=("$!")
	exec {fd}>&-
	wait_for_port "$port" 30 "$!"
}

# What an operator does: trust a CA in a profile of their own, in the
# conffile; then the first handshake starts the service.
test_activation() {
	local main
	mkdir -p "$W/www" && make_pattern_file "$W/www/blob" 1 && gen_test_certs "$W" localhost &&
		install -m 0644 "$W/ca.pem" "$ETC/pkgtest-ca.pem" ||
		{ tap_not_ok "a ktls get through the packaged daemon: set-up"; return 1; }
	printf '\n[profile pkgtest]\nrole = client\nca_file = %s\nverify = required\n' \
		"$ETC/pkgtest-ca.pem" >> "$ETC/ktlsd.conf"
	fetch_blob "(the first handshake)"
	main=$(prop ktlsd.service MainPID)
	if [ "$(sc is-active ktlsd.service)" = active ] && [ "${main:-0}" != 0 ] &&
	   [ "$(readlink "/proc/$main/exe")" = /usr/sbin/ktlsd ] &&
	   [ "$(awk '$1 == "Uid:" { print $3 }' "/proc/$main/status")" = "$(id -u ktlsd)" ]; then
		tap_ok "the socket started ktlsd.service: /usr/sbin/ktlsd as user ktlsd (pid $main)"
	else
		tap_not_ok "the socket started ktlsd.service: /usr/sbin/ktlsd as user ktlsd"
		unit_status
		diag "$(tail -n 10 "$W/ktlsd.log" 2>/dev/null)"
	fi
}

# fetch_blob WHEN: ktls get (the installed one, profile pkgtest) of the
# 1 MiB file from a new openssl s_server, the body's hash checked.
fetch_blob() {
	local port
	rm -f "$W/blob.out"
	port=$(pick_port) && start_s_server "$port" ||
		diag "openssl s_server did not start:" "$(cat "$W/s_server.log")"
	if timeout "$STEP_WAIT" /usr/bin/ktls get --profile pkgtest --timeout "$((STEP_WAIT * 1000))" \
		-o "$W/blob.out" "https://localhost:$port/blob" 2> "$W/get.err" &&
	   [ "$(sha256_of "$W/blob.out")" = "$(sha256_of "$W/www/blob")" ]; then
		tap_ok "ktls get -> openssl s_server $1: 1 MiB, SHA-256 as served"
	else
		tap_not_ok "ktls get -> openssl s_server $1: 1 MiB, SHA-256 as served"
		diag "ktls get:" "$(cat "$W/get.err")" "s_server:" "$(tail -n 5 "$W/s_server.log")"
	fi
	stop_bg_pids
}

# An upgrade (the same version again: prerm upgrade, postinst configure
# with the old version): the running service is restarted onto the new
# files, the socket stays enabled and listening, the edited conffile is
# kept, and handshakes work after it.
test_upgrade() {
	local old new deb
	old=$(prop ktlsd.service MainPID)
	deb=$(compgen -G "$DEB_DIR/ktlsd_*.deb" | head -n 1)
	if pkg_dpkg -i "$deb" > "$W/upgrade.log" 2>&1; then
		tap_ok "dpkg -i ktlsd over itself (upgrade path), systemd running"
	else
		tap_not_ok "dpkg -i ktlsd over itself (upgrade path), systemd running"
		diag "$(cat "$W/upgrade.log")"
	fi
	new=$(prop ktlsd.service MainPID)
	if [ "$(sc is-active ktlsd.service)" = active ] && [ "${new:-0}" != 0 ] &&
	   [ "$new" != "$old" ] && [ "$(sc is-active ktlsd.socket)" = active ] &&
	   [ "$(sc is-enabled ktlsd.socket)" = enabled ] &&
	   grep -q '^\[profile pkgtest\]' "$ETC/ktlsd.conf"; then
		tap_ok "upgrade: ktlsd.service restarted (pid $old -> $new), socket enabled and listening, edited conffile kept"
	else
		tap_not_ok "upgrade: ktlsd.service restarted, socket enabled and listening, edited conffile kept"
		diag "MainPID $old -> $new"
		unit_status
	fi
	fetch_blob "after the upgrade"
}

# Processes running /usr/sbin/ktlsd (also once it is deleted).
ktlsd_pids() {
	local p
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/exe" 2>/dev/null)" in
		/usr/sbin/ktlsd*) printf '%s ' "${p#/proc/}" ;;
		esac
	done
}

test_remove() {
	local left='' f
	if pkg_dpkg -r "${PACKAGES[@]}" > "$W/remove.log" 2>&1; then
		tap_ok "dpkg -r ${PACKAGES[*]}"
	else
		tap_not_ok "dpkg -r ${PACKAGES[*]}"
		diag "$(cat "$W/remove.log")"
	fi
	if [ "$(sc is-active ktlsd.service)" != active ] && [ "$(sc is-active ktlsd.socket)" != active ] &&
	   [ ! -e "$SOCK" ] && [ -z "$(ktlsd_pids)" ]; then
		tap_ok "prerm stopped ktlsd.socket and ktlsd.service: no ktlsd process, no $SOCK"
	else
		tap_not_ok "prerm stopped ktlsd.socket and ktlsd.service: no ktlsd process, no $SOCK"
		unit_status
		diag "ktlsd processes: $(ktlsd_pids)"
	fi
	for f in /usr/sbin/ktlsd /usr/bin/ktls /lib/systemd/system/ktlsd.service \
		 /lib/systemd/system/ktlsd.socket /usr/lib/x86_64-linux-gnu/libktls.so.0; do
		[ -e "$f" ] && left+=" $f"
	done
	if [ -z "$left" ] && [ -f "$ETC/ktlsd.conf" ] &&
	   [ "$(dpkg-query --admindir="$W/dpkg" -W -f='${db:Status-Abbrev}' ktlsd)" = 'rc ' ]; then
		tap_ok "removed: programs, library and units gone; the edited conffile stays (config-files)"
	else
		tap_not_ok "removed: programs, library and units gone; the edited conffile stays (config-files)"
		diag "left:${left:- nothing}" "$(ls -la "$ETC" 2>&1)"
	fi
}

test_purge() {
	local new ours
	rm -f "$ETC/pkgtest-ca.pem"		# ours, not the package's
	if pkg_dpkg -P "${PACKAGES[@]}" > "$W/purge.log" 2>&1; then
		tap_ok "dpkg -P ${PACKAGES[*]}"
	else
		tap_not_ok "dpkg -P ${PACKAGES[*]}"
		diag "$(cat "$W/purge.log")"
	fi
	sc daemon-reload
	# The runner's own units and drop-ins go first: the comparison is
	# about what the packages left.
	remove_scaffolding
	listing > "$W/after.list"
	new=$(comm -13 "$W/before.list" "$W/after.list")
	ours=$(grep -i ktls <<< "$new")
	if [ -z "$ours" ] && [ ! -e "$ETC" ] && [ "$(sc is-enabled ktlsd.socket 2>&1)" != enabled ]; then
		tap_ok "purged: nothing of ours in /etc, systemd's state or the packages' directories"
	else
		tap_not_ok "purged: nothing of ours in /etc, systemd's state or the packages' directories"
		diag "left: $ours"
	fi
	[ -z "$new" ] || diag "new since before the install (not ours): $new"
	tap_check "user ktlsd stays after purge (Debian leaves system users)" getent passwd ktlsd
}

timed() {	# timed FUNCTION: run it, say how long it took
	local start=$SECONDS rc
	"$@"
	rc=$?
	diag "($1: $((SECONDS - start)) s)"
	return "$rc"
}

inside() {
	local rc
	W=$1
	exec > "$W/inside.tap" 2>> "$W/runner.log"
	touch "$W/inside.started"
	at_exit cleanup
	if timed test_install; then
		timed test_user
		timed test_units
		timed test_conffile
		timed test_kmod
		timed test_library
		timed test_activation
		timed test_upgrade
		timed test_remove
		timed test_purge
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
