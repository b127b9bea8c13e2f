// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-bench: micro-benchmarks of /dev/ntsync and of the primitives NT
 * emulators used before it (futex, eventfd + poll, futex_waitv).
 *
 *   ntsync-bench [-t SECONDS] [-s SCALE] [-r REPS] [-n COUNTS] [-c CASE] driver|floors|list
 *
 * "driver" runs every case that needs /dev/ntsync (whichever driver is loaded),
 * "floors" the kernel-only ones.  Each case runs a warm-up, then REPS timed
 * repetitions of a fixed number of iterations, and prints one line:
 *
 *   @b NAME NS NS NS ...        nanoseconds per operation of each repetition
 *   @b NAME n/a REASON          the kernel lacks what the case needs
 *
 * The iteration count of a case is read from the file COUNTS ("NAME N" lines).
 * A case that is not there yet is calibrated first, so that one repetition
 * takes about SECONDS (default 0.15), and its count (times SCALE) is appended
 * to COUNTS and printed as "@n NAME N".  Runs that share a COUNTS file thus do
 * exactly the same work; without -n every run calibrates anew.
 *
 * What one "operation" is, is said in each case's description ("list"), whose
 * lines are "NAME KIND SHAPE DESCRIPTION" (tab-separated): KIND is driver or
 * floor; SHAPE is st (a single-threaded process), mt (one idle thread is alive
 * for the whole run, so the fd table is shared and every fd lookup counts a
 * reference: the shape of every Wine process) or a case that has threads or
 * processes of its own.  Each single-threaded case NAME is listed a second time
 * as NAME.mt, the same case in the multi-threaded shape.
 *
 * Any unexpected error is fatal (exit status 1): a benchmark of a broken
 * driver is meaningless.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/ntsync.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef __NR_futex_waitv
#define __NR_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
#endif

/* An ioctl number no ntsync driver knows: the object fd's ENOTTY path. */
#define BENCH_IOC_UNKNOWN _IO('N', 0xff)

static double scale = 1.0;
static double target_s = 0.15;
static const char *counts_file;
static int reps = 3;
static int ncpus = 1;
static int dev = -1;

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fflush(stdout);
	fprintf(stderr, "ntsync-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* Pins the calling thread to CPU (modulo the CPUs there are). */
static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity(%d)", cpu % ncpus);
}

/* ------------------------------------------------------------------ ntsync */

static int create_event(int manual, int signaled)
{
	struct ntsync_event_args a = { .manual = manual, .signaled = signaled };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &a);

	if (fd < 0)
		die("CREATE_EVENT");
	return fd;
}

static int create_sem(__u32 count, __u32 max)
{
	struct ntsync_sem_args a = { .count = count, .max = max };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_SEM, &a);

	if (fd < 0)
		die("CREATE_SEM");
	return fd;
}

static int create_mutex(void)
{
	struct ntsync_mutex_args a = { 0 };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &a);

	if (fd < 0)
		die("CREATE_MUTEX");
	return fd;
}

static void init_wait(struct ntsync_wait_args *w, const int *objs, __u32 count, __u32 owner,
		      __u64 timeout)
{
	memset(w, 0, sizeof(*w));
	w->timeout = timeout;
	w->objs = (uintptr_t)objs;
	w->count = count;
	w->owner = owner;
}

static inline void wait_ok(unsigned long req, struct ntsync_wait_args *w, __u32 index)
{
	if (ioctl(dev, req, w) < 0)
		die("WAIT_%s", req == NTSYNC_IOC_WAIT_ANY ? "ANY" : "ALL");
	if (w->index != index) {
		errno = 0;
		die("wait returned index %u, not %u", w->index, index);
	}
}

static inline void event_set(int ev)
{
	__u32 prev;

	if (ioctl(ev, NTSYNC_IOC_EVENT_SET, &prev) < 0)
		die("EVENT_SET");
}

static inline void sem_release(int sem)
{
	__u32 n = 1;

	if (ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &n) < 0)
		die("SEM_RELEASE");
}

static inline void mutex_unlock(int mutex, __u32 owner)
{
	struct ntsync_mutex_args a = { .owner = owner };

	if (ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &a) < 0)
		die("MUTEX_UNLOCK");
}

/* Every case returns the elapsed nanoseconds of N operations. */

/* WAIT_ANY, no timeout, on one signaled manual-reset event (nothing changes). */
static uint64_t b_wait_any_signaled(long n)
{
	int ev = create_event(1, 1);
	struct ntsync_wait_args w;
	uint64_t t;

	init_wait(&w, &ev, 1, 1, UINT64_MAX);
	t = now_ns();
	for (long i = 0; i < n; i++)
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
	t = now_ns() - t;
	close(ev);
	return t;
}

