#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# One command from a clone to a working /dev/ntsync on Debian and Ubuntu:
#
#   sudo tools/setup.sh            installs what is needed, loads the module, runs ntsync-check
#   sudo tools/setup.sh --undo     purges our packages and lists what it leaves
#   tools/setup.sh --dry-run       prints the plan only (with --undo: the undo's plan)
#   --yes                          does not ask before changing anything
#
# It installs the build dependencies (build-essential, debhelper, dh-dkms, dkms) and the headers
# of the running kernel with apt, builds our packages (make deb, as the invoking user) and
# installs them with apt (DKMS builds and, under Secure Boot, signs the module), loads the module
# with modprobe and ends with ntsync-check, run as the invoking user: its last line is the answer.
# It prints the plan before it changes anything, and a second run changes nothing.  It stops
# without changing anything when the running kernel's headers are no longer in the archive (then:
# upgrade, reboot into the newest kernel, run it again).  Under Secure Boot it imports DKMS's
# signing key with mokutil (which asks for a one-time password) when the firmware does not know
# it yet; the module can load only after a reboot and "Enroll MOK", and a second run then
# finishes.  /var/lib/ntsync/setup.state records the packages it added and the key it imported,
# for --undo, which purges ntsync-dkms, ntsync-tools and ntsync-dev and says what it leaves: those
# dependencies (with the command that removes them) and an enrolled key (with mokutil --delete).
#
# For tools/matrix/chroot/setup only (a chroot, where no module loads and there is no firmware):
# NTSYNC_SETUP_KVER sets the kernel to set up for (default: uname -r), and NTSYNC_SETUP_NO_LOAD=1
# skips the Secure Boot step and modprobe, and says so.
set -euo pipefail

STATE=/var/lib/ntsync/setup.state
OURS=(ntsync-dkms ntsync-tools ntsync-dev)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KVER=${NTSYNC_SETUP_KVER:-$(uname -r)}
NO_LOAD=${NTSYNC_SETUP_NO_LOAD:-}
EFI_SB=/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

usage() {
	sed -n 's/^#   //p' "${BASH_SOURCE[0]}" | sed -n '1,4p'
	exit "$1"
}

UNDO='' DRY='' YES=''
for a in "$@"; do
	case $a in
	--undo) UNDO=1 ;;
	--dry-run) DRY=1 ;;
	--yes|-y) YES=1 ;;
	--help|-h) usage 0 ;;
	*) echo "setup: unknown argument $a" >&2; usage 2 ;;
	esac
done

# --- what the system has --------------------------------------------------------------------

# installed PKG: dpkg has PKG installed (not only its configuration files)
installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}
# inst_version PKG: the installed version of PKG, or nothing
inst_version() {
	installed "$1" && dpkg-query -W -f='${Version}' "$1"
}
# candidate PKG: the version apt would install, or nothing (not in the archive)
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true
}
# state_has LINE: the state file has LINE
state_has() { [ -f "$STATE" ] && grep -qxF "$1" "$STATE"; }
state_add() {
	state_has "$1" && return 0
	mkdir -p "$(dirname "$STATE")"
	echo "$1" >>"$STATE"
}

# Secure Boot: "on", "off" or "unknown" (no EFI, or no way to tell)
secure_boot() {
	if command -v mokutil >/dev/null 2>&1; then
		case $(mokutil --sb-state 2>/dev/null) in
		*"SecureBoot enabled"*) echo on; return ;;
		*"SecureBoot disabled"*) echo off; return ;;
		esac
	fi
	if [ -r "$EFI_SB" ]; then
		# (4 bytes of attributes, then the value)
		if [ "$(od -An -t u1 -j 4 -N 1 "$EFI_SB" | tr -d ' ')" = 1 ]; then echo on; else echo off; fi
	elif [ -d /sys/firmware/efi ]; then
		echo unknown
	else
		echo off
	fi
}

