// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz lincheck: the checker's own test.  Before every run, a few
 * histories written by hand, whose verdicts are known, go through
 * lin_check(): a checker that calls the contract's own WAIT_ANY example
 * linearizable, or calls a wait woken by a PULSE a violation, would make
 * the run's "every history linearizable" worthless in one direction or the
 * other.  Objects: 0 and 1 are auto-reset events, 2 a manual-reset event.
 */
#include "lincheck.h"

static struct lin_window ls_w;

static void ls_events(bool s0, bool s1, bool s2, bool e0, bool e1, bool e2)
{
	const bool start[3] = { s0, s1, s2 }, end[3] = { e0, e1, e2 };
	int i;

	ls_w.nobjs = 3;
	ls_w.nops = 0;
	for (i = 0; i < 3; i++) {
		ls_w.start[i] = (struct m_obj){ EVENT, i == 2, start[i], false, 0, 1 };
		ls_w.end[i] = (struct m_obj){ EVENT, i == 2, end[i], false, 0, 1 };
	}
}

static struct lin_op *ls_op(int thread, uint64_t inv, uint64_t resp)
{
	struct lin_op *op = &ls_w.ops[ls_w.nops++];

	memset(op, 0, sizeof(*op));
	op->thread = thread;
	op->inv = inv;
	op->resp = resp;
	op->alert = -1;
	return op;
}

/* EVENT_SET, EVENT_PULSE or EVENT_READ of @obj, that found it @prev. */
static void ls_event(int thread, uint64_t inv, uint64_t resp, int obj, unsigned long cmd,
		     uint32_t prev)
{
	struct lin_op *op = ls_op(thread, inv, resp);

	op->kind = LIN_OBJ_IOCTL;
	op->cmd = cmd;
	op->obj = obj;
	op->in[0] = op->in[1] = 0xcccccccc;
	op->out[0] = prev;
	op->out[1] = 0xcccccccc;
	if (cmd == NTSYNC_IOC_EVENT_READ) {
		op->out[0] = obj == 2;
		op->out[1] = prev;
	}
}

/* WAIT_ANY on objects @a and @b (@b < 0: only @a), with @alert, that returned @ret and @index. */
static void ls_wait_any(int thread, uint64_t inv, uint64_t resp, int a, int b, int alert,
			int ret, uint32_t index)
{
	struct lin_op *op = ls_op(thread, inv, resp);

	op->kind = LIN_WAIT_ANY;
	op->owner = thread + 1;
	op->objs[op->count++] = a;
	if (b >= 0)
		op->objs[op->count++] = b;
	op->alert = alert;
	op->timeout_ns = 1000000;
	op->ret = ret;
	op->index = index;
}

static int ls_bad, ls_n;

static void ls_expect(int want, const char *what)
{
	struct lin_stats st = { 0 };
	int best[LIN_MAX_OPS], nbest, got;

	ls_n++;
	got = lin_check(&ls_w, &st, best, &nbest);
	if (got == want)
		return;
	ls_bad++;
	printf("# lincheck: checker self-test: %s: %s, want %s\n", what,
	       got == LIN_OK ? "linearizable" : got == LIN_VIOLATION ? "violation" : "undecided",
	       want == LIN_OK ? "linearizable" : "violation");
}

int lin_self_test(void)
{
	ls_bad = ls_n = 0;
	/* The contract's example: WAIT_ANY on {A, B}; A is set, then B; the wait says B. */
	ls_events(0, 0, 0, 1, 0, 0);
	ls_wait_any(0, 0, 10, 0, 1, -1, 0, 1);
	ls_event(1, 1, 2, 0, NTSYNC_IOC_EVENT_SET, 0);
	ls_event(1, 3, 4, 1, NTSYNC_IOC_EVENT_SET, 0);
	ls_expect(LIN_VIOLATION, "WAIT_ANY reports B after A then B were set");
	ls_w.ops[0].index = 0;
	ls_w.end[0].b = 0;
	ls_w.end[1].b = 1;
	ls_expect(LIN_OK, "WAIT_ANY reports A after A then B were set");
	/* The same with the alert as the later position. */
	ls_events(0, 0, 0, 1, 0, 0);
	ls_wait_any(0, 0, 10, 0, -1, 1, 0, 1);
	ls_event(1, 1, 2, 0, NTSYNC_IOC_EVENT_SET, 0);
	ls_event(1, 3, 4, 1, NTSYNC_IOC_EVENT_SET, 0);
	ls_expect(LIN_VIOLATION, "WAIT_ANY reports the alert after A then the alert were set");
	/* A PULSE of the manual event wakes a wait that started before it returned... */
	ls_events(0, 0, 0, 0, 0, 0);
	ls_wait_any(0, 0, 10, 2, -1, -1, 0, 0);
	ls_event(1, 1, 2, 2, NTSYNC_IOC_EVENT_PULSE, 0);
	ls_expect(LIN_OK, "a PULSE wakes a wait");
	/* ...but not one that started after. */
	ls_w.ops[0].inv = 3;
	ls_expect(LIN_VIOLATION, "a wait that started after a PULSE takes it");
	/* A PULSE of an auto-reset event wakes one wait, not two. */
	ls_events(0, 0, 0, 0, 0, 0);
	ls_wait_any(0, 0, 10, 0, -1, -1, 0, 0);
	ls_wait_any(2, 1, 11, 0, -1, -1, 0, 0);
	ls_event(1, 2, 3, 0, NTSYNC_IOC_EVENT_PULSE, 0);
	ls_expect(LIN_VIOLATION, "an auto-reset PULSE wakes two waits");
	ls_w.ops[1].ret = -ETIMEDOUT;
	ls_expect(LIN_OK, "an auto-reset PULSE wakes one of two waits");
	/* A READ never sees a PULSE. */
	ls_events(0, 0, 0, 0, 0, 0);
	ls_event(1, 2, 3, 2, NTSYNC_IOC_EVENT_PULSE, 0);
	ls_event(0, 1, 4, 2, NTSYNC_IOC_EVENT_READ, 1);
	ls_expect(LIN_VIOLATION, "a READ sees a PULSE");
	ls_w.ops[1].out[1] = 0;
	ls_expect(LIN_OK, "a READ does not see a PULSE");
	/*
	 * A wait placed just after a PULSE need not be at it: the manual event
	 * is pulsed twice while a wait on {manual, A} runs, and the wait
	 * takes A (signaled throughout), after the first PULSE.
	 */
	ls_events(1, 0, 1, 0, 0, 0);
	ls_wait_any(0, 0, 7, 2, 0, -1, 0, 1);
	ls_w.ops[0].timeout_ns = 0;
	ls_event(1, 3, 4, 2, NTSYNC_IOC_EVENT_PULSE, 1);
	ls_event(2, 5, 6, 2, NTSYNC_IOC_EVENT_PULSE, 0);
	ls_expect(LIN_OK, "a wait just after a PULSE, not at it");
	/* If both PULSEs come after the wait, the manual event was signaled throughout. */
	ls_w.ops[1].inv = 8;
	ls_w.ops[1].resp = 9;
	ls_w.ops[2].inv = 10;
	ls_w.ops[2].resp = 11;
	ls_expect(LIN_VIOLATION, "WAIT_ANY skips a signaled manual event");
	printf("# lincheck: checker self-test: %d of %d histories get their known verdict\n",
	       ls_n - ls_bad, ls_n);
	return ls_bad;
}
