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

/* Lines of buf that start with "prefix". */
static unsigned int count_lines(const char *buf, const char *prefix)
{
	unsigned int n = 0;
	const char *p;

	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

/* The last line of buf (without its newline), copied into line. */
static void last_line(const char *buf, char *line, size_t size)
{
	size_t len = strlen(buf);
	const char *p;

	if (len && buf[len - 1] == '\n')
		len--;
	for (p = buf + len; p > buf && p[-1] != '\n'; p--)
		;
	snprintf(line, size, "%.*s", (int)(buf + len - p), p);
}

/*
 * The waiter lines stop at the driver's cap (128, the oldest entries), and a
 * last line counts the rest.  Three waits, each on one event at 64 positions
 * and as its alert, queue 195 entries.
 */
NT_TEST(fdinfo_waiter_cap)
{
	static char buf[65536];
	struct waiter w[3];
	int event, objs[NTSYNC_MAX_WAIT_COUNT];
	unsigned int i, lines;
	const char *l;
	char last[128];

	REQUIRE_FDINFO();
	event = NEW_EVENT(self->dev, 1, 0);
	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT; i++)
		objs[i] = event;
	for (i = 0; i < 3; i++) {
		START_ANY(&w[i], self->dev, objs, NTSYNC_MAX_WAIT_COUNT, 10 + i,
			  event, FOREVER);
		wait_for_waiters(event, 65 * (i + 1));
	}

	ASSERT_EQ(0, read_fdinfo(event, buf, sizeof(buf)));
	EXPECT_FDINFO(event, "ntsync-waiters", 195);
	lines = count_lines(buf, "ntsync-waiter:\t");
	EXPECT_EQ(128u, lines) TH_LOG("%u waiter lines in:\n%s", lines, buf);
	last_line(buf, last, sizeof(last));
	EXPECT_STREQ("ntsync-waiters-omitted:\t67", last);
	/* The oldest first: all 65 entries of w[0], then 63 of w[1]'s. */
	l = fdinfo_find(buf, "ntsync-waiter");
	for (i = 0; l && i < 128; i++) {
		char want[96];

		snprintf(want, sizeof(want), "tid=%d owner=%u wait=any index=%u alert=%u ",
			 w[i / 65].tid, 10 + i / 65, i % 65, i % 65 == 64);
		EXPECT_EQ(0, strncmp(l, want, strlen(want)))
			TH_LOG("waiter line %u: wanted \"%s\", got \"%.80s\"", i, want, l);
		l = strchr(l, '\n');
		l = l ? fdinfo_find(l + 1, "ntsync-waiter") : NULL;
	}
	EXPECT_EQ(128u, i);
	EXPECT_TRUE(fdinfo_waiter(buf, w[2].tid) == NULL) TH_LOG("%s", buf);

	/* Below the cap again: no line counts omitted waiters. */
	EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
	for (i = 0; i < 3; i++) {
		JOIN(&w[i]);
		EXPECT_WAITER_OK(&w[i], 0);
	}
	wait_for_waiters(event, 0);
	ASSERT_EQ(0, read_fdinfo(event, buf, sizeof(buf)));
	EXPECT_TRUE(fdinfo_find(buf, "ntsync-waiters-omitted") == NULL) TH_LOG("%s", buf);
	close(event);
}

/*
 * From a process in a new pid namespace, reading the /proc it inherited:
 * 0 if fd's fdinfo has a waiter line for tid, 1 if not, 2 if no pid
 * namespace could be made.
 */
static int tid_seen_from_new_pidns(int fd, pid_t tid)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		static char buf[4096];
		pid_t inner;

		if (unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (!inner)
			_exit(read_fdinfo(fd, buf, sizeof(buf)) ||
			      !fdinfo_waiter(buf, tid));
		if (inner < 0 || waitpid(inner, &status, 0) != inner ||
		    !WIFEXITED(status))
			_exit(3);
		_exit(WEXITSTATUS(status));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Thread ids are those of the pid namespace of the proc mount that is read,
 * as in a pidfd's fdinfo, not the reader's: a reader in a new pid namespace
 * that reads the /proc it inherited sees the waiter's id as that /proc
 * names it (in its own namespace, the waiter has none).
 */
NT_TEST(fdinfo_tid_of_the_proc_mount)
{
	struct waiter w;
	int sem, seen;

	REQUIRE_FDINFO();
	sem = NEW_SEM(self->dev, 0, 1);
	START_ANY(&w, self->dev, &sem, 1, 3, 0, FOREVER);
	wait_for_waiters(sem, 1);
	seen = tid_seen_from_new_pidns(sem, w.tid);
	EXPECT_OK(sem_release(sem, 1, NULL));
	JOIN(&w);
	EXPECT_WAITER_OK(&w, 0);
	close(sem);
	if (seen == 2)
		SKIP(return, "no new pid namespace (CAP_SYS_ADMIN needed)");
	EXPECT_EQ(0, seen) TH_LOG("the waiter line names tid %d: %s", w.tid,
				  seen == 1 ? "not found" : "the reader failed");
}

TEST_HARNESS_MAIN