# The certificate DKMS signs with: framework.conf's mok_certificate, Ubuntu's shim-signed key,
# or DKMS's own default (made at its first signed build).
mok_cert() {
	local c
	c=$(sed -n 's/^[[:space:]]*mok_certificate=//p' /etc/dkms/framework.conf \
		/etc/dkms/framework.conf.d/*.conf 2>/dev/null | tail -n 1 | tr -d '"')
	if [ -n "$c" ]; then echo "$c"
	elif [ -e /var/lib/shim-signed/mok/MOK.der ]; then echo /var/lib/shim-signed/mok/MOK.der
	else echo /var/lib/dkms/mok.pub
	fi
}

# --- the undo -------------------------------------------------------------------------------

undo() {
	local p present=() deps=() keys=() built=()
	for p in "${OURS[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[a-z][a-z]' &&
			present+=("$p")
	done
	if [ -f "$STATE" ]; then
		mapfile -t deps < <(sed -n 's/^added //p' "$STATE")
		mapfile -t keys < <(sed -n 's/^mok-import //p' "$STATE")
		mapfile -t built < <(sed -n 's/^built //p' "$STATE")
	fi
	say "the undo's plan:"
	if [ ${#present[@]} != 0 ]; then
		say "  apt-get purge ${present[*]} (the module from DKMS for every kernel, the tools, the header)"
	else
		say "  no package of ours is installed"
	fi
	for p in "${built[@]}"; do say "  remove the packages built in $p"; done
	[ ! -f "$STATE" ] || say "  remove $STATE"
	[ -n "$DRY" ] && return 0
	[ "$(id -u)" = 0 ] || die "run it as root: sudo $0 --undo"
	if [ ${#present[@]} != 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y "${present[@]}"
	fi
	for p in "${built[@]}"; do rm -rf "$p"; done
	rm -f "$STATE"
	rmdir /var/lib/ntsync 2>/dev/null || true
	say "purged: ${present[*]:-nothing (there was nothing of ours)}"
	say "left in place:"
	if [ ${#deps[@]} != 0 ]; then
		say "  packages setup.sh installed as dependencies: ${deps[*]}"
		say "    remove them, if nothing else needs them: sudo apt-get purge ${deps[*]} && sudo apt-get autoremove"
	else
		say "  no packages: setup.sh installed no dependencies (or no record of them is left)"
	fi
	if [ ${#keys[@]} != 0 ]; then
		for p in "${keys[@]}"; do
			say "  DKMS's signing key, imported into the firmware's MOK list: $p"
			say "    remove it (other DKMS modules may need it): sudo mokutil --delete $p, reboot, 'Delete MOK'"
		done
	else
		say "  no Secure Boot key: setup.sh imported none"
	fi
}

if [ -n "$UNDO" ]; then
	undo
	exit 0
fi

# --- the plan -------------------------------------------------------------------------------

[ -r /etc/os-release ] || die "no /etc/os-release: this script knows Debian and Ubuntu only"
# shellcheck source=/dev/null
. /etc/os-release
case " ${ID:-} ${ID_LIKE:-} " in
*" debian "*|*" ubuntu "*) ;;
*)
	say "${PRETTY_NAME:-this system} is not Debian or Ubuntu; by hand, from this clone:"
	say "  install a C compiler, make and the headers of kernel $KVER (Fedora: kernel-devel,"
	say "  Arch: linux-headers), then: make && sudo make install (or DKMS: sudo make dkms-install),"
	say "  and run ntsync-check (README.md, Documentation/ntsync.rst)"
	exit 1 ;;
esac

# (make version's source, read without make, which a new system may not have yet)
VER=$(sed -n 's/^#define NTSYNC_VERSION "\(.*\)"$/\1/p' "$HERE/ntsync.h")
[ -n "$VER" ] || die "no NTSYNC_VERSION in $HERE/ntsync.h: run this from a clone of ntsync"
ARCH=$(dpkg --print-architecture)
DEBDIR=$HERE/build/deb
DEBS=("$DEBDIR/ntsync-dkms_${VER}_all.deb" "$DEBDIR/ntsync-tools_${VER}_$ARCH.deb"
      "$DEBDIR/ntsync-dev_${VER}_$ARCH.deb")

# The dependencies: what make deb needs (dpkg-buildpackage, a compiler, debhelper, dh_dkms),
# DKMS, and the running kernel's headers (its build tree).  (Ubuntu 22.04's dkms carries
# dh_dkms itself.)
deps_wanted() {
	echo build-essential
	echo debhelper
	if [ -n "$(candidate dh-dkms)" ] || installed dh-dkms; then echo dh-dkms; fi
	echo dkms
	# (a kernel built by hand may have its build tree without that package)
	if installed "linux-headers-$KVER" || [ ! -f "/lib/modules/$KVER/build/Makefile" ]; then
		echo "linux-headers-$KVER"
	fi
	[ "$SB" != on ] || echo mokutil
}

SB=off
if [ -z "$NO_LOAD" ]; then SB=$(secure_boot); fi
# missing: MISSING, the packages of WANT that are not installed
missing() {
	mapfile -t WANT < <(deps_wanted)
	MISSING=()
	for p in "${WANT[@]}"; do installed "$p" || MISSING+=("$p"); done
}
missing

# Refresh apt's lists only when the archive is needed, and go on with the old ones if it fails.
if [ ${#MISSING[@]} != 0 ] && [ -z "$DRY" ] && [ "$(id -u)" = 0 ]; then
	say "refreshing apt's package lists (apt-get update)"
	apt-get update -qq || say "warning: apt-get update failed; going on with the lists there are"
	missing
fi

NOTFOUND=()
for p in "${MISSING[@]}"; do [ -n "$(candidate "$p")" ] || NOTFOUND+=("$p"); done
if printf '%s\n' "${NOTFOUND[@]}" | grep -qx "linux-headers-$KVER"; then
	say "the headers of the running kernel ($KVER) are not installed and not in the archive"
	say "(linux-headers-$KVER has no candidate in apt-cache policy): the archive has moved on to a"
	say "newer kernel (or this kernel is not the distribution's).  Install the newest and boot it,"
	say "then run this again:"
	say "  sudo apt-get update && sudo apt-get full-upgrade, reboot into the newest kernel"
	say "nothing was changed"
	exit 1
fi
[ ${#NOTFOUND[@]} = 0 ] || die "not in the archive: ${NOTFOUND[*]} (apt-get update?); nothing was changed"

# Our packages: up to date when all three are installed at this tree's version.
OURS_TODO=()
for p in "${OURS[@]}"; do [ "$(inst_version "$p" || true)" = "$VER" ] || OURS_TODO+=("$p"); done

say "ntsync $VER for kernel $KVER on ${PRETTY_NAME:-$ID}; the plan:"
CHANGES=0
if [ ${#MISSING[@]} != 0 ]; then
	say "  apt-get install ${MISSING[*]} (to build the packages and the module)"
	CHANGES=1
else
	say "  dependencies: all installed (${WANT[*]})"
fi
if [ ${#OURS_TODO[@]} != 0 ]; then
	say "  make deb in $HERE (as ${SUDO_USER:-root}), then apt-get install ntsync-dkms ntsync-tools"
	say "  ntsync-dev $VER from $DEBDIR (DKMS builds the module for every kernel with headers)"
	CHANGES=1
else
	say "  ntsync-dkms, ntsync-tools, ntsync-dev $VER: installed"
fi
if [ -n "$NO_LOAD" ]; then
	say "  Secure Boot and modprobe: skipped (NTSYNC_SETUP_NO_LOAD is set: no kernel to load into)"
else
	case $SB in
	on)  say "  Secure Boot is on: DKMS signs the module with $(mok_cert); if the firmware does"
	     say "  not know that key yet, mokutil --import it (asks for a one-time password) and"
	     say "  reboot to 'Enroll MOK' before the module can load" ;;
	unknown) say "  Secure Boot: cannot tell (EFI without mokutil or its variable)" ;;
	*)   say "  Secure Boot: off" ;;
	esac
	say "  modprobe ntsync (it also loads by itself at the first open of /dev/ntsync)"
fi
say "  then ntsync-check as ${SUDO_USER:-root}"
say "  (sudo tools/setup.sh --undo removes what is ours and lists what it leaves)"
if [ "$CHANGES" = 0 ]; then
	say "nothing to change: everything is in place"
fi
[ -z "$DRY" ] || exit 0
[ "$(id -u)" = 0 ] || die "run it as root: sudo $0"

if [ "$CHANGES" = 1 ] && [ -z "$YES" ]; then
	[ -t 0 ] || die "not asked on a terminal: run it with --yes to go ahead without asking"
	read -r -p "setup: go ahead? [y/N] " ans
	case $ans in [yY]*) ;; *) say "stopped; nothing was changed"; exit 1 ;; esac
fi

# --- doing it -------------------------------------------------------------------------------

export DEBIAN_FRONTEND=noninteractive
if [ ${#MISSING[@]} != 0 ]; then
	apt-get install -y --no-install-recommends "${MISSING[@]}"
	for p in "${MISSING[@]}"; do state_add "added $p"; done
fi
[ -f "/lib/modules/$KVER/build/Makefile" ] ||
	die "linux-headers-$KVER is installed but /lib/modules/$KVER/build is not a kernel build tree"

if [ ${#OURS_TODO[@]} != 0 ]; then
	# (as the user who called sudo: build/ in their clone stays theirs)
	if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
		runuser -u "$SUDO_USER" -- make -C "$HERE" deb
	else
		make -C "$HERE" deb
	fi
	apt-get install -y --no-install-recommends "${DEBS[@]}"
	state_add "built $DEBDIR"
fi
dkms status -m ntsync -k "$KVER" | grep -q installed ||
	die "DKMS did not install ntsync for $KVER: dkms status -m ntsync; /var/lib/dkms/ntsync/$VER/build/make.log"
say "DKMS: $(dkms status -m ntsync -k "$KVER")"

if [ -n "$NO_LOAD" ]; then
	say "Secure Boot and modprobe skipped (NTSYNC_SETUP_NO_LOAD)"
else
	if [ "$SB" = on ]; then
		cert=$(mok_cert)
		[ -e "$cert" ] || die "Secure Boot is on but DKMS made no signing key at $cert"
		if mokutil --test-key "$cert" 2>&1 | grep -q 'already enrolled'; then
			say "Secure Boot: $cert is enrolled"
		elif mokutil --list-new 2>/dev/null | grep -q .; then
			say "Secure Boot: a key is waiting to be enrolled: reboot, choose 'Enroll MOK' and"
			say "type the one-time password, then run this again"
			exit 1
		else
			say "Secure Boot: the firmware does not know $cert, which DKMS signs with;"
			say "importing it: choose a one-time password, which the reboot asks for"
			mokutil --import "$cert"
			state_add "mok-import $cert"
			say "now reboot, choose 'Enroll MOK' in the blue screen, type that password, and"
			say "run this again: the module cannot load before"
			exit 1
		fi
	fi
	if modprobe ntsync; then
		say "modprobe ntsync: $(grep -h . /sys/module/ntsync/version 2>/dev/null ||
			echo 'loaded (the kernel'"'"'s own?)')"
	else
		say "modprobe ntsync failed; ntsync-check says why"
	fi
fi

if [ "$CHANGES" = 0 ]; then say "nothing changed"; fi
say "ntsync-check as ${SUDO_USER:-root}:"
rc=0
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	runuser -u "$SUDO_USER" -- ntsync-check || rc=$?
else
	ntsync-check || rc=$?
fi
exit "$rc"
