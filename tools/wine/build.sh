#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Builds Wine (the tarball in NTSYNC_WINE_TARBALL, by default ../shared/wine/wine-11.10-tkg.tar.xz
# next to the repository) in a Debian 12 (bookworm) chroot against this tree's
# include/uapi/linux/ntsync.h, and installs it into the cache:
#
#   $CACHE/wine/KEY/dest      make install-lib DESTDIR (Wine under usr/local)
#   $CACHE/wine/KEY/tests     ntdll_test.exe, kernel32_test.exe from the same build tree
#   $CACHE/wine/KEY/ok        written last; holds the build's time in seconds
#
# KEY is the sha256 of the tarball, the header, build-wine and wine-modules (which decide how
# Wine is configured and built): a warm run reuses the build.  Then the builds that cannot use
# ntsync (wine_servers, below: $CACHE/wine/servers-KEY).  Prints the directories $CACHE/wine/KEY
# and $CACHE/wine/servers-KEY last.  Sourceable (wine_build, wine_servers; after tools/vm/lib.sh)
# or runnable.
set -euo pipefail
WINE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/vm/lib.sh
[ -n "${VMDIR:-}" ] || . "$WINE_DIR/../vm/lib.sh"

WINE_TARBALL=${NTSYNC_WINE_TARBALL:-$(cd "$WINE_DIR/../../.." && pwd)/shared/wine/wine-11.10-tkg.tar.xz}
# What the chroot that builds Wine has besides minbase.
WINE_BUILD_PKGS=(build-essential gcc-mingw-w64-x86-64 bison flex gettext pkg-config)
# The test programs taken from the build tree.
WINE_TESTS=(ntdll kernel32)

# wine_key: sha256 over what decides the build.
wine_key() {
	[ -f "$WINE_TARBALL" ] || die "no Wine tarball at $WINE_TARBALL (NTSYNC_WINE_TARBALL)"
	cat "$WINE_TARBALL" "$REPO/include/uapi/linux/ntsync.h" "$WINE_DIR/build-wine" \
		"$WINE_DIR/wine-modules" |
		sha256sum | cut -c1-16
}

# wine_build_root: $CACHE/chroots/wine-build, a bookworm chroot with WINE_BUILD_PKGS.  Not the
# matrix's bookworm chroot: the lanes refresh that one daily, this one must stay as it is.
wine_build_root() {
	local root=$CACHE/chroots/wine-build
	[ -e "$root/.ntsync-ok" ] && return 0
	say "debootstrap bookworm for the Wine build (a few minutes)"
	rm -rf "$root"
	mkdir -p "$(dirname "$root")"
	quiet debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)"
	chroot_sources bookworm >"$root/etc/apt/sources.list.d/ntsync.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	quiet in_root "$root" apt-get update
	quiet in_root "$root" apt-get install -y --no-install-recommends "${WINE_BUILD_PKGS[@]}"
	quiet in_root "$root" apt-get clean
	touch "$root/.ntsync-ok"
}

# wine_build: the cached build for this tree's key, built if missing.  Sets WINE_OUT.
wine_build() {
	local key root=$CACHE/chroots/wine-build b t0 t
	key=$(wine_key)
	WINE_OUT=$CACHE/wine/$key
	[ -e "$WINE_OUT/ok" ] && return 0
	wine_build_root
	b=$root/build/$key
	mkdir -p "$b/include/linux"
	cp "$REPO/include/uapi/linux/ntsync.h" "$b/include/linux/ntsync.h"
	cp "$WINE_DIR/build-wine" "$WINE_DIR/wine-modules" "$b/"
	if [ ! -d "$b/src" ]; then
		say "unpacking $(basename "$WINE_TARBALL")"
		rm -rf "$b/src.tmp"
		mkdir -p "$b/src.tmp"
		tar -xJf "$WINE_TARBALL" -C "$b/src.tmp" --strip-components=1
		mv "$b/src.tmp" "$b/src"
	fi
	say "building Wine in $b (5 to 20 minutes on 2 cores)"
	t0=$SECONDS
	in_root "$root" bash "/build/$key/build-wine" "/build/$key" "$(nproc)"
	t=$((SECONDS - t0))
	rm -rf "$WINE_OUT.tmp"
	mkdir -p "$WINE_OUT.tmp/tests"
	mv "$b/dest" "$WINE_OUT.tmp/dest"
	for p in "${WINE_TESTS[@]}"; do
		cp "$b/obj/dlls/$p/tests/x86_64-windows/${p}_test.exe" "$WINE_OUT.tmp/tests/"
	done
	cp "$b/obj/include/config.h" "$WINE_OUT.tmp/config.h"
	echo "$t" >"$WINE_OUT.tmp/ok"
	rm -rf "$WINE_OUT"
	mv "$WINE_OUT.tmp" "$WINE_OUT"
	# The build tree is large and no longer needed: the tests and the install are cached.
	rm -rf "$b"
	say "Wine built in $t s: $WINE_OUT"
}