/* WAIT_ANY with a timeout already past on an unsignaled event: ETIMEDOUT (a "try"). */
static uint64_t b_wait_any_try(long n)
{
	int ev = create_event(0, 0);
	struct ntsync_wait_args w;
	uint64_t t;

	init_wait(&w, &ev, 1, 1, 0);
	t = now_ns();
	for (long i = 0; i < n; i++)
		if (ioctl(dev, NTSYNC_IOC_WAIT_ANY, &w) != -1 || errno != ETIMEDOUT)
			die("WAIT_ANY with a past timeout did not time out");
	t = now_ns() - t;
	close(ev);
	return t;
}

/* SEM_RELEASE of 1, then WAIT_ANY taking it back: one operation is both. */
static uint64_t b_sem_release_wait(long n)
{
	int sem = create_sem(0, 1);
	struct ntsync_wait_args w;
	uint64_t t;

	init_wait(&w, &sem, 1, 1, UINT64_MAX);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		sem_release(sem);
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
	}
	t = now_ns() - t;
	close(sem);
	return t;
}

/* WAIT_ANY acquiring a free mutex, then MUTEX_UNLOCK: one operation is both. */
static uint64_t b_mutex_acquire_release(long n)
{
	int mutex = create_mutex();
	struct ntsync_wait_args w;
	uint64_t t;

	init_wait(&w, &mutex, 1, 1, UINT64_MAX);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
		mutex_unlock(mutex, 1);
	}
	t = now_ns() - t;
	close(mutex);
	return t;
}

/* WAIT_ANY over 64 manual-reset events of which only the last is signaled. */
static uint64_t b_wait_any_64_last(long n)
{
	int ev[NTSYNC_MAX_WAIT_COUNT];
	struct ntsync_wait_args w;
	uint64_t t;
	int i;

	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT; i++)
		ev[i] = create_event(1, i == NTSYNC_MAX_WAIT_COUNT - 1);
	init_wait(&w, ev, NTSYNC_MAX_WAIT_COUNT, 1, UINT64_MAX);
	t = now_ns();
	for (long k = 0; k < n; k++)
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w, NTSYNC_MAX_WAIT_COUNT - 1);
	t = now_ns() - t;
	for (i = 0; i < NTSYNC_MAX_WAIT_COUNT; i++)
		close(ev[i]);
	return t;
}

/* WAIT_ALL over 8 signaled manual-reset events (they stay signaled). */
static uint64_t b_wait_all_8(long n)
{
	int ev[8];
	struct ntsync_wait_args w;
	uint64_t t;
	int i;

	for (i = 0; i < 8; i++)
		ev[i] = create_event(1, 1);
	init_wait(&w, ev, 8, 1, UINT64_MAX);
	t = now_ns();
	for (long k = 0; k < n; k++)
		wait_ok(NTSYNC_IOC_WAIT_ALL, &w, 0);
	t = now_ns() - t;
	for (i = 0; i < 8; i++)
		close(ev[i]);
	return t;
}

/* CREATE_EVENT then close() of the new fd: one operation is both. */
static uint64_t b_create_close(long n)
{
	struct ntsync_event_args a = { .manual = 0, .signaled = 0 };
	uint64_t t = now_ns();

	for (long i = 0; i < n; i++) {
		int fd = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &a);

		if (fd < 0)
			die("CREATE_EVENT");
		close(fd);
	}
	return now_ns() - t;
}

/* An unknown ioctl on an event's fd (ENOTTY): the cost of reaching the driver at all. */
static uint64_t b_unknown_ioctl(long n)
{
	int ev = create_event(1, 1);
	uint64_t t = now_ns();

	for (long i = 0; i < n; i++)
		if (ioctl(ev, BENCH_IOC_UNKNOWN, 0) != -1 || errno != ENOTTY)
			die("unknown ioctl did not fail with ENOTTY");
	t = now_ns() - t;
	close(ev);
	return t;
}

/* EVENT_SET + EVENT_RESET on a manual-reset event nobody waits for: one operation is both. */
static uint64_t b_event_set_reset(long n)
{
	int ev = create_event(1, 0);
	uint64_t t = now_ns();
	__u32 prev;

	for (long i = 0; i < n; i++) {
		if (ioctl(ev, NTSYNC_IOC_EVENT_SET, &prev) < 0)
			die("EVENT_SET");
		if (ioctl(ev, NTSYNC_IOC_EVENT_RESET, &prev) < 0)
			die("EVENT_RESET");
	}
	t = now_ns() - t;
	close(ev);
	return t;
}

/* ----------------------------------------------------- multi-threaded cases */

