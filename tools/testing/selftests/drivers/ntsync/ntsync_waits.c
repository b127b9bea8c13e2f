// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: waits that need no other thread: what WAIT_ANY and WAIT_ALL take, in
 * which order, alerts, abandoned mutexes and sleeping waits of every size.
 */
#include "ntsync_helpers.h"

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
	EXPECT_OK(ioctl(self->dev, NTSYNC_IOC_WAIT_ANY, &args));
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

		EXPECT_OK(ioctl(self->dev, wait_reqs[w], &args)) TH_LOG("%s", wait_names[w]);
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
	EXPECT_OK(ioctl(self->dev, NTSYNC_IOC_WAIT_ALL, &args));
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

TEST_HARNESS_MAIN
