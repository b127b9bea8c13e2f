// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-demo: what an NT emulator (Wine) does with /dev/ntsync, narrated
 * step by step.  It doubles as a smoke test: the exit status is 0 only if
 * every step behaved as the ntsync contract says.
 *
 * Build: make -C tools/demo OUTPUT=<dir>
 *
 * It has Wine's shape: one "wineserver" process opens /dev/ntsync, creates
 * the objects and hands their fds, and the device's, to its "client"
 * processes over a unix socket (SCM_RIGHTS), as Wine's server does; the
 * clients wait through the server's instance.  Threads stand in for
 * Windows threads and their kernel thread id is the mutex "owner" they
 * pass (Wine passes its thread ids).  The last step is a deadlock between
 * two clients, which ntsync-top (NTSYNC_TOP, default /ntsync-top) names.  To know that a thread is really
 * asleep in the driver we poll the object's /proc/self/fdinfo waiter count
 * instead of sleeping, so the output is the same on every run (apart from
 * fd numbers and thread ids).  Every wait gives up after WAIT_SECONDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ntsync.h>

#define WAIT_SECONDS	30	/* timeout of every wait */
#define POLL_SECONDS	10	/* how long to wait for a thread to block */
#define NSEC_PER_SEC	1000000000ULL

static int dev;				/* the server's instance, in every process */
static int sem, mutex, auto_ev, manual_ev, alert;
static __u32 main_tid;			/* the client's main thread */
static const char *who = "";		/* "server" or "client": prefix of FAIL */

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("\nFAIL (%s): ", who);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nntsync-demo: %s stopped, exit status 1.\n", who);
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

/*
 * One line per object: its ntsync-* fdinfo lines as key=value pairs, then
 * one line per queued waiter (without its age, which changes every run).
 */
static void show(const char *name, int fd)
{
	char buf[4096], *line, *save, *val, waiters[2048] = "";
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
		if (!strcmp(line, "ntsync-waiter")) {
			char *age = strstr(val, " waited-ms=");

			if (age)
				*age = '\0';
			snprintf(waiters + strlen(waiters), sizeof(waiters) - strlen(waiters),
				 "      waiter: %s\n", val);
			continue;
		}
		printf(" %s=%s", line + 7, val);
		found = 1;
	}
	printf("\n%s", waiters);
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

/* ---- the server and its clients ------------------------------------ */

