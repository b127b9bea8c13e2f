// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Selftests for /dev/ntsync, the NT synchronization primitive driver.
 *
 * Written against the project's contract (ABI.md): the mainline Linux 6.14
 * binary interface with the semantics of the API draft.
 *
 * Determinism: a test never sleeps and hopes that another thread has reached
 * a wait.  It polls the object's /proc/self/fdinfo/<fd> "ntsync-waiters"
 * line until the expected number of wait entries is queued.  State after a
 * signalling ioctl is read back immediately: the contract makes the wake-up
 * (and the acquisition by the woken waiter) part of the signalling operation.
 */
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
#define NT_TEST(name)		TEST_F_TIMEOUT(ntsync, name, NT_TIMEOUT)

/* ------------------------------------------------------------------------
 * Fault injection.  The debug lane runs this suite as a failslab target:
 * /proc/self/make-it-fail is 1 when it starts (every test process and thread
 * inherits it), and failslab fails every Nth allocation made on behalf of the
 * driver.  Every call into the driver goes through nt_ioctl() or nt_open().
 * When such a target sees ENOMEM, the call must have failed cleanly: it must
 * not have used up a descriptor (else the test aborts).  It is reported on a
 * "# ntsync-fault:" line and made once more with injection off for this
 * thread, so that the test goes on and its own checks find anything the
 * failed call changed.  For any other process this changes nothing.
 */

static int fault_target;

static void __attribute__((constructor)) fault_target_init(void)
{
	char c = '0';
	int fd = open("/proc/self/make-it-fail", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (read(fd, &c, 1) == 1 && c == '1')
		fault_target = 1;
	close(fd);
}

static void set_make_it_fail(const char *val)
{
	int fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, val, 1) != 1) {
		fprintf(stderr, "# ntsync-fault: cannot set make-it-fail: %s\n",
			strerror(errno));
		abort();
	}
	close(fd);
}

/* The lowest free descriptor: a failed create must not consume one. */
static int lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * After @what failed with ENOMEM: check that descriptor @spare is still free
 * if the call would have returned a descriptor, report, and return the
 * result of the same call with injection off.
 */
#define FAULT_RETRY(what, makes_fd, spare, call) ({ \
	int __ret; \
	if ((makes_fd) && (fcntl(spare, F_GETFD) != -1 || errno != EBADF)) { \
		fprintf(stderr, "# ntsync-fault: %s failed with ENOMEM but used up descriptor %d\n", \
			what, spare); \
		abort(); \
	} \
	fprintf(stderr, "# ntsync-fault: injected ENOMEM into %s; made again\n", what); \
	set_make_it_fail("0"); \
	__ret = (call); \
	set_make_it_fail("1"); \
	__ret; })

static const char *ioctl_name(unsigned long req)
{
	switch (req) {
	case NTSYNC_IOC_CREATE_SEM: return "CREATE_SEM";
	case NTSYNC_IOC_CREATE_MUTEX: return "CREATE_MUTEX";
	case NTSYNC_IOC_CREATE_EVENT: return "CREATE_EVENT";
	case NTSYNC_IOC_WAIT_ANY: return "WAIT_ANY";
	case NTSYNC_IOC_WAIT_ALL: return "WAIT_ALL";
	default: return "an ioctl";
	}
}

static int nt_ioctl(int fd, unsigned long req, void *arg)
{
	int makes_fd = req == NTSYNC_IOC_CREATE_SEM ||
		       req == NTSYNC_IOC_CREATE_MUTEX ||
		       req == NTSYNC_IOC_CREATE_EVENT;
	int spare = fault_target && makes_fd ? lowest_free_fd() : -1;
	int ret = ioctl(fd, req, arg);

	if (ret == -1 && errno == ENOMEM && fault_target)
		ret = FAULT_RETRY(ioctl_name(req), makes_fd, spare,
				  ioctl(fd, req, arg));
	return ret;
}

static int nt_open(int flags)
{
	int spare = fault_target ? lowest_free_fd() : -1;
	int ret = open("/dev/ntsync", flags);

	if (ret == -1 && errno == ENOMEM && fault_target)
		ret = FAULT_RETRY("open", 1, spare, open("/dev/ntsync", flags));
	return ret;
}

/* ------------------------------------------------------------------------
 * Small helpers.  They return the ioctl's result with errno intact.
 */

static __u64 now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int create_sem(int dev, __u32 count, __u32 max)
{
	struct ntsync_sem_args args = { .count = count, .max = max };

	return nt_ioctl(dev, NTSYNC_IOC_CREATE_SEM, &args);
}

static int create_mutex(int dev, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args args = { .owner = owner, .count = count };

	return nt_ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &args);
}

static int create_event(int dev, __u32 manual, __u32 signaled)
{
	struct ntsync_event_args args = { .manual = manual, .signaled = signaled };

	return nt_ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &args);
}

static int sem_release(int sem, __u32 count, __u32 *prev)
{
	__u32 val = count;
	int ret = nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &val);

	if (prev)
		*prev = val;
	return ret;
}

static int mutex_unlock(int mutex, __u32 owner, __u32 *prev)
{
	struct ntsync_mutex_args args = { .owner = owner, .count = 0xdeadbeef };
	int ret = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args);

	if (prev)
		*prev = args.count;
	return ret;
}

static int mutex_kill(int mutex, __u32 owner)
{
	__u32 val = owner;

	return nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &val);
}

static int event_op(int event, unsigned long req, __u32 *prev)
{
	__u32 val = 0xdeadbeef;
	int ret = nt_ioctl(event, req, &val);

	if (prev)
		*prev = val;
	return ret;
}

static int read_sem(int sem, __u32 *count, __u32 *max)
{
	struct ntsync_sem_args args = { .count = 0xdeadbeef, .max = 0xdeadbeef };
	int ret = nt_ioctl(sem, NTSYNC_IOC_SEM_READ, &args);

	*count = args.count;
	*max = args.max;
	return ret;
}

static int read_mutex(int mutex, __u32 *owner, __u32 *count)
{
	struct ntsync_mutex_args args = { .owner = 0xdeadbeef, .count = 0xdeadbeef };
	int ret = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &args);

	*owner = args.owner;
	*count = args.count;
	return ret;
}

static int read_event(int event, __u32 *manual, __u32 *signaled)
{
	struct ntsync_event_args args = { .manual = 0xdeadbeef, .signaled = 0xdeadbeef };
	int ret = nt_ioctl(event, NTSYNC_IOC_EVENT_READ, &args);

	*manual = args.manual;
	*signaled = args.signaled;
	return ret;
}

static int do_wait(int dev, unsigned long req, const int *objs, __u32 count,
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
	int ret = nt_ioctl(dev, req, &args);

	if (index)
		*index = args.index;
	return ret;
}

static int wait_any(int dev, const int *objs, __u32 count, __u32 owner,
		    __u32 alert, __u64 timeout, __u32 *index)
{
	return do_wait(dev, NTSYNC_IOC_WAIT_ANY, objs, count, owner, alert,
		       timeout, 0, index);
}

static int wait_all(int dev, const int *objs, __u32 count, __u32 owner,
		    __u32 alert, __u64 timeout, __u32 *index)
{
	return do_wait(dev, NTSYNC_IOC_WAIT_ALL, objs, count, owner, alert,
		       timeout, 0, index);
}

/* A page no access is possible to (stays reserved, so never reused). */
static void *bad_ptr(void)
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
static void *readonly_words(const __u32 *words, unsigned int n)
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

/* A descriptor number that is certainly not open. */
static int closed_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	close(fd);
	return fd;
}

/* ------------------------------------------------------------------------
 * fdinfo.
 */

static int read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];
	size_t total = 0;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	while (total < size - 1 && (n = read(f, buf + total, size - 1 - total)) > 0)
		total += n;
	close(f);
	buf[total] = 0;
	return 0;
}

/* Finds "key:\t" at the start of a line; returns the value text or NULL. */
static const char *fdinfo_find(const char *buf, const char *key)
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
static int fdinfo_value(int fd, const char *key, unsigned long long *val)
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

static int poll_fdinfo(int fd, const char *key, unsigned long long want,
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

/* Waits until exactly n wait entries are queued on the object behind fd. */
#define wait_for_waiters(fd, n) do { \
	unsigned long long __last; \
	ASSERT_EQ(0, poll_fdinfo(fd, "ntsync-waiters", n, &__last)) \
		TH_LOG("fd %d: ntsync-waiters is %llu, wanted %llu", \
		       (int)(fd), __last, (unsigned long long)(n)); \
} while (0)

#define wait_for_waiters_all(fd, n) do { \
	unsigned long long __last; \
	ASSERT_EQ(0, poll_fdinfo(fd, "ntsync-waiters-all", n, &__last)) \
		TH_LOG("fd %d: ntsync-waiters-all is %llu, wanted %llu", \
		       (int)(fd), __last, (unsigned long long)(n)); \
} while (0)

#define EXPECT_FDINFO(fd, key, want) do { \
	unsigned long long __v = ULLONG_MAX; \
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

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	w->ret = nt_ioctl(w->dev, w->req, &w->args);
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int waiter_start(struct waiter *w, int dev, unsigned long req,
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
	return pthread_create(&w->thread, NULL, waiter_main, w);
}

static int waiter_done(struct waiter *w)
{
	return __atomic_load_n(&w->done, __ATOMIC_ACQUIRE);
}

static int poll_int_for(int *p, int want, __u64 limit_ns)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + limit_ns;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want) {
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			return -1;
		sleep_ms(1);
	}
	return 0;
}

static int poll_int(int *p, int want)
{
	return poll_int_for(p, want, POLL_DEADLINE_NS);
}

/* Waits until fd has a queued waiter, or w has already finished. */
static int poll_queued_or_done(int fd, struct waiter *w)
{
	__u64 deadline = now_ns(CLOCK_MONOTONIC) + POLL_DEADLINE_NS;
	unsigned long long v;

	for (;;) {
		if (!fdinfo_value(fd, "ntsync-waiters", &v) && v >= 1)
			return 0;
		if (waiter_done(w))
			return 0;
		if (now_ns(CLOCK_MONOTONIC) > deadline)
			return -1;
		sleep_ms(1);
	}
}

static int waiter_join(struct waiter *w)
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

/* ------------------------------------------------------------------------
 * The fixture: one instance of the device per test.
 */

FIXTURE(ntsync) {
	int dev;
};

FIXTURE_SETUP(ntsync)
{
	/* Wine opens the device read-only as an ordinary user. */
	self->dev = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, self->dev) TH_LOG("open(/dev/ntsync): %s", strerror(errno));
}

FIXTURE_TEARDOWN(ntsync)
{
	if (self->dev >= 0)
		close(self->dev);
}

/* ========================================================================
 * The binary interface.
 */

TEST(abi_layout)
{
	EXPECT_EQ(0x40084e80u, (unsigned int)NTSYNC_IOC_CREATE_SEM);
	EXPECT_EQ(0xc0044e81u, (unsigned int)NTSYNC_IOC_SEM_RELEASE);
	EXPECT_EQ(0xc0284e82u, (unsigned int)NTSYNC_IOC_WAIT_ANY);
	EXPECT_EQ(0xc0284e83u, (unsigned int)NTSYNC_IOC_WAIT_ALL);
	EXPECT_EQ(0x40084e84u, (unsigned int)NTSYNC_IOC_CREATE_MUTEX);
	EXPECT_EQ(0xc0084e85u, (unsigned int)NTSYNC_IOC_MUTEX_UNLOCK);
	EXPECT_EQ(0x40044e86u, (unsigned int)NTSYNC_IOC_MUTEX_KILL);
	EXPECT_EQ(0x40084e87u, (unsigned int)NTSYNC_IOC_CREATE_EVENT);
	EXPECT_EQ(0x80044e88u, (unsigned int)NTSYNC_IOC_EVENT_SET);
	EXPECT_EQ(0x80044e89u, (unsigned int)NTSYNC_IOC_EVENT_RESET);
	EXPECT_EQ(0x80044e8au, (unsigned int)NTSYNC_IOC_EVENT_PULSE);
	EXPECT_EQ(0x80084e8bu, (unsigned int)NTSYNC_IOC_SEM_READ);
	EXPECT_EQ(0x80084e8cu, (unsigned int)NTSYNC_IOC_MUTEX_READ);
	EXPECT_EQ(0x80084e8du, (unsigned int)NTSYNC_IOC_EVENT_READ);

	EXPECT_EQ(1u, (unsigned int)NTSYNC_WAIT_REALTIME);
	EXPECT_EQ(64u, (unsigned int)NTSYNC_MAX_WAIT_COUNT);

	EXPECT_EQ((size_t)8, sizeof(struct ntsync_sem_args));
	EXPECT_EQ((size_t)0, offsetof(struct ntsync_sem_args, count));
	EXPECT_EQ((size_t)4, offsetof(struct ntsync_sem_args, max));
	EXPECT_EQ((size_t)8, sizeof(struct ntsync_mutex_args));
	EXPECT_EQ((size_t)0, offsetof(struct ntsync_mutex_args, owner));
	EXPECT_EQ((size_t)4, offsetof(struct ntsync_mutex_args, count));
	EXPECT_EQ((size_t)8, sizeof(struct ntsync_event_args));
	EXPECT_EQ((size_t)0, offsetof(struct ntsync_event_args, manual));
	EXPECT_EQ((size_t)4, offsetof(struct ntsync_event_args, signaled));
	EXPECT_EQ((size_t)40, sizeof(struct ntsync_wait_args));
	EXPECT_EQ((size_t)0, offsetof(struct ntsync_wait_args, timeout));
	EXPECT_EQ((size_t)8, offsetof(struct ntsync_wait_args, objs));
	EXPECT_EQ((size_t)16, offsetof(struct ntsync_wait_args, count));
	EXPECT_EQ((size_t)20, offsetof(struct ntsync_wait_args, index));
	EXPECT_EQ((size_t)24, offsetof(struct ntsync_wait_args, flags));
	EXPECT_EQ((size_t)28, offsetof(struct ntsync_wait_args, owner));
	EXPECT_EQ((size_t)32, offsetof(struct ntsync_wait_args, alert));
	EXPECT_EQ((size_t)36, offsetof(struct ntsync_wait_args, pad));
}

TEST(device_node)
{
	struct stat st;
	int a, b;

	ASSERT_EQ(0, stat("/dev/ntsync", &st)) TH_LOG("/dev/ntsync: %s", strerror(errno));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666u, (unsigned int)(st.st_mode & 07777))
		TH_LOG("/dev/ntsync has mode %o", (unsigned int)(st.st_mode & 07777));

	/* Read-only and read-write opens both work; each is an instance. */
	a = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, a);
	b = nt_open(O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, b);
	close(a);
	close(b);
}

static int unprivileged_child(void)
{
	int dev, sem, mutex, event, objs[3];
	__u32 index;

	/* Once unprivileged, it could not switch injection off for a retry. */
	if (fault_target) {
		set_make_it_fail("0");
		fault_target = 0;
	}
	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 10;
	if (getuid() != 65534 || geteuid() != 65534 || getegid() != 65534)
		return 11;
	dev = nt_open(O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		return 12;
	sem = create_sem(dev, 1, 2);
	if (sem < 0)
		return 13;
	mutex = create_mutex(dev, 0, 0);
	if (mutex < 0)
		return 14;
	event = create_event(dev, 1, 0);
	if (event < 0)
		return 15;
	objs[0] = event;
	objs[1] = sem;
	objs[2] = mutex;
	if (wait_any(dev, objs, 3, 42, 0, 0, &index) || index != 1)
		return 16;
	/* the semaphore is now 0: a wait-all on it and the mutex times out */
	if (wait_all(dev, objs + 1, 2, 42, 0, 0, &index) != -1 || errno != ETIMEDOUT)
		return 17;
	if (wait_all(dev, objs + 2, 1, 42, 0, 0, &index) || index != 0)
		return 17;
	if (fcntl(sem, F_GETFD) != FD_CLOEXEC)
		return 17;
	if (sem_release(sem, 1, NULL) || mutex_unlock(mutex, 42, NULL) ||
	    event_op(event, NTSYNC_IOC_EVENT_SET, NULL))
		return 18;
	return 0;
}

TEST(unprivileged_user)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(unprivileged_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("uid 65534 child failed at step %d (10: setuid, 12: open, "
		       "13-15: create, 16-17: wait, 18: signal)",
		       WEXITSTATUS(status));
}

/* ========================================================================
 * Creation.
 */

NT_TEST(create_sem)
{
	struct ntsync_sem_args args = { .count = 2, .max = 3 };
	int fd, fd2, before;

	fd = nt_ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, &args);
	ASSERT_LE(0, fd) TH_LOG("CREATE_SEM: %s", strerror(errno));
	/* _IOW: nothing is written back. */
	EXPECT_EQ(2u, args.count);
	EXPECT_EQ(3u, args.max);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_SEM(fd, 2, 3);

	fd2 = NEW_SEM(self->dev, 2, 3);
	EXPECT_NE(fd, fd2);
	EXPECT_OK(sem_release(fd2, 1, NULL));
	CHECK_SEM(fd, 2, 3);
	CHECK_SEM(fd2, 3, 3);

	/* Boundaries that are valid. */
	close(NEW_SEM(self->dev, 0, 0));
	close(NEW_SEM(self->dev, 3, 3));
	fd2 = NEW_SEM(self->dev, UINT32_MAX, UINT32_MAX);
	CHECK_SEM(fd2, UINT32_MAX, UINT32_MAX);
	close(fd2);
	fd2 = NEW_SEM(self->dev, 0, UINT32_MAX);
	CHECK_SEM(fd2, 0, UINT32_MAX);
	close(fd2);

	/* count > max, and bad pointers: no descriptor is consumed. */
	before = lowest_free_fd();
	EXPECT_ERRNO(EINVAL, create_sem(self->dev, 4, 3));
	EXPECT_ERRNO(EINVAL, create_sem(self->dev, 1, 0));
	EXPECT_ERRNO(EINVAL, create_sem(self->dev, UINT32_MAX, UINT32_MAX - 1));
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, NULL));
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, bad_ptr()));
	EXPECT_EQ(before, lowest_free_fd());

	close(fd);
}

