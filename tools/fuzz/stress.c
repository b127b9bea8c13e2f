// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz stress: several threads issue random ioctls for a while (see
 * ntsync-fuzz.h); only allowed results, and no hang.
 */
#include "ntsync-fuzz.h"

#define S_SLOTS 48
#define S_DEVS 3	/* two long-lived instances, one that comes and goes */

struct s_slot {
	int fd;
	int dev;	/* instance index, -1 if empty */
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static struct s_slot s_slots[S_SLOTS];
static int s_dev[S_DEVS];	/* s_dev[2] may be -1 or stale */
static int s_quit[2];		/* manual events that end the infinite waits */
static volatile bool s_stop;
static int s_nullfd;

struct s_thread {
	pthread_t th;
	int id;
	uint64_t seed;
	uint64_t ops;
	uint64_t res[8];	/* ok, EINVAL, EFAULT, EBADF, ENOTTY, timeouts, EINTR, other allowed */
	char bad[256];		/* first disallowed result */
	volatile uint64_t last_op_ns;
	volatile int in_wait;
};

static struct s_thread *s_threads;

static int s_pick_fd(int *dev)
{
	int i = rn(S_SLOTS), fd;

	pthread_mutex_lock(&s_lock);
	fd = s_slots[i].fd;
	if (dev)
		*dev = s_slots[i].dev;
	pthread_mutex_unlock(&s_lock);
	return fd;
}

/* Some fd that is mostly an object, sometimes not. */
static int s_any_fd(void)
{
	switch (rn(20)) {
	case 0: return -1;
	case 1: return 999;	/* never opened */
	case 2: return s_nullfd;
	case 3: return s_dev[rn(2)];
	default: return s_pick_fd(NULL);
	}
}

static void s_put(int fd, int dev)
{
	int i = rn(S_SLOTS), old;

	pthread_mutex_lock(&s_lock);
	old = s_slots[i].fd;
	s_slots[i].fd = fd;
	s_slots[i].dev = dev;
	pthread_mutex_unlock(&s_lock);
	if (old >= 0)
		close(old);
}

static void s_record(struct s_thread *t, const char *what, int ret,
		     const int *allowed)
{
	int i;

	t->ops++;
	switch (-ret) {
	case 0: t->res[0]++; return;
	case EINVAL: t->res[1]++; break;
	case EFAULT: t->res[2]++; break;
	case EBADF: t->res[3]++; break;
	case ENOTTY: t->res[4]++; break;
	case ETIMEDOUT: t->res[5]++; break;
	case EINTR: t->res[6]++; break;
	default: t->res[7]++; break;
	}
	if (ret >= 0)
		return;
	for (i = 0; allowed[i]; i++) {
		if (-ret == allowed[i])
			return;
	}
	if (!t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "thread %d op %" PRIu64 ": %s returned %s",
			 t->id, t->ops, what, errname(ret));
}

static const int s_obj_errs[] = { EINVAL, EFAULT, EBADF, ENOTTY, EPERM,
				  EOVERFLOW, EOWNERDEAD, 0 };
static const int s_create_errs[] = { EINVAL, EFAULT, EBADF, ENOTTY, EMFILE,
				     ENFILE, ENOMEM, 0 };
static const int s_wait_errs[] = { EINVAL, EFAULT, EBADF, ENOTTY, ETIMEDOUT,
				   EINTR, EOWNERDEAD, ENOMEM, 0 };

static uint32_t s_owner(void)
{
	return pct(3) ? 0 : 1 + rn(4);
}

static void s_create(struct s_thread *t)
{
	int d = rn(S_DEVS), fd, ret;
	int dev = s_dev[d];
	union {
		struct ntsync_sem_args sem;
		struct ntsync_mutex_args mutex;
		struct ntsync_event_args event;
	} a;
	unsigned long cmd;
	void *p = &a;

	switch (rn(3)) {
	case 0:
		cmd = NTSYNC_IOC_CREATE_SEM;
		a.sem.max = pct(20) ? U32_MAX : rn(4);
		a.sem.count = pct(5) ? a.sem.max + 1 : rn(a.sem.max + 1 ? a.sem.max + 1 : 2);
		break;
	case 1:
		cmd = NTSYNC_IOC_CREATE_MUTEX;
		a.mutex.owner = pct(60) ? 0 : s_owner();
		a.mutex.count = a.mutex.owner ? 1 + rn(2) : 0;
		if (pct(5))
			a.mutex.count = pct(50) ? U32_MAX : 0;
		break;
	default:
		cmd = NTSYNC_IOC_CREATE_EVENT;
		a.event.manual = rn(2);
		a.event.signaled = rn(2);
		break;
	}
	if (pct(4))
		p = bad_ptr();
	else if (pct(4))
		p = page_ro;	/* only read: valid arguments {1, 1} */
	if (pct(2))
		dev = s_any_fd();
	ret = fd = xioctl(dev, cmd, p);
	s_record(t, "create", ret, s_create_errs);
	if (fd >= 0) {
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC) && !t->bad[0])
			snprintf(t->bad, sizeof(t->bad), "created fd %d is not close-on-exec", fd);
		s_put(fd, d);
	}
}

