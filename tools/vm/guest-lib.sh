# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
# The preamble of every guest's PID 1, sourced first (busybox sh: tools/vm/guest-init and
# tools/bench/guest-init from the initramfs as /guest-lib.sh; bash: tools/trace/guest-init and
# tools/wine/guest-init from their disk images): the file systems, the report and the end.
# The report for the host goes to the second serial port ($REPORT: ntsync_report=DEVICE on the
# kernel's command line, which the kernel hands to PID 1 as a variable, for a guest without one,
# arm64's), which only the guest's scripts write:
#   @@kernel RELEASE, @@check ok|fail NAME [- reason], ... (the guest's own lines)
#   @@dmesg-begin ... @@dmesg-end, @@done       (guest_done)

mnt() { mountpoint -q "$3" 2>/dev/null || mount -t "$1" "$2" "$3"; }
mnt proc proc /proc
mnt sysfs sys /sys
mnt devtmpfs dev /dev
mnt tmpfs tmp /tmp

REPORT=${ntsync_report:-/dev/ttyS1}
stty -F "$REPORT" raw -echo 115200 2>/dev/null
exec 3>"$REPORT"
report() { echo "$*" >&3; }
check() { # NAME STATUS REASON: a check passes if STATUS is 0
	if [ "$2" = 0 ]; then report "@@check ok $1"; else report "@@check fail $1 - $3"; fi
}
uname -a
report "@@kernel $(uname -r)"

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
