#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-trace: the trace-cmd, perf and bpftrace one-liners of Documentation/ntsync.rst, run as
# written in a real Debian guest, and their output checked.
#
# The one-liners are the lines of the literal block between the ".. check-trace-begin" and
# ".. check-trace-end" comments of the docs: the docs are the only list, read by this lane.
# A root file system per lane (a Debian chroot of the lane's suite with its stock kernel and
# initramfs-tools initrd, the kernel's headers, trace-cmd, linux-perf and bpftrace, cached) gets
# this tree's module (built there), the workload tools/trace/ntsync-waits (also as "wineserver",
# and tools/trace/wine running it, the names the one-liners use) and tools/trace/guest-init, in a
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
	local lane=$1 root=$CACHE/chroots/trace-$1
	local stamp=$root/.ntsync-ok
	if [ -e "$stamp" ] && [ -z "$(find "$stamp" -mmin +1440)" ] && [ "${NTSYNC_REFRESH:-0}" != 1 ]; then
		return 0
	fi
	[ -x "$root/usr/bin/apt-get" ] || debian_root "$root" "$lane"
	rm -f "$stamp"
	root_install "$root" --upgrade "${ROOT_PKGS[@]}"
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
	local root=$CACHE/chroots/trace-$1 dir=$2 lib=$2/ovl/upper$GLIB doc
	echo "$root" >"$dir/root"
	stock_kernel "$root" "$dir"
	build_module "$dir"
	doc=${NTSYNC_TRACE_DOC:-$OUT/src/Documentation/ntsync.rst}
	oneliners "$doc" >"$dir/oneliners"
	[ -s "$dir/oneliners" ] || die "no one-liners between the check-trace comments of $doc"
	rm -rf "$dir/ovl"
	mkdir -p "$lib/bin"
	cp "$dir/ntsync.ko" "$dir/oneliners" "$OUT/src/tools/trace/expect" \
		"$OUT/src/tools/vm/guest-lib.sh" "$lib/"
	install -m 755 "$OUT/src/tools/trace/guest-init" "$lib/"
	modinfo -F srcversion "$dir/ntsync.ko" >"$lib/srcversion"
	install -m 755 "$OUT/bin/ntsync-waits" "$lib/bin/ntsync-waits"
	install -m 755 "$OUT/bin/ntsync-waits" "$lib/bin/wineserver"
	install -m 755 "$OUT/src/tools/trace/wine" "$lib/bin/wine"
	make_disk "$root" "$dir" trace-root 512
}

# parse_trace LANE DIR: each one-liner's output into DIR/oneliner-N.out, the tools' versions as
# TAP comments, and a result: the guest reported a check of every one-liner (a report lost on
# the way, e.g. to a full disk on the host, would otherwise go unnoticed).
parse_trace() {
	local n got
	rm -f "$2"/oneliner-*.out
	awk -v dir="$2" '
		/^@@out / { n = $2; sub(/^@@out [0-9]+ ?/, ""); print >(dir "/oneliner-" n ".out") }' \
		"$2/results.log"
	sed -n "s/^@@info /# $1: /p" "$2/results.log"
	n=$(wc -l <"$2/oneliners")
	got=$(grep -cE '^@@check (ok|fail) one-liner [0-9]+' "$2/results.log") || true
	if [ "$got" = "$n" ]; then
		result ok "$1: the guest reported each of the $n one-liners"
	else
		result fail "$1: the guest reported each of the $n one-liners (only $got)"
	fi
}

LOG=$OUT/prepare.log
lane_start
echo "TAP version 13"
step "host packages" "$OUT/packages.log" install_missing qemu-system-x86 debootstrap e2fsprogs \
	util-linux gcc libc6-dev make
failed && stop
step "scratch copy of the tree${NTSYNC_SRC:+ ($REPO)}" "$OUT/copy.log" copy_tree
failed && stop
step "the workload (tools/trace/ntsync-waits)" "$OUT/waits.log" \
	make -C "$OUT/src/tools/trace" OUTPUT="$OUT/bin"
failed && stop

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
guest_lock
for lane in "${ready[@]}"; do
	d=$OUT/$lane
	brc=0
	boot_disk "$d" 2G "$GLIB/guest-init" "with trace-cmd, perf and bpftrace (a few minutes)" || brc=$?
	parse_trace "$lane" "$d"
	parse_runs "$lane" "$d"
	guest_end "$lane" "$d" "$brc"
done
exec 9>&-
finish
