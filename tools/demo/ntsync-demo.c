// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-demo: what an NT emulator (Wine) does with /dev/ntsync, narrated
 * step by step.  It doubles as a smoke test: the exit status is 0 only if
 * every step behaved as the ntsync contract says.
 *
 * Build: make -C tools/demo OUTPUT=<dir>
 *
 * Threads stand in for Windows threads and their kernel thread id is the
 * mutex "owner" they pass, as Wine does.  To know that a thread is really
 * asleep in the driver we poll the object's /proc/self/fdinfo waiter count
 * instead of sleeping, so the output is the same on every run (apart from
 * fd numbers and thread ids).  Every wait gives up after WAIT_SECONDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/ntsync.h>

#define WAIT_SECONDS	30	/* timeout of every wait */
#define POLL_SECONDS	10	/* how long to wait for a thread to block */
#define NSEC_PER_SEC	1000000000ULL

static int dev;				/* the instance: one per process */
static int sem, mutex, auto_ev, manual_ev, alert;
static __u32 main_tid;

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("\nFAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nntsync-demo: stopped, exit status 1.\n");
	exit(1);
}

#define expect(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static void watchdog(int sig)
{
	static const char msg[] = "\nFAIL: ntsync-demo watchdog: still running after 120 s\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1))
		_exit(3);
	_exit(3);
}

static const char *errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "success";

	return name ? name : "unknown errno";
}

/* Run an ioctl; return 0 or the errno it failed with. */
static int nt_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? errno : 0;
}

static void expect_err(int got, int want, const char *what)
{
	expect(got == want, "%s returned %s, expected %s",
	       what, errname(got), errname(want));
}

/* An absolute CLOCK_MONOTONIC time, as the wait ioctls want it. */
static __u64 deadline(int seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec + seconds * NSEC_PER_SEC;
}

static int create(unsigned long req, void *args, const char *what)
{
	int fd = ioctl(dev, req, args);

	expect(fd >= 0, "%s failed: %s", what, errname(errno));
	return fd;
}

static int do_wait(unsigned long req, const int *objs, __u32 count, int alrt,
		   __u32 owner, __u64 timeout, __u32 *index)
{
	struct ntsync_wait_args args = {
		.timeout = timeout, .objs = (uintptr_t)objs, .count = count,
		.owner = owner, .alert = alrt,
	};
	int err = nt_ioctl(dev, req, &args);

	*index = args.index;
	return err;
}

static struct ntsync_sem_args sem_read(void)
{
	struct ntsync_sem_args a = { 0 };

	expect_err(nt_ioctl(sem, NTSYNC_IOC_SEM_READ, &a), 0, "SEM_READ");
	return a;
}

static struct ntsync_event_args event_read(int fd)
{
	struct ntsync_event_args a = { 0 };

	expect_err(nt_ioctl(fd, NTSYNC_IOC_EVENT_READ, &a), 0, "EVENT_READ");
	return a;
}

/* EVENT_SET/RESET/PULSE; returns the previous state the driver wrote back. */
static __u32 event_op(int fd, unsigned long req, const char *what)
{
	__u32 prev = 0xdead;

	expect_err(nt_ioctl(fd, req, &prev), 0, what);
	printf("  %s: success, previous state %u\n", what, prev);
	return prev;
}

static void mutex_unlock(__u32 owner, int want_err, const char *what)
{
	struct ntsync_mutex_args a = { .owner = owner };
	int err = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_UNLOCK, &a);

	printf("  %s: %s", what, errname(err));
	if (!err)
		printf(", previous recursion count %u", a.count);
	printf("\n");
	expect_err(err, want_err, what);
}

/* ---- the fdinfo view ------------------------------------------------- */

static void read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	expect(f >= 0, "cannot open %s: %s", path, errname(errno));
	n = read(f, buf, size - 1);
	expect(n >= 0, "cannot read %s: %s", path, errname(errno));
	close(f);
	buf[n] = '\0';
}