/*
 * Ping-pong: two threads, two "auto-reset events" of some kind.  Thread 0
 * sets A and waits for B; thread 1 waits for A and sets B.  One operation is
 * a round trip (two wake-ups).  The primitive is chosen by the ops below.
 */
struct pp_ops {
	int (*setup)(void *ctx);	/* 0, or -1 with errno (ENOSYS: n/a) */
	void (*wait)(void *ctx, int which, int thread);
	void (*set)(void *ctx, int which);
	void (*teardown)(void *ctx);
};

struct pp {
	const struct pp_ops *ops;
	void *ctx;
	long n;
	int cpu[2];
	pthread_barrier_t barrier;
	uint64_t elapsed;
};

static void *pp_thread1(void *arg)
{
	struct pp *p = arg;

	pin(p->cpu[1]);
	pthread_barrier_wait(&p->barrier);
	for (long i = 0; i < p->n; i++) {
		p->ops->wait(p->ctx, 0, 1);
		p->ops->set(p->ctx, 1);
	}
	return NULL;
}

static uint64_t pingpong(const struct pp_ops *ops, void *ctx, long n, int cpu1)
{
	struct pp p = { .ops = ops, .ctx = ctx, .n = n, .cpu = { 0, cpu1 } };
	pthread_t t1;
	uint64_t t;

	pthread_barrier_init(&p.barrier, NULL, 2);
	errno = pthread_create(&t1, NULL, pp_thread1, &p);
	if (errno)
		die("pthread_create");
	pin(0);
	pthread_barrier_wait(&p.barrier);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		ops->set(ctx, 0);
		ops->wait(ctx, 1, 0);
	}
	t = now_ns() - t;
	pthread_join(t1, NULL);
	pthread_barrier_destroy(&p.barrier);
	return t;
}

/* ntsync: two auto-reset events, WAIT_ANY without timeout and EVENT_SET. */
struct nt_pp {
	int ev[2];
	struct ntsync_wait_args w[2];
};

static int nt_pp_setup(void *c)
{
	struct nt_pp *p = c;

	for (int i = 0; i < 2; i++) {
		p->ev[i] = create_event(0, 0);
		init_wait(&p->w[i], &p->ev[i], 1, i + 1, UINT64_MAX);
	}
	return 0;
}

static void nt_pp_wait(void *c, int which, int thread)
{
	struct nt_pp *p = c;

	(void)thread;
	wait_ok(NTSYNC_IOC_WAIT_ANY, &p->w[which], 0);
}

static void nt_pp_set(void *c, int which)
{
	struct nt_pp *p = c;

	event_set(p->ev[which]);
}

static void nt_pp_teardown(void *c)
{
	struct nt_pp *p = c;

	close(p->ev[0]);
	close(p->ev[1]);
}

static const struct pp_ops nt_pp_ops = { nt_pp_setup, nt_pp_wait, nt_pp_set, nt_pp_teardown };

/*
 * futex "auto-reset events" as fsync built them: a word that is 1 when
 * signaled; a waiter takes it with a compare-and-swap and sleeps in the
 * kernel while it is 0; a set stores 1 and always makes the wake system call.
 */
struct fx_pp {
	_Atomic uint32_t word[2];
	int waitv;	/* sleep with futex_waitv instead of FUTEX_WAIT */
};

