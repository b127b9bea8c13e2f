// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz model --waiters: waits that sleep.
 *
 * With --waiters N, N threads make waits while the model's thread (the
 * controller) goes on with its steps.  Deterministic hand-offs only:
 *
 * - The controller gives an idle thread a valid WAIT_ANY or WAIT_ALL on
 *   random objects, with or without an alert, with no timeout, one far
 *   away or one a few milliseconds away.  If the model lets the wait
 *   finish at once, it must (with the lowest acquirable index).  If not,
 *   the controller goes on only once the thread sleeps in the ioctl: it
 *   said it entered it and /proc/self/task/TID/stat says S (nothing in
 *   the ioctl sleeps interruptibly before the wait is queued), or it
 *   returned (its timeout may already have passed).
 *
 * - After every step the controller settles: it takes the waits that
 *   returned and looks for an order in which the model allows each
 *   outcome from the state the step left -- an object the model calls
 *   acquirable at that point and at its lowest position, the objects
 *   before the alert, EOWNERDEAD exactly for the first taker of an
 *   abandoned mutex, ETIMEDOUT only after the deadline -- and applies
 *   them.  It goes on until no wait still asleep could proceed in the
 *   resulting state.  A wait that the model says can proceed and that is
 *   still asleep after MW_SETTLE_NS is a lost wakeup; so is a wait that
 *   timed out although the operation that let it proceed returned before
 *   its deadline.  Both stop the run with the seed and the step.
 *
 * The controller alone draws random numbers, so a seed gives the same
 * operations; only the timeouts depend on the timing.
 */
#include "model.h"

#define MW_SETTLE_NS (15 * 1000000000ull)
#define MW_QUEUE_NS (30 * 1000000000ull)
#define MW_PATIENCE 32	/* steps a wait sleeps before the controller helps it */

enum { MW_IDLE, MW_GO, MW_QUIT };

struct mw {
	pthread_t th;
	int id;
	int tid;
	int go;			/* futex word: MW_IDLE, MW_GO, MW_QUIT */
	int entered;		/* the thread is about to make the ioctl */
	int done;		/* the ioctl returned; the outcome is below */
	/* the wait: written by the controller while the thread is idle */
	int dev;
	bool all;
	struct ntsync_wait_args args;
	uint32_t fds[NTSYNC_MAX_WAIT_COUNT];
	int objs[NTSYNC_MAX_WAIT_COUNT];	/* model objects */
	int alert_obj;				/* -1: no alert */
	clockid_t clock;
	uint64_t deadline;			/* UINT64_MAX: none */
	bool soon;		/* the deadline may pass during the run */
	bool busy;		/* started, outcome not yet accounted for */
	bool at_once;		/* the model lets it finish without sleeping */
	bool seen;		/* among the returned waits of this settle */
	bool interrupted;	/* the controller sent it a signal */
	uint64_t start_step;
	char desc[400];
	/* the outcome: written by the thread */
	int ret;
	uint32_t index;
	uint64_t end_ns;	/* its clock, read after the ioctl returned */
};

static struct mw mw_w[MW_MAX];
static struct mw *mw_done[MW_MAX];
static int mw_ndone;
static const char *mw_why;	/* the first refusal of the last settle attempt */
static struct mw *mw_why_w;
/* woken by a change, finished at once, by the alert, timed out, abandoned mutex, signal */
static uint64_t mw_res[6], mw_started, mw_checked;
static unsigned int mw_max_busy;
const struct mw *mw_failed;

static void mw_sig(int sig)
{
	(void)sig;
}

