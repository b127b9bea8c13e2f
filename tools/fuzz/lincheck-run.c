// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz lincheck: several threads make random calls on a few shared
 * objects at once, in rounds; every round's history is checked by the
 * linearizability checker (lincheck.c) against the model.
 *
 * One instance, six objects made up front: two semaphores, two mutexes, an
 * auto-reset and a manual-reset event, in random states.  A round starts
 * all threads together at a barrier; each makes one to LIN_OPS calls
 * (object ioctls with valid arguments, and WAIT_ANY or WAIT_ALL on one to
 * three of the objects, with or without an alert, whose deadline has passed
 * or is up to a few milliseconds away, so that some sleep and are woken
 * by the others), recording each call's stamps before and after, and its
 * result.  Once all have met at the second barrier, the round is a window
 * between two quiescent points: the controller reads every object and
 * checks the window from the state it read before.
 *
 * Each thread owns itself as mutex owner (its number + 1), tracks the
 * mutexes it holds from its own results (nobody else can change them) and
 * unlocks those mostly.  A seed gives each thread the same calls as long as
 * the results are the same, but not the same interleaving: a failure
 * prints the window's history itself (each call's thread, stamps, call and
 * result, the states before and after) and the longest order the model
 * accepted.
 */
#include "lincheck.h"

#define LIN_NOBJS 6
#define LIN_OPS 4		/* calls per thread per round, at most */
#define LIN_THREADS 8

struct lin_thread {
	pthread_t th;
	int id;
	uint32_t owner;
	uint64_t seed;
	uint32_t held[LIN_NOBJS];	/* recursion count of each mutex it holds */
	int nops;
	struct lin_op ops[LIN_OPS];
};

static struct lin_thread lin_t[LIN_THREADS];
static unsigned int lin_nthreads;
static int lin_dev, lin_fds[LIN_NOBJS];
static const int lin_types[LIN_NOBJS] = { SEM, SEM, MUTEX, MUTEX, EVENT, EVENT };
static uint64_t lin_clock;
static pthread_barrier_t lin_go, lin_done;
static bool lin_quit;
static uint64_t lin_round;
/* waits: acquired, at a position > 0 or the alert, EOWNERDEAD, timed out, that had a deadline ahead */
static uint64_t lin_waits[5], lin_calls;

static uint64_t lin_stamp(void)
{
	return __atomic_fetch_add(&lin_clock, 1, __ATOMIC_SEQ_CST);
}

static int lin_pick(int type)
{
	int cand[LIN_NOBJS], n = 0, i;

	for (i = 0; i < LIN_NOBJS; i++) {
		if (lin_types[i] == type)
			cand[n++] = i;
	}
	return cand[rn(n)];
}

/* A mutex @t holds, or -1. */
static int lin_held(const struct lin_thread *t)
{
	int cand[LIN_NOBJS], n = 0, i;

	for (i = 0; i < LIN_NOBJS; i++) {
		if (t->held[i])
			cand[n++] = i;
	}
	return n ? cand[rn(n)] : -1;
}

static void lin_gen_obj(struct lin_thread *t, struct lin_op *op)
{
	/* mostly changes; MUTEX_UNLOCK twice */
	static const unsigned long cmds[] = {
		NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_SEM_RELEASE, NTSYNC_IOC_MUTEX_UNLOCK,
		NTSYNC_IOC_MUTEX_UNLOCK, NTSYNC_IOC_MUTEX_UNLOCK, NTSYNC_IOC_MUTEX_KILL,
		NTSYNC_IOC_EVENT_SET, NTSYNC_IOC_EVENT_SET, NTSYNC_IOC_EVENT_RESET,
		NTSYNC_IOC_EVENT_PULSE, NTSYNC_IOC_EVENT_PULSE,
		NTSYNC_IOC_SEM_READ, NTSYNC_IOC_MUTEX_READ, NTSYNC_IOC_EVENT_READ,
	};
	int held;

	op->kind = LIN_OBJ_IOCTL;
	op->cmd = cmds[rn(ARRAY_SIZE(cmds))];
	if (op->cmd == NTSYNC_IOC_MUTEX_KILL && !pct(30))
		op->cmd = NTSYNC_IOC_MUTEX_UNLOCK;
	op->in[0] = op->in[1] = 0xcccccccc;
	switch (op->cmd) {
	case NTSYNC_IOC_SEM_RELEASE:
		op->obj = lin_pick(SEM);
		op->in[0] = 1 + pct(20);
		break;
	case NTSYNC_IOC_MUTEX_UNLOCK:
	case NTSYNC_IOC_MUTEX_KILL:
		held = lin_held(t);
		op->obj = held >= 0 && pct(85) ? held : lin_pick(MUTEX);
		op->in[0] = t->owner;
		if (op->cmd == NTSYNC_IOC_MUTEX_UNLOCK)
			op->in[1] = 0;
		break;
	case NTSYNC_IOC_SEM_READ:
		op->obj = lin_pick(SEM);
		break;
	case NTSYNC_IOC_MUTEX_READ:
		op->obj = lin_pick(MUTEX);
		break;
	default:
		op->obj = lin_pick(EVENT);
		break;
	}
}

