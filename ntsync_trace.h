/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync: tracepoints.  Each is a static key, so they cost nothing while
 * disabled.  Documentation/ntsync.rst shows how to use them.  Objects and
 * instances are named by their fdinfo numbers (ntsync-instance and
 * ntsync-object), threads by their global thread id; no pointer is shown.
 *
 * Every state is two numbers, a and b, read as:
 *   semaphore: a = count, b = max
 *   mutex:     a = owner, b = count
 *   event:     a = signaled, b = manual
 */
#ifdef NTSYNC_NO_TRACE
/*
 * "make NTSYNC_NO_TRACE=1" (Kbuild), for the benchmark only: the trace
 * calls compiled out, to measure what the disabled tracepoints cost.  The
 * module that make, DKMS and the .deb build always has the tracepoints.
 */
#ifndef _NTSYNC_TRACE_OFF_H
#define _NTSYNC_TRACE_OFF_H

#include <linux/types.h>

struct ntsync_device;
struct ntsync_obj;
struct ntsync_q;
struct ntsync_wait_args;

static inline void trace_ntsync_obj_create(const struct ntsync_obj *obj)
{
}

static inline void trace_ntsync_obj_destroy(const struct ntsync_obj *obj)
{
}

static inline void trace_ntsync_state(const struct ntsync_obj *obj, int op,
				      __u32 prev_a, __u32 prev_b)
{
}

static inline void trace_ntsync_wait_begin(const struct ntsync_device *dev,
					   const struct ntsync_wait_args *args,
					   bool all)
{
}

static inline bool trace_ntsync_wait_end_enabled(void)
{
	return false;
}

static inline void trace_ntsync_wait_end(const struct ntsync_device *dev,
					 bool all, int result, int index,
					 u64 slept_ns)
{
}

static inline void trace_ntsync_wake(const struct ntsync_device *dev,
				     const struct ntsync_obj *obj,
				     const struct ntsync_q *q, __u32 index,
				     int op)
{
}

#endif /* _NTSYNC_TRACE_OFF_H */
#else /* !NTSYNC_NO_TRACE */

#undef TRACE_SYSTEM
#define TRACE_SYSTEM ntsync

#if !defined(_NTSYNC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _NTSYNC_TRACE_H

#include <linux/sched.h>
#include <linux/tracepoint.h>

#include "include/uapi/linux/ntsync.h"
#include "ntsync.h"

/* The state of @obj as the two numbers a and b (see the top). */
#ifndef NTSYNC_TRACE_STATE_DEFINED
#define NTSYNC_TRACE_STATE_DEFINED
enum ntsync_timeout_kind {
	NTSYNC_TIMEOUT_NONE,
	NTSYNC_TIMEOUT_MONOTONIC,
	NTSYNC_TIMEOUT_REALTIME,
};

static inline int ntsync_timeout_kind(const struct ntsync_wait_args *args)
{
	if (args->timeout == U64_MAX)
		return NTSYNC_TIMEOUT_NONE;
	if (args->flags & NTSYNC_WAIT_REALTIME)
		return NTSYNC_TIMEOUT_REALTIME;
	return NTSYNC_TIMEOUT_MONOTONIC;
}

static inline __u32 ntsync_trace_a(const struct ntsync_obj *obj)
{
	switch (obj->type) {
	case NTSYNC_TYPE_SEM:
		return obj->u.sem.count;
	case NTSYNC_TYPE_MUTEX:
		return obj->u.mutex.owner;
	default:
		return obj->u.event.signaled;
	}
}

static inline __u32 ntsync_trace_b(const struct ntsync_obj *obj)
{
	switch (obj->type) {
	case NTSYNC_TYPE_SEM:
		return obj->u.sem.max;
	case NTSYNC_TYPE_MUTEX:
		return obj->u.mutex.count;
	default:
		return obj->u.event.manual;
	}
}
#endif

