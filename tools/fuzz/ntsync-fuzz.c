// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz: random ioctls on /dev/ntsync, for the debug kernels of
 * `make check-debug` (tools/debug/).  Three modes, all reproducible from a
 * seed and all ending with a TAP summary ("ok N - ..." / "not ok N - ...")
 * and a non-zero exit status on failure:
 *
 *   stress  Several threads issue random ioctls for a while: valid and
 *           invalid arguments, bad pointers, closed fds, fds of another
 *           instance, WAIT_ANY/WAIT_ALL on random sets with tiny timeouts
 *           and alerts, MUTEX_KILL, dup and close racing with use, signals
 *           (with and without SA_RESTART) delivered to waiting threads.
 *           The point is what the kernel says about it (lockdep, KASAN,
 *           KCSAN, ...); the program itself only checks that every error
 *           is one the interface can return and that nothing hangs.
 *
 *   model   One thread; every result, every value written back and, after
 *           every step, the state of every object touched is compared with
 *           a small user-space model of the contract (spec/ABI.md,
 *           Documentation/ntsync.rst).  Stops at the first divergence and
 *           prints the seed and the step.  --ro-wait-args adds waits whose
 *           argument struct is read-only (EFAULT, and nothing acquired).
 *           --waiters N (up to 8) adds N threads whose waits sleep while
 *           the model's thread changes states: every outcome is checked
 *           against the model, and a wait the model says can proceed must
 *           not stay asleep (see "model --waiters" below).
 *
 *   faults  Creates and waits under failslab: the caller (tools/debug)
 *           configures /sys/kernel/debug/failslab for the tasks marked in
 *           /proc/<tid>/make-it-fail; this program sets the mark around
 *           each ntsync call only, and checks that every call succeeds
 *           with the right effect or fails with ENOMEM and changes nothing
 *           (no object, no fd, no state change).  --nth instead walks
 *           /proc/thread-self/fail-nth over every allocation of each call.
 *
 *   hold    Keeps the module busy until killed (for the unload test).
 *
 * usage: ntsync-fuzz stress|model|faults [--seed N] [--seconds N]
 *                    [--threads N] [--steps N] [--rounds N] [--nth]
 *                    [--ro-wait-args] [--waiters N] [-v]
 *        ntsync-fuzz hold dev|obj|wait
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/ntsync.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define U32_MAX 0xffffffffu

/* ---- common ---------------------------------------------------------- */

static uint64_t opt_seed;
static unsigned int opt_seconds = 30, opt_threads = 4, opt_rounds = 200;
static uint64_t opt_steps;
static bool opt_nth, opt_verbose, opt_ro_wait_args;
static unsigned int opt_waiters;

static __thread uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool pct(unsigned int p)
{
	return rn(100) < p;
}

/* ioctl returning -errno on failure. */
static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *errname(int ret)
{
	static __thread char buf[32];

	switch (-ret) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EPERM: return "EPERM";
	case EOVERFLOW: return "EOVERFLOW";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	}
	if (ret >= 0)
		snprintf(buf, sizeof(buf), "%d", ret);
	else
		snprintf(buf, sizeof(buf), "errno %d", -ret);
	return buf;
}

/* A page nobody may touch, and a page user space can only read. */
static void *page_none, *page_ro;

static void setup_pages(void)
{
	page_none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page_ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page_none == MAP_FAILED || page_ro == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
}

/* Put @len bytes in the read-only page and return it. */
static void *ro_copy(const void *src, size_t len)
{
	mprotect(page_ro, 4096, PROT_READ | PROT_WRITE);
	memcpy(page_ro, src, len);
	mprotect(page_ro, 4096, PROT_READ);
	return page_ro;
}

/* A pointer the kernel must refuse. */
static void *bad_ptr(void)
{
	switch (rn(4)) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)1;
	case 2: return page_none;
	default: return (void *)(uintptr_t)-4096;	/* kernel space */
	}
}

static uint64_t bad_uptr(void)
{
	switch (rn(3)) {
	case 0: return (uint64_t)(uintptr_t)bad_ptr();
	case 1: return 0xdead000000000000ull;
	default: return 0x8000000000000000ull;
	}
}

static const unsigned long obj_cmds[] = {
	NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_SEM_READ,
	NTSYNC_IOC_MUTEX_UNLOCK, NTSYNC_IOC_MUTEX_KILL, NTSYNC_IOC_MUTEX_READ,
	NTSYNC_IOC_EVENT_SET, NTSYNC_IOC_EVENT_RESET, NTSYNC_IOC_EVENT_PULSE,
	NTSYNC_IOC_EVENT_READ,
};

/* An 'N' ioctl number that is none of the fourteen. */
static unsigned long unknown_cmd(void)
{
	switch (rn(4)) {
	case 0: return _IOW('N', 0x81, uint64_t);	/* right nr, wrong size */
	case 1: return _IO('N', 0x8e);
	case 2: return _IOWR('N', 0x7f, struct ntsync_wait_args);
	default: return _IOC(rn(4), 'N', 0x8e + rn(0x70), rn(64));
	}
}

static int tap_n;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static int open_dev(void)
{
	int fd = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("# open /dev/ntsync: %s\n", strerror(errno));
		printf("1..1\nnot ok 1 - open /dev/ntsync\n");
		exit(1);
	}
	return fd;
}

/* ---- stress ---------------------------------------------------------- */

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

static int run_stress(void)
{
	struct sigaction sa = { .sa_handler = s_handler };
	uint64_t end, total = 0, res[8] = { 0 }, signals = 0;
	unsigned int i, j;
	bool ok = true;

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
			return 1;
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

	printf("# stress: seed %" PRIu64 ", %u threads, %u s\n", opt_seed, opt_threads, opt_seconds);
	fflush(stdout);
	s_threads = calloc(opt_threads, sizeof(*s_threads));
	for (i = 0; i < opt_threads; i++) {
		s_threads[i].id = i;
		s_threads[i].seed = opt_seed * 1000003 + i;
		if (pthread_create(&s_threads[i].th, NULL, s_main, &s_threads[i])) {
			printf("1..1\nnot ok 1 - stress: pthread_create\n");
			return 1;
		}
	}

	/* Deliver signals until the time is up, and watch for stuck threads. */
	rng = opt_seed ^ 0x5151;
	end = now_ns(CLOCK_MONOTONIC) + opt_seconds * 1000000000ull;
	while (now_ns(CLOCK_MONOTONIC) < end) {
		struct timespec ts = { 0, 200000 + rn(2000000) };

		nanosleep(&ts, NULL);
		i = rn(opt_threads);
		if (pthread_kill(s_threads[i].th, pct(50) ? SIGUSR1 : SIGUSR2) == 0)
			signals++;
	}
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
	for (i = 0; i < opt_threads; i++) {
		total += s_threads[i].ops;
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
	       total, signals, res[0], res[1], res[2], res[3], res[4], res[5], res[6], res[7]);
	/* A run where nothing ever succeeded or timed out tested nothing. */
	if (!res[0] || !res[5]) {
		printf("# stress: no successful call or no timeout: the run tested nothing\n");
		ok = false;
	}
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
	printf("1..1\n");
	tap(ok, "stress: seed %" PRIu64 ", %u threads, %u s, %" PRIu64 " calls, only allowed results, no hang",
	    opt_seed, opt_threads, opt_seconds, total);
	return ok ? 0 : 1;
}