static void s_obj_ioctl(struct s_thread *t)
{
	unsigned long cmd = pct(5) ? unknown_cmd() : obj_cmds[rn(ARRAY_SIZE(obj_cmds))];
	union {
		uint32_t v;
		struct ntsync_sem_args sem;
		struct ntsync_mutex_args mutex;
		struct ntsync_event_args event;
	} a;
	int fd = s_any_fd(), ret;
	void *p = &a;

	a.mutex.owner = s_owner();
	a.mutex.count = rn(3);
	if (cmd == NTSYNC_IOC_SEM_RELEASE)
		a.v = pct(5) ? U32_MAX - rn(2) : rn(3);
	if (pct(4))
		p = bad_ptr();
	else if (pct(3))
		p = page_ro;
	ret = xioctl(fd, cmd, p);
	s_record(t, "object ioctl", ret, s_obj_errs);
	if (p != &a)
		return;
	if (ret)
		return;
	/* What a successful read returns must be a possible state. */
	if (cmd == NTSYNC_IOC_SEM_READ && a.sem.count > a.sem.max && !t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "SEM_READ: count %u > max %u",
			 a.sem.count, a.sem.max);
	if (cmd == NTSYNC_IOC_MUTEX_READ && !a.mutex.owner != !a.mutex.count && !t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "MUTEX_READ: owner %u count %u",
			 a.mutex.owner, a.mutex.count);
	if (cmd == NTSYNC_IOC_EVENT_READ && (a.event.manual > 1 || a.event.signaled > 1) &&
	    !t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "EVENT_READ: manual %u signaled %u",
			 a.event.manual, a.event.signaled);
}

static void s_wait(struct s_thread *t)
{
	bool all = pct(40), forever = false;
	int d = rn(2), i, ret;
	struct ntsync_wait_args a = { 0 };
	uint32_t fds[NTSYNC_MAX_WAIT_COUNT + 1];
	void *p = &a;

	a.count = pct(85) ? rn(6) : pct(90) ? rn(NTSYNC_MAX_WAIT_COUNT + 1) : NTSYNC_MAX_WAIT_COUNT + 1;
	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		int dev, fd = s_pick_fd(&dev);

		/* Mostly objects of this instance, so that some waits are valid. */
		if (pct(80) && fd >= 0 && dev != d) {
			fd = s_pick_fd(&dev);
			if (dev != d)
				fd = s_pick_fd(&dev);
		}
		fds[i] = pct(3) ? (uint32_t)s_any_fd() : (uint32_t)fd;
	}
	a.objs = (uintptr_t)fds;
	if (pct(3))
		a.objs = bad_uptr();
	a.owner = s_owner();
	a.flags = pct(20) ? NTSYNC_WAIT_REALTIME : pct(2) ? 2 : 0;
	a.pad = pct(2);
	if (pct(40))
		a.alert = (uint32_t)s_pick_fd(NULL);
	switch (rn(10)) {
	case 0:
		a.timeout = 0;
		break;
	case 1:
		/* Forever, but the quit event ends it when the run stops. */
		if (!all || pct(50)) {
			a.timeout = UINT64_MAX;
			a.alert = s_quit[d];
			a.flags = 0;
			forever = true;
			break;
		}
		/* fall through */
	default:
		a.timeout = now_ns(a.flags & NTSYNC_WAIT_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC) +
			    rn(pct(10) ? 5000000 : 200000);
		break;
	}
	if (pct(2))
		p = bad_ptr();
	t->in_wait = 1 + forever;
	ret = xioctl(pct(2) ? s_any_fd() : s_dev[d], all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, p);
	t->in_wait = 0;
	s_record(t, all ? "WAIT_ALL" : "WAIT_ANY", ret, s_wait_errs);
	if ((ret == 0 || ret == -EOWNERDEAD) && a.index > a.count && !t->bad[0])
		snprintf(t->bad, sizeof(t->bad), "wait succeeded with index %u of count %u",
			 a.index, a.count);
}