static void *mw_main(void *arg)
{
	struct mw *w = arg;
	int g;

	__atomic_store_n(&w->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (;;) {
		while ((g = __atomic_load_n(&w->go, __ATOMIC_ACQUIRE)) == MW_IDLE)
			syscall(SYS_futex, &w->go, FUTEX_WAIT_PRIVATE, MW_IDLE, NULL, NULL, 0);
		if (g == MW_QUIT)
			return NULL;
		__atomic_store_n(&w->go, MW_IDLE, __ATOMIC_RELAXED);
		__atomic_store_n(&w->entered, 1, __ATOMIC_RELEASE);
		w->ret = xioctl(w->dev, w->all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY,
				&w->args);
		w->end_ns = now_ns(w->clock);
		w->index = w->args.index;
		__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	}
}

static bool mw_is_done(struct mw *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

/* The state letter of the thread in /proc/self/task/TID/stat, or 0. */
static char mw_state(const struct mw *w)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", w->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static void mw_nap(void)
{
	struct timespec ts = { 0, 200000 };

	nanosleep(&ts, NULL);
}

/*
 * Whether the model lets the objects satisfy @w now: for WAIT_ANY, some
 * object can be acquired (*first: the lowest such position); for WAIT_ALL,
 * all of them can.  The driver's side: ntsync_all_can_acquire() for
 * WAIT_ALL, model_obj_can_acquire() entry by entry for WAIT_ANY.
 */
static bool mw_objs_ok(const struct mw *w, int *first)
{
	uint32_t owner = w->args.owner;
	int i;

	*first = -1;
	if (w->all) {
		for (i = 0; i < (int)w->args.count; i++) {
			if (!model_obj_can_acquire(&m_objs[w->objs[i]], owner))
				return false;
		}
		*first = 0;
		return true;	/* (also with no objects, as m_wait() says) */
	}
	for (i = 0; i < (int)w->args.count; i++) {
		if (model_obj_can_acquire(&m_objs[w->objs[i]], owner)) {
			*first = i;
			return true;
		}
	}
	return false;
}

/* Whether the model lets @w finish now, by its objects or its alert. */
static bool mw_can_finish(const struct mw *w)
{
	int first;

	return mw_objs_ok(w, &first) ||
	       (w->alert_obj >= 0 && model_obj_can_acquire(&m_objs[w->alert_obj], w->args.owner));
}

/*
 * Applies the outcome of @w to the model; NULL, or why the model refuses it.
 * What it accepts is what the driver's wake paths may do:
 * ntsync_try_wake_entry() (one object, an acquirable one, at its lowest
 * position; or the alert, only if the objects cannot be had) and
 * ntsync_try_wake_all() (all objects at once), with ntsync_wait_finish()'s
 * EOWNERDEAD and index; or a timeout after the deadline, or EINTR.
 */
static const char *mw_apply(struct mw *w)
{
	uint32_t owner = w->args.owner, count = w->args.count, i;
	bool dead = false;
	int first;
	bool objs_ok = mw_objs_ok(w, &first);

	if (w->ret == -ETIMEDOUT) {
		if (w->deadline == UINT64_MAX)
			return "ETIMEDOUT without a timeout";
		if (w->end_ns < w->deadline)
			return "ETIMEDOUT before its deadline";
		if (w->at_once)
			return "ETIMEDOUT, though the model let it finish at once";
		return NULL;
	}
	if (w->ret == -EINTR)
		return w->interrupted ? NULL : "EINTR, though no signal was sent";
	if (w->ret != 0 && w->ret != -EOWNERDEAD)
		return "a result a valid wait cannot have";
	if (w->index < count && w->all) {
		if (w->index || !objs_ok)
			return "success, though the model says not all its objects can be acquired";
		for (i = 0; i < count; i++)
			dead |= model_obj_acquire(&m_objs[w->objs[i]], owner);
	} else if (w->index < count) {
		if (!model_obj_can_acquire(&m_objs[w->objs[w->index]], owner))
			return "an index whose object the model says cannot be acquired";
		for (i = 0; i < w->index; i++) {
			if (w->objs[i] == w->objs[w->index])
				return "an index that is not its object's lowest position";
		}
		if (w->at_once && (int)w->index != first)
			return "not the lowest acquirable index, on a wait that did not sleep";
		dead = model_obj_acquire(&m_objs[w->objs[w->index]], owner);
	} else if (w->index == count && w->alert_obj >= 0) {
		if (objs_ok)
			return "the alert, though the model says its objects can be acquired (they win)";
		if (!model_obj_can_acquire(&m_objs[w->alert_obj], owner))
			return "the alert, which the model says is not signaled";
		model_obj_acquire(&m_objs[w->alert_obj], owner);
	} else {
		return "an index out of range";
	}
	if ((w->ret == -EOWNERDEAD) != dead)
		return dead ? "0, though it took an abandoned mutex" :
			      "EOWNERDEAD, though no mutex it took was abandoned";
	return NULL;
}

static void mw_swap(int i, int j)
{
	struct mw *t = mw_done[i];

	mw_done[i] = mw_done[j];
	mw_done[j] = t;
}

/* An order of mw_done[k..] whose outcomes the model allows one after another. */
static bool mw_explain(int k)
{
	struct m_obj save[M_OBJS];
	const char *why;
	int i;

	if (k == mw_ndone)
		return true;
	for (i = k; i < mw_ndone; i++) {
		mw_swap(k, i);
		memcpy(save, m_objs, sizeof(save));
		why = mw_apply(mw_done[k]);
		if (!why && mw_explain(k + 1))
			return true;
		if (why && !mw_why) {
			mw_why = why;
			mw_why_w = mw_done[k];
		}
		memcpy(m_objs, save, sizeof(save));
		mw_swap(k, i);
	}
	return false;
}

static int mw_read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int pfd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	n = read(pfd, buf, size - 1);
	close(pfd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The model's and the driver's view of a wait's objects, for m_fail(). */
void mw_show(void)
{
	const struct mw *w = mw_failed;
	int i, n = w->args.count + (w->alert_obj >= 0), obj, f;
	const struct m_obj *o;
	char buf[1024];

	printf("#   waiter %d: %s (started at step %" PRIu64 ")\n", w->id, w->desc, w->start_step);
	for (i = 0; i < n; i++) {
		obj = i < (int)w->args.count ? w->objs[i] : w->alert_obj;
		o = &m_objs[obj];
		printf("#   %s %d: model: %s {%u, %u}%s; acquirable for owner %u: %s\n",
		       i < (int)w->args.count ? "object" : "alert", i, type_names[o->type],
		       o->a, o->b, o->dead ? " abandoned" : "", w->args.owner,
		       model_obj_can_acquire(o, w->args.owner) ? "yes" : "no");
		for (f = 0; f < m_nfds && m_fds[f].obj != obj; f++)
			;
		if (f < m_nfds && !mw_read_fdinfo(m_fds[f].fd, buf, sizeof(buf))) {
			char *p;

			for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
				if (!strncmp(p, "ntsync-", 7))
					printf("#     fdinfo %s\n", p);
			}
		}
	}
}

/* Account for a returned wait whose outcome the settle applied. */
static void mw_retire(struct mw *w)
{
	int i;

	mw_checked++;
	if (w->ret == -ETIMEDOUT)
		mw_res[3]++;
	else if (w->ret == -EINTR)
		mw_res[5]++;
	else if (w->at_once)
		mw_res[1]++;
	else if (w->index == w->args.count)
		mw_res[2]++;
	else
		mw_res[0]++;
	if (w->ret == -EOWNERDEAD)
		mw_res[4]++;
	for (i = 0; i < (int)w->args.count; i++) {
		m_objs[w->objs[i]].refs--;
		m_touched[w->objs[i]] = true;
	}
	if (w->alert_obj >= 0) {
		m_objs[w->alert_obj].refs--;
		m_touched[w->alert_obj] = true;
	}
	if (opt_verbose)
		printf("# waiter %d returned %s, index %u\n", w->id, errname(w->ret), w->index);
	w->busy = false;
}

/*
 * Account for every wait that returned, until no wait that is asleep could
 * proceed.  Called after every step.
 */
void mw_settle(void)
{
	uint64_t limit = now_ns(CLOCK_MONOTONIC) + MW_SETTLE_NS;
	struct m_obj base[M_OBJS];
	struct mw *stuck;
	bool explained;
	int i;

	memcpy(base, m_objs, sizeof(base));
	for (;;) {
		mw_ndone = 0;
		for (i = 0; i < (int)opt_waiters; i++) {
			struct mw *w = &mw_w[i];

			w->seen = w->busy && mw_is_done(w);
			if (w->seen)
				mw_done[mw_ndone++] = w;
		}
		memcpy(m_objs, base, sizeof(base));
		mw_why = NULL;
		explained = mw_explain(0);
		stuck = NULL;
		for (i = 0; explained && !stuck && i < (int)opt_waiters; i++) {
			if (mw_w[i].busy && !mw_w[i].seen && mw_can_finish(&mw_w[i]))
				stuck = &mw_w[i];
		}
		if (explained && !stuck)
			break;
		if (now_ns(CLOCK_MONOTONIC) > limit) {
			if (!explained) {
				mw_failed = mw_why_w;
				m_fail("waiter %d returned %s, index %u: the model allows no such outcome (%s)",
				       mw_why_w->id, errname(mw_why_w->ret), mw_why_w->index,
				       mw_why);
			}
			mw_failed = stuck;
			m_fail("waiter %d is still asleep %llu s after the step, though the model says it can proceed",
			       stuck->id, MW_SETTLE_NS / 1000000000ull);
		}
		mw_nap();
	}
	for (i = 0; i < mw_ndone; i++) {
		struct mw *w = mw_done[i];

		if (w->ret == -ETIMEDOUT && mw_can_finish(w) &&
		    w->deadline > m_op_end[w->clock == CLOCK_REALTIME]) {
			mw_failed = w;
			m_fail("waiter %d timed out, though the model says it could proceed since an operation that returned before its deadline",
			       w->id);
		}
		mw_retire(w);
	}
	if (m_pulsed >= 0)
		m_objs[m_pulsed].b = 0;
	m_pulsed = -1;
}

/* An fd index of an object some sleeping wait waits for, of @type if >= 0; or -1. */
int mw_pick(int type)
{
	int cand[MW_MAX * (NTSYNC_MAX_WAIT_COUNT + 1)], n = 0, i, j, f;

	for (i = 0; i < (int)opt_waiters; i++) {
		const struct mw *w = &mw_w[i];

		if (!w->busy)
			continue;
		for (j = 0; j <= (int)w->args.count; j++) {
			int obj = j < (int)w->args.count ? w->objs[j] : w->alert_obj;

			if (obj >= 0 && (type < 0 || m_objs[obj].type == type))
				cand[n++] = obj;
		}
	}
	if (!n)
		return -1;
	i = cand[rn(n)];
	for (f = 0; f < m_nfds; f++) {
		if (m_fds[f].obj == i)
			return f;
	}
	return -1;
}

/* The waiter lines fdinfo must show for @obj now; none if a wait may end any moment. */
void mw_fdinfo_want(int obj, char *buf, size_t size)
{
	int waiters = 0, all = 0, i, j;
	bool all_known = true;

	for (i = 0; i < (int)opt_waiters; i++) {
		const struct mw *w = &mw_w[i];

		if (!w->busy)
			continue;
		if (w->soon) {
			*buf = 0;
			return;
		}
		for (j = 0; j < (int)w->args.count; j++) {
			if (w->objs[j] == obj) {
				waiters++;
				all += w->all;
			}
		}
		/* (whether a WAIT_ALL's alert counts in waiters-all is not pinned here) */
		if (w->alert_obj == obj) {
			waiters++;
			all_known = all_known && !w->all;
		}
	}
	if (all_known)
		snprintf(buf, size, "ntsync-waiters:\t%d\nntsync-waiters-all:\t%d\n", waiters, all);
	else
		snprintf(buf, size, "ntsync-waiters:\t%d\n", waiters);
}

static bool mw_listed(const struct mw *w, int obj)
{
	int i;

	for (i = 0; i < (int)w->args.count; i++) {
		if (w->objs[i] == obj)
			return true;
	}
	return false;
}

/* The objects a new wait may name: those of one instance, and its events (for the alert). */
struct mw_pool {
	int cand[M_FDS], events[M_FDS], ncand, nev;
};

static void mw_pool(struct mw_pool *pool, int inst)
{
	int i;

	pool->ncand = pool->nev = 0;
	for (i = 0; i < m_nfds; i++) {
		if (m_objs[m_fds[i].obj].inst != inst)
			continue;
		pool->cand[pool->ncand++] = i;
		if (m_objs[m_fds[i].obj].type == EVENT)
			pool->events[pool->nev++] = i;
	}
}

/* WAIT_ANY or WAIT_ALL, its owner and its objects: mostly ones it cannot take now. */
static void mw_choose_objs(struct mw *w, const struct mw_pool *pool)
{
	uint32_t count = 0;
	int i, n, c, tries;

	w->all = pct(45);
	w->args.count = 0;
	n = pct(85) ? 1 + rn(3) : 1 + rn(12);
	if (!w->all && pct(4))
		n = 0;
	w->args.owner = 1 + rn(4);
	for (i = 0; i < n; i++) {
		c = pool->cand[rn(pool->ncand)];
		/* Mostly objects it cannot take now: a wait that sleeps. */
		for (tries = 0; tries < 4 && pct(60) &&
		     model_obj_can_acquire(&m_objs[m_fds[c].obj], w->args.owner); tries++)
			c = pool->cand[rn(pool->ncand)];
		for (tries = 0; w->all && tries < 8 && mw_listed(w, m_fds[c].obj); tries++)
			c = pool->cand[rn(pool->ncand)];
		if (w->all && mw_listed(w, m_fds[c].obj))
			continue;
		w->fds[count] = m_fds[c].fd;
		w->objs[count++] = m_fds[c].obj;
		w->args.count = count;	/* (for mw_listed) */
	}
	w->args.count = count;
}

/* Mostly the owner of an owned mutex among them; sometimes an alert; false if it names nothing. */
static bool mw_choose_owner_alert(struct mw *w, const struct mw_pool *pool)
{
	int i, c;

	/* Mostly the owner of an owned mutex among them: recursion, and the limit. */
	if (pct(60)) {
		for (i = 0; i < (int)w->args.count; i++) {
			const struct m_obj *o = &m_objs[w->objs[i]];

			if (o->type == MUTEX && o->a && pct(70)) {
				w->args.owner = o->a;
				break;
			}
		}
	}
	w->alert_obj = -1;
	w->args.alert = 0;
	if ((pct(40) || !w->args.count) && pool->nev) {
		c = pool->events[rn(pool->nev)];
		if (!w->all || !mw_listed(w, m_fds[c].obj)) {
			w->args.alert = m_fds[c].fd;
			w->alert_obj = m_fds[c].obj;
		}
	}
	return w->args.count || w->alert_obj >= 0;
}

/* No timeout, one in an hour, or one a few milliseconds away ("soon"). */
static void mw_choose_deadline(struct mw *w)
{
	w->args.flags = pct(20) ? NTSYNC_WAIT_REALTIME : 0;
	w->clock = w->args.flags ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	w->args.pad = 0;
	w->args.objs = (uintptr_t)w->fds;
	w->args.index = 0xfeedbeef;
	w->soon = false;
	switch (rn(10)) {
	case 0: case 1: case 2: case 3:
		w->deadline = UINT64_MAX;
		break;
	case 4: case 5:
		w->deadline = now_ns(w->clock) + 3600 * 1000000000ull;
		break;
	default:
		w->deadline = now_ns(w->clock) + 1000000 + rn(40000000);
		w->soon = true;
		break;
	}
	w->args.timeout = w->deadline;
}

static void mw_describe(struct mw *w, int inst)
{
	int i, len;

	len = snprintf(w->desc, sizeof(w->desc), "%s on fd %d (instance %d): objs [",
		       w->all ? "WAIT_ALL" : "WAIT_ANY", w->dev, inst);
	for (i = 0; i < (int)w->args.count && len < 300; i++)
		len += snprintf(w->desc + len, sizeof(w->desc) - len, "%s%u", i ? "," : "",
				w->fds[i]);
	snprintf(w->desc + len, sizeof(w->desc) - len, "] owner %u alert %d timeout %s%s",
		 w->args.owner, (int)w->args.alert,
		 w->deadline == UINT64_MAX ? "forever" : w->soon ? "soon" : "in an hour",
		 w->args.flags ? " (realtime)" : "");
	m_desc_set("start waiter %d: %s; the model says it %s", w->id, w->desc,
		   w->at_once ? "finishes at once" : "sleeps");
}

/* Hand the wait to its thread; the objects it names stay in the model while it is busy. */
static void mw_launch(struct mw *w)
{
	int i;

	for (i = 0; i < (int)w->args.count; i++)
		m_objs[w->objs[i]].refs++;
	if (w->alert_obj >= 0)
		m_objs[w->alert_obj].refs++;
	w->busy = true;
	w->interrupted = false;
	w->entered = 0;
	w->done = 0;
	w->ret = 1;
	__atomic_store_n(&w->go, MW_GO, __ATOMIC_RELEASE);
	syscall(SYS_futex, &w->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	mw_started++;
}

/* Until the thread sleeps in the ioctl (or returned from it). */
static void mw_wait_asleep(struct mw *w)
{
	uint64_t limit = now_ns(CLOCK_MONOTONIC) + MW_QUEUE_NS;
	int i, n;

	while (!__atomic_load_n(&w->entered, __ATOMIC_ACQUIRE) ||
	       (mw_state(w) != 'S' && !mw_is_done(w))) {
		if (now_ns(CLOCK_MONOTONIC) > limit)
			m_fail("waiter %d neither slept nor returned within %llu s", w->id,
			       MW_QUEUE_NS / 1000000000ull);
		mw_nap();
	}
	for (i = 0, n = 0; i < (int)opt_waiters; i++)
		n += mw_w[i].busy && !mw_is_done(&mw_w[i]);
	if ((unsigned int)n > mw_max_busy)
		mw_max_busy = n;
}

/* Gives an idle thread a wait on random objects; false if there is none to give. */
bool mw_start(void)
{
	int k = rn(2), inst = m_inst[k], idle[MW_MAX], nidle = 0, i;
	struct mw_pool pool;
	struct mw *w;

	for (i = 0; i < (int)opt_waiters; i++) {
		if (!mw_w[i].busy)
			idle[nidle++] = i;
	}
	mw_pool(&pool, inst);
	if (!nidle || !pool.ncand)
		return false;
	w = &mw_w[idle[rn(nidle)]];
	w->dev = m_dev[k];
	mw_choose_objs(w, &pool);
	if (!mw_choose_owner_alert(w, &pool))
		return false;
	mw_choose_deadline(w);
	w->at_once = mw_can_finish(w);
	w->start_step = m_step;
	mw_describe(w, inst);
	mw_launch(w);
	if (!w->at_once)	/* (if it is, the settle waits for it) */
		mw_wait_asleep(w);
	return true;
}

/*
 * The oldest wait that has slept for MW_PATIENCE steps gets help, so that
 * the threads keep turning over: an object ioctl that may let it proceed
 * (one of its objects released, unlocked, killed, set or pulsed, or its
 * alert set), or, sometimes and when none of its objects has an fd left,
 * a signal, which must end it with EINTR.  False if no wait needs help.
 */
bool mw_nudge(void)
{
	int cand[NTSYNC_MAX_WAIT_COUNT + 1], nc = 0, i, f, obj;
	struct mw *w = NULL;
	uint64_t limit;

	for (i = 0; i < (int)opt_waiters; i++) {
		struct mw *x = &mw_w[i];

		if (x->busy && !x->interrupted && m_step - x->start_step > MW_PATIENCE &&
		    (!w || x->start_step < w->start_step))
			w = x;
	}
	if (!w)
		return false;
	for (i = 0; i <= (int)w->args.count; i++) {
		obj = i < (int)w->args.count ? w->objs[i] : w->alert_obj;
		for (f = 0; obj >= 0 && f < m_nfds; f++) {
			if (m_fds[f].obj == obj) {
				cand[nc++] = f;
				break;
			}
		}
	}
	if (nc && !pct(10)) {
		f = cand[rn(nc)];
		m_force_idx = f;
		/* SEM_RELEASE; MUTEX_UNLOCK or MUTEX_KILL; EVENT_SET or EVENT_PULSE */
		if (m_objs[m_fds[f].obj].type == SEM)
			m_force_c = 0;
		else if (m_objs[m_fds[f].obj].type == MUTEX)
			m_force_c = pct(80) ? 2 : 3;
		else
			m_force_c = pct(80) ? 5 : 7;
		m_obj_ioctl();
		return true;
	}
	/* Asleep and not satisfiable (the last settle said so): one signal ends it. */
	m_desc_set("interrupt waiter %d (%s) with a signal", w->id, w->desc);
	w->interrupted = true;
	pthread_kill(w->th, SIGUSR1);
	limit = now_ns(CLOCK_MONOTONIC) + MW_QUEUE_NS;
	while (!mw_is_done(w)) {
		if (now_ns(CLOCK_MONOTONIC) > limit) {
			mw_failed = w;
			m_fail("waiter %d did not return within %llu s of a signal", w->id,
			       MW_QUEUE_NS / 1000000000ull);
		}
		mw_nap();
	}
	return true;
}

void mw_begin(void)
{
	struct sigaction sa = { .sa_handler = mw_sig };	/* no SA_RESTART: ends a wait */
	unsigned int i;

	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < opt_waiters; i++) {
		mw_w[i].id = i;
		if (pthread_create(&mw_w[i].th, NULL, mw_main, &mw_w[i])) {
			perror("pthread_create");
			exit(2);
		}
		while (!__atomic_load_n(&mw_w[i].tid, __ATOMIC_ACQUIRE))
			mw_nap();
	}
}

/* Ends the waits still asleep (a signal: EINTR) and the threads; what they did. */
void mw_end(void)
{
	uint64_t limit = now_ns(CLOCK_MONOTONIC) + MW_QUEUE_NS;
	unsigned int i;

	for (i = 0; i < opt_waiters; i++) {
		struct mw *w = &mw_w[i];

		while (w->busy && !mw_is_done(w)) {
			if (now_ns(CLOCK_MONOTONIC) > limit)
				m_fail("waiter %d: its wait did not end on a signal", w->id);
			pthread_kill(w->th, SIGUSR1);
			mw_nap();
		}
		__atomic_store_n(&w->go, MW_QUIT, __ATOMIC_RELEASE);
		syscall(SYS_futex, &w->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		pthread_join(w->th, NULL);
	}
	printf("# model: %u waiting threads: %" PRIu64 " waits started, %" PRIu64
	       " checked: %" PRIu64 " slept and were woken by a change, %" PRIu64
	       " finished at once, %" PRIu64 " ended by their alert, %" PRIu64
	       " timed out, %" PRIu64 " ended by a signal; %" PRIu64
	       " took an abandoned mutex; up to %u asleep at once\n",
	       opt_waiters, mw_started, mw_checked, mw_res[0], mw_res[1], mw_res[2],
	       mw_res[3], mw_res[5], mw_res[4], mw_max_busy);
}

/* The run's result: a run in which no sleeping wait was ever woken tested nothing. */
int mw_tap(void)
{
	tap(mw_res[0], "model --waiters %u: seed %" PRIu64 ": %" PRIu64 " steps, %" PRIu64
	    " waits of waiting threads checked (%" PRIu64 " woken), every result matches the contract, no waiter left asleep",
	    opt_waiters, opt_seed, m_step, mw_checked, mw_res[0]);
	return mw_res[0] ? 0 : 1;
}
