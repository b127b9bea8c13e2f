#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-debug-wine: Wine's own tests on the debug kernels.  The KASAN and the KCSAN kernel of
# make check-debug (tools/debug/lib.sh, with tools/debug/wine.config for a disk root) boot the
# Wine lane's bookworm root (tools/wine/check.sh's wine_root) with the NTSYNC_DEBUG=1 module (the
# wake-invariant check on) as their module, without an initramfs, tools/wine/guest-init as PID 1.
# In one boot per kernel, Wine's tests run with ours and with server-side synchronization; the
# rule is the Wine lane's (every failure with ours also fails server-side there, or is one of
# tools/wine/every-driver-failures).  The kernel log, with a kmemleak scan at the end
# (tools/debug/wine-end), is split into reports (tools/debug/klog-reports.awk): one whose stack
# or subject involves ntsync fails; one elsewhere is listed.  Prints TAP, the table of Wine's
# results per kernel and mode, and "N passed, N failed".  Documentation/testing.rst describes it.
set -euo pipefail
dbg=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$dbg/../.." && pwd)/build/debug-wine}
export NTSYNC_TIMEOUT=${NTSYNC_TIMEOUT:-2400}
# The Wine lane's functions, without its run.
# shellcheck source=tools/wine/check.sh
NTSYNC_WINE_LIBRARY=1 . "$dbg/../wine/check.sh"
# shellcheck source=tools/debug/lib.sh
. "$dbg/lib.sh"

read -r -a LANES <<<"${NTSYNC_DEBUG_FLAVORS:-kasan kcsan}"
# One boot per kernel runs both modes: Wine's timing checks fail alike in both on a slow kernel.
lane_modes() { echo ours server; }

# debug_wine_image FLAVOR DIR: DIR/disk.img, the Wine lane's bookworm root with DIR/ntsync-debug.ko
# installed as the debug kernel's module (tools/debug/wine-root-setup) and guest-init's config;
# DIR/vmlinuz is the debug kernel (prepare_debug), and there is no DIR/initrd.
debug_wine_image() {
	local dir=$2 root=$CACHE/chroots/wine-bookworm obj up=$2/ovl/upper
	local lib=$up/usr/local/lib/ntsync-wine
	obj=$(cat "$dir/kdir")
	rm -rf "$dir/ovl"
	mkdir -p "$lib" "$up/tmp/kfiles"
	cp -a "$OUT/src" "$up/tmp/ntsync-src"
	cp "$dir/ntsync-debug.ko" "$up/tmp/"
	cp "$obj"/modules.order "$obj"/modules.builtin "$obj"/modules.builtin.modinfo "$up/tmp/kfiles/"
	cat >"$lib/config" <<-EOF
		MODES="$(lane_modes)"
		TESTS="$TESTS"
		TEST_TIMEOUT=$TEST_TIMEOUT
		BENCH_ROUNDS=0
		BENCH_SCALE=1
		END_HOOK=/usr/local/lib/ntsync-wine/wine-end
	EOF
	make_disk "$root" "$dir" wine-root 1536 bash /tmp/ntsync-src/tools/debug/wine-root-setup \
		/tmp/ntsync-src "$(cat "$dir/abi")" /tmp/ntsync-debug.ko /tmp/kfiles
}

# klog_reports DIR: the reports of the guest's kernel log, from where guest-init loaded the
# module on, and of kmemleak's scan, as klog-reports.awk prints them; their text in
# DIR/reports.txt.  (The root's dmesg colours its output on the serial port: the colours go.)
klog_reports() {
	local r=$1/results.log
	{
		sed -n '/^@@dmesg-begin/,/^@@dmesg-end/p' "$r" | sed 's/\x1b\[[0-9;]*m//g' |
			sed -n '/ntsync-lane: loading the module/,$p'
		sed -n '/^@@kmemleak-begin/,/^@@kmemleak-end/{/^@@/d; s/^/  /; s/^  unreferenced object/kmemleak: unreferenced object/; p}' "$r"
	} | awk -v bad="$KLOG_BAD" -v blocks="$1/reports.txt" -f "$dbg/klog-reports.awk"
}

