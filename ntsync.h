/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync: types shared by the driver and its KUnit suite.
 *
 * The locking rules these fields obey are written down at the top of
 * ntsync.c.
 */
#ifndef _NTSYNC_INTERNAL_H
#define _NTSYNC_INTERNAL_H

#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#define NTSYNC_VERSION "1.0.0"

/*
 * "make NTSYNC_DEBUG=1" (see Kbuild), for the debug lane only: check the
 * wake invariant and build in the KUnit suite.  Everywhere else the checks
 * compile to nothing.
 */
#ifdef NTSYNC_DEBUG
#define NTSYNC_DEBUG_BUILD true
#else
#define NTSYNC_DEBUG_BUILD false
#endif

struct file;
struct task_struct;

/* What changed an object or satisfied a wait, for the tracepoints. */
enum ntsync_op {
	NTSYNC_OP_SEM_RELEASE,
	NTSYNC_OP_MUTEX_UNLOCK,
	NTSYNC_OP_MUTEX_KILL,
	NTSYNC_OP_EVENT_SET,
	NTSYNC_OP_EVENT_RESET,
	NTSYNC_OP_EVENT_PULSE,
	/* a wait that found its objects free as it queued */
	NTSYNC_OP_WAIT,
};

enum ntsync_type {
	NTSYNC_TYPE_SEM,
	NTSYNC_TYPE_MUTEX,
	NTSYNC_TYPE_EVENT,
};

/* One open file of /dev/ntsync: an instance, usually one NT process. */
struct ntsync_device {
	/* Serialises WAIT_ALL; see "Locking" in ntsync.c. */
	struct mutex wait_all_lock;
	/* The instance's file; every object holds a reference to it. */
	struct file *file;
	/*
	 * Names the instance in fdinfo: unique among the instances opened
	 * since the module was loaded, never reused, never a pointer.
	 */
	u64 id;
	/* The last id given to an object of this instance. */
	atomic64_t last_obj_id;
};

struct ntsync_obj {
	/* Guards the state, the waiter list and writes to all_hint. */
	spinlock_t lock;
	/*
	 * Number of WAIT_ALL entries queued on this object (and the WAIT_ALL
	 * trying it without queueing).  While it is nonzero, the object is
	 * only touched with dev->wait_all_lock held.
	 */
	unsigned int all_hint;
	enum ntsync_type type;
	struct ntsync_device *dev;
	/* Names the object in fdinfo, unique within its instance. */
	u64 id;
	/* struct ntsync_q_entry.node, in the order the waits began. */
	struct list_head waiters;
	/* The length of waiters, for fdinfo (which does not walk it all). */
	unsigned int nr_waiters;
	/*
	 * Counts the operations that may have made the object acquirable;
	 * see ntsync_obj_offer() and ntsync_wait_any_try().
	 */
	unsigned int offers;
	union {
		struct {
			__u32 count;
			__u32 max;
		} sem;
		struct {
			__u32 count;
			__u32 owner;
			bool ownerdead;
		} mutex;
		struct {
			bool manual;
			bool signaled;
		} event;
	} u;
};

struct ntsync_q;

/* The link between one waiting thread and one object it waits on. */
struct ntsync_q_entry {
	struct list_head node;
	struct ntsync_q *q;
	struct ntsync_obj *obj;
	/* The waiter's reference to obj's file. */
	struct fd fd;
	/* Position in the wait's object array; the alert is at q->count. */
	__u32 index;
	/* obj->offers when the unqueued first pass found obj not free. */
	unsigned int offers;
};

/* One WAIT_ANY or WAIT_ALL in progress. */
struct ntsync_q {
	struct task_struct *task;
	__u32 owner;
	/*
	 * -1 while the wait is unsatisfied; set once, by whoever satisfies
	 * it, to the index that is reported to user space.
	 */
	atomic_t signaled;
	bool all;
	/* An abandoned mutex was acquired; written before the wake-up. */
	bool ownerdead;
	/* Number of objects, not counting the alert. */
	__u32 count;
	/* When the wait was first queued (CLOCK_MONOTONIC), for fdinfo. */
	ktime_t start;
	/* count entries, then one for the alert if there is one. */
	struct ntsync_q_entry *entries;
};

#endif /* _NTSYNC_INTERNAL_H */