# The Wine builds that cannot use ntsync (tools/wine/build-servers): the same source configured
# without linux/ntsync.h and with Debian 13's early header, only their servers built.  Cached as
#
#   $CACHE/wine/servers-KEY/{none,early}/bin/wineserver, .../config.h
#   $CACHE/wine/servers-KEY/early/header   which linux-libc-dev the early header came from
#   $CACHE/wine/servers-KEY/ok             written last; the build's time in seconds
#
# KEY: the sha256 of the tarball and build-servers.  The early header is taken at build time from
# Debian 13's linux-libc-dev (apt-get download, with the mirror of the host's apt): the
# repository holds no copy of it.
EARLY_SUITE=trixie
servers_key() {
	cat "$WINE_TARBALL" "$WINE_DIR/build-servers" | sha256sum | cut -c1-16
}

# early_header DIR: linux/ntsync.h of $EARLY_SUITE's linux-libc-dev into DIR/include/linux, the
# package's name and version into DIR/header.  In the Wine build chroot, with apt's lists of
# that suite alone kept apart from the chroot's own.
early_header() {
	local out=$1 root=$CACHE/chroots/wine-build a=/tmp/early-apt h deb
	local -a aptopt=(-o "Dir::Etc::SourceList=$a/sources.list" -o "Dir::Etc::SourceParts=$a/none"
		      -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o Acquire::Languages=none)
	rm -rf "$root$a"
	mkdir -p "$root$a/lists/partial" "$root$a/cache/archives/partial" "$root$a/none" "$root$a/deb"
	echo "deb $(debian_mirror) $EARLY_SUITE main" >"$root$a/sources.list"
	quiet in_root "$root" apt-get "${aptopt[@]}" update
	quiet in_root "$root" sh -c "cd $a/deb && apt-get ${aptopt[*]} download linux-libc-dev"
	in_root "$root" sh -c "dpkg-deb -x $a/deb/linux-libc-dev_*.deb $a/x"
	h=$(cd "$root$a/x" && find usr/include -path '*/linux/ntsync.h' | head -n 1)
	[ -n "$h" ] || die "$EARLY_SUITE's linux-libc-dev has no linux/ntsync.h"
	mkdir -p "$out/include/linux"
	cp "$root$a/x/$h" "$out/include/linux/ntsync.h"
	deb=$(echo "$root$a"/deb/linux-libc-dev_*.deb)
	echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version) ($EARLY_SUITE), /$h" >"$out/header"
	rm -rf "${root:?}$a"
}

# wine_servers: the cached builds for this key, built if missing (after wine_build: the full
# build's wineserver shows the test of the machine code can find ntsync code).  Sets SERVERS_OUT.
wine_servers() {
	local key root=$CACHE/chroots/wine-build b t0 t
	key=$(servers_key)
	SERVERS_OUT=$CACHE/wine/servers-$key
	[ -e "$SERVERS_OUT/ok" ] && return 0
	wine_build_root
	b=$root/build/servers-$key
	rm -rf "$b"
	mkdir -p "$b/src"
	t0=$SECONDS
	early_header "$b/early"
	cp "$WINE_OUT/dest/usr/local/bin/wineserver" "$b/full-wineserver"
	cp "$WINE_DIR/build-servers" "$b/"
	tar -xJf "$WINE_TARBALL" -C "$b/src" --strip-components=1
	say "building Wine's server without linux/ntsync.h and with the early one ($(cat "$b/early/header"))"
	in_root "$root" bash "/build/servers-$key/build-servers" "/build/servers-$key"
	t=$((SECONDS - t0))
	rm -rf "$SERVERS_OUT.tmp"
	mv "$b/out" "$SERVERS_OUT.tmp"
	cp "$b/early/header" "$SERVERS_OUT.tmp/early/header"
	echo "$t" >"$SERVERS_OUT.tmp/ok"
	rm -rf "$SERVERS_OUT"
	mv "$SERVERS_OUT.tmp" "$SERVERS_OUT"
	rm -rf "$b"
	say "Wine's server built twice in $t s (the early header included): $SERVERS_OUT"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
	exec 4>&1
	mkdir -p "$OUT" "$CACHE"
	LOG=$OUT/wine-build.log
	: >"$LOG"
	wine_build
	wine_servers
	echo "$WINE_OUT"
	echo "$SERVERS_OUT"
fi