/* The number on the "key:" line of fd's fdinfo, or -1 if there is none. */
static long fdinfo_val(int fd, const char *key)
{
	char buf[4096], pat[64], *p;

	read_fdinfo(fd, buf, sizeof(buf));
	snprintf(pat, sizeof(pat), "\n%s:", key);
	p = strstr(buf, pat);
	return p ? strtol(p + strlen(pat), NULL, 0) : -1;
}

/* One line per object: its ntsync-* fdinfo lines as key=value pairs. */
static void show(const char *name, int fd)
{
	char buf[4096], *line, *save, *val;
	int found = 0;

	read_fdinfo(fd, buf, sizeof(buf));
	printf("    %-13s fd %d:", name, fd);
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		val = strchr(line, ':');
		if (strncmp(line, "ntsync-", 7) || !val)
			continue;
		*val++ = '\0';
		val += strspn(val, " \t");
		printf(" %s=%s", line + 7, val);
		found = 1;
	}
	printf("\n");
	expect(found, "/proc/self/fdinfo/%d has no ntsync-* lines", fd);
}

static void show_all(void)
{
	show("semaphore", sem);
	show("mutex", mutex);
	show("auto event", auto_ev);
	show("manual event", manual_ev);
	show("alert event", alert);
}

/* Poll until @fd has @n queued wait entries, i.e. the waiters are asleep. */
static void wait_for_waiters(int fd, long n)
{
	__u64 end = deadline(POLL_SECONDS);
	struct timespec ms = { 0, 1000000 };
	long v;

	while ((v = fdinfo_val(fd, "ntsync-waiters")) != n) {
		expect(v >= 0, "fdinfo of fd %d has no ntsync-waiters line", fd);
		expect(deadline(0) < end,
		       "fd %d: %ld queued waiters after %d s, expected %ld",
		       fd, v, POLL_SECONDS, n);
		nanosleep(&ms, NULL);
	}
}

/* ---- worker threads -------------------------------------------------- */

struct waiter {
	const char *name;
	unsigned long req;	/* NTSYNC_IOC_WAIT_ANY or NTSYNC_IOC_WAIT_ALL */
	int objs[3];
	__u32 count;
	int alert;		/* 0: none */
	__u32 tid;		/* the owner id it passes: its thread id */
	int err;		/* 0 or the errno the wait failed with */
	__u32 index;
	pthread_t thread;
};

static void *waiter_fn(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->tid, (__u32)gettid(), __ATOMIC_SEQ_CST);
	w->err = do_wait(w->req, w->objs, w->count, w->alert, w->tid,
			 deadline(WAIT_SECONDS), &w->index);
	return NULL;
}

static void start(struct waiter *w)
{
	int err = pthread_create(&w->thread, NULL, waiter_fn, w);

	expect(!err, "pthread_create: %s", strerror(err));
}

static void finish(struct waiter *w, int want_err, __u32 want_index)
{
	pthread_join(w->thread, NULL);
	printf("  %s (tid %u) returned from %s: %s, index %u\n", w->name,
	       w->tid, w->req == NTSYNC_IOC_WAIT_ALL ? "WAIT_ALL" : "WAIT_ANY",
	       errname(w->err), w->index);
	expect_err(w->err, want_err, w->name);
	expect(w->index == want_index, "%s: index %u, expected %u",
	       w->name, w->index, want_index);
}

/* ---- the story ------------------------------------------------------- */

