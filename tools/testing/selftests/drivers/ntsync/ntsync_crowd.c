// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: thousands of waiters on one object.  Any local user can
 * queue that many (each WAIT_ANY up to 65 entries on one event: 64
 * positions and the alert); reading the object's fdinfo must stay bounded
 * and must not make the kernel warn (the lanes fail on any warning in the
 * kernel log).
 *
 * Not run by the debug lane: its module checks the wake invariant at every
 * unlock by walking the object's waiter list, so queueing n entries there
 * costs n * n / 2 steps.
 */
#include "ntsync_helpers.h"

#define CROWD_THREADS		3000u
#define CROWD_ENTRIES		(NTSYNC_MAX_WAIT_COUNT + 1)
#define CROWD_STACK		(64 * 1024L)
/* The driver lists at most this many waiters of an object. */
#define FDINFO_MAX_WAITERS	128u
/*
 * The longest waiter line the format allows, and a bound on a whole read:
 * the generic lines, ours and the capped waiter lines fit in far less.
 */
#define WAITER_LINE_MAX		128
#define FDINFO_BOUND		((long)(1024 + FDINFO_MAX_WAITERS * WAITER_LINE_MAX))

struct crowd {
	int dev, event;
	int objs[NTSYNC_MAX_WAIT_COUNT];
	/* how many waits ended other than with index 0 */
	int failed;
};

static void *crowd_main(void *arg)
{
	struct crowd *c = arg;
	__u32 index = ~0u;

	if (wait_any(c->dev, c->objs, NTSYNC_MAX_WAIT_COUNT, 1, c->event,
		     FOREVER, &index) || index)
		__atomic_add_fetch(&c->failed, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* The bytes of fdinfo, read to the end: -1 if it could not be read or did not fit. */
static long read_all(int fd, char *buf, size_t size)
{
	if (read_fdinfo(fd, buf, size))
		return -1;
	return strlen(buf) < size - 1 ? (long)strlen(buf) : -1;
}

NT_TEST_TIMEOUT(fdinfo_thousands_of_waiters, 600)
{
	static char buf[1 << 20];
	unsigned int i, started, lines, total = CROWD_THREADS * CROWD_ENTRIES;
	unsigned long long v;
	pthread_t *threads;
	pthread_attr_t attr;
	struct crowd c = { .dev = self->dev };
	char want[64];
	const char *p;
	long len, stack;

	REQUIRE_FDINFO();
	c.event = NEW_EVENT(self->dev, 1, 0);
	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT; i++)
		c.objs[i] = c.event;
	threads = calloc(CROWD_THREADS, sizeof(*threads));
	ASSERT_TRUE(threads != NULL);
	/*
	 * Small stacks: 3000 default ones do not fit a 32-bit process.  Not
	 * below the architecture's least (128 KiB on arm64).
	 */
	ASSERT_EQ(0, pthread_attr_init(&attr));
	stack = sysconf(_SC_THREAD_STACK_MIN);
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, stack > CROWD_STACK ? stack : CROWD_STACK));
	for (started = 0; started < CROWD_THREADS; started++) {
		if (pthread_create(&threads[started], &attr, crowd_main, &c))
			break;
	}
	EXPECT_EQ(CROWD_THREADS, started) TH_LOG("only %u threads started", started);
	wait_for_waiters(c.event, started * CROWD_ENTRIES);
	if (started == CROWD_THREADS) {
		EXPECT_FDINFO(c.event, "ntsync-waiters", total);
	}

	/* Twice: the second read must be as bounded as the first. */
	for (i = 0; i < 2; i++) {
		len = read_all(c.event, buf, sizeof(buf));
		ASSERT_LT(0, len) TH_LOG("the fdinfo did not fit in %zu bytes", sizeof(buf));
		EXPECT_GT(FDINFO_BOUND, len) TH_LOG("read %ld bytes", len);
		lines = 0;
		for (p = buf; (p = strstr(p, "\nntsync-waiter:\t")); p++)
			lines++;
		EXPECT_EQ(FDINFO_MAX_WAITERS, lines);
		p = fdinfo_find(buf, "ntsync-waiters-omitted");
		ASSERT_TRUE(p != NULL) TH_LOG("no ntsync-waiters-omitted line");
		v = strtoull(p, NULL, 10);
		EXPECT_EQ(started * CROWD_ENTRIES - FDINFO_MAX_WAITERS, v);
		/* It is the last line. */
		snprintf(want, sizeof(want), "\nntsync-waiters-omitted:\t%llu\n", v);
		EXPECT_EQ(0, strcmp(buf + len - strlen(want), want)) TH_LOG("ends: %s",
			buf + (len > 200 ? len - 200 : 0));
	}

	/* Every wait takes the event at position 0. */
	EXPECT_OK(event_op(c.event, NTSYNC_IOC_EVENT_SET, NULL));
	for (i = 0; i < started; i++)
		EXPECT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, c.failed);
	wait_for_waiters(c.event, 0);
	pthread_attr_destroy(&attr);
	free(threads);
	close(c.event);
}

TEST_HARNESS_MAIN
