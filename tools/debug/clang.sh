# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The clang kernel of the matrix's "clang" lane: the debug lane's linux-source (tools/debug/lib.sh),
# tinyconfig plus tools/debug/clang.config, built with LLVM=1 inside a bookworm chroot that has
# clang, lld, llvm and dkms -- the chroot the module is then built in, by hand at W=1 and through
# DKMS, so that both see the kernel's own compiler.  Cached, keyed like the debug kernels (the
# source, the fragment and the compiler).  Sourced after tools/vm/lib.sh and tools/debug/lib.sh
# by tools/matrix/check.sh, never run.
#
# Bookworm's clang is 14.0.6; Linux 6.12 needs LLVM 13.0.1 or newer (scripts/min-tool-version.sh).

CLANG_PKGS=(make clang lld llvm flex bison bc libelf-dev libssl-dev kmod dkms)
CLANG_ROOT=$CACHE/chroots/clang
CLANG_FRAG=$DEBUG_DIR/clang.config

# clang_chroot: $CLANG_ROOT, a copy of the bookworm lane's chroot with CLANG_PKGS.  Rebuilt when
# its stamp is missing or with NTSYNC_REFRESH=1.
clang_chroot() {
	local stamp=$CLANG_ROOT/.ntsync-ok
	[ ! -e "$stamp" ] || [ "${NTSYNC_REFRESH:-0}" = 1 ] || return 0
	setup_chroot bookworm
	say "clang: the bookworm chroot with ${CLANG_PKGS[*]}"
	rm -rf "$CLANG_ROOT" "$CLANG_ROOT.tmp"
	cp -a "$CACHE/chroots/bookworm" "$CLANG_ROOT.tmp"
	rm -f "$CLANG_ROOT.tmp/.ntsync-ok"
	root_install "$CLANG_ROOT.tmp" "${CLANG_PKGS[@]}"
	mv "$CLANG_ROOT.tmp" "$CLANG_ROOT"
	touch "$stamp"
}

# clang_kernel: build (or reuse) the kernel in the chroot; prints its build tree's path inside the
# chroot (/usr/src/NAME-clang), which holds arch/x86/boot/bzImage, vmlinux and Module.symvers.
clang_kernel() {
	local tarball src name ksrc obj id start r=$CLANG_ROOT f
	# The debug lane's source, in a cache directory of its own (tools/debug/lib.sh's functions
	# read DEBUG_CACHE): no lock shared with make check-debug, which holds its own while it waits
	# for the guests' lock that the matrix holds.  Its tarball, once complete, is reused.
	local DEBUG_CACHE=$CACHE/clang
	mkdir -p "$DEBUG_CACHE/sources"
	for f in "$CACHE"/debug/sources/linux-source-*.tar.xz; do
		if [ -e "$f" ] && [ ! -e "$DEBUG_CACHE/sources/${f##*/}" ]; then
			ln "$f" "$DEBUG_CACHE/sources/" 2>/dev/null || cp "$f" "$DEBUG_CACHE/sources/"
		fi
	done
	clang_chroot
	tarball=$(debug_source)
	[ -n "$tarball" ] || die "no linux-source tarball (install linux-source)"
	src=$(extract_source "$tarball")
	name=$(basename "$src")
	ksrc=/usr/src/$name
	obj=/usr/src/$name-clang
	id=$( { echo "$name"; cat "$CLANG_FRAG"; in_root "$r" clang --version | head -n 1; } |
	      sha256sum | cut -c1-16)
	if [ -s "$r$obj/arch/x86/boot/bzImage" ] && [ -s "$r$obj/Module.symvers" ] &&
	   [ "$(cat "$r$obj/.ntsync-ok" 2>/dev/null)" = "$id" ]; then
		echo "$obj"
		return 0
	fi
	start=$(date +%s)
	say "clang: building the kernel from $name with LLVM=1 (10-20 minutes)"
	# (hard links: the build writes only under O=, and the source tree is never changed)
	if [ "$(cat "$r$ksrc/.ntsync-ok" 2>/dev/null)" != "$(cat "$src/.ntsync-ok")" ]; then
		rm -rf "$r$ksrc"
		cp -al "$src" "$r$ksrc"
	fi
	rm -rf "$r$obj"
	mkdir -p "$r$obj"
	cp "$CLANG_FRAG" "$r$obj/ntsync-clang.config"
	quiet in_root "$r" make -C "$ksrc" O="$obj" LLVM=1 tinyconfig
	quiet in_root "$r" "$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
		"$obj/ntsync-clang.config"
	quiet in_root "$r" make -C "$ksrc" O="$obj" LLVM=1 olddefconfig
	if ! check_config "$r$obj/.config" "$CLANG_FRAG" >"$r$obj/config-check.log"; then
		cat "$r$obj/config-check.log" >&2
		die "the clang kernel's .config lacks options asked for (see above)"
	fi
	quiet in_root "$r" make -C "$ksrc" O="$obj" LLVM=1 -j"$JOBS" all
	[ -s "$r$obj/arch/x86/boot/bzImage" ] || die "no bzImage after the build"
	echo "$(( $(date +%s) - start ))" >"$r$obj/build-seconds"
	say "clang: built the kernel in $(cat "$r$obj/build-seconds") s"
	echo "$id" >"$r$obj/.ntsync-ok"
	echo "$obj"
}

