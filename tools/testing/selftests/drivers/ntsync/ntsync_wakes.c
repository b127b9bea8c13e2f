// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: wake-ups by every kind of signal, the atomicity of WAIT_ALL, and the
 * FIFO order of waiters.
 */
#include "ntsync_helpers.h"

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
	/* WAIT_ANY queues on its objects in turn: the alert is the last. */
	wait_for_waiters(sem, 1);
	wait_for_waiters(alert, 1);
	EXPECT_OK(event_op(alert, NTSYNC_IOC_EVENT_SET, NULL));
	CHECK_EVENT(alert, 0, 0);
	JOIN(&w1);
	EXPECT_WAITER_OK(&w1, 1);
	CHECK_SEM(sem, 0, 1);

	objs[1] = NEW_SEM(self->dev, 1, 1);
	START_ALL(&w2, self->dev, objs, 2, 1, alert, FOREVER);
	wait_for_waiters(sem, 1);
	wait_for_waiters(alert, 1);
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

TEST_HARNESS_MAIN
