# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The debug lane's kernels: Debian's newest linux-source, configured as tinyconfig plus
# debug.config plus wine.config plus FLAVOR.config (kasan or kcsan), built with the host's gcc and
# cached; and the modules built against them.  Sourced after tools/vm/lib.sh, never run (by
# tools/debug/check.sh and tools/debug/wine-check.sh).
#
#   NTSYNC_DEBUG_SUITE  where linux-source comes from: a Debian suite reachable through the host's
#                       mirror (default bookworm-backports: 6.12), or "host" for the newest
#                       /usr/src/linux-source-*.tar.xz of the host's own apt (bookworm: 6.1).
#                       The host's apt configuration is never changed: the suite is read with a
#                       private apt state under the cache.  If it cannot be read, the host's wins.
#   NTSYNC_JOBS         make -j for the kernel builds (default 2)

DEBUG_DIR=$REPO/tools/debug
DEBUG_CACHE=$CACHE/debug
DEBUG_SUITE=${NTSYNC_DEBUG_SUITE:-bookworm-backports}
JOBS=${NTSYNC_JOBS:-2}

# apt-get/apt-cache options that read only DEBUG_SUITE, with their state in the cache.
apt_private_opts() {
	local a=$DEBUG_CACHE/apt
	printf '%s\n' -o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache" -o APT::Sandbox::User=root
}

