// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync: kernel support for NT synchronization primitives
 *
 * Semaphores, mutexes and events with the exact semantics NT emulators
 * need: waits on many objects at once, atomic wait-all, abandoned mutexes,
 * pulse and alertable waits.  Documentation/ntsync.rst describes the
 * user-space interface.
 *
 * Locking
 * =======
 *
 * Each object has a spinlock, obj->lock, and each instance (open file of
 * /dev/ntsync) a mutex, dev->wait_all_lock.
 *
 *  1. An object's state and its waiter list are written only with
 *     obj->lock held, and read only with it held but in one place: the
 *     look at a manual-reset event in ntsync_wait_any_try(), which
 *     decides only that the wait is satisfied.  Setting an event
 *     is a release, and that look an acquire, so a wait satisfied by the
 *     look sees what the setter wrote before setting, as under the lock.
 *
 *  2. obj->all_hint counts the WAIT_ALL entries queued on the object (and
 *     the WAIT_ALL trying it, ntsync_wait_all_try()).  It is written with
 *     both dev->wait_all_lock and obj->lock held, so holding either is
 *     enough to read it.
 *
 *  3. While obj->all_hint is nonzero, the object is accessed only by a
 *     holder of dev->wait_all_lock.  ntsync_lock_obj() enforces this for
 *     every operation on a single object: it checks all_hint under
 *     obj->lock and, if set, takes wait_all_lock first.  Therefore the
 *     holder of wait_all_lock sees a frozen snapshot of every object some
 *     WAIT_ALL is queued on, and may drop and retake such an object's lock
 *     without anyone else observing or changing it in between.  This is
 *     what makes a WAIT_ALL acquisition atomic without holding several
 *     object locks at once.
 *
 *  4. Object spinlocks never nest.  wait_all_lock, when taken, is taken
 *     before any object lock.
 *
 *  5. A wait is satisfied exactly once: whoever moves q->signaled away
 *     from -1 (with a cmpxchg, under the lock that guards the acquired
 *     objects) acquires the objects, writes q->ownerdead and wakes the
 *     task, all before dropping that lock.  The waiter dequeues itself
 *     under the same locks before it reads q or frees it.
 *
 *  6. The wake invariant: when an operation on an object drops its lock,
 *     no unsatisfied wait queued on the object could acquire it; for a
 *     WAIT_ALL, unless another of its objects is unavailable.  So every
 *     operation that can make an object acquirable for anyone offers it
 *     to the waiters (ntsync_wake_waiters()) before unlocking.  Builds
 *     with NTSYNC_DEBUG check this at every unlock and WARN if it fails.
 *
 *  7. obj->offers counts the operations that may have made the object
 *     acquirable for someone (a release, an unlock, a kill, a set or a
 *     pulse).  It is raised with obj->lock held, in the same hold as the
 *     change (for an event, before the release that rule 1's look pairs
 *     with), and read without the lock only by the unqueued first pass
 *     of a WAIT_ANY, ntsync_wait_any_try(): an object that pass found
 *     not free, whose count it then reads unchanged, was not free at any
 *     instant in between.
 *
 * A WAIT_ANY never takes wait_all_lock unless one of its objects is also
 * part of a WAIT_ALL.  A WAIT_ALL is serialised against every other
 * WAIT_ALL of its instance, and only against operations on objects some
 * WAIT_ALL is queued on.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/compat.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

/* Never the kernel's own linux/ntsync.h, which may be an older layout. */
#include "include/uapi/linux/ntsync.h"
#include "ntsync.h"
#include "ntsync_compat.h"

#define CREATE_TRACE_POINTS
#include "ntsync_trace.h"

static const struct file_operations ntsync_obj_fops;

/* The names of objects' files, as /proc/<pid>/fd shows them. */
static const char * const ntsync_obj_names[] = {
	[NTSYNC_TYPE_SEM]	= "[ntsync-semaphore]",
	[NTSYNC_TYPE_MUTEX]	= "[ntsync-mutex]",
	[NTSYNC_TYPE_EVENT]	= "[ntsync-event]",
};

/* Whether a wait by @owner could acquire @obj now. */
static bool ntsync_obj_can_acquire(const struct ntsync_obj *obj, __u32 owner)
{
	lockdep_assert_held(&obj->lock);

	switch (obj->type) {
	case NTSYNC_TYPE_SEM:
		return obj->u.sem.count;
	case NTSYNC_TYPE_MUTEX:
		if (!obj->u.mutex.owner)
			return true;
		return obj->u.mutex.owner == owner &&
		       obj->u.mutex.count < U32_MAX;
	case NTSYNC_TYPE_EVENT:
		return obj->u.event.signaled;
	}
	return false;
}

/*
 * Acquire @obj for @owner; ntsync_obj_can_acquire() must have said yes.
 * Returns true if that took over an abandoned mutex.
 */
static bool ntsync_obj_acquire(struct ntsync_obj *obj, __u32 owner)
{
	bool ownerdead = false;

	lockdep_assert_held(&obj->lock);

	switch (obj->type) {
	case NTSYNC_TYPE_SEM:
		obj->u.sem.count--;
		break;
	case NTSYNC_TYPE_MUTEX:
		ownerdead = obj->u.mutex.ownerdead;
		obj->u.mutex.ownerdead = false;
		obj->u.mutex.owner = owner;
		obj->u.mutex.count++;
		break;
	case NTSYNC_TYPE_EVENT:
		if (!obj->u.event.manual)
			obj->u.event.signaled = false;
		break;
	}
	return ownerdead;
}

/* An entry that needs all of its wait's objects, as opposed to any one. */
static bool ntsync_entry_is_all(const struct ntsync_q_entry *entry)
{
	return entry->q->all && entry->index < entry->q->count;
}

/* Put @entry on its object's waiter list, or take it off; the object is locked. */
static void ntsync_add_waiter(struct ntsync_q_entry *entry)
{
	struct ntsync_obj *obj = entry->obj;

	lockdep_assert_held(&obj->lock);
	list_add_tail(&entry->node, &obj->waiters);
	obj->nr_waiters++;
}

static void ntsync_del_waiter(struct ntsync_q_entry *entry)
{
	struct ntsync_obj *obj = entry->obj;

	lockdep_assert_held(&obj->lock);
	list_del(&entry->node);
	obj->nr_waiters--;
}

/* @obj may be made acquirable, in this hold of its lock: count it (rule 7). */
static void ntsync_obj_offer(struct ntsync_obj *obj)
{
	lockdep_assert_held(&obj->lock);
	WRITE_ONCE(obj->offers, obj->offers + 1);
}

/*
 * Whether the WAIT_ALL @q could acquire every one of its objects now.  The
 * caller holds wait_all_lock and no object lock; q is queued on all of the
 * objects, so by rule 3 the answer holds until wait_all_lock is dropped.
 */
static bool ntsync_all_can_acquire(struct ntsync_device *dev,
				   struct ntsync_q *q)
{
	__u32 i;

