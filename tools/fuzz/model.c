// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz model: one thread makes random calls; every result, every
 * value written back and, after every step, the state of every object
 * touched is compared with the model (model-ntsync.c).  Stops at the first
 * divergence and prints the seed and the step.
 *
 * Each step draws its random numbers in a fixed order, so that a seed gives
 * the same calls: the functions below draw them in the order they are
 * called, and the model's functions draw none.
 */
#include "model.h"

struct m_obj m_objs[M_OBJS];
struct m_fd m_fds[M_FDS];
int m_nfds;
int m_dev[2], m_inst[2];
static int m_next_inst, m_nullfd;
uint64_t m_step;
static uint64_t m_wait_res[4];	/* acquired, EOWNERDEAD, ETIMEDOUT, error */
bool m_touched[M_OBJS];
static char m_desc[512];
uint64_t m_op_end[2];
int m_pulsed = -1;
int m_force_idx = -1, m_force_c;

void m_fail(const char *fmt, ...)
{
	va_list ap;

	printf("# DIVERGENCE at step %" PRIu64 " (seed %" PRIu64 "): ", m_step, opt_seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n#   operation: %s\n", m_desc);
	if (mw_failed)
		mw_show();
	printf("#   reproduce: ntsync-fuzz model --seed %" PRIu64 " --steps %" PRIu64 "%s",
	       opt_seed, m_step + 1, opt_ro_wait_args ? " --ro-wait-args" : "");
	if (opt_waiters)
		printf(" --waiters %u (the waits' timing varies)", opt_waiters);
	printf("\n");
	printf("1..1\n");
	tap(false, "model: seed %" PRIu64 ": every result matches the contract", opt_seed);
	exit(1);
}

void m_desc_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m_desc, sizeof(m_desc), fmt, ap);
	va_end(ap);
	if (opt_verbose)
		printf("# %" PRIu64 ": %s\n", m_step, m_desc);
}

static void m_expect(const char *what, int got, int want)
{
	if (got != want)
		m_fail("%s: returned %s, the model says %s", what, errname(got), errname(want));
}

static int m_new_obj(int type, uint32_t a, uint32_t b, int inst)
{
	int i;

	for (i = 0; i < M_OBJS; i++) {
		if (!m_objs[i].refs) {
			m_objs[i] = (struct m_obj){ type, a, b, false, inst, 0 };
			return i;
		}
	}
	m_fail("model out of objects");
	return -1;
}

static void m_add_fd(int fd, int obj)
{
	if (m_nfds == M_FDS) {
		/* Full: drop the oldest. */
		m_objs[m_fds[0].obj].refs--;
		close(m_fds[0].fd);
		memmove(&m_fds[0], &m_fds[1], sizeof(m_fds[0]) * --m_nfds);
	}
	m_fds[m_nfds].fd = fd;
	m_fds[m_nfds].obj = obj;
	m_nfds++;
	m_objs[obj].refs++;
}

/* A random object fd (index into m_fds), preferring @type if >= 0 and @inst if >= 0. */
int m_pick(int type, int inst)
{
	int cand[M_FDS], n = 0, i;

	for (i = 0; i < m_nfds; i++) {
		const struct m_obj *o = &m_objs[m_fds[i].obj];

		if ((type < 0 || o->type == type) && (inst < 0 || o->inst == inst))
			cand[n++] = i;
	}
	if (n)
		return cand[rn(n)];
	return m_nfds ? (int)rn(m_nfds) : -1;
}

/* An fd of @obj, or -1 if it has none. */
static int m_obj_fd(int obj)
{
	int i, fd = -1;

	for (i = 0; i < m_nfds; i++) {
		if (m_fds[i].obj == obj)
			fd = m_fds[i].fd;
	}
	return fd;
}