static void step1_setup(void)
{
	struct ntsync_sem_args sa = { .count = 0, .max = 2 };
	struct ntsync_mutex_args ma = { .owner = main_tid, .count = 1 };
	struct ntsync_event_args ea = { .manual = 0, .signaled = 0 };
	struct ntsync_wait_args wa = { .count = 1 };
	int dev2, err;

	printf("\n== 1. A Wine process opens /dev/ntsync and creates objects ==\n");
	dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	expect(dev >= 0, "cannot open /dev/ntsync: %s (is the module loaded?)",
	       errname(errno));
	printf("  open(\"/dev/ntsync\") = fd %d: one instance per process\n", dev);
	sem = create(NTSYNC_IOC_CREATE_SEM, &sa, "CREATE_SEM");
	printf("  CreateSemaphore(initial 0, max 2)   -> CREATE_SEM   returned fd %d\n", sem);
	mutex = create(NTSYNC_IOC_CREATE_MUTEX, &ma, "CREATE_MUTEX");
	printf("  CreateMutex(owned by main, tid %u) -> CREATE_MUTEX returned fd %d\n",
	       main_tid, mutex);
	auto_ev = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  CreateEvent(auto-reset, unset)      -> CREATE_EVENT returned fd %d\n", auto_ev);
	ea.manual = 1;
	manual_ev = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  CreateEvent(manual-reset, unset)    -> CREATE_EVENT returned fd %d\n", manual_ev);
	alert = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  alert event (manual-reset; Wine sets a thread's one to deliver APCs) -> fd %d\n",
	       alert);
	expect(fdinfo_val(sem, "flags") & O_CLOEXEC, "object fds must be close-on-exec");
	printf("  Objects are close-on-exec files; their state, from /proc/self/fdinfo/<fd>:\n");
	show_all();

	dev2 = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	expect(dev2 >= 0, "second open of /dev/ntsync: %s", errname(errno));
	wa.objs = (uintptr_t)&sem;
	wa.owner = main_tid;
	err = nt_ioctl(dev2, NTSYNC_IOC_WAIT_ANY, &wa);
	printf("  Another process's instance (fd %d) waiting on our semaphore -> %s\n",
	       dev2, errname(err));
	expect_err(err, EINVAL, "WAIT_ANY through another instance");
	close(dev2);
}

static void step2_wait_all(void)
{
	struct waiter w1 = { .name = "W1", .req = NTSYNC_IOC_WAIT_ALL, .count = 3 };
	struct ntsync_mutex_args m;
	__u32 v, index;
	int err;

	printf("\n== 2. WaitForMultipleObjects(bWaitAll=TRUE) on {mutex, semaphore, auto event} ==\n");
	w1.objs[0] = mutex;
	w1.objs[1] = sem;
	w1.objs[2] = auto_ev;
	w1.alert = alert;
	start(&w1);
	wait_for_waiters(mutex, 1);
	wait_for_waiters(sem, 1);
	wait_for_waiters(auto_ev, 1);
	printf("  W1 (tid %u) sleeps in WAIT_ALL {fd %d, %d, %d}, alert fd %d, timeout now+%ds.\n",
	       __atomic_load_n(&w1.tid, __ATOMIC_SEQ_CST), mutex, sem, auto_ev,
	       alert, WAIT_SECONDS);
	printf("  Each object has one queued waiter, a wait-all one:\n");
	show("mutex", mutex);
	show("semaphore", sem);
	show("auto event", auto_ev);
	expect(fdinfo_val(sem, "ntsync-waiters-all") == 1, "ntsync-waiters-all should be 1");

	v = 1;
	expect_err(nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &v), 0, "SEM_RELEASE");
	printf("  main: ReleaseSemaphore(sem, 1) -> SEM_RELEASE: success, previous count %u\n", v);
	expect(v == 0 && sem_read().count == 1, "the semaphore count should now be 1");
	printf("  W1 still sleeps and took nothing: the count stays 1\n"
	       "  (a wait-all acquires all of its objects at once, or nothing).\n");
	err = do_wait(NTSYNC_IOC_WAIT_ANY, &sem, 1, 0, main_tid, 0, &index);
	printf("  main: WaitForSingleObject(sem, 0) -> WAIT_ANY, timeout in the past: %s, index %u\n",
	       errname(err), index);
	expect_err(err, 0, "try-once WAIT_ANY on the semaphore");
	printf("  ...so others may still take it: count %u. main releases it again.\n",
	       sem_read().count);
	v = 1;
	expect_err(nt_ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &v), 0, "SEM_RELEASE");

	event_op(auto_ev, NTSYNC_IOC_EVENT_SET, "main: SetEvent(auto event) -> EVENT_SET");
	expect(event_read(auto_ev).signaled == 1, "the auto event should stay set");
	printf("  W1 still sleeps (main owns the mutex); semaphore and event stay signaled:\n");
	show("mutex", mutex);
	show("semaphore", sem);
	show("auto event", auto_ev);

	mutex_unlock(main_tid, 0, "main: ReleaseMutex(mutex) -> MUTEX_UNLOCK{owner=main}");
	finish(&w1, 0, 0);
	printf("  All three were signaled at once, so W1 took all three in one atomic step:\n");
	show("mutex", mutex);
	show("semaphore", sem);
	show("auto event", auto_ev);
	m.owner = m.count = 0;
	expect_err(nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &m), 0, "MUTEX_READ");
	expect(m.owner == w1.tid && m.count == 1, "W1 should own the mutex once");
	expect(sem_read().count == 0, "W1 should have taken the semaphore");
	expect(event_read(auto_ev).signaled == 0, "W1 should have reset the auto event");

	mutex_unlock(main_tid, EPERM, "main: MUTEX_UNLOCK{owner=main}, not the owner");
	printf("  Owner ids are just numbers to the driver, so main can release for W1:\n");
	mutex_unlock(w1.tid, 0, "ReleaseMutex as W1 -> MUTEX_UNLOCK{owner=W1}");
}

