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
# The same boot then runs the soak (tools/debug/wine-soak: Wine's tests in several prefixes at
# once, alternating ours and server-side, beside the fuzzer's stress mode and ntsync-top's fdinfo
# reads, NTSYNC_SOAK_SECONDS) and, on the KASAN kernel, Wine's tests under failslab
# (tools/debug/wine-failslab, NTSYNC_WINE_FAILSLAB: the per cent of the driver's
# allocations that fail, 0 for none).  A failure with
# ours, in the plain run or the soak, counts against us unless the same check also failed
# server-side in this boot (in the soak, under the same load, or in the plain run) or is an
# every-driver failure.
set -euo pipefail
dbg=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$dbg/../.." && pwd)/build/debug-wine}
SOAK_SECONDS=${NTSYNC_SOAK_SECONDS:-900}
SOAK_PREFIXES=${NTSYNC_SOAK_PREFIXES:-2}
FAILSLAB_PERCENT=${NTSYNC_WINE_FAILSLAB:-10}
# (the soak ends with the round it is in: a round takes up to a quarter of an hour under KASAN)
export NTSYNC_TIMEOUT=${NTSYNC_TIMEOUT:-$((2400 + SOAK_SECONDS + 1800))}
# The Wine lane's functions, without its run.
# shellcheck source=tools/wine/check.sh
NTSYNC_WINE_LIBRARY=1 . "$dbg/../wine/check.sh"
# shellcheck source=tools/debug/lib.sh
. "$dbg/lib.sh"

read -r -a LANES <<<"${NTSYNC_DEBUG_FLAVORS:-kasan kcsan}"
declare -A NTSYNC_REPORTS=()   # per kernel: the kernel log's reports that involve ntsync
SOAK_ROWS=() FAILSLAB_ROWS=()
# One boot per kernel runs both modes: Wine's timing checks fail alike in both on a slow kernel.
# NTSYNC_DEBUG_WINE_PLAIN=0 (CI's form) leaves out the plain run: the soak's rounds run the tests
# in both modes.
PLAIN=${NTSYNC_DEBUG_WINE_PLAIN:-1}
lane_modes() { [ "$PLAIN" = 0 ] || echo ours server; }

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
	cp "$OUT/bin/ntsync-fuzz" "$OUT/bin/ntsync-top" "$lib/"
	cp "$obj"/modules.order "$obj"/modules.builtin "$obj"/modules.builtin.modinfo "$up/tmp/kfiles/"
	cat >"$lib/config" <<-EOF
		MODES="$(lane_modes)"
		TESTS="$TESTS"
		TEST_TIMEOUT=$TEST_TIMEOUT
		BENCH_ROUNDS=0
		BENCH_SCALE=1
		END_HOOK=/usr/local/lib/ntsync-wine/wine-end
	EOF
	# The soak on each kernel, failslab on the KASAN one (kmemleak is on both).
	cat >>"$lib/config" <<-EOF
		SOAK_SECONDS=$SOAK_SECONDS
		SOAK_PREFIXES=$SOAK_PREFIXES
	EOF
	[ "$1" != kasan ] || echo "FAILSLAB_PERCENT=$FAILSLAB_PERCENT" >>"$lib/config"
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
	NTSYNC_REPORTS[$p]=$(grep -c . <<<"$ours" || true)
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

# soak_tools: the fuzzer and ntsync-top for the soak, static (the root's C library is older
# than the host's).
soak_tools() {
	make -C "$OUT/src/tools/fuzz" OUTPUT="$OUT/bin" "$OUT/bin/ntsync-fuzz"
	make -C "$OUT/src/tools/ntsync-top" OUTPUT="$OUT/bin" STATIC=1
}

# soak_value DIR KEY: the guest's "@@soak KEY VALUE" (0 if it never said).
soak_value() {
	local v
	v=$(sed -n "s/^@@soak $2 \([0-9]*\)\r*$/\1/p" "$1/results.log" | tail -n 1)
	echo "${v:-0}"
}
# runs DIR MODE: how many of Wine's tests ran in MODE.
runs() { grep -c "^@@wine-end $2 " "$1/results.log" || true; }

# failed_checks DIR MODE: how many of Wine's checks failed in MODE (its lines, not unique ones).
failed_checks() {
	awk -v m="$2" '$1 == "@@wine-begin" { on = ($2 == m) }
		on && $1 == "@@out" && /(Test failed|Test succeeded inside todo block)/ { n++ }
		END { print n + 0 }' "$1/results.log"
}
# summaries DIR MODE: the tests ("UNIT:TEST") that ran to Wine's summary in MODE at least once.
summaries() {
	awk -v m="$2" '$1 == "@@wine-begin" { cur = ($2 == m) ? $3 ":" $4 : ""; seen = 0; next }
		cur != "" && $1 == "@@out" && / tests executed / { seen = 1 }
		cur != "" && $1 == "@@wine-end" && seen && $5 != 124 && $5 != 137 { ok[cur] = 1 }
		END { for (t in ok) print t }' "$1/results.log"
}

