// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz model: the contract (spec/ABI.md, Documentation/ntsync.rst)
 * as a small user-space model.  Each function models the driver function in
 * ntsync.c whose name it carries after model_, so that the two can be read
 * side by side: what the call returns, what it writes back, what it does to
 * the objects.  Nothing here draws a random number or makes a system call;
 * model.c decides the calls and compares the driver's answers with these.
 */
#include "model.h"

/* ntsync_obj_can_acquire() */
bool model_obj_can_acquire(const struct m_obj *obj, uint32_t owner)
{
	switch (obj->type) {
	case SEM: return obj->a;
	case MUTEX: return !obj->a || (obj->a == owner && obj->b < U32_MAX);
	default: return obj->b;
	}
}

/* ntsync_obj_acquire(): returns whether that took an abandoned mutex. */
bool model_obj_acquire(struct m_obj *obj, uint32_t owner)
{
	bool dead = false;

	switch (obj->type) {
	case SEM:
		obj->a--;
		break;
	case MUTEX:
		dead = obj->dead;
		obj->dead = false;
		obj->a = owner;
		obj->b++;
		break;
	default:
		if (!obj->a)
			obj->b = 0;
		break;
	}
	return dead;
}

/* ntsync_create_sem(): the count may not exceed the maximum. */
int model_create_sem(const struct ntsync_sem_args *args)
{
	return args->count > args->max ? -EINVAL : 0;
}

/* ntsync_create_mutex(): an owner exactly when a count. */
int model_create_mutex(const struct ntsync_mutex_args *args)
{
	return !args->owner != !args->count ? -EINVAL : 0;
}

/* ntsync_create_event(): any flags (nonzero is true). */
int model_create_event(const struct ntsync_event_args *args)
{
	(void)args;
	return 0;
}

static void m_write(struct m_written *w, uint32_t v)
{
	w->v[w->n++] = v;
}

/* ntsync_sem_release(): writes the previous count back. */
static int model_sem_release(struct m_obj *sem, bool fault, uint32_t count, struct m_written *w)
{
	if (sem->type != SEM)
		return -EINVAL;
	if (fault)
		return -EFAULT;
	if ((uint64_t)sem->a + count > sem->b)
		return -EOVERFLOW;
	m_write(w, sem->a);
	sem->a += count;
	return 0;
}

/* The checks MUTEX_UNLOCK and MUTEX_KILL share, in the driver's order. */
static int model_mutex_owner_check(const struct m_obj *mutex, bool fault,
				   uint32_t owner)
{
	if (mutex->type != MUTEX)
		return -EINVAL;
	if (fault)
		return -EFAULT;
	if (!owner)
		return -EINVAL;
	if (mutex->a != owner)
		return -EPERM;
	return 0;
}

/* ntsync_mutex_unlock(): writes {owner, previous count} back (only the count changes). */
static int model_mutex_unlock(struct m_obj *mutex, bool fault, uint32_t owner,
			      struct m_written *w)
{
	int ret = model_mutex_owner_check(mutex, fault, owner);

	if (ret)
		return ret;
	m_write(w, owner);
	m_write(w, mutex->b);
	if (!--mutex->b)
		mutex->a = 0;
	return 0;
}

/* ntsync_mutex_kill() */
static int model_mutex_kill(struct m_obj *mutex, bool fault, uint32_t owner)
{
	int ret = model_mutex_owner_check(mutex, fault, owner);

	if (ret)
		return ret;
	mutex->a = mutex->b = 0;
	mutex->dead = true;
	return 0;
}

/*
 * ntsync_event_change(): SET, RESET or PULSE; writes the previous state
 * back.  With waiters a pulsed event stays signaled while they settle
 * (model-waiters.c), which then resets it.
 */
static int model_event_change(struct m_obj *event, bool fault, unsigned long cmd,
			      struct m_written *w)
{
	if (event->type != EVENT)
		return -EINVAL;
	if (fault)
		return -EFAULT;
	m_write(w, event->b);
	event->b = cmd == NTSYNC_IOC_EVENT_SET;
	if (cmd == NTSYNC_IOC_EVENT_PULSE && opt_waiters) {
		event->b = 1;
		m_pulsed = event - m_objs;
	}
	return 0;
}

/*
 * ntsync_sem_read(), ntsync_mutex_read(), ntsync_event_read(): the state,
 * in the order of the argument; EOWNERDEAD (with the state) for an
 * abandoned mutex.
 */
static int model_obj_read(struct m_obj *obj, int type, bool fault, struct m_written *w)
{
	if (obj->type != type)
		return -EINVAL;
	if (fault)
		return -EFAULT;
	m_write(w, obj->a);
	m_write(w, obj->b);
	return type == MUTEX && obj->dead ? -EOWNERDEAD : 0;
}

/*
 * ntsync_obj_ioctl(): @arg is what the caller passes ({count},
 * {owner, count} or {owner}), @fault that the kernel cannot read or write it.
 */