NT_TEST(create_mutex)
{
	struct ntsync_mutex_args args = { .owner = 123, .count = 1 };
	int fd, before;

	fd = nt_ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, &args);
	ASSERT_LE(0, fd) TH_LOG("CREATE_MUTEX: %s", strerror(errno));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(1u, args.count);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_MUTEX(fd, 123, 1);
	close(fd);

	fd = NEW_MUTEX(self->dev, 0, 0);
	CHECK_MUTEX(fd, 0, 0);
	close(fd);
	fd = NEW_MUTEX(self->dev, UINT32_MAX, UINT32_MAX);
	CHECK_MUTEX(fd, UINT32_MAX, UINT32_MAX);
	close(fd);

	before = lowest_free_fd();
	EXPECT_ERRNO(EINVAL, create_mutex(self->dev, 0, 1));
	EXPECT_ERRNO(EINVAL, create_mutex(self->dev, 0, UINT32_MAX));
	EXPECT_ERRNO(EINVAL, create_mutex(self->dev, 1, 0));
	EXPECT_ERRNO(EINVAL, create_mutex(self->dev, UINT32_MAX, 0));
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, NULL));
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, bad_ptr()));
	EXPECT_EQ(before, lowest_free_fd());
}

NT_TEST(create_event)
{
	struct ntsync_event_args args = { .manual = 1, .signaled = 0 };
	static const __u32 vals[][2] = {
		{ 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 },
		{ 2, 0 }, { 0, 0x80000000 }, { UINT32_MAX, 7 },
	};
	unsigned int i;
	int fd, before;

	fd = nt_ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, &args);
	ASSERT_LE(0, fd) TH_LOG("CREATE_EVENT: %s", strerror(errno));
	EXPECT_EQ(1u, args.manual);
	EXPECT_EQ(0u, args.signaled);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_EVENT(fd, 1, 0);
	close(fd);

	/* Any nonzero value means true. */
	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		fd = NEW_EVENT(self->dev, vals[i][0], vals[i][1]);
		CHECK_EVENT(fd, !!vals[i][0], !!vals[i][1]);
		close(fd);
	}

	before = lowest_free_fd();
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, NULL));
	EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, bad_ptr()));
	EXPECT_EQ(before, lowest_free_fd());
}

NT_TEST(objects_are_files)
{
	int sem, mutex, event, dup_sem;
	struct stat st;

	sem = NEW_SEM(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 0, 0);
	event = NEW_EVENT(self->dev, 0, 0);
	EXPECT_EQ(0, fstat(sem, &st));
	EXPECT_NE(sem, mutex);
	EXPECT_NE(mutex, event);

	/* A dup'd descriptor names the same object. */
	dup_sem = dup(sem);
	ASSERT_LE(0, dup_sem);
	EXPECT_OK(sem_release(dup_sem, 1, NULL));
	CHECK_SEM(sem, 1, 1);

	/* Objects are not terminals (TCGETS is an unknown ioctl). */
	EXPECT_EQ(0, isatty(sem));
	EXPECT_EQ(0, isatty(self->dev));
	close(dup_sem);
	close(sem);
	close(mutex);
	close(event);
}

/* ========================================================================
 * Object ioctls.
 */

NT_TEST(sem_release)
{
	const __u32 two = 2;
	__u32 prev;
	void *ro;
	int sem;

	sem = NEW_SEM(self->dev, 0, 5);
	EXPECT_OK(sem_release(sem, 2, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_SEM(sem, 2, 5);
	EXPECT_OK(sem_release(sem, 3, &prev));
	EXPECT_EQ(2u, prev);
	CHECK_SEM(sem, 5, 5);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, 1, NULL));
	CHECK_SEM(sem, 5, 5);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, UINT32_MAX, NULL));
	CHECK_SEM(sem, 5, 5);
	/* Adding zero is a valid no-op that still reports the count. */
	EXPECT_OK(sem_release(sem, 0, &prev));
	EXPECT_EQ(5u, prev);
	CHECK_SEM(sem, 5, 5);
	close(sem);

	sem = NEW_SEM(self->dev, 1, 5);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, 5, NULL));
	CHECK_SEM(sem, 1, 5);
	EXPECT_OK(sem_release(sem, 4, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_SEM(sem, 5, 5);
	close(sem);

	/* Wrapping 32 bits is an overflow too, even with max == UINT32_MAX. */
	sem = NEW_SEM(self->dev, 1, UINT32_MAX);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, UINT32_MAX, NULL));
	CHECK_SEM(sem, 1, UINT32_MAX);
	EXPECT_OK(sem_release(sem, 0x80000000u, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_SEM(sem, 0x80000001u, UINT32_MAX);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, 0x80000000u, NULL));
	CHECK_SEM(sem, 0x80000001u, UINT32_MAX);
	EXPECT_OK(sem_release(sem, 0x7ffffffeu, &prev));
	EXPECT_EQ(0x80000001u, prev);
	CHECK_SEM(sem, UINT32_MAX, UINT32_MAX);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, 1, NULL));
	CHECK_SEM(sem, UINT32_MAX, UINT32_MAX);
	close(sem);

	sem = NEW_SEM(self->dev, 0, 0);
	EXPECT_ERRNO(EOVERFLOW, sem_release(sem, 1, NULL));
	CHECK_SEM(sem, 0, 0);

	/* Bad pointers: EFAULT and no change. */
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, NULL));
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_READ, NULL));
	close(sem);
	sem = NEW_SEM(self->dev, 1, 5);
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, NULL));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, bad_ptr()));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_READ, bad_ptr()));
	CHECK_SEM(sem, 1, 5);
	/* readable count, but the previous count cannot be written back */
	ro = readonly_words(&two, 1);
	ASSERT_TRUE(ro != NULL);
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, ro));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, nt_ioctl(sem, NTSYNC_IOC_SEM_READ, ro));
	CHECK_SEM(sem, 1, 5);
	munmap(ro, 4096);
	close(sem);
}

NT_TEST(mutex_unlock)
{
	const __u32 owner_args[2] = { 123, 0 };
	struct ntsync_mutex_args args;
	__u32 prev;
	void *ro;
	int mutex;

	mutex = NEW_MUTEX(self->dev, 0, 0);
	EXPECT_ERRNO(EINVAL, mutex_unlock(mutex, 0, NULL));
	EXPECT_ERRNO(EPERM, mutex_unlock(mutex, 1, NULL));
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);

	mutex = NEW_MUTEX(self->dev, 123, 2);
	EXPECT_ERRNO(EINVAL, mutex_unlock(mutex, 0, NULL));
	CHECK_MUTEX(mutex, 123, 2);
	EXPECT_ERRNO(EPERM, mutex_unlock(mutex, 456, NULL));
	CHECK_MUTEX(mutex, 123, 2);

	args.owner = 123;
	args.count = 0xdeadbeef;
	EXPECT_OK(nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(2u, args.count);
	CHECK_MUTEX(mutex, 123, 1);

	/* Bad pointers: EFAULT, no change. */
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, NULL));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, bad_ptr()));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, NULL));
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, bad_ptr()));
	CHECK_MUTEX(mutex, 123, 1);
	/* readable owner, but the previous count cannot be written back */
	ro = readonly_words(owner_args, 2);
	ASSERT_TRUE(ro != NULL);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, ro));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, ro));
	CHECK_MUTEX(mutex, 123, 1);
	/* MUTEX_KILL only reads its argument */
	EXPECT_OK(nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, ro));
	CHECK_MUTEX_ABANDONED(mutex);
	munmap(ro, 4096);
	close(mutex);
	mutex = NEW_MUTEX(self->dev, 123, 1);

	EXPECT_OK(mutex_unlock(mutex, 123, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_MUTEX(mutex, 0, 0);
	EXPECT_ERRNO(EPERM, mutex_unlock(mutex, 123, NULL));
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);
}

NT_TEST(mutex_kill)
{
	__u32 prev, index;
	int mutex;

	mutex = NEW_MUTEX(self->dev, 0, 0);
	EXPECT_ERRNO(EINVAL, mutex_kill(mutex, 0));
	EXPECT_ERRNO(EPERM, mutex_kill(mutex, 1));
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);

	mutex = NEW_MUTEX(self->dev, 123, 3);
	EXPECT_ERRNO(EINVAL, mutex_kill(mutex, 0));
	CHECK_MUTEX(mutex, 123, 3);
	EXPECT_ERRNO(EPERM, mutex_kill(mutex, 456));
	CHECK_MUTEX(mutex, 123, 3);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, NULL));
	CHECK_MUTEX(mutex, 123, 3);
	EXPECT_ERRNO(EFAULT, nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, bad_ptr()));
	CHECK_MUTEX(mutex, 123, 3);

	/* Killing a recursively held mutex abandons it at once. */
	EXPECT_OK(mutex_kill(mutex, 123));
	CHECK_MUTEX_ABANDONED(mutex);
	/* An abandoned mutex is unowned: nobody can unlock or kill it. */
	EXPECT_ERRNO(EPERM, mutex_kill(mutex, 123));
	EXPECT_ERRNO(EPERM, mutex_unlock(mutex, 123, NULL));
	EXPECT_ERRNO(EINVAL, mutex_unlock(mutex, 0, NULL));
	EXPECT_ERRNO(EINVAL, mutex_kill(mutex, 0));
	/* Still abandoned after all those failures. */
	CHECK_MUTEX_ABANDONED(mutex);
	CHECK_MUTEX_ABANDONED(mutex);

	/* Acquiring clears the flag (detailed in the wait tests). */
	EXPECT_ERRNO(EOWNERDEAD, wait_any(self->dev, &mutex, 1, 5, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 5, 1);
	EXPECT_OK(mutex_unlock(mutex, 5, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);
}

NT_TEST(event_ops)
{
	const __u32 zero = 0;
	unsigned int manual;
	__u32 prev;
	void *ro;
	int event;

	ro = readonly_words(&zero, 1);
	ASSERT_TRUE(ro != NULL);

	for (manual = 0; manual <= 1; manual++) {
		event = NEW_EVENT(self->dev, manual, 0);

		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
		EXPECT_EQ(0u, prev);
		CHECK_EVENT(event, manual, 1);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
		EXPECT_EQ(1u, prev);
		CHECK_EVENT(event, manual, 1);

		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_RESET, &prev));
		EXPECT_EQ(1u, prev);
		CHECK_EVENT(event, manual, 0);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_RESET, &prev));
		EXPECT_EQ(0u, prev);
		CHECK_EVENT(event, manual, 0);

		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
		EXPECT_EQ(0u, prev);
		CHECK_EVENT(event, manual, 0);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
		EXPECT_EQ(1u, prev);
		CHECK_EVENT(event, manual, 0);

		/* Bad pointers: EFAULT and the event is unchanged. */
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_SET, NULL));
		CHECK_EVENT(event, manual, 0);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_SET, bad_ptr()));
		CHECK_EVENT(event, manual, 0);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_RESET, NULL));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_RESET, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_PULSE, NULL));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_PULSE, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_READ, NULL));
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_READ, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		/* a read-only buffer cannot take the previous state */
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_RESET, ro));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_PULSE, ro));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_READ, ro));
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_RESET, NULL));
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_SET, ro));
		CHECK_EVENT(event, manual, 0);
		EXPECT_ERRNO(EFAULT, nt_ioctl(event, NTSYNC_IOC_EVENT_PULSE, ro));
		CHECK_EVENT(event, manual, 0);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));

		close(event);
	}
	munmap(ro, 4096);
}

/* Every object ioctl sent to the wrong type of object: EINVAL, no change. */
NT_TEST(wrong_object_type)
{
	struct ntsync_mutex_args margs;
	struct ntsync_event_args eargs;
	struct ntsync_sem_args sargs;
	int sem, mutex, event;
	__u32 val;

	sem = NEW_SEM(self->dev, 1, 2);
	mutex = NEW_MUTEX(self->dev, 1, 1);
	event = NEW_EVENT(self->dev, 1, 0);

	/* To the semaphore. */
	margs.owner = 1;
	margs.count = 0;
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_MUTEX_UNLOCK, &margs));
	val = 1;
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_MUTEX_KILL, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_MUTEX_READ, &margs));
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_EVENT_SET, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_EVENT_RESET, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_EVENT_PULSE, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(sem, NTSYNC_IOC_EVENT_READ, &eargs));
	CHECK_SEM(sem, 1, 2);

	/* To the mutex. */
	val = 1;
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_SEM_RELEASE, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_SEM_READ, &sargs));
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_EVENT_SET, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_EVENT_RESET, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_EVENT_PULSE, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(mutex, NTSYNC_IOC_EVENT_READ, &eargs));
	CHECK_MUTEX(mutex, 1, 1);

	/* To the event. */
	val = 1;
	EXPECT_ERRNO(EINVAL, nt_ioctl(event, NTSYNC_IOC_SEM_RELEASE, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(event, NTSYNC_IOC_SEM_READ, &sargs));
	margs.owner = 1;
	EXPECT_ERRNO(EINVAL, nt_ioctl(event, NTSYNC_IOC_MUTEX_UNLOCK, &margs));
	val = 1;
	EXPECT_ERRNO(EINVAL, nt_ioctl(event, NTSYNC_IOC_MUTEX_KILL, &val));
	EXPECT_ERRNO(EINVAL, nt_ioctl(event, NTSYNC_IOC_MUTEX_READ, &margs));
	CHECK_EVENT(event, 1, 0);

	close(sem);
	close(mutex);
	close(event);
}

