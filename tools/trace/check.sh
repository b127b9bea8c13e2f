#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2317  # (functions run through step look unreachable)
# make check-trace: the trace-cmd, perf and bpftrace one-liners of Documentation/ntsync.rst, run as
# written in a real Debian guest, and their output checked.
#
# The one-liners are the lines of the literal block between the ".. check-trace-begin" and
# ".. check-trace-end" comments of the docs: the docs are the only list, read by this lane.
# A root file system per lane (a Debian chroot of the lane's suite with its stock kernel and
# initramfs-tools initrd, the kernel's headers, trace-cmd, linux-perf and bpftrace, cached) gets
# this tree's module (built there), the workload tools/trace/ntsync-waits (also as "wineserver",
# and a "wine" script running it, the names the one-liners use) and tools/trace/guest-init, in a
# throw-away overlay written out as an ext4 disk image; QEMU (TCG, 2 vCPUs) boots the stock
# kernel with it.  The guest runs each line with bash and checks its output against
# tools/trace/expect.  Prints TAP and "N passed, N failed" last; non-zero on any failure, kernel
# warning or a guest that never ended.
#
#   NTSYNC_TRACE_LANES   suites (default "bookworm sid": Debian 12's 6.1 and sid's 7.x kernel, each
#                        with the trace-cmd, perf and bpftrace of its release); a guest runs
#                        about 10 minutes under TCG, most of it the lines that run until
#                        interrupted (bpftrace compiles its program with LLVM, slowly there)
#   NTSYNC_SRC           tree to test instead of this one (e.g. a copy with a planted bug)
#   NTSYNC_TRACE_DOC     the docs to take the one-liners from (default the tree's
#                        Documentation/ntsync.rst)
#   and tools/vm/lib.sh's NTSYNC_CACHE, NTSYNC_OUT (default build/trace here), NTSYNC_TIMEOUT
#   (default 1500 here), NTSYNC_REFRESH.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$here/../.." && pwd)/build/trace}
export NTSYNC_TIMEOUT=${NTSYNC_TIMEOUT:-1500}
# shellcheck source=tools/vm/lib.sh
. "$here/../vm/lib.sh"
[ -z "${NTSYNC_SRC:-}" ] || REPO=$(cd "$NTSYNC_SRC" && pwd)

read -r -a LANES <<<"${NTSYNC_TRACE_LANES:-bookworm sid}"
ROOT_PKGS=(linux-image-amd64 linux-headers-amd64 initramfs-tools kmod procps make
	   trace-cmd linux-perf bpftrace)
GLIB=/usr/local/lib/ntsync-trace

# trace_root LANE: $CACHE/chroots/trace-LANE, a LANE chroot with ROOT_PKGS; updated once a day.
trace_root() {
	local lane=$1 root=$CACHE/chroots/trace-$1 stamp
	stamp=$root/.ntsync-ok
	if [ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ] && [ "${NTSYNC_REFRESH:-0}" != 1 ]; then
		return 0
	fi
	if [ ! -x "$root/usr/bin/apt-get" ]; then
		say "$lane: debootstrap and the stock kernel, trace-cmd, perf, bpftrace (a few minutes)"
		rm -rf "$root"
		mkdir -p "$(dirname "$root")"
		quiet debootstrap --variant=minbase "$lane" "$root" "$(debian_mirror)"
	fi
	rm -f "$stamp"
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99ntsync"
	chroot_sources "$lane" >"$root/etc/apt/sources.list.d/ntsync.list"
	cp /etc/resolv.conf "$root/etc/resolv.conf"
	quiet in_root "$root" apt-get update
	quiet in_root "$root" apt-get dist-upgrade -y --no-install-recommends
	quiet in_root "$root" apt-get install -y --no-install-recommends "${ROOT_PKGS[@]}"
	quiet in_root "$root" apt-get autoremove -y --purge
	quiet in_root "$root" apt-get clean
	touch "$stamp"
}

# oneliners DOC: the lines of the literal block (after the first "::") between the check-trace
# comments, unindented.
oneliners() {
	awk '/^\.\. check-trace-begin/ { on = 1; next }
	     on == 1 && /::$/ { on = 2; next }
	     /^\.\. check-trace-end/ { on = 0 }
	     on == 2 && /^   [^ ]/ { sub(/^   /, ""); print }' "$1"
}