int model_obj_ioctl(struct m_obj *obj, unsigned long cmd, bool fault, const uint32_t arg[2],
		    struct m_written *w)
{
	w->n = 0;
	switch (cmd) {
	case NTSYNC_IOC_SEM_RELEASE:
		return model_sem_release(obj, fault, arg[0], w);
	case NTSYNC_IOC_SEM_READ:
		return model_obj_read(obj, SEM, fault, w);
	case NTSYNC_IOC_MUTEX_UNLOCK:
		return model_mutex_unlock(obj, fault, arg[0], w);
	case NTSYNC_IOC_MUTEX_KILL:
		return model_mutex_kill(obj, fault, arg[0]);
	case NTSYNC_IOC_MUTEX_READ:
		return model_obj_read(obj, MUTEX, fault, w);
	case NTSYNC_IOC_EVENT_SET:
	case NTSYNC_IOC_EVENT_RESET:
	case NTSYNC_IOC_EVENT_PULSE:
		return model_event_change(obj, fault, cmd, w);
	default:
		return model_obj_read(obj, EVENT, fault, w);
	}
}

/* ntsync_get_wait_args(): the arguments that are wrong whatever the objects. */
int model_get_wait_args(const struct ntsync_wait_args *args)
{
	if (args->count > NTSYNC_MAX_WAIT_COUNT || args->pad || !args->owner ||
	    (args->flags & ~NTSYNC_WAIT_REALTIME))
		return -EINVAL;
	return 0;
}

/*
 * ntsync_setup_wait(): every fd an object of this instance (@objs[i] < 0:
 * not), the alert an event of it (@alert_obj -2: not; -1: no alert), and
 * for WAIT_ALL no object twice, the alert included.
 */
int model_setup_wait(bool all, const int *objs, uint32_t count, int alert_obj)
{
	uint32_t i, j;

	if (alert_obj == -2)
		return -EINVAL;
	for (i = 0; i < count; i++) {
		if (objs[i] < 0)
			return -EINVAL;
	}
	for (i = 0; all && i < count; i++) {
		for (j = 0; j < i; j++) {
			if (objs[i] == objs[j])
				return -EINVAL;
		}
		if (alert_obj >= 0 && objs[i] == alert_obj)
			return -EINVAL;
	}
	return 0;
}

/* The end of a wait the objects did not satisfy: the alert, or a timeout. */
static int model_wait_alert(uint32_t count, int alert_obj, uint32_t owner, uint32_t *index)
{
	if (alert_obj >= 0 && model_obj_can_acquire(&m_objs[alert_obj], owner)) {
		model_obj_acquire(&m_objs[alert_obj], owner);
		*index = count;
		return 0;
	}
	return -ETIMEDOUT;
}

/*
 * ntsync_wait_any() on arguments that passed the checks above, at a
 * deadline that has passed: the first acquirable object, else the alert.
 */
int model_wait_any(const int *objs, uint32_t count, int alert_obj, uint32_t owner,
		   uint32_t *index)
{
	uint32_t i;

	for (i = 0; i < count; i++) {
		if (model_obj_can_acquire(&m_objs[objs[i]], owner)) {
			*index = i;
			return model_obj_acquire(&m_objs[objs[i]], owner) ? -EOWNERDEAD : 0;
		}
	}
	return model_wait_alert(count, alert_obj, owner, index);
}

/* ntsync_wait_all(), likewise: all objects at once (index 0), else the alert. */
int model_wait_all(const int *objs, uint32_t count, int alert_obj, uint32_t owner,
		   uint32_t *index)
{
	bool can = true, dead = false;
	uint32_t i;

	for (i = 0; i < count; i++)
		can = can && model_obj_can_acquire(&m_objs[objs[i]], owner);
	if (!can)
		return model_wait_alert(count, alert_obj, owner, index);
	for (i = 0; i < count; i++)
		dead |= model_obj_acquire(&m_objs[objs[i]], owner);
	*index = 0;
	return dead ? -EOWNERDEAD : 0;
}

/*
 * ntsync_obj_show_fdinfo(): the lines /proc/self/fdinfo/FD must contain
 * for @obj, with the waiter counts model-waiters.c can pin down.
 */
void model_obj_show_fdinfo(int obj, char *buf, size_t size)
{
	const struct m_obj *o = &m_objs[obj];

	switch (o->type) {
	case SEM:
		snprintf(buf, size, "ntsync-type:\tsemaphore\nntsync-count:\t%u\nntsync-max:\t%u\n",
			 o->a, o->b);
		break;
	case MUTEX:
		snprintf(buf, size,
			 "ntsync-type:\tmutex\nntsync-owner:\t%u\nntsync-count:\t%u\nntsync-abandoned:\t%u\n",
			 o->a, o->b, o->dead);
		break;
	default:
		snprintf(buf, size, "ntsync-type:\tevent\nntsync-manual:\t%u\nntsync-signaled:\t%u\n",
			 o->a, o->b);
		break;
	}
	mw_fdinfo_want(obj, buf + strlen(buf), size - strlen(buf));
}