/* ---- model ----------------------------------------------------------- */

enum { SEM, MUTEX, EVENT };
static const char *const type_names[] = { "semaphore", "mutex", "event" };

struct m_obj {
	int type;
	uint32_t a, b;	/* sem: count, max; mutex: owner, count; event: manual, signaled */
	bool dead;	/* abandoned mutex */
	int inst;
	int refs;	/* fds naming it */
};

#define M_OBJS 256
#define M_FDS 40

static struct m_obj m_objs[M_OBJS];
static struct { int fd, obj; } m_fds[M_FDS];
static int m_nfds;
static int m_dev[2], m_inst[2], m_next_inst, m_nullfd;
static uint64_t m_step;
static uint64_t m_wait_res[4];	/* acquired, EOWNERDEAD, ETIMEDOUT, error */
static bool m_touched[M_OBJS];
static char m_desc[512];
static uint64_t m_op_end[2];	/* CLOCK_MONOTONIC, CLOCK_REALTIME after the last object ioctl */
static int m_pulsed = -1;	/* an event pulsed by this step (with waiters) */
static int m_force_idx = -1, m_force_c;	/* with waiters: the next object ioctl's fd and kind */

/* model --waiters (below): what the waiting threads add to fdinfo; their objects */
struct mw;
static const struct mw *mw_failed;	/* the wait a failure is about */
static void mw_show(void);
static void mw_fdinfo_want(int obj, char *buf, size_t size);
static int mw_pick(int type);

static void m_fail(const char *fmt, ...)
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

static void m_desc_set(const char *fmt, ...)
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
static int m_pick(int type, int inst)
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

static bool m_can_acquire(const struct m_obj *o, uint32_t owner)
{
	switch (o->type) {
	case SEM: return o->a;
	case MUTEX: return !o->a || (o->a == owner && o->b < U32_MAX);
	default: return o->b;
	}
}

/* Returns whether that took an abandoned mutex. */
static bool m_acquire(struct m_obj *o, uint32_t owner)
{
	bool dead = false;

	switch (o->type) {
	case SEM:
		o->a--;
		break;
	case MUTEX:
		dead = o->dead;
		o->dead = false;
		o->a = owner;
		o->b++;
		break;
	default:
		if (!o->a)
			o->b = 0;
		break;
	}
	return dead;
}

/* Compare an object with the model through the READ ioctls. */
static void m_verify_obj(int obj)
{
	const struct m_obj *o = &m_objs[obj];
	struct ntsync_sem_args s;
	struct ntsync_mutex_args m;
	struct ntsync_event_args e;
	int i, fd = -1, ret;

	for (i = 0; i < m_nfds; i++) {
		if (m_fds[i].obj == obj)
			fd = m_fds[i].fd;
	}
	if (fd < 0 || !o->refs)
		return;	/* unreachable from here */
	switch (o->type) {
	case SEM:
		memset(&s, 0xcc, sizeof(s));
		ret = xioctl(fd, NTSYNC_IOC_SEM_READ, &s);
		if (ret || s.count != o->a || s.max != o->b)
			m_fail("fd %d: SEM_READ gives %s, count %u, max %u; model: count %u, max %u",
			       fd, errname(ret), s.count, s.max, o->a, o->b);
		break;
	case MUTEX:
		memset(&m, 0xcc, sizeof(m));
		ret = xioctl(fd, NTSYNC_IOC_MUTEX_READ, &m);
		if (ret != (o->dead ? -EOWNERDEAD : 0) || m.owner != o->a || m.count != o->b)
			m_fail("fd %d: MUTEX_READ gives %s, owner %u, count %u; model: %s, owner %u, count %u",
			       fd, errname(ret), m.owner, m.count, o->dead ? "abandoned" : "not abandoned",
			       o->a, o->b);
		break;
	default:
		memset(&e, 0xcc, sizeof(e));
		ret = xioctl(fd, NTSYNC_IOC_EVENT_READ, &e);
		if (ret || e.manual != o->a || e.signaled != o->b)
			m_fail("fd %d: EVENT_READ gives %s, manual %u, signaled %u; model: manual %u, signaled %u",
			       fd, errname(ret), e.manual, e.signaled, o->a, o->b);
		break;
	}
}

/* /proc/self/fdinfo/FD must show the model's state and its waiters. */
static void m_verify_fdinfo(int idx)
{
	const struct m_obj *o = &m_objs[m_fds[idx].obj];
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
	switch (o->type) {
	case SEM:
		snprintf(want, sizeof(want), "ntsync-type:\tsemaphore\nntsync-count:\t%u\nntsync-max:\t%u\n",
			 o->a, o->b);
		break;
	case MUTEX:
		snprintf(want, sizeof(want),
			 "ntsync-type:\tmutex\nntsync-owner:\t%u\nntsync-count:\t%u\nntsync-abandoned:\t%u\n",
			 o->a, o->b, o->dead);
		break;
	default:
		snprintf(want, sizeof(want), "ntsync-type:\tevent\nntsync-manual:\t%u\nntsync-signaled:\t%u\n",
			 o->a, o->b);
		break;
	}
	mw_fdinfo_want(m_fds[idx].obj, want + strlen(want), sizeof(want) - strlen(want));
	if (!strstr(buf, want))
		m_fail("%s is\n%s\n# the model expects it to contain\n%s", path, buf, want);
}

static uint32_t m_owner(void)
{
	return pct(4) ? 0 : 1 + rn(4);
}