/* Compare an object with the model through the READ ioctls. */
static void m_verify_obj(int obj)
{
	static const unsigned long reads[] = {
		NTSYNC_IOC_SEM_READ, NTSYNC_IOC_MUTEX_READ, NTSYNC_IOC_EVENT_READ };
	const struct m_obj *o = &m_objs[obj];
	uint32_t got[2];
	int fd = m_obj_fd(obj), ret;

	if (fd < 0 || !o->refs)
		return;	/* unreachable from here */
	memset(got, 0xcc, sizeof(got));
	ret = xioctl(fd, reads[o->type], got);
	switch (o->type) {
	case SEM:
		if (ret || got[0] != o->a || got[1] != o->b)
			m_fail("fd %d: SEM_READ gives %s, count %u, max %u; model: count %u, max %u",
			       fd, errname(ret), got[0], got[1], o->a, o->b);
		break;
	case MUTEX:
		if (ret != (o->dead ? -EOWNERDEAD : 0) || got[0] != o->a || got[1] != o->b)
			m_fail("fd %d: MUTEX_READ gives %s, owner %u, count %u; model: %s, owner %u, count %u",
			       fd, errname(ret), got[0], got[1], o->dead ? "abandoned" : "not abandoned",
			       o->a, o->b);
		break;
	default:
		if (ret || got[0] != o->a || got[1] != o->b)
			m_fail("fd %d: EVENT_READ gives %s, manual %u, signaled %u; model: manual %u, signaled %u",
			       fd, errname(ret), got[0], got[1], o->a, o->b);
		break;
	}
}

/* /proc/self/fdinfo/FD must show the model's state and its waiters. */
static void m_verify_fdinfo(int idx)
{
	char path[64], buf[1024], want[256];
	ssize_t n;
	int pfd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", m_fds[idx].fd);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd < 0)
		m_fail("open %s: %s", path, strerror(errno));
	n = read(pfd, buf, sizeof(buf) - 1);
	close(pfd);
	if (n < 0)
		m_fail("read %s: %s", path, strerror(errno));
	buf[n] = 0;
	model_obj_show_fdinfo(m_fds[idx].obj, want, sizeof(want));
	if (!strstr(buf, want))
		m_fail("%s is\n%s\n# the model expects it to contain\n%s", path, buf, want);
}

static uint32_t m_owner(void)
{
	return pct(4) ? 0 : 1 + rn(4);
}

/* ---- CREATE_* ---------------------------------------------------------- */

union m_create_args {
	struct ntsync_sem_args sem;
	struct ntsync_mutex_args mutex;
	struct ntsync_event_args event;
	uint32_t v[2];
};

/* Random arguments for a create of @type, mostly valid; what the model says of them. */
static int m_create_args(int type, union m_create_args *a)
{
	static const uint32_t maxes[] = { 0, 1, 2, 3, 5, U32_MAX - 1, U32_MAX };
	static const uint32_t counts[] = { 1, 2, U32_MAX - 2, U32_MAX - 1, U32_MAX };
	static const uint32_t flags[] = { 0, 0, 0, 1, 1, 1, 2, 0x80000000u };

	switch (type) {
	case SEM:
		a->sem.max = pct(70) ? maxes[rn(ARRAY_SIZE(maxes))] : (uint32_t)rnd();
		a->sem.count = a->sem.max ? rn(a->sem.max) + pct(50) : 0;
		if (pct(10) && a->sem.max < U32_MAX - 3)
			a->sem.count = a->sem.max + 1 + rn(3);
		return model_create_sem(&a->sem);
	case MUTEX:
		if (pct(50)) {
			a->mutex.owner = 0;
			a->mutex.count = 0;
		} else {
			a->mutex.owner = pct(90) ? 1 + rn(4) : (uint32_t)rnd() | 1;
			a->mutex.count = counts[rn(ARRAY_SIZE(counts))];
		}
		if (pct(10)) {
			if (pct(50))
				a->mutex.owner = 0, a->mutex.count = 1 + rn(3);
			else
				a->mutex.owner = 1 + rn(4), a->mutex.count = 0;
		}
		return model_create_mutex(&a->mutex);
	default:
		a->event.manual = flags[rn(ARRAY_SIZE(flags))];
		a->event.signaled = flags[rn(ARRAY_SIZE(flags))];
		return model_create_event(&a->event);
	}
}