# judge_soak FLAVOR DIR: the soak's rule and counts, and those of failslab (if they ran).
judge_soak() {
	local p=$1 dir=$2 ours server r t missing refs
	# (what excuses a failure with ours: server-side in this boot, the record, every driver)
	refs=("$dir/fails-soak-server" "$dir/fails-server" "$dir/recorded-server"
		"$OUT/every-driver-failures")
	ours=$(runs "$dir" soak-ours) server=$(runs "$dir" soak-server)
	if [ "$ours" != 0 ] || [ "$server" != 0 ]; then
		if [ "$ours" -gt 0 ] && [ "$server" -gt 0 ]; then r=ok; else r=fail; fi
		result $r "$p: soak: Wine's tests ran with ours ($ours runs) and server-side ($server runs)"
		missing=
		for t in $TESTS; do
			summaries "$dir" soak-ours | grep -qxF "$t" || missing+=" $t"
		done
		if [ -z "$missing" ]; then r=ok; else r=fail; fi
		result $r "$p: soak: every Wine test ran to its summary with ours at least once" \
			"${missing:+never:$missing}"
		subset "$p" "$dir" soak-ours "soak: every Wine failure with ours also failed server-side in this boot (soak or plain run) or on a debug kernel before (the record), or is an every-driver failure" \
			"${refs[@]}"
		by_record "$p" "$dir" soak-ours
		SOAK_ROWS+=("| $p | $SOAK_SECONDS s, $(soak_value "$dir" rounds) rounds, $SOAK_PREFIXES prefixes | $ours | $server | $(soak_value "$dir" fdinfo-reads) ($(soak_value "$dir" fdinfo-reads-wine-ours) of Wine's) | $(soak_value "$dir" fuzzer-calls) | ${NTSYNC_REPORTS[$p]:-no log} |")
	fi
	[ -e "$dir/fails-failslab" ] || return 0
	failslab_hangs "$p" "$dir" "${refs[@]}"
	failslab_crashes "$p" "$dir"
	subset "$p" "$dir" failslab-after "failslab: afterwards, the same prefix's failures all also fail server-side (this boot or the record) or with every driver" \
		"${refs[@]}"
	by_record "$p" "$dir" failslab-after
	FAILSLAB_ROWS+=("| $p | ${FAILSLAB_PERCENT}% | $(soak_value "$dir" failslab-enomem) | $(failed_checks "$dir" failslab) | $(failed_checks "$dir" failslab-after) | ${NTSYNC_REPORTS[$p]:-no log} |")
}

# failslab_hangs FLAVOR DIR REF...: every failslab run that its timeout ended (the guest's
# "@@failslab-hung MODE UNIT:TEST") is of a test that also hangs without ntsync: a REF holds
# "UNIT:TEST incomplete" (Wine's ntdll:sync hangs now and then in every mode under this load).
failslab_hangs() {
	local p=$1 dir=$2 m t bad='' n=0 r=ok
	shift 2
	while read -r m t; do
		n=$((n + 1))
		cat "$@" | grep -qxF "$t incomplete" || bad+=" $t ($m)"
	done < <(tr -d '\r' <"$dir/results.log" | sed -n 's/^@@failslab-hung \([^ ]*\) \([^ ]*\)$/\1 \2/p')
	[ -z "$bad" ] || r=fail
	result $r "$p: failslab: every test its timeout ended ($n) also hangs without ntsync (this boot, the record or every driver)" \
		"${bad:+only with ours:$bad}"
}

# failslab_crashes FLAVOR DIR: the wineservers that crashed in failslab's runs (the guest's
# "@@failslab-crash MODE UNIT:TEST LINE"), listed with their place in Wine's source for a fault
# the kernel reported (addr2line on the wineserver the root has); under injection a test's own
# wineserver may crash on one of Wine's error paths, without injection none may.
failslab_crashes() {
	local p=$1 dir=$2 m t line off where n=0 bad='' r=ok
	while read -r m t line; do
		where=
		off=$(sed -n 's/.* in wineserver\[\([0-9a-f]*\),.*/\1/p' <<<"$line")
		[ -z "$off" ] || where=" (in $(addr2line -f -e "$WINE_OUT/dest/usr/local/bin/wineserver" \
			"0x$off" 2>/dev/null | head -n 1)())"
		if [ "$m" = failslab ]; then
			n=$((n + 1))
			echo "# $p: failslab, $t: its wineserver crashed under injection (a Wine error path): $line$where"
		else
			bad+="$t ($m): $line$where"$'\n'
		fi
	done < <(tr -d '\r' <"$dir/results.log" | sed -n 's/^@@failslab-crash \(.*\)$/\1/p')
	[ -z "$bad" ] || r=fail
	result $r "$p: failslab: no wineserver crashed without injection ($n crash lines under injection, listed)" \
		"${bad%$'\n'}"
}

