// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: the binary interface, the device node, creating objects, the object
 * ioctls and the lifetime of objects and instances.
 */
#include "ntsync_helpers.h"

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

	if (stat("/dev/ntsync", &st) && errno == ENOENT)
		SKIP(return, NO_DEVICE_REASON);
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

	if (access("/dev/ntsync", F_OK) && errno == ENOENT)
		SKIP(return, NO_DEVICE_REASON);
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

	fd = ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, &args);
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
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_SEM, bad_ptr()));
	EXPECT_EQ(before, lowest_free_fd());

	close(fd);
}

NT_TEST(create_mutex)
{
	struct ntsync_mutex_args args = { .owner = 123, .count = 1 };
	int fd, before;

	fd = ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, &args);
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
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_MUTEX, bad_ptr()));
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

	fd = ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, &args);
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
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(self->dev, NTSYNC_IOC_CREATE_EVENT, bad_ptr()));
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
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_READ, NULL));
	close(sem);
	sem = NEW_SEM(self->dev, 1, 5);
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, NULL));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, bad_ptr()));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_READ, bad_ptr()));
	CHECK_SEM(sem, 1, 5);
	/* readable count, but the previous count cannot be written back */
	ro = readonly_words(&two, 1);
	ASSERT_TRUE(ro != NULL);
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, ro));
	CHECK_SEM(sem, 1, 5);
	EXPECT_ERRNO(EFAULT, ioctl(sem, NTSYNC_IOC_SEM_READ, ro));
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
	EXPECT_OK(ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(2u, args.count);
	CHECK_MUTEX(mutex, 123, 1);

	/* Bad pointers: EFAULT, no change. */
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, NULL));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, bad_ptr()));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_READ, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_READ, bad_ptr()));
	CHECK_MUTEX(mutex, 123, 1);
	/* readable owner, but the previous count cannot be written back */
	ro = readonly_words(owner_args, 2);
	ASSERT_TRUE(ro != NULL);
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, ro));
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_READ, ro));
	CHECK_MUTEX(mutex, 123, 1);
	/* MUTEX_KILL only reads its argument */
	EXPECT_OK(ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, ro));
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

/*
 * A SEM_RELEASE that fails leaves the caller's buffer exactly as it was: it
 * still holds the count to add, never the semaphore's count (an answer the
 * call did not give) nor anything else.  The counts added differ from the
 * semaphore's count, so a buffer that held that count at any point and was
 * not put back shows.  A release that succeeds writes its answer even when
 * it equals the count added.
 */
NT_TEST(sem_release_failure_keeps_buffer)
{
	static const __u32 adds[] = { 3, 4, 0x80000000u, UINT32_MAX };
	unsigned int i;
	__u32 val;
	int sem;

	sem = NEW_SEM(self->dev, 2, 4);
	for (i = 0; i < ARRAY_SIZE(adds); i++) {
		val = adds[i];
		EXPECT_ERRNO(EOVERFLOW, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &val));
		EXPECT_EQ(adds[i], val) TH_LOG("adding %u to 2 of 4", adds[i]);
		CHECK_SEM(sem, 2, 4);
	}

	val = 2;
	EXPECT_OK(ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &val));
	EXPECT_EQ(2u, val);
	CHECK_SEM(sem, 4, 4);

	/* Full: any nonzero count fails. */
	for (i = 0; i < ARRAY_SIZE(adds); i++) {
		val = adds[i] - 2;
		EXPECT_ERRNO(EOVERFLOW, ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &val));
		EXPECT_EQ(adds[i] - 2, val) TH_LOG("adding %u to 4 of 4", adds[i] - 2);
		CHECK_SEM(sem, 4, 4);
	}
	close(sem);
}

/*
 * A MUTEX_UNLOCK that fails (EINVAL for owner 0, EPERM for an owner that
 * does not own the mutex) leaves both members of the caller's structure
 * exactly as they were, whatever the mutex's count.  One that succeeds
 * writes the previous count even when it equals what count held.
 */