# clang_prepare LANE DIR: what matrix_prepare does for a Debian kernel, for the clang kernel:
# DIR/root (the chroot), DIR/abi, DIR/vmlinuz, DIR/cc, DIR/kdir (for the W=1 build), and
# DIR/make-args (LLVM=1, for that build).  $CACHE/kernels/ABI/modules/ABI gets the kernel's part
# of a module tree (modules.order, modules.builtin*, its own modules) and a build link to the tree
# in the chroot, as linux-headers would install it, for DKMS.
clang_prepare() {
	local dir=$2 obj abi kd r=$CLANG_ROOT cc v
	obj=$(clang_kernel)
	abi=$(cat "$r$obj/include/config/kernel.release")
	kd=$CACHE/kernels/$abi
	if [ "$(cat "$kd/modules.ok" 2>/dev/null)" != "$(cat "$r$obj/.ntsync-ok")" ]; then
		rm -rf "$kd" "$r/tmp/ntsync-mods"
		mkdir -p "$kd/modules"
		quiet in_root "$r" make -C "$obj" LLVM=1 INSTALL_MOD_PATH=/tmp/ntsync-mods \
			DEPMOD=/bin/true modules_install
		mv "$r/tmp/ntsync-mods/lib/modules/$abi" "$kd/modules/$abi"
		rm -rf "$r/tmp/ntsync-mods"
		ln -sfn "$obj" "$kd/modules/$abi/build"
		cp "$r$obj/arch/x86/boot/bzImage" "$kd/vmlinuz"
		cat "$r$obj/.ntsync-ok" >"$kd/modules.ok"
	fi
	echo "$r" >"$dir/root"
	echo "$abi" >"$dir/abi"
	echo "$obj" >"$dir/kdir"
	echo LLVM=1 >"$dir/make-args"
	ln -sfn "$kd/vmlinuz" "$dir/vmlinuz"
	# The kernel's compiler must be the chroot's: what the module is built with.
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"/\1/p' "$r$obj/.config")
	[ "$cc" = "$(in_root "$r" clang --version | head -n 1)" ] ||
		die "the kernel was built by '$cc', the chroot has $(in_root "$r" clang --version | head -n 1)"
	v=${cc#*clang version }
	echo "clang-${v%%.*}" >"$dir/cc"
	echo "clang kernel $abi: $cc, built in $(cat "$r$obj/build-seconds") s"
}

# clang_module_check DIR: DKMS built the module it installed (DIR/ntsync.ko) with the kernel's
# LLVM toolchain: its make command (in DIR/dkms.log, the log of the matrix's DKMS step) has
# LLVM=1, and the module's .comment names clang and no GCC.  (A module, a relocatable link, has no
# "Linker:" line to check, even in the kernel's own tree.)
clang_module_check() {
	local comment cmd
	cmd=$(grep -E '^make .* M=/var/lib/dkms/ntsync/[^ ]*/build' "$1/dkms.log" | sed 's/\.\.\.*$//')
	printf 'the make command of DKMS:\n%s\n' "${cmd:-(not found in $1/dkms.log)}"
	[ -n "$cmd" ] || die "no DKMS make command in $1/dkms.log"
	case " $cmd " in
	*" LLVM=1 "*) ;;
	*) die "DKMS built the module without LLVM=1" ;;
	esac
	comment=$(readelf -p .comment "$1/ntsync.ko" | sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | sort -u)
	printf '.comment of the DKMS-built ntsync.ko:\n%s\n' "$comment"
	if echo "$comment" | grep -q GCC; then
		die "DKMS compiled ntsync.ko with gcc"
	fi
	echo "$comment" | grep -q 'clang version' || die "no clang in ntsync.ko's .comment"
}
