#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# make check-wine: a real Wine on /dev/ntsync, judged by Wine's own conformance tests.  Wine
# (tools/wine/build.sh, cached) goes into a Debian root per lane with the suite's stock kernel;
# this tree's module is installed there through DKMS, in an overlay written out as a disk image
# that QEMU boots with the distribution's init (systemd), which starts the lane's unit
# (tools/wine/ntsync-wine.service).  The guest (tools/wine/guest-init) checks the module's load on
# the first open after that boot (tools/wine/guest-realboot), then runs Wine's tests with ours, with
# server-side synchronization and, on 7.x, with the kernel's ntsync, then wine-bench.  The rule:
# every failure with ours also fails with the kernel's ntsync (7.x), or with server-side
# synchronization or both drivers on 7.x (6.1).  The same image then boots again for each of
# BOOTS: make install, tools/setup.sh, the .deb, each installed by the boot before.  Prints TAP,
# the three-way table, the benchmark table and "N passed, N failed".  Documentation/testing.rst
# describes the lane and its settings.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export NTSYNC_OUT=${NTSYNC_OUT:-$(cd "$here/../.." && pwd)/build/wine}
export NTSYNC_TIMEOUT=${NTSYNC_TIMEOUT:-3600}
# shellcheck source=tools/vm/lib.sh
. "$here/../vm/lib.sh"
# shellcheck source=tools/vm/disk.sh
. "$here/../vm/disk.sh"
# shellcheck source=tools/wine/build.sh
. "$here/build.sh"
[ -z "${NTSYNC_SRC:-}" ] || REPO=$(cd "$NTSYNC_SRC" && pwd)

read -r -a LANES <<<"${NTSYNC_WINE_LANES:-bookworm sid}"
# (spaces or commas between them)
TESTS=${NTSYNC_WINE_TESTS:-ntdll:sync ntdll:om kernel32:sync kernel32:thread}
TESTS=${TESTS//,/ }
BENCH_ROUNDS=${NTSYNC_WINE_BENCH_ROUNDS:-5}
BENCH_SCALE=${NTSYNC_WINE_BENCH_SCALE:-1}
TEST_TIMEOUT=${NTSYNC_WINE_TEST_TIMEOUT:-900}
# What a lane's root has besides minbase: the stock kernel with its initramfs, DKMS and what it
# needs, the distribution's init (systemd, udev), a C library's headers for make install's tools,
# and what Wine's tests and the guest's checks use.
ROOT_PKGS=(linux-image-amd64 linux-headers-amd64 initramfs-tools dkms make kmod procps
	   systemd-sysv udev gcc libc6-dev)
# The boots after the first, each after the previous one installed its install path
# (tools/wine/guest-realboot): make install, tools/setup.sh (none of ours installed), the .deb.
read -r -a BOOTS <<<"${NTSYNC_WINE_BOOTS-install setup deb}"
declare -A SUMMARY=()   # SUMMARY[lane,mode,unit:test]: Wine's summary of a test, shortened

lane_modes() {
	case $1 in
	bookworm) echo ours server ;;
	*)        echo ours kernel server ;;
	esac
}
# The modes of LANE in the tables' order: without ntsync, ours, the kernel's.
table_modes() {
	local m
	for m in server ours kernel; do
		case " $(lane_modes "$1") " in *" $m "*) echo "$m" ;; esac
	done
}
mode_name() {
	case $1 in
	ours)   echo "ours" ;;
	kernel) echo "kernel's ntsync" ;;
	server) echo "server-side" ;;
	*)      echo "$1" ;;
	esac
}

# --- the lane's root: Debian with its stock kernel, DKMS and Wine -------------------------------

# wine_root LANE: $CACHE/chroots/wine-LANE, a LANE chroot with ROOT_PKGS, the user wine and the
# cached Wine build.  Its stamp holds the Wine build's key and a digest of ROOT_PKGS; it is
# updated once a day (a new kernel comes with a new initrd) and whenever either changes.
wine_root() {
	local key
	key=$(wine_key)-$(echo "${ROOT_PKGS[*]}" | md5sum | cut -c 1-8)
	disk_root "$CACHE/chroots/wine-$1" "$1" "$key" wine_finish "${ROOT_PKGS[@]}"
}
# wine_finish ROOT (disk_root's last step): the user wine and the Wine build in the root.
wine_finish() {
	local root=$1
	in_root "$root" id wine >/dev/null 2>&1 ||
		quiet in_root "$root" useradd -m -u 1000 -s /bin/bash wine
	# Wine, as its make install-lib put it under /usr/local, and its tests.
	rm -rf "${root:?}/usr/local"
	mkdir -p "$root/usr/local/lib/ntsync-wine"
	cp -a "$WINE_OUT/dest/usr/local/." "$root/usr/local/"
	cp -a "$WINE_OUT/tests" "$root/usr/local/lib/ntsync-wine/tests"
}

