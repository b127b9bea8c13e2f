// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: many threads on shared objects, invariants checked at the end,
 * and the races a WAIT_ANY must not lose: with a duplicate, and for the lowest
 * position.
 */
#include "ntsync_helpers.h"

/* ========================================================================
 * Stress: many threads on shared objects, invariants checked at the end.
 */

#define STRESS_THREADS		8
#define STRESS_ITERATIONS	5000
#define STRESS_SEM_INIT		4
/* Normally a few seconds even under emulation. */
#define STRESS_DEADLINE_NS	(200 * NSEC_PER_SEC)

struct stress_shared {
	int dev, m1, m2, sem, ev_auto, ev_manual;
	pthread_barrier_t barrier;
	/* plain counters, modified only while owning m1 / m2 */
	unsigned long c1, c2;
	int held1, held2;
};

struct stress_thread {
	struct stress_shared *sh;
	unsigned int id;
	pthread_t thread;
	unsigned long c1, c2, sem_acq, sem_rel, ev_prod, ev_cons;
	unsigned long errors, overlaps;
	unsigned long ops;	/* read by the main thread while running */
	int last_line, last_errno;
	int done;
};

#define STRESS_FAIL(t) do { \
	(t)->errors++; \
	(t)->last_line = __LINE__; \
	(t)->last_errno = errno; \
} while (0)

static void stress_enter(struct stress_thread *t, int *held)
{
	if (__atomic_exchange_n(held, 1, __ATOMIC_ACQ_REL))
		t->overlaps++;
}

static void stress_leave(int *held)
{
	__atomic_store_n(held, 0, __ATOMIC_RELEASE);
}

static void stress_unlock(struct stress_thread *t, int mutex, __u32 owner, __u32 want_prev)
{
	__u32 prev;

	if (mutex_unlock(mutex, owner, &prev) || prev != want_prev)
		STRESS_FAIL(t);
}