NT_TEST(unknown_ioctls)
{
	static const unsigned long object_ioctls[] = {
		NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_MUTEX_UNLOCK, NTSYNC_IOC_MUTEX_KILL,
		NTSYNC_IOC_EVENT_SET, NTSYNC_IOC_EVENT_RESET, NTSYNC_IOC_EVENT_PULSE,
		NTSYNC_IOC_SEM_READ, NTSYNC_IOC_MUTEX_READ, NTSYNC_IOC_EVENT_READ,
	};
	static const unsigned long device_ioctls[] = {
		NTSYNC_IOC_CREATE_SEM, NTSYNC_IOC_CREATE_MUTEX, NTSYNC_IOC_CREATE_EVENT,
		NTSYNC_IOC_WAIT_ANY, NTSYNC_IOC_WAIT_ALL,
	};
	/* Numbers nobody defines, and the April 2024 draft's layouts. */
	static const unsigned long unknown[] = {
		0, _IO('N', 0x7f), _IO('N', 0x80), _IO('N', 0xff),
		_IOWR('N', 0x9f, __u32), _IOR('X', 0x8b, struct ntsync_sem_args),
		_IOWR('N', 0x80, __u32[3]),	/* draft CREATE_SEM */
		_IOWR('N', 0x84, __u32[3]),	/* draft CREATE_MUTEX */
		_IOWR('N', 0x87, __u32[3]),	/* draft CREATE_EVENT */
		_IOW('N', 0x82, __u32[10]),	/* WAIT_ANY with wrong size */
		_IOWR('N', 0x82, __u32[12]),
		_IOWR('N', 0x81, __u64),	/* SEM_RELEASE with wrong size */
		_IOR('N', 0x8b, __u32[3]),	/* draft READ_SEM */
		_IOR('N', 0x8c, __u32[3]),	/* draft READ_MUTEX */
		_IOR('N', 0x8d, __u32[3]),	/* draft READ_EVENT */
		TCGETS,
	};
	char buf[64] = { 0 };
	int sem, mutex, event, before, objs[3];
	unsigned int i, j;

	sem = NEW_SEM(self->dev, 1, 2);
	mutex = NEW_MUTEX(self->dev, 1, 1);
	event = NEW_EVENT(self->dev, 1, 1);
	objs[0] = sem;
	objs[1] = mutex;
	objs[2] = event;

	before = lowest_free_fd();
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		EXPECT_ERRNO(ENOTTY, nt_ioctl(self->dev, unknown[i], buf))
			TH_LOG("device, cmd %#lx", unknown[i]);
		for (j = 0; j < 3; j++)
			EXPECT_ERRNO(ENOTTY, nt_ioctl(objs[j], unknown[i], buf))
				TH_LOG("object %u, cmd %#lx", j, unknown[i]);
	}
	/* Object ioctls mean nothing to the device ... */
	for (i = 0; i < ARRAY_SIZE(object_ioctls); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = 1;
		EXPECT_ERRNO(ENOTTY, nt_ioctl(self->dev, object_ioctls[i], buf))
			TH_LOG("device, cmd %#lx", object_ioctls[i]);
	}
	/* ... and device ioctls mean nothing to an object. */
	for (i = 0; i < ARRAY_SIZE(device_ioctls); i++) {
		struct ntsync_wait_args wargs = {
			.objs = (uintptr_t)objs, .count = 1, .owner = 1,
		};

		for (j = 0; j < 3; j++) {
			memset(buf, 0, sizeof(buf));
			EXPECT_ERRNO(ENOTTY, nt_ioctl(objs[j], device_ioctls[i],
						   i >= 3 ? (void *)&wargs : (void *)buf))
				TH_LOG("object %u, cmd %#lx", j, device_ioctls[i]);
		}
	}
	EXPECT_EQ(before, lowest_free_fd());
	CHECK_SEM(sem, 1, 2);
	CHECK_MUTEX(mutex, 1, 1);
	CHECK_EVENT(event, 1, 1);
	close(sem);
	close(mutex);
	close(event);
}

/* ========================================================================
 * Wait argument validation.  Every failing wait must leave a signaled
 * semaphore (objs[0]) and a signaled auto-reset alert untouched.
 */

static const unsigned long wait_reqs[2] = { NTSYNC_IOC_WAIT_ANY, NTSYNC_IOC_WAIT_ALL };
static const char *const wait_names[2] = { "WAIT_ANY", "WAIT_ALL" };

NT_TEST(wait_invalid_args)
{
	struct ntsync_wait_args args;
	int sem, alert, objs[2], r;
	unsigned int w;
	__u32 flags;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);
	objs[0] = sem;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];

		/* owner 0, even with no mutex involved */
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 0, 0, 0, 0, NULL))
			TH_LOG("%s owner 0", wait_names[w]);
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 0, alert, 0, 0, NULL))
			TH_LOG("%s owner 0 with alert", wait_names[w]);
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 0, alert, 0, 0, NULL))
			TH_LOG("%s owner 0, count 0", wait_names[w]);

		/* unknown flags */
		for (flags = 2; flags; flags <<= 1) {
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, 0, 0,
						     flags, NULL))
				TH_LOG("%s flags %#x", wait_names[w], flags);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, 0, 0,
						     flags | NTSYNC_WAIT_REALTIME, NULL))
				TH_LOG("%s flags %#x", wait_names[w], flags | 1);
		}

		/* pad != 0 */
		memset(&args, 0, sizeof(args));
		args.objs = (uintptr_t)objs;
		args.count = 1;
		args.owner = 1;
		args.pad = 1;
		EXPECT_ERRNO(EINVAL, nt_ioctl(self->dev, req, &args))
			TH_LOG("%s pad 1", wait_names[w]);
		args.pad = 0x80000000;
		EXPECT_ERRNO(EINVAL, nt_ioctl(self->dev, req, &args)) TH_LOG("%s pad", wait_names[w]);
		args.alert = alert;
		EXPECT_ERRNO(EINVAL, nt_ioctl(self->dev, req, &args))
			TH_LOG("%s pad+alert", wait_names[w]);

		/* count too large; the array is valid and readable for 2 */
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 65, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1000, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0x80000000u, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, UINT32_MAX, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, UINT32_MAX, 1, alert,
					     0, 0, NULL));

		/* the args pointer itself */
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, req, NULL));
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, req, bad_ptr()));

		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
	}

	/* The failing calls consumed nothing: a valid wait still succeeds. */
	r = wait_any(self->dev, objs, 1, 1, 0, 0, NULL);
	EXPECT_EQ(0, r);
	CHECK_SEM(sem, 0, 1);
	close(sem);
	close(alert);
}

NT_TEST(wait_bad_objects)
{
	int sem, alert, other_dev, other_sem, other_event, pipefd[2], null_fd;
	int mutex, event2, objs[2], bad[10];
	unsigned int w, i, nbad = 0;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 0, 0);
	event2 = NEW_EVENT(self->dev, 1, 0);
	other_dev = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, other_dev);
	other_sem = NEW_SEM(other_dev, 1, 1);
	other_event = NEW_EVENT(other_dev, 1, 1);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null_fd);

	bad[nbad++] = pipefd[0];
	bad[nbad++] = pipefd[1];
	bad[nbad++] = null_fd;
	bad[nbad++] = self->dev;
	bad[nbad++] = other_dev;
	bad[nbad++] = other_sem;
	bad[nbad++] = other_event;
	bad[nbad++] = closed_fd();
	bad[nbad++] = -1;
	bad[nbad++] = 0x7fffffff;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];

		for (i = 0; i < nbad; i++) {
			/* a bad object after a signaled one, and alone */
			objs[0] = sem;
			objs[1] = bad[i];
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u (fd %d)", wait_names[w], i, bad[i]);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, alert, 0, 0, NULL))
				TH_LOG("%s bad object #%u with alert", wait_names[w], i);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs + 1, 1, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u alone", wait_names[w], i);
			objs[0] = bad[i];
			objs[1] = sem;
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u first", wait_names[w], i);

			/* as the alert (fd 0 would mean "no alert", -1 is not 0) */
			objs[0] = sem;
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, bad[i],
						     0, 0, NULL))
				TH_LOG("%s bad alert #%u (fd %d)", wait_names[w], i, bad[i]);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 1, bad[i],
						     0, 0, NULL))
				TH_LOG("%s bad alert #%u, count 0", wait_names[w], i);
		}
		/* An alert that is an object of this instance but not an event. */
		objs[0] = sem;
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, sem, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, mutex, 0, 0, NULL));
		objs[0] = event2;
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, sem, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 1, mutex, 0, 0, NULL));

		/* The other instance rejects our objects the same way. */
		objs[0] = sem;
		EXPECT_ERRNO(EINVAL, do_wait(other_dev, req, objs, 1, 1, 0, 0, 0, NULL));
		objs[0] = other_sem;
		EXPECT_ERRNO(EINVAL, do_wait(other_dev, req, objs, 1, 1, alert, 0, 0, NULL));

		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
		CHECK_SEM(other_sem, 1, 1);
		CHECK_EVENT(other_event, 1, 1);
		CHECK_MUTEX(mutex, 0, 0);
	}

	/* Sanity: the same calls with good objects work. */
	objs[0] = other_sem;
	EXPECT_OK(wait_any(other_dev, objs, 1, 1, other_event, 0, NULL));
	CHECK_SEM(other_sem, 0, 1);

	close(sem);
	close(alert);
	close(mutex);
	close(event2);
	close(other_sem);
	close(other_event);
	close(other_dev);
	close(pipefd[0]);
	close(pipefd[1]);
	close(null_fd);
}

NT_TEST(wait_bad_pointers)
{
	int sem, alert, *straddle;
	unsigned int w;
	char *pages;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);

	/* An array whose first element is readable and the second is not. */
	pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(pages != MAP_FAILED);
	ASSERT_EQ(0, mprotect(pages + 4096, 4096, PROT_NONE));
	straddle = (int *)(pages + 4096) - 1;
	straddle[0] = sem;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];
		struct ntsync_wait_args args = { .count = 1, .owner = 1 };

		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, NULL, 1, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, NULL, 1, 1, alert, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, bad_ptr(), 1, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, bad_ptr(), 64, 1, alert, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, straddle, 2, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, straddle, 2, 1, alert, 0, 0, NULL));
		/* an address no user pointer can have, also in a 32-bit process */
		args.objs = 0xffffffff80000000ULL;
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, req, &args));
		args.objs = 0x8000000000000000ULL;
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, req, &args));
		args.objs = 1;
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, req, &args));
		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
	}

	/* Arguments that can be read but not written back: nothing taken. */
	for (w = 0; w < 2; w++) {
		struct ntsync_wait_args args = {
			.timeout = UINT64_MAX,
			.objs = (uintptr_t)straddle,
			.count = 1,
			.owner = 1,
			.alert = alert,
		};
		void *ro = readonly_words((const __u32 *)&args, sizeof(args) / 4);

		ASSERT_TRUE(ro != NULL);
		EXPECT_ERRNO(EFAULT, nt_ioctl(self->dev, wait_reqs[w], ro));
		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
		munmap(ro, 4096);
	}

	/* The readable half alone is fine. */
	EXPECT_OK(wait_all(self->dev, straddle, 1, 1, 0, 0, NULL));
	CHECK_SEM(sem, 0, 1);
	munmap(pages, 8192);
	close(sem);
	close(alert);
}

/* ========================================================================
 * Waits without threads.
 */

NT_TEST(wait_any_basic)
{
	struct ntsync_wait_args args;
	int sem, mutex, objs[2];
	__u32 index;

	sem = NEW_SEM(self->dev, 2, 2);
	objs[0] = sem;

	memset(&args, 0, sizeof(args));
	args.timeout = 0;
	args.objs = (uintptr_t)objs;
	args.count = 1;
	args.owner = 123;
	args.index = 0xdeadbeef;
	EXPECT_OK(nt_ioctl(self->dev, NTSYNC_IOC_WAIT_ANY, &args));
	/* index written; every other member left as it was */
	EXPECT_EQ(0u, args.index);
	EXPECT_EQ(0ull, (unsigned long long)args.timeout);
	EXPECT_EQ((uintptr_t)objs, (uintptr_t)args.objs);
	EXPECT_EQ(1u, args.count);
	EXPECT_EQ(0u, args.flags);
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(0u, args.alert);
	EXPECT_EQ(0u, args.pad);
	CHECK_SEM(sem, 1, 2);

	EXPECT_OK(wait_any(self->dev, objs, 1, 123, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_SEM(sem, 0, 2);

	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, objs, 1, 123, 0, 0, NULL));
	CHECK_SEM(sem, 0, 2);

	EXPECT_OK(sem_release(sem, 1, NULL));
	mutex = NEW_MUTEX(self->dev, 0, 0);
	objs[0] = mutex;
	objs[1] = sem;

	/* An unowned mutex is acquired, then recursively by the same owner. */
	EXPECT_OK(wait_any(self->dev, objs, 2, 123, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 123, 1);
	CHECK_SEM(sem, 1, 2);
	EXPECT_OK(wait_any(self->dev, objs, 2, 123, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 123, 2);
	CHECK_SEM(sem, 1, 2);

	/* Another owner skips it and takes the semaphore, then times out. */
	EXPECT_OK(wait_any(self->dev, objs, 2, 456, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_MUTEX(mutex, 123, 2);
	CHECK_SEM(sem, 0, 2);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, objs, 2, 456, 0, 0, &index));
	CHECK_MUTEX(mutex, 123, 2);

	EXPECT_OK(mutex_unlock(mutex, 123, NULL));
	EXPECT_OK(mutex_unlock(mutex, 123, NULL));
	EXPECT_OK(wait_any(self->dev, objs, 2, 456, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 456, 1);

	close(sem);
	close(mutex);
}

NT_TEST(wait_any_events)
{
	int autoev, manual, objs[2];
	__u32 index;

	autoev = NEW_EVENT(self->dev, 0, 1);
	manual = NEW_EVENT(self->dev, 1, 1);

	/* A satisfied wait resets an auto-reset event ... */
	EXPECT_OK(wait_any(self->dev, &autoev, 1, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_EVENT(autoev, 0, 0);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &autoev, 1, 1, 0, 0, &index));
	CHECK_EVENT(autoev, 0, 0);

	/* ... but not a manual-reset one. */
	EXPECT_OK(wait_any(self->dev, &manual, 1, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_EVENT(manual, 1, 1);
	EXPECT_OK(wait_any(self->dev, &manual, 1, 1, 0, 0, &index));
	CHECK_EVENT(manual, 1, 1);

	EXPECT_OK(event_op(manual, NTSYNC_IOC_EVENT_RESET, NULL));
	objs[0] = manual;
	objs[1] = autoev;
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, objs, 2, 1, 0, 0, &index));
	EXPECT_OK(event_op(autoev, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(wait_any(self->dev, objs, 2, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_EVENT(autoev, 0, 0);
	CHECK_EVENT(manual, 1, 0);

	close(autoev);
	close(manual);
}

NT_TEST(wait_any_index_rules)
{
	int s0, s1, s2, man, autoev, mutex, objs[5], dup_s1;
	int many[NTSYNC_MAX_WAIT_COUNT];
	unsigned int i;
	__u32 index;

	s0 = NEW_SEM(self->dev, 0, 3);
	s1 = NEW_SEM(self->dev, 2, 3);
	s2 = NEW_SEM(self->dev, 1, 3);
	man = NEW_EVENT(self->dev, 1, 1);

	/* The lowest index among the signaled objects, only one acquired. */
	objs[0] = s0;
	objs[1] = man;
	objs[2] = s1;
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_EVENT(man, 1, 1);
	CHECK_SEM(s1, 2, 3);

	objs[0] = s0;
	objs[1] = s2;
	objs[2] = s1;
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_SEM(s2, 0, 3);
	CHECK_SEM(s1, 2, 3);
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(2u, index);
	CHECK_SEM(s1, 1, 3);
	CHECK_SEM(s0, 0, 3);

	/* Duplicates: the lowest position; acquired once. */
	objs[0] = s0;
	objs[1] = s1;
	objs[2] = s1;
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_SEM(s1, 0, 3);
	EXPECT_OK(sem_release(s1, 1, NULL));
	objs[0] = s1;
	objs[1] = s0;
	objs[2] = s1;
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_SEM(s1, 0, 3);

	/* A dup'd descriptor is the same object. */
	EXPECT_OK(sem_release(s1, 1, NULL));
	dup_s1 = dup(s1);
	ASSERT_LE(0, dup_s1);
	objs[0] = s0;
	objs[1] = dup_s1;
	objs[2] = s1;
	EXPECT_OK(wait_any(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_SEM(s1, 0, 3);

	/* A mutex listed twice is acquired once. */
	mutex = NEW_MUTEX(self->dev, 0, 0);
	objs[0] = s0;
	objs[1] = mutex;
	objs[2] = mutex;
	EXPECT_OK(wait_any(self->dev, objs, 3, 7, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_MUTEX(mutex, 7, 1);

	/* An event both in objs and as alert: index is its lowest position. */
	autoev = NEW_EVENT(self->dev, 0, 1);
	objs[0] = s0;
	objs[1] = autoev;
	EXPECT_OK(wait_any(self->dev, objs, 2, 1, autoev, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_EVENT(autoev, 0, 0);
	objs[0] = man;
	objs[1] = man;
	EXPECT_OK(wait_any(self->dev, objs, 2, 1, man, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_EVENT(man, 1, 1);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, objs + 1, 0, 1, autoev, 0, &index));
	objs[0] = autoev;
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, objs, 1, 1, autoev, 0, &index));

	/* 64 objects, only the last signaled. */
	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT - 1; i++)
		many[i] = s0;
	many[NTSYNC_MAX_WAIT_COUNT - 1] = s2;
	EXPECT_OK(sem_release(s2, 1, NULL));
	EXPECT_OK(wait_any(self->dev, many, NTSYNC_MAX_WAIT_COUNT, 1, 0, 0, &index));
	EXPECT_EQ(63u, index);
	CHECK_SEM(s2, 0, 3);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, many, NTSYNC_MAX_WAIT_COUNT,
					 1, 0, 0, &index));

	close(s0);
	close(s1);
	close(dup_s1);
	close(s2);
	close(man);
	close(autoev);
	close(mutex);
}

NT_TEST(wait_alert)
{
	int sem, mutex, alert, malert, objs[2];
	unsigned int w;
	__u32 index;

	sem = NEW_SEM(self->dev, 0, 2);
	mutex = NEW_MUTEX(self->dev, 9, 1);
	alert = NEW_EVENT(self->dev, 0, 0);
	malert = NEW_EVENT(self->dev, 1, 0);
	objs[0] = sem;
	objs[1] = mutex;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];

		/* nothing signaled: times out, alert untouched */
		EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, req, objs, 2, 1, alert, 0, 0, &index));
		CHECK_EVENT(alert, 0, 0);

		/* only the alert: index == count, an auto-reset alert is consumed */
		EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_OK(do_wait(self->dev, req, objs, 2, 1, alert, 0, 0, &index))
			TH_LOG("%s", wait_names[w]);
		EXPECT_EQ(2u, index);
		CHECK_EVENT(alert, 0, 0);
		CHECK_SEM(sem, 0, 2);
		CHECK_MUTEX(mutex, 9, 1);

		/* a manual-reset alert stays signaled */
		EXPECT_OK(event_op(malert, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_OK(do_wait(self->dev, req, objs, 2, 1, malert, 0, 0, &index));
		EXPECT_EQ(2u, index);
		CHECK_EVENT(malert, 1, 1);
		EXPECT_OK(do_wait(self->dev, req, objs, 1, 1, malert, 0, 0, &index));
		EXPECT_EQ(1u, index);
		EXPECT_OK(event_op(malert, NTSYNC_IOC_EVENT_RESET, NULL));

		/* objects and alert both satisfiable: the objects win */
		EXPECT_OK(sem_release(sem, 1, NULL));
		EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_OK(do_wait(self->dev, req, objs, 2, 9, alert, 0, 0, &index))
			TH_LOG("%s", wait_names[w]);
		EXPECT_EQ(0u, index);
		CHECK_SEM(sem, 0, 2);
		if (w == 1) {
			CHECK_MUTEX(mutex, 9, 2);
			EXPECT_OK(mutex_unlock(mutex, 9, NULL));
		}
		CHECK_MUTEX(mutex, 9, 1);
		CHECK_EVENT(alert, 0, 1);
		EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_RESET, NULL));

		/* with some objects signaled, a wait-all takes the alert,
		 * acquiring nothing
		 */
		if (w == 1) {
			EXPECT_OK(sem_release(sem, 1, NULL));
			EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
			EXPECT_OK(wait_all(self->dev, objs, 2, 1, alert, 0, &index));
			EXPECT_EQ(2u, index);
			CHECK_SEM(sem, 1, 2);
			CHECK_MUTEX(mutex, 9, 1);
			CHECK_EVENT(alert, 0, 0);
			EXPECT_OK(wait_any(self->dev, objs, 1, 1, 0, 0, NULL));
		}
	}

	/* An object of this instance is required as the alert even for
	 * count 0; an object that is also the alert is invalid for WAIT_ALL.
	 */
	objs[0] = alert;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 1, 1, alert, 0, &index));
	objs[0] = sem;
	objs[1] = malert;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 2, 1, malert, 0, &index));

	close(sem);
	close(mutex);
	close(alert);
	close(malert);
}