/* Send @n fds (and @tag, for the narration) over the unix socket @sock. */
static void send_fds(int sock, const int *fds, int n, __u32 tag)
{
	char ctl[CMSG_SPACE(8 * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	expect(sendmsg(sock, &msg, 0) == sizeof(tag), "sendmsg: %s", errname(errno));
}

/* Receive the fds send_fds() sent (close-on-exec, as Wine asks); @n of them. */
static __u32 recv_fds(int sock, int *fds, int n)
{
	char ctl[CMSG_SPACE(8 * sizeof(int))];
	__u32 tag = 0;
	struct iovec iov = { .iov_base = &tag, .iov_len = sizeof(tag) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;

	expect(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) == sizeof(tag),
	       "recvmsg: %s", errname(errno));
	c = CMSG_FIRSTHDR(&msg);
	expect(c && c->cmsg_type == SCM_RIGHTS &&
	       c->cmsg_len == CMSG_LEN(n * sizeof(int)), "expected %d fds", n);
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return tag;
}

static void send_u32(int sock, __u32 v)
{
	expect(write(sock, &v, sizeof(v)) == sizeof(v), "write: %s", errname(errno));
}

static __u32 recv_u32(int sock)
{
	__u32 v;

	expect(read(sock, &v, sizeof(v)) == sizeof(v), "read from the other process: %s",
	       errname(errno));
	return v;
}

/* Start a client process running @fn with one end of a unix socket. */
static pid_t start_client(void (*fn)(int sock), int *sock)
{
	int sv[2];
	pid_t pid;

	expect(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
	       "socketpair: %s", errname(errno));
	fflush(stdout);
	pid = fork();
	expect(pid >= 0, "fork: %s", errname(errno));
	if (!pid) {
		int fd;

		/* Like a process Wine starts: it has only what the server sends. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != sv[1])
				close(fd);
		who = "client";
		fn(sv[1]);
		exit(0);
	}
	close(sv[1]);
	*sock = sv[0];
	return pid;
}

/* The client ended with status 0 (it checks its own steps). */
static void join_client(pid_t pid, const char *name)
{
	int status;

	expect(waitpid(pid, &status, 0) == pid, "waitpid: %s", errname(errno));
	expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "%s (pid %d) failed (status 0x%x)", name, pid, status);
}

static void step1_server(int sock)
{
	struct ntsync_sem_args sa = { .count = 0, .max = 2 };
	struct ntsync_mutex_args ma = { .count = 1 };
	struct ntsync_event_args ea = { .manual = 0, .signaled = 0 };
	int fds[6];

	printf("\n== 1. The wineserver opens /dev/ntsync, creates objects and hands them out ==\n");
	ma.owner = recv_u32(sock);
	printf("  server (pid %d): a client (main thread tid %u) connected over a unix socket\n",
	       getpid(), ma.owner);
	dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	expect(dev >= 0, "cannot open /dev/ntsync: %s (is the module loaded?)",
	       errname(errno));
	printf("  open(\"/dev/ntsync\") = fd %d: one instance for the whole prefix, instance %ld\n",
	       dev, fdinfo_val(dev, "ntsync-instance"));
	sem = create(NTSYNC_IOC_CREATE_SEM, &sa, "CREATE_SEM");
	printf("  CreateSemaphore(initial 0, max 2)   -> CREATE_SEM   returned fd %d\n", sem);
	mutex = create(NTSYNC_IOC_CREATE_MUTEX, &ma, "CREATE_MUTEX");
	printf("  CreateMutex(owned by the client's main, tid %u) -> CREATE_MUTEX returned fd %d\n",
	       ma.owner, mutex);
	auto_ev = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  CreateEvent(auto-reset, unset)      -> CREATE_EVENT returned fd %d\n", auto_ev);
	ea.manual = 1;
	manual_ev = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  CreateEvent(manual-reset, unset)    -> CREATE_EVENT returned fd %d\n", manual_ev);
	alert = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  the client thread's alert event (manual-reset; set to deliver APCs) -> fd %d\n",
	       alert);
	expect(fdinfo_val(sem, "flags") & O_CLOEXEC, "object fds must be close-on-exec");
	printf("  Objects are close-on-exec files; their state, from /proc/self/fdinfo/<fd>:\n");
	show_all();
	fds[0] = dev;
	fds[1] = sem;
	fds[2] = mutex;
	fds[3] = auto_ev;
	fds[4] = manual_ev;
	fds[5] = alert;
	send_fds(sock, fds, 6, 0);
	printf("  server: sent the device fd and the five object fds to the client (SCM_RIGHTS)\n");
}

static void step1_client(int sock)
{
	struct ntsync_wait_args wa = { .count = 1 };
	long inst, obj;
	int fds[6], dev2, err;

	send_u32(sock, main_tid);
	recv_fds(sock, fds, 6);
	dev = fds[0];
	sem = fds[1];
	mutex = fds[2];
	auto_ev = fds[3];
	manual_ev = fds[4];
	alert = fds[5];
	inst = fdinfo_val(dev, "ntsync-instance");
	obj = fdinfo_val(mutex, "ntsync-object");
	printf("  client (pid %d, main tid %u) received fds %d (device), %d, %d, %d, %d, %d:\n"
	       "  other numbers, the same files: instance %ld, the mutex is object %ld there too\n",
	       getpid(), main_tid, dev, sem, mutex, auto_ev, manual_ev, alert, inst, obj);
	expect(fdinfo_val(sem, "ntsync-instance") == inst, "objects of another instance");

	dev2 = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	expect(dev2 >= 0, "second open of /dev/ntsync: %s", errname(errno));
	wa.objs = (uintptr_t)&sem;
	wa.owner = main_tid;
	err = nt_ioctl(dev2, NTSYNC_IOC_WAIT_ANY, &wa);
	printf("  Had the client opened its own instance (fd %d, instance %ld), waiting on the\n"
	       "  server's semaphore through it -> %s: that is why the server hands out its device fd\n",
	       dev2, fdinfo_val(dev2, "ntsync-instance"), errname(err));
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

/* ---- 7. a deadlock, and ntsync-top naming it ------------------------ */

/*
 * A client of the deadlock: it receives the device, both mutexes and its
 * alert, takes its own mutex, says so, and on "go" waits for the other's:
 * process A with WAIT_ANY {mutex B}, process B with WAIT_ALL {mutex A,
 * mutex B} (B already owns mutex B; a WAIT_ALL may take it again).
 */
static void deadlock_client(int sock)
{
	int fds[4], objs[2], own, err;
	bool is_a;
	__u32 tid = gettid(), index;

	is_a = recv_fds(sock, fds, 4) == 'A';
	dev = fds[0];
	own = is_a ? fds[1] : fds[2];
	err = do_wait(NTSYNC_IOC_WAIT_ANY, &own, 1, 0, tid, deadline(WAIT_SECONDS), &index);
	expect_err(err, 0, "taking its own mutex");
	send_u32(sock, tid);
	recv_u32(sock);
	if (is_a) {
		objs[0] = fds[2];
		err = do_wait(NTSYNC_IOC_WAIT_ANY, objs, 1, fds[3], tid,
			      deadline(WAIT_SECONDS), &index);
	} else {
		objs[0] = fds[1];
		objs[1] = fds[2];
		err = do_wait(NTSYNC_IOC_WAIT_ALL, objs, 2, fds[3], tid,
			      deadline(WAIT_SECONDS), &index);
	}
	printf("  process %c (tid %u): its wait returned %s, index %u\n", is_a ? 'A' : 'B',
	       tid, errname(err), index);
	/* A gets mutex B when the server reports B's death: WAIT_ABANDONED. */
	expect_err(err, EOWNERDEAD, "process A's wait");
	expect(index == 0, "index %u, expected 0", index);
}

static void step7_deadlock(void)
{
	struct ntsync_mutex_args ma = { 0 };
	struct ntsync_event_args ea = { .manual = 1 };
	const char *top = getenv("NTSYNC_TOP");
	int ma_fd, mb_fd, al_a, al_b, sa, sb, fds[4];
	char cmd[256], line[512];
	__u32 tid_a, tid_b;
	int saw_cycle = 0;
	pid_t a, b;
	FILE *p;

	printf("\n== 7. A deadlock between two processes, and ntsync-top naming it ==\n");
	ma_fd = create(NTSYNC_IOC_CREATE_MUTEX, &ma, "CREATE_MUTEX");
	mb_fd = create(NTSYNC_IOC_CREATE_MUTEX, &ma, "CREATE_MUTEX");
	al_a = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	al_b = create(NTSYNC_IOC_CREATE_EVENT, &ea, "CREATE_EVENT");
	printf("  server: mutex A (object %ld), mutex B (object %ld), an alert event per client\n",
	       fdinfo_val(ma_fd, "ntsync-object"), fdinfo_val(mb_fd, "ntsync-object"));
	a = start_client(deadlock_client, &sa);
	b = start_client(deadlock_client, &sb);
	fds[0] = dev;
	fds[1] = ma_fd;
	fds[2] = mb_fd;
	fds[3] = al_a;
	send_fds(sa, fds, 4, 'A');
	fds[3] = al_b;
	send_fds(sb, fds, 4, 'B');
	tid_a = recv_u32(sa);
	tid_b = recv_u32(sb);
	printf("  process A (pid %d, tid %u) owns mutex A; process B (pid %d, tid %u) owns mutex B\n",
	       a, tid_a, b, tid_b);
	send_u32(sa, 1);
	send_u32(sb, 1);
	wait_for_waiters(mb_fd, 2);
	wait_for_waiters(ma_fd, 1);
	printf("  A: WaitForSingleObjectEx(mutex B, alertable)               -> WAIT_ANY, asleep\n"
	       "  B: WaitForMultipleObjectsEx({mutex A, mutex B}, all, alertable) -> WAIT_ALL, asleep\n"
	       "  Each waits for the other. What the server's fdinfo shows:\n");
	show("mutex A", ma_fd);
	show("mutex B", mb_fd);

	snprintf(cmd, sizeof(cmd), "%s --once 2>&1", top ? top : "/ntsync-top");
	printf("  $ ntsync-top --once\n");
	fflush(stdout);
	p = popen(cmd, "r");
	expect(p != NULL, "popen %s: %s", cmd, errname(errno));
	while (fgets(line, sizeof(line), p)) {
		char ta[32], tb[32];

		printf("  | %s", line);
		snprintf(ta, sizeof(ta), "thread %u ", tid_a);
		snprintf(tb, sizeof(tb), "thread %u ", tid_b);
		if (strstr(line, "DEADLOCK:") && strstr(line, ta) && strstr(line, tb))
			saw_cycle = 1;
	}
	expect(pclose(p) == 0, "%s failed", cmd);
	expect(saw_cycle, "ntsync-top did not name the deadlock of threads %u and %u",
	       tid_a, tid_b);

	printf("  The user kills process B; the wineserver sees it die and reports its mutex:\n");
	kill(b, SIGKILL);
	expect(waitpid(b, NULL, 0) == b, "waitpid: %s", errname(errno));
	expect_err(nt_ioctl(mb_fd, NTSYNC_IOC_MUTEX_KILL, &tid_b), 0, "MUTEX_KILL");
	printf("  server: MUTEX_KILL(mutex B, B's tid %u): success\n", tid_b);
	join_client(a, "process A");
	printf("  A got mutex B, abandoned (WAIT_ABANDONED_0): the hang is over.\n");
	close(sa);
	close(sb);
	close(ma_fd);
	close(mb_fd);
	close(al_a);
	close(al_b);
}

/* The client of steps 1 to 6: one Wine process and its threads. */
static void story_client(int sock)
{
	main_tid = gettid();
	step1_client(sock);
	step2_wait_all();
	step3_alert();
	step4_abandoned();
	step5_pulse();
	step6_final();
	close(sock);
}

int main(void)
{
	pid_t client;
	int sock;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, watchdog);
	alarm(120);
	who = "server";

	printf("ntsync-demo: NT synchronization objects as Wine uses them (server pid %d)\n",
	       getpid());
	client = start_client(story_client, &sock);
	step1_server(sock);
	join_client(client, "the client");
	close(sock);
	printf("  (the client exited; the server still holds the objects: they live on)\n");
	step7_deadlock();
	printf("\nPASS: every step behaved as the ntsync contract says.\n");
	return 0;
}
