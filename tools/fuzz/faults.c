// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz faults: creates and waits under failslab or fail-nth (see
 * ntsync-fuzz.h); every call succeeds with the right effect or fails with
 * ENOMEM and changes nothing.
 */
#include "ntsync-fuzz.h"

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

int run_faults(void)
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