/* Read an object's fdinfo: takes the object's locks from another path. */
static void s_fdinfo(struct s_thread *t)
{
	char path[64], buf[512];
	int fd = s_pick_fd(NULL), pfd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (pfd >= 0) {
		/* ENOENT: the fd was closed meanwhile. */
		if (read(pfd, buf, sizeof(buf)) < 0 && errno != ENOENT && !t->bad[0])
			snprintf(t->bad, sizeof(t->bad), "reading %s: %s", path, strerror(errno));
		close(pfd);
	}
	t->ops++;
}

static void s_churn(struct s_thread *t)
{
	int i, fd, old;

	switch (rn(4)) {
	case 0:	/* close a slot */
		i = rn(S_SLOTS);
		pthread_mutex_lock(&s_lock);
		old = s_slots[i].fd;
		s_slots[i].fd = -1;
		s_slots[i].dev = -1;
		pthread_mutex_unlock(&s_lock);
		if (old >= 0)
			close(old);
		break;
	case 1: {	/* dup a slot into another */
		int dev, src = s_pick_fd(&dev);

		fd = fcntl(src, F_DUPFD_CLOEXEC, 0);
		if (fd >= 0)
			s_put(fd, dev);
		break;
	}
	case 2:	/* a new third instance; its objects outlive its fd */
		if (pct(20)) {
			fd = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
			pthread_mutex_lock(&s_lock);
			old = s_dev[2];
			s_dev[2] = fd;
			pthread_mutex_unlock(&s_lock);
			if (old >= 0)
				close(old);
		}
		break;
	default:
		s_fdinfo(t);
		break;
	}
	t->ops++;
}

static void s_handler(int sig)
{
	(void)sig;
}

static void *s_main(void *arg)
{
	struct s_thread *t = arg;

	rng = t->seed;
	while (!s_stop) {
		unsigned int r = rn(100);

		t->last_op_ns = now_ns(CLOCK_MONOTONIC);
		if (r < 15)
			s_create(t);
		else if (r < 50)
			s_obj_ioctl(t);
		else if (r < 85)
			s_wait(t);
		else if (r < 88) {
			int ret = xioctl(pct(50) ? s_dev[rn(2)] : s_any_fd(), unknown_cmd(), NULL);

			s_record(t, "unknown ioctl", ret, s_obj_errs);
		} else
			s_churn(t);
	}
	return NULL;
}