static long futex(_Atomic uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

struct bench_futex_waitv {	/* struct futex_waitv of <linux/futex.h>, which old headers lack */
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

static int fx_pp_setup(void *c)
{
	struct fx_pp *p = c;

	atomic_store(&p->word[0], 0);
	atomic_store(&p->word[1], 0);
	if (p->waitv) {
		/* An empty list is EINVAL where the call exists. */
		if (syscall(__NR_futex_waitv, NULL, 0, 0, NULL, 0) == 0 || errno == ENOSYS)
			return errno = ENOSYS, -1;
	}
	return 0;
}

static void fx_pp_wait(void *c, int which, int thread)
{
	struct fx_pp *p = c;
	_Atomic uint32_t *w = &p->word[which];

	(void)thread;
	for (;;) {
		uint32_t one = 1;

		if (atomic_compare_exchange_strong(w, &one, 0))
			return;
		if (p->waitv) {
			struct bench_futex_waitv v = {
				.val = 0, .uaddr = (uintptr_t)w,
				.flags = FUTEX_32 | FUTEX_PRIVATE_FLAG,
			};

			if (syscall(__NR_futex_waitv, &v, 1, 0, NULL, 0) < 0 &&
			    errno != EAGAIN && errno != EINTR)
				die("futex_waitv");
		} else if (futex(w, FUTEX_WAIT_PRIVATE, 0) < 0 && errno != EAGAIN && errno != EINTR) {
			die("FUTEX_WAIT");
		}
	}
}

static void fx_pp_set(void *c, int which)
{
	struct fx_pp *p = c;

	atomic_store(&p->word[which], 1);
	if (futex(&p->word[which], FUTEX_WAKE_PRIVATE, 1) < 0)
		die("FUTEX_WAKE");
}

static void fx_pp_teardown(void *c)
{
	(void)c;
}

static const struct pp_ops fx_pp_ops = { fx_pp_setup, fx_pp_wait, fx_pp_set, fx_pp_teardown };

/*
 * eventfd "auto-reset events" as esync built them: poll() for readable, then
 * a non-blocking read() takes the signal (retry if someone else took it); a
 * set is a write() of 1.
 */
struct efd_pp {
	int fd[2];
};

static int efd_pp_setup(void *c)
{
	struct efd_pp *p = c;

	for (int i = 0; i < 2; i++) {
		p->fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->fd[i] < 0)
			die("eventfd");
	}
	return 0;
}

static void efd_pp_wait(void *c, int which, int thread)
{
	struct efd_pp *p = c;
	struct pollfd pfd = { .fd = p->fd[which], .events = POLLIN };
	uint64_t v;

	(void)thread;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			die("poll");
		if (read(p->fd[which], &v, sizeof(v)) == sizeof(v))
			return;
		if (errno != EAGAIN)
			die("read(eventfd)");
	}
}

static void efd_pp_set(void *c, int which)
{
	struct efd_pp *p = c;
	uint64_t one = 1;

	if (write(p->fd[which], &one, sizeof(one)) != sizeof(one))
		die("write(eventfd)");
}

static void efd_pp_teardown(void *c)
{
	struct efd_pp *p = c;

	close(p->fd[0]);
	close(p->fd[1]);
}

static const struct pp_ops efd_pp_ops = { efd_pp_setup, efd_pp_wait, efd_pp_set, efd_pp_teardown };

/* cpu1: the CPU of thread 1 (thread 0 is on CPU 0). */
static uint64_t pp_run(const struct pp_ops *ops, void *ctx, long n, int cpu1)
{
	uint64_t t;

	ops->setup(ctx);
	t = pingpong(ops, ctx, n, cpu1);
	ops->teardown(ctx);
	return t;
}

static uint64_t b_pp_event_2cpu(long n)
{
	struct nt_pp c;

	return pp_run(&nt_pp_ops, &c, n, 1);
}

static uint64_t b_pp_event_1cpu(long n)
{
	struct nt_pp c;

	return pp_run(&nt_pp_ops, &c, n, 0);
}

static uint64_t b_pp_futex_2cpu(long n)
{
	struct fx_pp c = { .waitv = 0 };

	return pp_run(&fx_pp_ops, &c, n, 1);
}

static uint64_t b_pp_futex_1cpu(long n)
{
	struct fx_pp c = { .waitv = 0 };

	return pp_run(&fx_pp_ops, &c, n, 0);
}

static uint64_t b_pp_waitv_2cpu(long n)
{
	struct fx_pp c = { .waitv = 1 };

	return pp_run(&fx_pp_ops, &c, n, 1);
}

static uint64_t b_pp_waitv_1cpu(long n)
{
	struct fx_pp c = { .waitv = 1 };

	return pp_run(&fx_pp_ops, &c, n, 0);
}

static uint64_t b_pp_eventfd_2cpu(long n)
{
	struct efd_pp c;

	return pp_run(&efd_pp_ops, &c, n, 1);
}

static uint64_t b_pp_eventfd_1cpu(long n)
{
	struct efd_pp c;

	return pp_run(&efd_pp_ops, &c, n, 0);
}

/* futex_waitv's availability, asked once: cases that need it say n/a without. */
static const char *waitv_missing(void)
{
	struct fx_pp c = { .waitv = 1 };

	if (fx_pp_setup(&c) < 0)
		return "futex_waitv (syscall 449) is not in this kernel";
	return NULL;
}

/*
 * N threads, each pinned round-robin to the CPUs, each doing n/N operations;
 * one operation is that of the case (below); the time is from the common start
 * to the last thread's end (aggregate throughput).
 */
struct mt {
	int nthreads;
	long per_thread;
	int shared_mutex;
	int obj[8];
	pthread_barrier_t start;
};

struct mt_arg {
	struct mt *mt;
	int index;
};

