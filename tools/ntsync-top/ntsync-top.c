// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-top: which threads wait on which ntsync objects, who owns each
 * mutex, and whether the waits form a deadlock.
 *
 * It reads /proc/<pid>/fd and /proc/<pid>/fdinfo of every process it may
 * inspect (as any fdinfo reader: an ordinary user sees their own
 * processes), groups the objects by instance (ntsync-instance), merges
 * the descriptors of one object (ntsync-object), and rebuilds each
 * thread's wait from the ntsync-waiter lines.  Documentation/ntsync.rst
 * describes those lines and this tool.
 *
 *   ntsync-top [--once] [--json] [--interval SECONDS] [--blocked-ms MS]
 *
 * Deadlocks.  A thread waits for the owner of a mutex that it needs; the
 * owner value maps to a thread when a waiting thread of the instance uses
 * that value as its own owner (Wine passes its thread ids), or, failing
 * that, when a thread of a process holding the instance has that id.  A
 * WAIT_ALL is stuck while any mutex it needs is held by a stuck thread; a
 * WAIT_ANY only while every object it names is a mutex held by a stuck
 * thread (a semaphore or event may be signaled by anyone, so it is a way
 * out).  The alert is never taken as a way out: a wait that only an APC
 * could end is reported.  What stays stuck after the fixed point is
 * deadlocked, and each of its cycles is named.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ENTRIES	65	/* 64 objects and an alert */

enum type { T_SEM, T_MUTEX, T_EVENT };
static const char *const type_names[] = { "semaphore", "mutex", "event" };

struct waiter {			/* one ntsync-waiter line */
	int tid;
	uint32_t owner;
	bool all, alert, satisfied;
	uint32_t index;
	long long ms;
};

struct obj {
	uint64_t inst, id;
	enum type type;
	uint32_t a, b, c;	/* count/max, owner/count/abandoned, manual/signaled */
	unsigned int nwaiters;
	unsigned int omitted;	/* waiters the driver counted but did not list */
	struct waiter *w;
	unsigned int nw;
};

struct fdref {			/* one descriptor of a process */
	int pid, fd;
	uint64_t inst;
	int obj;		/* index into objs, -1 for the device */
};

struct proc {
	int pid;
	char comm[64];
};

struct wait {			/* one thread's wait, rebuilt from the objects */
	uint64_t inst;
	int tid, pid;
	char comm[64];
	uint32_t owner;
	bool all, satisfied;
	long long ms;
	int objs[MAX_ENTRIES];	/* index into objs, by position; -1 unknown */
	uint32_t count;		/* highest non-alert position + 1 */
	int alert;		/* index into objs, or -1 */
	/* the deadlock analysis */
	bool stuck;
	int edge_to[MAX_ENTRIES];	/* wait index blocking objs[i], or -1 */
	int in_cycle;
};

static struct obj *objs;
static unsigned int nobjs;
static struct fdref *fds;
static unsigned int nfds;
static struct proc *procs;
static unsigned int nprocs;
static struct wait *waits;
static unsigned int nwaits;
static uint64_t *insts;
static unsigned int ninsts;

static long long blocked_ms = 5000;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("ntsync-top");
		exit(1);
	}
	return p;
}

#define GROW(arr, n) (arr = xrealloc(arr, ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

static int read_file(const char *path, char *buf, size_t size)
{
	size_t total = 0;
	ssize_t n;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -1;
	while (total < size - 1 && (n = read(f, buf + total, size - 1 - total)) > 0)
		total += n;
	close(f);
	buf[total] = 0;
	return 0;
}

static void read_comm(const char *path, char *comm, size_t size)
{
	if (read_file(path, comm, size)) {
		snprintf(comm, size, "?");
		return;
	}
	comm[strcspn(comm, "\n")] = 0;
}

/* The value of "key:\t" at the start of a line of buf, or NULL. */
static const char *find(const char *buf, const char *key)
{
	size_t len = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ':' && p[len + 1] == '\t')
			return p + len + 2;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static bool num(const char *buf, const char *key, unsigned long long *v)
{
	const char *p = find(buf, key);

	if (!p || !isdigit((unsigned char)*p))
		return false;
	*v = strtoull(p, NULL, 10);
	return true;
}

