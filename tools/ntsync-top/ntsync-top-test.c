// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-top-test: ntsync-top on waits whose shape is known, in the test
 * guest (TAP).  It runs the tool as a user would, "ntsync-top --once" and
 * "--json", and reads what it printed.
 *
 *   ntsync-top-test [PATH-OF-NTSYNC-TOP]     (default /ntsync-top)
 *
 * 1. A scripted deadlock: two processes share one instance (the second
 *    gets the device fd and the objects by fork); process A owns mutex 1
 *    and waits for mutex 2 (WAIT_ANY), process B owns mutex 2 and waits
 *    for both (WAIT_ALL, with an alert).  The tool must name a cycle with
 *    both threads and both mutexes.
 * 2. Waits that are not deadlocked: the same two mutexes, but A's wait may
 *    also be ended by an event (a way out), and a thread waiting on a
 *    mutex whose owner is running.  No deadlock may be reported, the
 *    owner must be mapped to its thread.
 * 3. A busy run: threads ping-ponging events and contending for a mutex
 *    while the tool takes snapshots: never a deadlock.
 * 4. More waiters than the driver lists: two threads each wait on one event
 *    at 64 positions and as its alert (130 entries; the driver lists 128).
 *    The tool must say how many are not listed, in text and JSON.
 *
 * No test depends on timing: every "the thread is asleep" is read from
 * fdinfo, and every wait ends by SIGKILL or by a signal from the test.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/ntsync.h>

#define PLAN		19
#define POLL_SECONDS	30
#define FOREVER		UINT64_MAX

static const char *top = "/ntsync-top";
static int tests, failures;

static void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Print a program's output as TAP comments. */
static void diag(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchrnul(p, '\n');
		printf("# %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

static unsigned long long fdinfo_val(int fd, const char *key)
{
	char path[64], buf[8192], pat[64], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		bail(path);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		bail(path);
	buf[n] = 0;
	snprintf(pat, sizeof(pat), "\n%s:\t", key);
	p = strstr(buf, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : ~0ULL;
}

/* Wait (without a time assertion) until fd has n queued wait entries. */
static int wait_for_waiters(int fd, unsigned long long n)
{
	struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < POLL_SECONDS * 1000; i++) {
		if (fdinfo_val(fd, "ntsync-waiters") == n)
			return 0;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* Run the tool with args; its standard output, malloc'ed. */
static char *run_top(const char *args)
{
	char cmd[512], *out = NULL;
	size_t len = 0, cap = 0;
	FILE *p;
	int c;

	snprintf(cmd, sizeof(cmd), "%s %s", top, args);
	p = popen(cmd, "r");
	if (!p)
		bail("popen");
	while ((c = fgetc(p)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 4096;
			out = realloc(out, cap);
			if (!out)
				bail("realloc");
		}
		out[len++] = c;
	}
	if (!out)
		out = calloc(1, 1);
	out[len] = 0;
	if (pclose(p) != 0)
		printf("# %s exited with a failure\n", cmd);
	return out;
}

static int create_mutex(int dev, __u32 owner, __u32 count)
{
	struct ntsync_mutex_args a = { .owner = owner, .count = count };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &a);

	if (fd < 0)
		bail("CREATE_MUTEX");
	return fd;
}

static int create_event(int dev, int manual, int signaled)
{
	struct ntsync_event_args a = { .manual = manual, .signaled = signaled };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &a);

	if (fd < 0)
		bail("CREATE_EVENT");
	return fd;
}

static int nt_wait(int dev, unsigned long req, const int *objs, __u32 count,
		   __u32 owner, int alert, __u64 timeout)
{
	struct ntsync_wait_args a = {
		.timeout = timeout, .objs = (uintptr_t)objs, .count = count,
		.owner = owner, .alert = alert,
	};

	return ioctl(dev, req, &a) < 0 ? errno : 0;
}

/*
 * A child that takes `own` (created unowned) with its tid as owner, tells
 * the parent its tid through one pipe, and once the parent writes to the
 * other (when every child holds its mutex), makes its second wait, which
 * lasts until it is killed.
 */
struct kid {
	pid_t pid, tid;
	int go;			/* write a byte here to start the second wait */
};

static void child(struct kid *k, int dev, int own, unsigned long req,
		  const int *objs, __u32 count, int alert)
{
	int up[2], down[2];
	char c = 0;

	if (pipe(up) || pipe(down))
		bail("pipe");
	k->pid = fork();
	if (k->pid < 0)
		bail("fork");
	if (!k->pid) {
		pid_t me = gettid();

		if (nt_wait(dev, NTSYNC_IOC_WAIT_ANY, &own, 1, me, 0, FOREVER))
			_exit(10);
		if (write(up[1], &me, sizeof(me)) != sizeof(me) ||
		    read(down[0], &c, 1) != 1)
			_exit(11);
		nt_wait(dev, req, objs, count, me, alert, FOREVER);
		_exit(12);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], &k->tid, sizeof(k->tid)) != sizeof(k->tid))
		bail("child did not start");
	close(up[0]);
	k->go = down[1];
}