static void *mt_thread(void *arg)
{
	struct mt_arg *a = arg;
	struct mt *m = a->mt;
	struct ntsync_wait_args w;
	__u32 owner = a->index + 1;
	int obj = m->shared_mutex >= 0 ? m->shared_mutex : m->obj[a->index];

	pin(a->index);
	init_wait(&w, &obj, 1, owner, UINT64_MAX);
	pthread_barrier_wait(&m->start);
	for (long i = 0; i < m->per_thread; i++) {
		if (m->shared_mutex >= 0) {
			wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
			mutex_unlock(obj, owner);
		} else {
			sem_release(obj);
			wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
		}
	}
	return NULL;
}

static uint64_t mt_run(struct mt *m)
{
	pthread_t th[8];
	struct mt_arg args[8];
	uint64_t t;
	int i;

	pthread_barrier_init(&m->start, NULL, m->nthreads + 1);
	for (i = 0; i < m->nthreads; i++) {
		args[i] = (struct mt_arg){ .mt = m, .index = i };
		errno = pthread_create(&th[i], NULL, mt_thread, &args[i]);
		if (errno)
			die("pthread_create");
	}
	pthread_barrier_wait(&m->start);
	t = now_ns();
	for (i = 0; i < m->nthreads; i++)
		pthread_join(th[i], NULL);
	t = now_ns() - t;
	pthread_barrier_destroy(&m->start);
	return t;
}

/* 4 threads (2 per CPU) acquiring and releasing one mutex: one operation is a pair. */
static uint64_t b_mutex_contend_4(long n)
{
	struct mt m = { .nthreads = 4, .per_thread = n / 4 };
	uint64_t t;

	m.shared_mutex = create_mutex();
	t = mt_run(&m);
	close(m.shared_mutex);
	return t;
}

/* 8 threads (4 per CPU), each with its own semaphore, SEM_RELEASE + WAIT_ANY pairs. */
static uint64_t b_scale_8(long n)
{
	struct mt m = { .nthreads = 8, .per_thread = n / 8, .shared_mutex = -1 };
	uint64_t t;
	int i;

	for (i = 0; i < 8; i++)
		m.obj[i] = create_sem(0, 1);
	t = mt_run(&m);
	for (i = 0; i < 8; i++)
		close(m.obj[i]);
	return t;
}

/*
 * Two processes, as Wine runs them: the "server" opens /dev/ntsync, creates two
 * auto-reset events and passes the device fd and the events over a unix socket
 * (SCM_RIGHTS) to the "client", which closes everything it inherited first.
 * Then the same round trip as pingpong-2cpu, across the processes.
 */
static void send_fds(int sock, const int *fds, int nfds, long n)
{
	char buf[CMSG_SPACE(3 * sizeof(int))];
	struct iovec iov = { .iov_base = &n, .iov_len = sizeof(n) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			      .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *cm;

	memset(buf, 0, sizeof(buf));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	if (sendmsg(sock, &msg, 0) != sizeof(n))
		die("sendmsg");
}

static long recv_fds(int sock, int *fds, int nfds)
{
	char buf[CMSG_SPACE(3 * sizeof(int))];
	long n = 0;
	struct iovec iov = { .iov_base = &n, .iov_len = sizeof(n) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
			      .msg_controllen = sizeof(buf) };
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(n))
		die("recvmsg");
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(nfds * sizeof(int))) {
		errno = EPROTO;
		die("recvmsg: no fds");
	}
	memcpy(fds, CMSG_DATA(cm), nfds * sizeof(int));
	return n;
}

static uint64_t b_pp_2proc(long n)
{
	int sv[2], fds[3], status;
	struct ntsync_wait_args w;
	pid_t pid;
	uint64_t t;
	char c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		/* The client: nothing of the server's but what it is sent. */
		close(sv[0]);
		close(dev);
		pin(1);
		n = recv_fds(sv[1], fds, 3);
		dev = fds[0];
		init_wait(&w, &fds[1], 1, 2, UINT64_MAX);
		if (write(sv[1], "r", 1) != 1)
			die("write(socket)");
		for (long i = 0; i < n; i++) {
			wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
			event_set(fds[2]);
		}
		_exit(0);
	}
	close(sv[1]);
	fds[0] = dev;
	fds[1] = create_event(0, 0);
	fds[2] = create_event(0, 0);
	send_fds(sv[0], fds, 3, n);
	if (read(sv[0], &c, 1) != 1)
		die("read(socket)");
	init_wait(&w, &fds[2], 1, 1, UINT64_MAX);
	t = now_ns();
	for (long i = 0; i < n; i++) {
		event_set(fds[1]);
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
	}
	t = now_ns() - t;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = ECHILD;
		die("the client process failed");
	}
	close(sv[0]);
	close(fds[1]);
	close(fds[2]);
	return t;
}