TRACE_DEFINE_ENUM(NTSYNC_TYPE_SEM);
TRACE_DEFINE_ENUM(NTSYNC_TYPE_MUTEX);
TRACE_DEFINE_ENUM(NTSYNC_TYPE_EVENT);
TRACE_DEFINE_ENUM(NTSYNC_OP_SEM_RELEASE);
TRACE_DEFINE_ENUM(NTSYNC_OP_MUTEX_UNLOCK);
TRACE_DEFINE_ENUM(NTSYNC_OP_MUTEX_KILL);
TRACE_DEFINE_ENUM(NTSYNC_OP_EVENT_SET);
TRACE_DEFINE_ENUM(NTSYNC_OP_EVENT_RESET);
TRACE_DEFINE_ENUM(NTSYNC_OP_EVENT_PULSE);
TRACE_DEFINE_ENUM(NTSYNC_OP_WAIT);
TRACE_DEFINE_ENUM(NTSYNC_TIMEOUT_NONE);
TRACE_DEFINE_ENUM(NTSYNC_TIMEOUT_MONOTONIC);
TRACE_DEFINE_ENUM(NTSYNC_TIMEOUT_REALTIME);

#define ntsync_show_type(t)						\
	__print_symbolic(t,						\
			 { NTSYNC_TYPE_SEM, "semaphore" },		\
			 { NTSYNC_TYPE_MUTEX, "mutex" },		\
			 { NTSYNC_TYPE_EVENT, "event" })

#define ntsync_show_op(op)						\
	__print_symbolic(op,						\
			 { NTSYNC_OP_SEM_RELEASE, "sem_release" },	\
			 { NTSYNC_OP_MUTEX_UNLOCK, "mutex_unlock" },	\
			 { NTSYNC_OP_MUTEX_KILL, "mutex_kill" },	\
			 { NTSYNC_OP_EVENT_SET, "event_set" },		\
			 { NTSYNC_OP_EVENT_RESET, "event_reset" },	\
			 { NTSYNC_OP_EVENT_PULSE, "event_pulse" },	\
			 { NTSYNC_OP_WAIT, "wait" })

#define ntsync_show_timeout(kind)					\
	__print_symbolic(kind,						\
			 { NTSYNC_TIMEOUT_NONE, "none" },		\
			 { NTSYNC_TIMEOUT_MONOTONIC, "monotonic" },	\
			 { NTSYNC_TIMEOUT_REALTIME, "realtime" })

DECLARE_EVENT_CLASS(ntsync_obj_class,
		    TP_PROTO(const struct ntsync_obj *obj),
		    TP_ARGS(obj),
		    TP_STRUCT__entry(__field(u64, instance)
				     __field(u64, object)
				     __field(int, type)
				     __field(__u32, a)
				     __field(__u32, b)
		    ),
		    TP_fast_assign(__entry->instance = obj->dev->id;
				   __entry->object = obj->id;
				   __entry->type = obj->type;
				   __entry->a = ntsync_trace_a(obj);
				   __entry->b = ntsync_trace_b(obj);
		    ),
		    TP_printk("instance=%llu object=%llu type=%s a=%u b=%u",
			      __entry->instance, __entry->object,
			      ntsync_show_type(__entry->type), __entry->a, __entry->b)
);

/* An object was created, with its initial state. */
DEFINE_EVENT(ntsync_obj_class, ntsync_obj_create,
	     TP_PROTO(const struct ntsync_obj *obj),
	     TP_ARGS(obj)
);

/* An object's last reference went away, with its final state. */
DEFINE_EVENT(ntsync_obj_class, ntsync_obj_destroy,
	     TP_PROTO(const struct ntsync_obj *obj),
	     TP_ARGS(obj)
);

/*
 * An ioctl changed an object: its state before (@prev_a, @prev_b) and
 * after, once the waiters it woke have taken what they acquired.
 */
TRACE_EVENT(ntsync_state,
	    TP_PROTO(const struct ntsync_obj *obj, int op, __u32 prev_a,
		     __u32 prev_b),
	    TP_ARGS(obj, op, prev_a, prev_b),
	    TP_STRUCT__entry(__field(u64, instance)
			     __field(u64, object)
			     __field(int, type)
			     __field(int, op)
			     __field(__u32, prev_a)
			     __field(__u32, prev_b)
			     __field(__u32, a)
			     __field(__u32, b)
	    ),
	    TP_fast_assign(__entry->instance = obj->dev->id;
			   __entry->object = obj->id;
			   __entry->type = obj->type;
			   __entry->op = op;
			   __entry->prev_a = prev_a;
			   __entry->prev_b = prev_b;
			   __entry->a = ntsync_trace_a(obj);
			   __entry->b = ntsync_trace_b(obj);
	    ),
	    TP_printk("instance=%llu object=%llu type=%s op=%s a=%u->%u b=%u->%u",
		      __entry->instance, __entry->object,
		      ntsync_show_type(__entry->type), ntsync_show_op(__entry->op),
		      __entry->prev_a, __entry->a, __entry->prev_b, __entry->b)
);

