# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Sourced by tools/matrix/chroot/dkms and tools/matrix/chroot/deb, inside an overlay of a lane's
# chroot whose /xfer/kernel-modules holds the kernel's part of its module tree (its own ntsync.ko,
# if any, and modules.order, modules.builtin*; tools/vm/lib.sh's fetch_kernel).

# kernel_tree ABI: the kernel's module tree as its package installs it, then depmod; OWN is the
# path of the kernel's own ntsync.ko in it (empty if it ships none).
kernel_tree() {
	mkdir -p "/lib/modules/$1"
	cp -a /xfer/kernel-modules/. "/lib/modules/$1/"
	depmod -a "$1"
	OWN=$(cd /xfer/kernel-modules && find . -name "ntsync.ko*" | sed "s,^\./,,")
}

# nothing_left ABI: nothing of ours is left in the module tree, in /usr/src or in DKMS's tree,
# and the kernel's own ntsync.ko (if any) is back in place, unchanged.
nothing_left() {
	left=$(find "/lib/modules/$1/updates" /usr/src/ntsync-* /var/lib/dkms -name "ntsync*" 2>/dev/null ||
	       true)
	[ -z "$left" ] || { echo "left behind: $left"; exit 1; }
	[ -z "$OWN" ] || cmp "/xfer/kernel-modules/$OWN" "/lib/modules/$1/$OWN"
}
