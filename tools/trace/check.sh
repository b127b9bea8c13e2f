#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-trace: the trace-cmd, perf and bpftrace one-liners of Documentation/ntsync.rst (the
# literal block between its check-trace comments), run as written in a Debian guest with the
# suite's stock kernel and tools, this tree's module and a workload, their output checked against
# tools/trace/expect (tools/trace/guest-init).  Prints TAP and "N passed, N failed".
# Documentation/testing.rst describes the lane and its settings.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$here/../.." && pwd)/build/trace}
export NTSYNC_TIMEOUT=${NTSYNC_TIMEOUT:-1500}
# shellcheck source=tools/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=tools/vm/disk.sh
. "$here/../vm/disk.sh"
[ -z "${NTSYNC_SRC:-}" ] || REPO=$(cd "$NTSYNC_SRC" && pwd)

read -r -a LANES <<<"${NTSYNC_TRACE_LANES:-bookworm sid}"
ROOT_PKGS=(linux-image-amd64 linux-headers-amd64 initramfs-tools kmod procps make
	   trace-cmd linux-perf bpftrace)
GLIB=/usr/local/lib/ntsync-trace

# trace_root LANE: $CACHE/chroots/trace-LANE, a LANE root with ROOT_PKGS; updated once a day.
trace_root() { disk_root "$CACHE/chroots/trace-$1" "$1" "" : "${ROOT_PKGS[@]}"; }

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

# parse_guest LANE DIR (for boot_lanes): each one-liner's output into DIR/oneliner-N.out, and a result: the guest
# reported a check of every one-liner (a report lost on the way, e.g. to a full disk on the host,
# would otherwise go unnoticed).
parse_guest() {
	local n got
	rm -f "$2"/oneliner-*.out
	awk -v dir="$2" '
		/^@@out / { n = $2; sub(/^@@out [0-9]+ ?/, ""); print >(dir "/oneliner-" n ".out") }' \
		"$2/results.log"
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
lane_begin qemu-system-x86 debootstrap e2fsprogs util-linux gcc libc6-dev make
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

boot_lanes 2G "$GLIB/guest-init" "with trace-cmd, perf and bpftrace (a few minutes)" "${ready[@]}"
finish