/* Sometimes sent to something that is not the device: *dev changes, and the result. */
static int m_create_target(int *dev, int want)
{
	int i;

	if (!pct(3))
		return want;
	i = m_pick(-1, -1);
	if (i >= 0 && pct(70)) {
		*dev = m_fds[i].fd;
		want = -ENOTTY;
	} else {
		*dev = m_nullfd;
		want = -ENOTTY;
	}
	if (pct(30)) {
		*dev = 1000;
		want = -EBADF;
	}
	return want;
}

static void m_create(void)
{
	static const unsigned long cmds[] = {
		NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_EVENT };
	int k = rn(2), type = rn(3), dev = m_dev[k], want, ret, obj;
	union m_create_args a;
	const char *how = "good pointer";
	void *p = &a;

	want = m_create_args(type, &a);
	if (pct(5)) {
		p = bad_ptr();
		how = "bad pointer";
		want = -EFAULT;
	} else if (pct(5)) {
		p = ro_copy(&a, sizeof(a));
		how = "read-only pointer";
	}
	want = m_create_target(&dev, want);
	m_desc_set("CREATE %s on fd %d (instance %d) {%u, %u}, %s", type_names[type], dev, m_inst[k],
		   a.v[0], a.v[1], how);
	ret = xioctl(dev, cmds[type], p);
	if (want) {
		if (ret >= 0)
			close(ret);
		m_expect("create", ret, want);
		return;
	}
	if (ret < 0)
		m_fail("create returned %s, the model says a new fd", errname(ret));
	if (!(fcntl(ret, F_GETFD) & FD_CLOEXEC))
		m_fail("the new fd %d is not close-on-exec", ret);
	if (type == EVENT)
		obj = m_new_obj(type, !!a.event.manual, !!a.event.signaled, m_inst[k]);
	else	/* sem: count, max; mutex: owner, count -- the argument's order */
		obj = m_new_obj(type, a.v[0], a.v[1], m_inst[k]);
	m_add_fd(ret, obj);
	m_touched[obj] = true;
}

/* ---- the object ioctls ------------------------------------------------- */

union m_obj_args {
	uint32_t v;
	struct ntsync_sem_args sem;
	struct ntsync_mutex_args mutex;
	struct ntsync_event_args event;
	uint32_t w[2];
};

/* One object ioctl: what it is sent to, and with what. */
struct m_op {
	int idx, fd, obj, c, type;
	bool forced;
	unsigned long cmd;
	const char *name;
	union m_obj_args a, b;	/* the argument the kernel sees; a copy from before */
	void *p;
	const char *how;
	bool fault;		/* a bad or a read-only pointer */
};

static const struct {
	unsigned long cmd;
	const char *name;
	int type;
} m_obj_cmds[] = {
	{ NTSYNC_IOC_SEM_RELEASE, "SEM_RELEASE", SEM },
	{ NTSYNC_IOC_SEM_READ, "SEM_READ", SEM },
	{ NTSYNC_IOC_MUTEX_UNLOCK, "MUTEX_UNLOCK", MUTEX },
	{ NTSYNC_IOC_MUTEX_KILL, "MUTEX_KILL", MUTEX },
	{ NTSYNC_IOC_MUTEX_READ, "MUTEX_READ", MUTEX },
	{ NTSYNC_IOC_EVENT_SET, "EVENT_SET", EVENT },
	{ NTSYNC_IOC_EVENT_RESET, "EVENT_RESET", EVENT },
	{ NTSYNC_IOC_EVENT_PULSE, "EVENT_PULSE", EVENT },
	{ NTSYNC_IOC_EVENT_READ, "EVENT_READ", EVENT },
};

/*
 * The fd: with waiters mostly the right type, and mostly what they wait
 * for (or what mw_nudge() forces); false if there is no object.
 */
