// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-smoke: does /dev/ntsync answer the 6.14 ABI?  Whichever ntsync is
 * loaded (ours or a kernel's own), this creates a semaphore, an event and a
 * mutex, releases, waits and reads them back.  Used by the matrix lane after
 * module swaps, where the full suite would be too much (and where the
 * loaded module need not be ours).  Prints one line; exit status 0 if
 * everything behaved.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/ntsync.h>

static const char *fail_what;
static int fail_errno;

#define CHECK(cond, what)						\
	do {								\
		if (!(cond)) {						\
			fail_what = (what);				\
			fail_errno = errno;				\
			return 1;					\
		}							\
	} while (0)

static int smoke(void)
{
	struct ntsync_sem_args sem = { .count = 0, .max = 2 };
	struct ntsync_event_args ev = { .manual = 1, .signaled = 0 };
	struct ntsync_mutex_args mx = { .owner = 0, .count = 0 };
	struct ntsync_wait_args wait;
	int dev, s, e, m, objs[3];
	__u32 n;

	dev = open("/dev/ntsync", O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0, "open /dev/ntsync");

	s = ioctl(dev, NTSYNC_IOC_CREATE_SEM, &sem);
	CHECK(s >= 0, "CREATE_SEM");
	e = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &ev);
	CHECK(e >= 0, "CREATE_EVENT");
	m = ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &mx);
	CHECK(m >= 0, "CREATE_MUTEX");

	n = 1;
	CHECK(ioctl(s, NTSYNC_IOC_SEM_RELEASE, &n) == 0 && n == 0, "SEM_RELEASE");
	memset(&sem, 0xff, sizeof(sem));
	CHECK(ioctl(s, NTSYNC_IOC_SEM_READ, &sem) == 0 &&
	      sem.count == 1 && sem.max == 2, "SEM_READ");

	/* An expired timeout: only what is signaled now can be taken. */
	objs[0] = e;
	objs[1] = s;
	memset(&wait, 0, sizeof(wait));
	wait.objs = (__u64)(unsigned long)objs;
	wait.count = 2;
	wait.owner = 7;
	CHECK(ioctl(dev, NTSYNC_IOC_WAIT_ANY, &wait) == 0 && wait.index == 1,
	      "WAIT_ANY takes the semaphore");
	CHECK(ioctl(dev, NTSYNC_IOC_WAIT_ANY, &wait) < 0 && errno == ETIMEDOUT,
	      "WAIT_ANY times out");

	CHECK(ioctl(e, NTSYNC_IOC_EVENT_SET, &n) == 0 && n == 0, "EVENT_SET");
	objs[2] = m;
	wait.objs = (__u64)(unsigned long)&objs[0];
	wait.count = 1;
	CHECK(ioctl(dev, NTSYNC_IOC_WAIT_ALL, &wait) == 0 && wait.index == 0,
	      "WAIT_ALL on the set event");

	wait.objs = (__u64)(unsigned long)&objs[2];
	CHECK(ioctl(dev, NTSYNC_IOC_WAIT_ANY, &wait) == 0, "WAIT_ANY takes the mutex");
	CHECK(ioctl(m, NTSYNC_IOC_MUTEX_READ, &mx) == 0 &&
	      mx.owner == 7 && mx.count == 1, "MUTEX_READ");
	mx.owner = 7;
	CHECK(ioctl(m, NTSYNC_IOC_MUTEX_UNLOCK, &mx) == 0 && mx.count == 1,
	      "MUTEX_UNLOCK");

	close(m);
	close(e);
	close(s);
	close(dev);
	return 0;
}

int main(void)
{
	if (smoke()) {
		printf("ntsync-smoke: FAIL: %s: %s\n", fail_what, strerror(fail_errno));
		return 1;
	}
	printf("ntsync-smoke: ok\n");
	return 0;
}
