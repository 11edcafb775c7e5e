#!/usr/bin/env bash
# scripts/install-deps.sh - the one dependency bootstrap (make check, make demo,
# .ci/run).  Debian 12.
#
# Usage: scripts/install-deps.sh [--no-vm]
#
# Installs whichever of PACKAGES are missing (apt-get update first, only then),
# then prepares the test VM kernel image of every kernel lane
# (tests/vm/lanes.sh: 6.12, 7.3 from trixie-backports through a private apt
# config, 6.1; tests/vm/build-image --kernel LANE).  KTLSD_LANES="6.12"
# limits the lanes.  Idempotent; with everything present it only asks dpkg
# and finds the images ready, and finishes in about a second.
#   --no-vm   skip VM_ONLY_PACKAGES and the VM images (build-only machines)
# Exit status: 0 ready, 1 failure (the reason is printed).
set -euo pipefail

# Everything the project needs.  Extend here.
PACKAGES=(
  # build + daemon libraries
  build-essential pkg-config libgnutls28-dev libnl-3-dev libnl-genl-3-dev
  libinih-dev libsystemd-dev libkeyutils-dev
  # the shared session store's client (daemon/sessions/shared_store.c)
  libmemcached-dev
  # unit tests
  libcmocka-dev
  # the install-manifest guard and the Debian packages (make deb, lintian)
  git dpkg-dev debhelper lintian
  # integration tests, demo, benchmarks
  gnutls-bin keyutils openssl curl nginx-light iproute2 gnuplot-nox gzip
  # the shared store's server (t_resume_fleet, test_shared_store); captures (t_perf)
  memcached tcpdump
  # test VM (tests/vm): see VM_ONLY_PACKAGES
  qemu-system-x86 busybox-static kmod cpio xz-utils zstd nfs-kernel-server
  # the 7.3 lane: its archive's signing keys; libelf for its objtool
  debian-archive-keyring libelf1
)
# The subset of PACKAGES that only the test VM needs (skipped by --no-vm).
VM_ONLY_PACKAGES=(qemu-system-x86 busybox-static kmod cpio xz-utils zstd nfs-kernel-server
                  debian-archive-keyring libelf1)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT

die() { printf 'deps: ERROR: %s\n' "$*" >&2; exit 1; }

WITH_VM=1
parse_args() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --no-vm)   WITH_VM=0 ;;
      -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
      *)         die "unknown argument: $1 (usage: $0 [--no-vm])" ;;
    esac
    shift
  done
}

# The packages wanted on this run (all, or all but the VM-only ones).
wanted_packages() {
  local p v skip
  for p in "${PACKAGES[@]}"; do
    skip=0
    if [ "$WITH_VM" = 0 ]; then
      for v in "${VM_ONLY_PACKAGES[@]}"; do [ "$p" != "$v" ] || skip=1; done
    fi
    [ "$skip" = 1 ] || printf '%s\n' "$p"
  done
}

# Of the given packages, print those dpkg does not list as installed.  One
# dpkg-query call for all of them: that is what keeps the no-op case fast.
missing_packages() {
  local installed
  # dpkg-query exits 1 when it knows a name not at all; that one is missing too.
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "$@" 2>/dev/null \
              | awk '$2 == "installed" { print $1 }' || true)
  local p
  for p in "$@"; do
    grep -qxF "$p" <<< "$installed" || printf '%s\n' "$p"
  done
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else die "not root and no sudo: cannot run $*"; fi
}

# apt's chatter goes to a log that is shown only when something fails.
run_apt() {
  local log
  log=$(mktemp)
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@" >"$log" 2>&1; then
    tail -n 20 "$log" | sed 's/^/deps:   /' >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

install_packages() {
  echo "deps: installing $*"
  run_apt update -q || die "apt-get update failed"
  run_apt install -y -q --no-install-recommends "$@" || die "apt-get install failed for: $*"
  local still
  still=$(missing_packages "$@")
  [ -z "$still" ] || die "still missing after apt-get install: ${still//$'\n'/ }"
}

main() {
  parse_args "$@"
  command -v dpkg-query >/dev/null || die "dpkg-query not found: this script is for Debian 12"
  local wanted missing
  mapfile -t wanted < <(wanted_packages)
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#wanted[@]} packages present"
  else
    install_packages "${missing[@]}"
  fi
  if [ "$WITH_VM" = 1 ]; then
    local lane lanes
    # shellcheck source=tests/vm/lanes.sh
    . "$REPO_ROOT/tests/vm/lanes.sh"
    lanes=${KTLSD_LANES:-${VM_LANES[*]}}
    for lane in $lanes; do
      "$REPO_ROOT/tests/vm/build-image" --kernel "$lane" ||
        die "VM image preparation failed for kernel lane $lane (tests/vm/build-image --kernel $lane)"
    done
  fi
}

main "$@"
