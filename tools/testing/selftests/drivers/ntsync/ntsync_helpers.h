/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every ntsync selftest shares: wrappers of the driver's ioctls, the
 * helper macros that keep test bodies short, waiter threads and the fixture
 * (one instance of the device per test).
 *
 * Written against the project's contract (ABI.md): the mainline Linux 6.14
 * binary interface with the semantics of the API draft.
 *
 * Determinism: a test never sleeps and hopes that another thread has reached
 * a wait.  It polls the object's /proc/self/fdinfo/<fd> "ntsync-waiters"
 * line until the expected number of wait entries is queued (on a driver
 * without those lines, such as the kernel's own, until its waiter threads
 * sleep in the driver).  State after a signalling ioctl is read back
 * immediately: the contract makes the wake-up (and the acquisition by the
 * woken waiter) part of the signalling operation.
 */
#ifndef NTSYNC_SELFTEST_HELPERS_H
#define NTSYNC_SELFTEST_HELPERS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>

#include <linux/ntsync.h>

/*
 * The harness's macros expand to functions with unused parameters; keep
 * -Wextra clean without touching the harness.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define NSEC_PER_SEC	1000000000ULL
#define NSEC_PER_MSEC	1000000ULL
#define FOREVER		UINT64_MAX

/* How long to wait for something that must happen (a waiter to queue, a
 * woken thread to finish).  Generous: guests run under software emulation.
 */
#define POLL_DEADLINE_NS	(30 * NSEC_PER_SEC)
/* Upper bound for "a timed wait returned roughly on time". */
#define LATE_BOUND_NS		(10 * NSEC_PER_SEC)

#define NT_TIMEOUT		120
#define NO_DEVICE_REASON	"no /dev/ntsync: the ntsync module is not loaded"

/*
 * A test on the fixture (a fresh instance of the device in self->dev), with
 * a timeout.  Without /dev/ntsync it is skipped with the reason; the check is
 * made here rather than by a SKIP in the fixture's setup, after which older
 * harnesses still run the test's body.
 */
#define NT_TEST_TIMEOUT(name, timeout) \
	static void nt_##name(struct __test_metadata *_metadata, \
			      FIXTURE_DATA(ntsync) *self); \
	TEST_F_TIMEOUT(ntsync, name, timeout) \
	{ \
		if (self->dev < 0) \
			SKIP(return, NO_DEVICE_REASON); \
		nt_##name(_metadata, self); \
	} \
	static void nt_##name(struct __test_metadata *_metadata, \
			      FIXTURE_DATA(ntsync) *self)
#define NT_TEST(name)		NT_TEST_TIMEOUT(name, NT_TIMEOUT)

/* Opens an instance of the device. */
static inline int nt_open(int flags)
{
	return open("/dev/ntsync", flags);
}

/* ------------------------------------------------------------------------
 * Small helpers.  They return the ioctl's result with errno intact.
 */

static inline __u64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static inline int create_sem(int dev, __u32 count, __u32 max)
{
	struct ntsync_sem_args args = { .count = count, .max = max };

	return ioctl(dev, NTSYNC_IOC_CREATE_SEM, &args);
}

static inline int create_mutex(int dev, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args args = { .owner = owner, .count = count };

	return ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &args);
}

static inline int create_event(int dev, __u32 manual, __u32 signaled)
{
	struct ntsync_event_args args = { .manual = manual, .signaled = signaled };

	return ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &args);
}

static inline int sem_release(int sem, __u32 count, __u32 *prev)
{
	__u32 val = count;
	int ret = ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &val);

	if (prev)
		*prev = val;
	return ret;
}

static inline int mutex_unlock(int mutex, __u32 owner, __u32 *prev)
{
	struct ntsync_mutex_args args = { .owner = owner, .count = 0xdeadbeef };
	int ret = ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args);

	if (prev)
		*prev = args.count;
	return ret;
}

static inline int mutex_kill(int mutex, __u32 owner)
{
	__u32 val = owner;

	return ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &val);
}

static inline int event_op(int event, unsigned long req, __u32 *prev)
{
	__u32 val = 0xdeadbeef;
	int ret = ioctl(event, req, &val);

	if (prev)
		*prev = val;
	return ret;
}