/* Two instances, their quit events, the empty slots, the signal handlers; false on failure. */
static bool s_setup(void)
{
	struct sigaction sa = { .sa_handler = s_handler };
	unsigned int i;

	setup_pages();
	ro_copy((uint32_t[2]){ 1, 1 }, 8);
	s_nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s_dev[0] = open_dev();
	s_dev[1] = open_dev();
	s_dev[2] = -1;
	for (i = 0; i < 2; i++) {
		struct ntsync_event_args e = { .manual = 1, .signaled = 0 };

		s_quit[i] = xioctl(s_dev[i], NTSYNC_IOC_CREATE_EVENT, &e);
		if (s_quit[i] < 0) {
			printf("1..1\nnot ok 1 - stress: create the quit event: %s\n",
			       errname(s_quit[i]));
			return false;
		}
	}
	for (i = 0; i < S_SLOTS; i++) {
		s_slots[i].fd = -1;
		s_slots[i].dev = -1;
	}
	/* SIGUSR1 restarts waits, SIGUSR2 interrupts them. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	return true;
}

static bool s_start_threads(void)
{
	unsigned int i;

	printf("# stress: seed %" PRIu64 ", %u threads, %u s\n", opt_seed, opt_threads, opt_seconds);
	fflush(stdout);
	s_threads = calloc(opt_threads, sizeof(*s_threads));
	for (i = 0; i < opt_threads; i++) {
		s_threads[i].id = i;
		s_threads[i].seed = opt_seed * 1000003 + i;
		if (pthread_create(&s_threads[i].th, NULL, s_main, &s_threads[i])) {
			printf("1..1\nnot ok 1 - stress: pthread_create\n");
			return false;
		}
	}
	return true;
}

/* Deliver signals until the time is up; returns how many were delivered. */
static uint64_t s_signal_threads(void)
{
	uint64_t end, signals = 0;
	unsigned int i;

	rng = opt_seed ^ 0x5151;
	end = now_ns(CLOCK_MONOTONIC) + opt_seconds * 1000000000ull;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		struct timespec ts = { 0, 200000 + rn(2000000) };

		nanosleep(&ts, NULL);
		i = rn(opt_threads);
		if (pthread_kill(s_threads[i].th, pct(50) ? SIGUSR1 : SIGUSR2) == 0)
			signals++;
	}
	return signals;
}

/* Stop the threads: the quit events end the infinite waits; a thread that does not stop hangs. */
static void s_stop_threads(void)
{
	unsigned int i;

	s_stop = true;
	for (i = 0; i < 2; i++) {
		uint32_t prev;

		xioctl(s_quit[i], NTSYNC_IOC_EVENT_SET, &prev);
	}
	for (i = 0; i < opt_threads; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		if (pthread_timedjoin_np(s_threads[i].th, NULL, &ts)) {
			printf("# thread %u did not stop within 60 s (in_wait %d): a wait that never ends\n",
			       i, s_threads[i].in_wait);
			printf("1..1\nnot ok 1 - stress: seed %" PRIu64 ": threads stop\n", opt_seed);
			fflush(stdout);
			_exit(1);
		}
	}
}

/* The threads' results added up and printed; false if one saw a disallowed result. */
static bool s_report(uint64_t signals, uint64_t *total)
{
	uint64_t res[8] = { 0 };
	unsigned int i, j;
	bool ok = true;

	for (i = 0; i < opt_threads; i++) {
		*total += s_threads[i].ops;
		for (j = 0; j < 8; j++)
			res[j] += s_threads[i].res[j];
		if (s_threads[i].bad[0]) {
			printf("# %s\n", s_threads[i].bad);
			ok = false;
		}
	}
	printf("# stress: %" PRIu64 " calls, %" PRIu64 " signals: %" PRIu64 " succeeded, EINVAL %" PRIu64
	       ", EFAULT %" PRIu64 ", EBADF %" PRIu64 ", ENOTTY %" PRIu64 ", ETIMEDOUT %" PRIu64
	       ", EINTR %" PRIu64 ", other %" PRIu64 "\n",
	       *total, signals, res[0], res[1], res[2], res[3], res[4], res[5], res[6], res[7]);
	/* A run where nothing ever succeeded or timed out tested nothing. */
	if (!res[0] || !res[5]) {
		printf("# stress: no successful call or no timeout: the run tested nothing\n");
		ok = false;
	}
	return ok;
}

static void s_close_all(void)
{
	unsigned int i;

	for (i = 0; i < S_SLOTS; i++) {
		if (s_slots[i].fd >= 0)
			close(s_slots[i].fd);
	}
	for (i = 0; i < S_DEVS; i++) {
		if (s_dev[i] >= 0)
			close(s_dev[i]);
	}
	close(s_quit[0]);
	close(s_quit[1]);
}

int run_stress(void)
{
	uint64_t signals, total = 0;
	bool ok;

	if (!s_setup() || !s_start_threads())
		return 1;
	signals = s_signal_threads();
	s_stop_threads();
	ok = s_report(signals, &total);
	s_close_all();
	printf("1..1\n");
	tap(ok, "stress: seed %" PRIu64 ", %u threads, %u s, %" PRIu64 " calls, only allowed results, no hang",
	    opt_seed, opt_threads, opt_seconds, total);
	return ok ? 0 : 1;
}
