/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ntsync-fuzz: random ioctls on /dev/ntsync, for the debug kernels of
 * `make check-debug` (tools/debug/).  One binary, one file per mode, all
 * reproducible from a seed and all ending with a TAP summary
 * ("ok N - ..." / "not ok N - ...") and a non-zero exit status on failure:
 *
 *   stress  (stress.c) Several threads issue random ioctls for a while:
 *           valid and invalid arguments, bad pointers, closed fds, fds of
 *           another instance, WAIT_ANY/WAIT_ALL on random sets with tiny
 *           timeouts and alerts, MUTEX_KILL, dup and close racing with use,
 *           signals (with and without SA_RESTART) delivered to waiting
 *           threads.  The point is what the kernel says about it (lockdep,
 *           KASAN, KCSAN, ...); the program itself only checks that every
 *           error is one the interface can return and that nothing hangs.
 *
 *   model   (model.c, model-ntsync.c, model-waiters.c) One thread; every
 *           result, every value written back and, after every step, the
 *           state of every object touched is compared with a small
 *           user-space model of the contract (spec/ABI.md,
 *           Documentation/ntsync.rst), whose functions in model-ntsync.c
 *           carry the names of the driver's in ntsync.c with a model_
 *           prefix.  Stops at the first divergence and prints the seed and
 *           the step.  --ro-wait-args adds waits whose argument struct is
 *           read-only (EFAULT, and nothing acquired).  --waiters N (up to 8)
 *           adds N threads whose waits sleep while the model's thread
 *           changes states: every outcome is checked against the model, and
 *           a wait the model says can proceed must not stay asleep (see
 *           model-waiters.c).
 *
 *   faults  (faults.c) Creates and waits under failslab: the caller
 *           (tools/debug) configures /sys/kernel/debug/failslab for the
 *           tasks marked in /proc/<tid>/make-it-fail; this program sets the
 *           mark around each ntsync call only, and checks that every call
 *           succeeds with the right effect or fails with ENOMEM and changes
 *           nothing (no object, no fd, no state change).  --nth instead
 *           walks /proc/thread-self/fail-nth over every allocation of each
 *           call.
 *
 *   lincheck (lincheck-run.c, lincheck.c) Threads (--threads, 2 to 8)
 *           make random calls at once on six shared objects, in rounds
 *           that start and end at a barrier; each round's history (every
 *           call's start and end on a shared counter, and its result) must
 *           be linearizable against the model: some order that respects
 *           real time gives every result and the states read after the
 *           round (lincheck.c says how waits and PULSE are placed).  A
 *           failure prints the round's history.  --steps N: N rounds
 *           instead of --seconds.  Each run first tests the checker on
 *           histories with known verdicts (lincheck-self.c).
 *
 *   hold    (hold.c) Keeps the module busy until killed (for the unload
 *           test).
 *
 * usage: ntsync-fuzz stress|model|faults|lincheck [--seed N] [--seconds N]
 *                    [--threads N] [--steps N] [--rounds N] [--nth]
 *                    [--ro-wait-args] [--waiters N] [-v]
 *        ntsync-fuzz hold dev|obj|wait
 *
 * This header: what every mode shares (common.c): the options, the random
 * numbers, bad pointers, TAP output.
 */
#ifndef NTSYNC_FUZZ_H
#define NTSYNC_FUZZ_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/futex.h>
#include <linux/ntsync.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define U32_MAX 0xffffffffu

/* The options (main.c). */
extern uint64_t opt_seed;
extern unsigned int opt_seconds, opt_threads, opt_rounds;
extern uint64_t opt_steps;
extern bool opt_nth, opt_verbose, opt_ro_wait_args;
extern unsigned int opt_waiters;

/* The object types, in the order of the CREATE ioctls. */
enum { SEM, MUTEX, EVENT };
extern const char *const type_names[];

/* Random numbers: splitmix64, one stream per thread, seeded by the modes. */
extern __thread uint64_t rng;

static inline uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static inline bool pct(unsigned int p)
{
	return rn(100) < p;
}

int xioctl(int fd, unsigned long cmd, void *arg);
uint64_t now_ns(clockid_t clock);
const char *errname(int ret);

/* A page nobody may touch, and a page user space can only read. */
extern void *page_none, *page_ro;
void setup_pages(void);
void *ro_copy(const void *src, size_t len);
void *bad_ptr(void);
uint64_t bad_uptr(void);

/* The nine object ioctls, and an 'N' ioctl number that is none of the fourteen. */
extern const unsigned long obj_cmds[9];
unsigned long unknown_cmd(void);

void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int open_dev(void);

/* The modes. */
int run_stress(void);
int run_model(void);
int run_faults(void);
int run_lincheck(void);
int run_hold(const char *how);

#endif /* NTSYNC_FUZZ_H */
