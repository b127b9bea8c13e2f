// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-fuzz lincheck: the checker.  A window's history is linearizable if
 * some total order of its calls (1) keeps every call after the calls that
 * returned before it started, (2) gives, applied one at a time to the model
 * from the window's start state, every call's recorded result, and (3) ends
 * in the state read at the window's end.  The search is Wing and Gong's:
 * depth first, each step one call that no other pending call precedes in
 * real time, backtracking when the model refuses the call's result, and
 * remembering every (done set, model state) that led nowhere, so that each
 * is searched once (Lowe's improvement; also what porcupine does).
 *
 * What a call does in the model:
 *
 * - An object ioctl: model_obj_ioctl(); its result and what it wrote back
 *   must be the model's, and a failed call must leave its argument alone.
 * - A wait that acquired (0 or EOWNERDEAD): at its instant, for WAIT_ANY,
 *   the position it reports is acquirable and no lower one is (the alert
 *   counting as position count); for WAIT_ALL, all objects are at once
 *   (index 0), or the alert is and not all objects are (index count).  It
 *   acquires what it reports, and EOWNERDEAD says that this took an
 *   abandoned mutex.  A blocking wait needs no more than that: its instant
 *   may be anywhere inside the call, which is what (1) allows anyway.
 * - A wait that timed out took nothing: it is a no-op wherever it goes.
 * - EVENT_PULSE is a set and a reset in one instant, so nothing sees the
 *   event signaled, except the waits it wakes, whose instant is the pulse's.
 *   The rule: a PULSE leaves a mark; a wait placed after it with only waits
 *   in between, that started before the PULSE returned, is tried twice: at
 *   the pulse (it sees the event signaled; an auto-reset event only until
 *   one such wait takes it) and just after it (it sees the event as the
 *   PULSE left it).  Any other call ends the mark, as does a wait that
 *   started after the PULSE returned.
 *
 * Nothing here calls the driver or knows the threads: only the model.
 */
#include "lincheck.h"

/* A window's search gives up (LIN_UNDECIDED) after this many calls tried. */
#define LIN_MAX_NODES 2000000

/* The model's state during the search: the objects, and the PULSE mark (an op, or -1). */
struct lin_state {
	struct m_obj o[LIN_MAX_OBJS];
	int pulse;
};

/* What a state is, for remembering it: no padding, so that memcmp works. */
struct lin_key {
	uint64_t done;
	uint32_t ab[LIN_MAX_OBJS][2];
	uint8_t dead[LIN_MAX_OBJS];
	int32_t pulse;
};

#define LIN_MEMO_BITS 16
struct lin_memo {
	uint32_t gen;
	struct lin_key key;
};

static struct lin_memo lin_memo[1u << LIN_MEMO_BITS];
static uint32_t lin_gen;
static unsigned int lin_memo_used;

/* The search of one window. */
struct lin_search {
	const struct lin_window *w;
	uint64_t all, nodes;
	int order[LIN_MAX_OPS], depth;
	int *best, nbest;
	uint64_t at_pulse;
};

static void lin_key(struct lin_key *k, const struct lin_search *s, uint64_t done,
		    const struct lin_state *st)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->done = done;
	for (i = 0; i < s->w->nobjs; i++) {
		k->ab[i][0] = st->o[i].a;
		k->ab[i][1] = st->o[i].b;
		k->dead[i] = st->o[i].dead;
	}
	k->pulse = st->pulse;
}