static bool lin_listed(const struct lin_op *op, int obj)
{
	uint32_t j;

	for (j = 0; j < op->count; j++) {
		if (op->objs[j] == obj)
			return true;
	}
	return false;
}

static void lin_gen_wait(struct lin_thread *t, struct lin_op *op)
{
	uint32_t n, j;
	int obj;

	op->kind = pct(35) ? LIN_WAIT_ALL : LIN_WAIT_ANY;
	op->owner = t->owner;
	n = 1 + rn(3);
	if (op->kind == LIN_WAIT_ANY && pct(3))
		n = 0;
	op->count = 0;
	for (j = 0; j < n; j++) {
		obj = rn(LIN_NOBJS);
		if (op->kind == LIN_WAIT_ALL && lin_listed(op, obj))
			continue;
		op->objs[op->count++] = obj;
	}
	op->alert = -1;
	if (pct(30) || !op->count) {
		obj = lin_pick(EVENT);
		if (op->kind == LIN_WAIT_ANY || !lin_listed(op, obj))
			op->alert = obj;
	}
	if (!op->count && op->alert < 0)
		op->objs[op->count++] = rn(LIN_NOBJS);
	op->timeout_ns = pct(30) ? 0 : 200000 + rn(4000000);
}

/* Makes @op's call and records it. */
static void lin_call(struct lin_thread *t, struct lin_op *op)
{
	struct ntsync_wait_args args = { 0 };
	uint32_t fds[LIN_WAIT_MAX], j, arg[2];
	bool wait = op->kind != LIN_OBJ_IOCTL;
	int obj;

	if (wait) {
		for (j = 0; j < op->count; j++)
			fds[j] = lin_fds[op->objs[j]];
		args.objs = (uintptr_t)fds;
		args.count = op->count;
		args.owner = op->owner;
		args.alert = op->alert >= 0 ? (uint32_t)lin_fds[op->alert] : 0;
		args.index = 0xfeedbeef;
		args.timeout = op->timeout_ns ? now_ns(CLOCK_MONOTONIC) + op->timeout_ns : 0;
	}
	memcpy(arg, op->in, sizeof(arg));
	if (pct(20))
		sched_yield();
	op->inv = lin_stamp();
	if (wait)
		op->ret = xioctl(lin_dev, op->kind == LIN_WAIT_ALL ? NTSYNC_IOC_WAIT_ALL :
				 NTSYNC_IOC_WAIT_ANY, &args);
	else
		op->ret = xioctl(lin_fds[op->obj], op->cmd, arg);
	op->resp = lin_stamp();
	memcpy(op->out, arg, sizeof(arg));
	op->index = args.index;
	/* What it holds now (nobody else changes a mutex this thread owns). */
	if (!wait) {
		if (op->cmd == NTSYNC_IOC_MUTEX_UNLOCK && !op->ret)
			t->held[op->obj] = op->out[1] - 1;
		if (op->cmd == NTSYNC_IOC_MUTEX_KILL && !op->ret)
			t->held[op->obj] = 0;
		return;
	}
	if (op->ret && op->ret != -EOWNERDEAD)
		return;
	if (op->kind == LIN_WAIT_ALL && op->index < op->count) {
		for (j = 0; j < op->count; j++) {
			if (lin_types[op->objs[j]] == MUTEX)
				t->held[op->objs[j]]++;
		}
		return;
	}
	obj = op->index < op->count ? op->objs[op->index] :
	      op->index == op->count ? op->alert : -1;
	if (obj >= 0 && lin_types[obj] == MUTEX)
		t->held[obj]++;
}

static void *lin_main(void *arg)
{
	struct lin_thread *t = arg;
	int i;

	rng = t->seed;
	for (;;) {
		pthread_barrier_wait(&lin_go);
		if (__atomic_load_n(&lin_quit, __ATOMIC_ACQUIRE))
			return NULL;
		t->nops = 1 + rn(LIN_OPS);
		for (i = 0; i < t->nops; i++) {
			struct lin_op *op = &t->ops[i];

			memset(op, 0, sizeof(*op));
			op->thread = t->id;
			op->alert = -1;
			if (pct(45))
				lin_gen_wait(t, op);
			else
				lin_gen_obj(t, op);
			lin_call(t, op);
		}
		pthread_barrier_wait(&lin_done);
	}
}