# wine_image LANE DIR: DIR/disk.img (the root with our module installed through DKMS, the
# guest's scripts and wine-bench.exe), DIR/vmlinuz and DIR/initrd (the root's stock kernel and
# initramfs), DIR/abi.
wine_image() {
	local lane=$1 dir=$2 root=$CACHE/chroots/wine-$1 lib=$2/ovl/upper/usr/local/lib/ntsync-wine
	stock_kernel "$root" "$dir"
	rm -rf "$dir/ovl"
	mkdir -p "$lib" "$dir/ovl/upper/tmp"
	cp -a "$OUT/src" "$dir/ovl/upper/tmp/ntsync-src"
	cp "$OUT/bin/wine-bench.exe" "$lib/"
	cp "$OUT/bin/ntsync-check" "$lib/"
	# The Wine builds that cannot use ntsync (wine-none, wine-early: a wineserver each, which
	# finds Wine's data under /usr/local/share) and the stand-in, for check_phase: in /opt, out
	# of the way of the check's --wine /usr/local.
	local b dst=$dir/ovl/upper/opt/ntsync-lane
	for b in none early; do
		[ ! -e "$SERVERS_OUT/$b/bin/wineserver" ] ||
			install -D -m 755 "$SERVERS_OUT/$b/bin/wineserver" "$dst/wine-$b/bin/wineserver"
	done
	install -D -m 755 "$OUT/bin/ntsync-check-standin-string" "$dst/wine-standin/bin/wineserver"
	install -D -m 755 "$OUT/bin/ntsync-check-standin-string" \
		"$dst/wine-standin/lib/wine/x86_64-unix/ntdll.so"
	cat >"$lib/config" <<-EOF
		MODES="$(lane_modes "$lane")"
		TESTS="$TESTS"
		TEST_TIMEOUT=$TEST_TIMEOUT
		BENCH_ROUNDS=$BENCH_ROUNDS
		BENCH_SCALE=$BENCH_SCALE
	EOF
	# Room for the prefixes the guest makes (a prepared one and its copies), about 200 MB each.
	make_disk "$root" "$dir" wine-root 1536 bash /tmp/ntsync-src/tools/wine/root-setup \
		/tmp/ntsync-src "$(cat "$dir/abi")"
}

# build_bench: $OUT/bin/wine-bench.exe with the Wine build chroot's mingw compiler.
build_bench() {
	local root=$CACHE/chroots/wine-build
	mkdir -p "$root/tmp/wine-bench" "$OUT/bin"
	cp "$OUT/src/tools/bench/wine-bench.c" "$root/tmp/wine-bench/"
	in_root "$root" x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror \
		-o /tmp/wine-bench/wine-bench.exe /tmp/wine-bench/wine-bench.c
	cp "$root/tmp/wine-bench/wine-bench.exe" "$OUT/bin/"
	rm -rf "$root/tmp/wine-bench"
}

# wine_built: the cached Wine build (tools/wine/build.sh), built if missing.
wine_built() {
	local t
	wine_build
	t=$(cat "$WINE_OUT/ok")
	echo " ($WINE_OUT, a build of $t s)" >"$OUT/wine.log.note"
}

# servers_built: the cached builds of tools/wine/build-servers, built if missing.
servers_built() {
	wine_servers
	grep -h '' "$SERVERS_OUT/early/header"
	echo " ($SERVERS_OUT, a build of $(cat "$SERVERS_OUT/ok") s)" >"$OUT/servers.log.note"
}

# --- the guest's report ------------------------------------------------------------------------

