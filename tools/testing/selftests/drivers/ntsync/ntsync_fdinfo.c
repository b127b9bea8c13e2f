// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: this project's /proc/<pid>/fdinfo lines (skipped on a driver without them).
 */
#include "ntsync_helpers.h"

/* ========================================================================
 * fdinfo.
 */

NT_TEST(fdinfo_format)
{
	int sem, mutex, event, event2;
	char buf[4096];
	const char *v;

	REQUIRE_FDINFO();
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

	REQUIRE_FDINFO();
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

	REQUIRE_FDINFO();
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

TEST_HARNESS_MAIN