static bool m_obj_ioctl_target(struct m_op *op)
{
	op->type = rn(3);
	op->c = -1;
	op->forced = m_force_idx >= 0;
	if (op->forced) {
		op->c = m_force_c;
		op->type = op->c < 2 ? SEM : op->c < 5 ? MUTEX : EVENT;
	} else if (opt_waiters) {
		/* mostly changes: SEM_RELEASE, MUTEX_UNLOCK (twice), MUTEX_KILL, EVENT_* */
		static const int changes[] = { 0, 2, 2, 3, 5, 6, 7 };

		op->c = pct(75) ? changes[rn(ARRAY_SIZE(changes))] : (int)rn(9);
		op->type = op->c < 2 ? SEM : op->c < 5 ? MUTEX : EVENT;
	}
	op->idx = op->forced ? m_force_idx :
		  opt_waiters && pct(60) ? mw_pick(pct(90) ? op->type : -1) : -1;
	m_force_idx = -1;
	if (op->idx < 0)
		op->idx = m_pick(pct(80) ? op->type : -1, -1);
	if (op->idx < 0)
		return false;
	op->fd = m_fds[op->idx].fd;
	op->obj = m_fds[op->idx].obj;
	return true;
}

/* The ioctl and its argument; then sometimes a pointer the kernel must refuse. */
static void m_obj_ioctl_args(struct m_op *op, const struct m_obj *o)
{
	int c = op->c >= 0 ? op->c : (int)rn(9);

	op->cmd = m_obj_cmds[c].cmd;
	op->name = m_obj_cmds[c].name;
	op->type = m_obj_cmds[c].type;
	memset(&op->a, 0xcc, sizeof(op->a));
	switch (op->cmd) {
	case NTSYNC_IOC_SEM_RELEASE:
		op->a.v = pct(60) ? rn(3) : pct(50) ? o->b - o->a + rn(2) : (uint32_t)rnd();
		if (op->forced)
			op->a.v = 1 + rn(2);
		break;
	case NTSYNC_IOC_MUTEX_UNLOCK:
		op->a.mutex.owner = (op->forced || pct(50)) && o->type == MUTEX && o->a ? o->a : m_owner();
		op->a.mutex.count = rn(5);
		break;
	case NTSYNC_IOC_MUTEX_KILL:
		op->a.v = (op->forced || pct(50)) && o->type == MUTEX && o->a ? o->a : m_owner();
		break;
	}
	op->b = op->a;
	op->p = &op->a;
	op->how = "good pointer";
	op->fault = false;
	if (o->type == op->type && !op->forced && pct(8)) {
		/* The kernel must refuse the pointer and leave the object alone. */
		if (op->cmd == NTSYNC_IOC_MUTEX_UNLOCK && !op->a.mutex.owner)
			op->a.mutex.owner = op->b.mutex.owner = 1;
		op->fault = true;
		if (pct(50) && op->cmd != NTSYNC_IOC_MUTEX_KILL) {
			op->p = ro_copy(&op->a, sizeof(op->a));
			op->how = "read-only pointer";
		} else {
			op->p = bad_ptr();
			op->how = "bad pointer";
		}
	}
}

/* The result, and what the ioctl wrote back, against the model's. */
static void m_obj_ioctl_check(const struct m_op *op, int ret, int want,
			      const struct m_written *w)
{
	const uint32_t *got = op->a.w;

	m_expect(op->name, ret, want);
	if (want && want != -EOWNERDEAD) {
		if (!op->fault && memcmp(&op->a, &op->b, sizeof(op->a)))
			m_fail("%s failed but changed the argument", op->name);
	} else if (w->n) {
		/* MUTEX_UNLOCK writes only count back. */
		if (op->cmd == NTSYNC_IOC_MUTEX_UNLOCK ? got[1] != w->v[1] || got[0] != w->v[0] :
		    got[0] != w->v[0] || (w->n > 1 && got[1] != w->v[1]))
			m_fail("%s wrote back {%u, %u}, the model says {%u, %u}", op->name, got[0],
			       w->n > 1 ? got[1] : 0, w->v[0], w->n > 1 ? w->v[1] : 0);
	}
}