/* A wait began (its arguments were valid); timeout: none, monotonic, realtime. */
TRACE_EVENT(ntsync_wait_begin,
	    TP_PROTO(const struct ntsync_device *dev,
		     const struct ntsync_wait_args *args, bool all),
	    TP_ARGS(dev, args, all),
	    TP_STRUCT__entry(__field(u64, instance)
			     __field(u64, timeout)
			     __field(__u32, count)
			     __field(__u32, owner)
			     __field(__u32, alert)
			     __field(int, kind)
			     __field(bool, all)
	    ),
	    TP_fast_assign(__entry->instance = dev->id;
			   __entry->timeout = args->timeout;
			   __entry->count = args->count;
			   __entry->owner = args->owner;
			   __entry->alert = args->alert;
			   __entry->kind = ntsync_timeout_kind(args);
			   __entry->all = all;
	    ),
	    TP_printk("instance=%llu wait=%s count=%u owner=%u alert=%s timeout=%s",
		      __entry->instance, __entry->all ? "all" : "any",
		      __entry->count, __entry->owner,
		      __entry->alert ? "yes" : "no",
		      ntsync_show_timeout(__entry->kind))
);

/*
 * A wait ended: its result (0 or a negative errno), the index it reports
 * (-1 if it acquired nothing) and the nanoseconds since it began.
 */
TRACE_EVENT(ntsync_wait_end,
	    TP_PROTO(const struct ntsync_device *dev, bool all, int result,
		     int index, u64 slept_ns),
	    TP_ARGS(dev, all, result, index, slept_ns),
	    TP_STRUCT__entry(__field(u64, instance)
			     __field(u64, slept_ns)
			     __field(int, result)
			     __field(int, index)
			     __field(bool, all)
	    ),
	    TP_fast_assign(__entry->instance = dev->id;
			   __entry->slept_ns = slept_ns;
			   __entry->result = result;
			   __entry->index = index;
			   __entry->all = all;
	    ),
	    TP_printk("instance=%llu wait=%s result=%d index=%d slept_ns=%llu",
		      __entry->instance, __entry->all ? "all" : "any",
		      __entry->result, __entry->index, __entry->slept_ns)
);

/*
 * A queued wait was satisfied by @op on @obj (for a WAIT_ALL, the object
 * whose change completed it; object 0 if the wait found them free as it
 * queued): its thread, owner and the position the object was handed to (for
 * an object a WAIT_ANY names more than once, the wait reports the lowest).
 */
TRACE_EVENT(ntsync_wake,
	    TP_PROTO(const struct ntsync_device *dev, const struct ntsync_obj *obj,
		     const struct ntsync_q *q, __u32 index, int op),
	    TP_ARGS(dev, obj, q, index, op),
	    TP_STRUCT__entry(__field(u64, instance)
			     __field(u64, object)
			     __field(pid_t, tid)
			     __field(__u32, owner)
			     __field(__u32, index)
			     __field(int, op)
			     __field(bool, all)
	    ),
	    TP_fast_assign(__entry->instance = dev->id;
			   __entry->object = obj ? obj->id : 0;
			   __entry->tid = q->task->pid;
			   __entry->owner = q->owner;
			   __entry->index = index;
			   __entry->op = op;
			   __entry->all = q->all;
	    ),
	    TP_printk("instance=%llu object=%llu tid=%d owner=%u wait=%s index=%u by=%s",
		      __entry->instance, __entry->object, __entry->tid,
		      __entry->owner, __entry->all ? "all" : "any", __entry->index,
		      ntsync_show_op(__entry->op))
);

#endif /* _NTSYNC_TRACE_H */

/* Out of tree: define_trace.h finds this file through -I$(src) (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ntsync_trace
#include <trace/define_trace.h>

#endif /* NTSYNC_NO_TRACE */
