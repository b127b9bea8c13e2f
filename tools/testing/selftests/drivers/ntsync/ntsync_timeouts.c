// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: signals during a wait, timeouts and clocks (MONOTONIC, REALTIME, a time
 * namespace).
 */
#include "ntsync_helpers.h"

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

	if (unshare(CLONE_NEWTIME)) {
		if (errno == EINVAL)
			SKIP(return, "no time namespaces (CONFIG_TIME_NS)");
		ASSERT_EQ(0, errno) TH_LOG("unshare(CLONE_NEWTIME): %s", strerror(errno));
	}
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

TEST_HARNESS_MAIN