/*
 * A manual-reset event waking 32 waiting threads (16 per CPU).  Two events
 * take turns: round k resets event (k+1)%2, then sets event k%2, which wakes
 * every thread; each thread then releases a semaphore and waits on the other
 * event, and the setter takes the semaphore 32 times.  One operation is a
 * round: a set waking 32 waits, plus their 32 semaphore releases and takes.
 */
#define WAKE_THREADS 32

struct wake {
	int ev[2];
	int done;
	long n;
	pthread_barrier_t start;
};

struct wake_arg {
	struct wake *wk;
	int index;
};

static void *wake_thread(void *arg)
{
	struct wake_arg *a = arg;
	struct wake *wk = a->wk;
	struct ntsync_wait_args w[2];

	pin(a->index);
	init_wait(&w[0], &wk->ev[0], 1, a->index + 2, UINT64_MAX);
	init_wait(&w[1], &wk->ev[1], 1, a->index + 2, UINT64_MAX);
	pthread_barrier_wait(&wk->start);
	for (long i = 0; i < wk->n; i++) {
		wait_ok(NTSYNC_IOC_WAIT_ANY, &w[i % 2], 0);
		sem_release(wk->done);
	}
	return NULL;
}

static uint64_t b_manual_wake_32(long n)
{
	struct wake wk = { .n = n };
	struct wake_arg args[WAKE_THREADS];
	pthread_t th[WAKE_THREADS];
	struct ntsync_wait_args w;
	uint64_t t;
	__u32 prev;
	int i;

	wk.ev[0] = create_event(1, 0);
	wk.ev[1] = create_event(1, 0);
	wk.done = create_sem(0, WAKE_THREADS);
	init_wait(&w, &wk.done, 1, 1, UINT64_MAX);
	pthread_barrier_init(&wk.start, NULL, WAKE_THREADS + 1);
	for (i = 0; i < WAKE_THREADS; i++) {
		args[i] = (struct wake_arg){ .wk = &wk, .index = i };
		errno = pthread_create(&th[i], NULL, wake_thread, &args[i]);
		if (errno)
			die("pthread_create");
	}
	pthread_barrier_wait(&wk.start);
	t = now_ns();
	for (long k = 0; k < n; k++) {
		if (ioctl(wk.ev[(k + 1) % 2], NTSYNC_IOC_EVENT_RESET, &prev) < 0)
			die("EVENT_RESET");
		event_set(wk.ev[k % 2]);
		for (i = 0; i < WAKE_THREADS; i++)
			wait_ok(NTSYNC_IOC_WAIT_ANY, &w, 0);
	}
	t = now_ns() - t;
	for (i = 0; i < WAKE_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&wk.start);
	close(wk.ev[0]);
	close(wk.ev[1]);
	close(wk.done);
	return t;
}

/*
 * 4 threads (2 per CPU) in WAIT_ALL over overlapping pairs of 4 mutexes:
 * thread i takes mutexes i and i+1 (mod 4) at once, then unlocks both.  One
 * operation is one such acquisition and release (aggregate).
 */
struct wall {
	int mutex[4];
	long per_thread;
	pthread_barrier_t start;
};

struct wall_arg {
	struct wall *wa;
	int index;
};

static void *wall_thread(void *arg)
{
	struct wall_arg *a = arg;
	struct wall *wa = a->wa;
	int objs[2] = { wa->mutex[a->index], wa->mutex[(a->index + 1) % 4] };
	__u32 owner = a->index + 1;
	struct ntsync_wait_args w;

	pin(a->index);
	init_wait(&w, objs, 2, owner, UINT64_MAX);
	pthread_barrier_wait(&wa->start);
	for (long i = 0; i < wa->per_thread; i++) {
		wait_ok(NTSYNC_IOC_WAIT_ALL, &w, 0);
		mutex_unlock(objs[0], owner);
		mutex_unlock(objs[1], owner);
	}
	return NULL;
}

static uint64_t b_wait_all_4x2(long n)
{
	struct wall wa = { .per_thread = n / 4 };
	struct wall_arg args[4];
	pthread_t th[4];
	uint64_t t;
	int i;

	for (i = 0; i < 4; i++)
		wa.mutex[i] = create_mutex();
	pthread_barrier_init(&wa.start, NULL, 5);
	for (i = 0; i < 4; i++) {
		args[i] = (struct wall_arg){ .wa = &wa, .index = i };
		errno = pthread_create(&th[i], NULL, wall_thread, &args[i]);
		if (errno)
			die("pthread_create");
	}
	pthread_barrier_wait(&wa.start);
	t = now_ns();
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = now_ns() - t;
	pthread_barrier_destroy(&wa.start);
	for (i = 0; i < 4; i++)
		close(wa.mutex[i]);
	return t;
}

/* ---------------------------------------------------------------- the cases */