/* Every object's state, through the READ ioctls. */
static void lin_read_all(struct m_obj *o)
{
	static const unsigned long reads[] = {
		NTSYNC_IOC_SEM_READ, NTSYNC_IOC_MUTEX_READ, NTSYNC_IOC_EVENT_READ };
	uint32_t v[2];
	int i, ret;

	for (i = 0; i < LIN_NOBJS; i++) {
		ret = xioctl(lin_fds[i], reads[lin_types[i]], v);
		if (ret && !(ret == -EOWNERDEAD && lin_types[i] == MUTEX)) {
			printf("# lincheck: reading object %d: %s\n1..1\n", i, errname(ret));
			tap(false, "lincheck: seed %" PRIu64 ": every history linearizable", opt_seed);
			exit(1);
		}
		o[i] = (struct m_obj){ lin_types[i], v[0], v[1], ret == -EOWNERDEAD, 0, 1 };
	}
}

static void lin_show_states(const char *when, const struct m_obj *o)
{
	int i;

	printf("#   %s:", when);
	for (i = 0; i < LIN_NOBJS; i++) {
		switch (o[i].type) {
		case SEM:
			printf(" sem%d {count %u, max %u}", i, o[i].a, o[i].b);
			break;
		case MUTEX:
			printf(" mutex%d {owner %u, count %u%s}", i, o[i].a, o[i].b,
			       o[i].dead ? ", abandoned" : "");
			break;
		default:
			printf(" event%d {%s, %s}", i, o[i].a ? "manual" : "auto",
			       o[i].b ? "signaled" : "unsignaled");
			break;
		}
	}
	printf("\n");
}

/* The window's history, its calls in the order they started. */
static void lin_show(const struct lin_window *w, const int *best, int nbest)
{
	int order[LIN_MAX_OPS], i, j, k;
	uint64_t base = UINT64_MAX;
	char buf[256];

	for (i = 0; i < w->nops; i++) {
		order[i] = i;
		if (w->ops[i].inv < base)
			base = w->ops[i].inv;
	}
	for (i = 1; i < w->nops; i++) {
		for (j = i; j > 0 && w->ops[order[j - 1]].inv > w->ops[order[j]].inv; j--) {
			k = order[j];
			order[j] = order[j - 1];
			order[j - 1] = k;
		}
	}
	lin_show_states("before", w->start);
	printf("#   calls (thread, [start, end] on one counter all threads share, call -> result):\n");
	for (i = 0; i < w->nops; i++) {
		const struct lin_op *op = &w->ops[order[i]];

		lin_describe(w, op, buf, sizeof(buf));
		printf("#     #%-2d T%d [%3" PRIu64 ", %3" PRIu64 "] %s\n", order[i], op->thread,
		       op->inv - base, op->resp - base, buf);
	}
	lin_show_states("after", w->end);
	printf("#   the longest order the model accepts:");
	for (i = 0; i < nbest; i++)
		printf(" #%d", best[i]);
	printf("%s\n", nbest == w->nops ? " (but it does not end in the state read after)" :
	       "; no call that may come next gives its result");
}

static void lin_alarm(int sig)
{
	(void)sig;
	printf("# lincheck: round %" PRIu64 " did not end within 60 s (seed %" PRIu64 ")\n1..1\n",
	       lin_round, opt_seed);
	printf("not ok 1 - lincheck: seed %" PRIu64 ": every history linearizable\n", opt_seed);
	fflush(stdout);
	_exit(1);
}

/* The objects, in random states. */
static void lin_setup(void)
{
	struct sigaction sa = { .sa_handler = lin_alarm };
	int i;

	sigaction(SIGALRM, &sa, NULL);
	lin_dev = open_dev();
	rng = opt_seed;
	for (i = 0; i < LIN_NOBJS; i++) {
		struct ntsync_sem_args sem = { .max = 1 + rn(3) };
		struct ntsync_mutex_args mutex = { 0 };
		struct ntsync_event_args event = { .manual = i == 5, .signaled = pct(50) };

		switch (lin_types[i]) {
		case SEM:
			sem.count = rn(sem.max + 1);
			lin_fds[i] = ioctl(lin_dev, NTSYNC_IOC_CREATE_SEM, &sem);
			break;
		case MUTEX:
			lin_fds[i] = ioctl(lin_dev, NTSYNC_IOC_CREATE_MUTEX, &mutex);
			break;
		default:
			lin_fds[i] = ioctl(lin_dev, NTSYNC_IOC_CREATE_EVENT, &event);
			break;
		}
		if (lin_fds[i] < 0) {
			printf("# lincheck: create: %s\n1..1\n", strerror(errno));
			tap(false, "lincheck: seed %" PRIu64 ": every history linearizable", opt_seed);
			exit(1);
		}
	}
	lin_nthreads = opt_threads < 2 ? 2 : opt_threads > LIN_THREADS ? LIN_THREADS : opt_threads;
	pthread_barrier_init(&lin_go, NULL, lin_nthreads + 1);
	pthread_barrier_init(&lin_done, NULL, lin_nthreads + 1);
	for (i = 0; i < (int)lin_nthreads; i++) {
		lin_t[i].id = i;
		lin_t[i].owner = i + 1;
		lin_t[i].seed = opt_seed * 0x9e3779b97f4a7c15ull + i + 1;
		if (pthread_create(&lin_t[i].th, NULL, lin_main, &lin_t[i])) {
			perror("pthread_create");
			exit(2);
		}
	}
}