# parse_wine LANE DIR: each test's output into DIR/MODE-UNIT-TEST.log, Wine's summary of it into
# SUMMARY, and every failure as "UNIT:TEST FILE:LINE" (or "UNIT:TEST incomplete") into
# DIR/fails-MODE; the modes' ntsync evidence as TAP comments.
parse_wine() {
	local lane=$1 dir=$2 line m unit test rc secs log sum from
	local -a w
	local -A seen=()   # the logs begun in this parse: a test run again is added to its log
	rm -f "$dir"/fails-* "$dir"/*-*-*.log
	while IFS= read -r line; do
		case $line in
		"@@wine-begin "*)
			read -r -a w <<<"$line"
			m=${w[1]} unit=${w[2]} test=${w[3]}
			log=$dir/$m-$unit-$test.log
			[ -n "${seen[$log]:-}" ] || : >"$log"
			seen[$log]=1
			from=$(($(wc -l <"$log") + 1))   # this run's first line in it
			touch "$dir/fails-$m" ;;
		"@@out "*)
			printf '%s\n' "${line#@@out }" >>"$log" ;;
		"@@wine-end "*)
			read -r -a w <<<"$line"
			rc=${w[4]} secs=${w[5]}
			sum=$(tail -n +"$from" "$log" | sed -nE "s/^[0-9a-f]+:$test:[0-9.]* ([0-9]+) tests executed \(([0-9]+) marked as todo, ([0-9]+) as flaky, ([0-9]+) failures?\), ([0-9]+) skipped\.$/\1 \2 \3 \4 \5/p" | tail -n 1)
			tail -n +"$from" "$log" |
				sed -nE 's/^([A-Za-z0-9_]+\.c):([0-9]+):[0-9.]* (Test failed|Test succeeded inside todo block).*/\1:\2/p' | sed "s/^/$unit:$test /" >>"$dir/fails-$m"
			# A test the guest's timeout killed never finished, whatever summary lines
			# its output holds (those of the child processes it starts, e.g.).
			if [ -z "$sum" ] || [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
				echo "$unit:$test incomplete" >>"$dir/fails-$m"
				SUMMARY[$lane,$m,$unit:$test]="no summary (status $rc)"
			else
				read -r -a w <<<"$sum"
				SUMMARY[$lane,$m,$unit:$test]="${w[0]} run, ${w[3]} failed, ${w[1]} todo, ${w[4]} skipped"
			fi
			echo "# $lane, $(mode_name "$m"): $unit $test: $(tail -n +"$from" "$log" | grep -E "^[0-9a-f]+:$test:.* tests executed" | tail -n 1 || echo "no summary") (status $rc, $secs s)" ;;
		"@@proof "*)
			read -r -a w <<<"$line"
			echo "# $lane, $(mode_name "${w[1]}"): ${w[*]:2}" ;;
		esac
	done <"$dir/results.log"
	for f in "$dir"/fails-*; do
		[ -e "$f" ] && sort -u -o "$f" "$f"
	done
	return 0
}

# parse_guest LANE DIR (after the main boot): the tests' report, the benchmark's lines into
# DIR/bench.txt.
parse_guest() {
	parse_wine "$@"
	grep '^@@bench ' "$2/results.log" | cut -d' ' -f2- >"$2/bench.txt" || true
}

# first_failure DIR MODE KEY: the first failure message of KEY ("UNIT:TEST FILE:LINE") in its log.
first_failure() {
	local unit test fl
	unit=${3%%:*} test=${3#*:}
	fl=${test#* } test=${test%% *}
	grep -m 1 -F "$fl:" "$1/$2-$unit-$test.log" 2>/dev/null || echo "$3"
}

# rule LANE DIR REFERENCE-FILE... (description in RULE_DESC): the failures with ours that none
# of the references has.
rule() {
	local lane=$1 dir=$2 t missing
	shift 2
	if [ ! -e "$dir/fails-ours" ]; then
		result fail "$lane: $RULE_DESC (Wine's tests did not run with ours)"
		return
	fi
	# A test that never printed Wine's summary with ours proves nothing, even where the
	# references lack it too (a Wine that cannot start fails every mode alike).
	missing=
	for t in $TESTS; do
		case ${SUMMARY[$lane,ours,$t]:-no summary} in
		"no summary"*) missing+=" $t" ;;
		esac
	done
	if [ -n "$missing" ]; then
		result fail "$lane: every Wine test ran to its summary with ours" "no summary:$missing"
	else
		result ok "$lane: every Wine test ran to its summary with ours"
	fi
	subset "$lane" "$dir" ours "$RULE_DESC" "$@"
}

# subset LANE DIR MODE NAME REFERENCE...: every failure of MODE (DIR/fails-MODE) is in a
# REFERENCE (files of "UNIT:TEST FILE:LINE" lines; "UNIT:TEST incomplete" for a run that never
# finished); the others named with their first message.
subset() {
	local lane=$1 dir=$2 m=$3 name=$4 extra k
	shift 4
	if [ ! -e "$dir/fails-$m" ]; then
		result fail "$lane: $name (no test ran in mode $m)"
		return
	fi
	extra=$(sort -u "$@" | comm -23 "$dir/fails-$m" -)
	if [ -z "$extra" ]; then
		result ok "$lane: $name ($(wc -l <"$dir/fails-$m") failure lines with $m)"
	else
		result fail "$lane: $name" "$(while IFS= read -r k; do
			echo "only with $m: ${k%% *}: $(first_failure "$dir" "$m" "$k")"; done <<<"$extra")"
	fi
}