/* How a case runs: see the top of the file. */
enum shape {
	SHAPED,		/* single-threaded, also listed as NAME.mt */
	OWN,		/* has threads or processes of its own */
};

struct bcase {
	const char *name;
	int driver;		/* 1: needs /dev/ntsync, 0: a floor */
	enum shape shape;
	long iters;		/* where calibration starts */
	uint64_t (*fn)(long n);
	const char *(*missing)(void);
	const char *desc;	/* what one operation is */
};

static const struct bcase cases[] = {
	{ "wait-any-signaled", 1, SHAPED, 64, b_wait_any_signaled, NULL,
	  "WAIT_ANY (no timeout) on one signaled manual-reset event" },
	{ "wait-any-try", 1, SHAPED, 64, b_wait_any_try, NULL,
	  "WAIT_ANY with a past timeout on an unsignaled event (ETIMEDOUT)" },
	{ "sem-release-wait", 1, SHAPED, 64, b_sem_release_wait, NULL,
	  "SEM_RELEASE 1 + WAIT_ANY taking it, one thread" },
	{ "mutex-acquire-release", 1, SHAPED, 64, b_mutex_acquire_release, NULL,
	  "WAIT_ANY acquiring a free mutex + MUTEX_UNLOCK, one thread" },
	{ "wait-any-64-last", 1, SHAPED, 64, b_wait_any_64_last, NULL,
	  "WAIT_ANY over 64 manual-reset events, only the last signaled" },
	{ "wait-all-8", 1, SHAPED, 64, b_wait_all_8, NULL,
	  "WAIT_ALL over 8 signaled manual-reset events" },
	{ "create-close", 1, SHAPED, 64, b_create_close, NULL,
	  "CREATE_EVENT + close() of its fd" },
	{ "pingpong-2cpu", 1, OWN, 64, b_pp_event_2cpu, NULL,
	  "round trip of two threads on two CPUs, auto-reset events: WAIT_ANY own, EVENT_SET other's" },
	{ "pingpong-1cpu", 1, OWN, 64, b_pp_event_1cpu, NULL,
	  "the same round trip with both threads on one CPU" },
	{ "mutex-contend-4", 1, OWN, 64, b_mutex_contend_4, NULL,
	  "4 threads on 2 CPUs acquiring + releasing one mutex (aggregate; per pair)" },
	{ "scale-8", 1, OWN, 64, b_scale_8, NULL,
	  "8 threads on 2 CPUs, each SEM_RELEASE + WAIT_ANY on its own semaphore (aggregate; per pair)" },
	{ "event-set-reset", 1, SHAPED, 64, b_event_set_reset, NULL,
	  "EVENT_SET + EVENT_RESET on a manual-reset event nobody waits for" },
	{ "pingpong-2proc", 1, OWN, 64, b_pp_2proc, NULL,
	  "the pingpong-2cpu round trip between two processes (objects and device fd passed over a unix socket)" },
	{ "manual-wake-32", 1, OWN, 64, b_manual_wake_32, NULL,
	  "EVENT_SET of a manual-reset event waking 32 threads on 2 CPUs, each then SEM_RELEASE, taken 32 times (per set)" },
	{ "wait-all-4x2", 1, OWN, 64, b_wait_all_4x2, NULL,
	  "4 threads on 2 CPUs, WAIT_ALL over overlapping pairs of 4 mutexes + 2 MUTEX_UNLOCK (aggregate; per acquisition)" },
	{ "unknown-ioctl", 1, SHAPED, 64, b_unknown_ioctl, NULL,
	  "floor: an unknown ioctl on an event's fd (ENOTTY): the cost of reaching the driver at all" },
	{ "futex-pingpong-2cpu", 0, OWN, 64, b_pp_futex_2cpu, NULL,
	  "floor: the round trip over futex words (FUTEX_WAIT / FUTEX_WAKE), two CPUs" },
	{ "futex-pingpong-1cpu", 0, OWN, 64, b_pp_futex_1cpu, NULL,
	  "floor: the same on one CPU" },
	{ "eventfd-pingpong-2cpu", 0, OWN, 64, b_pp_eventfd_2cpu, NULL,
	  "floor: the round trip over eventfds with poll() + read() / write() (esync), two CPUs" },
	{ "eventfd-pingpong-1cpu", 0, OWN, 64, b_pp_eventfd_1cpu, NULL,
	  "floor: the same on one CPU" },
	{ "waitv-pingpong-2cpu", 0, OWN, 64, b_pp_waitv_2cpu, waitv_missing,
	  "floor: the round trip over futex words with futex_waitv (fsync), two CPUs" },
	{ "waitv-pingpong-1cpu", 0, OWN, 64, b_pp_waitv_1cpu, waitv_missing,
	  "floor: the same on one CPU" },
};