static void m_create(void)
{
	int k = rn(2), type = rn(3), dev = m_dev[k], want = 0, ret, obj;
	union {
		struct ntsync_sem_args sem;
		struct ntsync_mutex_args mutex;
		struct ntsync_event_args event;
	} a;
	static const uint32_t maxes[] = { 0, 1, 2, 3, 5, U32_MAX - 1, U32_MAX };
	static const uint32_t counts[] = { 1, 2, U32_MAX - 2, U32_MAX - 1, U32_MAX };
	static const uint32_t flags[] = { 0, 0, 0, 1, 1, 1, 2, 0x80000000u };
	static const unsigned long cmds[] = {
		NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_EVENT };
	const char *how = "good pointer";
	void *p = &a;

	switch (type) {
	case SEM:
		a.sem.max = pct(70) ? maxes[rn(ARRAY_SIZE(maxes))] : (uint32_t)rnd();
		a.sem.count = a.sem.max ? rn(a.sem.max) + pct(50) : 0;
		if (pct(10) && a.sem.max < U32_MAX - 3) {
			a.sem.count = a.sem.max + 1 + rn(3);
			want = -EINVAL;
		}
		break;
	case MUTEX:
		if (pct(50)) {
			a.mutex.owner = 0;
			a.mutex.count = 0;
		} else {
			a.mutex.owner = pct(90) ? 1 + rn(4) : (uint32_t)rnd() | 1;
			a.mutex.count = counts[rn(ARRAY_SIZE(counts))];
		}
		if (pct(10)) {
			if (pct(50))
				a.mutex.owner = 0, a.mutex.count = 1 + rn(3);
			else
				a.mutex.owner = 1 + rn(4), a.mutex.count = 0;
			want = -EINVAL;
		}
		break;
	default:
		a.event.manual = flags[rn(ARRAY_SIZE(flags))];
		a.event.signaled = flags[rn(ARRAY_SIZE(flags))];
		break;
	}
	if (pct(5)) {
		p = bad_ptr();
		how = "bad pointer";
		want = -EFAULT;
	} else if (pct(5)) {
		p = ro_copy(&a, sizeof(a));
		how = "read-only pointer";
	}
	if (pct(3)) {
		/* Sent to something that is not the device. */
		int i = m_pick(-1, -1);

		if (i >= 0 && pct(70)) {
			dev = m_fds[i].fd;
			want = -ENOTTY;
		} else {
			dev = m_nullfd;
			want = -ENOTTY;
		}
		if (pct(30)) {
			dev = 1000;
			want = -EBADF;
		}
	}
	m_desc_set("CREATE %s on fd %d (instance %d) {%u, %u}, %s", type_names[type], dev, m_inst[k],
		   ((uint32_t *)&a)[0], ((uint32_t *)&a)[1], how);
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
		obj = m_new_obj(type, ((uint32_t *)&a)[0], ((uint32_t *)&a)[1], m_inst[k]);
	m_add_fd(ret, obj);
	m_touched[obj] = true;
}

static void m_obj_ioctl(void)
{
	int idx, type = rn(3), ret, want = 0, fd, obj, c = -1;
	unsigned long cmd;
	const char *name;
	union {
		uint32_t v;
		struct ntsync_sem_args sem;
		struct ntsync_mutex_args mutex;
		struct ntsync_event_args event;
	} a, b;
	struct m_obj *o, save;
	uint32_t wv[2] = { 0, 0 };	/* values the model expects written back */
	int nwv = 0;
	const char *how = "good pointer";
	void *p = &a;
	bool badp = false, rop = false, forced = m_force_idx >= 0;

	/* With waiters: mostly the right type, and mostly what they wait for. */
	if (forced) {
		c = m_force_c;
		type = c < 2 ? SEM : c < 5 ? MUTEX : EVENT;
	} else if (opt_waiters) {
		/* mostly changes: SEM_RELEASE, MUTEX_UNLOCK (twice), MUTEX_KILL, EVENT_* */
		static const int changes[] = { 0, 2, 2, 3, 5, 6, 7 };

		c = pct(75) ? changes[rn(ARRAY_SIZE(changes))] : (int)rn(9);
		type = c < 2 ? SEM : c < 5 ? MUTEX : EVENT;
	}
	idx = forced ? m_force_idx : opt_waiters && pct(60) ? mw_pick(pct(90) ? type : -1) : -1;
	m_force_idx = -1;
	if (idx < 0)
		idx = m_pick(pct(80) ? type : -1, -1);
	if (idx < 0)
		return;
	fd = m_fds[idx].fd;
	obj = m_fds[idx].obj;
	o = &m_objs[obj];
	save = *o;
	switch (c >= 0 ? c : (int)rn(9)) {
	case 0: cmd = NTSYNC_IOC_SEM_RELEASE; name = "SEM_RELEASE"; type = SEM; break;
	case 1: cmd = NTSYNC_IOC_SEM_READ; name = "SEM_READ"; type = SEM; break;
	case 2: cmd = NTSYNC_IOC_MUTEX_UNLOCK; name = "MUTEX_UNLOCK"; type = MUTEX; break;
	case 3: cmd = NTSYNC_IOC_MUTEX_KILL; name = "MUTEX_KILL"; type = MUTEX; break;
	case 4: cmd = NTSYNC_IOC_MUTEX_READ; name = "MUTEX_READ"; type = MUTEX; break;
	case 5: cmd = NTSYNC_IOC_EVENT_SET; name = "EVENT_SET"; type = EVENT; break;
	case 6: cmd = NTSYNC_IOC_EVENT_RESET; name = "EVENT_RESET"; type = EVENT; break;
	case 7: cmd = NTSYNC_IOC_EVENT_PULSE; name = "EVENT_PULSE"; type = EVENT; break;
	default: cmd = NTSYNC_IOC_EVENT_READ; name = "EVENT_READ"; type = EVENT; break;
	}
	memset(&a, 0xcc, sizeof(a));
	switch (cmd) {
	case NTSYNC_IOC_SEM_RELEASE:
		a.v = pct(60) ? rn(3) : pct(50) ? o->b - o->a + rn(2) : (uint32_t)rnd();
		if (forced)
			a.v = 1 + rn(2);
		break;
	case NTSYNC_IOC_MUTEX_UNLOCK:
		a.mutex.owner = (forced || pct(50)) && o->type == MUTEX && o->a ? o->a : m_owner();
		a.mutex.count = rn(5);
		break;
	case NTSYNC_IOC_MUTEX_KILL:
		a.v = (forced || pct(50)) && o->type == MUTEX && o->a ? o->a : m_owner();
		break;
	}
	b = a;
	if (o->type == type && !forced && pct(8)) {
		/* The kernel must refuse the pointer and leave the object alone. */
		if (cmd == NTSYNC_IOC_MUTEX_UNLOCK && !a.mutex.owner)
			a.mutex.owner = b.mutex.owner = 1;
		if (pct(50) && cmd != NTSYNC_IOC_MUTEX_KILL) {
			p = ro_copy(&a, sizeof(a));
			how = "read-only pointer";
			rop = true;
		} else {
			p = bad_ptr();
			how = "bad pointer";
			badp = true;
		}
	}

	if (o->type != type) {
		want = -EINVAL;
	} else if (badp || rop) {
		want = -EFAULT;
	} else {
		switch (cmd) {
		case NTSYNC_IOC_SEM_RELEASE:
			if ((uint64_t)o->a + a.v > o->b) {
				want = -EOVERFLOW;
				break;
			}
			wv[nwv++] = o->a;
			o->a += a.v;
			break;
		case NTSYNC_IOC_SEM_READ:
			wv[nwv++] = o->a;
			wv[nwv++] = o->b;
			break;
		case NTSYNC_IOC_MUTEX_UNLOCK:
			if (!a.mutex.owner) {
				want = -EINVAL;
			} else if (o->a != a.mutex.owner) {
				want = -EPERM;
			} else {
				wv[nwv++] = a.mutex.owner;
				wv[nwv++] = o->b;
				if (!--o->b)
					o->a = 0;
			}
			break;
		case NTSYNC_IOC_MUTEX_KILL:
			if (!a.v) {
				want = -EINVAL;
			} else if (o->a != a.v) {
				want = -EPERM;
			} else {
				o->a = o->b = 0;
				o->dead = true;
			}
			break;
		case NTSYNC_IOC_MUTEX_READ:
			wv[nwv++] = o->a;
			wv[nwv++] = o->b;
			if (o->dead)
				want = -EOWNERDEAD;
			break;
		case NTSYNC_IOC_EVENT_SET:
		case NTSYNC_IOC_EVENT_RESET:
		case NTSYNC_IOC_EVENT_PULSE:
			wv[nwv++] = o->b;
			o->b = cmd == NTSYNC_IOC_EVENT_SET;
			if (cmd == NTSYNC_IOC_EVENT_PULSE && opt_waiters) {
				/* Signaled while the waiters settle, then reset. */
				o->b = 1;
				m_pulsed = obj;
			}
			break;
		case NTSYNC_IOC_EVENT_READ:
			wv[nwv++] = o->a;
			wv[nwv++] = o->b;
			break;
		}
	}
	m_desc_set("%s on fd %d (%s) {%u, %u}, %s", name, fd, type_names[o->type],
		   b.mutex.owner, b.mutex.count, how);
	ret = xioctl(fd, cmd, p);
	m_op_end[0] = now_ns(CLOCK_MONOTONIC);
	m_op_end[1] = now_ns(CLOCK_REALTIME);
	m_expect(name, ret, want);
	if (want && want != -EOWNERDEAD) {
		*o = save;
		if (!badp && !rop && memcmp(&a, &b, sizeof(a)))
			m_fail("%s failed but changed the argument", name);
	} else if (nwv) {
		uint32_t *got = (uint32_t *)&a;

		/* MUTEX_UNLOCK writes only count back. */
		if (cmd == NTSYNC_IOC_MUTEX_UNLOCK ? got[1] != wv[1] || got[0] != wv[0] :
		    got[0] != wv[0] || (nwv > 1 && got[1] != wv[1]))
			m_fail("%s wrote back {%u, %u}, the model says {%u, %u}", name, got[0],
			       nwv > 1 ? got[1] : 0, wv[0], nwv > 1 ? wv[1] : 0);
	}
	m_touched[obj] = true;
}