NT_TEST(wait_count_zero)
{
	int alert, manual;
	__u32 index;
	__u64 start;

	alert = NEW_EVENT(self->dev, 0, 0);
	manual = NEW_EVENT(self->dev, 1, 1);

	/* WAIT_ANY with nothing: times out (try once, and a short wait). */
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &alert, 0, 1, 0, 0, &index));
	start = now_ns(CLOCK_MONOTONIC);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &alert, 0, 1, 0,
					 start + 20 * NSEC_PER_MSEC, &index));
	EXPECT_LE(start + 20 * NSEC_PER_MSEC, now_ns(CLOCK_MONOTONIC));
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &alert, 0, 1, alert, 0, &index));
	CHECK_EVENT(alert, 0, 0);

	/* WAIT_ANY count 0 + signaled alert: index 0 == count. */
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(wait_any(self->dev, &manual, 0, 1, alert, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_EVENT(alert, 0, 0);

	/* WAIT_ALL with the empty set: satisfied at once, index 0. */
	EXPECT_OK(wait_all(self->dev, &manual, 0, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	EXPECT_OK(wait_all(self->dev, &manual, 0, 1, 0, FOREVER, &index));
	EXPECT_EQ(0u, index);
	/* ... and the empty set beats a signaled alert, which stays signaled */
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(wait_all(self->dev, &manual, 0, 1, alert, FOREVER, &index));
	EXPECT_EQ(0u, index);
	CHECK_EVENT(alert, 0, 1);

	/* With no fds to read, objs is not looked at: not even a kernel address fails. */
	for (int w = 0; w < 2; w++) {
		struct ntsync_wait_args args = {
			.objs = 0xffffffff80000000ULL, .owner = 1, .alert = alert,
			.index = 0xdeadbeef,
		};

		EXPECT_OK(nt_ioctl(self->dev, wait_reqs[w], &args)) TH_LOG("%s", wait_names[w]);
		EXPECT_EQ(0u, args.index);
	}
	/* WAIT_ANY took the alert; WAIT_ALL, satisfied by the empty set, did not. */
	CHECK_EVENT(alert, 0, 0);

	close(alert);
	close(manual);
}

NT_TEST(wait_all_basic)
{
	int sem, mutex, autoev, manual, objs[4];
	struct ntsync_wait_args args;
	__u32 index;

	sem = NEW_SEM(self->dev, 2, 3);
	mutex = NEW_MUTEX(self->dev, 0, 0);
	autoev = NEW_EVENT(self->dev, 0, 1);
	manual = NEW_EVENT(self->dev, 1, 1);
	objs[0] = sem;
	objs[1] = mutex;
	objs[2] = autoev;
	objs[3] = manual;

	memset(&args, 0, sizeof(args));
	args.objs = (uintptr_t)objs;
	args.count = 4;
	args.owner = 9;
	args.index = 0xdeadbeef;
	EXPECT_OK(nt_ioctl(self->dev, NTSYNC_IOC_WAIT_ALL, &args));
	EXPECT_EQ(0u, args.index);
	EXPECT_EQ(0ull, (unsigned long long)args.timeout);
	EXPECT_EQ((uintptr_t)objs, (uintptr_t)args.objs);
	EXPECT_EQ(4u, args.count);
	EXPECT_EQ(0u, args.flags);
	EXPECT_EQ(9u, args.owner);
	EXPECT_EQ(0u, args.alert);
	EXPECT_EQ(0u, args.pad);
	CHECK_SEM(sem, 1, 3);
	CHECK_MUTEX(mutex, 9, 1);
	CHECK_EVENT(autoev, 0, 0);
	CHECK_EVENT(manual, 1, 1);

	/* One object unsignaled: nothing at all is acquired. */
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, objs, 4, 9, 0, 0, &index));
	CHECK_SEM(sem, 1, 3);
	CHECK_MUTEX(mutex, 9, 1);
	CHECK_EVENT(autoev, 0, 0);
	CHECK_EVENT(manual, 1, 1);

	/* The owner recurses on its mutex. */
	EXPECT_OK(event_op(autoev, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(wait_all(self->dev, objs, 4, 9, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_SEM(sem, 0, 3);
	CHECK_MUTEX(mutex, 9, 2);
	CHECK_EVENT(autoev, 0, 0);

	/* Owned by someone else: no change, even though the rest is signaled. */
	EXPECT_OK(sem_release(sem, 1, NULL));
	EXPECT_OK(event_op(autoev, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, objs, 4, 10, 0, 0, &index));
	CHECK_SEM(sem, 1, 3);
	CHECK_MUTEX(mutex, 9, 2);
	CHECK_EVENT(autoev, 0, 1);
	CHECK_EVENT(manual, 1, 1);

	/* Semaphore empty, the rest fine: no change. */
	objs[0] = sem;
	EXPECT_OK(wait_any(self->dev, objs, 1, 10, 0, 0, &index));
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, objs, 4, 9, 0, 0, &index));
	CHECK_SEM(sem, 0, 3);
	CHECK_MUTEX(mutex, 9, 2);
	CHECK_EVENT(autoev, 0, 1);

	/* Manual event unsignaled: no change. */
	EXPECT_OK(sem_release(sem, 1, NULL));
	EXPECT_OK(event_op(manual, NTSYNC_IOC_EVENT_RESET, NULL));
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, objs, 4, 9, 0, 0, &index));
	CHECK_SEM(sem, 1, 3);
	CHECK_MUTEX(mutex, 9, 2);
	CHECK_EVENT(autoev, 0, 1);
	CHECK_EVENT(manual, 1, 0);

	EXPECT_OK(mutex_unlock(mutex, 9, NULL));
	EXPECT_OK(mutex_unlock(mutex, 9, NULL));
	EXPECT_OK(event_op(manual, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(wait_all(self->dev, objs, 4, 10, 0, 0, &index));
	CHECK_MUTEX(mutex, 10, 1);
	CHECK_SEM(sem, 0, 3);
	CHECK_EVENT(autoev, 0, 0);

	/* 64 distinct objects. */
	{
		int many[NTSYNC_MAX_WAIT_COUNT + 1];
		unsigned int i;

		for (i = 0; i < NTSYNC_MAX_WAIT_COUNT + 1; i++)
			many[i] = NEW_SEM(self->dev, 1, 1);
		EXPECT_ERRNO(EINVAL, wait_all(self->dev, many, NTSYNC_MAX_WAIT_COUNT + 1,
					      1, 0, 0, &index));
		EXPECT_ERRNO(EINVAL, wait_any(self->dev, many, NTSYNC_MAX_WAIT_COUNT + 1,
					      1, 0, 0, &index));
		for (i = 0; i < NTSYNC_MAX_WAIT_COUNT + 1; i++)
			CHECK_SEM(many[i], 1, 1);
		EXPECT_OK(wait_all(self->dev, many + 1, NTSYNC_MAX_WAIT_COUNT, 1, 0, 0, &index));
		EXPECT_EQ(0u, index);
		CHECK_SEM(many[0], 1, 1);
		for (i = 1; i < NTSYNC_MAX_WAIT_COUNT + 1; i++)
			CHECK_SEM(many[i], 0, 1);
		for (i = 0; i < NTSYNC_MAX_WAIT_COUNT + 1; i++)
			close(many[i]);
	}

	close(sem);
	close(mutex);
	close(autoev);
	close(manual);
}

NT_TEST(wait_all_duplicates)
{
	int sem, event, dup_sem, objs[3];
	__u32 index;

	sem = NEW_SEM(self->dev, 2, 2);
	event = NEW_EVENT(self->dev, 1, 1);
	dup_sem = dup(sem);
	ASSERT_LE(0, dup_sem);

	objs[0] = sem;
	objs[1] = sem;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 2, 1, 0, 0, &index));
	objs[0] = sem;
	objs[1] = event;
	objs[2] = sem;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 3, 1, 0, 0, &index));
	/* the same object through another descriptor */
	objs[0] = event;
	objs[1] = sem;
	objs[2] = dup_sem;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 3, 1, 0, 0, &index));
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 3, 1, 0, FOREVER, &index));
	/* an object that is also the alert */
	objs[0] = sem;
	objs[1] = event;
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 2, 1, event, 0, &index));
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, objs, 2, 1, event, FOREVER, &index));
	CHECK_SEM(sem, 2, 2);
	CHECK_EVENT(event, 1, 1);

	/* without the duplicate it works */
	EXPECT_OK(wait_all(self->dev, objs, 2, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_SEM(sem, 1, 2);

	close(sem);
	close(dup_sem);
	close(event);
}

NT_TEST(mutex_recursion_limit)
{
	int mutex, sem, objs[2];
	__u32 index, prev;

	mutex = NEW_MUTEX(self->dev, 1, UINT32_MAX - 1);
	EXPECT_OK(wait_any(self->dev, &mutex, 1, 1, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 1, UINT32_MAX);

	/* At UINT32_MAX the mutex is not signaled even for its owner. */
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &mutex, 1, 1, 0, 0, &index));
	CHECK_MUTEX(mutex, 1, UINT32_MAX);
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, &mutex, 1, 1, 0, 0, &index));
	CHECK_MUTEX(mutex, 1, UINT32_MAX);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &mutex, 1, 1, 0,
					 now_ns(CLOCK_MONOTONIC) + 10 * NSEC_PER_MSEC,
					 &index));
	CHECK_MUTEX(mutex, 1, UINT32_MAX);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &mutex, 1, 2, 0, 0, &index));
	CHECK_MUTEX(mutex, 1, UINT32_MAX);

	sem = NEW_SEM(self->dev, 1, 1);
	objs[0] = mutex;
	objs[1] = sem;
	EXPECT_OK(wait_any(self->dev, objs, 2, 1, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_SEM(sem, 0, 1);
	CHECK_MUTEX(mutex, 1, UINT32_MAX);

	EXPECT_OK(mutex_unlock(mutex, 1, &prev));
	EXPECT_EQ(UINT32_MAX, prev);
	CHECK_MUTEX(mutex, 1, UINT32_MAX - 1);
	EXPECT_OK(wait_all(self->dev, &mutex, 1, 1, 0, 0, &index));
	CHECK_MUTEX(mutex, 1, UINT32_MAX);
	close(mutex);

	mutex = NEW_MUTEX(self->dev, 3, UINT32_MAX);
	EXPECT_ERRNO(ETIMEDOUT, wait_any(self->dev, &mutex, 1, 3, 0, 0, &index));
	CHECK_MUTEX(mutex, 3, UINT32_MAX);
	close(mutex);
	close(sem);
}

NT_TEST(abandoned_mutex)
{
	int mutex, mutex2, sem, event, objs[4];
	__u32 index;

	mutex = NEW_MUTEX(self->dev, 1, 2);
	sem = NEW_SEM(self->dev, 0, 2);
	EXPECT_OK(mutex_kill(mutex, 1));
	CHECK_MUTEX_ABANDONED(mutex);

	/* WAIT_ANY: acquired, but EOWNERDEAD; index written. */
	objs[0] = sem;
	objs[1] = mutex;
	EXPECT_ERRNO(EOWNERDEAD, wait_any(self->dev, objs, 2, 3, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_MUTEX(mutex, 3, 1);
	/* the flag is cleared: the owner recurses without EOWNERDEAD */
	EXPECT_OK(wait_any(self->dev, objs, 2, 3, 0, 0, &index));
	EXPECT_EQ(1u, index);
	CHECK_MUTEX(mutex, 3, 2);
	EXPECT_OK(mutex_unlock(mutex, 3, NULL));
	EXPECT_OK(mutex_unlock(mutex, 3, NULL));
	CHECK_MUTEX(mutex, 0, 0);

	/* The abandoned mutex at the lowest index wins over a later object. */
	EXPECT_OK(wait_any(self->dev, &mutex, 1, 4, 0, 0, &index));
	EXPECT_OK(mutex_kill(mutex, 4));
	EXPECT_OK(sem_release(sem, 1, NULL));
	objs[0] = mutex;
	objs[1] = sem;
	EXPECT_ERRNO(EOWNERDEAD, wait_any(self->dev, objs, 2, 5, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 5, 1);
	CHECK_SEM(sem, 1, 2);

	/* WAIT_ALL with an abandoned mutex: all acquired, EOWNERDEAD, index 0. */
	EXPECT_OK(mutex_kill(mutex, 5));
	mutex2 = NEW_MUTEX(self->dev, 6, 1);
	EXPECT_OK(mutex_kill(mutex2, 6));
	event = NEW_EVENT(self->dev, 0, 1);
	objs[0] = sem;
	objs[1] = mutex;
	objs[2] = event;
	objs[3] = mutex2;
	/* not yet satisfiable (mutex2 only abandoned, sem fine, event fine...)
	 * but first make one object unsignaled: nothing changes
	 */
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_RESET, NULL));
	EXPECT_ERRNO(ETIMEDOUT, wait_all(self->dev, objs, 4, 7, 0, 0, &index));
	CHECK_MUTEX_ABANDONED(mutex);
	CHECK_MUTEX_ABANDONED(mutex2);
	CHECK_SEM(sem, 1, 2);
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));

	EXPECT_ERRNO(EOWNERDEAD, wait_all(self->dev, objs, 4, 7, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_SEM(sem, 0, 2);
	CHECK_MUTEX(mutex, 7, 1);
	CHECK_MUTEX(mutex2, 7, 1);
	CHECK_EVENT(event, 0, 0);

	/* Only one of the two abandoned: still EOWNERDEAD. */
	EXPECT_OK(mutex_kill(mutex2, 7));
	EXPECT_OK(sem_release(sem, 1, NULL));
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_ERRNO(EOWNERDEAD, wait_all(self->dev, objs, 4, 7, 0, 0, &index));
	EXPECT_EQ(0u, index);
	CHECK_MUTEX(mutex, 7, 2);
	CHECK_MUTEX(mutex2, 7, 1);

	close(mutex);
	close(mutex2);
	close(sem);
	close(event);
}

/*
 * Sleeping waits of every size around the driver's internal boundaries
 * (small waits and large ones may be kept differently), with and without
 * an alert, woken by their last object or by the alert.
 */
NT_TEST(wait_sizes)
{
	static const unsigned int sizes[] = { 1, 2, 7, 8, 9, 16, 63, 64 };
	int sems[NTSYNC_MAX_WAIT_COUNT], alert;
	unsigned int k, n, a, j;
	struct waiter w;

	for (j = 0; j < NTSYNC_MAX_WAIT_COUNT; j++)
		sems[j] = NEW_SEM(self->dev, 0, 1);
	alert = NEW_EVENT(self->dev, 0, 0);

	for (k = 0; k < ARRAY_SIZE(sizes) && _metadata->passed; k++) {
		n = sizes[k];
		for (a = 0; a <= 1; a++) {
			__u32 al = a ? alert : 0;

			/* WAIT_ANY woken by its last object */
			START_ANY(&w, self->dev, sems, n, 1, al, FOREVER);
			wait_for_waiters(sems[n - 1], 1);
			wait_for_waiters(sems[0], 1);
			EXPECT_OK(sem_release(sems[n - 1], 1, NULL));
			CHECK_SEM(sems[n - 1], 0, 1);
			JOIN(&w);
			EXPECT_WAITER_OK(&w, n - 1);
			if (!_metadata->passed)
				TH_LOG("WAIT_ANY of %u, alert %u", n, a);
			wait_for_waiters(sems[0], 0);

			/* WAIT_ALL: all but one signaled first, then the last */
			START_ALL(&w, self->dev, sems, n, 1, al, FOREVER);
			wait_for_waiters(sems[n - 1], 1);
			for (j = 0; j + 1 < n; j++)
				EXPECT_OK(sem_release(sems[j], 1, NULL));
			EXPECT_FALSE(waiter_done(&w));
			EXPECT_OK(sem_release(sems[n - 1], 1, NULL));
			for (j = 0; j < n; j++)
				CHECK_SEM(sems[j], 0, 1);
			JOIN(&w);
			EXPECT_WAITER_OK(&w, 0);
			if (!_metadata->passed)
				TH_LOG("WAIT_ALL of %u, alert %u", n, a);
			wait_for_waiters(sems[n - 1], 0);

			if (!a)
				continue;
			/* both woken by the alert: index == count, nothing taken */
			START_ANY(&w, self->dev, sems, n, 1, alert, FOREVER);
			wait_for_waiters(sems[n - 1], 1);
			EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
			JOIN(&w);
			EXPECT_WAITER_OK(&w, n);
			if (!_metadata->passed)
				TH_LOG("WAIT_ANY of %u by alert", n);
			START_ALL(&w, self->dev, sems, n, 1, alert, FOREVER);
			wait_for_waiters(sems[n - 1], 1);
			for (j = 0; j + 1 < n; j++)
				EXPECT_OK(sem_release(sems[j], 1, NULL));
			EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
			JOIN(&w);
			EXPECT_WAITER_OK(&w, n);
			if (!_metadata->passed)
				TH_LOG("WAIT_ALL of %u by alert", n);
			CHECK_EVENT(alert, 0, 0);
			for (j = 0; j + 1 < n; j++) {
				CHECK_SEM(sems[j], 1, 1);
				EXPECT_OK(wait_any(self->dev, &sems[j], 1, 1, 0, 0, NULL));
			}
			wait_for_waiters(sems[n - 1], 0);
		}
	}
	for (j = 0; j < NTSYNC_MAX_WAIT_COUNT; j++) {
		EXPECT_FDINFO(sems[j], "ntsync-waiters", 0);
		close(sems[j]);
	}
	close(alert);
}

/* ========================================================================
 * Wake-ups by every kind of signal.
 */

NT_TEST(wake_sem_release)
{
	struct waiter w1, w2;
	int s0, sem, objs[2];
	__u32 prev;

	s0 = NEW_SEM(self->dev, 0, 1);
	sem = NEW_SEM(self->dev, 0, 5);
	objs[0] = s0;
	objs[1] = sem;

	START_ANY(&w1, self->dev, objs, 2, 1, 0, FOREVER);
	wait_for_waiters(sem, 1);
	EXPECT_FALSE(waiter_done(&w1));
	EXPECT_OK(sem_release(sem, 2, &prev));
	EXPECT_EQ(0u, prev);
	/* the waiter took one as part of the release */
	CHECK_SEM(sem, 1, 5);
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 1);
	wait_for_waiters(sem, 0);
	EXPECT_OK(wait_any(self->dev, &sem, 1, 1, 0, 0, NULL));

	/* two waiters, release 3: both wake, one left */
	START_ANY(&w1, self->dev, &sem, 1, 1, 0, FOREVER);
	wait_for_waiters(sem, 1);
	START_ALL(&w2, self->dev, &sem, 1, 2, 0, FOREVER);
	wait_for_waiters(sem, 2);
	EXPECT_OK(sem_release(sem, 3, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_SEM(sem, 1, 5);
	JOIN(&w1);
	JOIN(&w2);
	EXPECT_WAITER_OK(&w1, 0);
	EXPECT_WAITER_OK(&w2, 0);
	wait_for_waiters(sem, 0);

	close(s0);
	close(sem);
}

NT_TEST(wake_mutex_unlock)
{
	struct waiter w1, w2;
	int mutex, sem, objs[2];
	__u32 prev;

	mutex = NEW_MUTEX(self->dev, 1, 2);
	sem = NEW_SEM(self->dev, 0, 1);
	objs[0] = sem;
	objs[1] = mutex;

	START_ANY(&w1, self->dev, objs, 2, 2, 0, FOREVER);
	wait_for_waiters(mutex, 1);
	EXPECT_OK(mutex_unlock(mutex, 1, &prev));
	EXPECT_EQ(2u, prev);
	/* still owned (count 1): no wake */
	CHECK_MUTEX(mutex, 1, 1);
	EXPECT_FALSE(waiter_done(&w1));
	wait_for_waiters(mutex, 1);
	EXPECT_OK(mutex_unlock(mutex, 1, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_MUTEX(mutex, 2, 1);
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 1);

	/* WAIT_ALL waiter woken by the unlock */
	EXPECT_OK(sem_release(sem, 1, NULL));
	START_ALL(&w2, self->dev, objs, 2, 3, 0, FOREVER);
	wait_for_waiters(mutex, 1);
	wait_for_waiters_all(mutex, 1);
	CHECK_SEM(sem, 1, 1);
	EXPECT_OK(mutex_unlock(mutex, 2, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_MUTEX(mutex, 3, 1);
	CHECK_SEM(sem, 0, 1);
	JOIN(&w2);
	EXPECT_WAITER_OK(&w2, 0);

	close(mutex);
	close(sem);
}

/*
 * A mutex at the recursion limit is not signaled even for its owner, so the
 * owner's wait is queued.  The unlock that brings the count below the limit
 * must hand the mutex to that wait as part of the unlock, not only once the
 * count reaches zero; another owner's wait stays queued.  The waits have no
 * timeout: one left asleep is ended by its alert, so that the test fails
 * instead of hanging.
 */
NT_TEST(wake_mutex_unlock_from_limit)
{
	int mutex, sem, alert, alert2, objs[2];
	struct waiter w, w2;
	unsigned int t;
	__u32 prev;

	for (t = 0; t < 2; t++) {
		/*
		 * WAIT_ANY: an unsignaled semaphore, then the mutex (index 1).
		 * WAIT_ALL: a signaled semaphore and the mutex (index 0).
		 */
		mutex = NEW_MUTEX(self->dev, 1, UINT32_MAX);
		sem = NEW_SEM(self->dev, t, 1);
		alert = NEW_EVENT(self->dev, 0, 0);
		alert2 = NEW_EVENT(self->dev, 0, 0);
		objs[0] = sem;
		objs[1] = mutex;

		START_ANY(&w2, self->dev, &mutex, 1, 2, alert2, FOREVER);
		wait_for_waiters(mutex, 1);
		ASSERT_EQ(0, waiter_start(&w, self->dev, wait_reqs[t], objs, 2,
					  1, alert, FOREVER, 0));
		wait_for_waiters(mutex, 2);
		if (t)
			wait_for_waiters_all(mutex, 1);
		EXPECT_FALSE(waiter_done(&w));
		EXPECT_FALSE(waiter_done(&w2));
		CHECK_MUTEX(mutex, 1, UINT32_MAX);
		CHECK_SEM(sem, t, 1);

		EXPECT_OK(mutex_unlock(mutex, 1, &prev));
		EXPECT_EQ(UINT32_MAX, prev);
		/* The owner's wait took it back as part of the unlock. */
		CHECK_MUTEX(mutex, 1, UINT32_MAX);
		CHECK_SEM(sem, 0, 1);
		if (poll_int(&w.done, 1)) {
			TH_LOG("%s by the owner: still asleep after the unlock; alerting it",
			       wait_names[t]);
			EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
		}
		JOIN(&w);
		EXPECT_WAITER_OK(&w, t ? 0 : 1);

		/* The other owner's wait is still queued; its alert ends it. */
		wait_for_waiters(mutex, 1);
		EXPECT_FALSE(waiter_done(&w2));
		EXPECT_OK(event_op(alert2, NTSYNC_IOC_EVENT_SET, NULL));
		JOIN(&w2);
		EXPECT_WAITER_OK(&w2, 1);
		wait_for_waiters(mutex, 0);
		CHECK_MUTEX(mutex, 1, UINT32_MAX);
		CHECK_EVENT(alert, 0, 0);
		if (!_metadata->passed)
			TH_LOG("%s by the owner of a mutex at the recursion limit",
			       wait_names[t]);

		close(mutex);
		close(sem);
		close(alert);
		close(alert2);
	}
}

NT_TEST(wake_mutex_kill)
{
	struct waiter w1, w2, w3;
	int mutex, sem, objs[2];

	mutex = NEW_MUTEX(self->dev, 1, 3);
	START_ANY(&w1, self->dev, &mutex, 1, 2, 0, FOREVER);
	wait_for_waiters(mutex, 1);
	START_ANY(&w2, self->dev, &mutex, 1, 3, 0, FOREVER);
	wait_for_waiters(mutex, 2);

	/* The first waiter gets the abandoned mutex; the second keeps waiting. */
	EXPECT_OK(mutex_kill(mutex, 1));
	CHECK_MUTEX(mutex, 2, 1);
	JOIN(&w1);
	EXPECT_WAITER(&w1, -1, EOWNERDEAD, 0);
	wait_for_waiters(mutex, 1);
	EXPECT_FALSE(waiter_done(&w2));

	/* A plain unlock then hands it on without EOWNERDEAD. */
	EXPECT_OK(mutex_unlock(mutex, 2, NULL));
	CHECK_MUTEX(mutex, 3, 1);
	JOIN(&w2);
	EXPECT_WAITER_OK(&w2, 0);

	/* WAIT_ALL woken by a kill. */
	sem = NEW_SEM(self->dev, 1, 1);
	objs[0] = sem;
	objs[1] = mutex;
	START_ALL(&w3, self->dev, objs, 2, 4, 0, FOREVER);
	wait_for_waiters(mutex, 1);
	EXPECT_OK(mutex_kill(mutex, 3));
	CHECK_MUTEX(mutex, 4, 1);
	CHECK_SEM(sem, 0, 1);
	JOIN(&w3);
	EXPECT_WAITER(&w3, -1, EOWNERDEAD, 0);

	close(mutex);
	close(sem);
}

NT_TEST(wake_event_set)
{
	struct waiter w[3];
	int event, s0, objs[2];
	unsigned int i;
	__u32 prev;

	s0 = NEW_SEM(self->dev, 0, 1);

	/* Auto-reset: one waiter per set, in order. */
	event = NEW_EVENT(self->dev, 0, 0);
	objs[0] = s0;
	objs[1] = event;
	START_ANY(&w[0], self->dev, objs, 2, 1, 0, FOREVER);
	wait_for_waiters(event, 1);
	START_ANY(&w[1], self->dev, &event, 1, 2, 0, FOREVER);
	wait_for_waiters(event, 2);
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 0, 0);
	JOIN(&w[0]);
	EXPECT_WAITER_OK(&w[0], 1);
	wait_for_waiters(event, 1);
	EXPECT_FALSE(waiter_done(&w[1]));
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 0, 0);
	JOIN(&w[1]);
	EXPECT_WAITER_OK(&w[1], 0);
	close(event);

	/* Manual-reset: all waiters, and it stays signaled. */
	event = NEW_EVENT(self->dev, 1, 0);
	for (i = 0; i < 3; i++) {
		if (i == 2) {
			START_ALL(&w[i], self->dev, &event, 1, i + 1, 0, FOREVER);
		} else {
			START_ANY(&w[i], self->dev, &event, 1, i + 1, 0, FOREVER);
		}
		wait_for_waiters(event, i + 1);
	}
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 1, 1);
	for (i = 0; i < 3; i++) {
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
	}
	close(event);
	close(s0);
}

NT_TEST(wake_event_pulse)
{
	struct waiter w[3];
	unsigned int i;
	int event;
	__u32 prev;

	/* Auto-reset: a pulse wakes exactly one, the event stays unsignaled. */
	event = NEW_EVENT(self->dev, 0, 0);
	START_ANY(&w[0], self->dev, &event, 1, 1, 0, FOREVER);
	wait_for_waiters(event, 1);
	START_ANY(&w[1], self->dev, &event, 1, 2, 0, FOREVER);
	wait_for_waiters(event, 2);
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 0, 0);
	JOIN(&w[0]);
	EXPECT_WAITER_OK(&w[0], 0);
	wait_for_waiters(event, 1);
	EXPECT_FALSE(waiter_done(&w[1]));
	/* If the pulse had woken both, this set would find nobody. */
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 0, 0);
	JOIN(&w[1]);
	EXPECT_WAITER_OK(&w[1], 0);

	/* A pulse with no waiters is just a reset. */
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 0, 0);
	close(event);

	/* Manual-reset: a pulse wakes every waiter, the event ends unsignaled. */
	event = NEW_EVENT(self->dev, 1, 0);
	for (i = 0; i < 3; i++) {
		if (i == 1) {
			START_ALL(&w[i], self->dev, &event, 1, i + 1, 0, FOREVER);
		} else {
			START_ANY(&w[i], self->dev, &event, 1, i + 1, 0, FOREVER);
		}
		wait_for_waiters(event, i + 1);
	}
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
	EXPECT_EQ(0u, prev);
	CHECK_EVENT(event, 1, 0);
	for (i = 0; i < 3; i++) {
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
	}
	wait_for_waiters(event, 0);

	/* A pulse on a signaled manual event reports 1 and leaves it reset. */
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_PULSE, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_EVENT(event, 1, 0);
	close(event);
}