static uint32_t lin_hash(const struct lin_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Whether @k was searched before; if not, remember it (while there is room). */
static bool lin_seen(const struct lin_key *k, bool add)
{
	uint32_t mask = (1u << LIN_MEMO_BITS) - 1, i = lin_hash(k) & mask, n;

	for (n = 0; n <= mask; n++, i = (i + 1) & mask) {
		struct lin_memo *m = &lin_memo[i];

		if (m->gen != lin_gen) {
			if (add && lin_memo_used < mask / 2) {
				m->gen = lin_gen;
				m->key = *k;
				lin_memo_used++;
			}
			return false;
		}
		if (!memcmp(&m->key, k, sizeof(*k)))
			return true;
	}
	return false;
}

/* An object ioctl, @i of the window; false if the model disagrees with its result. */
static bool lin_apply_obj(struct lin_state *st, const struct lin_op *op, int i)
{
	struct m_obj *o = &st->o[op->obj];
	struct m_obj save = *o;
	unsigned long cmd = op->cmd;
	struct m_written w;
	int want, k;

	st->pulse = -1;
	/* For the object, a PULSE is a RESET (that writes the same back); its wake is the mark. */
	if (cmd == NTSYNC_IOC_EVENT_PULSE)
		cmd = NTSYNC_IOC_EVENT_RESET;
	want = model_obj_ioctl(o, cmd, false, op->in, &w);
	if (op->ret != want)
		return false;
	if (want && want != -EOWNERDEAD) {
		*o = save;
		return !memcmp(op->out, op->in, sizeof(op->in));
	}
	for (k = 0; k < w.n; k++) {
		if (op->out[k] != w.v[k])
			return false;
	}
	if (op->cmd == NTSYNC_IOC_EVENT_PULSE)
		st->pulse = i;
	return true;
}

/* What a wait that acquired may have acquired, in @o; false if the model refuses it. */
static bool lin_apply_wait_objs(struct m_obj *o, const struct lin_op *op)
{
	uint32_t n = op->count, j;
	bool dead = false, can = true;
	int target;

	if (op->ret != 0 && op->ret != -EOWNERDEAD)
		return false;
	if (op->kind == LIN_WAIT_ALL) {
		for (j = 0; j < n; j++)
			can = can && model_obj_can_acquire(&o[op->objs[j]], op->owner);
		if (op->index == 0 && n && can) {
			for (j = 0; j < n; j++)
				dead |= model_obj_acquire(&o[op->objs[j]], op->owner);
			return dead == (op->ret == -EOWNERDEAD);
		}
		if (op->index != n || op->alert < 0 || can ||
		    !model_obj_can_acquire(&o[op->alert], op->owner))
			return false;
		model_obj_acquire(&o[op->alert], op->owner);
		return op->ret == 0;
	}
	if (op->index > n)
		return false;
	for (j = 0; j < op->index; j++) {
		if (model_obj_can_acquire(&o[op->objs[j]], op->owner))
			return false;	/* a lower position was acquirable */
	}
	target = op->index < n ? op->objs[op->index] : op->alert;
	if (target < 0 || !model_obj_can_acquire(&o[target], op->owner))
		return false;
	dead = model_obj_acquire(&o[target], op->owner);
	return dead == (op->ret == -EOWNERDEAD);
}

/* Whether a wait that acquired took @obj. */
static bool lin_took(const struct lin_op *op, int obj)
{
	uint32_t j;

	if (op->kind == LIN_WAIT_ANY || op->index == op->count)
		return (op->index < op->count ? op->objs[op->index] : op->alert) == obj;
	for (j = 0; j < op->count; j++) {
		if (op->objs[j] == obj)
			return true;
	}
	return false;
}

/*
 * Whether the PULSE mark may apply to a wait, @i of the window: its event
 * is then signaled for it if it is placed at the pulse.
 */
static bool lin_at_pulse_possible(const struct lin_search *s, const struct lin_state *st, int i)
{
	return st->pulse >= 0 && s->w->ops[i].inv < s->w->ops[st->pulse].resp &&
	       s->w->ops[i].ret != -ETIMEDOUT;
}

/*
 * A wait, @i of the window, placed at the marked pulse (@at_pulse) or
 * after it; *took_pulse: it took the pulsed event.
 */
static bool lin_apply_wait(struct lin_search *s, struct lin_state *st, int i, bool at_pulse,
			   bool *took_pulse)
{
	const struct lin_op *op = &s->w->ops[i];
	struct m_obj *ev = NULL;
	bool ok;

	*took_pulse = false;
	if (st->pulse >= 0 && op->inv >= s->w->ops[st->pulse].resp)
		st->pulse = -1;
	if (op->ret == -ETIMEDOUT)
		return true;	/* took nothing */
	if (at_pulse)
		ev = &st->o[s->w->ops[st->pulse].obj];
	if (ev)
		ev->b = 1;
	ok = lin_apply_wait_objs(st->o, op);
	if (ev) {
		/* An auto-reset event goes to one waiter; a manual one stays marked. */
		*took_pulse = ok && lin_took(op, ev - st->o);
		if (*took_pulse && !ev->a)
			st->pulse = -1;
		ev->b = 0;
	}
	return ok;
}

static bool lin_same_state(const struct lin_window *w, const struct lin_state *st)
{
	int i;

	for (i = 0; i < w->nobjs; i++) {
		const struct m_obj *x = &st->o[i], *y = &w->end[i];

		if (x->a != y->a || x->b != y->b || x->dead != y->dead)
			return false;
	}
	return true;
}

static bool lin_dfs(struct lin_search *s, uint64_t done, const struct lin_state *st)
{
	const struct lin_window *w = s->w;
	uint64_t min_resp = UINT64_MAX;
	struct lin_key key;
	int i;

	if (done == s->all)
		return lin_same_state(w, st);
	if (s->nodes > LIN_MAX_NODES)
		return false;
	lin_key(&key, s, done, st);
	if (lin_seen(&key, false))
		return false;
	for (i = 0; i < w->nops; i++) {
		if (!(done & (1ull << i)) && w->ops[i].resp < min_resp)
			min_resp = w->ops[i].resp;
	}
	for (i = 0; i < w->nops; i++) {
		const struct lin_op *op = &w->ops[i];
		int variant, variants = 1;

		/* Only a call that no pending call returned before. */
		if ((done & (1ull << i)) || op->inv > min_resp)
			continue;
		/* A wait under the PULSE mark: at the pulse (variant 1), or after it. */
		if (op->kind != LIN_OBJ_IOCTL && lin_at_pulse_possible(s, st, i))
			variants = 2;
		for (variant = 0; variant < variants; variant++) {
			struct lin_state next = *st;
			bool ok, took = false;

			s->nodes++;
			if (op->kind == LIN_OBJ_IOCTL)
				ok = lin_apply_obj(&next, op, i);
			else
				ok = lin_apply_wait(s, &next, i, variant, &took);
			if (!ok)
				continue;
			s->order[s->depth++] = i;
			if (s->depth > s->nbest) {
				s->nbest = s->depth;
				memcpy(s->best, s->order, sizeof(int) * s->depth);
			}
			if (lin_dfs(s, done | (1ull << i), &next)) {
				s->at_pulse += took;
				return true;
			}
			s->depth--;
		}
	}
	lin_seen(&key, true);
	return false;
}

int lin_check(const struct lin_window *w, struct lin_stats *stats, int *best, int *nbest)
{
	struct lin_search s = { .w = w, .best = best };
	struct lin_state st;
	bool ok;

	if (w->nops > LIN_MAX_OPS || w->nobjs > LIN_MAX_OBJS)
		return LIN_UNDECIDED;
	memset(&st, 0, sizeof(st));
	memcpy(st.o, w->start, sizeof(w->start[0]) * w->nobjs);
	st.pulse = -1;
	s.all = w->nops == 64 ? ~0ull : (1ull << w->nops) - 1;
	if (!++lin_gen)
		memset(lin_memo, 0, sizeof(lin_memo));
	lin_memo_used = 0;
	ok = lin_dfs(&s, 0, &st);
	stats->windows++;
	stats->ops += w->nops;
	stats->nodes += s.nodes;
	stats->at_pulse += s.at_pulse;
	if (s.nodes > stats->max_nodes)
		stats->max_nodes = s.nodes;
	if ((unsigned int)w->nops > stats->max_window)
		stats->max_window = w->nops;
	*nbest = s.nbest;
	if (ok)
		return LIN_OK;
	if (s.nodes > LIN_MAX_NODES) {
		stats->undecided++;
		return LIN_UNDECIDED;
	}
	return LIN_VIOLATION;
}

static const char *lin_cmd_name(unsigned long cmd)
{
	switch (cmd) {
	case NTSYNC_IOC_SEM_RELEASE: return "SEM_RELEASE";
	case NTSYNC_IOC_SEM_READ: return "SEM_READ";
	case NTSYNC_IOC_MUTEX_UNLOCK: return "MUTEX_UNLOCK";
	case NTSYNC_IOC_MUTEX_KILL: return "MUTEX_KILL";
	case NTSYNC_IOC_MUTEX_READ: return "MUTEX_READ";
	case NTSYNC_IOC_EVENT_SET: return "EVENT_SET";
	case NTSYNC_IOC_EVENT_RESET: return "EVENT_RESET";
	case NTSYNC_IOC_EVENT_PULSE: return "EVENT_PULSE";
	case NTSYNC_IOC_EVENT_READ: return "EVENT_READ";
	}
	return "?";
}

/* "sem0", "mutex2", "event4": an object's type and its index in the window. */
static int lin_obj_name(const struct lin_window *w, int obj, char *buf, size_t size)
{
	static const char *const short_names[] = { "sem", "mutex", "event" };

	return snprintf(buf, size, "%s%d", short_names[w->start[obj].type], obj);
}

void lin_describe(const struct lin_window *w, const struct lin_op *op, char *buf, size_t size)
{
	size_t len = 0;
	uint32_t j;

#define LIN_PUT(...) \
	(len += snprintf(buf + len, len < size ? size - len : 0, __VA_ARGS__))
	if (op->kind == LIN_OBJ_IOCTL) {
		LIN_PUT("%s ", lin_cmd_name(op->cmd));
		len += lin_obj_name(w, op->obj, buf + len, len < size ? size - len : 0);
		switch (op->cmd) {
		case NTSYNC_IOC_SEM_RELEASE:
		case NTSYNC_IOC_MUTEX_KILL:
			LIN_PUT(" {%u}", op->in[0]);
			break;
		case NTSYNC_IOC_MUTEX_UNLOCK:
			LIN_PUT(" {owner %u}", op->in[0]);
			break;
		}
		LIN_PUT(" -> %s", errname(op->ret));
		if (op->ret && op->ret != -EOWNERDEAD)
			return;
		if (op->cmd == NTSYNC_IOC_SEM_READ || op->cmd == NTSYNC_IOC_MUTEX_READ ||
		    op->cmd == NTSYNC_IOC_EVENT_READ || op->cmd == NTSYNC_IOC_MUTEX_UNLOCK)
			LIN_PUT(" {%u, %u}", op->out[0], op->out[1]);
		else if (op->cmd != NTSYNC_IOC_MUTEX_KILL)
			LIN_PUT(" {%u}", op->out[0]);
		return;
	}
	LIN_PUT("%s [", op->kind == LIN_WAIT_ALL ? "WAIT_ALL" : "WAIT_ANY");
	for (j = 0; j < op->count; j++) {
		LIN_PUT("%s", j ? "," : "");
		len += lin_obj_name(w, op->objs[j], buf + len, len < size ? size - len : 0);
	}
	LIN_PUT("] alert ");
	if (op->alert >= 0)
		len += lin_obj_name(w, op->alert, buf + len, len < size ? size - len : 0);
	else
		LIN_PUT("-");
	LIN_PUT(" owner %u timeout ", op->owner);
	if (op->timeout_ns)
		LIN_PUT("+%" PRIu64 "us", op->timeout_ns / 1000);
	else
		LIN_PUT("past");
	LIN_PUT(" -> %s", errname(op->ret));
	if (!op->ret || op->ret == -EOWNERDEAD)
		LIN_PUT(" index %u", op->index);
#undef LIN_PUT
}