# Fetch linux-source of DEBUG_SUITE into $DEBUG_CACHE/sources (unless it is already there and
# younger than a day).  Fails quietly: the host's tarball is the fallback.
fetch_suite_source() {
	local a=$DEBUG_CACHE/apt src=$DEBUG_CACHE/sources pkg deb stamp=$DEBUG_CACHE/sources/.fetched
	local -a o
	! fresh "$stamp" || return 0
	mapfile -t o < <(apt_private_opts)
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$src"
	echo "deb $(debian_mirror) $DEBUG_SUITE main" >"$a/sources.list"
	quiet apt-get "${o[@]}" update || return 1
	pkg=$(apt-cache "${o[@]}" show --no-all-versions linux-source 2>>"$LOG" |
	      sed -n 's/^Depends:.*\(linux-source-[0-9][0-9.]*\).*/\1/p' | head -n 1)
	[ -n "$pkg" ] || return 1
	if [ ! -s "$src/$pkg.tar.xz" ]; then
		say "downloading $pkg from $DEBUG_SUITE"
		rm -rf "$a/dl"
		mkdir -p "$a/dl"
		(cd "$a/dl" && quiet apt-get "${o[@]}" download "$pkg") || return 1
		deb=$(ls "$a/dl"/*.deb)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -O "./usr/src/$pkg.tar.xz" >"$src/$pkg.tar.xz.tmp"
		mv "$src/$pkg.tar.xz.tmp" "$src/$pkg.tar.xz"
		rm -rf "$a/dl"
	fi
	touch "$stamp"
}

# The newest linux-source tarball we have: the suite's or the host's.
debug_source() {
	if [ "$DEBUG_SUITE" != host ] && ! fetch_suite_source; then
		say "cannot fetch linux-source from $DEBUG_SUITE; using the host's"
	fi
	printf '%s\n' /usr/src/linux-source-*.tar.xz "$DEBUG_CACHE"/sources/linux-source-*.tar.xz |
		grep -v '\*' | awk -F/ '{ print $NF "\t" $0 }' | sort -V | tail -n 1 | cut -f 2
}

# extract_source TARBALL: the kernel tree under $DEBUG_CACHE/src/, without anything named
# ntsync (clean-room rule: the Linux tree's driver, selftest and docs are never even on disk).
extract_source() {
	local tarball=$1 name dir
	name=$(basename "$tarball" .tar.xz)
	dir=$DEBUG_CACHE/src/$name
	if [ ! -e "$dir/.ntsync-ok" ] || [ "$(cat "$dir/.ntsync-ok")" != "$(stat -c %s-%Y "$tarball")" ]; then
		say "extracting $name (a minute)"
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		tar -xJf "$tarball" -C "$dir.tmp" --strip-components=1 \
			--exclude='*/ntsync*' --exclude='*ntsync*'
		stat -c %s-%Y "$tarball" >"$dir.tmp/.ntsync-ok"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# check_config CONFIG FRAGMENT...: every "CONFIG_X=v" of the fragments is in CONFIG, and no
# "# CONFIG_X is not set" is set there.  Prints what is missing; fails if anything is.
check_config() {
	local config=$1 frag line sym bad=0
	shift
	for frag; do
		while IFS= read -r line; do
			case $line in
			CONFIG_*=*)
				grep -qxF -- "$line" "$config" && continue
				sym=${line%%=*}
				echo "missing: $line (have: $(grep -E "^(# )?${sym}[= ]" "$config" || echo nothing))"
				bad=1 ;;
			"# CONFIG_"*" is not set")
				sym=${line#"# "}
				sym=${sym%% *}
				grep -qE "^$sym=" "$config" || continue
				echo "should be off: $(grep -E "^$sym=" "$config")"
				bad=1 ;;
			esac
		done <"$frag"
	done
	return $bad
}

# debug_kernel FLAVOR: build (or reuse) the FLAVOR debug kernel; prints its build directory,
# which holds arch/x86/boot/bzImage and is what modules are built against (make -C DIR M=...).
# The stamp names the source, the fragments and the compiler: a change to any rebuilds -- from
# scratch for another source or compiler, incrementally (make's own dependencies) otherwise.
debug_kernel() {
	local flavor=$1 tarball src name obj id start frags base
	tarball=$(debug_source)
	[ -n "$tarball" ] || die "no linux-source tarball (install linux-source)"
	src=$(extract_source "$tarball")
	name=$(basename "$src")
	obj=$DEBUG_CACHE/build/$name-$flavor
	frags=("$DEBUG_DIR/debug.config" "$DEBUG_DIR/wine.config" "$DEBUG_DIR/$flavor.config")
	id=$( { echo "$name"; cat "${frags[@]}"; gcc --version | head -n 1; } | sha256sum | cut -c1-16)
	if [ -s "$obj/arch/x86/boot/bzImage" ] && [ -s "$obj/Module.symvers" ] &&
	   [ "$(cat "$obj/.ntsync-ok" 2>/dev/null)" = "$id" ]; then
		echo "$obj"
		return 0
	fi
	start=$(date +%s)
	base=$( { echo "$name"; gcc --version | head -n 1; } | sha256sum | cut -c1-16)
	if [ "$(cat "$obj/.ntsync-base" 2>/dev/null)" = "$base" ]; then
		say "updating the $flavor debug kernel from $name"
	else
		say "building the $flavor debug kernel from $name (5-20 minutes)"
		rm -rf "$obj"
		mkdir -p "$obj"
		echo "$base" >"$obj/.ntsync-base"
	fi
	rm -f "$obj/.ntsync-ok"
	quiet make -C "$src" O="$obj" tinyconfig
	quiet "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}"
	quiet make -C "$src" O="$obj" olddefconfig
	if ! check_config "$obj/.config" "${frags[@]}" >"$obj/config-check.log"; then
		cat "$obj/config-check.log" >&2
		die "the $flavor kernel's .config lacks options asked for (see above)"
	fi
	quiet make -C "$src" O="$obj" -j"$JOBS" all
	[ -s "$obj/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
	echo "$(( $(date +%s) - start ))" >"$obj/build-seconds"
	say "built the $flavor kernel in $(cat "$obj/build-seconds") s"
	echo "$id" >"$obj/.ntsync-ok"
	echo "$obj"
}

# build_modules DIR: DIR/ntsync.ko as make, DKMS and the .deb build it, which must hold no test
# code even on this kernel with KUnit, and DIR/ntsync-debug.ko with NTSYNC_DEBUG=1 (the KUnit
# suite and the wake-invariant check), which every step after the first runs.
build_modules() {
	local dir=$1 deps
	build_module "$dir" NTSYNC_DEBUG=1
	mv "$dir/ntsync.ko" "$dir/ntsync-debug.ko"
	strings "$dir/ntsync-debug.ko" | grep 'wake invariant' >/dev/null ||
		die "the NTSYNC_DEBUG=1 build has no wake-invariant check"
	build_module "$dir"
	deps=$(modinfo -F depends "$dir/ntsync.ko")
	case ,$deps, in *,kunit,*) die "the module users get depends on kunit ($deps)" ;; esac
	if strings "$dir/ntsync.ko" | grep -E 'kunit|wake invariant'; then
		die "the module users get holds test code"
	fi
	echo "; the module users get: depends '${deps}', no KUnit or invariant check" >"$dir/module.log.note"
}

# prepare_debug FLAVOR DIR: the debug kernel, in the shape build_module and boot expect.
prepare_debug() {
	local flavor=$1 dir=$2 obj start
	start=$(date +%s)
	obj=$(debug_kernel "$flavor")
	echo / >"$dir/root"
	cat "$obj/include/config/kernel.release" >"$dir/abi"
	echo "$obj" >"$dir/kdir"
	ln -sfn "$obj/arch/x86/boot/bzImage" "$dir/vmlinuz"
	if [ "$(stat -c %Y "$obj/build-seconds")" -ge "$start" ]; then
		echo " ($(cat "$dir/abi"), built in $(cat "$obj/build-seconds") s)" >"$dir/prepare.log.note"
	else
		echo " ($(cat "$dir/abi"), cached)" >"$dir/prepare.log.note"
	fi
}