struct pulse_reader {
	int event;
	int stop;
	int started;
	unsigned long reads;
	unsigned long seen_signaled;
	unsigned long errors;
};

static void *pulse_reader_main(void *arg)
{
	struct pulse_reader *r = arg;
	__u32 manual, signaled;

	__atomic_store_n(&r->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (read_event(r->event, &manual, &signaled))
			r->errors++;
		else if (signaled)
			r->seen_signaled++;
		r->reads++;
	}
	return NULL;
}

/* A concurrent READ never sees a pulsed event signaled. */
NT_TEST(pulse_never_visible)
{
	struct pulse_reader r[2];
	pthread_t th[2];
	unsigned int i, k;
	__u32 prev;

	for (k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].event = NEW_EVENT(self->dev, k, 0);
		ASSERT_EQ(0, pthread_create(&th[k], NULL, pulse_reader_main, &r[k]));
	}
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, poll_int(&r[k].started, 1));
	for (i = 0; i < 20000; i++) {
		for (k = 0; k < 2; k++) {
			EXPECT_OK(event_op(r[k].event, NTSYNC_IOC_EVENT_PULSE, &prev));
			EXPECT_EQ(0u, prev);
		}
		if (!_metadata->passed)
			break;
	}
	for (k = 0; k < 2; k++) {
		__atomic_store_n(&r[k].stop, 1, __ATOMIC_RELEASE);
		pthread_join(th[k], NULL);
		EXPECT_EQ(0ul, r[k].errors);
		EXPECT_EQ(0ul, r[k].seen_signaled)
			TH_LOG("%s event seen signaled %lu times in %lu reads",
			       k ? "manual" : "auto", r[k].seen_signaled, r[k].reads);
		CHECK_EVENT(r[k].event, k, 0);
		close(r[k].event);
	}
}