# The record: checks seen failing server-side on a debug kernel (tools/debug/wine-server-failures,
# "KERNEL UNIT:TEST FILE:LINE"), the runs' result file.  One boot's server-side runs are few, and
# a timing check that fails in every mode under this slowness shows up now in one mode, now in
# the other; a check the record holds has failed without ntsync on one of these kernels (both
# are slow the same way: KASAN and KCSAN under emulation) in an earlier boot.
# NTSYNC_WINE_RECORD=1 adds this run's server-side failures to it.
RECORD=$REPO/tools/debug/wine-server-failures
# recorded DIR: DIR/recorded-server, the record's checks.
recorded() {
	{ grep -v '^#' "$RECORD" || true; } | cut -d ' ' -f 2- | sort -u >"$1/recorded-server"
}
# by_record FLAVOR DIR MODE: the failures of MODE that only the record excuses, listed.
by_record() {
	[ -e "$2/fails-$3" ] || return 0
	sort -u "$2/fails-server" "$2/fails-soak-server" "$OUT/every-driver-failures" |
		comm -23 "$2/fails-$3" - | comm -12 - "$2/recorded-server" |
		sed "s|^|# $1, $3: excused only by the record (tools/debug/wine-server-failures): |"
}
# record FLAVOR DIR: this boot's server-side failures added to the record.
record() {
	local lines
	lines=$({ grep -v '^#' "$RECORD" || true
		sed "s/^/$1 /" "$2/fails-server" "$2/fails-soak-server"; } | sort -u)
	{
		grep '^#' "$RECORD" | grep -v '^# Last added to'
		echo "# Last added to by make check-debug-wine on $(date -u +%F) at $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)."
		printf '%s\n' "$lines"
	} >"$RECORD.new"
	mv "$RECORD.new" "$RECORD"
}

# table TITLE HEADER ROW...: the ROWs under HEADER as a Markdown table in comments; nothing
# without rows.
table() {
	local title=$1 header=$2 sep='|' i r
	shift 2
	[ "$#" -gt 0 ] || return 0
	for ((i = 1; i < $(tr -cd '|' <<<"$header" | wc -c); i++)); do sep+='---|'; done
	printf '#\n# %s\n# %s\n# %s\n' "$title" "$header" "$sep"
	for r; do echo "# $r"; done
}

soak_tables() {
	table "The soak: Wine's test runs per mode, fdinfo reads (descriptors read by ntsync-top --json), fuzzer calls, ntsync kernel reports" \
		"| kernel | soak | Wine runs, ours | Wine runs, server-side | fdinfo reads | fuzzer calls | ntsync reports |" \
		${SOAK_ROWS[@]+"${SOAK_ROWS[@]}"}
	table "Wine's tests under failslab: ENOMEMs injected, Wine check lines failed with and after injection, ntsync kernel reports (kmemleak's included)" \
		"| kernel | failslab | ENOMEMs | failed checks | failed checks after | ntsync reports |" \
		${FAILSLAB_ROWS[@]+"${FAILSLAB_ROWS[@]}"}
}

finish() {
	[ "$PLAIN" = 0 ] || three_way_table
	soak_tables
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
step "the fuzzer and ntsync-top, static, for the soak" "$OUT/tools.log" soak_tools
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
	touch "$d/fails-server" "$d/fails-soak-server"
	recorded "$d"
	judge_soak "$flavor" "$d"
	[ "${NTSYNC_WINE_RECORD:-0}" = 0 ] || record "$flavor" "$d"
	[ "$PLAIN" != 0 ] || continue
	RULE_DESC="every Wine test failure with ours also fails with server-side synchronization in this boot (its plain run or its soak) or on a debug kernel before (tools/debug/wine-server-failures), or with both ntsync drivers on 7.x (tools/wine/every-driver-failures)"
	rule "$flavor" "$d" "$d/fails-server" "$d/fails-soak-server" "$d/recorded-server" \
		"$OUT/every-driver-failures"
	by_record "$flavor" "$d" ours
done
exec 9>&-
finish