static void m_wait(void)
{
	bool all = pct(45), fail_args = false, badobjs = false, einval = false, ro_args = false;
	int k = rn(2), inst = m_inst[k], dev = m_dev[k], ret, want, i, j;
	struct ntsync_wait_args a = { 0 }, *ap = &a;
	uint32_t fds[NTSYNC_MAX_WAIT_COUNT + 2];
	int objs[NTSYNC_MAX_WAIT_COUNT + 2];	/* model object per fd, -1: not one of this instance */
	int alert_obj = -1;
	uint32_t index = 0xfeedbeef;
	const char *how = "";
	char list[400];
	int len = 0;

	a.count = pct(80) ? rn(5) : pct(95) ? rn(NTSYNC_MAX_WAIT_COUNT + 1) : NTSYNC_MAX_WAIT_COUNT + 1 + rn(3);
	for (i = 0; i < (int)a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		int idx = m_pick(-1, pct(92) ? inst : -1);

		objs[i] = -1;
		if (idx < 0 || pct(2)) {
			static const int junk[] = { -1, 999, 0 };

			fds[i] = i % 2 ? (uint32_t)m_nullfd : (uint32_t)junk[rn(3)];
			if (pct(30))
				fds[i] = m_dev[k];
		} else {
			fds[i] = m_fds[idx].fd;
			if (m_objs[m_fds[idx].obj].inst == inst)
				objs[i] = m_fds[idx].obj;
		}
		if (objs[i] < 0)
			einval = true;
	}
	/* Give WAIT_ALL a fair chance of naming distinct objects. */
	if (all && pct(50)) {
		for (i = 0; i < (int)a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
			for (j = 0; j < i; j++) {
				if (objs[i] >= 0 && objs[j] == objs[i]) {
					int idx = m_pick(-1, inst);

					fds[i] = m_fds[idx].fd;
					objs[i] = m_fds[idx].obj;
					j = -1;
					if (pct(20))
						break;
				}
			}
		}
	}
	a.objs = (uintptr_t)fds;
	a.owner = m_owner();
	a.flags = pct(20) ? NTSYNC_WAIT_REALTIME : 0;
	if (pct(3))
		a.flags |= 1u << (1 + rn(31));
	a.pad = pct(3) ? 1 + rn(5) : 0;
	if (pct(40)) {
		int idx = m_pick(pct(90) ? EVENT : -1, pct(95) ? inst : -1);

		if (idx >= 0) {
			a.alert = m_fds[idx].fd;
			alert_obj = m_fds[idx].obj;
			if (m_objs[alert_obj].type != EVENT || m_objs[alert_obj].inst != inst)
				alert_obj = -2;
		}
		if (pct(3)) {
			a.alert = pct(50) ? 999 : (uint32_t)m_nullfd;
			alert_obj = -2;
		}
	}

	/* Which error, if any, the contract gives (one reason at a time where order is unspecified). */
	if (a.count > NTSYNC_MAX_WAIT_COUNT || a.pad || !a.owner || (a.flags & ~NTSYNC_WAIT_REALTIME))
		fail_args = true;
	if (!fail_args && pct(3)) {
		a.objs = bad_uptr();
		badobjs = a.count;	/* a pointer that is never read is fine */
		how = a.count ? ", bad objs pointer" : ", bad objs pointer, unread";
	}
	if (!fail_args && !badobjs) {
		if (alert_obj == -2)
			einval = true;
		for (i = 0; all && i < (int)a.count; i++) {
			for (j = 0; j < i; j++) {
				if (objs[i] >= 0 && objs[i] == objs[j])
					einval = true;
			}
			if (alert_obj >= 0 && objs[i] == alert_obj)
				einval = true;
		}
	}
	if (fail_args)
		want = -EINVAL;
	else if (badobjs)
		want = -EFAULT;
	else if (einval)
		want = -EINVAL;
	else
		want = 1;	/* decided below */
	if (pct(2)) {
		ap = bad_ptr();
		how = ", bad args pointer";
		want = -EFAULT;
	} else if (opt_ro_wait_args && pct(3)) {
		/* Readable but not writable: index cannot be written back. */
		ro_args = true;	/* copied below, once the arguments are final */
		how = ", read-only args";
		want = -EFAULT;
	} else if (pct(2)) {
		/* Not an ioctl of what it is sent to. */
		int idx = m_pick(-1, -1);

		dev = idx >= 0 && pct(50) ? m_fds[idx].fd : m_nullfd;
		how = ", sent to a non-device";
		want = -ENOTTY;
	}

	/* The outcome of a valid wait: the model acquires what the driver must. */
	if (want == 1) {
		int got = -1;
		bool dead = false;

		if (!all) {
			for (i = 0; i < (int)a.count; i++) {
				if (m_can_acquire(&m_objs[objs[i]], a.owner)) {
					got = i;
					dead = m_acquire(&m_objs[objs[i]], a.owner);
					break;
				}
			}
		} else {
			bool can = true;

			for (i = 0; i < (int)a.count; i++)
				can = can && m_can_acquire(&m_objs[objs[i]], a.owner);
			if (can) {
				got = 0;
				for (i = 0; i < (int)a.count; i++)
					dead |= m_acquire(&m_objs[objs[i]], a.owner);
			}
		}
		if (got < 0 && alert_obj >= 0 && m_can_acquire(&m_objs[alert_obj], a.owner)) {
			got = a.count;
			m_acquire(&m_objs[alert_obj], a.owner);
		}
		if (got >= 0) {
			want = dead ? -EOWNERDEAD : 0;
			index = got;
		} else {
			want = -ETIMEDOUT;
		}
	}

	/* The deadline: mostly past; sometimes a little ahead; forever only if it cannot sleep. */
	switch (rn(6)) {
	case 0:
		a.timeout = now_ns(a.flags & NTSYNC_WAIT_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC) +
			    20000 + rn(100000);
		break;
	case 1:
		if (want != -ETIMEDOUT) {
			a.timeout = UINT64_MAX;
			break;
		}
		/* fall through */
	default:
		a.timeout = pct(50) ? 0 : now_ns(a.flags & NTSYNC_WAIT_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC) - 1000;
		break;
	}
	for (i = 0; i < (int)a.count && i < 8 && len < 300; i++)
		len += snprintf(list + len, sizeof(list) - len, "%s%d", i ? "," : "", (int)fds[i]);
	if (a.count > 8)
		snprintf(list + len, sizeof(list) - len, ",...");
	if (!a.count)
		snprintf(list, sizeof(list), "-");
	m_desc_set("%s on fd %d (instance %d): objs [%s] count %u owner %u alert %d flags %#x pad %u timeout %s%s",
		   all ? "WAIT_ALL" : "WAIT_ANY", dev, inst, list, a.count, a.owner, (int)a.alert,
		   a.flags, a.pad, a.timeout == UINT64_MAX ? "forever" : a.timeout ? "soon/past" : "0", how);
	a.index = 0xfeedbeef;
	if (ro_args)
		ap = ro_copy(&a, sizeof(a));
	alarm(30);
	ret = xioctl(dev, all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, ap);
	alarm(0);
	m_expect(all ? "WAIT_ALL" : "WAIT_ANY", ret, want);
	m_wait_res[!ret ? 0 : ret == -EOWNERDEAD ? 1 : ret == -ETIMEDOUT ? 2 : 3]++;
	if (ap == &a) {
		if ((ret == 0 || ret == -EOWNERDEAD) && a.index != index)
			m_fail("index %u, the model says %u", a.index, index);
		if (ret != 0 && ret != -EOWNERDEAD && a.index != 0xfeedbeef)
			m_fail("a failed wait wrote index %u", a.index);
	}
	for (i = 0; i < (int)a.count && i < NTSYNC_MAX_WAIT_COUNT + 1; i++) {
		if (objs[i] >= 0)
			m_touched[objs[i]] = true;
	}
	if (alert_obj >= 0)
		m_touched[alert_obj] = true;
}

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