static void *stress_main(void *arg)
{
	struct stress_thread *t = arg;
	struct stress_shared *sh = t->sh;
	__u32 owner = t->id + 1, index, prev;
	__u32 rnd = (t->id + 1) * 2654435761u;
	int objs[3], r, i;

	pthread_barrier_wait(&sh->barrier);
	for (i = 0; i < STRESS_ITERATIONS; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		__atomic_store_n(&t->ops, t->ops + 1, __ATOMIC_RELAXED);
		switch (rnd % 10) {
		case 0:	/* m1, recursively */
			objs[0] = sh->m1;
			if (wait_any(sh->dev, objs, 1, owner, 0, FOREVER, &index) || index) {
				STRESS_FAIL(t);
				break;
			}
			stress_enter(t, &sh->held1);
			sh->c1++;
			t->c1++;
			if (wait_any(sh->dev, objs, 1, owner, 0, 0, &index) || index) {
				STRESS_FAIL(t);
			} else {
				__u32 o, c;

				if (read_mutex(sh->m1, &o, &c) || o != owner || c != 2)
					STRESS_FAIL(t);
				stress_unlock(t, sh->m1, owner, 2);
			}
			stress_leave(&sh->held1);
			stress_unlock(t, sh->m1, owner, 1);
			break;
		case 1:	/* both mutexes and a manual event, all at once */
			objs[0] = sh->m1;
			objs[1] = sh->m2;
			objs[2] = sh->ev_manual;
			if (wait_all(sh->dev, objs, 3, owner, 0, FOREVER, &index) || index) {
				STRESS_FAIL(t);
				break;
			}
			stress_enter(t, &sh->held1);
			stress_enter(t, &sh->held2);
			sh->c1++;
			sh->c2++;
			t->c1++;
			t->c2++;
			stress_leave(&sh->held2);
			stress_leave(&sh->held1);
			stress_unlock(t, sh->m2, owner, 1);
			stress_unlock(t, sh->m1, owner, 1);
			break;
		case 2:	/* try the semaphore */
			objs[0] = sh->sem;
			r = wait_any(sh->dev, objs, 1, owner, 0, 0, &index);
			if (!r && !index)
				t->sem_acq++;
			else if (r != -1 || errno != ETIMEDOUT)
				STRESS_FAIL(t);
			break;
		case 3:
			if (sem_release(sh->sem, 1, &prev))
				STRESS_FAIL(t);
			else
				t->sem_rel++;
			break;
		case 4:	/* semaphore + m2, short timed wait-all */
			objs[0] = sh->sem;
			objs[1] = sh->m2;
			r = wait_all(sh->dev, objs, 2, owner, 0,
				     now_ns(CLOCK_MONOTONIC) + NSEC_PER_MSEC, &index);
			if (!r && !index) {
				t->sem_acq++;
				stress_enter(t, &sh->held2);
				sh->c2++;
				t->c2++;
				stress_leave(&sh->held2);
				stress_unlock(t, sh->m2, owner, 1);
			} else if (r != -1 || errno != ETIMEDOUT) {
				STRESS_FAIL(t);
			}
			break;
		case 5:	/* event or semaphore */
			objs[0] = sh->ev_auto;
			objs[1] = sh->sem;
			r = wait_any(sh->dev, objs, 2, owner, 0, 0, &index);
			if (!r && index == 0)
				t->ev_cons++;
			else if (!r && index == 1)
				t->sem_acq++;
			else if (r != -1 || errno != ETIMEDOUT)
				STRESS_FAIL(t);
			break;
		case 6:
			if (event_op(sh->ev_auto, NTSYNC_IOC_EVENT_SET, &prev) || prev > 1)
				STRESS_FAIL(t);
			else if (!prev)
				t->ev_prod++;
			break;
		case 7:
			if (event_op(sh->ev_auto, NTSYNC_IOC_EVENT_RESET, &prev) || prev > 1)
				STRESS_FAIL(t);
			else if (prev)
				t->ev_cons++;
			break;
		case 8:	/* either mutex */
			objs[0] = sh->m2;
			objs[1] = sh->m1;
			r = wait_any(sh->dev, objs, 2, owner, 0, FOREVER, &index);
			if (r || index > 1) {
				STRESS_FAIL(t);
			} else if (index == 0) {
				stress_enter(t, &sh->held2);
				sh->c2++;
				t->c2++;
				stress_leave(&sh->held2);
				stress_unlock(t, sh->m2, owner, 1);
			} else {
				stress_enter(t, &sh->held1);
				sh->c1++;
				t->c1++;
				stress_leave(&sh->held1);
				stress_unlock(t, sh->m1, owner, 1);
			}
			break;
		case 9:	/* event and semaphore together, short timed */
			objs[0] = sh->ev_auto;
			objs[1] = sh->sem;
			r = wait_all(sh->dev, objs, 2, owner, 0,
				     now_ns(CLOCK_MONOTONIC) + NSEC_PER_MSEC, &index);
			if (!r && !index) {
				t->ev_cons++;
				t->sem_acq++;
			} else if (r != -1 || errno != ETIMEDOUT) {
				STRESS_FAIL(t);
			}
			break;
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

NT_TEST_TIMEOUT(stress, 300)
{
	struct stress_thread t[STRESS_THREADS];
	unsigned long c1 = 0, c2 = 0, acq = 0, rel = 0, prod = 0, cons = 0;
	struct stress_shared sh;
	unsigned int i;
	__u64 start;

	memset(&sh, 0, sizeof(sh));
	sh.dev = self->dev;
	sh.m1 = NEW_MUTEX(self->dev, 0, 0);
	sh.m2 = NEW_MUTEX(self->dev, 0, 0);
	sh.sem = NEW_SEM(self->dev, STRESS_SEM_INIT, UINT32_MAX);
	sh.ev_auto = NEW_EVENT(self->dev, 0, 0);
	sh.ev_manual = NEW_EVENT(self->dev, 1, 1);
	ASSERT_EQ(0, pthread_barrier_init(&sh.barrier, NULL, STRESS_THREADS));
	start = now_ns(CLOCK_MONOTONIC);

	for (i = 0; i < STRESS_THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].sh = &sh;
		t[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i].thread, NULL, stress_main, &t[i]));
	}
	/* A lost wake-up shows as a thread that never finishes. */
	for (i = 0; i < STRESS_THREADS; i++) {
		if (poll_int_for(&t[i].done, 1, STRESS_DEADLINE_NS)) {
			unsigned int j;

			for (j = 0; j < STRESS_THREADS; j++)
				TH_LOG("thread %u: %s after %lu of %u operations", j,
				       __atomic_load_n(&t[j].done, __ATOMIC_ACQUIRE) ?
				       "finished" : "STUCK",
				       __atomic_load_n(&t[j].ops, __ATOMIC_RELAXED),
				       STRESS_ITERATIONS);
			ASSERT_TRUE(0) TH_LOG("stress threads stuck (lost wake-up?)");
		}
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		pthread_join(t[i].thread, NULL);
		EXPECT_EQ(0ul, t[i].errors)
			TH_LOG("thread %u: %lu errors, last at line %d (%s)", i,
			       t[i].errors, t[i].last_line, strerror(t[i].last_errno));
		EXPECT_EQ(0ul, t[i].overlaps) TH_LOG("thread %u: two owners at once", i);
		EXPECT_EQ((unsigned long)STRESS_ITERATIONS, t[i].ops);
		c1 += t[i].c1;
		c2 += t[i].c2;
		acq += t[i].sem_acq;
		rel += t[i].sem_rel;
		prod += t[i].ev_prod;
		cons += t[i].ev_cons;
	}
	pthread_barrier_destroy(&sh.barrier);

	EXPECT_EQ(c1, sh.c1);
	EXPECT_EQ(c2, sh.c2);
	CHECK_SEM(sh.sem, STRESS_SEM_INIT + rel - acq, UINT32_MAX);
	ASSERT_LE(cons, prod);
	CHECK_EVENT(sh.ev_auto, 0, prod - cons);
	CHECK_EVENT(sh.ev_manual, 1, 1);
	CHECK_MUTEX(sh.m1, 0, 0);
	CHECK_MUTEX(sh.m2, 0, 0);
	EXPECT_FDINFO(sh.m1, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.m2, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.sem, "ntsync-waiters", 0);
	EXPECT_FDINFO(sh.ev_auto, "ntsync-waiters", 0);
	TH_LOG("%u threads x %u ops in %llu ms: c1 %lu, c2 %lu, sem +%lu -%lu, event +%lu -%lu",
	       STRESS_THREADS, STRESS_ITERATIONS,
	       (unsigned long long)((now_ns(CLOCK_MONOTONIC) - start) / NSEC_PER_MSEC),
	       c1, c2, rel, acq, prod, cons);

	close(sh.m1);
	close(sh.m2);
	close(sh.sem);
	close(sh.ev_auto);
	close(sh.ev_manual);
}