static inline int read_sem(int sem, __u32 *count, __u32 *max)
{
	struct ntsync_sem_args args = { .count = 0xdeadbeef, .max = 0xdeadbeef };
	int ret = ioctl(sem, NTSYNC_IOC_SEM_READ, &args);

	*count = args.count;
	*max = args.max;
	return ret;
}

static inline int read_mutex(int mutex, __u32 *owner, __u32 *count)
{
	struct ntsync_mutex_args args = { .owner = 0xdeadbeef, .count = 0xdeadbeef };
	int ret = ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &args);

	*owner = args.owner;
	*count = args.count;
	return ret;
}

static inline int read_event(int event, __u32 *manual, __u32 *signaled)
{
	struct ntsync_event_args args = { .manual = 0xdeadbeef, .signaled = 0xdeadbeef };
	int ret = ioctl(event, NTSYNC_IOC_EVENT_READ, &args);

	*manual = args.manual;
	*signaled = args.signaled;
	return ret;
}

static inline int do_wait(int dev, unsigned long req, const int *objs, __u32 count,
			  __u32 owner, __u32 alert, __u64 timeout, __u32 flags,
			  __u32 *index)
{
	struct ntsync_wait_args args = {
		.timeout = timeout,
		.objs = (uintptr_t)objs,
		.count = count,
		.index = 0xdeadbeef,
		.flags = flags,
		.owner = owner,
		.alert = alert,
	};
	int ret = ioctl(dev, req, &args);

	if (index)
		*index = args.index;
	return ret;
}

static inline int wait_any(int dev, const int *objs, __u32 count, __u32 owner,
			   __u32 alert, __u64 timeout, __u32 *index)
{
	return do_wait(dev, NTSYNC_IOC_WAIT_ANY, objs, count, owner, alert,
		       timeout, 0, index);
}

static inline int wait_all(int dev, const int *objs, __u32 count, __u32 owner,
			   __u32 alert, __u64 timeout, __u32 *index)
{
	return do_wait(dev, NTSYNC_IOC_WAIT_ALL, objs, count, owner, alert,
		       timeout, 0, index);
}

/* A page no access is possible to (stays reserved, so never reused). */
static inline void *bad_ptr(void)
{
	static void *page;

	if (!page) {
		page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (page == MAP_FAILED)
			page = NULL;
	}
	return page;
}

/*
 * A readable but not writable page whose first bytes hold @words: input
 * that can be read, with a write-back that must fail.
 */
static inline void *readonly_words(const __u32 *words, unsigned int n)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	memcpy(page, words, n * sizeof(*words));
	if (mprotect(page, 4096, PROT_READ)) {
		munmap(page, 4096);
		return NULL;
	}
	return page;
}

/* The lowest free descriptor: a failed create must not consume one. */
static inline int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A descriptor number that is certainly not open. */
static inline int closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	close(fd);
	return fd;
}

/* ------------------------------------------------------------------------
 * fdinfo.
 */

/* A file of /proc, NUL-terminated: 0, or -1 if it cannot be read. */
static inline int read_file(const char *path, char *buf, size_t size)
{
	size_t total = 0;
	ssize_t n;
	int f;

	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	while (total < size - 1 && (n = read(f, buf + total, size - 1 - total)) > 0)
		total += n;
	close(f);
	buf[total] = 0;
	return 0;
}

static inline int read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return read_file(path, buf, size);
}

/* Finds "key:\t" at the start of a line; returns the value text or NULL. */
static inline const char *fdinfo_find(const char *buf, const char *key)
{
	size_t len = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ':' && p[len + 1] == '\t')
			return p + len + 2;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* 0 and *val on success; -1 if the line is missing or malformed. */
static inline int fdinfo_value(int fd, const char *key, unsigned long long *val)
{
	char buf[4096], *end;
	const char *v;

	if (read_fdinfo(fd, buf, sizeof(buf)))
		return -1;
	v = fdinfo_find(buf, key);
	if (!v || *v < '0' || *v > '9')
		return -1;
	errno = 0;
	*val = strtoull(v, &end, 10);
	if (errno || (*end != '\n' && *end != 0))
		return -1;
	return 0;
}