/* The value of " key=" (or at the line's start) in one waiter line. */
static const char *field(const char *line, const char *key)
{
	size_t len = strlen(key);
	const char *p = line;

	while ((p = strstr(p, key))) {
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') && p[len] == '=')
			return p + len + 1;
		p += len;
	}
	return NULL;
}

static bool parse_waiter(const char *line, struct waiter *w)
{
	const char *tid = field(line, "tid"), *owner = field(line, "owner");
	const char *wait = field(line, "wait"), *index = field(line, "index");
	const char *alert = field(line, "alert"), *sat = field(line, "satisfied");
	const char *ms = field(line, "waited-ms");

	if (!tid || !owner || !wait || !index || !alert)
		return false;
	w->tid = atoi(tid);
	w->owner = strtoul(owner, NULL, 10);
	w->all = !strncmp(wait, "all", 3);
	w->index = strtoul(index, NULL, 10);
	w->alert = *alert == '1';
	w->satisfied = sat && *sat == '1';
	w->ms = ms ? atoll(ms) : -1;
	return true;
}

static int find_obj(uint64_t inst, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < nobjs; i++)
		if (objs[i].inst == inst && objs[i].id == id)
			return i;
	return -1;
}

static void add_inst(uint64_t inst)
{
	unsigned int i;

	for (i = 0; i < ninsts; i++)
		if (insts[i] == inst)
			return;
	*GROW(insts, ninsts) = inst;
}

/* One descriptor's fdinfo: the device or an object. */
static void scan_fd(int pid, int fd, bool device)
{
	unsigned long long inst, id, v;
	char path[64], buf[65536];
	struct fdref *ref;
	struct obj o = { 0 };
	const char *type, *p;
	int idx;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	if (read_file(path, buf, sizeof(buf)) || !num(buf, "ntsync-instance", &inst))
		return;
	add_inst(inst);
	ref = GROW(fds, nfds);
	ref->pid = pid;
	ref->fd = fd;
	ref->inst = inst;
	ref->obj = -1;
	if (device)
		return;
	type = find(buf, "ntsync-type");
	if (!type || !num(buf, "ntsync-object", &id)) {
		nfds--;
		return;
	}
	ref->obj = find_obj(inst, id);
	if (ref->obj >= 0)
		return;	/* the same object, through another descriptor */

	o.inst = inst;
	o.id = id;
	if (!strncmp(type, "semaphore", 9)) {
		o.type = T_SEM;
		o.a = num(buf, "ntsync-count", &v) ? v : 0;
		o.b = num(buf, "ntsync-max", &v) ? v : 0;
	} else if (!strncmp(type, "mutex", 5)) {
		o.type = T_MUTEX;
		o.a = num(buf, "ntsync-owner", &v) ? v : 0;
		o.b = num(buf, "ntsync-count", &v) ? v : 0;
		o.c = num(buf, "ntsync-abandoned", &v) ? v : 0;
	} else {
		o.type = T_EVENT;
		o.a = num(buf, "ntsync-manual", &v) ? v : 0;
		o.b = num(buf, "ntsync-signaled", &v) ? v : 0;
	}
	o.nwaiters = num(buf, "ntsync-waiters", &v) ? v : 0;
	o.omitted = num(buf, "ntsync-waiters-omitted", &v) ? v : 0;
	for (p = buf; (p = strstr(p, "\nntsync-waiter:\t")); p++) {
		struct waiter w;

		if (parse_waiter(p + 16, &w))
			*GROW(o.w, o.nw) = w;
	}
	idx = nobjs;
	*GROW(objs, nobjs) = o;
	ref->obj = idx;
}