# judge_klog FLAVOR DIR: no report involves ntsync; the others listed.
judge_klog() {
	local p=$1 dir=$2 reps ours others t
	: >"$dir/reports.txt"
	if ! grep -q '^@@dmesg-end' "$dir/results.log"; then
		result fail "$p: kernel log: no report involves ntsync (no kernel log from the guest)"
		return
	fi
	reps=$(klog_reports "$dir")
	ours=$(grep '^ntsync' <<<"$reps" | cut -f 2- || true)
	others=$(grep '^other' <<<"$reps" | cut -f 2- || true)
	if [ -z "$ours" ]; then
		result ok "$p: kernel log: no report involves ntsync ($(grep -c . <<<"$others" || true) elsewhere)"
	else
		result fail "$p: kernel log: no report involves ntsync" "$ours
--- in full ($dir/reports.txt):
$(awk '/^@@report ntsync / { on = 1; n++ } /^@@report other / { on = 0 } on && n <= 3' \
	"$dir/reports.txt" | head -n 120)"
	fi
	[ -z "$others" ] || while IFS= read -r t; do
		echo "# $p: a report elsewhere (listed, not failed): $t"
	done <<<"$others"
}

finish() {
	three_way_table
	tap_end
}

# --- the run -----------------------------------------------------------------------------------

LOG=$OUT/prepare.log
lane_start
mkdir -p "$DEBUG_CACHE"
exec 8>"$DEBUG_CACHE/lock"
flock -n 8 || { say "waiting for the other run that holds $DEBUG_CACHE/lock"; flock 8; }
lane_begin qemu-system-x86 debootstrap e2fsprogs xz-utils util-linux flex bison bc libelf-dev \
	libssl-dev
step "Wine built against our linux/ntsync.h (HAVE_LINUX_NTSYNC_H)" "$OUT/wine.log" wine_built
failed && stop
WINE_OUT=$CACHE/wine/$(wine_key)
step "bookworm: the Wine lane's root with Wine" "$OUT/root.log" wine_root bookworm
failed && stop

ready=()
for flavor in "${LANES[@]}"; do
	d=$OUT/$flavor
	rm -rf "$d"
	mkdir -p "$d"
	step "$flavor: debug kernel (tinyconfig + debug.config + wine.config + $flavor.config)" \
		"$d/prepare.log" prepare_debug "$flavor" "$d"
	failed && continue
	step "$flavor: build the modules against it, with and without NTSYNC_DEBUG=1" "$d/module.log" \
		build_modules "$d"
	failed && continue
	step "$flavor: disk image, the NTSYNC_DEBUG=1 module as the kernel's" "$d/image.log" \
		debug_wine_image "$flavor" "$d"
	failed && continue
	ready+=("$flavor")
done

guest_lock
for flavor in "${ready[@]}"; do
	d=$OUT/$flavor
	brc=0
	boot_disk "$d" 3G /usr/local/lib/ntsync-wine/guest-init "with Wine (about 12 minutes)" || brc=$?
	parse_runs "$flavor" "$d"
	parse_wine "$flavor" "$d"
	guest_finished "$flavor" "$d" "$brc"
	judge_klog "$flavor" "$d"
	grep -v '^#' "$REPO/tools/wine/every-driver-failures" >"$OUT/every-driver-failures"
	touch "$d/fails-server"
	RULE_DESC="every Wine test failure with ours also fails with server-side synchronization in this boot or with both ntsync drivers on 7.x (tools/wine/every-driver-failures)"
	rule "$flavor" "$d" "$d/fails-server" "$OUT/every-driver-failures"
done
exec 9>&-
finish