static inline int poll_fdinfo(int fd, const char *key, unsigned long long want,
			      unsigned long long *last)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + POLL_DEADLINE_NS;

	for (;;) {
		*last = ULLONG_MAX;
		if (!fdinfo_value(fd, key, last) && *last == want)
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			return -1;
		sleep_ms(1);
	}
}

/*
 * Whether the driver shows this project's fdinfo lines, which the fixture
 * finds out.  On a driver without them (the kernel's own) a test waits for
 * its waiter threads to be asleep in the driver instead (see
 * poll_waiters_asleep()), skips checks of fdinfo values, and a test of
 * fdinfo itself is skipped with the reason.
 */
static int ntsync_fdinfo;

#define NO_FDINFO_REASON \
	"no ntsync lines in fdinfo: a driver without this project's fdinfo"

/* Skips a test of fdinfo itself on a driver without our lines. */
#define REQUIRE_FDINFO() do { \
	if (!ntsync_fdinfo) \
		SKIP(return, NO_FDINFO_REASON); \
} while (0)

static inline int poll_waiters_asleep(void);

/*
 * Waits until exactly n wait entries are queued on the object behind fd, or
 * without fdinfo until every waiter thread has finished or sleeps in the
 * driver (which cannot count them per object).
 */
#define wait_for_key(fd, key, n) do { \
	unsigned long long __last; \
	if (!ntsync_fdinfo) { \
		ASSERT_EQ(0, poll_waiters_asleep()) \
			TH_LOG("waiter threads did not go to sleep in the driver"); \
		break; \
	} \
	ASSERT_EQ(0, poll_fdinfo(fd, key, n, &__last)) \
		TH_LOG("fd %d: %s is %llu, wanted %llu", (int)(fd), key, \
		       __last, (unsigned long long)(n)); \
} while (0)
#define wait_for_waiters(fd, n)		wait_for_key(fd, "ntsync-waiters", n)
#define wait_for_waiters_all(fd, n)	wait_for_key(fd, "ntsync-waiters-all", n)

/* An fdinfo value, checked where the driver has this project's fdinfo. */
#define EXPECT_FDINFO(fd, key, want) do { \
	unsigned long long __v = ULLONG_MAX; \
	if (!ntsync_fdinfo) \
		break; \
	EXPECT_EQ(0, fdinfo_value(fd, key, &__v)) \
		TH_LOG("fd %d: no valid \"%s\" line", (int)(fd), key); \
	EXPECT_EQ((unsigned long long)(want), __v) \
		TH_LOG("fd %d: %s", (int)(fd), key); \
} while (0)

/* ------------------------------------------------------------------------
 * Checks.
 */

/*
 * RESULT(call) is 0 when the call returned 0, errno when it returned -1,
 * and -1000 - ret for any other return value (e.g. a new descriptor), so
 * that a failed check prints what actually happened.
 */
#define RESULT(expr) ({ \
	long __r; \
	errno = 0; \
	__r = (long)(expr); \
	__r == 0 ? 0 : __r == -1 ? errno : (int)(-1000 - __r); })

#define EXPECT_ERRNO(err, expr)	EXPECT_EQ(err, RESULT(expr))
#define EXPECT_OK(expr)		EXPECT_EQ(0, RESULT(expr))
#define ASSERT_OK(expr)		ASSERT_EQ(0, RESULT(expr))

/* Creates an object and asserts that it worked. */
#define NEW_SEM(dev, c, m) ({ \
	int __fd = create_sem(dev, c, m); \
	ASSERT_LE(0, __fd) TH_LOG("create_sem(%u, %u): %s", (unsigned int)(c), \
				  (unsigned int)(m), strerror(errno)); \
	__fd; })
#define NEW_MUTEX(dev, o, c) ({ \
	int __fd = create_mutex(dev, o, c); \
	ASSERT_LE(0, __fd) TH_LOG("create_mutex(%u, %u): %s", (unsigned int)(o), \
				  (unsigned int)(c), strerror(errno)); \
	__fd; })
#define NEW_EVENT(dev, man, sig) ({ \
	int __fd = create_event(dev, man, sig); \
	ASSERT_LE(0, __fd) TH_LOG("create_event(%u, %u): %s", (unsigned int)(man), \
				  (unsigned int)(sig), strerror(errno)); \
	__fd; })

