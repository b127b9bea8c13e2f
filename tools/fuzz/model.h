/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync-fuzz model: what its three files share.
 *
 *   model-ntsync.c   the model of the contract, one function per function of
 *                    the driver (ntsync.c) that decides an outcome, named
 *                    after it with a model_ prefix: what a call must return,
 *                    write back and do to the objects
 *   model.c          the mode: random steps, each compared with the model
 *   model-waiters.c  --waiters: threads whose waits sleep
 */
#ifndef NTSYNC_FUZZ_MODEL_H
#define NTSYNC_FUZZ_MODEL_H

#include "ntsync-fuzz.h"

struct m_obj {
	int type;
	uint32_t a, b;	/* sem: count, max; mutex: owner, count; event: manual, signaled */
	bool dead;	/* abandoned mutex */
	int inst;
	int refs;	/* fds naming it */
};

#define M_OBJS 256
#define M_FDS 40

struct m_fd {
	int fd, obj;
};

extern struct m_obj m_objs[M_OBJS];
extern struct m_fd m_fds[M_FDS];
extern int m_nfds;
extern int m_dev[2], m_inst[2];
extern uint64_t m_step;
extern bool m_touched[M_OBJS];
extern uint64_t m_op_end[2];	/* CLOCK_MONOTONIC, CLOCK_REALTIME after the last object ioctl */
extern int m_pulsed;		/* an event pulsed by this step (with waiters) */
extern int m_force_idx, m_force_c;	/* with waiters: the next object ioctl's fd and kind */

/* The values an ioctl writes back to its argument, in order. */
struct m_written {
	int n;
	uint32_t v[2];
};

/* model-ntsync.c: the model of ntsync.c */
bool model_obj_can_acquire(const struct m_obj *obj, uint32_t owner);
bool model_obj_acquire(struct m_obj *obj, uint32_t owner);
int model_create_sem(const struct ntsync_sem_args *args);
int model_create_mutex(const struct ntsync_mutex_args *args);
int model_create_event(const struct ntsync_event_args *args);
int model_obj_ioctl(struct m_obj *obj, unsigned long cmd, bool fault, const uint32_t arg[2],
		    struct m_written *w);
int model_get_wait_args(const struct ntsync_wait_args *args);
int model_setup_wait(bool all, const int *objs, uint32_t count, int alert_obj);
int model_wait_any(const int *objs, uint32_t count, int alert_obj, uint32_t owner,
		   uint32_t *index);
int model_wait_all(const int *objs, uint32_t count, int alert_obj, uint32_t owner,
		   uint32_t *index);
void model_obj_show_fdinfo(int obj, char *buf, size_t size);

/* model.c: the steps */
void m_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void m_desc_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int m_pick(int type, int inst);
void m_obj_ioctl(void);

/* model-waiters.c: --waiters */
#define MW_MAX 8
struct mw;
extern const struct mw *mw_failed;	/* the wait a failure is about */
void mw_show(void);
void mw_fdinfo_want(int obj, char *buf, size_t size);
int mw_pick(int type);
bool mw_start(void);
bool mw_nudge(void);
void mw_settle(void);
void mw_begin(void);
void mw_end(void);
int mw_tap(void);

#endif /* NTSYNC_FUZZ_MODEL_H */