NT_TEST(wake_alert)
{
	struct waiter w1, w2;
	int sem, alert, objs[2];

	sem = NEW_SEM(self->dev, 0, 1);
	alert = NEW_EVENT(self->dev, 0, 0);
	objs[0] = sem;

	START_ANY(&w1, self->dev, objs, 1, 1, alert, FOREVER);
	wait_for_waiters(sem, 1);
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	CHECK_EVENT(alert, 0, 0);
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 1);
	CHECK_SEM(sem, 0, 1);

	objs[1] = NEW_SEM(self->dev, 1, 1);
	START_ALL(&w2, self->dev, objs, 2, 1, alert, FOREVER);
	wait_for_waiters(sem, 1);
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_PULSE, NULL));
	CHECK_EVENT(alert, 0, 0);
	JOIN(&w2);
	EXPECT_WAITER_OK(&w2, 2);
	CHECK_SEM(sem, 0, 1);
	CHECK_SEM(objs[1], 1, 1);

	/* count 0: a sleeping wait for the alert alone */
	START_ANY(&w1, self->dev, objs, 0, 1, alert, FOREVER);
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 0);
	CHECK_EVENT(alert, 0, 0);

	close(sem);
	close(objs[1]);
	close(alert);
}

NT_TEST(wait_all_wakes_when_all_signaled)
{
	struct waiter w;
	int sem, mutex, event, objs[3];

	sem = NEW_SEM(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 1, 1);
	event = NEW_EVENT(self->dev, 0, 0);
	objs[0] = sem;
	objs[1] = mutex;
	objs[2] = event;

	START_ALL(&w, self->dev, objs, 3, 2, 0, FOREVER);
	wait_for_waiters(sem, 1);
	wait_for_waiters(mutex, 1);
	wait_for_waiters(event, 1);
	wait_for_waiters_all(event, 1);

	EXPECT_OK(sem_release(sem, 1, NULL));
	CHECK_SEM(sem, 1, 1);
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	CHECK_EVENT(event, 0, 1);
	EXPECT_FALSE(waiter_done(&w));
	EXPECT_OK(mutex_unlock(mutex, 1, NULL));
	/* all three acquired in the unlock */
	CHECK_SEM(sem, 0, 1);
	CHECK_MUTEX(mutex, 2, 1);
	CHECK_EVENT(event, 0, 0);
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);

	close(sem);
	close(mutex);
	close(event);
}

/*
 * Objects become signaled one at a time and are taken away again by
 * wait-any; the pending wait-all must never acquire any of them.
 */
NT_TEST(wait_all_atomic_flicker)
{
	int sem, event, mutex, objs[3];
	struct waiter w;
	unsigned int i;
	__u32 prev, index;

	sem = NEW_SEM(self->dev, 0, 1);
	event = NEW_EVENT(self->dev, 0, 0);
	mutex = NEW_MUTEX(self->dev, 7, 1);
	objs[0] = sem;
	objs[1] = event;
	objs[2] = mutex;

	START_ALL(&w, self->dev, objs, 3, 5, 0, FOREVER);
	wait_for_waiters(sem, 1);
	wait_for_waiters(event, 1);
	wait_for_waiters(mutex, 1);

	for (i = 0; i < 500 && _metadata->passed; i++) {
		EXPECT_OK(sem_release(sem, 1, &prev));
		EXPECT_EQ(0u, prev);
		EXPECT_OK(wait_any(self->dev, &sem, 1, 7, 0, 0, &index))
			TH_LOG("round %u: the semaphore was taken", i);

		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
		EXPECT_EQ(0u, prev);
		EXPECT_OK(wait_any(self->dev, &event, 1, 7, 0, 0, &index))
			TH_LOG("round %u: the event was taken", i);

		EXPECT_OK(mutex_unlock(mutex, 7, &prev));
		EXPECT_EQ(1u, prev);
		EXPECT_OK(wait_any(self->dev, &mutex, 1, 7, 0, 0, &index))
			TH_LOG("round %u: the mutex was taken", i);

		/* two of three at once */
		EXPECT_OK(sem_release(sem, 1, NULL));
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_OK(wait_all(self->dev, objs, 2, 7, 0, 0, &index))
			TH_LOG("round %u: sem+event were taken", i);

		EXPECT_FALSE(waiter_done(&w));
	}
	CHECK_SEM(sem, 0, 1);
	CHECK_EVENT(event, 0, 0);
	CHECK_MUTEX(mutex, 7, 1);
	EXPECT_FALSE(waiter_done(&w));
	wait_for_waiters_all(sem, 1);

	/* Finally all three together: acquired in the one unlock. */
	EXPECT_OK(sem_release(sem, 1, NULL));
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	CHECK_SEM(sem, 1, 1);
	CHECK_EVENT(event, 0, 1);
	EXPECT_OK(mutex_unlock(mutex, 7, NULL));
	CHECK_SEM(sem, 0, 1);
	CHECK_EVENT(event, 0, 0);
	CHECK_MUTEX(mutex, 5, 1);
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);

	close(sem);
	close(event);
	close(mutex);
}

struct flicker_ctl {
	int dev, a, b;
	int rounds;
	int stop;
	unsigned long taken_a, taken_b, missed, errors;
};

/* Second thread: signal A, take A, signal B, take B, ... */
static void *flicker_main(void *arg)
{
	struct flicker_ctl *c = arg;
	__u32 index;
	int i;

	for (i = 0; i < c->rounds && !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE); i++) {
		if (sem_release(c->a, 1, NULL))
			c->errors++;
		if (wait_any(c->dev, &c->a, 1, 99, 0, 0, &index))
			c->missed++;
		else
			c->taken_a++;
		if (sem_release(c->b, 1, NULL))
			c->errors++;
		if (wait_any(c->dev, &c->b, 1, 99, 0, 0, &index))
			c->missed++;
		else
			c->taken_b++;
	}
	return NULL;
}

NT_TEST(wait_all_atomic_concurrent)
{
	struct flicker_ctl c;
	struct waiter w;
	pthread_t th;
	int objs[2];

	memset(&c, 0, sizeof(c));
	c.dev = self->dev;
	c.a = NEW_SEM(self->dev, 0, 2);
	c.b = NEW_SEM(self->dev, 0, 2);
	c.rounds = 5000;
	objs[0] = c.a;
	objs[1] = c.b;

	START_ALL(&w, self->dev, objs, 2, 5, 0, FOREVER);
	wait_for_waiters(c.a, 1);
	wait_for_waiters(c.b, 1);
	ASSERT_EQ(0, pthread_create(&th, NULL, flicker_main, &c));
	pthread_join(th, NULL);

	/* Never both signaled at once: the wait-all took nothing. */
	EXPECT_EQ(0ul, c.errors);
	EXPECT_EQ(0ul, c.missed);
	EXPECT_EQ((unsigned long)c.rounds, c.taken_a);
	EXPECT_EQ((unsigned long)c.rounds, c.taken_b);
	EXPECT_FALSE(waiter_done(&w));
	CHECK_SEM(c.a, 0, 2);
	CHECK_SEM(c.b, 0, 2);

	EXPECT_OK(sem_release(c.a, 2, NULL));
	EXPECT_FALSE(waiter_done(&w));
	CHECK_SEM(c.a, 2, 2);
	EXPECT_OK(sem_release(c.b, 1, NULL));
	CHECK_SEM(c.a, 1, 2);
	CHECK_SEM(c.b, 0, 2);
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);
	close(c.a);
	close(c.b);
}

NT_TEST(wait_all_vs_wait_any)
{
	struct waiter wall, wany;
	int a, b, objs[2];

	a = NEW_SEM(self->dev, 0, 2);
	b = NEW_SEM(self->dev, 0, 2);
	objs[0] = a;
	objs[1] = b;

	START_ALL(&wall, self->dev, objs, 2, 1, 0, FOREVER);
	wait_for_waiters(a, 1);
	START_ANY(&wany, self->dev, &a, 1, 2, 0, FOREVER);
	wait_for_waiters(a, 2);
	wait_for_waiters_all(a, 1);

	/* B is unsignaled, so only the wait-any can have A. */
	EXPECT_OK(sem_release(a, 1, NULL));
	CHECK_SEM(a, 0, 2);
	JOIN(&wany);
	EXPECT_WAITER_OK(&wany, 0);
	EXPECT_FALSE(waiter_done(&wall));

	EXPECT_OK(sem_release(b, 1, NULL));
	CHECK_SEM(b, 1, 2);
	EXPECT_FALSE(waiter_done(&wall));
	EXPECT_OK(sem_release(a, 1, NULL));
	CHECK_SEM(a, 0, 2);
	CHECK_SEM(b, 0, 2);
	JOIN(&wall);
	EXPECT_WAITER_OK(&wall, 0);

	close(a);
	close(b);
}

/* ========================================================================
 * Fairness.
 */

NT_TEST(fifo_semaphore)
{
	struct waiter w[4];
	unsigned int i, j;
	int sem;

	sem = NEW_SEM(self->dev, 0, 4);
	for (i = 0; i < 4; i++) {
		START_ANY(&w[i], self->dev, &sem, 1, i + 1, 0, FOREVER);
		wait_for_waiters(sem, i + 1);
	}
	for (i = 0; i < 4; i++) {
		EXPECT_OK(sem_release(sem, 1, NULL));
		CHECK_SEM(sem, 0, 4);
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
		wait_for_waiters(sem, 3 - i);
		for (j = i + 1; j < 4; j++)
			EXPECT_FALSE(waiter_done(&w[j])) TH_LOG("waiter %u woke before %u", j, i);
	}
	close(sem);
}

NT_TEST(fifo_mutex)
{
	struct waiter w[4];
	unsigned int i;
	int mutex;

	mutex = NEW_MUTEX(self->dev, 100, 1);
	for (i = 0; i < 4; i++) {
		START_ANY(&w[i], self->dev, &mutex, 1, i + 1, 0, FOREVER);
		wait_for_waiters(mutex, i + 1);
	}
	EXPECT_OK(mutex_unlock(mutex, 100, NULL));
	for (i = 0; i < 4; i++) {
		CHECK_MUTEX(mutex, i + 1, 1);
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
		EXPECT_OK(mutex_unlock(mutex, i + 1, NULL));
	}
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);
}

NT_TEST(fifo_auto_event)
{
	struct waiter w[3];
	unsigned int i;
	int event;

	event = NEW_EVENT(self->dev, 0, 0);
	for (i = 0; i < 3; i++) {
		START_ANY(&w[i], self->dev, &event, 1, i + 1, 0, FOREVER);
		wait_for_waiters(event, i + 1);
	}
	for (i = 0; i < 3; i++) {
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
		CHECK_EVENT(event, 0, 0);
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
	}
	close(event);
}

/* ========================================================================
 * Lifetime.
 */

NT_TEST(close_during_wait)
{
	struct waiter w;
	int sem, sem2, alert, alert2, objs[1];

	/* The waited-on object's fd is closed; a signal through a dup wakes. */
	sem = NEW_SEM(self->dev, 0, 1);
	sem2 = dup(sem);
	ASSERT_LE(0, sem2);
	START_ANY(&w, self->dev, &sem, 1, 1, 0, FOREVER);
	wait_for_waiters(sem, 1);
	close(sem);
	wait_for_waiters(sem2, 1);
	EXPECT_FALSE(waiter_done(&w));
	EXPECT_OK(sem_release(sem2, 1, NULL));
	CHECK_SEM(sem2, 0, 1);
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);
	close(sem2);

	/* The only fd of the object is closed; the wait ends by its alert. */
	sem = NEW_SEM(self->dev, 0, 1);
	alert = NEW_EVENT(self->dev, 1, 0);
	objs[0] = sem;
	START_ANY(&w, self->dev, objs, 1, 1, alert, FOREVER);
	wait_for_waiters(sem, 1);
	close(sem);
	sleep_ms(50);
	EXPECT_FALSE(waiter_done(&w));
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 1);
	close(alert);

	/* The alert's fd is closed; set through a dup. */
	sem = NEW_SEM(self->dev, 0, 1);
	alert = NEW_EVENT(self->dev, 0, 0);
	alert2 = dup(alert);
	ASSERT_LE(0, alert2);
	objs[0] = sem;
	START_ALL(&w, self->dev, objs, 1, 1, alert, FOREVER);
	wait_for_waiters(sem, 1);
	close(alert);
	EXPECT_OK(event_op(alert2, NTSYNC_IOC_EVENT_SET, NULL));
	CHECK_EVENT(alert2, 0, 0);
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 1);
	close(alert2);

	/* Closing the only fd during a timed wait: it times out normally.
	 * (Should the wait already have timed out before it is seen queued,
	 * the result must be the same.)
	 */
	alert = NEW_EVENT(self->dev, 0, 0);
	sem = NEW_SEM(self->dev, 0, 1);
	objs[0] = sem;
	START_ANY(&w, self->dev, objs, 1, 1, alert,
		  now_ns(CLOCK_MONOTONIC) + 2 * NSEC_PER_SEC);
	ASSERT_EQ(0, poll_queued_or_done(sem, &w));
	close(sem);
	JOIN(&w);
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(ETIMEDOUT, w.err) TH_LOG("timed wait ended with %s", strerror(w.err));
	close(alert);
}

NT_TEST(object_outlives_device_fd)
{
	int dev2, sem, sem2, mutex, event;
	struct waiter w;
	__u32 prev;

	dev2 = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dev2);
	sem = NEW_SEM(dev2, 1, 3);
	mutex = NEW_MUTEX(dev2, 4, 1);
	event = NEW_EVENT(dev2, 0, 0);
	close(dev2);

	EXPECT_OK(sem_release(sem, 1, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_SEM(sem, 2, 3);
	EXPECT_OK(mutex_unlock(mutex, 4, &prev));
	CHECK_MUTEX(mutex, 0, 0);
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, &prev));
	CHECK_EVENT(event, 0, 1);

	/* The instance's fd is closed while one of its waits sleeps. */
	dev2 = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, dev2);
	sem2 = NEW_SEM(dev2, 0, 1);
	START_ANY(&w, dev2, &sem2, 1, 1, 0, FOREVER);
	wait_for_waiters(sem2, 1);
	close(dev2);
	wait_for_waiters(sem2, 1);
	EXPECT_FALSE(waiter_done(&w));
	EXPECT_OK(sem_release(sem2, 1, NULL));
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);
	CHECK_SEM(sem2, 0, 1);
	close(sem2);

	/* still another instance's objects */
	EXPECT_ERRNO(EINVAL, wait_any(self->dev, &sem, 1, 1, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, wait_all(self->dev, &mutex, 1, 1, 0, 0, NULL));
	EXPECT_ERRNO(EINVAL, wait_any(self->dev, NULL, 0, 1, event, 0, NULL));
	CHECK_SEM(sem, 2, 3);
	CHECK_EVENT(event, 0, 1);

	close(sem);
	close(mutex);
	close(event);
}

/* ========================================================================
 * Signals.
 */

static int sig_count;

static void sig_handler(int sig)
{
	(void)sig;
	__atomic_add_fetch(&sig_count, 1, __ATOMIC_RELAXED);
}

