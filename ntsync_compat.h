/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync: every difference between the kernels the module supports lives
 * here, so that ntsync.c reads the same on all of them.
 */
#ifndef _NTSYNC_COMPAT_H
#define _NTSYNC_COMPAT_H

#include <linux/ktime.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/time_namespace.h>

/*
 * Convert an absolute CLOCK_MONOTONIC time, as seen by the calling task,
 * to the host's CLOCK_MONOTONIC.  The kernel's own helper for this
 * (timens_ktime_to_host()) calls a function that is not exported to
 * modules, so read the offset of the caller's time namespace directly.
 */
static inline ktime_t ntsync_monotonic_to_host(ktime_t tim)
{
#ifdef CONFIG_TIME_NS
	struct time_namespace *ns = current->nsproxy->time_ns;
	ktime_t offset = timespec64_to_ktime(ns->offsets.monotonic);

	/* tim is in [0, KTIME_MAX]; keep the result there too. */
	if (offset >= 0)
		return tim < offset ? 0 : tim - offset;
	return tim > KTIME_MAX + offset ? KTIME_MAX : tim - offset;
#else
	return tim;
#endif
}

#endif /* _NTSYNC_COMPAT_H */