	lockdep_assert_held(&dev->wait_all_lock);

	for (i = 0; i < q->count; i++) {
		struct ntsync_obj *obj = q->entries[i].obj;
		bool can_acquire;

		spin_lock(&obj->lock);
		can_acquire = ntsync_obj_can_acquire(obj, q->owner);
		spin_unlock(&obj->lock);
		if (!can_acquire)
			return false;
	}
	return true;
}

/*
 * Rule 6, checked in NTSYNC_DEBUG builds (and compiled out of all others):
 * WARN if an unsatisfied wait queued on @obj could acquire it.  Called with
 * @obj locked as ntsync_lock_obj() leaves it, before the unlock.
 */
static void ntsync_check_waiters(struct ntsync_device *dev,
				 struct ntsync_obj *obj)
{
	struct ntsync_q_entry *entry;
	unsigned int n = 0;

	if (!NTSYNC_DEBUG_BUILD)
		return;
	lockdep_assert_held(&obj->lock);

	list_for_each_entry(entry, &obj->waiters, node) {
		struct ntsync_q *q = entry->q;
		bool missed = true;

		n++;
		if (atomic_read(&q->signaled) != -1 ||
		    !ntsync_obj_can_acquire(obj, q->owner))
			continue;
		if (ntsync_entry_is_all(entry)) {
			/* As in ntsync_wake_waiters(): rule 3 keeps the list. */
			spin_unlock(&obj->lock);
			missed = ntsync_all_can_acquire(dev, q);
			spin_lock(&obj->lock);
		}
		WARN_ONCE(missed,
			  "ntsync: wake invariant broken: a %s (owner %u) queued on %s at index %u could acquire it\n",
			  q->all ? "WAIT_ALL" : "WAIT_ANY", q->owner,
			  ntsync_obj_names[obj->type], entry->index);
	}
	WARN_ONCE(n != obj->nr_waiters,
		  "ntsync: %s lists %u waiters but counts %u\n",
		  ntsync_obj_names[obj->type], n, obj->nr_waiters);
}

#ifdef NTSYNC_DEBUG
/*
 * Debug builds only: milliseconds that the unqueued first pass of a
 * WAIT_ANY sleeps between two positions, so that a test can signal a
 * position it has looked at before it looks at the next one (the
 * selftest wait_any_lowest_position_race sets it).
 */
static unsigned int debug_wait_any_delay_ms;
module_param(debug_wait_any_delay_ms, uint, 0644);
MODULE_PARM_DESC(debug_wait_any_delay_ms,
		 "test only: sleep between the positions of a WAIT_ANY's first pass");

static void ntsync_debug_delay(void)
{
	unsigned int ms = READ_ONCE(debug_wait_any_delay_ms);

	if (ms)
		msleep_interruptible(ms);
}
#else
static void ntsync_debug_delay(void)
{
}
#endif

/* ntsync_check_waiters() for a caller that holds no object lock. */
static void ntsync_check_obj(struct ntsync_device *dev, struct ntsync_obj *obj)
{
	if (!NTSYNC_DEBUG_BUILD)
		return;
	spin_lock(&obj->lock);
	ntsync_check_waiters(dev, obj);
	spin_unlock(&obj->lock);
}

/*
 * Take what guards @obj: its spinlock and, if a WAIT_ALL is queued on it,
 * the instance's wait_all_lock before that (rule 3).  Returns whether
 * wait_all_lock was taken, for ntsync_unlock_obj().
 */
static bool ntsync_lock_obj(struct ntsync_device *dev, struct ntsync_obj *obj)
	__acquires(&obj->lock)
{
	spin_lock(&obj->lock);
	if (likely(!obj->all_hint))
		return false;
	spin_unlock(&obj->lock);
	mutex_lock(&dev->wait_all_lock);
	spin_lock(&obj->lock);
	return true;
}

static void ntsync_unlock_obj(struct ntsync_device *dev, struct ntsync_obj *obj,
			      bool all)
	__releases(&obj->lock)
{
	ntsync_check_waiters(dev, obj);
	spin_unlock(&obj->lock);
	if (all)
		mutex_unlock(&dev->wait_all_lock);
}

/*
 * Satisfy @entry's wait with its object alone, if it is free for it; @op
 * is what made it free, for the tracepoint.
 */
static void ntsync_try_wake_entry(struct ntsync_q_entry *entry,
				  enum ntsync_op op)
{
	struct ntsync_obj *obj = entry->obj;
	struct ntsync_q *q = entry->q;
	int unsignaled = -1;

	lockdep_assert_held(&obj->lock);

	if (!ntsync_obj_can_acquire(obj, q->owner))
		return;
	if (!atomic_try_cmpxchg(&q->signaled, &unsignaled, entry->index))
		return;
	if (ntsync_obj_acquire(obj, q->owner))
		q->ownerdead = true;
	trace_ntsync_wake(obj->dev, obj, q, entry->index, op);
	if (q->task != current)
		wake_up_process(q->task);
}

/*
 * Satisfy the WAIT_ALL @q if every one of its objects is free for it.  q is
 * queued on all of them, so by rule 3 nobody else touches them while we
 * hold wait_all_lock, and the check and the acquisition are one atomic
 * step for everyone else.
 */
static void ntsync_try_wake_all(struct ntsync_device *dev, struct ntsync_q *q,
				struct ntsync_obj *by, enum ntsync_op op)
{
	bool ownerdead = false;
	int unsignaled = -1;
	__u32 i;

	if (atomic_read(&q->signaled) != -1 || !ntsync_all_can_acquire(dev, q))
		return;
	if (!atomic_try_cmpxchg(&q->signaled, &unsignaled, 0))
		return;

	for (i = 0; i < q->count; i++) {
		struct ntsync_obj *obj = q->entries[i].obj;

		spin_lock(&obj->lock);
		if (ntsync_obj_acquire(obj, q->owner))
			ownerdead = true;
		spin_unlock(&obj->lock);
	}
	if (ownerdead)
		q->ownerdead = true;
	trace_ntsync_wake(dev, by, q, 0, op);
	wake_up_process(q->task);
}

/*
 * @obj may have become acquirable (by @op): offer it to its waiters, oldest
 * first.  Called as ntsync_lock_obj() left things; @all is what it
 * returned.
 */
static void ntsync_wake_waiters(struct ntsync_device *dev,
				struct ntsync_obj *obj, bool all,
				enum ntsync_op op)
{
	struct ntsync_q_entry *entry;

	lockdep_assert_held(&obj->lock);

