/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync-fuzz lincheck: histories of concurrent calls, and whether one is
 * linearizable against the model (model-ntsync.c).
 *
 * lincheck.c is the checker: it knows the model's functions and nothing of
 * the threads that made the history; lincheck-run.c is the mode that makes
 * histories (see ntsync-fuzz.h) and hands them over one window at a time;
 * lincheck-self.c tests the checker on histories written by hand.
 */
#ifndef NTSYNC_FUZZ_LINCHECK_H
#define NTSYNC_FUZZ_LINCHECK_H

#include "model.h"

#define LIN_MAX_OBJS 8
#define LIN_MAX_OPS 64		/* the done-set of the search is a 64-bit mask */
#define LIN_WAIT_MAX 4

enum { LIN_OBJ_IOCTL, LIN_WAIT_ANY, LIN_WAIT_ALL };

/* One call, as the thread that made it recorded it. */
struct lin_op {
	int thread;
	/*
	 * Stamps from one counter that every thread increments atomically:
	 * inv just before the ioctl, resp just after it returned.  An op
	 * precedes another in real time if its resp is below the other's inv.
	 */
	uint64_t inv, resp;
	int kind;
	/* LIN_OBJ_IOCTL: the command, the object, its argument before and after */
	unsigned long cmd;
	int obj;
	uint32_t in[2], out[2];
	/* LIN_WAIT_ANY, LIN_WAIT_ALL: objects (indices), alert (-1: none), owner, timeout */
	uint32_t count, owner;
	int objs[LIN_WAIT_MAX];
	int alert;
	uint64_t timeout_ns;	/* relative to the call, for printing; 0: already past */
	uint32_t index;		/* written back */
	int ret;		/* 0 or -errno */
};

/*
 * A window: the calls made between two quiescent points, the objects'
 * states read at the first (start) and at the second (end).  Objects are
 * indices into start/end; only type, a, b and dead count.
 */
struct lin_window {
	int nobjs, nops;
	struct m_obj start[LIN_MAX_OBJS], end[LIN_MAX_OBJS];
	struct lin_op ops[LIN_MAX_OPS];
};

struct lin_stats {
	uint64_t windows, ops, nodes, at_pulse, undecided;
	uint64_t max_nodes;		/* in one window */
	unsigned int max_window;	/* ops in one window */
};

/* The outcome of lin_check(). */
enum { LIN_OK, LIN_VIOLATION, LIN_UNDECIDED };

/*
 * Whether some order of @w's calls that respects real time takes the
 * model from @w->start to @w->end with every call's result; on
 * LIN_VIOLATION, @best[0..*nbest) is the longest prefix of such an order
 * that the model accepted.
 */
int lin_check(const struct lin_window *w, struct lin_stats *st, int *best, int *nbest);

/*
 * lincheck-self.c: histories with known verdicts through lin_check();
 * the number it got wrong (each printed).
 */
int lin_self_test(void);

/* One call, as "CALL -> RESULT", for a printed history. */
void lin_describe(const struct lin_window *w, const struct lin_op *op, char *buf, size_t size);

#endif /* NTSYNC_FUZZ_LINCHECK_H */
