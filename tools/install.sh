#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# "make install" and "make uninstall" without DKMS (see the Makefile):
#
#   install.sh install MODULE.ko [NTSYNC-TOP [NTSYNC-CHECK]]   KVER=<kernel> [DESTDIR=<root>]
#   install.sh uninstall            [DESTDIR=<staging root>]
#
# install puts the module into /lib/modules/KVER/updates/ (which outranks the kernel's own
# modules, including an ntsync.ko of its own), runs depmod, makes the module load at boot
# (modules-load.d), keeps /dev/ntsync at mode 0666 (udev), installs ntsync-top and ntsync-check
# (if given) as /usr/local/bin/ntsync-top and /usr/local/bin/ntsync-check, and the uapi header as
# /usr/include/linux/ntsync.h for Wine's build -- unless a different linux/ntsync.h is already
# there: one from a distribution package (linux-libc-dev of Linux 6.14 and later) is left alone,
# anything else stops the install.  Every file it writes is listed in
# /var/lib/ntsync/manifest; uninstall removes exactly those files and runs depmod again.
set -eu

MANIFEST=/var/lib/ntsync/manifest
LOADCONF=/etc/modules-load.d/ntsync.conf
UDEVRULE=/etc/udev/rules.d/60-ntsync.rules
HEADER=/usr/include/linux/ntsync.h
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
	if [ -e "$DESTDIR$HEADER" ] && ! cmp -s "$hdr" "$DESTDIR$HEADER"; then
		pkg=$(owner "$HEADER")
		if [ -n "$pkg" ]; then
			say "not installing $HEADER: linux/ntsync.h belongs to $pkg (the distribution's"
			say "  kernel headers, which declare the same binary interface); leaving it alone"
			header=no
		elif ! listed "$HEADER"; then
			die "$DESTDIR$HEADER exists, differs from ours and belongs to no package; remove it or move it away, then run make install again"
		fi
	elif [ -e "$DESTDIR$HEADER" ] && ! listed "$HEADER"; then
		say "$HEADER is already this one (from $(owner "$HEADER" | grep . || echo 'no package')); leaving it"
		header=no
	fi

	put "$ko" 644 "/lib/modules/$KVER/updates/ntsync.ko"
	printf '# ntsync: /dev/ntsync for NT emulators (installed by ntsync'"'"'s make install)\nntsync\n' \
		>"$tmp/load.conf"
	put "$tmp/load.conf" 644 "$LOADCONF"
	printf '# ntsync: any user may open /dev/ntsync (installed by ntsync'"'"'s make install)\nKERNEL=="ntsync", SUBSYSTEM=="misc", MODE="0666"\n' \
		>"$tmp/rule"
	put "$tmp/rule" 644 "$UDEVRULE"
	[ "$header" = no ] || put "$hdr" 644 "$HEADER"
	[ -z "$top" ] || put "$top" 755 "$TOPBIN"
	[ -z "$chk" ] || put "$chk" 755 "$CHECKBIN"

	run_depmod "$KVER"
	if [ -z "$DESTDIR" ] && command -v udevadm >/dev/null 2>&1 && [ -S /run/udev/control ]; then
		udevadm control --reload || true
	fi
	say "manifest: $DESTDIR$MANIFEST; 'modprobe ntsync' loads it now, and it loads at every boot"
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
}

case ${1:-} in
install)   do_install "${2:-ntsync.ko}" "${3:-}" "${4:-}" ;;
uninstall) do_uninstall ;;
*)         die "usage: $0 install MODULE.ko [NTSYNC-TOP [NTSYNC-CHECK]] | uninstall" ;;
esac