static void go(struct kid *k)
{
	if (write(k->go, "", 1) != 1)
		bail("write");
	close(k->go);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int has(const char *out, const char *fmt, ...)
{
	char want[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return strstr(out, want) != NULL;
}

/* The text of the DEADLOCK line, or "" if there is none. */
static const char *deadlock_line(const char *out, char *buf, size_t size)
{
	const char *p = strstr(out, "DEADLOCK:");
	size_t n;

	buf[0] = 0;
	if (!p)
		return buf;
	n = strcspn(p, "\n");
	snprintf(buf, size, "%.*s", (int)(n < size - 1 ? n : size - 1), p);
	return buf;
}

static void test_deadlock(void)
{
	int dev, m1, m2, alert, objs_a[1], objs_b[2];
	unsigned long long id1, id2;
	char line[1024], *out;
	struct kid ka, kb;
	pid_t a, b, tid_a, tid_b;
	int shown;

	dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		bail("/dev/ntsync");
	m1 = create_mutex(dev, 0, 0);
	m2 = create_mutex(dev, 0, 0);
	alert = create_event(dev, 1, 0);
	id1 = fdinfo_val(m1, "ntsync-object");
	id2 = fdinfo_val(m2, "ntsync-object");

	/* A takes m1, then waits for m2; B takes m2, then waits for both. */
	objs_a[0] = m2;
	child(&ka, dev, m1, NTSYNC_IOC_WAIT_ANY, objs_a, 1, 0);
	objs_b[0] = m1;
	objs_b[1] = m2;
	child(&kb, dev, m2, NTSYNC_IOC_WAIT_ALL, objs_b, 2, alert);
	go(&ka);
	go(&kb);
	a = ka.pid;
	b = kb.pid;
	tid_a = ka.tid;
	tid_b = kb.tid;
	shown = !wait_for_waiters(m1, 1) && !wait_for_waiters(m2, 2);
	ok(shown, "deadlock: A (tid %d) waits for mutex %llu, B (tid %d) for %llu and %llu",
	   tid_a, id2, tid_b, id1, id2);

	out = run_top("--once");
	deadlock_line(out, line, sizeof(line));
	ok(has(out, "deadlocks: 1,"), "deadlock: ntsync-top --once counts one deadlock");
	ok(has(line, "thread %d ", tid_a) && has(line, "thread %d ", tid_b) &&
	   has(line, "mutex %llu ", id1) && has(line, "mutex %llu ", id2) &&
	   has(line, "WAIT_ALL") && has(line, "WAIT_ANY"),
	   "deadlock: its cycle names both threads, both mutexes and both kinds of wait");
	ok(has(out, "owner %d = thread %d (", tid_a, tid_a) &&
	   has(out, "owner %d = thread %d (", tid_b, tid_b),
	   "deadlock: each mutex's owner is mapped to its thread");
	diag(out);
	free(out);

	out = run_top("--json");
	ok(has(out, "\"deadlocks\": 1, ") &&
	   has(out, "{\"tid\": %d, \"pid\": %d, \"wait\": \"any\", \"object\": %llu, \"owner\": %d}",
	       tid_a, a, id2, tid_b) &&
	   has(out, "{\"tid\": %d, \"pid\": %d, \"wait\": \"all\", \"object\": %llu, \"owner\": %d}",
	       tid_b, b, id1, tid_a),
	   "deadlock: ntsync-top --json names the same cycle");
	ok(has(out, "\"wait\": \"all\", \"objects\": [%llu, %llu], \"alert\": %llu", id1, id2,
	       fdinfo_val(alert, "ntsync-object")),
	   "deadlock: --json shows B's WAIT_ALL with its objects and its alert");
	diag(out);
	free(out);

	reap(a);
	reap(b);
	ok(!wait_for_waiters(m1, 0) && !wait_for_waiters(m2, 0),
	   "deadlock: killing both ends the waits");
	out = run_top("--once");
	ok(has(out, "deadlocks: 0,") && !strstr(out, "DEADLOCK"),
	   "deadlock: after it, ntsync-top reports none");
	free(out);
	close(m1);
	close(m2);
	close(alert);
	close(dev);
}

static int g_dev, g_mutex;

static void *hold_wait(void *arg)
{
	int ev = *(int *)arg;

	/* waits on the mutex main owns: main is running, so no deadlock */
	nt_wait(g_dev, NTSYNC_IOC_WAIT_ANY, &g_mutex, 1, gettid(), ev, FOREVER);
	return NULL;
}

static void test_no_deadlock(void)
{
	int dev, m1, m2, ev, objs_a[2], objs_b[2], stop;
	pid_t me = gettid();
	struct kid ka, kb;
	char line[1024], *out;
	pthread_t t;

	dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	if (dev < 0)
		bail("/dev/ntsync");
	m1 = create_mutex(dev, 0, 0);
	m2 = create_mutex(dev, 0, 0);
	ev = create_event(dev, 0, 0);
	stop = create_event(dev, 1, 0);

	/* As above, but A's WAIT_ANY may also be ended by an event. */
	objs_a[0] = m2;
	objs_a[1] = ev;
	child(&ka, dev, m1, NTSYNC_IOC_WAIT_ANY, objs_a, 2, 0);
	objs_b[0] = m1;
	objs_b[1] = m2;
	child(&kb, dev, m2, NTSYNC_IOC_WAIT_ALL, objs_b, 2, 0);
	go(&ka);
	go(&kb);
	/* And a thread of ours waits on a mutex we (running) own. */
	g_dev = dev;
	g_mutex = create_mutex(dev, me, 1);
	if (pthread_create(&t, NULL, hold_wait, &stop))
		bail("pthread_create");
	ok(!wait_for_waiters(m1, 1) && !wait_for_waiters(m2, 2) && !wait_for_waiters(ev, 1) &&
	   !wait_for_waiters(g_mutex, 1),
	   "no deadlock: A waits for mutex 2 or an event, B for both mutexes, C for ours");

	out = run_top("--once");
	ok(has(out, "deadlocks: 0,") && !*deadlock_line(out, line, sizeof(line)),
	   "no deadlock: a wait with a way out (an event) breaks the cycle");
	ok(has(out, "owner %d = thread %d (", me, me) && has(out, ", pid %d, running)", getpid()),
	   "no deadlock: the owner of our mutex is shown as our running thread");
	ok(has(out, "WAIT_ALL {mutex %llu, mutex %llu}", fdinfo_val(m1, "ntsync-object"),
	       fdinfo_val(m2, "ntsync-object")),
	   "no deadlock: B's WAIT_ALL is shown with its two mutexes");
	diag(out);
	free(out);

	/* Let C go through its alert; the children by SIGKILL. */
	if (ioctl(stop, NTSYNC_IOC_EVENT_SET, &(__u32){ 0 }))
		bail("EVENT_SET");
	pthread_join(t, NULL);
	reap(ka.pid);
	reap(kb.pid);
	ok(!wait_for_waiters(m1, 0) && !wait_for_waiters(g_mutex, 0), "no deadlock: all waits ended");
	close(m1);
	close(m2);
	close(ev);
	close(stop);
	close(g_mutex);
	close(dev);
}

/* ---- more waiters than the driver lists ---------------------------- */

static int c_dev, c_event;

static void *crowd_wait(void *arg __attribute__((unused)))
{
	int objs[64], i;

	for (i = 0; i < 64; i++)
		objs[i] = c_event;
	nt_wait(c_dev, NTSYNC_IOC_WAIT_ANY, objs, 64, gettid(), c_event, FOREVER);
	return NULL;
}

static void test_unlisted(void)
{
	pthread_t t[2];
	char *out;
	int i;

	c_dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	if (c_dev < 0)
		bail("/dev/ntsync");
	c_event = create_event(c_dev, 1, 0);
	for (i = 0; i < 2; i++) {
		if (pthread_create(&t[i], NULL, crowd_wait, NULL))
			bail("pthread_create");
		if (wait_for_waiters(c_event, 65 * (i + 1)))
			bail("the crowd's waits were not queued");
	}
	out = run_top("--once");
	ok(has(out, "; 130 waiters (2 not listed by the driver: "),
	   "unlisted: 130 waiters, 2 of them not listed");
	diag(out);
	free(out);
	out = run_top("--json");
	ok(has(out, "\"waiters\": 130, \"waiters_unlisted\": 2}"),
	   "unlisted: --json counts them too");
	free(out);
	if (ioctl(c_event, NTSYNC_IOC_EVENT_SET, &(__u32){ 0 }))
		bail("EVENT_SET");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ok(!wait_for_waiters(c_event, 0), "unlisted: the waits ended");
	close(c_event);
	close(c_dev);
}

/* ---- a busy run ------------------------------------------------------ */

static volatile int busy_stop;
static int b_dev, b_ping, b_pong, b_mutex;

static void *pinger(void *arg)
{
	int mine = arg ? b_ping : b_pong, other = arg ? b_pong : b_ping;
	__u32 me = gettid(), prev;

	while (!__atomic_load_n(&busy_stop, __ATOMIC_RELAXED)) {
		struct ntsync_mutex_args m = { .owner = me };
		struct timespec ts;
		__u64 soon;

		/* bounded waits, so that the threads always end */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		soon = (ts.tv_sec + 1) * 1000000000ULL + ts.tv_nsec;
		nt_wait(b_dev, NTSYNC_IOC_WAIT_ANY, &mine, 1, me, 0, soon);
		ioctl(other, NTSYNC_IOC_EVENT_SET, &prev);
		if (!nt_wait(b_dev, NTSYNC_IOC_WAIT_ANY, &b_mutex, 1, me, 0, soon))
			ioctl(b_mutex, NTSYNC_IOC_MUTEX_UNLOCK, &m);
	}
	return NULL;
}

static void test_busy(void)
{
	int i, deadlocks = 0, snapshots = 5, waiting_seen = 0;
	pthread_t t[4];
	__u32 prev;

	b_dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	if (b_dev < 0)
		bail("/dev/ntsync");
	b_ping = create_event(b_dev, 0, 1);
	b_pong = create_event(b_dev, 0, 0);
	b_mutex = create_mutex(b_dev, 0, 0);
	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, pinger, (i & 1) ? (void *)1 : NULL))
			bail("pthread_create");
	for (i = 0; i < snapshots; i++) {
		char *out = run_top("--once");

		if (!has(out, "deadlocks: 0,"))
			deadlocks++;
		if (strstr(out, "WAIT_ANY"))
			waiting_seen++;
		if (!has(out, "deadlocks: 0,") || i == snapshots - 1)
			diag(out);
		free(out);
	}
	__atomic_store_n(&busy_stop, 1, __ATOMIC_RELAXED);
	ioctl(b_ping, NTSYNC_IOC_EVENT_SET, &prev);
	ioctl(b_pong, NTSYNC_IOC_EVENT_SET, &prev);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ok(deadlocks == 0, "busy: %d snapshots of 4 threads ping-ponging and sharing a mutex, "
	   "%d with a deadlock", snapshots, deadlocks);
	printf("# snapshots that caught a thread waiting: %d of %d\n", waiting_seen, snapshots);
	ok(1, "busy: the threads ended");
	close(b_ping);
	close(b_pong);
	close(b_mutex);
	close(b_dev);
}

int main(int argc, char **argv)
{
	char *out;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Never hang the lane: a stuck test ends here, short of its plan. */
	alarm(240);
	if (argc > 1)
		top = argv[1];
	printf("1..%d\n", PLAN);
	out = run_top("--once");
	ok(has(out, "ntsync-top: 0 instances,") && has(out, "deadlocks: 0,"),
	   "nothing open: ntsync-top sees no instance");
	free(out);
	test_deadlock();
	test_no_deadlock();
	test_busy();
	test_unlisted();
	return failures || tests != PLAN;
}