# --- the tables --------------------------------------------------------------------------------

three_way_table() {
	local lane m t row
	for lane in "${LANES[@]}"; do
		[ -e "$OUT/$lane/abi" ] || continue
		echo "#"
		echo "# Wine's tests on $lane ($(cat "$OUT/$lane/abi")): run, failed, todo, skipped as Wine counts them"
		row="# | test |"
		for m in $(table_modes "$lane"); do row+=" $(mode_name "$m") |"; done
		echo "$row"
		row="# |---|"
		for m in $(table_modes "$lane"); do row+="---|"; done
		echo "$row"
		for t in $TESTS; do
			row="# | ${t/:/ } |"
			for m in $(table_modes "$lane"); do row+=" ${SUMMARY[$lane,$m,$t]:-not run} |"; done
			echo "$row"
		done
		if [ -e "$OUT/$lane/fails-kernel" ] && [ -e "$OUT/$lane/fails-ours" ]; then
			comm -13 "$OUT/$lane/fails-ours" "$OUT/$lane/fails-kernel" |
				sed "s/^/# only with the kernel's ntsync on $lane: /"
		fi
		if [ -e "$OUT/$lane/fails-ours" ]; then
			for m in $(table_modes "$lane"); do
				[ "$m" = ours ] || [ ! -e "$OUT/$lane/fails-$m" ] || comm -12 "$OUT/$lane/fails-ours" "$OUT/$lane/fails-$m" |
					sed "s/^/# fails with ours and with $(mode_name "$m") on $lane: /"
			done
		fi
	done
}

# bench_table LANE: medians over the rounds of each case and mode, and the speed-ups of ours.
bench_table() {
	local lane=$1 f=$OUT/$1/bench.txt
	[ -s "$f" ] || return 0
	echo "#"
	echo "# wine-bench on $lane ($(cat "$OUT/$lane/abi")), QEMU TCG 2 vCPUs, one boot, $BENCH_ROUNDS rounds alternating the modes; median ns per operation"
	awk -v modes="$(table_modes "$lane" | tr '\n' ' ')" -f "$VMDIR/median.awk" \
		-f "$here/bench-table.awk" "$f"
	echo "# (ours vs X: X's time divided by ours, above 1 means ours is faster)"
}

finish() {
	local lane
	three_way_table
	for lane in "${LANES[@]}"; do bench_table "$lane"; done
	tap_end
}

# Library mode (NTSYNC_WINE_LIBRARY=1): sourced for the functions above, by
# tools/debug/wine-check.sh.
[ -z "${NTSYNC_WINE_LIBRARY:-}" ] || return 0

# --- the run -----------------------------------------------------------------------------------

LOG=$OUT/prepare.log
lane_start
lane_begin qemu-system-x86 debootstrap e2fsprogs xz-utils util-linux
# The long pole: 5 to 20 minutes on 2 cores when not cached.  No lock is held meanwhile.
step "Wine built against our linux/ntsync.h (HAVE_LINUX_NTSYNC_H)" "$OUT/wine.log" wine_built
failed && stop
WINE_OUT=$CACHE/wine/$(wine_key)
step "wine-bench.exe built with mingw-w64" "$OUT/bench-build.log" build_bench
bench_built=$STEP_RC
# The Wine builds that cannot use ntsync, beside this one in the guest: 1 to 3 minutes cold.
step "Wine's server built without linux/ntsync.h and with Debian 13's early one: no ntsync code in either" \
	"$OUT/servers.log" servers_built