static void lin_count(const struct lin_window *w)
{
	int i;

	for (i = 0; i < w->nops; i++) {
		const struct lin_op *op = &w->ops[i];

		lin_calls++;
		if (op->kind == LIN_OBJ_IOCTL)
			continue;
		lin_waits[4] += !!op->timeout_ns;
		if (op->ret == -ETIMEDOUT) {
			lin_waits[3]++;
			continue;
		}
		lin_waits[0]++;
		lin_waits[1] += op->index > 0;
		lin_waits[2] += op->ret == -EOWNERDEAD;
	}
}

int run_lincheck(void)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + opt_seconds * 1000000000ull;
	static struct lin_window w;
	struct lin_stats st = { 0 };
	int best[LIN_MAX_OPS], nbest, verdict, i, j;

	if (lin_self_test()) {
		printf("1..1\n");
		tap(false, "lincheck: the checker gives the known verdicts of its self-test");
		return 1;
	}
	lin_setup();
	printf("# lincheck: seed %" PRIu64 ", %u threads, up to %d calls each per round, %s\n",
	       opt_seed, lin_nthreads, LIN_OPS, opt_steps ? "round limit" : "time limit");
	fflush(stdout);
	w.nobjs = LIN_NOBJS;
	lin_read_all(w.start);
	for (lin_round = 0; opt_steps ? lin_round < opt_steps : now_ns(CLOCK_MONOTONIC) < end;
	     lin_round++) {
		alarm(60);
		pthread_barrier_wait(&lin_go);
		pthread_barrier_wait(&lin_done);
		alarm(0);
		lin_read_all(w.end);
		w.nops = 0;
		for (i = 0; i < (int)lin_nthreads; i++) {
			for (j = 0; j < lin_t[i].nops; j++)
				w.ops[w.nops++] = lin_t[i].ops[j];
		}
		lin_count(&w);
		verdict = lin_check(&w, &st, best, &nbest);
		if (verdict == LIN_VIOLATION) {
			printf("# lincheck: round %" PRIu64 " (seed %" PRIu64 ") is not linearizable:\n",
			       lin_round, opt_seed);
			lin_show(&w, best, nbest);
			printf("1..1\n");
			tap(false, "lincheck: seed %" PRIu64 ": every history linearizable (round %"
			    PRIu64 " is not)", opt_seed, lin_round);
			exit(1);
		}
		if (verdict == LIN_UNDECIDED || opt_verbose) {
			printf("# lincheck: round %" PRIu64 ": %s\n", lin_round,
			       verdict == LIN_OK ? "linearizable" : "search given up");
			lin_show(&w, best, nbest);
		}
		memcpy(w.start, w.end, sizeof(w.start));
	}
	__atomic_store_n(&lin_quit, true, __ATOMIC_RELEASE);
	pthread_barrier_wait(&lin_go);
	for (i = 0; i < (int)lin_nthreads; i++)
		pthread_join(lin_t[i].th, NULL);
	printf("# lincheck: %" PRIu64 " rounds, %" PRIu64 " calls; waits: %" PRIu64
	       " acquired (%" PRIu64 " at a position > 0 or the alert, %" PRIu64
	       " took an abandoned mutex), %" PRIu64 " timed out; %" PRIu64
	       " with a deadline ahead\n", lin_round, lin_calls, lin_waits[0], lin_waits[1],
	       lin_waits[2], lin_waits[3], lin_waits[4]);
	printf("# lincheck: %" PRIu64 " windows checked, up to %u calls each; %" PRIu64
	       " search nodes (up to %" PRIu64 " in one window); %" PRIu64
	       " waits linearized at a PULSE; %" PRIu64 " searches given up\n", st.windows,
	       st.max_window, st.nodes, st.max_nodes, st.at_pulse, st.undecided);
	printf("1..1\n");
	tap(lin_waits[0] && !st.undecided, "lincheck: seed %" PRIu64 ": %" PRIu64 " rounds of %u threads, %"
	    PRIu64 " calls in %" PRIu64 " windows (up to %u calls), %" PRIu64
	    " search nodes: every history linearizable", opt_seed, lin_round, lin_nthreads,
	    st.ops, st.windows, st.max_window, st.nodes);
	return lin_waits[0] && !st.undecided ? 0 : 1;
}