	list_for_each_entry(entry, &obj->waiters, node) {
		struct ntsync_q *q = entry->q;

		if (!ntsync_obj_can_acquire(obj, q->owner)) {
			/* Only a mutex can be free for one owner and not another. */
			if (obj->type != NTSYNC_TYPE_MUTEX)
				break;
			continue;
		}
		if (atomic_read(&q->signaled) != -1)
			continue;

		if (!ntsync_entry_is_all(entry)) {
			ntsync_try_wake_entry(entry, op);
			continue;
		}

		/*
		 * A WAIT_ALL entry means all_hint is set, so we hold
		 * wait_all_lock and, by rule 3, the list cannot change while
		 * obj->lock is dropped to look at the wait's other objects.
		 */
		lockdep_assert_held(&dev->wait_all_lock);
		spin_unlock(&obj->lock);
		ntsync_try_wake_all(dev, q, obj, op);
		spin_lock(&obj->lock);
	}
}

/*
 * Object ioctls.  Where an ioctl writes a result back, the user's buffer
 * is written before the object changes, so that a bad pointer fails with
 * EFAULT and changes nothing.  That early write is a probe: it stores the
 * value just read from the buffer, the caller's own, in the same user
 * access, so the buffer never holds anything the call did not produce.
 * The result is written once the operation has succeeded (not at all if
 * the buffer already holds it); a failed operation writes nothing more.
 * Only a buffer that another thread makes unwritable between the two
 * writes can fault the second: the operation has then taken effect and
 * the ioctl fails with EFAULT, the buffer still holding the caller's value.
 */