/* ---- model --waiters: waits that sleep ------------------------------- */

/*
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
#define MW_MAX 8
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
 * all of them can.
 */
static bool mw_objs_ok(const struct mw *w, int *first)
{
	uint32_t owner = w->args.owner;
	int i;

	*first = -1;
	if (w->all) {
		for (i = 0; i < (int)w->args.count; i++) {
			if (!m_can_acquire(&m_objs[w->objs[i]], owner))
				return false;
		}
		*first = 0;
		return true;	/* (also with no objects, as m_wait() says) */
	}
	for (i = 0; i < (int)w->args.count; i++) {
		if (m_can_acquire(&m_objs[w->objs[i]], owner)) {
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
	       (w->alert_obj >= 0 && m_can_acquire(&m_objs[w->alert_obj], w->args.owner));
}

/* Applies the outcome of @w to the model; NULL, or why the model refuses it. */
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
			dead |= m_acquire(&m_objs[w->objs[i]], owner);
	} else if (w->index < count) {
		if (!m_can_acquire(&m_objs[w->objs[w->index]], owner))
			return "an index whose object the model says cannot be acquired";
		for (i = 0; i < w->index; i++) {
			if (w->objs[i] == w->objs[w->index])
				return "an index that is not its object's lowest position";
		}
		if (w->at_once && (int)w->index != first)
			return "not the lowest acquirable index, on a wait that did not sleep";
		dead = m_acquire(&m_objs[w->objs[w->index]], owner);
	} else if (w->index == count && w->alert_obj >= 0) {
		if (objs_ok)
			return "the alert, though the model says its objects can be acquired (they win)";
		if (!m_can_acquire(&m_objs[w->alert_obj], owner))
			return "the alert, which the model says is not signaled";
		m_acquire(&m_objs[w->alert_obj], owner);
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
static void mw_show(void)
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
		       m_can_acquire(o, w->args.owner) ? "yes" : "no");
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
static void mw_settle(void)
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
static int mw_pick(int type)
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
static void mw_fdinfo_want(int obj, char *buf, size_t size)
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

/* Gives an idle thread a wait on random objects; false if there is none to give. */
static bool mw_start(void)
{
	int idle[MW_MAX], cand[M_FDS], events[M_FDS], nidle = 0, ncand = 0, nev = 0;
	int k = rn(2), inst = m_inst[k], i, n, c, tries, len;
	uint64_t limit, now;
	struct mw *w;
	uint32_t count = 0;

	for (i = 0; i < (int)opt_waiters; i++) {
		if (!mw_w[i].busy)
			idle[nidle++] = i;
	}
	for (i = 0; i < m_nfds; i++) {
		if (m_objs[m_fds[i].obj].inst != inst)
			continue;
		cand[ncand++] = i;
		if (m_objs[m_fds[i].obj].type == EVENT)
			events[nev++] = i;
	}
	if (!nidle || !ncand)
		return false;
	w = &mw_w[idle[rn(nidle)]];
	w->dev = m_dev[k];
	w->all = pct(45);
	w->args.count = 0;
	n = pct(85) ? 1 + rn(3) : 1 + rn(12);
	if (!w->all && pct(4))
		n = 0;
	w->args.owner = 1 + rn(4);
	for (i = 0; i < n; i++) {
		c = cand[rn(ncand)];
		/* Mostly objects it cannot take now: a wait that sleeps. */
		for (tries = 0; tries < 4 && pct(60) &&
		     m_can_acquire(&m_objs[m_fds[c].obj], w->args.owner); tries++)
			c = cand[rn(ncand)];
		for (tries = 0; w->all && tries < 8 && mw_listed(w, m_fds[c].obj); tries++)
			c = cand[rn(ncand)];
		if (w->all && mw_listed(w, m_fds[c].obj))
			continue;
		w->fds[count] = m_fds[c].fd;
		w->objs[count++] = m_fds[c].obj;
		w->args.count = count;	/* (for mw_listed) */
	}
	w->args.count = count;
	/* Mostly the owner of an owned mutex among them: recursion, and the limit. */
	if (pct(60)) {
		for (i = 0; i < (int)count; i++) {
			const struct m_obj *o = &m_objs[w->objs[i]];

			if (o->type == MUTEX && o->a && pct(70)) {
				w->args.owner = o->a;
				break;
			}
		}
	}
	w->alert_obj = -1;
	w->args.alert = 0;
	if ((pct(40) || !count) && nev) {
		c = events[rn(nev)];
		if (!w->all || !mw_listed(w, m_fds[c].obj)) {
			w->args.alert = m_fds[c].fd;
			w->alert_obj = m_fds[c].obj;
		}
	}
	if (!count && w->alert_obj < 0)
		return false;
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
	w->at_once = mw_can_finish(w);
	w->start_step = m_step;
	len = snprintf(w->desc, sizeof(w->desc), "%s on fd %d (instance %d): objs [",
		       w->all ? "WAIT_ALL" : "WAIT_ANY", w->dev, inst);
	for (i = 0; i < (int)count && len < 300; i++)
		len += snprintf(w->desc + len, sizeof(w->desc) - len, "%s%u", i ? "," : "",
				w->fds[i]);
	snprintf(w->desc + len, sizeof(w->desc) - len, "] owner %u alert %d timeout %s%s",
		 w->args.owner, (int)w->args.alert,
		 w->deadline == UINT64_MAX ? "forever" : w->soon ? "soon" : "in an hour",
		 w->args.flags ? " (realtime)" : "");
	m_desc_set("start waiter %d: %s; the model says it %s", w->id, w->desc,
		   w->at_once ? "finishes at once" : "sleeps");
	for (i = 0; i < (int)count; i++)
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
	if (w->at_once)
		return true;	/* the settle waits for it */
	limit = now_ns(CLOCK_MONOTONIC) + MW_QUEUE_NS;
	while (!__atomic_load_n(&w->entered, __ATOMIC_ACQUIRE) ||
	       (mw_state(w) != 'S' && !mw_is_done(w))) {
		now = now_ns(CLOCK_MONOTONIC);
		if (now > limit)
			m_fail("waiter %d neither slept nor returned within %llu s", w->id,
			       MW_QUEUE_NS / 1000000000ull);
		mw_nap();
	}
	for (i = 0, n = 0; i < (int)opt_waiters; i++)
		n += mw_w[i].busy && !mw_is_done(&mw_w[i]);
	if ((unsigned int)n > mw_max_busy)
		mw_max_busy = n;
	return true;
}

/*
 * The oldest wait that has slept for MW_PATIENCE steps gets help, so that
 * the threads keep turning over: an object ioctl that may let it proceed
 * (one of its objects released, unlocked, killed, set or pulsed, or its
 * alert set), or, sometimes and when none of its objects has an fd left,
 * a signal, which must end it with EINTR.  False if no wait needs help.
 */
static bool mw_nudge(void)
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

static void mw_begin(void)
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

/* Ends the waits still asleep (a signal: EINTR) and the threads. */
static void mw_end(void)
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
}