void m_obj_ioctl(void)
{
	struct m_op op;
	struct m_written w;
	struct m_obj *o, save;
	int want, ret;

	if (!m_obj_ioctl_target(&op))
		return;
	o = &m_objs[op.obj];
	save = *o;
	m_obj_ioctl_args(&op, o);
	want = model_obj_ioctl(o, op.cmd, op.fault, op.a.w, &w);
	m_desc_set("%s on fd %d (%s) {%u, %u}, %s", op.name, op.fd, type_names[o->type],
		   op.b.mutex.owner, op.b.mutex.count, op.how);
	ret = xioctl(op.fd, op.cmd, op.p);
	m_op_end[0] = now_ns(CLOCK_MONOTONIC);
	m_op_end[1] = now_ns(CLOCK_REALTIME);
	if (want && want != -EOWNERDEAD)
		*o = save;
	m_obj_ioctl_check(&op, ret, want, &w);
	m_touched[op.obj] = true;
}

/* ---- WAIT_ANY, WAIT_ALL ------------------------------------------------ */

/* One wait: where it is sent, its arguments, and what the model says of it. */
struct m_wait {
	bool all, ro_args;
	int k, inst, dev;
	struct ntsync_wait_args a, *ap;
	uint32_t fds[NTSYNC_MAX_WAIT_COUNT + 2];
	int objs[NTSYNC_MAX_WAIT_COUNT + 2];	/* model object per fd, -1: not one of this instance */
	int alert_obj;		/* -1: none; -2: not an event of this instance */
	int want;
	uint32_t index;
	const char *how;
};

/* The count and the objects: mostly this instance's, sometimes junk. */
static void m_wait_objs(struct m_wait *s)
{
	int i;

	s->a.count = pct(80) ? rn(5) : pct(95) ? rn(NTSYNC_MAX_WAIT_COUNT + 1) :
		     NTSYNC_MAX_WAIT_COUNT + 1 + rn(3);
	for (i = 0; i < (int)s->a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		int idx = m_pick(-1, pct(92) ? s->inst : -1);

		s->objs[i] = -1;
		if (idx < 0 || pct(2)) {
			static const int junk[] = { -1, 999, 0 };

			s->fds[i] = i % 2 ? (uint32_t)m_nullfd : (uint32_t)junk[rn(3)];
			if (pct(30))
				s->fds[i] = m_dev[s->k];
		} else {
			s->fds[i] = m_fds[idx].fd;
			if (m_objs[m_fds[idx].obj].inst == s->inst)
				s->objs[i] = m_fds[idx].obj;
		}
	}
}

/* Give WAIT_ALL a fair chance of naming distinct objects. */
static void m_wait_distinct(struct m_wait *s)
{
	int i, j;

	if (!s->all || !pct(50))
		return;
	for (i = 0; i < (int)s->a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		for (j = 0; j < i; j++) {
			if (s->objs[i] >= 0 && s->objs[j] == s->objs[i]) {
				int idx = m_pick(-1, s->inst);

				s->fds[i] = m_fds[idx].fd;
				s->objs[i] = m_fds[idx].obj;
				j = -1;
				if (pct(20))
					break;
			}
		}
	}
}