static void step3_alert(void)
{
	struct waiter w2 = { .name = "W2", .req = NTSYNC_IOC_WAIT_ANY, .count = 2 };
	__u32 index;
	int err;

	printf("\n== 3. An alertable wait woken by an APC ==\n");
	w2.objs[0] = sem;
	w2.objs[1] = auto_ev;
	w2.alert = alert;
	start(&w2);
	wait_for_waiters(sem, 1);
	wait_for_waiters(auto_ev, 1);
	printf("  W2 sleeps in WaitForMultipleObjectsEx({sem, auto event}, alertable)\n"
	       "  = WAIT_ANY {fd %d, %d} with alert fd %d (nothing is signaled):\n",
	       sem, auto_ev, alert);
	show("semaphore", sem);
	show("alert event", alert);
	event_op(alert, NTSYNC_IOC_EVENT_SET, "main: QueueUserAPC(W2) -> EVENT_SET(alert)");
	finish(&w2, 0, 2);
	printf("  index 2 == count: the alert ended the wait -> STATUS_USER_APC, W2 runs its APCs.\n");
	event_op(alert, NTSYNC_IOC_EVENT_RESET, "W2 resets its alert event -> EVENT_RESET");

	printf("  If an object and the alert are both signaled, the object wins:\n");
	event_op(auto_ev, NTSYNC_IOC_EVENT_SET, "main: EVENT_SET(auto event)");
	event_op(alert, NTSYNC_IOC_EVENT_SET, "main: EVENT_SET(alert)");
	err = do_wait(NTSYNC_IOC_WAIT_ANY, w2.objs, 2, alert, main_tid, 0, &index);
	printf("  main: WAIT_ANY {sem, auto event} + alert, try once -> %s, index %u\n",
	       errname(err), index);
	expect_err(err, 0, "WAIT_ANY with event and alert signaled");
	expect(index == 1, "index should be 1 (the event), got %u", index);
	expect(event_read(auto_ev).signaled == 0, "the auto event should be consumed");
	event_op(alert, NTSYNC_IOC_EVENT_RESET, "main: EVENT_RESET(alert)");
}