static void scan_proc(int pid)
{
	char path[64], link[256];
	struct dirent *de;
	struct proc *pr;
	bool any = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return;	/* gone, or not ours to see */
	while ((de = readdir(d))) {
		char lpath[300];
		ssize_t n;
		int fd;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		fd = atoi(de->d_name);
		snprintf(lpath, sizeof(lpath), "%s/%d", path, fd);
		n = readlink(lpath, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		if (!strcmp(link, "/dev/ntsync")) {
			scan_fd(pid, fd, true);
			any = true;
		} else if (!strncmp(link, "anon_inode:[ntsync-", 19)) {
			scan_fd(pid, fd, false);
			any = true;
		}
	}
	closedir(d);
	if (!any)
		return;
	pr = GROW(procs, nprocs);
	pr->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	read_comm(path, pr->comm, sizeof(pr->comm));
}

/* The process of thread tid (as /proc shows it), or 0. */
static int tgid_of(int tid)
{
	char path[64], buf[4096];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (read_file(path, buf, sizeof(buf)))
		return 0;
	p = strstr(buf, "\nTgid:");
	return p ? atoi(p + 6) : 0;
}

static struct wait *find_wait(uint64_t inst, int tid)
{
	unsigned int i;

	for (i = 0; i < nwaits; i++)
		if (waits[i].inst == inst && waits[i].tid == tid)
			return &waits[i];
	return NULL;
}

/* Rebuild each thread's wait from the waiter lines of every object. */
static void build_waits(void)
{
	unsigned int i, j, k;

	for (i = 0; i < nobjs; i++) {
		for (j = 0; j < objs[i].nw; j++) {
			const struct waiter *w = &objs[i].w[j];
			struct wait *t = find_wait(objs[i].inst, w->tid);

			if (!w->tid)
				continue;	/* a thread we cannot see */
			if (!t) {
				char path[96];

				t = GROW(waits, nwaits);
				memset(t, 0, sizeof(*t));
				t->inst = objs[i].inst;
				t->tid = w->tid;
				t->owner = w->owner;
				t->all = w->all;
				t->alert = -1;
				t->pid = tgid_of(w->tid);
				for (k = 0; k < MAX_ENTRIES; k++)
					t->objs[k] = -1;
				snprintf(path, sizeof(path), "/proc/%d/task/%d/comm",
					 t->pid, t->tid);
				read_comm(path, t->comm, sizeof(t->comm));
			}
			t->satisfied |= w->satisfied;
			if (w->ms > t->ms)
				t->ms = w->ms;
			if (w->alert)
				t->alert = i;
			else if (w->index < MAX_ENTRIES) {
				t->objs[w->index] = i;
				if (w->index + 1 > t->count)
					t->count = w->index + 1;
			}
		}
	}
}

/* The wait whose thread owns mutex o, if that thread is waiting. */
static int owner_wait(const struct obj *o)
{
	unsigned int i;

	if (o->type != T_MUTEX || !o->a)
		return -1;
	for (i = 0; i < nwaits; i++)
		if (waits[i].inst == o->inst && waits[i].owner == o->a && !waits[i].satisfied)
			return i;
	for (i = 0; i < nwaits; i++)
		if (waits[i].inst == o->inst && (uint32_t)waits[i].tid == o->a &&
		    !waits[i].satisfied)
			return i;
	return -1;
}

/* Whether a thread with id tid lives in a process that holds instance inst. */
static bool thread_in_instance(uint64_t inst, uint32_t tid)
{
	char path[64];
	unsigned int i;

	for (i = 0; i < nfds; i++) {
		if (fds[i].inst != inst)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%u", fds[i].pid, tid);
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

/* Whether wait t could acquire object o now (then o is a way out, not a block). */
static bool can_acquire(const struct wait *t, const struct obj *o)
{
	switch (o->type) {
	case T_SEM:
		return o->a;
	case T_MUTEX:
		return !o->a || (o->a == t->owner && o->b < UINT32_MAX);
	default:
		return o->b;
	}
}

/*
 * Whether an object of instance inst has waiters the driver did not list:
 * then any WAIT_ANY of the instance may have a position we do not know,
 * which could be its way out.
 */
static bool inst_incomplete(uint64_t inst)
{
	unsigned int i;

	for (i = 0; i < nobjs; i++)
		if (objs[i].inst == inst && objs[i].omitted)
			return true;
	return false;
}

static void find_deadlocks(void)
{
	bool changed = true;
	unsigned int i, k;

	for (i = 0; i < nwaits; i++) {
		struct wait *t = &waits[i];

		t->stuck = !t->satisfied;
		t->in_cycle = -1;
		for (k = 0; k < MAX_ENTRIES; k++)
			t->edge_to[k] = -1;
		for (k = 0; k < t->count; k++) {
			const struct obj *o;

			if (t->objs[k] < 0)
				continue;
			o = &objs[t->objs[k]];
			if (o->type == T_MUTEX && !can_acquire(t, o))
				t->edge_to[k] = owner_wait(o);
		}
	}
	while (changed) {
		changed = false;
		for (i = 0; i < nwaits; i++) {
			struct wait *t = &waits[i];
			bool free_any = false, blocked_all = false, edges = false;

			if (!t->stuck)
				continue;
			if (!t->all && inst_incomplete(t->inst))
				free_any = true;
			for (k = 0; k < t->count; k++) {
				int e = t->edge_to[k];

				if (e >= 0 && waits[e].stuck) {
					edges = true;
					blocked_all = true;
				} else {
					/* unknown object, free owner, or no owner */
					free_any = true;
				}
			}
			if (t->all ? !blocked_all : (free_any || !edges)) {
				t->stuck = false;
				changed = true;
			}
		}
	}
}

/* The edge of stuck wait i that leads to another stuck wait (the first one). */
static int next_stuck(int i, unsigned int *pos)
{
	unsigned int k;

	for (k = 0; k < waits[i].count; k++) {
		int e = waits[i].edge_to[k];

		if (e >= 0 && waits[e].stuck) {
			*pos = k;
			return e;
		}
	}
	return -1;
}

struct cycle {
	int w[MAX_ENTRIES * 4];
	unsigned int pos[MAX_ENTRIES * 4];
	unsigned int n;
};

/*
 * The cycles among stuck waits: from each stuck wait not yet in a cycle,
 * follow the first stuck edge until a wait repeats; the repeated part is
 * a cycle (every stuck wait has a stuck edge, so the walk never ends
 * elsewhere).
 */
static unsigned int collect_cycles(struct cycle **out)
{
	unsigned int i, ncycles = 0;
	struct cycle *cycles = NULL;
	int *seen = xrealloc(NULL, (nwaits + 1) * sizeof(int));

	for (i = 0; i < nwaits; i++) {
		unsigned int j, pos = 0;
		int cur = i, start;

		if (!waits[i].stuck || waits[i].in_cycle >= 0)
			continue;
		for (j = 0; j < nwaits; j++)
			seen[j] = 0;
		while (cur >= 0 && !seen[cur] && waits[cur].in_cycle < 0) {
			seen[cur] = 1;
			cur = next_stuck(cur, &pos);
		}
		if (cur < 0 || waits[cur].in_cycle >= 0)
			continue;	/* leads into a cycle already named */
		start = cur;
		{
			struct cycle *c = GROW(cycles, ncycles);

			c->n = 0;
			do {
				int nxt;

				pos = 0;
				nxt = next_stuck(cur, &pos);

				waits[cur].in_cycle = ncycles - 1;
				if (c->n < MAX_ENTRIES * 4) {
					c->w[c->n] = cur;
					c->pos[c->n] = pos;
					c->n++;
				}
				cur = nxt;
			} while (cur != start && cur >= 0);
		}
	}
	free(seen);
	*out = cycles;
	return ncycles;
}

static void reset(void)
{
	unsigned int i;

	for (i = 0; i < nobjs; i++)
		free(objs[i].w);
	free(objs);
	free(fds);
	free(procs);
	free(waits);
	free(insts);
	objs = NULL;
	fds = NULL;
	procs = NULL;
	waits = NULL;
	insts = NULL;
	nobjs = nfds = nprocs = nwaits = ninsts = 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void scan(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d) {
		perror("ntsync-top: /proc");
		exit(1);
	}
	while ((de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			scan_proc(atoi(de->d_name));
	closedir(d);
	qsort(insts, ninsts, sizeof(*insts), cmp_u64);
	build_waits();
	find_deadlocks();
}

/* ---- text ------------------------------------------------------------ */

/* Who owner value @owner of instance @inst is, for people: "thread N (comm)". */
static void describe_owner(char *buf, size_t size, uint64_t inst, uint32_t owner)
{
	unsigned int i;

	for (i = 0; i < nwaits; i++) {
		if (waits[i].inst == inst && waits[i].owner == owner) {
			snprintf(buf, size, "thread %d (%s, pid %d)", waits[i].tid,
				 waits[i].comm, waits[i].pid);
			return;
		}
	}
	if (thread_in_instance(inst, owner)) {
		char path[64], comm[64];
		int pid = tgid_of(owner);

		snprintf(path, sizeof(path), "/proc/%d/task/%u/comm", pid, owner);
		read_comm(path, comm, sizeof(comm));
		snprintf(buf, size, "thread %u (%s, pid %d, running)", owner, comm, pid);
		return;
	}
	snprintf(buf, size, "no thread seen");
}

static void obj_state(char *buf, size_t size, const struct obj *o)
{
	char who[160];

	switch (o->type) {
	case T_SEM:
		snprintf(buf, size, "count %u/%u", o->a, o->b);
		break;
	case T_MUTEX:
		if (o->c)
			snprintf(buf, size, "abandoned");
		else if (!o->a)
			snprintf(buf, size, "unowned");
		else {
			describe_owner(who, sizeof(who), o->inst, o->a);
			snprintf(buf, size, "owner %u = %s, count %u", o->a, who, o->b);
		}
		break;
	default:
		snprintf(buf, size, "%s, %s", o->a ? "manual" : "auto",
			 o->b ? "signaled" : "unsignaled");
		break;
	}
}

static void print_wait_text(const struct wait *t)
{
	unsigned int k;

	printf("    thread %d (%s, pid %d) owner %u: %s {", t->tid, t->comm, t->pid,
	       t->owner, t->all ? "WAIT_ALL" : "WAIT_ANY");
	for (k = 0; k < t->count; k++) {
		if (t->objs[k] < 0)
			printf("%s?", k ? ", " : "");
		else
			printf("%s%s %" PRIu64, k ? ", " : "", type_names[objs[t->objs[k]].type],
			       objs[t->objs[k]].id);
	}
	printf("}");
	if (t->alert >= 0)
		printf(" alert event %" PRIu64, objs[t->alert].id);
	printf(", %s %lld.%03lld s%s\n", t->satisfied ? "satisfied after" : "waiting",
	       t->ms / 1000, t->ms % 1000,
	       !t->satisfied && t->ms >= blocked_ms ? "  [BLOCKED]" : "");
}

static void print_cycle_text(const struct cycle *c)
{
	unsigned int j;

	printf("  DEADLOCK:");
	for (j = 0; j < c->n; j++) {
		const struct wait *t = &waits[c->w[j]];
		const struct obj *o = &objs[t->objs[c->pos[j]]];

		printf(" thread %d (%s, pid %d) %s mutex %" PRIu64 " held by owner %u ->",
		       t->tid, t->comm, t->pid, t->all ? "WAIT_ALL" : "WAIT_ANY", o->id, o->a);
	}
	printf(" thread %d\n", waits[c->w[0]].tid);
}

static void print_text(void)
{
	unsigned int i, j, k, nc, ndead = 0, nblocked = 0;
	struct cycle *cycles;
	char state[256];

	nc = collect_cycles(&cycles);
	for (i = 0; i < nwaits; i++)
		if (!waits[i].satisfied && waits[i].ms >= blocked_ms)
			nblocked++;
	printf("ntsync-top: %u instance%s, %u process%s, %u object%s, %u waiting thread%s\n",
	       ninsts, ninsts == 1 ? "" : "s", nprocs, nprocs == 1 ? "" : "es",
	       nobjs, nobjs == 1 ? "" : "s", nwaits, nwaits == 1 ? "" : "s");
	for (i = 0; i < ninsts; i++) {
		uint64_t inst = insts[i];

		printf("\ninstance %" PRIu64 "\n", inst);
		for (j = 0; j < nprocs; j++) {
			bool header = false;

			for (k = 0; k < nfds; k++) {
				const struct fdref *f = &fds[k];

				if (f->pid != procs[j].pid || f->inst != inst)
					continue;
				if (!header)
					printf("  process %d (%s)\n", procs[j].pid, procs[j].comm);
				header = true;
				if (f->obj < 0) {
					printf("    fd %-4d /dev/ntsync\n", f->fd);
					continue;
				}
				obj_state(state, sizeof(state), &objs[f->obj]);
				printf("    fd %-4d %-9s %-4" PRIu64 " %s; %u waiter%s", f->fd,
				       type_names[objs[f->obj].type], objs[f->obj].id, state,
				       objs[f->obj].nwaiters, objs[f->obj].nwaiters == 1 ? "" : "s");
				if (objs[f->obj].omitted)
					printf(" (%u not listed by the driver: their waits"
					       " below may be incomplete)", objs[f->obj].omitted);
				printf("\n");
			}
		}
		for (j = 0, k = 0; j < nwaits; j++) {
			if (waits[j].inst != inst)
				continue;
			if (!k++)
				printf("  waits:\n");
			print_wait_text(&waits[j]);
		}
		for (j = 0; j < nc; j++) {
			if (waits[cycles[j].w[0]].inst != inst)
				continue;
			print_cycle_text(&cycles[j]);
			ndead++;
		}
	}
	printf("\ndeadlocks: %u, blocked for %lld ms or more: %u\n", ndead, blocked_ms, nblocked);
	free(cycles);
}

/* ---- JSON ------------------------------------------------------------ */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void print_json(void)
{
	unsigned int i, j, k, nc, ndead = 0, nblocked = 0;
	struct cycle *cycles;
	bool first;

	nc = collect_cycles(&cycles);
	printf("{\"instances\": [");
	for (i = 0; i < ninsts; i++) {
		uint64_t inst = insts[i];

		printf("%s\n {\"id\": %" PRIu64 ", \"processes\": [", i ? "," : "", inst);
		first = true;
		for (j = 0; j < nprocs; j++) {
			bool pfirst = true;

			for (k = 0; k < nfds; k++) {
				const struct fdref *f = &fds[k];

				if (f->pid != procs[j].pid || f->inst != inst)
					continue;
				if (pfirst) {
					printf("%s\n  {\"pid\": %d, \"comm\": ", first ? "" : ",",
					       procs[j].pid);
					json_str(procs[j].comm);
					printf(", \"fds\": [");
					first = false;
				}
				printf("%s{\"fd\": %d, ", pfirst ? "" : ", ", f->fd);
				if (f->obj < 0)
					printf("\"device\": true}");
				else
					printf("\"object\": %" PRIu64 "}", objs[f->obj].id);
				pfirst = false;
			}
			if (!pfirst)
				printf("]}");
		}
		printf("],\n  \"objects\": [");
		first = true;
		for (j = 0; j < nobjs; j++) {
			const struct obj *o = &objs[j];

			if (o->inst != inst)
				continue;
			printf("%s\n   {\"id\": %" PRIu64 ", \"type\": \"%s\", ", first ? "" : ",",
			       o->id, type_names[o->type]);
			first = false;
			if (o->type == T_SEM)
				printf("\"count\": %u, \"max\": %u", o->a, o->b);
			else if (o->type == T_MUTEX) {
				int w = owner_wait(o);

				printf("\"owner\": %u, \"count\": %u, \"abandoned\": %u, \"owner_tid\": ",
				       o->a, o->b, o->c);
				if (w >= 0)
					printf("%d", waits[w].tid);
				else if (o->a && thread_in_instance(inst, o->a))
					printf("%u", o->a);
				else
					printf("null");
			} else
				printf("\"manual\": %u, \"signaled\": %u", o->a, o->b);
			printf(", \"waiters\": %u, \"waiters_unlisted\": %u}", o->nwaiters,
			       o->omitted);
		}
		printf("],\n  \"waits\": [");
		first = true;
		for (j = 0; j < nwaits; j++) {
			const struct wait *t = &waits[j];

			if (t->inst != inst)
				continue;
			printf("%s\n   {\"tid\": %d, \"pid\": %d, \"comm\": ", first ? "" : ",",
			       t->tid, t->pid);
			json_str(t->comm);
			printf(", \"owner\": %u, \"wait\": \"%s\", \"objects\": [", t->owner,
			       t->all ? "all" : "any");
			for (k = 0; k < t->count; k++) {
				if (t->objs[k] < 0)
					printf("%snull", k ? ", " : "");
				else
					printf("%s%" PRIu64, k ? ", " : "", objs[t->objs[k]].id);
			}
			printf("], \"alert\": ");
			if (t->alert >= 0)
				printf("%" PRIu64, objs[t->alert].id);
			else
				printf("null");
			printf(", \"satisfied\": %s, \"waited_ms\": %lld, \"blocked\": %s, \"deadlocked\": %s}",
			       t->satisfied ? "true" : "false", t->ms,
			       !t->satisfied && t->ms >= blocked_ms ? "true" : "false",
			       t->stuck ? "true" : "false");
			if (!t->satisfied && t->ms >= blocked_ms)
				nblocked++;
			first = false;
		}
		printf("],\n  \"deadlocks\": [");
		first = true;
		for (j = 0; j < nc; j++) {
			const struct cycle *c = &cycles[j];

			if (waits[c->w[0]].inst != inst)
				continue;
			printf("%s\n   {\"cycle\": [", first ? "" : ",");
			for (k = 0; k < c->n; k++) {
				const struct wait *t = &waits[c->w[k]];
				const struct obj *o = &objs[t->objs[c->pos[k]]];

				printf("%s{\"tid\": %d, \"pid\": %d, \"wait\": \"%s\", \"object\": %" PRIu64
				       ", \"owner\": %u}", k ? ", " : "", t->tid, t->pid,
				       t->all ? "all" : "any", o->id, o->a);
			}
			printf("]}");
			first = false;
			ndead++;
		}
		printf("]}");
	}
	printf("],\n \"deadlocks\": %u, \"blocked\": %u, \"blocked_ms\": %lld}\n", ndead, nblocked,
	       blocked_ms);
	free(cycles);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ntsync-top [--once] [--json] [--interval SECONDS] [--blocked-ms MS]\n"
		"  Shows the ntsync objects of every process you may inspect, grouped by\n"
		"  instance, which threads wait on what, who owns each mutex, deadlocks\n"
		"  (cycles of waits) and waits older than --blocked-ms (default 5000).\n"
		"  Without --once it refreshes every --interval seconds (default 2).\n"
		"  --json prints one snapshot as JSON (it implies --once).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "blocked-ms", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool once = false, json = false;
	double interval = 2;
	int c;

	while ((c = getopt_long(argc, argv, "1ji:b:h", opts, NULL)) != -1) {
		switch (c) {
		case '1':
			once = true;
			break;
		case 'j':
			json = true;
			once = true;	/* one document: a snapshot */
			break;
		case 'i':
			interval = atof(optarg);
			if (interval <= 0) {
				fprintf(stderr, "ntsync-top: bad --interval %s\n", optarg);
				return 2;
			}
			break;
		case 'b':
			blocked_ms = atoll(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (;;) {
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (time_t)interval) * 1e9) };

		scan();
		if (!once && !json)
			printf("\033[H\033[2J");
		if (json)
			print_json();
		else
			print_text();
		fflush(stdout);
		reset();
		if (once || stop)
			break;
		nanosleep(&ts, NULL);
		if (stop)
			break;
	}
	return 0;
}