# trace_image LANE DIR: DIR/disk.img (the root, this tree's module built there, the workload, the
# one-liners and the guest's scripts), DIR/vmlinuz, DIR/initrd, DIR/abi.
trace_image() {
	local lane=$1 dir=$2 root=$CACHE/chroots/trace-$1 ovl=$2/ovl abi f lib doc
	abi=$(kernel_abi "$root")
	[ -n "$abi" ] || die "cannot resolve linux-headers-amd64 in $root"
	echo "$abi" >"$dir/abi"
	echo "$root" >"$dir/root"
	for f in "$root/boot/vmlinuz-$abi" "$root/usr/lib/modules/$abi/vmlinuz" ""; do
		[ -z "$f" ] || [ ! -s "$f" ] || break
	done
	[ -n "$f" ] || die "no vmlinuz of $abi in $root"
	cp "$f" "$dir/vmlinuz"
	[ -s "$root/boot/initrd.img-$abi" ] || die "no initrd.img-$abi in $root/boot"
	cp "$root/boot/initrd.img-$abi" "$dir/initrd"
	build_module "$dir"
	doc=${NTSYNC_TRACE_DOC:-$OUT/src/Documentation/ntsync.rst}
	oneliners "$doc" >"$dir/oneliners"
	[ -s "$dir/oneliners" ] || die "no one-liners between the check-trace comments of $doc"
	rm -rf "$ovl"
	mkdir -p "$ovl/upper" "$ovl/work" "$ovl/merged"
	lib=$ovl/upper$GLIB
	mkdir -p "$lib/bin"
	cp "$dir/ntsync.ko" "$dir/oneliners" "$OUT/src/tools/trace/expect" "$lib/"
	install -m 755 "$OUT/src/tools/trace/guest-init" "$lib/"
	modinfo -F srcversion "$dir/ntsync.ko" >"$lib/srcversion"
	install -m 755 "$OUT/bin/ntsync-waits" "$lib/bin/ntsync-waits"
	install -m 755 "$OUT/bin/ntsync-waits" "$lib/bin/wineserver"
	printf '#!/bin/sh\n# The "wine" of the one-liners: ntsync-waits for 3 seconds.\nexec %s/bin/ntsync-waits 3\n' \
		"$GLIB" >"$lib/bin/wine"
	chmod 755 "$lib/bin/wine"
	rm -f "$dir/disk.img"
	# shellcheck disable=SC2016  # (expanded by the inner shell)
	unshare -m -- sh -ec '
		root=$1 ovl=$2 img=$3 m=$2/merged
		mount -t overlay overlay -o "lowerdir=$root,upperdir=$ovl/upper,workdir=$ovl/work" "$m"
		size=$(($(du -sm -x "$m" | cut -f1) * 11 / 10 + 512))
		mkfs.ext4 -q -F -L trace-root -d "$m" "$img" "${size}M"
		echo "disk image: $img, ${size} MB"' sh "$root" "$ovl" "$dir/disk.img"
	rm -rf "$ovl"
}

# parse_trace LANE DIR: each one-liner's output into DIR/oneliner-N.out, the tools' versions as
# TAP comments.
parse_trace() {
	rm -f "$2"/oneliner-*.out
	awk -v dir="$2" '
		/^@@out / { n = $2; sub(/^@@out [0-9]+ ?/, ""); print >(dir "/oneliner-" n ".out") }' \
		"$2/results.log"
	sed -n "s/^@@info /# $1: /p" "$2/results.log"
}

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, debootstrap, chroot, mount)"
exec 4>&1
mkdir -p "$CACHE" "$OUT"
LOG=$OUT/prepare.log
: >"$LOG"
echo "TAP version 13"
step "host packages" "$OUT/packages.log" install_missing qemu-system-x86 debootstrap e2fsprogs \
	util-linux gcc libc6-dev make
failed && tap_finish
step "scratch copy of the tree${NTSYNC_SRC:+ ($REPO)}" "$OUT/copy.log" copy_tree
failed && tap_finish
step "the workload (tools/trace/ntsync-waits)" "$OUT/waits.log" \
	make -C "$OUT/src/tools/trace" OUTPUT="$OUT/bin"
failed && tap_finish

ready=()
for lane in "${LANES[@]}"; do
	d=$OUT/$lane
	rm -rf "$d"
	mkdir -p "$d"
	step "$lane: root with the stock kernel, trace-cmd, perf and bpftrace" "$d/root.log" trace_root "$lane"
	failed && continue
	step "$lane: disk image with this tree's module and the docs' one-liners" "$d/image.log" \
		trace_image "$lane" "$d"
	failed && continue
	sed "s/^/# $lane: one-liner: /" "$d/oneliners"
	ready+=("$lane")
done

# Only the guests hold the lock that serialises the lanes' QEMU runs.
setup_start
BOOT_MEM=2G
BOOT_APPEND="root=/dev/vda rw init=$GLIB/guest-init"
for lane in "${ready[@]}"; do
	d=$OUT/$lane
	BOOT_QEMU=(-drive "file=$d/disk.img,format=raw,if=virtio,cache=unsafe")
	say "$lane: booting $(cat "$d/abi") with trace-cmd, perf and bpftrace (a few minutes)"
	t0=$SECONDS
	brc=0
	boot "$d" check || brc=$?
	echo "# $lane: the guest ran $((SECONDS - t0)) s"
	parse_trace "$lane" "$d"
	parse_runs "$lane" "$d"
	guest_end "$lane" "$d" "$brc" "$REPORT_DONE"
done
exec 9>&-
tap_finish