static int install_handler(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_handler;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

NT_TEST(signal_interrupts_wait)
{
	struct waiter w;
	int sem, mutex, objs[2];
	unsigned int k;

	ASSERT_EQ(0, install_handler(0));
	sem = NEW_SEM(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 1, 1);
	objs[0] = sem;
	objs[1] = mutex;

	for (k = 0; k < 2; k++) {
		if (k == 0) {
			START_ANY(&w, self->dev, objs, 2, 2, 0, FOREVER);
		} else {
			START_ALL(&w, self->dev, objs, 2, 2, 0,
				  now_ns(CLOCK_MONOTONIC) + 3600 * NSEC_PER_SEC);
		}
		wait_for_waiters(sem, 1);
		EXPECT_EQ(0, pthread_kill(w.thread, SIGUSR1));
		JOIN(&w);
		EXPECT_EQ(-1, w.ret);
		EXPECT_EQ(EINTR, w.err) TH_LOG("%s: %s", wait_names[k], strerror(w.err));
		wait_for_waiters(sem, 0);
		wait_for_waiters(mutex, 0);
		CHECK_SEM(sem, 0, 1);
		CHECK_MUTEX(mutex, 1, 1);
	}
	close(sem);
	close(mutex);
}

NT_TEST(signal_restarts_wait)
{
	struct waiter w;
	int sem, mutex, objs[2];
	unsigned int k;

	ASSERT_EQ(0, install_handler(SA_RESTART));
	sem = NEW_SEM(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 0, 0);
	objs[0] = sem;
	objs[1] = mutex;

	for (k = 0; k < 2; k++) {
		__atomic_store_n(&sig_count, 0, __ATOMIC_RELAXED);
		if (k == 0) {
			START_ANY(&w, self->dev, objs, 1, 2, 0, FOREVER);
		} else {
			START_ALL(&w, self->dev, objs, 2, 2, 0,
				  now_ns(CLOCK_MONOTONIC) + 3600 * NSEC_PER_SEC);
		}
		wait_for_waiters(sem, 1);
		EXPECT_EQ(0, pthread_kill(w.thread, SIGUSR1));
		ASSERT_EQ(0, poll_int(&sig_count, 1));
		/* restarted transparently: it is (again) waiting */
		wait_for_waiters(sem, 1);
		EXPECT_FALSE(waiter_done(&w));
		EXPECT_OK(sem_release(sem, 1, NULL));
		CHECK_SEM(sem, 0, 1);
		JOIN(&w);
		EXPECT_WAITER_OK(&w, 0);
		if (k == 1) {
			CHECK_MUTEX(mutex, 2, 1);
		}
	}
	close(sem);
	close(mutex);
}

/* ========================================================================
 * Timeouts.
 */

NT_TEST(timeout_relative_to_clock)
{
	static const clockid_t clocks[2] = { CLOCK_MONOTONIC, CLOCK_REALTIME };
	int sem, objs[1];
	unsigned int c, w;
	__u64 start, deadline, end;

	sem = NEW_SEM(self->dev, 0, 1);
	objs[0] = sem;
	for (c = 0; c < 2; c++) {
		for (w = 0; w < 2; w++) {
			start = now_ns(clocks[c]);
			deadline = start + 50 * NSEC_PER_MSEC;
			EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
							deadline, c ? NTSYNC_WAIT_REALTIME : 0,
							NULL));
			end = now_ns(clocks[c]);
			EXPECT_LE(deadline, end) TH_LOG("%s %s returned %lld ns early",
				wait_names[w], c ? "REALTIME" : "MONOTONIC",
				(long long)(deadline - end));
			EXPECT_GT(start + LATE_BOUND_NS, end)
				TH_LOG("%s took %llu ms", wait_names[w],
				       (unsigned long long)((end - start) / NSEC_PER_MSEC));
		}
	}
	CHECK_SEM(sem, 0, 1);
	close(sem);
}

NT_TEST(timeout_in_the_past)
{
	static const __u64 past[] = { 0, 1, NSEC_PER_SEC };
	int sem, event, objs[2];
	unsigned int i, w;
	__u64 start;

	sem = NEW_SEM(self->dev, 0, 2);
	event = NEW_EVENT(self->dev, 1, 1);
	objs[0] = sem;
	objs[1] = event;

	for (w = 0; w < 2; w++) {
		for (i = 0; i < ARRAY_SIZE(past); i++) {
			start = now_ns(CLOCK_MONOTONIC);
			EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
							past[i], 0, NULL));
			EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
							past[i], NTSYNC_WAIT_REALTIME, NULL));
			EXPECT_GT(start + LATE_BOUND_NS, now_ns(CLOCK_MONOTONIC));
		}
		EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
						now_ns(CLOCK_MONOTONIC) - NSEC_PER_SEC, 0, NULL));
		EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
						now_ns(CLOCK_REALTIME) - NSEC_PER_SEC,
						NTSYNC_WAIT_REALTIME, NULL));
		EXPECT_ERRNO(ETIMEDOUT, do_wait(self->dev, wait_reqs[w], objs, 1, 1, 0,
						now_ns(CLOCK_MONOTONIC), 0, NULL));

		/* "try once": signaled objects are still acquired */
		EXPECT_OK(sem_release(sem, 1, NULL));
		EXPECT_OK(do_wait(self->dev, wait_reqs[w], objs, 2, 1, 0, 0, 0, NULL));
		CHECK_SEM(sem, 0, 2);
		EXPECT_OK(sem_release(sem, 1, NULL));
		EXPECT_OK(do_wait(self->dev, wait_reqs[w], objs, 2, 1, 0,
				  now_ns(CLOCK_REALTIME) - NSEC_PER_SEC, NTSYNC_WAIT_REALTIME,
				  NULL));
		CHECK_SEM(sem, 0, 2);
	}
	close(sem);
	close(event);
}

NT_TEST(timeout_forever)
{
	struct waiter w;
	int sem, objs[2];
	unsigned int k;

	sem = NEW_SEM(self->dev, 0, 1);
	objs[0] = sem;
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, waiter_start(&w, self->dev, wait_reqs[k & 1], objs, 1, 1, 0,
					  FOREVER, k >= 2 ? NTSYNC_WAIT_REALTIME : 0));
		wait_for_waiters(sem, 1);
		sleep_ms(200);
		EXPECT_FALSE(waiter_done(&w));
		EXPECT_OK(sem_release(sem, 1, NULL));
		JOIN(&w);
		EXPECT_WAITER_OK(&w, 0);
		CHECK_SEM(sem, 0, 1);
	}
	close(sem);
}

/* The clocks must not be mixed up: each flag selects its own clock. */
NT_TEST(timeout_clock_selection)
{
	__u64 mono, real;
	struct waiter w;
	int sem;

	sem = NEW_SEM(self->dev, 0, 1);
	mono = now_ns(CLOCK_MONOTONIC);
	real = now_ns(CLOCK_REALTIME);
	ASSERT_LT(mono + 10 * 365 * 24 * 3600 * NSEC_PER_SEC, real)
		TH_LOG("this test needs a REALTIME clock decades ahead of MONOTONIC");

	/* A MONOTONIC deadline at "now in REALTIME": decades away. */
	START_ANY(&w, self->dev, &sem, 1, 1, 0, real);
	wait_for_waiters(sem, 1);
	sleep_ms(200);
	EXPECT_FALSE(waiter_done(&w)) TH_LOG("a MONOTONIC deadline decades away expired");
	EXPECT_OK(sem_release(sem, 1, NULL));
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);

	/* A REALTIME deadline at "now + 1h in MONOTONIC": decades ago. */
	ASSERT_EQ(0, waiter_start(&w, self->dev, NTSYNC_IOC_WAIT_ALL, &sem, 1, 1, 0,
				  now_ns(CLOCK_MONOTONIC) + 3600 * NSEC_PER_SEC,
				  NTSYNC_WAIT_REALTIME));
	ASSERT_EQ(0, waiter_join(&w)) TH_LOG("a REALTIME deadline in 1970 did not expire");
	EXPECT_EQ(-1, w.ret);
	EXPECT_EQ(ETIMEDOUT, w.err) TH_LOG("%s", strerror(w.err));
	close(sem);
}

static void *timens_watchdog(void *arg)
{
	int alert = *(int *)arg;

	sleep_ms(15000);
	event_op(alert, NTSYNC_IOC_EVENT_SET, NULL);
	return NULL;
}

/* Runs in a child in a time namespace whose MONOTONIC clock is offset. */
static int timens_child(int dev, __u64 parent_mono, __u64 offset_ns)
{
	__u64 start, deadline, end;
	int sem, alert, ret;
	pthread_t th;
	__u32 index;

	start = now_ns(CLOCK_MONOTONIC);
	if (start < parent_mono + offset_ns - 60 * NSEC_PER_SEC)
		return 10;	/* the namespace offset is not in effect */
	sem = create_sem(dev, 0, 1);
	alert = create_event(dev, 0, 0);
	if (sem < 0 || alert < 0)
		return 11;
	/* If the driver used the host's clock it would wait for hours; the
	 * watchdog then ends the wait through its alert.
	 */
	if (pthread_create(&th, NULL, timens_watchdog, &alert))
		return 12;

	start = now_ns(CLOCK_MONOTONIC);
	deadline = start + 100 * NSEC_PER_MSEC;
	ret = wait_any(dev, &sem, 1, 1, alert, deadline, &index);
	end = now_ns(CLOCK_MONOTONIC);
	if (ret == 0 && index == 1)
		return 20;	/* hung until the watchdog */
	if (ret != -1 || errno != ETIMEDOUT)
		return 21;
	if (end < deadline)
		return 22;	/* expired early */
	if (end - start > LATE_BOUND_NS)
		return 23;

	start = now_ns(CLOCK_MONOTONIC);
	ret = wait_all(dev, &sem, 1, 1, alert, start - NSEC_PER_SEC, &index);
	end = now_ns(CLOCK_MONOTONIC);
	if (ret == 0 && index == 1)
		return 30;
	if (ret != -1 || errno != ETIMEDOUT)
		return 31;
	if (end - start > LATE_BOUND_NS)
		return 32;

	/* Same for WAIT_ALL with a future deadline. */
	start = now_ns(CLOCK_MONOTONIC);
	deadline = start + 100 * NSEC_PER_MSEC;
	ret = wait_all(dev, &sem, 1, 1, alert, deadline, &index);
	end = now_ns(CLOCK_MONOTONIC);
	if (ret == 0 && index == 1)
		return 40;
	if (ret != -1 || errno != ETIMEDOUT)
		return 41;
	if (end < deadline)
		return 42;
	if (end - start > LATE_BOUND_NS)
		return 43;
	return 0;
}

NT_TEST(timeout_time_namespace)
{
	const __u64 offset_s = 360000;	/* 100 hours */
	char buf[64];
	__u64 mono;
	int fd, status, len;
	pid_t pid;

	ASSERT_EQ(0, unshare(CLONE_NEWTIME))
		TH_LOG("unshare(CLONE_NEWTIME): %s", strerror(errno));
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("timens_offsets: %s", strerror(errno));
	len = snprintf(buf, sizeof(buf), "monotonic %llu 0\n", (unsigned long long)offset_s);
	ASSERT_EQ(len, write(fd, buf, len)) TH_LOG("timens_offsets: %s", strerror(errno));
	close(fd);

	mono = now_ns(CLOCK_MONOTONIC);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(timens_child(self->dev, mono, offset_s * NSEC_PER_SEC));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("time namespace child failed at step %d (x0: waited until the "
		       "watchdog, i.e. the namespace offset was ignored; x1: wrong "
		       "error; x2: expired before the deadline; x3: far too late)",
		       WEXITSTATUS(status));
}

/* ========================================================================
 * fdinfo.
 */

NT_TEST(fdinfo_format)
{
	int sem, mutex, event, event2;
	char buf[4096];
	const char *v;

	sem = NEW_SEM(self->dev, 3, 7);
	mutex = NEW_MUTEX(self->dev, 9, 2);
	event = NEW_EVENT(self->dev, 1, 1);
	event2 = NEW_EVENT(self->dev, 0, 0);

	ASSERT_EQ(0, read_fdinfo(sem, buf, sizeof(buf)));
	v = fdinfo_find(buf, "ntsync-type");
	ASSERT_TRUE(v != NULL) TH_LOG("no ntsync-type line in:\n%s", buf);
	EXPECT_EQ(0, strncmp(v, "semaphore\n", 10)) TH_LOG("%s", buf);
	/* the standard lines come first */
	EXPECT_EQ(0, strncmp(buf, "pos:\t", 5)) TH_LOG("%s", buf);
	EXPECT_FDINFO(sem, "ntsync-count", 3);
	EXPECT_FDINFO(sem, "ntsync-max", 7);
	EXPECT_FDINFO(sem, "ntsync-waiters", 0);
	EXPECT_FDINFO(sem, "ntsync-waiters-all", 0);

	ASSERT_EQ(0, read_fdinfo(mutex, buf, sizeof(buf)));
	v = fdinfo_find(buf, "ntsync-type");
	ASSERT_TRUE(v != NULL);
	EXPECT_EQ(0, strncmp(v, "mutex\n", 6)) TH_LOG("%s", buf);
	EXPECT_FDINFO(mutex, "ntsync-owner", 9);
	EXPECT_FDINFO(mutex, "ntsync-count", 2);
	EXPECT_FDINFO(mutex, "ntsync-abandoned", 0);
	EXPECT_FDINFO(mutex, "ntsync-waiters", 0);
	EXPECT_FDINFO(mutex, "ntsync-waiters-all", 0);
	EXPECT_OK(mutex_kill(mutex, 9));
	EXPECT_FDINFO(mutex, "ntsync-owner", 0);
	EXPECT_FDINFO(mutex, "ntsync-count", 0);
	EXPECT_FDINFO(mutex, "ntsync-abandoned", 1);

	ASSERT_EQ(0, read_fdinfo(event, buf, sizeof(buf)));
	v = fdinfo_find(buf, "ntsync-type");
	ASSERT_TRUE(v != NULL);
	EXPECT_EQ(0, strncmp(v, "event\n", 6)) TH_LOG("%s", buf);
	EXPECT_FDINFO(event, "ntsync-manual", 1);
	EXPECT_FDINFO(event, "ntsync-signaled", 1);
	EXPECT_FDINFO(event, "ntsync-waiters", 0);
	EXPECT_FDINFO(event, "ntsync-waiters-all", 0);
	EXPECT_FDINFO(event2, "ntsync-manual", 0);
	EXPECT_FDINFO(event2, "ntsync-signaled", 0);
	EXPECT_OK(event_op(event2, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_FDINFO(event2, "ntsync-signaled", 1);
	EXPECT_OK(sem_release(sem, 4, NULL));
	EXPECT_FDINFO(sem, "ntsync-count", 7);

	/* Lines of other types do not appear. */
	ASSERT_EQ(0, read_fdinfo(sem, buf, sizeof(buf)));
	EXPECT_TRUE(fdinfo_find(buf, "ntsync-owner") == NULL);
	EXPECT_TRUE(fdinfo_find(buf, "ntsync-signaled") == NULL);
	ASSERT_EQ(0, read_fdinfo(event, buf, sizeof(buf)));
	EXPECT_TRUE(fdinfo_find(buf, "ntsync-count") == NULL);

	close(sem);
	close(mutex);
	close(event);
	close(event2);
}

NT_TEST(fdinfo_waiters)
{
	struct waiter w1, w2;
	int sem, event, objs[2];

	sem = NEW_SEM(self->dev, 0, 2);
	event = NEW_EVENT(self->dev, 0, 0);

	/* listed twice in one wait-any: counts twice */
	objs[0] = sem;
	objs[1] = sem;
	START_ANY(&w1, self->dev, objs, 2, 1, 0, FOREVER);
	wait_for_waiters(sem, 2);
	EXPECT_FDINFO(sem, "ntsync-waiters-all", 0);

	objs[1] = event;
	START_ALL(&w2, self->dev, objs, 2, 2, 0, FOREVER);
	wait_for_waiters(sem, 3);
	EXPECT_FDINFO(sem, "ntsync-waiters-all", 1);
	wait_for_waiters(event, 1);
	EXPECT_FDINFO(event, "ntsync-waiters-all", 1);

	/* The wait-all cannot be satisfied (event unsignaled): w1 gets it. */
	EXPECT_OK(sem_release(sem, 1, NULL));
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 0);
	wait_for_waiters(sem, 1);
	EXPECT_FDINFO(sem, "ntsync-waiters-all", 1);

	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	EXPECT_FDINFO(event, "ntsync-signaled", 1);
	EXPECT_OK(sem_release(sem, 1, NULL));
	JOIN(&w2);
	EXPECT_WAITER_OK(&w2, 0);
	wait_for_waiters(sem, 0);
	wait_for_waiters(event, 0);
	EXPECT_FDINFO(sem, "ntsync-waiters-all", 0);
	EXPECT_FDINFO(event, "ntsync-waiters-all", 0);
	EXPECT_FDINFO(sem, "ntsync-count", 0);
	EXPECT_FDINFO(event, "ntsync-signaled", 0);

	close(sem);
	close(event);
}

/* The ntsync-waiter line of fd's fdinfo that has "tid=TID ", or NULL. */
static const char *fdinfo_waiter(const char *buf, pid_t tid)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "ntsync-waiter:\ttid=%d ", (int)tid);
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, want, strlen(want)))
			return p;
	}
	return NULL;
}

