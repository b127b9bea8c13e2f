# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# Sourced by every guest script (busybox sh from the initramfs as /guest-lib.sh; bash from the
# Wine and trace lanes' disk images).  A PID 1 starts with guest_start and ends with guest_done;
# a payload program prints TAP with ok/not_ok/cond and ends with tap_done.
# The report for the host goes to the second serial port ($REPORT: ntsync_report=DEVICE on the
# kernel's command line, which the kernel hands to PID 1 as a variable, for a guest without one,
# arm64's), which only the guest's scripts write:
#   @@kernel RELEASE, @@check ok|fail NAME [- reason], ... (the guest's own lines)
#   @@dmesg-begin ... @@dmesg-end, @@done       (guest_done)

mnt() { mountpoint -q "$3" 2>/dev/null || mount -t "$1" "$2" "$3"; }
guest_start() {
	mnt proc proc /proc
	mnt sysfs sys /sys
	mnt devtmpfs dev /dev
	mnt tmpfs tmp /tmp
	REPORT=${ntsync_report:-/dev/ttyS1}
	stty -F "$REPORT" raw -echo 115200 2>/dev/null
	exec 3>"$REPORT"
	uname -a
	report "@@kernel $(uname -r)"
}
report() { echo "$*" >&3; }
check() { # NAME STATUS REASON: a check passes if STATUS is 0
	if [ "$2" = 0 ]; then report "@@check ok $1"; else report "@@check fail $1 - $3"; fi
}

# guest_done: the kernel log and the end marker for the host, then power off (QEMU runs with
# -no-reboot): sysrq where the kernel has it, busybox's reboot otherwise.  Never returns: if both
# fail, PID 1 exits, the kernel panics ("Attempted to kill init") and the host's guest_end fails.
guest_done() {
	report "@@dmesg-begin"
	dmesg >&3
	report "@@dmesg-end"
	report "@@done"
	exec 3>&-
	sync
	sleep 1
	mount -o remount,ro / 2>/dev/null
	echo b 2>/dev/null >/proc/sysrq-trigger
	reboot -f
	sleep 10
	echo "guest_done: the guest did not power off" >&2
	exit 1
}

# TAP of a payload program: ok DESCRIPTION, not_ok DESCRIPTION [REASON], tap DESCRIPTION STATUS
# [REASON] (passes if STATUS is 0), cond DESCRIPTION CMD... (passes if CMD does), tap_done (the
# plan; exits non-zero if anything failed).
T_N=0 T_FAILED=0
ok() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
not_ok() {
	[ -z "${2:-}" ] || echo "# $2"
	T_N=$((T_N + 1)) T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
}
tap() { if [ "$2" = 0 ]; then ok "$1"; else not_ok "$1" "${3:-}"; fi; }
cond() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
tap_done() { echo "1..$T_N"; [ $T_FAILED = 0 ]; exit; }

# module_is ours|kernels|other: the loaded ntsync is /ntsync.ko (its build ID and srcversion, and
# the out-of-tree taint), or the kernel's own (another build ID, no such taint), or just another
# module.  who: what is loaded, for a failure's reason.
loaded_build_id() {
	od -An -v -tx1 /sys/module/ntsync/notes/.note.gnu.build-id 2>/dev/null | tr -d ' \n'
}
module_is() {
	m_id=$(loaded_build_id)
	m_want=$(cat /ntsync.build-id)
	[ -n "$m_id" ] && [ -n "$m_want" ] || return 1
	case $1/$(cat /sys/module/ntsync/taint 2>/dev/null) in
	ours/*O*) [ "${m_id%"$m_want"}" != "$m_id" ] &&
		[ "$(cat /sys/module/ntsync/srcversion 2>/dev/null)" = "$(cat /ntsync.srcversion)" ] ;;
	kernels/*O*|ours/*) return 1 ;;
	*) [ "${m_id%"$m_want"}" = "$m_id" ] ;;
	esac
}
who() {
	echo "build id $(loaded_build_id), want $(cat /ntsync.build-id); srcversion" \
		"$(cat /sys/module/ntsync/srcversion 2>/dev/null), want $(cat /ntsync.srcversion);" \
		"taint '$(cat /sys/module/ntsync/taint 2>/dev/null)'"
}
