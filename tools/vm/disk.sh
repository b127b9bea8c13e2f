# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
# The disk-image guests of the Wine and trace lanes: a Debian root with its stock kernel, written
# out as an ext4 image with this run's files, booted by that kernel's own initrd.  Sourced after
# tools/vm/lib.sh, never run.

# disk_root ROOT SUITE KEY FINISH PKG...: ROOT, a Debian SUITE root with PKG..., upgraded, then
# finished by the command FINISH ROOT (":" for nothing); its stamp ROOT/.ntsync-ok, written last,
# holds KEY.  Left alone while the stamp holds KEY and is younger than a day.
disk_root() {
	local root=$1 suite=$2 key=$3 finish=$4 stamp=$1/.ntsync-ok
	shift 4
	! fresh "$stamp" || [ "$(cat "$stamp")" != "$key" ] || return 0
	[ -x "$root/usr/bin/apt-get" ] || debian_root "$root" "$suite"
	say "$(basename "$root"): installing and upgrading its packages"
	rm -f "$stamp"
	root_install "$root" --upgrade "$@"
	"$finish" "$root"
	echo "$key" >"$stamp"
}

# stock_kernel ROOT DIR: DIR/vmlinuz and DIR/initrd, the kernel and initramfs-tools initrd that
# ROOT's linux-image-amd64 installed, and DIR/abi, its ABI name.
stock_kernel() {
	local root=$1 dir=$2 abi f
	abi=$(kernel_abi "$root")
	[ -n "$abi" ] || die "cannot resolve linux-headers-amd64 in $root"
	echo "$abi" >"$dir/abi"
	for f in "$root/boot/vmlinuz-$abi" "$root/usr/lib/modules/$abi/vmlinuz" ""; do
		[ -z "$f" ] || [ ! -s "$f" ] || break
	done
	[ -n "$f" ] || die "no vmlinuz of $abi in $root"
	cp "$f" "$dir/vmlinuz"
	[ -s "$root/boot/initrd.img-$abi" ] || die "no initrd.img-$abi in $root/boot"
	cp "$root/boot/initrd.img-$abi" "$dir/initrd"
}

# make_disk ROOT DIR LABEL MB [CMD...]: DIR/disk.img, an ext4 image (LABEL, MB free) of ROOT
# overlaid with DIR/ovl/upper (which the caller filled), after CMD ran in it (tools/vm/make-disk).
# The cached ROOT is left as it was.
make_disk() {
	local root=$1 ovl=$2/ovl img=$2/disk.img
	shift 2
	mkdir -p "$ovl/upper" "$ovl/work" "$ovl/merged"
	rm -f "$img"
	unshare -m -- "$VMDIR/make-disk" "$root" "$ovl" "$img" "$@"
	rm -rf "$ovl"
}

# boot_disk DIR MEM INIT WHAT [APPEND]: boot (mode check) DIR/vmlinuz and DIR/initrd with MEM of
# memory and DIR/disk.img as the root, INIT its PID 1, APPEND more kernel arguments; say how long
# it ran.  The status is boot's.
# shellcheck disable=SC2034  # (BOOT_*: boot's settings, tools/vm/lib.sh)
boot_disk() {
	local BOOT_MEM=$2 BOOT_APPEND="root=/dev/vda rw init=$3${5:+ $5}" t0=$SECONDS rc=0
	local BOOT_QEMU=(-drive "file=$1/disk.img,format=raw,if=virtio,cache=unsafe")
	say "$(basename "$1"): booting $(cat "$1/abi") $4"
	boot "$1" check || rc=$?
	echo "# $(basename "$1"): the guest ran $((SECONDS - t0)) s"
	return "$rc"
}

# boot_lanes MEM INIT WHAT LANE...: each lane's guest booted from $OUT/LANE (boot_disk), one
# after the other under the guest lock, and its report (parse_runs, the lane's own
# parse_guest LANE DIR, guest_end).
boot_lanes() {
	local mem=$1 init=$2 what=$3 lane brc
	shift 3
	guest_lock
	for lane; do
		brc=0
		boot_disk "$OUT/$lane" "$mem" "$init" "$what" || brc=$?
		parse_runs "$lane" "$OUT/$lane"
		parse_guest "$lane" "$OUT/$lane"
		guest_end "$lane" "$OUT/$lane" "$brc"
	done
	exec 9>&-
}