/* The lines that tie objects, instances and threads together. */
NT_TEST(fdinfo_graph_lines)
{
	unsigned long long inst, inst2, id_sem, id_mutex, id_dup, v;
	int sem, mutex, alert, dup_sem, dev2, sem2, objs[2];
	struct waiter w1, w2;
	char buf[4096];
	const char *l;

	sem = NEW_SEM(self->dev, 0, 2);
	mutex = NEW_MUTEX(self->dev, 77, 1);
	alert = NEW_EVENT(self->dev, 1, 0);

	/* The device and its objects name one instance; objects their own. */
	ASSERT_EQ(0, fdinfo_value(self->dev, "ntsync-instance", &inst));
	EXPECT_FDINFO(sem, "ntsync-instance", inst);
	EXPECT_FDINFO(mutex, "ntsync-instance", inst);
	ASSERT_EQ(0, fdinfo_value(sem, "ntsync-object", &id_sem));
	ASSERT_EQ(0, fdinfo_value(mutex, "ntsync-object", &id_mutex));
	EXPECT_NE(id_sem, id_mutex);
	dup_sem = dup(sem);
	ASSERT_GE(dup_sem, 0);
	ASSERT_EQ(0, fdinfo_value(dup_sem, "ntsync-object", &id_dup));
	EXPECT_EQ(id_sem, id_dup);

	/* Another open is another instance, whose numbers differ. */
	dev2 = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_GE(dev2, 0);
	sem2 = NEW_SEM(dev2, 0, 1);
	ASSERT_EQ(0, fdinfo_value(dev2, "ntsync-instance", &inst2));
	EXPECT_NE(inst, inst2);
	EXPECT_FDINFO(sem2, "ntsync-instance", inst2);

	/* No waiters: no waiter lines. */
	ASSERT_EQ(0, read_fdinfo(sem, buf, sizeof(buf)));
	EXPECT_TRUE(strstr(buf, "ntsync-waiter:") == NULL) TH_LOG("%s", buf);

	/* w1: WAIT_ANY {sem} with alert; w2: WAIT_ALL {mutex, sem}. */
	objs[0] = sem;
	START_ANY(&w1, self->dev, objs, 1, 5, alert, FOREVER);
	wait_for_waiters(sem, 1);
	wait_for_waiters(alert, 1);
	objs[0] = mutex;
	objs[1] = sem;
	START_ALL(&w2, self->dev, objs, 2, 6, 0, FOREVER);
	wait_for_waiters(sem, 2);
	wait_for_waiters(mutex, 1);
	/* Each stored its tid before its ioctl, which we saw queued. */
	ASSERT_NE(0, __atomic_load_n(&w1.tid, __ATOMIC_ACQUIRE));
	ASSERT_NE(0, __atomic_load_n(&w2.tid, __ATOMIC_ACQUIRE));

	ASSERT_EQ(0, read_fdinfo(sem, buf, sizeof(buf)));
	l = fdinfo_waiter(buf, w1.tid);
	ASSERT_TRUE(l != NULL) TH_LOG("no waiter line for tid %d:\n%s", w1.tid, buf);
	EXPECT_EQ(0, strncmp(strchr(l, ' ') + 1,
			     "owner=5 wait=any index=0 alert=0 satisfied=0 waited-ms=", strlen("owner=5 wait=any index=0 alert=0 satisfied=0 waited-ms=")))
		TH_LOG("%s", buf);
	l = fdinfo_waiter(buf, w2.tid);
	ASSERT_TRUE(l != NULL) TH_LOG("no waiter line for tid %d:\n%s", w2.tid, buf);
	EXPECT_EQ(0, strncmp(strchr(l, ' ') + 1,
			     "owner=6 wait=all index=1 alert=0 satisfied=0 waited-ms=", strlen("owner=6 wait=all index=1 alert=0 satisfied=0 waited-ms=")))
		TH_LOG("%s", buf);
	/* Oldest first: w1 queued before w2. */
	EXPECT_TRUE(fdinfo_waiter(buf, w1.tid) < fdinfo_waiter(buf, w2.tid));

	ASSERT_EQ(0, read_fdinfo(alert, buf, sizeof(buf)));
	l = fdinfo_waiter(buf, w1.tid);
	ASSERT_TRUE(l != NULL) TH_LOG("%s", buf);
	EXPECT_EQ(0, strncmp(strchr(l, ' ') + 1,
			     "owner=5 wait=any index=1 alert=1 satisfied=0 waited-ms=", strlen("owner=5 wait=any index=1 alert=1 satisfied=0 waited-ms=")))
		TH_LOG("%s", buf);
	ASSERT_EQ(0, read_fdinfo(mutex, buf, sizeof(buf)));
	l = fdinfo_waiter(buf, w2.tid);
	ASSERT_TRUE(l != NULL) TH_LOG("%s", buf);
	EXPECT_EQ(0, strncmp(strchr(l, ' ') + 1,
			     "owner=6 wait=all index=0 alert=0 satisfied=0 waited-ms=", strlen("owner=6 wait=all index=0 alert=0 satisfied=0 waited-ms=")))
		TH_LOG("%s", buf);
	EXPECT_TRUE(fdinfo_waiter(buf, w1.tid) == NULL);

	/* The alert ends w1; then the mutex's owner lets w2 have both. */
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 1);
	EXPECT_OK(sem_release(sem, 1, NULL));
	EXPECT_OK(mutex_unlock(mutex, 77, NULL));
	JOIN(&w2);
	EXPECT_WAITER_OK(&w2, 0);
	wait_for_waiters(sem, 0);
	ASSERT_EQ(0, read_fdinfo(sem, buf, sizeof(buf)));
	EXPECT_TRUE(strstr(buf, "ntsync-waiter:") == NULL) TH_LOG("%s", buf);
	EXPECT_EQ(0, fdinfo_value(mutex, "ntsync-owner", &v));
	EXPECT_EQ(6ULL, v);

	close(sem2);
	close(dev2);
	close(dup_sem);
	close(sem);
	close(mutex);
	close(alert);
}

/* ========================================================================
 * Stress: many threads on shared objects, invariants checked at the end.
 */

#define STRESS_THREADS		8
#define STRESS_ITERATIONS	5000
#define STRESS_SEM_INIT		4
/* Normally a few seconds even under emulation. */
#define STRESS_DEADLINE_NS	(200 * NSEC_PER_SEC)

struct stress_shared {
	int dev, m1, m2, sem, ev_auto, ev_manual;
	pthread_barrier_t barrier;
	/* plain counters, modified only while owning m1 / m2 */
	unsigned long c1, c2;
	int held1, held2;
};

struct stress_thread {
	struct stress_shared *sh;
	unsigned int id;
	pthread_t thread;
	unsigned long c1, c2, sem_acq, sem_rel, ev_prod, ev_cons;
	unsigned long errors, overlaps;
	unsigned long ops;	/* read by the main thread while running */
	int last_line, last_errno;
	int done;
};

#define STRESS_FAIL(t) do { \
	(t)->errors++; \
	(t)->last_line = __LINE__; \
	(t)->last_errno = errno; \
} while (0)

static void stress_enter(struct stress_thread *t, int *held)
{
	if (__atomic_exchange_n(held, 1, __ATOMIC_ACQ_REL))
		t->overlaps++;
}

static void stress_leave(int *held)
{
	__atomic_store_n(held, 0, __ATOMIC_RELEASE);
}

static void stress_unlock(struct stress_thread *t, int mutex, __u32 owner, __u32 want_prev)
{
	__u32 prev;

	if (mutex_unlock(mutex, owner, &prev) || prev != want_prev)
		STRESS_FAIL(t);
}

static void *stress_main(void *arg)
{
	struct stress_thread *t = arg;
	struct stress_shared *sh = t->sh;
	__u32 owner = t->id + 1, index, prev;
	__u32 rnd = (t->id + 1) * 2654435761u;
	int objs[3], r, i;

	pthread_barrier_wait(&sh->barrier);
	for (i = 0; i < STRESS_ITERATIONS; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		__atomic_store_n(&t->ops, t->ops + 1, __ATOMIC_RELAXED);
		switch (rnd % 10) {
		case 0:	/* m1, recursively */
			objs[0] = sh->m1;
			if (wait_any(sh->dev, objs, 1, owner, 0, FOREVER, &index) || index) {
				STRESS_FAIL(t);
				break;
			}
			stress_enter(t, &sh->held1);
			sh->c1++;
			t->c1++;
			if (wait_any(sh->dev, objs, 1, owner, 0, 0, &index) || index) {
				STRESS_FAIL(t);
			} else {
				__u32 o, c;

				if (read_mutex(sh->m1, &o, &c) || o != owner || c != 2)
					STRESS_FAIL(t);
				stress_unlock(t, sh->m1, owner, 2);
			}
			stress_leave(&sh->held1);
			stress_unlock(t, sh->m1, owner, 1);
			break;
		case 1:	/* both mutexes and a manual event, all at once */
			objs[0] = sh->m1;
			objs[1] = sh->m2;
			objs[2] = sh->ev_manual;
			if (wait_all(sh->dev, objs, 3, owner, 0, FOREVER, &index) || index) {
				STRESS_FAIL(t);
				break;
			}
			stress_enter(t, &sh->held1);
			stress_enter(t, &sh->held2);
			sh->c1++;
			sh->c2++;
			t->c1++;
			t->c2++;
			stress_leave(&sh->held2);
			stress_leave(&sh->held1);
			stress_unlock(t, sh->m2, owner, 1);
			stress_unlock(t, sh->m1, owner, 1);
			break;
		case 2:	/* try the semaphore */
			objs[0] = sh->sem;
			r = wait_any(sh->dev, objs, 1, owner, 0, 0, &index);
			if (!r && !index)
				t->sem_acq++;
			else if (r != -1 || errno != ETIMEDOUT)
				STRESS_FAIL(t);
			break;
		case 3:
			if (sem_release(sh->sem, 1, &prev))
				STRESS_FAIL(t);
			else
				t->sem_rel++;
			break;
		case 4:	/* semaphore + m2, short timed wait-all */
			objs[0] = sh->sem;
			objs[1] = sh->m2;
			r = wait_all(sh->dev, objs, 2, owner, 0,
				     now_ns(CLOCK_MONOTONIC) + NSEC_PER_MSEC, &index);
			if (!r && !index) {
				t->sem_acq++;
				stress_enter(t, &sh->held2);
				sh->c2++;
				t->c2++;
				stress_leave(&sh->held2);
				stress_unlock(t, sh->m2, owner, 1);
			} else if (r != -1 || errno != ETIMEDOUT) {
				STRESS_FAIL(t);
			}
			break;
		case 5:	/* event or semaphore */
			objs[0] = sh->ev_auto;
			objs[1] = sh->sem;
			r = wait_any(sh->dev, objs, 2, owner, 0, 0, &index);
			if (!r && index == 0)
				t->ev_cons++;
			else if (!r && index == 1)
				t->sem_acq++;
			else if (r != -1 || errno != ETIMEDOUT)
				STRESS_FAIL(t);
			break;
		case 6:
			if (event_op(sh->ev_auto, NTSYNC_IOC_EVENT_SET, &prev) || prev > 1)
				STRESS_FAIL(t);
			else if (!prev)
				t->ev_prod++;
			break;
		case 7:
			if (event_op(sh->ev_auto, NTSYNC_IOC_EVENT_RESET, &prev) || prev > 1)
				STRESS_FAIL(t);
			else if (prev)
				t->ev_cons++;
			break;
		case 8:	/* either mutex */
			objs[0] = sh->m2;
			objs[1] = sh->m1;
			r = wait_any(sh->dev, objs, 2, owner, 0, FOREVER, &index);
			if (r || index > 1) {
				STRESS_FAIL(t);
			} else if (index == 0) {
				stress_enter(t, &sh->held2);
				sh->c2++;
				t->c2++;
				stress_leave(&sh->held2);
				stress_unlock(t, sh->m2, owner, 1);
			} else {
				stress_enter(t, &sh->held1);
				sh->c1++;
				t->c1++;
				stress_leave(&sh->held1);
				stress_unlock(t, sh->m1, owner, 1);
			}
			break;
		case 9:	/* event and semaphore together, short timed */
			objs[0] = sh->ev_auto;
			objs[1] = sh->sem;
			r = wait_all(sh->dev, objs, 2, owner, 0,
				     now_ns(CLOCK_MONOTONIC) + NSEC_PER_MSEC, &index);
			if (!r && !index) {
				t->ev_cons++;
				t->sem_acq++;
			} else if (r != -1 || errno != ETIMEDOUT) {
				STRESS_FAIL(t);
			}
			break;
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F_TIMEOUT(ntsync, stress, 300)
{
	struct stress_thread t[STRESS_THREADS];
	unsigned long c1 = 0, c2 = 0, acq = 0, rel = 0, prod = 0, cons = 0;
	struct stress_shared sh;
	unsigned int i;
	__u64 start;

	memset(&sh, 0, sizeof(sh));
	sh.dev = self->dev;
	sh.m1 = NEW_MUTEX(self->dev, 0, 0);
	sh.m2 = NEW_MUTEX(self->dev, 0, 0);
	sh.sem = NEW_SEM(self->dev, STRESS_SEM_INIT, UINT32_MAX);
	sh.ev_auto = NEW_EVENT(self->dev, 0, 0);
	sh.ev_manual = NEW_EVENT(self->dev, 1, 1);
	ASSERT_EQ(0, pthread_barrier_init(&sh.barrier, NULL, STRESS_THREADS));
	start = now_ns(CLOCK_MONOTONIC);

	for (i = 0; i < STRESS_THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].sh = &sh;
		t[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i].thread, NULL, stress_main, &t[i]));
	}
	/* A lost wake-up shows as a thread that never finishes. */
	for (i = 0; i < STRESS_THREADS; i++) {
		if (poll_int_for(&t[i].done, 1, STRESS_DEADLINE_NS)) {
			unsigned int j;

			for (j = 0; j < STRESS_THREADS; j++)
				TH_LOG("thread %u: %s after %lu of %u operations", j,
				       __atomic_load_n(&t[j].done, __ATOMIC_ACQUIRE) ?
				       "finished" : "STUCK",
				       __atomic_load_n(&t[j].ops, __ATOMIC_RELAXED),
				       STRESS_ITERATIONS);
			ASSERT_TRUE(0) TH_LOG("stress threads stuck (lost wake-up?)");
		}
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(t[i].thread, NULL);
		EXPECT_EQ(0ul, t[i].errors)
			TH_LOG("thread %u: %lu errors, last at line %d (%s)", i,
			       t[i].errors, t[i].last_line, strerror(t[i].last_errno));
		EXPECT_EQ(0ul, t[i].overlaps) TH_LOG("thread %u: two owners at once", i);
		EXPECT_EQ((unsigned long)STRESS_ITERATIONS, t[i].ops);
		c1 += t[i].c1;
		c2 += t[i].c2;
		acq += t[i].sem_acq;
		rel += t[i].sem_rel;
		prod += t[i].ev_prod;
		cons += t[i].ev_cons;
	}
	pthread_barrier_destroy(&sh.barrier);

	EXPECT_EQ(c1, sh.c1);
	EXPECT_EQ(c2, sh.c2);
	CHECK_SEM(sh.sem, STRESS_SEM_INIT + rel - acq, UINT32_MAX);
	ASSERT_LE(cons, prod);
	CHECK_EVENT(sh.ev_auto, 0, prod - cons);
	CHECK_EVENT(sh.ev_manual, 1, 1);
	CHECK_MUTEX(sh.m1, 0, 0);
	CHECK_MUTEX(sh.m2, 0, 0);
	EXPECT_FDINFO(sh.m1, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.m2, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.sem, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.ev_auto, "ntsync-waiters", 0);
	TH_LOG("%u threads x %u ops in %llu ms: c1 %lu, c2 %lu, sem +%lu -%lu, event +%lu -%lu",
	       STRESS_THREADS, STRESS_ITERATIONS,
	       (unsigned long long)((now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_MSEC),
	       c1, c2, rel, acq, prod, cons);

	close(sh.m1);
	close(sh.m2);
	close(sh.sem);
	close(sh.ev_auto);
	close(sh.ev_manual);
}

TEST_HARNESS_MAIN