NT_TEST(mutex_unlock_failure_keeps_buffer)
{
	struct ntsync_mutex_args args;
	__u32 prev;
	int mutex;

	mutex = NEW_MUTEX(self->dev, 123, 2);
	args.owner = 0;
	args.count = 7;
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(0u, args.owner);
	EXPECT_EQ(7u, args.count);
	CHECK_MUTEX(mutex, 123, 2);
	args.owner = 456;
	args.count = 7;
	EXPECT_ERRNO(EPERM, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(456u, args.owner);
	EXPECT_EQ(7u, args.count);
	CHECK_MUTEX(mutex, 123, 2);

	args.owner = 123;
	args.count = 2;
	EXPECT_OK(ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(2u, args.count);
	CHECK_MUTEX(mutex, 123, 1);
	EXPECT_OK(mutex_unlock(mutex, 123, &prev));
	EXPECT_EQ(1u, prev);
	CHECK_MUTEX(mutex, 0, 0);

	/* Unowned, then abandoned: nobody owns it. */
	args.owner = 123;
	args.count = 9;
	EXPECT_ERRNO(EPERM, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(9u, args.count);
	CHECK_MUTEX(mutex, 0, 0);
	close(mutex);

	mutex = NEW_MUTEX(self->dev, 123, 5);
	EXPECT_OK(mutex_kill(mutex, 123));
	args.owner = 123;
	args.count = 9;
	EXPECT_ERRNO(EPERM, ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &args));
	EXPECT_EQ(123u, args.owner);
	EXPECT_EQ(9u, args.count);
	CHECK_MUTEX_ABANDONED(mutex);
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
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, NULL));
	CHECK_MUTEX(mutex, 123, 3);
	EXPECT_ERRNO(EFAULT, ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, bad_ptr()));
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
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_SET, NULL));
		CHECK_EVENT(event, manual, 0);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_SET, bad_ptr()));
		CHECK_EVENT(event, manual, 0);
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_SET, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_RESET, NULL));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_RESET, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_PULSE, NULL));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_PULSE, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_READ, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_READ, bad_ptr()));
		CHECK_EVENT(event, manual, 1);
		/* a read-only buffer cannot take the previous state */
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_RESET, ro));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_PULSE, ro));
		CHECK_EVENT(event, manual, 1);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_READ, ro));
		EXPECT_OK(event_op(event, NTSYNC_IOC_EVENT_RESET, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_SET, ro));
		CHECK_EVENT(event, manual, 0);
		EXPECT_ERRNO(EFAULT, ioctl(event, NTSYNC_IOC_EVENT_PULSE, ro));
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
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_MUTEX_UNLOCK, &margs));
	val = 1;
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_MUTEX_KILL, &val));
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_MUTEX_READ, &margs));
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_EVENT_SET, &val));
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_EVENT_RESET, &val));
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_EVENT_PULSE, &val));
	EXPECT_ERRNO(EINVAL, ioctl(sem, NTSYNC_IOC_EVENT_READ, &eargs));
	CHECK_SEM(sem, 1, 2);

	/* To the mutex. */
	val = 1;
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_SEM_RELEASE, &val));
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_SEM_READ, &sargs));
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_EVENT_SET, &val));
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_EVENT_RESET, &val));
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_EVENT_PULSE, &val));
	EXPECT_ERRNO(EINVAL, ioctl(mutex, NTSYNC_IOC_EVENT_READ, &eargs));
	CHECK_MUTEX(mutex, 1, 1);

	/* To the event. */
	val = 1;
	EXPECT_ERRNO(EINVAL, ioctl(event, NTSYNC_IOC_SEM_RELEASE, &val));
	EXPECT_ERRNO(EINVAL, ioctl(event, NTSYNC_IOC_SEM_READ, &sargs));
	margs.owner = 1;
	EXPECT_ERRNO(EINVAL, ioctl(event, NTSYNC_IOC_MUTEX_UNLOCK, &margs));
	val = 1;
	EXPECT_ERRNO(EINVAL, ioctl(event, NTSYNC_IOC_MUTEX_KILL, &val));
	EXPECT_ERRNO(EINVAL, ioctl(event, NTSYNC_IOC_MUTEX_READ, &margs));
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
		EXPECT_ERRNO(ENOTTY, ioctl(self->dev, unknown[i], buf))
			TH_LOG("device, cmd %#lx", unknown[i]);
		for (j = 0; j < 3; j++)
			EXPECT_ERRNO(ENOTTY, ioctl(objs[j], unknown[i], buf))
				TH_LOG("object %u, cmd %#lx", j, unknown[i]);
	}
	/* Object ioctls mean nothing to the device ... */
	for (i = 0; i < ARRAY_SIZE(object_ioctls); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = 1;
		EXPECT_ERRNO(ENOTTY, ioctl(self->dev, object_ioctls[i], buf))
			TH_LOG("device, cmd %#lx", object_ioctls[i]);
	}
	/* ... and device ioctls mean nothing to an object. */
	for (i = 0; i < ARRAY_SIZE(device_ioctls); i++) {
		struct ntsync_wait_args wargs = {
			.objs = (uintptr_t)objs, .count = 1, .owner = 1,
		};

		for (j = 0; j < 3; j++) {
			memset(buf, 0, sizeof(buf));
			EXPECT_ERRNO(ENOTTY, ioctl(objs[j], device_ioctls[i],
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

TEST_HARNESS_MAIN