static int run_model(void)
{
	struct sigaction sa = { .sa_handler = m_alarm };
	uint64_t end = now_ns(CLOCK_MONOTONIC) + opt_seconds * 1000000000ull;
	uint64_t counts[6] = { 0 };
	int i;

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
	if (opt_waiters)
		mw_begin();
	for (m_step = 0; opt_steps ? m_step < opt_steps : now_ns(CLOCK_MONOTONIC) < end; m_step++) {
		unsigned int r = rn(100);

		memset(m_touched, 0, sizeof(m_touched));
		if (opt_waiters && pct(25) && mw_start()) {
			counts[5]++;
		} else if (opt_waiters && pct(15) && mw_nudge()) {
			counts[1]++;
		} else if (r < 18 || m_nfds < 4) {
			m_create();
			counts[0]++;
		} else if (r < 55) {
			m_obj_ioctl();
			counts[1]++;
		} else if (r < 88) {
			m_wait();
			counts[2]++;
		} else if (r < 90) {
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
			counts[3]++;
		} else {
			m_churn();
			counts[4]++;
		}
		if (opt_waiters)
			mw_settle();
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
	printf("# model: %" PRIu64 " steps: %" PRIu64 " creates, %" PRIu64 " object ioctls, %" PRIu64
	       " waits, %" PRIu64 " unknown ioctls, %" PRIu64 " close/dup/instance/fdinfo\n",
	       m_step, counts[0], counts[1], counts[2], counts[3], counts[4]);
	printf("# model: waits: %" PRIu64 " acquired, %" PRIu64 " took an abandoned mutex, %" PRIu64
	       " timed out, %" PRIu64 " refused\n", m_wait_res[0], m_wait_res[1], m_wait_res[2], m_wait_res[3]);
	if (opt_waiters) {
		mw_end();
		printf("# model: %u waiting threads: %" PRIu64 " waits started, %" PRIu64
		       " checked: %" PRIu64 " slept and were woken by a change, %" PRIu64
		       " finished at once, %" PRIu64 " ended by their alert, %" PRIu64
		       " timed out, %" PRIu64 " ended by a signal; %" PRIu64
		       " took an abandoned mutex; up to %u asleep at once\n",
		       opt_waiters, mw_started, mw_checked, mw_res[0], mw_res[1], mw_res[2],
		       mw_res[3], mw_res[5], mw_res[4], mw_max_busy);
	}
	for (i = 0; i < m_nfds; i++)
		close(m_fds[i].fd);
	close(m_dev[0]);
	close(m_dev[1]);
	printf("1..1\n");
	if (opt_waiters) {
		/* A run in which no sleeping wait was ever woken tested nothing. */
		tap(mw_res[0], "model --waiters %u: seed %" PRIu64 ": %" PRIu64 " steps, %" PRIu64
		    " waits of waiting threads checked (%" PRIu64 " woken), every result matches the contract, no waiter left asleep",
		    opt_waiters, opt_seed, m_step, mw_checked, mw_res[0]);
		return mw_res[0] ? 0 : 1;
	}
	tap(true, "model: seed %" PRIu64 ": %" PRIu64 " steps, every result matches the contract",
	    opt_seed, m_step);
	return 0;
}

/* ---- faults ---------------------------------------------------------- */

/*
 * Two ways to fail allocations, both only for this thread and only around
 * the ntsync call being tested:
 *   make-it-fail  failslab's task filter picks this thread while the mark
 *                 is set; the caller chose interval/probability/times.
 *   fail-nth      exactly the Nth allocation from now fails (--nth).
 */
static int f_mark = -1, f_nth = -1;
static uint64_t f_calls, f_enomem;
static int f_failures;

static void f_fail(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	f_failures++;
}

/* Injection on: make-it-fail (nth == 0), fail the nth allocation, or none (F_NONE). */
#define F_NONE (~0u)

static void f_on(unsigned int nth)
{
	char buf[16];
	int len;

	if (nth == F_NONE)
		return;
	if (nth) {
		len = snprintf(buf, sizeof(buf), "%u", nth);
		if (pwrite(f_nth, buf, len, 0) != len)
			f_fail("write fail-nth: %s", strerror(errno));
	} else if (pwrite(f_mark, "1", 1, 0) != 1) {
		f_fail("write make-it-fail: %s", strerror(errno));
	}
}

/* Injection off; returns whether fail-nth fired. */
static bool f_off(unsigned int nth)
{
	char buf[16] = "";

	if (nth == F_NONE)
		return false;
	if (nth) {
		ssize_t n = pread(f_nth, buf, sizeof(buf) - 1, 0);
		bool fired = n > 0 && atoi(buf) == 0;

		if (pwrite(f_nth, "0", 1, 0) != 1)
			f_fail("reset fail-nth: %s", strerror(errno));
		return fired;
	}
	if (pwrite(f_mark, "0", 1, 0) != 1)
		f_fail("write make-it-fail: %s", strerror(errno));
	return false;
}

/* The lowest free fd: a failed call must not have used one up. */
static int f_lowest_fd(void)
{
	int fd = dup(0);

	close(fd);
	return fd;
}

static bool f_sem_is(int fd, uint32_t count)
{
	struct ntsync_sem_args s = { 0 };
	int ret = xioctl(fd, NTSYNC_IOC_SEM_READ, &s);

	if (ret || s.count != count) {
		f_fail("semaphore fd %d: %s, count %u, expected %u", fd, errname(ret), s.count, count);
		return false;
	}
	return true;
}

static int f_open(unsigned int nth, bool *fired)
{
	int low = f_lowest_fd(), fd, ret;

	f_on(nth);
	fd = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	*fired = f_off(nth);
	f_calls++;
	if (ret >= 0)
		return ret;
	if (ret != -ENOMEM)
		f_fail("open /dev/ntsync: %s, expected an fd or ENOMEM", errname(ret));
	else
		f_enomem++;
	if (f_lowest_fd() != low)
		f_fail("a failed open left fd %d in use", low);
	return ret;
}

/* A create under injection: the object asked for (read back), or ENOMEM and no fd used. */
static int f_create(int dev, int type, unsigned int nth, bool *fired)
{
	static const unsigned long cmds[] = {
		NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_EVENT };
	static const uint32_t args[3][2] = { { 1, 1 }, { 7, 2 }, { 1, 1 } };
	int low = f_lowest_fd(), ret;
	uint32_t back[2] = { 0, 0 };

	f_on(nth);
	ret = xioctl(dev, cmds[type], (void *)args[type]);
	*fired = f_off(nth);
	f_calls++;
	if (ret == -ENOMEM) {
		f_enomem++;
		if (f_lowest_fd() != low)
			f_fail("a create that failed with ENOMEM left fd %d in use", low);
		return ret;
	}
	if (ret < 0) {
		f_fail("create %s: %s, expected a new fd or ENOMEM", type_names[type], errname(ret));
		return ret;
	}
	if (xioctl(ret, type == SEM ? NTSYNC_IOC_SEM_READ : type == MUTEX ? NTSYNC_IOC_MUTEX_READ :
		   NTSYNC_IOC_EVENT_READ, back) || back[0] != args[type][0] || back[1] != args[type][1])
		f_fail("created %s reads {%u, %u}, expected {%u, %u}", type_names[type], back[0], back[1],
		       args[type][0], args[type][1]);
	return ret;
}

struct f_set {
	int dev, alert, n;
	int fds[NTSYNC_MAX_WAIT_COUNT];
	uint32_t ufds[NTSYNC_MAX_WAIT_COUNT];
};

/* An instance with 64 semaphores of count 1 and an unsignaled event, made without injection. */
static bool f_set_up(struct f_set *s)
{
	bool fired;

	s->n = 0;
	s->alert = -1;
	s->dev = open_dev();
	while (s->n < NTSYNC_MAX_WAIT_COUNT) {
		int fd = f_create(s->dev, SEM, F_NONE, &fired);

		if (fd < 0 && fd != -ENOMEM)
			return false;
		if (fd >= 0) {
			s->fds[s->n] = fd;
			s->ufds[s->n++] = fd;
		}
	}
	s->alert = xioctl(s->dev, NTSYNC_IOC_CREATE_EVENT, (uint32_t[2]){ 0, 0 });
	return s->alert >= 0;
}

static void f_set_down(struct f_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		close(s->fds[i]);
	if (s->alert >= 0)
		close(s->alert);
	close(s->dev);
}

/*
 * A wait on @count of the set's semaphores (plus the alert if @alert) under
 * injection: success with exactly the expected acquisition, or ENOMEM (only
 * possible when the entries do not fit on the stack) with nothing taken.
 */
static void f_wait(struct f_set *s, bool all, uint32_t count, bool alert, unsigned int nth,
		   bool *fired)
{
	struct ntsync_wait_args w = { 0 };
	int ret, i;

	w.objs = (uintptr_t)s->ufds;
	w.count = count;
	w.owner = 1;
	w.alert = alert ? s->alert : 0;
	w.timeout = 0;
	w.index = 0xfeedbeef;
	f_on(nth);
	ret = xioctl(s->dev, all ? NTSYNC_IOC_WAIT_ALL : NTSYNC_IOC_WAIT_ANY, &w);
	*fired = f_off(nth);
	f_calls++;
	if (ret == -ENOMEM) {
		f_enomem++;
		if (count + alert <= 8)
			f_fail("a wait on %u objects failed with ENOMEM: it needs no memory", count);
		if (w.index != 0xfeedbeef)
			f_fail("a wait that failed with ENOMEM wrote index %u", w.index);
		for (i = 0; i < (int)count; i++)
			f_sem_is(s->fds[i], 1);
		return;
	}
	if (ret) {
		f_fail("%s on %u semaphores: %s, expected 0 or ENOMEM", all ? "WAIT_ALL" : "WAIT_ANY",
		       count, errname(ret));
		return;
	}
	if (w.index != 0)
		f_fail("wait index %u, expected 0", w.index);
	for (i = 0; i < (int)count; i++) {
		if (f_sem_is(s->fds[i], all || i == 0 ? 0 : 1) && (all || i == 0)) {
			uint32_t one = 1;

			if (xioctl(s->fds[i], NTSYNC_IOC_SEM_RELEASE, &one))
				f_fail("SEM_RELEASE fd %d failed", s->fds[i]);
		}
	}
}

/* An unsatisfiable WAIT_ALL on many objects: ETIMEDOUT or ENOMEM, and nothing taken. */
static void f_wait_timeout(struct f_set *s, unsigned int nth, bool *fired)
{
	struct ntsync_wait_args w = { 0 };
	uint32_t none = 0;
	int ret, i;

	/* Take the last semaphore so that the set cannot be acquired. */
	if (xioctl(s->fds[40], NTSYNC_IOC_SEM_RELEASE, &none))
		f_fail("SEM_RELEASE 0 failed");
	w.objs = (uintptr_t)s->ufds;
	w.count = 41;
	w.owner = 1;
	{
		struct ntsync_wait_args t = { .objs = (uintptr_t)&s->ufds[40], .count = 1, .owner = 2 };

		if (xioctl(s->dev, NTSYNC_IOC_WAIT_ANY, &t))
			f_fail("taking the last semaphore failed");
	}
	f_on(nth);
	ret = xioctl(s->dev, NTSYNC_IOC_WAIT_ALL, &w);
	*fired = f_off(nth);
	f_calls++;
	if (ret == -ENOMEM)
		f_enomem++;
	else if (ret != -ETIMEDOUT)
		f_fail("unsatisfiable WAIT_ALL: %s, expected ETIMEDOUT or ENOMEM", errname(ret));
	for (i = 0; i < 40; i++)
		f_sem_is(s->fds[i], 1);
	f_sem_is(s->fds[40], 0);
	none = 1;
	xioctl(s->fds[40], NTSYNC_IOC_SEM_RELEASE, &none);
}

static const uint32_t f_sizes[] = { 1, 7, 8, 9, 33, 64 };

/* make-it-fail mode: rounds of every call, the caller's failslab settings decide which fail. */
static void f_round(void)
{
	struct f_set s;
	bool fired;
	int fd, i, low = f_lowest_fd();
	unsigned int k;

	fd = f_open(0, &fired);
	if (fd >= 0) {
		for (i = 0; i < 3; i++) {
			int obj = f_create(fd, i, 0, &fired);

			if (obj >= 0)
				close(obj);
		}
		close(fd);
	}
	if (!f_set_up(&s)) {
		f_fail("could not set up the objects for the waits");
		f_set_down(&s);
		return;
	}
	for (k = 0; k < ARRAY_SIZE(f_sizes); k++) {
		f_wait(&s, false, f_sizes[k], k % 2, 0, &fired);
		f_wait(&s, true, f_sizes[k], k % 2, 0, &fired);
	}
	f_wait_timeout(&s, 0, &fired);
	f_set_down(&s);
	if (f_lowest_fd() != low)
		f_fail("fd %d still in use after the round closed everything", low);
}

/* fail-nth mode: fail each allocation of each call in turn. */
static void f_walk(void)
{
	static const char *const names[] = {
		"open", "CREATE_SEM", "CREATE_MUTEX", "CREATE_EVENT", "WAIT_ANY(9)", "WAIT_ALL(9)",
		"WAIT_ANY(64+alert)", "WAIT_ALL(64+alert)", "WAIT_ALL(41, times out)" };
	unsigned int op, nth;
	bool fired;

	for (op = 0; op < ARRAY_SIZE(names); op++) {
		for (nth = 1; nth < 100; nth++) {
			struct f_set s;
			int fd;

			fired = false;
			if (op == 0) {
				fd = f_open(nth, &fired);
				if (fd >= 0)
					close(fd);
			} else if (op <= 3) {
				int dev = open_dev();

				fd = f_create(dev, op - 1, nth, &fired);
				if (fd >= 0)
					close(fd);
				close(dev);
			} else {
				if (!f_set_up(&s)) {
					f_fail("could not set up the objects for the waits");
					f_set_down(&s);
					break;
				}
				if (op == 8)
					f_wait_timeout(&s, nth, &fired);
				else
					f_wait(&s, op % 2, op < 6 ? 9 : 64, op >= 6, nth, &fired);
				f_set_down(&s);
			}
			if (!fired)
				break;
		}
		printf("# fail-nth: %s: each of its %u slab allocations failed in turn\n", names[op], nth - 1);
	}
}

static int run_faults(void)
{
	unsigned int r;

	f_mark = open("/proc/thread-self/make-it-fail", O_RDWR | O_CLOEXEC);
	f_nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (f_mark < 0 || f_nth < 0) {
		printf("1..1\nnot ok 1 - faults: no /proc/thread-self/make-it-fail or fail-nth (CONFIG_FAULT_INJECTION)\n");
		return 1;
	}
	if (opt_nth) {
		f_walk();
	} else {
		for (r = 0; r < opt_rounds; r++)
			f_round();
	}
	printf("# faults%s: %" PRIu64 " calls, %" PRIu64 " failed with ENOMEM\n",
	       opt_nth ? " --nth" : "", f_calls, f_enomem);
	if (!f_enomem)
		f_fail("no call failed: fault injection did not reach the driver");
	printf("1..1\n");
	tap(!f_failures, "faults%s: %" PRIu64 " calls, %" PRIu64 " ENOMEM, each succeeded or failed cleanly",
	    opt_nth ? " (fail-nth)" : "", f_calls, f_enomem);
	return f_failures ? 1 : 0;
}

/* ---- hold ------------------------------------------------------------ */

/*
 * For the unload test: keep the module busy until killed, in one of three
 * ways, and create /tmp/ntsync-hold.ready once that is so.
 *   dev   an instance fd (its objects closed)
 *   obj   an object fd (the instance fd closed: the object keeps it alive)
 *   wait  a wait that never ends, after every fd was closed
 */
static int h_dev, h_obj;

static void h_ready(void)
{
	int fd = open("/tmp/ntsync-hold.ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

static void *h_closer(void *arg)
{
	struct timespec ts = { 0, 300000000 };

	(void)arg;
	nanosleep(&ts, NULL);	/* let the wait begin */
	close(h_obj);
	close(h_dev);
	h_ready();
	return NULL;
}

static int run_hold(const char *how)
{
	struct ntsync_event_args e = { 0, 0 };
	struct ntsync_wait_args w = { .timeout = UINT64_MAX, .count = 1, .owner = 1 };
	uint32_t fd;
	pthread_t th;

	h_dev = open_dev();
	h_obj = xioctl(h_dev, NTSYNC_IOC_CREATE_EVENT, &e);
	if (h_obj < 0)
		return 1;
	if (!strcmp(how, "dev")) {
		close(h_obj);
	} else if (!strcmp(how, "obj")) {
		close(h_dev);
	} else if (!strcmp(how, "wait")) {
		fd = h_obj;
		w.objs = (uintptr_t)&fd;
		pthread_create(&th, NULL, h_closer, NULL);
		xioctl(h_dev, NTSYNC_IOC_WAIT_ANY, &w);
		return 1;	/* never: nothing signals the event */
	} else {
		return 2;
	}
	h_ready();
	for (;;)
		pause();
}

/* ---- main ------------------------------------------------------------ */

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "hold"))
		return argc == 3 ? run_hold(argv[2]) : 2;
	opt_seed = (uint64_t)time(NULL);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			opt_seconds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			opt_threads = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			opt_steps = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			opt_rounds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--nth"))
			opt_nth = true;
		else if (!strcmp(argv[i], "--waiters") && i + 1 < argc)
			opt_waiters = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ro-wait-args"))
			opt_ro_wait_args = true;
		else if (!strcmp(argv[i], "-v"))
			opt_verbose = true;
		else
			goto usage;
	}
	if (!opt_threads)
		opt_threads = 1;
	if (!strcmp(argv[1], "stress"))
		return run_stress();
	if (!strcmp(argv[1], "model"))
		return run_model();
	if (!strcmp(argv[1], "faults"))
		return run_faults();
	if (!strcmp(argv[1], "hold") && argc == 3)
		return run_hold(argv[2]);
usage:
	fprintf(stderr, "usage: %s stress|model|faults [--seed N] [--seconds N] [--threads N]"
		" [--steps N] [--rounds N] [--nth] [--ro-wait-args] [--waiters N] [-v]\n", argv[0]);
	return 2;
}
