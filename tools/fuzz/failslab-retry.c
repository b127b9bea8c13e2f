// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kselftest suite as a failslab target, without fault handling in the
 * suite: linked into its programs with
 *
 *   -Wl,--wrap=open,--wrap=read,--wrap=close,--wrap=ioctl,--wrap=setuid \
 *   failslab-retry.c
 *
 * (tools/debug/check.sh builds them so), this file stands between each test
 * and the driver.  When /proc/self/make-it-fail is 1 at start (the debug
 * lane sets it; every test process and thread inherits it), failslab fails
 * allocations made on behalf of the driver.  A call into the driver that
 * fails with ENOMEM must have failed cleanly: one that would have returned a
 * descriptor must not have used one up (else the program aborts).  Each is
 * reported on a "# ntsync-fault:" line and made once more with injection
 * off for the calling thread, so that the test goes on and its own checks
 * find anything the failed call changed.
 *
 * Reading an object's fdinfo cannot fail with ENOMEM: when the driver
 * cannot allocate the array for more than a few waiters, it lists fewer
 * and counts the rest (Documentation/ntsync.rst).  So each open of an
 * fdinfo file first reads the file once with injection on and checks that
 * the listed and counted waiters add up to ntsync-waiters; the test's own
 * reads are then made with injection off, and see the complete list.
 *
 * In any other process, and for any other file or call, the wrappers only
 * pass the call on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/ntsync.h>

int __real_open(const char *path, int flags, ...);
int __real_ioctl(int fd, unsigned long req, ...);
int __real_setuid(uid_t uid);
ssize_t __real_read(int fd, void *buf, size_t count);
int __real_close(int fd);

static int fault_target;

static void __attribute__((constructor)) fault_target_init(void)
{
	char c = '0';
	int fd = __real_open("/proc/self/make-it-fail", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (read(fd, &c, 1) == 1 && c == '1')
		fault_target = 1;
	close(fd);
}

static void set_make_it_fail(const char *val)
{
	int fd = __real_open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);

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
	int fd = __real_open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/*
 * After @what failed with ENOMEM: check that descriptor @spare is still free
 * if the call would have returned one, and report.  The caller then makes
 * the call again between fault_off() and fault_on().
 */
static void fault_seen(const char *what, int makes_fd, int spare)
{
	if (makes_fd && (fcntl(spare, F_GETFD) != -1 || errno != EBADF)) {
		fprintf(stderr, "# ntsync-fault: %s failed with ENOMEM but used up descriptor %d\n",
			what, spare);
		abort();
	}
	fprintf(stderr, "# ntsync-fault: injected ENOMEM into %s; made again\n", what);
	set_make_it_fail("0");
}

static void fault_on(void)
{
	set_make_it_fail("1");
}

/* Descriptors of fdinfo files opened through __wrap_open(). */
#define FDINFO_FDS		4096
/* Enough for the waiters the driver lists at most, and their number. */
#define FDINFO_SIZE		65536
#define FDINFO_MAX_WAITERS	128
static unsigned char fdinfo_fd[FDINFO_FDS];

static int is_fdinfo(const char *path)
{
	return !strncmp(path, "/proc/", 6) && strstr(path, "/fdinfo/");
}

static unsigned long fdinfo_count(const char *buf, const char *key)
{
	size_t len = strlen(key);
	unsigned long n = 0;

	for (const char *p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		n += !strncmp(p, key, len);
	}
	return n;
}

static unsigned long fdinfo_num(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoul(p + strlen(key), NULL, 10) : 0;
}

/*
 * Reads @path with injection on: the waiter lines and the omitted count
 * must add up to the number of waiters, however many lines the driver
 * could list.
 */
static void fdinfo_check(const char *path)
{
	unsigned long waiters, listed, omitted;
	char *buf = malloc(FDINFO_SIZE);
	size_t total = 0;
	ssize_t n;
	int fd = __real_open(path, O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0)
		goto out;
	while (total < FDINFO_SIZE - 1 &&
	       (n = __real_read(fd, buf + total, FDINFO_SIZE - 1 - total)) > 0)
		total += n;
	buf[total] = 0;
	if (!strstr(buf, "\nntsync-waiters:\t"))
		goto out;
	waiters = fdinfo_num(buf, "\nntsync-waiters:\t");
	listed = fdinfo_count(buf, "ntsync-waiter:\t");
	omitted = fdinfo_num(buf, "\nntsync-waiters-omitted:\t");
	if (listed + omitted != waiters) {
		fprintf(stderr, "# ntsync-fault: %s lists %lu waiters and omits %lu of %lu\n",
			path, listed, omitted, waiters);
		abort();
	}
	if (omitted && listed < FDINFO_MAX_WAITERS)
		fprintf(stderr, "# ntsync-fault: %s listed %lu of %lu waiters under injection\n",
			path, listed, waiters);
out:
	if (fd >= 0)
		__real_close(fd);
	free(buf);
}

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

int __wrap_ioctl(int fd, unsigned long req, void *arg)
{
	int makes_fd = req == NTSYNC_IOC_CREATE_SEM ||
		       req == NTSYNC_IOC_CREATE_MUTEX ||
		       req == NTSYNC_IOC_CREATE_EVENT;
	int spare = fault_target && makes_fd ? lowest_free_fd() : -1;
	int ret = __real_ioctl(fd, req, arg);

	if (ret == -1 && errno == ENOMEM && fault_target) {
		fault_seen(ioctl_name(req), makes_fd, spare);
		ret = __real_ioctl(fd, req, arg);
		fault_on();
	}
	return ret;
}

int __wrap_open(const char *path, int flags, ...)
{
	int spare, ret;
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (fault_target && is_fdinfo(path)) {
		fdinfo_check(path);
		ret = __real_open(path, flags, mode);
		if (ret >= 0 && ret < FDINFO_FDS)
			__atomic_store_n(&fdinfo_fd[ret], 1, __ATOMIC_RELAXED);
		return ret;
	}
	if (!fault_target || strcmp(path, "/dev/ntsync"))
		return __real_open(path, flags, mode);
	spare = lowest_free_fd();
	ret = __real_open(path, flags, mode);
	if (ret == -1 && errno == ENOMEM) {
		fault_seen("open", 1, spare);
		ret = __real_open(path, flags, mode);
		fault_on();
	}
	return ret;
}

ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	ssize_t ret;
	int err;

	if (!fault_target || fd < 0 || fd >= FDINFO_FDS ||
	    !__atomic_load_n(&fdinfo_fd[fd], __ATOMIC_RELAXED))
		return __real_read(fd, buf, count);
	set_make_it_fail("0");
	ret = __real_read(fd, buf, count);
	err = errno;
	fault_on();
	errno = err;
	return ret;
}

int __wrap_close(int fd)
{
	if (fd >= 0 && fd < FDINFO_FDS)
		__atomic_store_n(&fdinfo_fd[fd], 0, __ATOMIC_RELAXED);
	return __real_close(fd);
}

/* Once unprivileged, a thread could not switch injection off for a retry. */
int __wrap_setuid(uid_t uid)
{
	if (fault_target) {
		set_make_it_fail("0");
		fault_target = 0;
	}
	return __real_setuid(uid);
}
