/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync: every difference between the kernels the module supports lives
 * here, so that ntsync.c reads the same on all of them.  Each fallback is
 * chosen by testing for the feature (a macro, or a symbol Kbuild finds in
 * Module.symvers), never by the kernel's version: distributions backport.
 * Documentation/compat.rst lists every kernel interface the driver uses
 * that is newer than 5.10, and how the module copes without it.
 */
#ifndef _NTSYNC_COMPAT_H
#define _NTSYNC_COMPAT_H

#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/time_namespace.h>

/*
 * "make NTSYNC_COMPAT_FORCE=1" (Kbuild), for lint only: the kernel's own
 * definitions go, so that every fallback below is compiled, whether the
 * kernel needs it or not, and none can rot unseen.  Against 6.1's headers
 * every fallback builds; fd_file()'s cannot on 6.12 and later, whose
 * struct fd no longer holds the file plainly.
 */
#ifdef NTSYNC_COMPAT_FORCE
#undef __uninitialized
#undef NTSYNC_HAVE_TIMENS_KTIME_TO_HOST
#undef fd_file
#undef kzalloc_obj
#undef kmalloc_objs
#endif

/*
 * Convert an absolute CLOCK_MONOTONIC time, as seen by the calling task,
 * to the host's CLOCK_MONOTONIC.  Where the kernel does not export the
 * function behind timens_ktime_to_host() (Kbuild probes Module.symvers),
 * apply the offset of the caller's time namespace here.
 */
static inline ktime_t ntsync_monotonic_to_host(ktime_t tim)
{
#if defined(NTSYNC_HAVE_TIMENS_KTIME_TO_HOST)
	return timens_ktime_to_host(CLOCK_MONOTONIC, tim);
#elif defined(CONFIG_TIME_NS)
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

/*
 * __uninitialized (6.9; backported to 6.1.100 and 5.10.222) keeps a kernel
 * built with INIT_STACK_ALL_ZERO, as Debian's are, from zeroing an array
 * each element of which is written before it is read.  Without the macro,
 * the compiler's attribute, which every compiler that can zero the stack
 * has; a compiler without it does not zero the stack either.
 */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized __attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

/* fd_file() came with 6.12; before it, struct fd held the file plainly. */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * 7.0 added allocations typed by what they allocate, which its checkpatch
 * asks for; before it, the same with the size written out.  (The GFP flags
 * are optional in 7.0's; here they are always given.)
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP) kzalloc(sizeof(P), GFP)
#endif
#ifndef kmalloc_objs
#define kmalloc_objs(P, COUNT, GFP) kmalloc_array(COUNT, sizeof(P), GFP)
#endif

#endif /* _NTSYNC_COMPAT_H */