static int ntsync_sem_release(struct ntsync_obj *sem, void __user *argp)
{
	struct ntsync_device *dev = sem->dev;
	__u32 __user *user_count = argp;
	__u32 count, prev_count, sum;
	int ret = 0;
	bool all;

	if (sem->type != NTSYNC_TYPE_SEM)
		return -EINVAL;
	/* The probe (see above). */
	if (!user_access_begin(user_count, sizeof(*user_count)))
		return -EFAULT;
	unsafe_get_user(count, user_count, efault);
	unsafe_put_user(count, user_count, efault);
	user_access_end();

	all = ntsync_lock_obj(dev, sem);
	prev_count = sem->u.sem.count;
	if (check_add_overflow(prev_count, count, &sum) ||
	    sum > sem->u.sem.max) {
		ret = -EOVERFLOW;
	} else {
		ntsync_obj_offer(sem);
		sem->u.sem.count = sum;
		ntsync_wake_waiters(dev, sem, all, NTSYNC_OP_SEM_RELEASE);
		trace_ntsync_state(sem, NTSYNC_OP_SEM_RELEASE, prev_count,
				   sem->u.sem.max);
	}
	ntsync_unlock_obj(dev, sem, all);

	if (ret)
		return ret;
	if (prev_count != count && put_user(prev_count, user_count))
		return -EFAULT;
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

static int ntsync_mutex_unlock(struct ntsync_obj *mutex, void __user *argp)
{
	struct ntsync_mutex_args __user *user_args = argp;
	struct ntsync_device *dev = mutex->dev;
	__u32 owner, count, prev_count;
	int ret = 0;
	bool all;

	if (mutex->type != NTSYNC_TYPE_MUTEX)
		return -EINVAL;
	/*
	 * One user access window reads the arguments and, unless they are
	 * invalid, does the probe (see above).
	 */
	if (!user_access_begin(user_args, sizeof(*user_args)))
		return -EFAULT;
	unsafe_get_user(owner, &user_args->owner, efault);
	unsafe_get_user(count, &user_args->count, efault);
	if (owner)
		unsafe_put_user(count, &user_args->count, efault);
	user_access_end();
	if (!owner)
		return -EINVAL;

	all = ntsync_lock_obj(dev, mutex);
	prev_count = mutex->u.mutex.count;
	if (mutex->u.mutex.owner != owner) {
		ret = -EPERM;
	} else {
		if (!--mutex->u.mutex.count)
			mutex->u.mutex.owner = 0;
		/*
		 * Only two steps down can make the mutex acquirable for a
		 * waiter: to zero, free for anyone, and down from U32_MAX,
		 * acquirable by its owner's waits again.  Any other leaves
		 * every waiter as it was, and is no offer (rule 7).
		 */
		if (!mutex->u.mutex.count || prev_count == U32_MAX) {
			ntsync_obj_offer(mutex);
			ntsync_wake_waiters(dev, mutex, all,
					    NTSYNC_OP_MUTEX_UNLOCK);
		}
		trace_ntsync_state(mutex, NTSYNC_OP_MUTEX_UNLOCK, owner,
				   prev_count);
	}
	ntsync_unlock_obj(dev, mutex, all);

	if (ret)
		return ret;
	if (prev_count != count && put_user(prev_count, &user_args->count))
		return -EFAULT;
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

static int ntsync_mutex_kill(struct ntsync_obj *mutex, void __user *argp)
{
	struct ntsync_device *dev = mutex->dev;
	__u32 owner, prev_count;
	int ret = 0;
	bool all;

	if (mutex->type != NTSYNC_TYPE_MUTEX)
		return -EINVAL;
	if (get_user(owner, (__u32 __user *)argp))
		return -EFAULT;
	if (!owner)
		return -EINVAL;

	all = ntsync_lock_obj(dev, mutex);
	if (mutex->u.mutex.owner != owner) {
		ret = -EPERM;
	} else {
		prev_count = mutex->u.mutex.count;
		ntsync_obj_offer(mutex);
		mutex->u.mutex.owner = 0;
		mutex->u.mutex.count = 0;
		mutex->u.mutex.ownerdead = true;
		ntsync_wake_waiters(dev, mutex, all, NTSYNC_OP_MUTEX_KILL);
		trace_ntsync_state(mutex, NTSYNC_OP_MUTEX_KILL, owner,
				   prev_count);
	}
	ntsync_unlock_obj(dev, mutex, all);
	return ret;
}

static int ntsync_event_change(struct ntsync_obj *event, void __user *argp,
			       enum ntsync_op op)
{
	struct ntsync_device *dev = event->dev;
	__u32 __user *user_prev = argp;
	__u32 prev, old;
	bool all;

	if (event->type != NTSYNC_TYPE_EVENT)
		return -EINVAL;
	/* The probe (see above). */
	if (!user_access_begin(user_prev, sizeof(*user_prev)))
		return -EFAULT;
	unsafe_get_user(old, user_prev, efault);
	unsafe_put_user(old, user_prev, efault);
	user_access_end();

	all = ntsync_lock_obj(dev, event);
	prev = event->u.event.signaled;
	if (op != NTSYNC_OP_EVENT_RESET)
		ntsync_obj_offer(event);
	/*
	 * A release (rule 1): a wait that finds a manual-reset event signaled
	 * without the lock sees what we wrote before setting it, the offer
	 * count included (rule 7).
	 */
	smp_store_release(&event->u.event.signaled,
			  op != NTSYNC_OP_EVENT_RESET);
	if (op != NTSYNC_OP_EVENT_RESET)
		ntsync_wake_waiters(dev, event, all, op);
	/*
	 * Still under the lock: only a wait, woken by the pulse or looking at
	 * a manual-reset event without the lock, can see its signaled state.
	 */
	if (op == NTSYNC_OP_EVENT_PULSE)
		WRITE_ONCE(event->u.event.signaled, false);
	trace_ntsync_state(event, op, prev, event->u.event.manual);
	ntsync_unlock_obj(dev, event, all);

	if (prev != old && put_user(prev, user_prev))
		return -EFAULT;
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

static int ntsync_sem_read(struct ntsync_obj *sem, void __user *argp)
{
	struct ntsync_sem_args args;
	bool all;

	if (sem->type != NTSYNC_TYPE_SEM)
		return -EINVAL;

	all = ntsync_lock_obj(sem->dev, sem);
	args.count = sem->u.sem.count;
	args.max = sem->u.sem.max;
	ntsync_unlock_obj(sem->dev, sem, all);

	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static int ntsync_mutex_read(struct ntsync_obj *mutex, void __user *argp)
{
	struct ntsync_mutex_args args;
	bool all, ownerdead;

	if (mutex->type != NTSYNC_TYPE_MUTEX)
		return -EINVAL;

	all = ntsync_lock_obj(mutex->dev, mutex);
	/* An abandoned mutex is unowned, so this reads as 0, 0. */
	args.owner = mutex->u.mutex.owner;
	args.count = mutex->u.mutex.count;
	ownerdead = mutex->u.mutex.ownerdead;
	ntsync_unlock_obj(mutex->dev, mutex, all);

	if (copy_to_user(argp, &args, sizeof(args)))
		return -EFAULT;
	return ownerdead ? -EOWNERDEAD : 0;
}

static int ntsync_event_read(struct ntsync_obj *event, void __user *argp)
{
	struct ntsync_event_args args;
	bool all;

	if (event->type != NTSYNC_TYPE_EVENT)
		return -EINVAL;

	all = ntsync_lock_obj(event->dev, event);
	args.manual = event->u.event.manual;
	args.signaled = event->u.event.signaled;
	ntsync_unlock_obj(event->dev, event, all);

	return copy_to_user(argp, &args, sizeof(args)) ? -EFAULT : 0;
}

static long ntsync_obj_ioctl(struct file *file, unsigned int cmd,
			     unsigned long parm)
{
	struct ntsync_obj *obj = file->private_data;
	void __user *argp = (void __user *)parm;

	switch (cmd) {
	case NTSYNC_IOC_SEM_RELEASE:
		return ntsync_sem_release(obj, argp);
	case NTSYNC_IOC_SEM_READ:
		return ntsync_sem_read(obj, argp);
	case NTSYNC_IOC_MUTEX_UNLOCK:
		return ntsync_mutex_unlock(obj, argp);
	case NTSYNC_IOC_MUTEX_KILL:
		return ntsync_mutex_kill(obj, argp);
	case NTSYNC_IOC_MUTEX_READ:
		return ntsync_mutex_read(obj, argp);
	case NTSYNC_IOC_EVENT_SET:
		return ntsync_event_change(obj, argp, NTSYNC_OP_EVENT_SET);
	case NTSYNC_IOC_EVENT_RESET:
		return ntsync_event_change(obj, argp, NTSYNC_OP_EVENT_RESET);
	case NTSYNC_IOC_EVENT_PULSE:
		return ntsync_event_change(obj, argp, NTSYNC_OP_EVENT_PULSE);
	case NTSYNC_IOC_EVENT_READ:
		return ntsync_event_read(obj, argp);
	default:
		return -ENOTTY;
	}
}

/* One queued wait as fdinfo shows it; see ntsync_obj_show_fdinfo(). */
struct ntsync_waiter_info {
	ktime_t start;
	pid_t tid;
	__u32 owner;
	__u32 index;
	bool all;
	bool alert;
	bool satisfied;
};

/* An object as fdinfo shows it, read in one hold of its lock. */
struct ntsync_fdinfo {
	enum ntsync_type type;
	__u32 a, b, c;
	unsigned int waiters;
	unsigned int all_waiters;
};

/*
 * fdinfo lists at most this many of an object's waiters, the oldest, and
 * counts the rest in one line.  One WAIT_ANY can queue 65 entries on one
 * object, and seq_file calls show() again with a larger buffer each time
 * the output does not fit: the cap bounds the copy made under the lock,
 * the memory it needs and the output, whatever user space queues.
 */
#define NTSYNC_FDINFO_MAX_WAITERS	128
/* Waiters copied onto the stack; more go into an array of the cap's size. */
#define NTSYNC_FDINFO_ONSTACK		8

/*
 * Copy @obj's state into @snap and its oldest waiters, @cap at most, into
 * @info, each with its thread's id as @ns sees it (0 if it cannot see it).
 * A waiter's task is alive while its entry is listed: it dequeues its
 * entries under the lock we hold before it returns (rule 5).
 */
static void ntsync_fdinfo_read(struct ntsync_obj *obj, struct ntsync_fdinfo *snap,
			       struct ntsync_waiter_info *info, unsigned int cap,
			       struct pid_namespace *ns)
{
	struct ntsync_q_entry *entry;
	unsigned int n = 0;
	bool all;

	all = ntsync_lock_obj(obj->dev, obj);
	snap->type = obj->type;
	switch (obj->type) {
	case NTSYNC_TYPE_SEM:
		snap->a = obj->u.sem.count;
		snap->b = obj->u.sem.max;
		break;
	case NTSYNC_TYPE_MUTEX:
		snap->a = obj->u.mutex.owner;
		snap->b = obj->u.mutex.count;
		snap->c = obj->u.mutex.ownerdead;
		break;
	case NTSYNC_TYPE_EVENT:
		snap->a = obj->u.event.manual;
		snap->b = obj->u.event.signaled;
		break;
	}
	snap->waiters = obj->nr_waiters;
	snap->all_waiters = obj->all_hint;
	list_for_each_entry(entry, &obj->waiters, node) {
		const struct ntsync_q *q = entry->q;

		if (n == cap)
			break;
		info[n].start = q->start;
		info[n].tid = task_pid_nr_ns(q->task, ns);
		info[n].owner = q->owner;
		info[n].index = entry->index;
		info[n].all = q->all;
		info[n].alert = entry->index == q->count;
		info[n].satisfied = atomic_read(&q->signaled) != -1;
		n++;
	}
	ntsync_unlock_obj(obj->dev, obj, all);
}

static void ntsync_fdinfo_print(struct seq_file *m, const struct ntsync_obj *obj,
				const struct ntsync_fdinfo *snap)
{
	switch (snap->type) {
	case NTSYNC_TYPE_SEM:
		seq_printf(m, "ntsync-type:\tsemaphore\nntsync-count:\t%u\nntsync-max:\t%u\n",
			   snap->a, snap->b);
		break;
	case NTSYNC_TYPE_MUTEX:
		seq_printf(m, "ntsync-type:\tmutex\nntsync-owner:\t%u\nntsync-count:\t%u\nntsync-abandoned:\t%u\n",
			   snap->a, snap->b, snap->c);
		break;
	case NTSYNC_TYPE_EVENT:
		seq_printf(m, "ntsync-type:\tevent\nntsync-manual:\t%u\nntsync-signaled:\t%u\n",
			   snap->a, snap->b);
		break;
	}
	seq_printf(m, "ntsync-waiters:\t%u\nntsync-waiters-all:\t%u\n",
		   snap->waiters, snap->all_waiters);
	seq_printf(m, "ntsync-instance:\t%llu\nntsync-object:\t%llu\n",
		   obj->dev->id, obj->id);
}

/*
 * /proc/<pid>/fdinfo/<fd>: the object's type, state and waiters, for
 * whoever is chasing a hang.  The format is documented in
 * Documentation/ntsync.rst.  Everything is read in one hold of the
 * object's lock, so it is one consistent snapshot; it is printed after
 * the lock is dropped.  Thread ids are those of the pid namespace of the
 * procfs instance being read, as in a pidfd's fdinfo.
 */
static void ntsync_obj_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(m->file)->i_sb);
	struct ntsync_waiter_info onstack[NTSYNC_FDINFO_ONSTACK];
	struct ntsync_waiter_info *info = onstack;
	struct ntsync_obj *obj = file->private_data;
	unsigned int cap = ARRAY_SIZE(onstack);
	unsigned int shown, i;
	struct ntsync_fdinfo snap = {};
	ktime_t now;

	ntsync_fdinfo_read(obj, &snap, info, cap, ns);
	if (snap.waiters > cap) {
		/* If this fails, fewer waiter lines are shown; they are counted. */
		info = kmalloc_objs(*info, NTSYNC_FDINFO_MAX_WAITERS, GFP_KERNEL);
		if (info) {
			cap = NTSYNC_FDINFO_MAX_WAITERS;
			ntsync_fdinfo_read(obj, &snap, info, cap, ns);
		} else {
			info = onstack;
		}
	}
	now = ktime_get();
	shown = min(snap.waiters, cap);

	ntsync_fdinfo_print(m, obj, &snap);
	for (i = 0; i < shown; i++) {
		const struct ntsync_waiter_info *w = &info[i];

		seq_printf(m, "ntsync-waiter:\ttid=%d owner=%u wait=%s index=%u alert=%u satisfied=%u waited-ms=%lld\n",
			   w->tid, w->owner, w->all ? "all" : "any", w->index,
			   w->alert, w->satisfied,
			   max_t(s64, 0, ktime_ms_delta(now, w->start)));
	}
	if (shown < snap.waiters)
		seq_printf(m, "ntsync-waiters-omitted:\t%u\n", snap.waiters - shown);
	if (info != onstack)
		kfree(info);
}

static int ntsync_obj_release(struct inode *inode, struct file *file)
{
	struct ntsync_obj *obj = file->private_data;

	/* No wait can be using obj: each holds a reference to its file. */
	trace_ntsync_obj_destroy(obj);
	fput(obj->dev->file);
	kfree(obj);
	return 0;
}

static const struct file_operations ntsync_obj_fops = {
	.owner		= THIS_MODULE,
	.release	= ntsync_obj_release,
	.unlocked_ioctl	= ntsync_obj_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= ntsync_obj_show_fdinfo,
};

static struct ntsync_obj *ntsync_alloc_obj(struct ntsync_device *dev,
					   enum ntsync_type type)
{
	struct ntsync_obj *obj;

	obj = kzalloc_obj(*obj, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return NULL;
	spin_lock_init(&obj->lock);
	INIT_LIST_HEAD(&obj->waiters);
	obj->type = type;
	obj->dev = dev;
	obj->id = atomic64_inc_return(&dev->last_obj_id);
	return obj;
}

/*
 * Give @obj a file and a close-on-exec fd, and return the fd.  On failure
 * the caller still owns @obj and frees it.  On success user space owns it:
 * once the fd is installed another thread may close it at any moment.
 */
static int ntsync_obj_install_fd(struct ntsync_obj *obj)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	file = anon_inode_getfile(ntsync_obj_names[obj->type], &ntsync_obj_fops,
				  obj, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* Dropped by ntsync_obj_release(), which file now guarantees. */
	get_file(obj->dev->file);
	/* Before fd_install(): from then on user space may free obj. */
	trace_ntsync_obj_create(obj);
	fd_install(fd, file);
	return fd;
}

static int ntsync_create_obj(struct ntsync_obj *obj)
{
	int fd;

	fd = ntsync_obj_install_fd(obj);
	if (fd < 0)
		kfree(obj);
	return fd;
}

static int ntsync_create_sem(struct ntsync_device *dev, void __user *argp)
{
	struct ntsync_sem_args args;
	struct ntsync_obj *sem;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.count > args.max)
		return -EINVAL;

	sem = ntsync_alloc_obj(dev, NTSYNC_TYPE_SEM);
	if (!sem)
		return -ENOMEM;
	sem->u.sem.count = args.count;
	sem->u.sem.max = args.max;
	return ntsync_create_obj(sem);
}

static int ntsync_create_mutex(struct ntsync_device *dev, void __user *argp)
{
	struct ntsync_mutex_args args;
	struct ntsync_obj *mutex;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (!args.owner != !args.count)
		return -EINVAL;

	mutex = ntsync_alloc_obj(dev, NTSYNC_TYPE_MUTEX);
	if (!mutex)
		return -ENOMEM;
	mutex->u.mutex.owner = args.owner;
	mutex->u.mutex.count = args.count;
	return ntsync_create_obj(mutex);
}

static int ntsync_create_event(struct ntsync_device *dev, void __user *argp)
{
	struct ntsync_event_args args;
	struct ntsync_obj *event;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;

	event = ntsync_alloc_obj(dev, NTSYNC_TYPE_EVENT);
	if (!event)
		return -ENOMEM;
	event->u.event.manual = args.manual;
	event->u.event.signaled = args.signaled;
	return ntsync_create_obj(event);
}

/*
 * Look up an object of @dev by fd.  Like the fd of any system call, the
 * reference is borrowed for the duration of the ioctl when no other task
 * shares the fd table, and counted otherwise.
 */
static struct ntsync_obj *ntsync_get_obj(struct ntsync_device *dev, int fd,
					 struct fd *ret)
{
	struct fd f = fdget(fd);
	struct file *file = fd_file(f);
	struct ntsync_obj *obj;

	if (!file)
		return NULL;
	obj = file->private_data;
	if (file->f_op != &ntsync_obj_fops || obj->dev != dev) {
		fdput(f);
		return NULL;
	}
	*ret = f;
	return obj;
}

/*
 * Waits on up to this many objects (the alert included) keep their queue
 * entries on the stack; larger ones allocate them.
 */
#define NTSYNC_ONSTACK_ENTRIES 8

static void ntsync_put_objs(struct ntsync_q *q, __u32 n)
{
	while (n--)
		fdput(q->entries[n].fd);
}

static void ntsync_free_wait(struct ntsync_q *q, __u32 total,
			     struct ntsync_q_entry *onstack)
{
	ntsync_put_objs(q, total);
	if (q->entries != onstack)
		kfree(q->entries);
}

/*
 * Every wait reads its arguments and its fds.  Plain loads in one user
 * access window each cost less than the copy routines, whose checks (the
 * hardened usercopy one, for a size known only at run time) are made for
 * copies of any size.
 */
static int ntsync_get_fds(int *fds, const int __user *user_fds, __u32 count)
{
	__u32 i;

	/* No fds (a wait on the alert alone): the pointer is not looked at. */
	if (!count)
		return 0;
	if (!user_access_begin(user_fds, count * sizeof(*user_fds)))
		return -EFAULT;
	for (i = 0; i < count; i++)
		unsafe_get_user(fds[i], &user_fds[i], efault);
	user_access_end();
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Check a wait's arguments and fill in @q, taking a reference to every
 * object (the alert last, at index args->count).  The entries go in
 * @onstack if they fit.
 */
static int ntsync_setup_wait(struct ntsync_device *dev,
			     const struct ntsync_wait_args *args, bool all,
			     struct ntsync_q *q, struct ntsync_q_entry *onstack)
{
	int fds[NTSYNC_MAX_WAIT_COUNT + 1] __uninitialized;
	__u32 count = args->count, total, i, j;

	if (count > NTSYNC_MAX_WAIT_COUNT || args->pad || !args->owner ||
	    (args->flags & ~NTSYNC_WAIT_REALTIME))
		return -EINVAL;
	if (ntsync_get_fds(fds, u64_to_user_ptr(args->objs), count))
		return -EFAULT;
	total = count;
	if (args->alert)
		fds[total++] = args->alert;

	q->entries = onstack;
	if (total > NTSYNC_ONSTACK_ENTRIES) {
		q->entries = kmalloc_objs(*q->entries, total, GFP_KERNEL);
		if (!q->entries)
			return -ENOMEM;
	}
	q->task = current;
	q->owner = args->owner;
	atomic_set(&q->signaled, -1);
	q->all = all;
	q->ownerdead = false;
	q->count = count;

	for (i = 0; i < total; i++) {
		struct ntsync_q_entry *entry = &q->entries[i];
		struct ntsync_obj *obj = ntsync_get_obj(dev, fds[i], &entry->fd);

		if (!obj)
			goto err;
		entry->obj = obj;
		entry->q = q;
		entry->index = i;
		if (i == count && obj->type != NTSYNC_TYPE_EVENT)
			goto err_put;
		/* A WAIT_ALL may name each object once, the alert included. */
		for (j = 0; all && j < i; j++) {
			if (q->entries[j].obj == obj)
				goto err_put;
		}
	}
	return 0;

err_put:
	i++;
err:
	ntsync_free_wait(q, i, onstack);
	return -EINVAL;
}

/*
 * Sleep until @q is satisfied, its deadline passes (-ETIMEDOUT) or a
 * signal arrives (-ERESTARTSYS: the deadline is absolute, so restarting
 * the ioctl is exact).  Returns 0 if satisfied.
 */
static int ntsync_wait_sleep(struct ntsync_q *q,
			     const struct ntsync_wait_args *args)
{
	clockid_t clock = CLOCK_MONOTONIC;
	ktime_t timeout, *timeout_ptr = NULL;
	bool expired = false;
	int ret = 0;

	if (args->timeout != U64_MAX) {
		timeout = ns_to_ktime(min_t(u64, args->timeout, KTIME_MAX));
		if (args->flags & NTSYNC_WAIT_REALTIME) {
			clock = CLOCK_REALTIME;
			expired = timeout <= ktime_get_real();
		} else {
			timeout = ntsync_monotonic_to_host(timeout);
			expired = timeout <= ktime_get();
		}
		timeout_ptr = &timeout;
	}

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (atomic_read(&q->signaled) != -1)
			break;
		/* A deadline already past means: try once, never sleep. */
		if (expired) {
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (!schedule_hrtimeout_range_clock(timeout_ptr, 0,
						    HRTIMER_MODE_ABS, clock)) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/*
 * Report a wait's outcome: a satisfied wait succeeds (or says it took an
 * abandoned mutex) whatever else happened meanwhile.
 */
static int ntsync_wait_finish(struct ntsync_q *q,
			      struct ntsync_wait_args __user *user_args, int ret)
{
	int signaled = atomic_read(&q->signaled);

	if (signaled == -1)
		return ret;
	if (put_user(signaled, &user_args->index))
		return -EFAULT;
	return q->ownerdead ? -EOWNERDEAD : 0;
}

/*
 * The wait tracepoints.  The clock is read only while ntsync_wait_end is
 * enabled; returns the start time for ntsync_trace_wait_end(), or 0.
 * Always inlined: left to itself the compiler makes the begin half a
 * function of its own, and every wait then pays a call and a return to
 * find the tracepoints disabled.
 */
static __always_inline u64
ntsync_trace_wait_begin(struct ntsync_device *dev,
			const struct ntsync_wait_args *args, bool all)
{
	trace_ntsync_wait_begin(dev, args, all);
	return trace_ntsync_wait_end_enabled() ? ktime_get_ns() : 0;
}

static __always_inline void
ntsync_trace_wait_end(struct ntsync_device *dev, struct ntsync_q *q, int ret,
		      u64 t0)
{
	if (trace_ntsync_wait_end_enabled())
		trace_ntsync_wait_end(dev, q->all, ret,
				      atomic_read(&q->signaled),
				      t0 ? ktime_get_ns() - t0 : 0);
}

/*
 * Read a wait's arguments, and make sure index can be written back before
 * anything is acquired: a wait that fails with EFAULT takes nothing.
 */
static int ntsync_get_wait_args(struct ntsync_wait_args *args,
				struct ntsync_wait_args __user *user_args)
{
	/* Field by field: a field added to the struct must be read here. */
	BUILD_BUG_ON(sizeof(*args) != 40);

	if (!user_access_begin(user_args, sizeof(*user_args)))
		return -EFAULT;
	unsafe_get_user(args->timeout, &user_args->timeout, efault);
	unsafe_get_user(args->objs, &user_args->objs, efault);
	unsafe_get_user(args->count, &user_args->count, efault);
	unsafe_get_user(args->index, &user_args->index, efault);
	unsafe_get_user(args->flags, &user_args->flags, efault);
	unsafe_get_user(args->owner, &user_args->owner, efault);
	unsafe_get_user(args->alert, &user_args->alert, efault);
	unsafe_get_user(args->pad, &user_args->pad, efault);
	unsafe_put_user(args->index, &user_args->index, efault);
	user_access_end();
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Whether @obj is a signaled manual-reset event, seen without its lock.
 * Taking one changes nothing, so this look is the whole acquisition (rule
 * 1): the wait happened at the instant of the load, as if it had been
 * woken then (by a PULSE, if it saw one's instant).  No WAIT_ALL changes
 * a manual-reset event, so none can be seen half done.  type and manual
 * never change.
 */
static bool ntsync_manual_event_signaled(const struct ntsync_obj *obj)
{
	if (obj->type != NTSYNC_TYPE_EVENT || !obj->u.event.manual)
		return false;
	/* Pairs with the release in ntsync_event_change(). */
	return smp_load_acquire(&obj->u.event.signaled);
}

/*
 * The index a WAIT_ANY reports for the object at position @i: the object's
 * lowest position.  A wait that names an object more than once can take it
 * at a later position: its first pass looks at one position at a time, and
 * it leaves the waiter lists one position at a time, so the object can
 * become free between two looks, or be handed to a later position after the
 * first has left its list.  Either way the wait took the object, and the
 * ABI reports it by its first position (the alert's too, if it is also one
 * of the objects).
 */
static __u32 ntsync_first_position(const struct ntsync_q *q, __u32 i)
{
	__u32 j;

	for (j = 0; j < i; j++) {
		if (q->entries[j].obj == q->entries[i].obj)
			return j;
	}
	return i;
}

/*
 * Whether no object at a position below @i of @q has been offered since
 * ntsync_wait_any_try() found it not free (rule 7).  Called after position
 * i was found free, with its lock held or by the acquire of rule 1's look:
 * then at that instant every lower position was still not free, and
 * taking position i is what a WAIT_ANY at that instant does.
 */
static bool ntsync_lower_unchanged(const struct ntsync_q *q, __u32 i)
{
	__u32 j;

	for (j = 0; j < i; j++) {
		const struct ntsync_q_entry *entry = &q->entries[j];

		if (READ_ONCE(entry->obj->offers) != entry->offers)
			return false;
	}
	return true;
}

/*
 * Most waits find an object free: take the first one of @q's @total without
 * queueing anywhere.  Nobody else can see q yet, so there is no race to
 * settle on q->signaled either.  An object it passed over may be released
 * after the look and before a later position is taken, and then, queued on
 * none of them, the wait would report the later position although the
 * lower one was free first; so a position is taken only if no lower one
 * has been offered since it was looked at, else the wait queues, in order,
 * and takes the lowest free one there.  Returns whether one was taken.
 */
static bool ntsync_wait_any_try(struct ntsync_device *dev, struct ntsync_q *q,
				__u32 total)
{
	__u32 i;

	for (i = 0; i < total; i++) {
		struct ntsync_q_entry *entry = &q->entries[i];
		struct ntsync_obj *obj = entry->obj;
		bool all, free, taken;

		if (ntsync_manual_event_signaled(obj)) {
			if (!ntsync_lower_unchanged(q, i))
				return false;
			atomic_set(&q->signaled, i);
			return true;
		}

		all = ntsync_lock_obj(dev, obj);
		free = ntsync_obj_can_acquire(obj, q->owner);
		taken = free && ntsync_lower_unchanged(q, i);
		if (taken) {
			q->ownerdead = ntsync_obj_acquire(obj, q->owner);
			atomic_set(&q->signaled, i);
		}
		entry->offers = obj->offers;
		ntsync_unlock_obj(dev, obj, all);
		if (free)
			return taken;
		if (i + 1 < total)
			ntsync_debug_delay();
	}
	return false;
}

static int ntsync_wait_any(struct ntsync_device *dev, void __user *argp)
{
	struct ntsync_q_entry onstack[NTSYNC_ONSTACK_ENTRIES] __uninitialized;
	struct ntsync_wait_args args;
	__u32 i, total, queued = 0;
	struct ntsync_q q;
	u64 t0;
	int ret, signaled;

	if (ntsync_get_wait_args(&args, argp))
		return -EFAULT;
	ret = ntsync_setup_wait(dev, &args, false, &q, onstack);
	if (ret < 0)
		return ret;
	total = args.count + !!args.alert;
	t0 = ntsync_trace_wait_begin(dev, &args, false);

	if (ntsync_wait_any_try(dev, &q, total))
		goto out;

	/*
	 * Queue on each object in turn and try it again: an object signaled
	 * later finds us queued, and the lowest free index still wins.
	 */
	q.start = ktime_get();
	while (queued < total) {
		struct ntsync_q_entry *entry = &q.entries[queued++];
		struct ntsync_obj *obj = entry->obj;
		bool all = ntsync_lock_obj(dev, obj);

		ntsync_add_waiter(entry);
		ntsync_try_wake_entry(entry, NTSYNC_OP_WAIT);
		ntsync_unlock_obj(dev, obj, all);
		if (atomic_read(&q.signaled) != -1)
			break;
	}

	ret = ntsync_wait_sleep(&q, &args);

	for (i = 0; i < queued; i++) {
		struct ntsync_obj *obj = q.entries[i].obj;
		bool all = ntsync_lock_obj(dev, obj);

		ntsync_del_waiter(&q.entries[i]);
		ntsync_unlock_obj(dev, obj, all);
	}
out:
	/* Nobody else can see q any more. */
	signaled = atomic_read(&q.signaled);
	if (signaled > 0)
		atomic_set(&q.signaled, ntsync_first_position(&q, signaled));
	ret = ntsync_wait_finish(&q, argp, ret);
	ntsync_trace_wait_end(dev, &q, ret, t0);
	ntsync_free_wait(&q, total, onstack);
	return ret;
}

/*
 * Put @entry on its object's waiter list, or take it off, keeping all_hint.
 * For callers that hold wait_all_lock, or know that no WAIT_ALL is queued
 * on the object (rule 3).
 */
static void ntsync_queue_entry(struct ntsync_q_entry *entry)
{
	struct ntsync_obj *obj = entry->obj;

	spin_lock(&obj->lock);
	if (ntsync_entry_is_all(entry))
		obj->all_hint++;
	if (obj->all_hint)
		lockdep_assert_held(&obj->dev->wait_all_lock);
	ntsync_add_waiter(entry);
	spin_unlock(&obj->lock);
}

static void ntsync_dequeue_entry(struct ntsync_q_entry *entry)
{
	struct ntsync_obj *obj = entry->obj;

	spin_lock(&obj->lock);
	if (obj->all_hint)
		lockdep_assert_held(&obj->dev->wait_all_lock);
	ntsync_del_waiter(entry);
	if (ntsync_entry_is_all(entry))
		obj->all_hint--;
	spin_unlock(&obj->lock);
}

/*
 * A WAIT_ALL that finds its objects free takes them without queueing.
 * With wait_all_lock held, raise each object's all_hint as a queued
 * WAIT_ALL would, which freezes it for everyone else (rule 3), checking
 * it is free; then, if all are, take each and drop the hint.  So the
 * check and the acquisition are one step for everyone else, two lock
 * round trips per object where queueing takes four, and object locks
 * never nest.  Returns whether the objects were taken; if not, nothing
 * changed.
 */
static bool ntsync_wait_all_try(struct ntsync_device *dev, struct ntsync_q *q)
{
	bool free = true;
	__u32 i, n;

	mutex_lock(&dev->wait_all_lock);
	for (n = 0; n < q->count && free; n++) {
		struct ntsync_obj *obj = q->entries[n].obj;

		spin_lock(&obj->lock);
		obj->all_hint++;
		free = ntsync_obj_can_acquire(obj, q->owner);
		spin_unlock(&obj->lock);
	}
	for (i = 0; i < n; i++) {
		struct ntsync_obj *obj = q->entries[i].obj;

		spin_lock(&obj->lock);
		if (free && ntsync_obj_acquire(obj, q->owner))
			q->ownerdead = true;
		obj->all_hint--;
		ntsync_check_waiters(dev, obj);
		spin_unlock(&obj->lock);
	}
	if (free)
		atomic_set(&q->signaled, 0);
	mutex_unlock(&dev->wait_all_lock);
	return free;
}

static int ntsync_wait_all(struct ntsync_device *dev, void __user *argp)
{
	struct ntsync_q_entry onstack[NTSYNC_ONSTACK_ENTRIES] __uninitialized;
	struct ntsync_wait_args args;
	struct ntsync_q q;
	__u32 i, total;
	u64 t0;
	int ret;

	if (ntsync_get_wait_args(&args, argp))
		return -EFAULT;
	ret = ntsync_setup_wait(dev, &args, true, &q, onstack);
	if (ret < 0)
		return ret;
	total = args.count + !!args.alert;
	t0 = ntsync_trace_wait_begin(dev, &args, true);
	if (ntsync_wait_all_try(dev, &q))
		goto out;

	q.start = ktime_get();
	mutex_lock(&dev->wait_all_lock);
	for (i = 0; i < args.count; i++)
		ntsync_queue_entry(&q.entries[i]);
	/* The objects first: they win over the alert. */
	ntsync_try_wake_all(dev, &q, NULL, NTSYNC_OP_WAIT);
	if (args.alert) {
		struct ntsync_q_entry *entry = &q.entries[args.count];

		spin_lock(&entry->obj->lock);
		ntsync_add_waiter(entry);
		ntsync_try_wake_entry(entry, NTSYNC_OP_WAIT);
		spin_unlock(&entry->obj->lock);
	}
	for (i = 0; i < total; i++)
		ntsync_check_obj(dev, q.entries[i].obj);
	mutex_unlock(&dev->wait_all_lock);

	ret = ntsync_wait_sleep(&q, &args);

	mutex_lock(&dev->wait_all_lock);
	for (i = 0; i < total; i++)
		ntsync_dequeue_entry(&q.entries[i]);
	mutex_unlock(&dev->wait_all_lock);
out:
	ret = ntsync_wait_finish(&q, argp, ret);
	ntsync_trace_wait_end(dev, &q, ret, t0);
	ntsync_free_wait(&q, total, onstack);
	return ret;
}

/* The last id given to an instance; ids are never reused. */
static atomic64_t ntsync_last_instance_id = ATOMIC64_INIT(0);

static int ntsync_char_open(struct inode *inode, struct file *file)
{
	struct ntsync_device *dev;

	dev = kzalloc_obj(*dev, GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->wait_all_lock);
	dev->file = file;
	dev->id = atomic64_inc_return(&ntsync_last_instance_id);
	atomic64_set(&dev->last_obj_id, 0);
	file->private_data = dev;
	return nonseekable_open(inode, file);
}

static int ntsync_char_release(struct inode *inode, struct file *file)
{
	struct ntsync_device *dev = file->private_data;

	/* Every object holds a reference to file: none is left. */
	mutex_destroy(&dev->wait_all_lock);
	kfree(dev);
	return 0;
}

/* The instance's id, to find the processes that hold it; see above. */
static void ntsync_char_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct ntsync_device *dev = file->private_data;

	seq_printf(m, "ntsync-instance:\t%llu\n", dev->id);
}

static long ntsync_char_ioctl(struct file *file, unsigned int cmd,
			      unsigned long parm)
{
	struct ntsync_device *dev = file->private_data;
	void __user *argp = (void __user *)parm;

	switch (cmd) {
	case NTSYNC_IOC_CREATE_SEM:
		return ntsync_create_sem(dev, argp);
	case NTSYNC_IOC_CREATE_MUTEX:
		return ntsync_create_mutex(dev, argp);
	case NTSYNC_IOC_CREATE_EVENT:
		return ntsync_create_event(dev, argp);
	case NTSYNC_IOC_WAIT_ANY:
		return ntsync_wait_any(dev, argp);
	case NTSYNC_IOC_WAIT_ALL:
		return ntsync_wait_all(dev, argp);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ntsync_fops = {
	.owner		= THIS_MODULE,
	.open		= ntsync_char_open,
	.release	= ntsync_char_release,
	.unlocked_ioctl	= ntsync_char_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= ntsync_char_show_fdinfo,
};

/*
 * A fixed minor, so that the module can be loaded by the first open of
 * /dev/ntsync: depmod lists "devname:ntsync" with it in modules.devname, the
 * boot creates the node from there (kmod static-nodes), and misc_open() asks
 * modprobe for "char-major-10-<minor>".  It is in the range devices.txt
 * reserves for local use (243-254), where misc_open() still loads modules and
 * no dynamic minor lands (6.1 hands those out from 127 down, 7.2 above 255),
 * and is not OpenZFS's 249.
 */
#define NTSYNC_MINOR	246

static struct miscdevice ntsync_misc = {
	.minor		= NTSYNC_MINOR,
	.name		= "ntsync",
	.fops		= &ntsync_fops,
	/* Wine opens it as an ordinary user; without access it falls back. */
	.mode		= 0666,
};

static int __init ntsync_init(void)
{
	int ret;

	ret = misc_register(&ntsync_misc);
	if (ret) {
		pr_err("cannot register /dev/ntsync (misc minor %d): error %d\n",
		       NTSYNC_MINOR, ret);
		return ret;
	}
	pr_info("version " NTSYNC_VERSION " loaded\n");
	return 0;
}

static void __exit ntsync_exit(void)
{
	misc_deregister(&ntsync_misc);
}

module_init(ntsync_init);
module_exit(ntsync_exit);

MODULE_AUTHOR("The ntsync developers");
MODULE_DESCRIPTION("Kernel driver for NT synchronization primitives");
MODULE_LICENSE("GPL");
MODULE_VERSION(NTSYNC_VERSION);
MODULE_ALIAS_MISCDEV(NTSYNC_MINOR);
MODULE_ALIAS("devname:ntsync");

/* The KUnit suite is for the debug lane only; see Kbuild. */
#if defined(NTSYNC_DEBUG) && IS_ENABLED(CONFIG_KUNIT)
#include "ntsync_test.c"
#endif
