// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-trace-test: the module's tracepoints, captured through tracefs in
 * the test guest (TAP).  One wait, from the object's creation to its
 * destruction: a thread waits on an auto-reset event, the main thread sets
 * it.  The trace must hold, in this order and for this event and thread:
 *
 *   ntsync_obj_create   the event, unsignaled
 *   ntsync_wait_begin   WAIT_ANY of 1 object, the thread's owner, no timeout
 *   ntsync_wake         the thread, by event_set
 *   ntsync_state        event_set: signaled 0 -> 0 (the waiter took it)
 *   ntsync_wait_end     result 0, index 0
 *   ntsync_obj_destroy  the event
 *
 * The capture is printed as TAP comments.  No timing is asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/ntsync.h>

#define PLAN	10
#define TRACING	"/sys/kernel/tracing"

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

static int write_file(const char *name, const char *text)
{
	char path[256];
	int f, ret;

	snprintf(path, sizeof(path), TRACING "/%s", name);
	f = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (f < 0)
		return -1;
	ret = write(f, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(f);
	return ret;
}

static char *read_trace(void)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	ssize_t n;
	int f = open(TRACING "/trace", O_RDONLY | O_CLOEXEC);

	if (!buf || f < 0) {
		printf("Bail out! cannot read " TRACING "/trace: %s\n", strerror(errno));
		exit(1);
	}
	while ((n = read(f, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				exit(1);
		}
	}
	close(f);
	buf[len] = 0;
	return buf;
}

static unsigned long long fdinfo_val(int fd, const char *key)
{
	char path[64], buf[4096], pat[64], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return ~0ULL;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n < 0)
		return ~0ULL;
	buf[n] = 0;
	snprintf(pat, sizeof(pat), "\n%s:\t", key);
	p = strstr(buf, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : ~0ULL;
}

static int dev, event;
static pid_t waiter_tid;
static int wait_err = -1;
static __u32 wait_index = 99;

static void *waiter(void *arg)
{
	struct ntsync_wait_args a = {
		.timeout = UINT64_MAX, .objs = (uintptr_t)&event, .count = 1,
	};

	(void)arg;
	__atomic_store_n(&waiter_tid, gettid(), __ATOMIC_RELEASE);
	a.owner = gettid();
	wait_err = ioctl(dev, NTSYNC_IOC_WAIT_ANY, &a) < 0 ? errno : 0;
	wait_index = a.index;
	return NULL;
}

/*
 * Find, from *pos on, the next trace line that holds every one of the
 * NULL-terminated strings; on success move *pos past it.
 */
static int next_line(const char **pos, ...)
{
	const char *p = *pos;

	while (*p) {
		const char *nl = strchrnul(p, '\n');
		char line[1024];
		const char *want;
		int all = 1;
		va_list ap;

		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		va_start(ap, pos);
		while ((want = va_arg(ap, const char *)))
			if (!strstr(line, want))
				all = 0;
		va_end(ap);
		p = *nl ? nl + 1 : nl;
		if (all) {
			*pos = p;
			return 1;
		}
	}
	return 0;
}

int main(void)
{
	char obj[64], inst[64], tid[64], owner[64], begin[128], *trace, *p;
	struct ntsync_event_args ea = { 0 };
	struct timespec ms = { 0, 1000000 };
	const char *pos;
	pthread_t t;
	__u32 prev;
	int i, lines = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(120);
	printf("1..%d\n", PLAN);
	if (access(TRACING "/events", F_OK))
		mount("tracefs", TRACING, "tracefs", 0, NULL);
	ok(!access(TRACING "/events", F_OK), "tracefs is mounted at " TRACING);
	ok(!access(TRACING "/events/ntsync/ntsync_wake/format", F_OK) &&
	   !access(TRACING "/events/ntsync/ntsync_wait_begin/format", F_OK),
	   "the module's events are in " TRACING "/events/ntsync");
	ok(!write_file("tracing_on", "0") && !write_file("trace", "") &&
	   !write_file("events/ntsync/enable", "1") && !write_file("tracing_on", "1"),
	   "ntsync events enabled, buffer cleared");

	dev = open("/dev/ntsync", O_RDONLY | O_CLOEXEC);
	event = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &ea);
	if (dev < 0 || event < 0 || pthread_create(&t, NULL, waiter, NULL)) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < 30000 && fdinfo_val(event, "ntsync-waiters") != 1; i++)
		nanosleep(&ms, NULL);
	snprintf(obj, sizeof(obj), " object=%llu ", fdinfo_val(event, "ntsync-object"));
	snprintf(inst, sizeof(inst), "instance=%llu ", fdinfo_val(event, "ntsync-instance"));
	ioctl(event, NTSYNC_IOC_EVENT_SET, &prev);
	pthread_join(t, NULL);
	close(event);
	close(dev);
	write_file("tracing_on", "0");
	write_file("events/ntsync/enable", "0");
	ok(wait_err == 0 && wait_index == 0, "the wait was satisfied by EVENT_SET, index 0");

	trace = read_trace();
	printf("# the capture (ntsync lines of %s/trace):\n", TRACING);
	for (p = strtok(trace, "\n"); p; p = strtok(NULL, "\n"))
		if (strstr(p, "ntsync_")) {
			printf("#   %s\n", p);
			lines++;
		}
	free(trace);
	trace = read_trace();

	snprintf(tid, sizeof(tid), " tid=%d ", waiter_tid);
	snprintf(owner, sizeof(owner), " owner=%d ", waiter_tid);
	snprintf(begin, sizeof(begin), "-%d ", waiter_tid);	/* comm-TID in the header */
	pos = trace;
	ok(lines && next_line(&pos, "ntsync_obj_create: ", inst, obj, "type=event a=0 b=0", NULL),
	   "1. ntsync_obj_create: the event, unsignaled, auto-reset");
	ok(next_line(&pos, begin, "ntsync_wait_begin: ", inst, "wait=any count=1", owner,
		     "alert=no timeout=none", NULL),
	   "2. ntsync_wait_begin: the thread's WAIT_ANY of one object, its owner, no timeout");
	ok(next_line(&pos, "ntsync_wake: ", inst, obj, tid, owner, "wait=any index=0 by=event_set",
		     NULL),
	   "3. ntsync_wake: that thread, by event_set");
	ok(next_line(&pos, "ntsync_state: ", inst, obj, "type=event op=event_set a=0->0 b=0->0",
		     NULL),
	   "4. ntsync_state: event_set, signaled 0 -> 0 (the waiter reset it)");
	ok(next_line(&pos, begin, "ntsync_wait_end: ", inst, "wait=any result=0 index=0 slept_ns=",
		     NULL),
	   "5. ntsync_wait_end: the thread's wait, result 0, index 0");
	ok(next_line(&pos, "ntsync_obj_destroy: ", inst, obj, "type=event a=0 b=0", NULL),
	   "6. ntsync_obj_destroy: the event");
	free(trace);
	return failures || tests != PLAN;
}
