#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# "make install" and "make uninstall" without DKMS (see the Makefile):
#
#   install.sh install MODULE.ko [NTSYNC-TOP [NTSYNC-CHECK]]   KVER=<kernel> [DESTDIR=<root>]
#   install.sh uninstall            [DESTDIR=<staging root>]
#   install.sh drop-node            (make dkms-remove: /dev/ntsync, as uninstall leaves it)
#
# install puts the module into /lib/modules/KVER/updates/ (which outranks the kernel's own
# modules, including an ntsync.ko of its own), runs depmod (whose modules.devname makes the boot
# create /dev/ntsync, whose first open loads the module), installs the package's udev rule
# (debian/ntsync-dkms.udev: mode 0666, also for that node), and installs the uapi header as
# /usr/local/include/linux/ntsync.h for Wine's build, and ntsync-top and ntsync-check (if given)
# as /usr/local/bin/ntsync-top and /usr/local/bin/ntsync-check.  C compilers search /usr/local/include before /usr/include, so Wine's
# configure finds this header without flags, also where the distribution's own
# /usr/include/linux/ntsync.h (linux-libc-dev from Linux 6.10 on) exists; that one is never
# touched, and what it declares is reported: the early interface of 6.10 to 6.13, with which Wine
# compiles no ntsync code, or the complete one.  A different /usr/local/include/linux/ntsync.h
# that make install did not write stops the install.  Every file it writes is listed in
# /var/lib/ntsync/manifest; uninstall removes exactly those files and runs depmod again.
set -eu

MANIFEST=/var/lib/ntsync/manifest
# (what installs before the module was loaded by its first open wrote; removed by install)
LOADCONF=/etc/modules-load.d/ntsync.conf
UDEVRULE=/etc/udev/rules.d/60-ntsync.rules
HEADER=/usr/local/include/linux/ntsync.h
DISTHEADER=/usr/include/linux/ntsync.h
TOPBIN=/usr/local/bin/ntsync-top
CHECKBIN=/usr/local/bin/ntsync-check
DESTDIR=${DESTDIR:-}
HERE=$(cd "$(dirname "$0")/.." && pwd)

say() { echo "ntsync: $*"; }
die() { echo "ntsync: error: $*" >&2; exit 1; }

# run depmod for KVER, on the system or inside DESTDIR
run_depmod() {
	command -v depmod >/dev/null 2>&1 || PATH=$PATH:/sbin:/usr/sbin
	if [ -z "$DESTDIR" ]; then
		depmod -a "$1"
	elif [ -d "$DESTDIR/lib/modules/$1" ]; then
		depmod -b "$DESTDIR" -a "$1"
	fi
}

# the package that owns PATH, per the dpkg database of the system (or of DESTDIR, if it has one)
owner() {
	command -v dpkg-query >/dev/null 2>&1 || return 0
	if [ -z "$DESTDIR" ]; then
		dpkg-query -S "$1" 2>/dev/null | sed -n 's/: .*//p' | head -n 1
	elif [ -d "$DESTDIR/var/lib/dpkg/info" ]; then
		dpkg-query --admindir="$DESTDIR/var/lib/dpkg" -S "$1" 2>/dev/null |
			sed -n 's/: .*//p' | head -n 1
	fi
}

# What the distribution's linux/ntsync.h declares, if there is one.  It stays as it is: ours in
# /usr/local/include comes first in the compiler's search.
dist_header() {
	[ -e "$DESTDIR$DISTHEADER" ] || return 0
	if listed "$DISTHEADER"; then
		say "$DISTHEADER is from an earlier make install (it is in the manifest):"
		say "  make uninstall removes it with the rest"
		return 0
	fi
	pkg=$(owner "$DISTHEADER")
	from=${pkg:+ (from $pkg)}
	if grep -q NTSYNC_IOC_EVENT_READ "$DESTDIR$DISTHEADER"; then
		say "$DISTHEADER$from declares the same interface as ours (Linux 6.14 and later);"
		say "  left alone: compilers find $HEADER first"
	else
		say "$DISTHEADER$from declares the early, semaphore-only interface of Linux 6.10 to 6.13"
		say "  (no NTSYNC_IOC_EVENT_READ: Wine built against it has no ntsync code); left alone:"
		say "  compilers find $HEADER first, so Wine's configure gets ours without flags"
	fi
}

listed() { [ -f "$DESTDIR$MANIFEST" ] && grep -qxF "$1" "$DESTDIR$MANIFEST"; }
record() {
	mkdir -p "$DESTDIR${MANIFEST%/*}"
	listed "$1" || echo "$1" >>"$DESTDIR$MANIFEST"
}

# put FILE (mode MODE) at PATH and list it
put() {
	install -D -m "$2" "$1" "$DESTDIR$3"
	record "$3"
	say "installed $DESTDIR$3"
}