/* ========================================================================
 * A WAIT_ANY that names an object many times, and as its alert too, reports
 * the object's lowest position, however it took it: another thread sets the
 * auto-reset event as fast as it can while this one waits on it at every
 * position (through a dup, as Wine's handles would be) and as the alert,
 * with a timeout already past.  A set can land between the wait's looks at
 * two positions, or hand the event to a later position (or the alert) while
 * the wait leaves the waiter lists; either way the wait must report 0.  It
 * runs until DUP_TAKES waits took the event (at most DUP_MAX_ROUNDS waits),
 * so that a loaded host does not thin the check out; its time limit is that
 * of a loaded host's slowest kernel (KASAN, every allocation failed once).
 */
#define DUP_TAKES	10000u
#define DUP_MAX_ROUNDS	400000

struct dup_race {
	int event;
	int stop;
};

static void *dup_race_setter(void *arg)
{
	struct dup_race *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
		event_op(d->event, NTSYNC_IOC_EVENT_SET, NULL);
	return NULL;
}

NT_TEST_TIMEOUT(wait_any_duplicate_race, 600)
{
	struct dup_race d = { .event = NEW_EVENT(self->dev, 0, 0) };
	unsigned int i, taken = 0, wrong = 0;
	int objs[NTSYNC_MAX_WAIT_COUNT], err = 0;
	pthread_t setter;
	__u32 index;

	objs[0] = d.event;
	objs[1] = dup(d.event);
	ASSERT_LE(0, objs[1]);
	for (i = 2; i < NTSYNC_MAX_WAIT_COUNT; i++)
		objs[i] = objs[1];
	ASSERT_EQ(0, pthread_create(&setter, NULL, dup_race_setter, &d));
	for (i = 0; i < DUP_MAX_ROUNDS && taken < DUP_TAKES; i++) {
		if (wait_any(self->dev, objs, NTSYNC_MAX_WAIT_COUNT, 1, objs[1], 0, &index)) {
			err = errno;
			if (err != ETIMEDOUT)
				break;
			continue;
		}
		taken++;
		if (index != 0)
			wrong++;
	}
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
	pthread_join(setter, NULL);
	EXPECT_EQ(DUP_TAKES, taken)
		TH_LOG("%u of %u waits took the event (%s)", taken, i, strerror(err));
	EXPECT_EQ(0u, wrong) TH_LOG("%u of %u waits reported a position above 0", wrong, taken);
	TH_LOG("%u of %u waits took the event", taken, i);
	close(objs[1]);
	close(d.event);
}