SERVERS_OUT=$CACHE/wine/servers-$(servers_key)
# ntsync-check (static: it runs in each lane's root), asserted on this Wine as the user, and the
# stand-in that merely names /dev/ntsync, which --wine must not take for a Wine with ntsync.
step "ntsync-check and its stand-in Wine built (static)" "$OUT/check-build.log" \
	make -C "$OUT/src/tools/ntsync-check" OUTPUT="$OUT/bin" STATIC=1 "$OUT/bin/ntsync-check" \
	"$OUT/bin/ntsync-check-standin-string"
check_built=$STEP_RC

ready=()
for lane in "${LANES[@]}"; do
	d=$OUT/$lane
	rm -rf "$d"
	mkdir -p "$d"
	step "$lane: root with the stock kernel, DKMS and Wine" "$d/root.log" wine_root "$lane"
	failed && continue
	{ [ "$bench_built" = 0 ] && [ "$check_built" = 0 ]; } || continue
	step "$lane: disk image, our module installed through DKMS" "$d/image.log" wine_image "$lane" "$d"
	failed && continue
	ready+=("$lane")
done

# boot_stage LANE STAGE NEXT: the lane's disk image booted once more, with STAGE and the stage of
# the boot after it, NEXT ("none" for the last), on the kernel's command line
# (tools/wine/guest-realboot); its report in $OUT/LANE/boot-STAGE.
boot_stage() {
	local lane=$1 st=$2 d=$OUT/$1/boot-$2 f brc=0
	rm -rf "$d"
	mkdir -p "$d"
	for f in vmlinuz initrd disk.img abi; do ln -s "../$f" "$d/$f"; done
	boot_disk "$d" 3G /sbin/init "($st boot)" "ntsync_stage=$st ntsync_next=$3" || brc=$?
	parse_runs "$lane" "$d"
	guest_end "$lane $st boot" "$d" "$brc"
}

# Each lane: the main boot (ntsync_stage=dkms: make dkms-install, Wine's tests), then BOOTS, each
# once the boot before it said it installed what the next one needs ("@@next STAGE").
guest_lock
for lane in "${ready[@]}"; do
	brc=0 prev=$OUT/$lane
	boot_disk "$prev" 3G /sbin/init "with Wine (about 10 minutes)" "ntsync_stage=dkms ntsync_next=${BOOTS[0]:-none}" || brc=$?
	parse_runs "$lane" "$prev"
	parse_guest "$lane" "$prev"
	guest_end "$lane" "$prev" "$brc"
	for i in "${!BOOTS[@]}"; do
		st=${BOOTS[$i]}
		if [ -z "$prev" ] || ! grep -qx "@@next $st" "$prev/results.log"; then
			result fail "$lane $st boot: not booted (the boot before it did not prepare it)"
			prev=
			continue
		fi
		boot_stage "$lane" "$st" "${BOOTS[$((i + 1))]:-none}"
		prev=$OUT/$lane/boot-$st
	done
done
exec 9>&-

# The rule, once every lane has run.
for lane in "${ready[@]}"; do
	d=$OUT/$lane
	case $lane in
	bookworm)
		refs=("$d/fails-server")
		RULE_DESC="every Wine test failure with ours also fails with server-side synchronization"
		# The every-driver failures: those of ours and of the kernel's ntsync on 7.x, from
		# this run or, if no 7.x lane ran, as the last full run recorded them.
		every=
		for l in "${ready[@]}"; do
			[ "$l" = bookworm ] || [ ! -e "$OUT/$l/fails-kernel" ] || [ ! -e "$OUT/$l/fails-ours" ] || {
				comm -12 "$OUT/$l/fails-ours" "$OUT/$l/fails-kernel" >"$OUT/$l/fails-every-driver"
				refs+=("$OUT/$l/fails-every-driver")
				RULE_DESC+=" or with both ntsync drivers on $l"
				every=1
			}
		done
		if [ -z "$every" ]; then
			grep -v '^#' "$here/every-driver-failures" >"$OUT/every-driver-failures"
			refs+=("$OUT/every-driver-failures")
			RULE_DESC+=" or with both ntsync drivers on 7.x (tools/wine/every-driver-failures: no 7.x lane in this run)"
		fi ;;
	*)
		refs=("$d/fails-kernel")
		RULE_DESC="every Wine test failure with ours also fails with the kernel's ntsync" ;;
	esac
	touch "${refs[@]}"
	rule "$lane" "$d" "${refs[@]}"
done
finish
