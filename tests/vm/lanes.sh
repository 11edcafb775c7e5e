# tests/vm/lanes.sh - the kernels ("lanes") the VM harness can boot.  Sourced
# (bash) by tests/vm/build-image, tests/vm/run, tests/kmod/build.sh and
# tests/run-check; it defines no commands of its own.
#
#  lane  kernel (Debian package)                from                    net/handshake  rekey
#  6.12  linux-image-6.12-amd64 -> 6.12.x      the system's apt sources yes            no   (default)
#  7.3   linux-binary/linux-modules-7.3.x      trixie-backports, via a  yes            yes
#        (the newest 7.3 the index offers)     private apt config
#  6.1   linux-image-amd64 -> 6.1.0-N          the system's apt sources no (6.5+)      no
#        (Debian 12's own kernel)
#
# Select one with `tests/vm/run --kernel 7.3 ...` (or KTLSD_VM_KERNEL=7.3).
# Each lane has its own image cache: 6.12 uses the cache dir itself (as before
# lanes existed), the others $CACHE/lane-<name>/.
# Which integration suites run on which lane: tests/run-check (LANE_SUITES).

VM_LANES=(6.12 7.3 6.1)
VM_DEFAULT_LANE=6.12

# The base cache dir, shared by all lanes.
vm_base_cache() {
  printf '%s' "${KTLSD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is unset: set KTLSD_VM_CACHE}/.cache}/ktlsd-vm}"
}

# vm_lane_select LANE: set the LANE_* variables; returns 1 for an unknown lane.
#   LANE_NAME     the lane
#   LANE_CACHE    its image cache dir
#   LANE_SOURCE   system: resolve LANE_META with the system's apt sources;
#                 backports: LANE_SUITE of the system's Debian archive, with
#                 a private apt config (sources list + lists in LANE_CACHE)
#   LANE_META     meta package (system lanes)
#   LANE_SUITE    archive suite (backports lanes)
#   LANE_SERIES   the kernel release must start with "$LANE_SERIES."
#   LANE_KCONFIG  config options that must be y or m (checked when the
#                 package ships a config; 7.3's does not)
vm_lane_select() {
  local base
  base=$(vm_base_cache) || return 1
  LANE_NAME=$1 LANE_META='' LANE_SUITE=''
  LANE_KCONFIG="CONFIG_TLS CONFIG_NET_9P_VIRTIO CONFIG_9P_FS CONFIG_OVERLAY_FS CONFIG_VIRTIO_PCI CONFIG_VIRTIO_CONSOLE"
  case "$1" in
    6.12)
      LANE_CACHE=$base LANE_SOURCE=system LANE_SERIES=6.12
      LANE_META=${KTLSD_VM_KERNEL_META:-linux-image-6.12-amd64}
      LANE_KCONFIG="$LANE_KCONFIG CONFIG_NET_HANDSHAKE" ;;
    7.3)
      LANE_CACHE=$base/lane-7.3 LANE_SOURCE=backports LANE_SERIES=7.3
      LANE_SUITE=trixie-backports ;;
    6.1)
      # Debian 12's own kernel: the meta package of the plain bookworm suite.
      LANE_CACHE=$base/lane-6.1 LANE_SOURCE=system LANE_SERIES=6.1
      LANE_META=linux-image-amd64 ;;
    *) return 1 ;;
  esac
}