/* Owner, flags, pad (sometimes wrong) and sometimes an alert. */
static void m_wait_flags_alert(struct m_wait *s)
{
	struct ntsync_wait_args *a = &s->a;

	a->objs = (uintptr_t)s->fds;
	a->owner = m_owner();
	a->flags = pct(20) ? NTSYNC_WAIT_REALTIME : 0;
	if (pct(3))
		a->flags |= 1u << (1 + rn(31));
	a->pad = pct(3) ? 1 + rn(5) : 0;
	s->alert_obj = -1;
	if (pct(40)) {
		int idx = m_pick(pct(90) ? EVENT : -1, pct(95) ? s->inst : -1);

		if (idx >= 0) {
			a->alert = m_fds[idx].fd;
			s->alert_obj = m_fds[idx].obj;
			if (m_objs[s->alert_obj].type != EVENT || m_objs[s->alert_obj].inst != s->inst)
				s->alert_obj = -2;
		}
		if (pct(3)) {
			a->alert = pct(50) ? 999 : (uint32_t)m_nullfd;
			s->alert_obj = -2;
		}
	}
}

/*
 * Which error, if any, the contract gives (one reason at a time where the
 * order is unspecified): s->want 1 for a valid wait.
 */
static void m_wait_errors(struct m_wait *s)
{
	s->how = "";
	s->want = model_get_wait_args(&s->a);
	if (!s->want && pct(3)) {
		s->a.objs = bad_uptr();
		if (s->a.count)	/* a pointer that is never read is fine */
			s->want = -EFAULT;
		s->how = s->a.count ? ", bad objs pointer" : ", bad objs pointer, unread";
	}
	if (!s->want)
		s->want = model_setup_wait(s->all, s->objs, s->a.count, s->alert_obj);
	if (!s->want)
		s->want = 1;
	s->ap = &s->a;
	if (pct(2)) {
		s->ap = bad_ptr();
		s->how = ", bad args pointer";
		s->want = -EFAULT;
	} else if (opt_ro_wait_args && pct(3)) {
		/* Readable but not writable: index cannot be written back. */
		s->ro_args = true;	/* copied below, once the arguments are final */
		s->how = ", read-only args";
		s->want = -EFAULT;
	} else if (pct(2)) {
		/* Not an ioctl of what it is sent to. */
		int idx = m_pick(-1, -1);

		s->dev = idx >= 0 && pct(50) ? m_fds[idx].fd : m_nullfd;
		s->how = ", sent to a non-device";
		s->want = -ENOTTY;
	}
}

/* The deadline: mostly past; sometimes a little ahead; forever only if it cannot sleep. */
static void m_wait_deadline(struct m_wait *s)
{
	clockid_t clock = s->a.flags & NTSYNC_WAIT_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC;

	switch (rn(6)) {
	case 0:
		s->a.timeout = now_ns(clock) + 20000 + rn(100000);
		break;
	case 1:
		if (s->want != -ETIMEDOUT) {
			s->a.timeout = UINT64_MAX;
			break;
		}
		/* fall through */
	default:
		s->a.timeout = pct(50) ? 0 : now_ns(clock) - 1000;
		break;
	}
}