#define CHECK_SEM(sem, c, m) do { \
	__u32 __c, __m; \
	int __r = read_sem(sem, &__c, &__m); \
	EXPECT_EQ(0, __r) TH_LOG("SEM_READ: %s", strerror(errno)); \
	EXPECT_EQ((__u32)(c), __c) TH_LOG("semaphore count"); \
	EXPECT_EQ((__u32)(m), __m) TH_LOG("semaphore max"); \
} while (0)

#define CHECK_MUTEX(mx, o, c) do { \
	__u32 __o, __c; \
	int __r = read_mutex(mx, &__o, &__c); \
	EXPECT_EQ(0, __r) TH_LOG("MUTEX_READ: %s", strerror(errno)); \
	EXPECT_EQ((__u32)(o), __o) TH_LOG("mutex owner"); \
	EXPECT_EQ((__u32)(c), __c) TH_LOG("mutex count"); \
} while (0)

#define CHECK_MUTEX_ABANDONED(mx) do { \
	__u32 __o, __c; \
	int __r, __e; \
	errno = 0; \
	__r = read_mutex(mx, &__o, &__c); \
	__e = errno; \
	EXPECT_EQ(-1, __r) TH_LOG("MUTEX_READ of an abandoned mutex succeeded"); \
	EXPECT_EQ(EOWNERDEAD, __e) TH_LOG("MUTEX_READ: %s", strerror(__e)); \
	EXPECT_EQ(0u, __o) TH_LOG("abandoned mutex owner"); \
	EXPECT_EQ(0u, __c) TH_LOG("abandoned mutex count"); \
} while (0)

#define CHECK_EVENT(ev, man, sig) do { \
	__u32 __m, __s; \
	int __r = read_event(ev, &__m, &__s); \
	EXPECT_EQ(0, __r) TH_LOG("EVENT_READ: %s", strerror(errno)); \
	EXPECT_EQ((__u32)(man), __m) TH_LOG("event manual"); \
	EXPECT_EQ((__u32)(sig), __s) TH_LOG("event signaled"); \
} while (0)

/* ------------------------------------------------------------------------
 * Waiter threads.  A thread never uses ASSERT/EXPECT; it records results.
 */

struct waiter {
	int dev;
	unsigned long req;
	int objs[NTSYNC_MAX_WAIT_COUNT];
	struct ntsync_wait_args args;
	int ret;
	int err;
	int done;
	pid_t tid;		/* the waiting thread's, once it runs */
	pthread_t thread;
};

static inline void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	w->ret = ioctl(w->dev, w->req, &w->args);
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The waiters a test started, for poll_waiters_asleep(). */
static struct waiter *started_waiters[64];
static unsigned int nr_started_waiters;

static inline void waiter_register(struct waiter *w)
{
	unsigned int i;

	for (i = 0; i < nr_started_waiters; i++) {
		if (started_waiters[i] == w)
			return;
	}
	if (nr_started_waiters < ARRAY_SIZE(started_waiters))
		started_waiters[nr_started_waiters++] = w;
}

static inline int waiter_start(struct waiter *w, int dev, unsigned long req,
			       const int *objs, __u32 count, __u32 owner, __u32 alert,
			       __u64 timeout, __u32 flags)
{
	memset(w, 0, sizeof(*w));
	w->dev = dev;
	w->req = req;
	if (count)
		memcpy(w->objs, objs, count * sizeof(*objs));
	w->args.timeout = timeout;
	w->args.objs = (uintptr_t)w->objs;
	w->args.count = count;
	w->args.index = 0xdeadbeef;
	w->args.flags = flags;
	w->args.owner = owner;
	w->args.alert = alert;
	w->ret = -2;
	waiter_register(w);
	return pthread_create(&w->thread, NULL, waiter_main, w);
}

static inline int waiter_done(struct waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static inline int poll_int_for(int *p, int want, __u64 limit_ns)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + limit_ns;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want) {
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			return -1;
		sleep_ms(1);
	}
	return 0;
}

static inline int poll_int(int *p, int want)
{
	return poll_int_for(p, want, POLL_DEADLINE_NS);
}

/*
 * Whether thread @tid sleeps (state S) in an ioctl, which for a waiter
 * thread means in the driver's wait, queued: from /proc, without fdinfo.
 */
