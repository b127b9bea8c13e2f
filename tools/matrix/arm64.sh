# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The arm64 lanes of make check-matrix (SUITE-arm64): sourced by tools/matrix/check.sh, never run.
#
# The module is built the way DKMS builds it on an arm64 machine: natively, by the suite's own
# arm64 gcc, in an arm64 chroot of the suite whose programs run under qemu-user emulation
# (qemu-user-static registered with binfmt_misc).  A cross compiler would be faster, but
# Debian's arm64 linux-headers hold arm64 programs (scripts/basic/fixdep, scripts/mod/modpost)
# that the build runs, the newer suites' compilers have no cross build in bookworm, and DKMS,
# dkms.conf and depmod would not be the ones an arm64 user runs.
# The test programs (static; they do not depend on the kernel's compiler) are cross-compiled in
# an amd64 bookworm chroot of their own, $CACHE/chroots/arm64-cross: Debian's cross compilers
# conflict with the host's gcc-multilib, which the amd64 lanes need.
# The guest is qemu-system-aarch64 -M virt -cpu max under TCG (tools/vm/lib.sh's boot).

ARM64_HOST_PKGS=(qemu-system-arm qemu-user-static binfmt-support)
ARM64_CROSS_PKGS=(make gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross
		  libc6-dev-armhf-cross)

# arm64_host: the host packages, and binfmt_misc mounted with qemu-aarch64 registered (a
# container may have neither: mounting binfmt_misc and registering are the host's to do).
arm64_host() {
	install_missing "${ARM64_HOST_PKGS[@]}"
	if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	fi
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
	grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
		die "binfmt_misc: qemu-aarch64 is not enabled"
	# (F: the interpreter is opened now, so that it works inside the chroots too)
	grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
		die "binfmt_misc: qemu-aarch64 lacks the F flag"
}

# arm64_cross_chroot: $CACHE/chroots/arm64-cross, bookworm for amd64 with the cross compilers;
# stamped and refreshed like tools/vm/lib.sh's setup_chroot.
arm64_cross_chroot() {
	local root=$CACHE/chroots/arm64-cross
	if fresh "$root/.ntsync-ok" && [ -x "$root/usr/bin/aarch64-linux-gnu-gcc" ] &&
	   [ -x "$root/usr/bin/arm-linux-gnueabihf-gcc" ]; then
		return 0
	fi
	[ -x "$root/usr/bin/apt-get" ] || debian_root "$root" bookworm
	rm -f "$root/.ntsync-ok"
	root_install "$root" "${ARM64_CROSS_PKGS[@]}"
	touch "$root/.ntsync-ok"
}

# arm64_programs: the suites for the arm64 guests, static, aarch64 and 32-bit arm (the _32
# programs: Debian's arm64 kernels have CONFIG_COMPAT and -cpu max has AArch32 at EL0), in
# $OUT/bin-arm64, and ntsync-smoke in $OUT/tools-arm64.
arm64_programs() {
	local ovl=$OUT/arm64-cross root=$CACHE/chroots/arm64-cross
	arm64_cross_chroot
	new_overlay "$ovl"
	cp -a "$(harness_dir)" "$ovl/xfer/harness"
	in_overlay "$root" "$ovl" make -C /xfer/src/tools/testing/selftests/drivers/ntsync \
		HARNESS_DIR=/xfer/harness OUTPUT=/xfer/bin CC_64=aarch64-linux-gnu-gcc \
		CC_32=arm-linux-gnueabihf-gcc
	in_overlay "$root" "$ovl" aarch64-linux-gnu-gcc -O2 -Wall -Wextra -Werror -static \
		-I/xfer/src/include/uapi -o /xfer/ntsync-smoke /xfer/src/tools/matrix/ntsync-smoke.c
	rm -rf "$OUT/bin-arm64" "$OUT/tools-arm64"
	mkdir -p "$OUT/tools-arm64"
	mv "$ovl/xfer/bin" "$OUT/bin-arm64"
	mv "$ovl/xfer/ntsync-smoke" "$OUT/tools-arm64/ntsync-smoke"
	rm -rf "$ovl"
	check_selftests "$OUT/bin-arm64"
	local b m
	for b in "$OUT/bin-arm64"/* "$OUT/tools-arm64"/*; do
		m=$(readelf -h "$b" | sed -n 's/^ *Machine: *//p')
		case $b:$m in
		*_32:ARM) ;;
		*_32:*) die "${b##*/} is built for $m, not ARM" ;;
		*:AArch64) ;;
		*) die "${b##*/} is built for $m, not AArch64" ;;
		esac
		echo "${b##*/}: $m"
	done
}

# arm64_image VMLINUZ DEST: the kernel as qemu-system-aarch64 -kernel boots it.  Debian's arm64
# vmlinuz is a plain Image in bookworm; an EFI zboot image ("MZ", then "zimg": the compressed
# Image at the offset and of the size in the next two little-endian words, its compression named
# at byte 24) is unpacked, since QEMU 7.2 cannot boot one, and so is a gzip'd Image.
arm64_image() {
	local src=$1 dst=$2 off size comp
	rm -f "$dst"
	if [ "$(head -c 8 "$src" | od -An -c | tr -d ' \n')" = 'MZ\0\0zimg' ]; then
		off=$(od -An -t u4 -j 8 -N 4 "$src" | tr -d ' ')
		size=$(od -An -t u4 -j 12 -N 4 "$src" | tr -d ' ')
		comp=$(head -c 32 "$src" | tail -c 8 | tr -d '\0')
		echo "$src: EFI zboot, $comp, $size bytes at $off"
		case $comp in
		gzip) tail -c +$((off + 1)) "$src" | head -c "$size" | gzip -dc >"$dst" ;;
		zstd) tail -c +$((off + 1)) "$src" | head -c "$size" | zstd -qdc >"$dst" ;;
		*) die "$src: EFI zboot compressed with $comp" ;;
		esac
	elif [ "$(head -c 2 "$src" | od -An -t x1 | tr -d ' \n')" = 1f8b ]; then
		echo "$src: gzip'd Image"
		gzip -dc "$src" >"$dst"
	else
		ln -s "$src" "$dst"
	fi
	od -An -c -j 56 -N 4 "$dst" | tr -d ' \n' | grep -qx 'ARMd' ||
		die "$dst is not an arm64 Image (no ARM\\x64 magic at byte 56)"
}