static void m_wait_describe(const struct m_wait *s)
{
	const struct ntsync_wait_args *a = &s->a;
	char list[400];
	int i, len = 0;

	for (i = 0; i < (int)a->count && i < 8 && len < 300; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%d", i ? "," : "", (int)s->fds[i]);
	if (a->count > 8)
		snprintf(list + len, sizeof(list) - len, ",...");
	if (!a->count)
		snprintf(list, sizeof(list), "-");
	m_desc_set("%s on fd %d (instance %d): objs [%s] count %u owner %u alert %d flags %#x pad %u timeout %s%s",
		   s->all ? "WAIT_ALL" : "WAIT_ANY", s->dev, s->inst, list, a->count, a->owner,
		   (int)a->alert, a->flags, a->pad,
		   a->timeout == UINT64_MAX ? "forever" : a->timeout ? "soon/past" : "0", s->how);
}

static void m_wait_check(const struct m_wait *s, int ret)
{
	int i;

	m_expect(s->all ? "WAIT_ALL" : "WAIT_ANY", ret, s->want);
	m_wait_res[!ret ? 0 : ret == -EOWNERDEAD ? 1 : ret == -ETIMEDOUT ? 2 : 3]++;
	if (s->ap == &s->a) {
		if ((ret == 0 || ret == -EOWNERDEAD) && s->a.index != s->index)
			m_fail("index %u, the model says %u", s->a.index, s->index);
		if (ret != 0 && ret != -EOWNERDEAD && s->a.index != 0xfeedbeef)
			m_fail("a failed wait wrote index %u", s->a.index);
	}
	for (i = 0; i < (int)s->a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		if (s->objs[i] >= 0)
			m_touched[s->objs[i]] = true;
	}
	if (s->alert_obj >= 0)
		m_touched[s->alert_obj] = true;
}

static void m_wait(void)
{
	struct m_wait s = { .all = pct(45) };
	int ret;

	s.k = rn(2);
	s.inst = m_inst[s.k];
	s.dev = m_dev[s.k];
	s.index = 0xfeedbeef;
	m_wait_objs(&s);
	m_wait_distinct(&s);
	m_wait_flags_alert(&s);
	m_wait_errors(&s);
	/* The outcome of a valid wait: the model acquires what the driver must. */
	if (s.want == 1)
		s.want = (s.all ? model_wait_all : model_wait_any)(s.objs, s.a.count, s.alert_obj,
								  s.a.owner, &s.index);
	m_wait_deadline(&s);
	m_wait_describe(&s);
	s.a.index = 0xfeedbeef;
	if (s.ro_args)
		s.ap = ro_copy(&s.a, sizeof(s.a));
	alarm(30);
	ret = xioctl(s.dev, s.all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, s.ap);
	alarm(0);
	m_wait_check(&s, ret);
}

/* ---- the rest ---------------------------------------------------------- */

static void m_alarm(int sig)
{
	(void)sig;
	printf("# DIVERGENCE at step %" PRIu64 " (seed %" PRIu64 "): the call did not return within 30 s\n",
	       m_step, opt_seed);
	printf("#   operation: %s\n1..1\n", m_desc);
	printf("not ok 1 - model: seed %" PRIu64 ": every result matches the contract\n", opt_seed);
	fflush(stdout);
	_exit(1);
}

/* An ioctl number the fd does not know: ENOTTY. */
static void m_unknown_ioctl(void)
{
	int idx = m_pick(-1, -1);
	int fd = pct(50) && idx >= 0 ? m_fds[idx].fd : m_dev[rn(2)];
	unsigned long cmd = unknown_cmd();

	if (fd == m_dev[0] || fd == m_dev[1]) {
		/* Object ioctls are unknown to the device, and vice versa. */
		if (pct(50))
			cmd = obj_cmds[rn(ARRAY_SIZE(obj_cmds))];
	} else if (pct(50)) {
		cmd = pct(50) ? NTSYNC_IOC_CREATE_SEM : NTSYNC_IOC_WAIT_ANY;
	}
	m_desc_set("ioctl %#lx on fd %d", cmd, fd);
	m_expect("unknown ioctl", xioctl(fd, cmd, page_none), -ENOTTY);
}

static void m_churn(void)
{
	int idx, fd, k;

	switch (rn(4)) {
	case 0:	/* close */
		if (!m_nfds)
			return;
		idx = rn(m_nfds);
		m_desc_set("close fd %d", m_fds[idx].fd);
		if (close(m_fds[idx].fd))
			m_fail("close: %s", strerror(errno));
		m_objs[m_fds[idx].obj].refs--;
		m_fds[idx] = m_fds[--m_nfds];
		break;
	case 1:	/* dup: a second fd for the same object */
		idx = m_pick(-1, -1);
		if (idx < 0)
			return;
		m_desc_set("dup fd %d", m_fds[idx].fd);
		fd = fcntl(m_fds[idx].fd, F_DUPFD_CLOEXEC, 0);
		if (fd < 0)
			m_fail("dup: %s", strerror(errno));
		m_add_fd(fd, m_fds[idx].obj);
		break;
	case 2:	/* a new instance; the old one's objects stay usable, but not in its waits */
		if (!pct(10))
			return;
		k = rn(2);
		m_desc_set("close instance %d (fd %d), open a new one", m_inst[k], m_dev[k]);
		close(m_dev[k]);
		m_dev[k] = open_dev();
		m_inst[k] = ++m_next_inst;
		break;
	default:
		idx = m_pick(-1, -1);
		if (idx < 0)
			return;
		m_desc_set("read /proc/self/fdinfo/%d", m_fds[idx].fd);
		m_verify_fdinfo(idx);
		break;
	}
}

/* creates, object ioctls, waits, unknown ioctls, close/dup/instance/fdinfo, waiter starts */
static uint64_t m_counts[6];

/* One random step. */
static void m_one_step(void)
{
	unsigned int r = rn(100);

	memset(m_touched, 0, sizeof(m_touched));
	if (opt_waiters && pct(25) && mw_start()) {
		m_counts[5]++;
	} else if (opt_waiters && pct(15) && mw_nudge()) {
		m_counts[1]++;
	} else if (r < 18 || m_nfds < 4) {
		m_create();
		m_counts[0]++;
	} else if (r < 55) {
		m_obj_ioctl();
		m_counts[1]++;
	} else if (r < 88) {
		m_wait();
		m_counts[2]++;
	} else if (r < 90) {
		m_unknown_ioctl();
		m_counts[3]++;
	} else {
		m_churn();
		m_counts[4]++;
	}
}

/* After each step: the objects it touched, and every 64 steps all of them. */
static void m_verify_step(void)
{
	int i;

	for (i = 0; i < M_OBJS; i++) {
		if (m_touched[i])
			m_verify_obj(i);
	}
	if (!(m_step % 64)) {
		for (i = 0; i < M_OBJS; i++) {
			if (m_objs[i].refs)
				m_verify_obj(i);
		}
	}
}

static void m_setup(void)
{
	struct sigaction sa = { .sa_handler = m_alarm };

	if (opt_waiters > MW_MAX)
		opt_waiters = MW_MAX;
	setup_pages();
	sigaction(SIGALRM, &sa, NULL);
	m_nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	m_dev[0] = open_dev();
	m_dev[1] = open_dev();
	m_inst[0] = 0;
	m_inst[1] = 1;
	m_next_inst = 1;
	rng = opt_seed;
	printf("# model: seed %" PRIu64 ", %s", opt_seed, opt_steps ? "step limit" : "time limit");
	if (opt_waiters)
		printf(", %u waiting threads", opt_waiters);
	printf("\n");
	fflush(stdout);
}

int run_model(void)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + opt_seconds * 1000000000ull;
	int i;

	m_setup();
	if (opt_waiters)
		mw_begin();
	for (m_step = 0; opt_steps ? m_step < opt_steps : now_ns(CLOCK_MONOTONIC) < end; m_step++) {
		m_one_step();
		if (opt_waiters)
			mw_settle();
		m_verify_step();
	}
	printf("# model: %" PRIu64 " steps: %" PRIu64 " creates, %" PRIu64 " object ioctls, %" PRIu64
	       " waits, %" PRIu64 " unknown ioctls, %" PRIu64 " close/dup/instance/fdinfo\n",
	       m_step, m_counts[0], m_counts[1], m_counts[2], m_counts[3], m_counts[4]);
	printf("# model: waits: %" PRIu64 " acquired, %" PRIu64 " took an abandoned mutex, %" PRIu64
	       " timed out, %" PRIu64 " refused\n", m_wait_res[0], m_wait_res[1], m_wait_res[2], m_wait_res[3]);
	if (opt_waiters)
		mw_end();
	for (i = 0; i < m_nfds; i++)
		close(m_fds[i].fd);
	close(m_dev[0]);
	close(m_dev[1]);
	printf("1..1\n");
	if (opt_waiters)
		return mw_tap();
	tap(true, "model: seed %" PRIu64 ": %" PRIu64 " steps, every result matches the contract",
	    opt_seed, m_step);
	return 0;
}