do_install() {
	ko=$1
	top=${2:-}
	chk=${3:-}
	[ -n "${KVER:-}" ] || die "KVER is not set"
	[ -f "$ko" ] || die "$ko is missing: build the module first"
	[ -z "$top" ] || [ -f "$top" ] || die "$top is missing: build it first"
	[ -z "$chk" ] || [ -f "$chk" ] || die "$chk is missing: build it first"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT

	# The header first: it is the one part that may refuse.
	hdr=$HERE/include/uapi/linux/ntsync.h
	header=yes
	if [ -e "$DESTDIR$HEADER" ] && ! listed "$HEADER"; then
		cmp -s "$hdr" "$DESTDIR$HEADER" ||
			die "$DESTDIR$HEADER exists, differs from ours and was not installed by make install; remove it or move it away, then run make install again"
		say "$HEADER is already this one; leaving it"
		header=no
	fi
	dist_header

	put "$ko" 644 "/lib/modules/$KVER/updates/ntsync.ko"
	if listed "$LOADCONF"; then
		rm -f "$DESTDIR$LOADCONF"
		grep -vxF "$LOADCONF" "$DESTDIR$MANIFEST" >"$tmp/manifest" || true
		cat "$tmp/manifest" >"$DESTDIR$MANIFEST"
		say "removed $DESTDIR$LOADCONF: the first open of /dev/ntsync loads the module"
	fi
	put "$HERE/debian/ntsync-dkms.udev" 644 "$UDEVRULE"
	[ "$header" = no ] || put "$hdr" 644 "$HEADER"
	[ -z "$top" ] || put "$top" 755 "$TOPBIN"
	[ -z "$chk" ] || put "$chk" 755 "$CHECKBIN"

	run_depmod "$KVER"
	if [ -z "$DESTDIR" ] && command -v udevadm >/dev/null 2>&1 && [ -S /run/udev/control ]; then
		udevadm control --reload || true
	fi
	say "manifest: $DESTDIR$MANIFEST; 'modprobe ntsync' loads it now; after a reboot, the first"
	say "  open of /dev/ntsync does"
}

# The node the boot made from our modules.devname line stays in /dev after the module and the
# udev rule are gone (devtmpfs removes only the nodes it made): without it, an ntsync driver loaded
# later (the kernel's own, with another minor) would keep it and every open would be ENODEV.  So a
# /dev/ntsync that is not the node of the ntsync device now registered is replaced by that
# device's node, or removed if there is none.  NTSYNC_DEVDIR and NTSYNC_SYSDIR are for tests.
drop_node() {
	d=${NTSYNC_DEVDIR:-/dev} dev=$(cat "${NTSYNC_SYSDIR:-/sys}/class/misc/ntsync/dev" 2>/dev/null) || dev=
	[ -c "$d/ntsync" ] || return 0
	if [ -n "$dev" ] && [ "$(stat -c %t:%T "$d/ntsync")" = "$(printf %x:%x "${dev%:*}" "${dev#*:}")" ]; then
		return 0
	fi
	if [ -n "$dev" ]; then
		mknod -m 0666 "$d/.ntsync.new" c "${dev%:*}" "${dev#*:}"
		mv -f "$d/.ntsync.new" "$d/ntsync"
		say "$d/ntsync: now the node of the ntsync driver loaded ($dev)"
	else
		rm -f "$d/ntsync"
		say "removed $d/ntsync, the node the boot made for this module"
	fi
}

do_uninstall() {
	[ -f "$DESTDIR$MANIFEST" ] || die "nothing to uninstall: $DESTDIR$MANIFEST does not exist"
	kernels=
	while IFS= read -r f; do
		case $f in
		/*) ;;
		*) continue ;;
		esac
		if [ -e "$DESTDIR$f" ] || [ -L "$DESTDIR$f" ]; then
			rm -f "$DESTDIR$f"
			say "removed $DESTDIR$f"
		fi
		case $f in
		"$HEADER")
			rmdir "$DESTDIR${HEADER%/*}" 2>/dev/null || true ;;
		/lib/modules/*/updates/*)
			k=${f#/lib/modules/}
			k=${k%%/*}
			rmdir "$DESTDIR/lib/modules/$k/updates" 2>/dev/null || true
			kernels="$kernels $k" ;;
		esac
	done <"$DESTDIR$MANIFEST"
	rm -f "$DESTDIR$MANIFEST"
	rmdir "$DESTDIR${MANIFEST%/*}" 2>/dev/null || true
	for k in $kernels; do
		[ ! -d "$DESTDIR/lib/modules/$k" ] || run_depmod "$k"
	done
	[ -n "$DESTDIR" ] || drop_node
}

case ${1:-} in
install)   do_install "${2:-ntsync.ko}" "${3:-}" "${4:-}" ;;
uninstall) do_uninstall ;;
drop-node) drop_node ;;
*)         die "usage: $0 install MODULE.ko [NTSYNC-TOP [NTSYNC-CHECK]] | uninstall | drop-node" ;;
esac