/* The count COUNTS holds for case NAME, or 0. */
static long read_count(const char *name)
{
	char line[256], key[128];
	long n, found = 0;
	FILE *f;

	if (!counts_file || !(f = fopen(counts_file, "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %ld", key, &n) == 2 && !strcmp(key, name))
			found = n;
	fclose(f);
	return found;
}

/* An iteration count for which one repetition of C takes about target_s (times scale). */
static long calibrate(const struct bcase *c, const char *name)
{
	const uint64_t target = target_s * 1e9;
	long n = c->iters;
	uint64_t t;
	FILE *f;

	c->fn(n);	/* warm-up */
	for (;;) {
		t = c->fn(n);
		if (t >= target / 4 || n >= (1L << 30))
			break;
		n *= t < target / 64 ? 8 : 2;
	}
	n = (long)((double)n * target / (t ? t : 1) * scale);
	if (n < 16)
		n = 16;
	n = (n + 7) & ~7L;	/* a multiple of the thread counts */
	if (counts_file) {
		f = fopen(counts_file, "a");
		if (!f)
			die("%s", counts_file);
		fprintf(f, "%s %ld\n", name, n);
		fclose(f);
	}
	printf("@n %s %ld\n", name, n);
	return n;
}

/* The idle thread of the multi-threaded shape: blocks until its pipe closes. */
static void *idle_thread(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Runs case C under NAME (C's or C's ".mt"), with an idle thread alive throughout if MT. */
static void run_case(const struct bcase *c, const char *name, int mt)
{
	int idle_pipe[2];
	pthread_t idle;
	const char *why;
	long n;

	if (c->missing && (why = c->missing())) {
		printf("@b %s n/a %s\n", name, why);
		fflush(stdout);
		return;
	}
	pin(0);
	if (mt) {
		if (pipe(idle_pipe))
			die("pipe");
		errno = pthread_create(&idle, NULL, idle_thread, &idle_pipe[0]);
		if (errno)
			die("pthread_create");
	}
	n = read_count(name);
	if (!n)
		n = calibrate(c, name);
	c->fn(n / 10 + 1);	/* warm-up */
	printf("@b %s", name);
	for (int r = 0; r < reps; r++)
		printf(" %.1f", (double)c->fn(n) / n);
	printf("\n");
	fflush(stdout);
	if (mt) {
		close(idle_pipe[1]);
		pthread_join(idle, NULL);
		close(idle_pipe[0]);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: ntsync-bench [-t SECONDS] [-s SCALE] [-r REPS] [-n COUNTS] [-c CASE] "
			"driver|floors|list\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	int opt, driver, found = 0;
	cpu_set_t set;

	while ((opt = getopt(argc, argv, "t:s:r:n:c:")) != -1) {
		switch (opt) {
		case 't': target_s = atof(optarg); break;
		case 's': scale = atof(optarg); break;
		case 'n': counts_file = optarg; break;
		case 'r': reps = atoi(optarg); break;
		case 'c': only = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || scale <= 0 || target_s <= 0 || reps < 1)
		usage();
	if (!strcmp(argv[optind], "list")) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *kind = cases[i].driver ? "driver" : "floor";

			if (cases[i].shape == OWN) {
				printf("%s\t%s\town\t%s\n", cases[i].name, kind, cases[i].desc);
				continue;
			}
			printf("%s\t%s\tst\t%s\n", cases[i].name, kind, cases[i].desc);
			printf("%s.mt\t%s\tmt\t%s\n", cases[i].name, kind, cases[i].desc);
		}
		return 0;
	}
	if (!strcmp(argv[optind], "driver"))
		driver = 1;
	else if (!strcmp(argv[optind], "floors"))
		driver = 0;
	else
		usage();

	if (sched_getaffinity(0, sizeof(set), &set))
		die("sched_getaffinity");
	ncpus = CPU_COUNT(&set);
	if (driver) {
		dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
		if (dev < 0)
			die("/dev/ntsync");
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char mt_name[128];

		if (cases[i].driver != driver)
			continue;
		snprintf(mt_name, sizeof(mt_name), "%s.mt", cases[i].name);
		if (!only || !strcmp(only, cases[i].name)) {
			found = 1;
			run_case(&cases[i], cases[i].name, 0);
		}
		if (cases[i].shape == SHAPED && (!only || !strcmp(only, mt_name))) {
			found = 1;
			run_case(&cases[i], mt_name, 1);
		}
	}
	if (!found) {
		errno = EINVAL;
		die("no such case");
	}
	if (dev >= 0)
		close(dev);
	return 0;
}