static void step4_abandoned(void)
{
	struct waiter a = { .name = "A", .req = NTSYNC_IOC_WAIT_ANY, .count = 1 };
	struct waiter b = { .name = "B", .req = NTSYNC_IOC_WAIT_ANY, .count = 1 };
	struct ntsync_mutex_args m = { 0xdead, 0xdead };
	__u32 id;
	int err;

	printf("\n== 4. A thread dies holding a mutex (WAIT_ABANDONED) ==\n");
	a.objs[0] = b.objs[0] = mutex;
	printf("  Thread A: WaitForSingleObject(mutex) -> WAIT_ANY {fd %d}, owner = its tid\n", mutex);
	start(&a);
	finish(&a, 0, 0);
	printf("  A exits without ReleaseMutex. The driver does not track threads:\n");
	show("mutex", mutex);
	id = main_tid;
	err = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &id);
	printf("  MUTEX_KILL(main's tid) -> %s (main is not the owner)\n", errname(err));
	expect_err(err, EPERM, "MUTEX_KILL by a non-owner");
	id = a.tid;
	err = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_KILL, &id);
	printf("  wineserver sees A die: MUTEX_KILL(A's tid %u) -> %s\n", id, errname(err));
	expect_err(err, 0, "MUTEX_KILL by the owner");
	err = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &m);
	printf("  MUTEX_READ -> %s, owner %u, count %u: unowned and abandoned\n",
	       errname(err), m.owner, m.count);
	expect_err(err, EOWNERDEAD, "MUTEX_READ of an abandoned mutex");
	expect(m.owner == 0 && m.count == 0, "MUTEX_READ should report owner 0, count 0");
	show("mutex", mutex);

	printf("  Thread B: WaitForSingleObject(mutex):\n");
	start(&b);
	finish(&b, EOWNERDEAD, 0);
	printf("  EOWNERDEAD with index 0 = WAIT_ABANDONED_0: B owns the mutex anyway.\n");
	err = nt_ioctl(mutex, NTSYNC_IOC_MUTEX_READ, &m);
	expect_err(err, 0, "MUTEX_READ after B acquired");
	expect(m.owner == b.tid && m.count == 1, "B should own the mutex once");
	show("mutex", mutex);
	mutex_unlock(b.tid, 0, "ReleaseMutex as B -> MUTEX_UNLOCK{owner=B}");
}

static void step5_pulse(void)
{
	static const char *const names[3] = { "P1", "P2", "P3" };
	struct waiter p[3] = { 0 };
	struct ntsync_event_args e;
	__u32 index;
	int i, err;

	printf("\n== 5. PulseEvent on a manual-reset event ==\n");
	for (i = 0; i < 3; i++) {
		p[i].name = names[i];
		p[i].req = NTSYNC_IOC_WAIT_ANY;
		p[i].objs[0] = manual_ev;
		p[i].count = 1;
		start(&p[i]);
	}
	wait_for_waiters(manual_ev, 3);
	printf("  P1, P2, P3 sleep in WaitForSingleObject(manual event) -> WAIT_ANY {fd %d}:\n",
	       manual_ev);
	show("manual event", manual_ev);
	event_op(manual_ev, NTSYNC_IOC_EVENT_PULSE, "main: PulseEvent -> EVENT_PULSE");
	for (i = 0; i < 3; i++)
		finish(&p[i], 0, 0);
	e = event_read(manual_ev);
	printf("  EVENT_READ: manual %u, signaled %u: all woke, yet the event is unsignaled.\n",
	       e.manual, e.signaled);
	expect(e.manual == 1 && e.signaled == 0, "the pulse must leave the event unsignaled");
	err = do_wait(NTSYNC_IOC_WAIT_ANY, &manual_ev, 1, 0, main_tid, 0, &index);
	printf("  A later WaitForSingleObject(event, 0) -> %s\n", errname(err));
	expect_err(err, ETIMEDOUT, "try-once WAIT_ANY after the pulse");
}

static void step6_final(void)
{
	char buf[4096];
	int fds[] = { sem, mutex, auto_ev, manual_ev, alert };
	unsigned int i;

	printf("\n== 6. Final state ==\n");
	show_all();
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		expect(fdinfo_val(fds[i], "ntsync-waiters") == 0,
		       "fd %d still has queued waiters", fds[i]);
	read_fdinfo(mutex, buf, sizeof(buf));
	printf("  The raw /proc/self/fdinfo/%d of the mutex:\n", mutex);
	fputs(buf, stdout);
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	close(dev);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	alarm(120);
	main_tid = gettid();

	printf("ntsync-demo: NT synchronization objects as Wine uses them (main tid %u)\n",
	       main_tid);
	step1_setup();
	step2_wait_all();
	step3_alert();
	step4_abandoned();
	step5_pulse();
	step6_final();
	printf("\nPASS: every step behaved as the ntsync contract says.\n");
	return 0;
}