static inline int thread_sleeps_in_ioctl(pid_t tid)
{
	char path[64], buf[512];
	const char *p;
	long nr;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] != 'S')
		return 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	nr = strtol(buf, NULL, 10);
	return nr == SYS_ioctl;
}

/*
 * Waits until fd has a queued waiter, or w has already finished; without
 * fdinfo, until w sleeps in the driver or has finished.
 */
static inline int poll_queued_or_done(int fd, struct waiter *w)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + POLL_DEADLINE_NS;
	unsigned long long v;

	for (;;) {
		if (ntsync_fdinfo && !fdinfo_value(fd, "ntsync-waiters", &v) && v >= 1)
			return 0;
		if (!ntsync_fdinfo && w->tid && thread_sleeps_in_ioctl(w->tid))
			return 0;
		if (waiter_done(w))
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			return -1;
		sleep_ms(1);
	}
}

/* Waits until every waiter the test started has finished or sleeps in the driver. */
static inline int poll_waiters_asleep(void)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + POLL_DEADLINE_NS;
	unsigned int i;
	pid_t tid;

	for (i = 0; i < nr_started_waiters; i++) {
		struct waiter *w = started_waiters[i];

		for (;;) {
			tid = __atomic_load_n(&w->tid, __ATOMIC_ACQUIRE);
			if (waiter_done(w) || (tid && thread_sleeps_in_ioctl(tid)))
				break;
			if (now_ns(CLOCK_MONOTONIC) > deadline)
				return -1;
			sleep_ms(1);
		}
	}
	return 0;
}

static inline int waiter_join(struct waiter *w)
{
	if (poll_int(&w->done, 1))
		return -1;
	return pthread_join(w->thread, NULL);
}

#define START_ANY(w, dev, objs, count, owner, alert, timeout) \
	ASSERT_EQ(0, waiter_start(w, dev, NTSYNC_IOC_WAIT_ANY, objs, count, \
				  owner, alert, timeout, 0))
#define START_ALL(w, dev, objs, count, owner, alert, timeout) \
	ASSERT_EQ(0, waiter_start(w, dev, NTSYNC_IOC_WAIT_ALL, objs, count, \
				  owner, alert, timeout, 0))
#define JOIN(w) \
	ASSERT_EQ(0, waiter_join(w)) TH_LOG("waiter " #w " did not finish")

/* A finished waiter returned success with the given index. */
#define EXPECT_WAITER(w, want_ret, want_err, want_index) do { \
	EXPECT_EQ(want_ret, (w)->ret) TH_LOG(#w " returned %d (%s)", (w)->ret, \
					      strerror((w)->err)); \
	if ((want_ret) < 0) { \
		EXPECT_EQ(want_err, (w)->err) TH_LOG(#w ": %s", strerror((w)->err)); \
	} \
	EXPECT_EQ((__u32)(want_index), (w)->args.index) TH_LOG(#w " index"); \
} while (0)

#define EXPECT_WAITER_OK(w, idx) EXPECT_WAITER(w, 0, 0, idx)

/* The two wait ioctls, for tests that check both. */
static const unsigned long wait_reqs[2] __attribute__((unused)) = {
	NTSYNC_IOC_WAIT_ANY, NTSYNC_IOC_WAIT_ALL
};

static const char *const wait_names[2] __attribute__((unused)) = { "WAIT_ANY", "WAIT_ALL" };

/* ------------------------------------------------------------------------
 * The fixture: one instance of the device per test.
 */

FIXTURE(ntsync) {
	int dev;
};

FIXTURE_SETUP(ntsync)
{
	unsigned long long instance;

	/* Wine opens the device read-only as an ordinary user. */
	self->dev = nt_open(O_RDONLY | O_CLOEXEC);
	if (self->dev < 0 && errno == ENOENT)
		return;		/* NT_TEST skips the test */
	ASSERT_LE(0, self->dev) TH_LOG("open(/dev/ntsync): %s", strerror(errno));
	/* Every instance of this project's driver has an ntsync-instance line. */
	ntsync_fdinfo = !fdinfo_value(self->dev, "ntsync-instance", &instance);
}

FIXTURE_TEARDOWN(ntsync)
{
	if (self->dev >= 0)
		close(self->dev);
}

#endif /* NTSYNC_SELFTEST_HELPERS_H */