/* ========================================================================
 * A WAIT_ANY reports the lowest position that was free at one instant (the
 * contract: every wait is linearizable).  A thread waits on {A, B}, another
 * signals A, then B: whenever the wait reports B, A had been signaled
 * before B and nobody took it, so no order of the three operations gives
 * that answer.  For semaphores, auto- and manual-reset events, mutexes
 * (owned by another owner, then unlocked), and with B as the alert.
 *
 * Where the driver has the debug build's delay point (the module parameter
 * debug_wait_any_delay_ms: the unqueued first pass of a WAIT_ANY sleeps
 * between positions), each round signals while the wait sleeps between A
 * and B, seen from /proc: the race's window, every round.  Elsewhere the
 * rounds race freely, the setter starting after a spin that varies by
 * round (the kernel's driver on 7.2 reports B in a few to a hundred of
 * every 20000 rounds of a kind).
 */
#define RACE_ROUNDS		20000
#define RACE_DELAY_ROUNDS	3
#define RACE_DELAY_MS		"50"
#define RACE_OWNER		7
#define RACE_OTHER		99
#define RACE_PARAM		"/sys/module/ntsync/parameters/debug_wait_any_delay_ms"

enum race_kind { RACE_SEM, RACE_AUTO, RACE_MANUAL, RACE_MUTEX, RACE_ALERT, RACE_KINDS };

static const char *const race_names[RACE_KINDS] = {
	"semaphores", "auto-reset events", "manual-reset events", "mutexes",
	"an auto-reset event, then the alert",
};

struct race {
	int dev, alert, ret, err, stop;
	__u32 count, index;
	int objs[NTSYNC_MAX_WAIT_COUNT];
	pid_t tid;
	/* Rounds started by the setter, and finished by the waiter. */
	unsigned int go, done;
};

/*
 * The two threads meet by spinning, not on a futex: a wake-up's latency
 * would scatter the setter's start far wider than the window it must hit.
 */
