// SPDX-License-Identifier: GPL-2.0-only
/* ntsync-fuzz: what every mode shares (see ntsync-fuzz.h). */
#include "ntsync-fuzz.h"

const char *const type_names[] = { "semaphore", "mutex", "event" };

__thread uint64_t rng;

/* ioctl returning -errno on failure. */
int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *errname(int ret)
{
	static __thread char buf[32];

	switch (-ret) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EPERM: return "EPERM";
	case EOVERFLOW: return "EOVERFLOW";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINTR: return "EINTR";
	case ENOMEM: return "ENOMEM";
	case EMFILE: return "EMFILE";
	case ENFILE: return "ENFILE";
	}
	if (ret >= 0)
		snprintf(buf, sizeof(buf), "%d", ret);
	else
		snprintf(buf, sizeof(buf), "errno %d", -ret);
	return buf;
}

/* A page nobody may touch, and a page user space can only read. */
void *page_none, *page_ro;

void setup_pages(void)
{
	page_none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page_ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page_none == MAP_FAILED || page_ro == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
}

/* Put @len bytes in the read-only page and return it. */
void *ro_copy(const void *src, size_t len)
{
	mprotect(page_ro, 4096, PROT_READ | PROT_WRITE);
	memcpy(page_ro, src, len);
	mprotect(page_ro, 4096, PROT_READ);
	return page_ro;
}

/* A pointer the kernel must refuse. */
void *bad_ptr(void)
{
	switch (rn(4)) {
	case 0: return NULL;
	case 1: return (void *)(uintptr_t)1;
	case 2: return page_none;
	default: return (void *)(uintptr_t)-4096;	/* kernel space */
	}
}

uint64_t bad_uptr(void)
{
	switch (rn(3)) {
	case 0: return (uint64_t)(uintptr_t)bad_ptr();
	case 1: return 0xdead000000000000ull;
	default: return 0x8000000000000000ull;
	}
}

const unsigned long obj_cmds[9] = {
	NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_SEM_READ,
	NTSYNC_IOC_MUTEX_UNLOCK, NTSYNC_IOC_MUTEX_KILL, NTSYNC_IOC_MUTEX_READ,
	NTSYNC_IOC_EVENT_SET, NTSYNC_IOC_EVENT_RESET, NTSYNC_IOC_EVENT_PULSE,
	NTSYNC_IOC_EVENT_READ,
};

/* An 'N' ioctl number that is none of the fourteen. */
unsigned long unknown_cmd(void)
{
	switch (rn(4)) {
	case 0: return _IOW('N', 0x81, uint64_t);	/* right nr, wrong size */
	case 1: return _IO('N', 0x8e);
	case 2: return _IOWR('N', 0x7f, struct ntsync_wait_args);
	default: return _IOC(rn(4), 'N', 0x8e + rn(0x70), rn(64));
	}
}

static int tap_n;

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int open_dev(void)
{
	int fd = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("# open /dev/ntsync: %s\n", strerror(errno));
		printf("1..1\nnot ok 1 - open /dev/ntsync\n");
		exit(1);
	}
	return fd;
}