static void *race_waiter(void *arg)
{
	struct race *r = arg;
	unsigned int seen = 0, go;

	__atomic_store_n(&r->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (;;) {
		while ((go = __atomic_load_n(&r->go, __ATOMIC_ACQUIRE)) == seen)
			;
		seen = go;
		if (r->stop)
			return NULL;
		r->ret = wait_any(r->dev, r->objs, r->count, RACE_OWNER, r->alert,
				  FOREVER, &r->index);
		r->err = errno;
		__atomic_store_n(&r->done, go, __ATOMIC_RELEASE);
	}
}

static void race_go(struct race *r)
{
	__atomic_store_n(&r->go, r->go + 1, __ATOMIC_RELEASE);
}

static int race_new(int dev, enum race_kind kind)
{
	switch (kind) {
	case RACE_SEM:
		return create_sem(dev, 0, 1);
	case RACE_MUTEX:
		return create_mutex(dev, RACE_OTHER, 1);
	case RACE_MANUAL:
		return create_event(dev, 1, 0);
	default:
		return create_event(dev, 0, 0);
	}
}

static int race_signal(int obj, enum race_kind kind)
{
	switch (kind) {
	case RACE_SEM:
		return sem_release(obj, 1, NULL);
	case RACE_MUTEX:
		return mutex_unlock(obj, RACE_OTHER, NULL);
	default:
		return event_op(obj, NTSYNC_IOC_EVENT_SET, NULL);
	}
}

/* Writes a value to the debug build's delay parameter: 0, or -1 if there is none. */
static int race_delay(const char *ms)
{
	int fd = open(RACE_PARAM, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, ms, strlen(ms));
	close(fd);
	return n == (ssize_t)strlen(ms) ? 0 : -1;
}

/*
 * One round: the waiter waits on A and B (or B as its alert), and A then B
 * is signaled.  Returns the index the wait reported, or -1 if it
 * failed.
 */
static int race_round(struct race *r, enum race_kind kind, bool delayed,
		      unsigned int spin)
{
	int a = race_new(r->dev, kind), b = race_new(r->dev, kind), ret = -1;
	volatile unsigned int i;

	if (a < 0 || b < 0)
		goto out;
	r->objs[0] = a;
	if (kind == RACE_ALERT)
		r->alert = b;
	else
		r->objs[r->count - 1] = b;
	race_go(r);
	if (delayed) {
		/* The waiter looked at A and sleeps before it looks at B. */
		while (!thread_sleeps_in_ioctl(r->tid))
			sleep_ms(1);
	} else {
		for (i = 0; i < spin; i++)
			;
	}
	if (race_signal(a, kind) || race_signal(b, kind))
		ret = -2;
	while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) != r->go)
		;
	if (ret == -1 && !r->ret)
		ret = r->index;
out:
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return ret;
}

NT_TEST_TIMEOUT(wait_any_lowest_position_race, 600)
{
	unsigned int k, i, rounds, wrong, total_wrong = 0;
	struct race r = { .dev = self->dev };
	bool delayed = !race_delay(RACE_DELAY_MS);
	pthread_t waiter;
	int index;

	ASSERT_EQ(0, pthread_create(&waiter, NULL, race_waiter, &r));
	while (!__atomic_load_n(&r.tid, __ATOMIC_ACQUIRE))
		sleep_ms(1);
	rounds = delayed ? RACE_DELAY_ROUNDS : RACE_ROUNDS;
	TH_LOG("%s", delayed ? "with the debug build's delay point" :
	       "racing freely, without a delay point");

	for (k = 0; k < RACE_KINDS; k++) {
		r.count = k == RACE_ALERT ? 1 : 2;
		r.alert = 0;
		for (i = 0, wrong = 0; i < rounds; i++) {
			index = race_round(&r, k, delayed, (i * 7) % 512);
			if (index < 0) {
				wrong++;
				TH_LOG("%s: round %u: %s", race_names[k], i,
				       index == -2 ? "a signal failed" : strerror(r.err));
				break;
			}
			wrong += index != 0;
		}
		EXPECT_EQ(0u, wrong) TH_LOG("%s: %u of %u waits reported B, signaled after A",
					    race_names[k], wrong, i);
		total_wrong += wrong;
	}
	if (delayed)
		EXPECT_EQ(0, race_delay("0"));
	r.stop = 1;
	race_go(&r);
	pthread_join(waiter, NULL);
	TH_LOG("%u waits reported a later position, in %u rounds of each kind",
	       total_wrong, rounds);
}

TEST_HARNESS_MAIN
