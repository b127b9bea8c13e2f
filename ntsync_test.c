// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for ntsync's internal state logic: object transitions, who a
 * signal hands an object to, wait-all acquisition and refusal, abandoned
 * mutexes and the waiter bookkeeping.  These drive the functions of
 * ntsync.c directly, with no files or sleeping threads, so they can check
 * states that user space cannot stop and look at.
 *
 * Built into the module (ntsync.c includes this file) only by
 * "make NTSYNC_DEBUG=1" against a kernel with KUnit, as the debug lane
 * does; the suite then runs when the module is loaded.  No other build
 * contains it.
 */

#include <kunit/test.h>

struct ntsync_test_ctx {
	struct ntsync_device dev;
};

static int ntsync_test_init(struct kunit *test)
{
	struct ntsync_test_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->dev.wait_all_lock);
	test->priv = ctx;
	return 0;
}

static struct ntsync_obj *ntsync_test_obj(struct kunit *test,
					  enum ntsync_type type)
{
	struct ntsync_test_ctx *ctx = test->priv;
	struct ntsync_obj *obj = ntsync_alloc_obj(&ctx->dev, type);

	KUNIT_ASSERT_NOT_NULL(test, obj);
	return obj;
}

/* A wait by the current task, not yet queued anywhere. */
static struct ntsync_q *ntsync_test_q(struct kunit *test, __u32 owner,
				      bool all, struct ntsync_obj **objs,
				      __u32 count, struct ntsync_obj *alert)
{
	__u32 total = count + !!alert, i;
	struct ntsync_q *q;

	q = kunit_kzalloc(test, sizeof(*q), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	q->entries = kunit_kcalloc(test, total, sizeof(*q->entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q->entries);
	q->task = current;
	q->owner = owner;
	q->all = all;
	q->count = count;
	atomic_set(&q->signaled, -1);
	for (i = 0; i < total; i++) {
		q->entries[i].q = q;
		q->entries[i].obj = i < count ? objs[i] : alert;
		q->entries[i].index = i;
	}
	return q;
}

/* Signal: what an ioctl does after changing @obj. */
static void ntsync_test_wake(struct ntsync_obj *obj)
{
	bool all = ntsync_lock_obj(obj->dev, obj);

	ntsync_wake_waiters(obj->dev, obj, all, NTSYNC_OP_EVENT_SET);
	ntsync_unlock_obj(obj->dev, obj, all);
}

static bool ntsync_test_can_acquire(struct ntsync_obj *obj, __u32 owner)
{
	bool ret;

	spin_lock(&obj->lock);
	ret = ntsync_obj_can_acquire(obj, owner);
	spin_unlock(&obj->lock);
	return ret;
}

static bool ntsync_test_acquire(struct ntsync_obj *obj, __u32 owner)
{
	bool ret;

	spin_lock(&obj->lock);
	ret = ntsync_obj_acquire(obj, owner);
	spin_unlock(&obj->lock);
	return ret;
}

static void ntsync_test_sem_transitions(struct kunit *test)
{
	struct ntsync_obj *sem = ntsync_test_obj(test, NTSYNC_TYPE_SEM);

	sem->u.sem.count = 2;
	sem->u.sem.max = 3;
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(sem, 1));
	KUNIT_EXPECT_FALSE(test, ntsync_test_acquire(sem, 1));
	KUNIT_EXPECT_EQ(test, sem->u.sem.count, 1U);
	KUNIT_EXPECT_FALSE(test, ntsync_test_acquire(sem, 2));
	KUNIT_EXPECT_EQ(test, sem->u.sem.count, 0U);
	KUNIT_EXPECT_FALSE(test, ntsync_test_can_acquire(sem, 1));
	KUNIT_EXPECT_EQ(test, sem->u.sem.max, 3U);
	kfree(sem);
}

static void ntsync_test_mutex_transitions(struct kunit *test)
{
	struct ntsync_obj *mutex = ntsync_test_obj(test, NTSYNC_TYPE_MUTEX);

	/* Unowned: free for anyone. */
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(mutex, 5));
	KUNIT_EXPECT_FALSE(test, ntsync_test_acquire(mutex, 5));
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.owner, 5U);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.count, 1U);

	/* Owned: free only for its owner, up to UINT32_MAX levels. */
	KUNIT_EXPECT_FALSE(test, ntsync_test_can_acquire(mutex, 6));
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(mutex, 5));
	mutex->u.mutex.count = U32_MAX - 1;
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(mutex, 5));
	KUNIT_EXPECT_FALSE(test, ntsync_test_acquire(mutex, 5));
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.count, U32_MAX);
	KUNIT_EXPECT_FALSE(test, ntsync_test_can_acquire(mutex, 5));

	/* Abandoned: free for anyone, and the taker is told. */
	mutex->u.mutex.owner = 0;
	mutex->u.mutex.count = 0;
	mutex->u.mutex.ownerdead = true;
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(mutex, 9));
	KUNIT_EXPECT_TRUE(test, ntsync_test_acquire(mutex, 9));
	KUNIT_EXPECT_FALSE(test, mutex->u.mutex.ownerdead);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.owner, 9U);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.count, 1U);
	kfree(mutex);
}

static void ntsync_test_event_transitions(struct kunit *test)
{
	struct ntsync_obj *aut = ntsync_test_obj(test, NTSYNC_TYPE_EVENT);
	struct ntsync_obj *man = ntsync_test_obj(test, NTSYNC_TYPE_EVENT);

	KUNIT_EXPECT_FALSE(test, ntsync_test_can_acquire(aut, 1));
	aut->u.event.signaled = true;
	KUNIT_EXPECT_TRUE(test, ntsync_test_can_acquire(aut, 1));
	ntsync_test_acquire(aut, 1);
	KUNIT_EXPECT_FALSE(test, aut->u.event.signaled);

	man->u.event.manual = true;
	man->u.event.signaled = true;
	ntsync_test_acquire(man, 1);
	ntsync_test_acquire(man, 2);
	KUNIT_EXPECT_TRUE(test, man->u.event.signaled);
	kfree(aut);
	kfree(man);
}

/* A release of two hands one to each of the two oldest waiters. */
static void ntsync_test_wake_fifo(struct kunit *test)
{
	struct ntsync_obj *sem = ntsync_test_obj(test, NTSYNC_TYPE_SEM);
	struct ntsync_q *q[3];
	int i;

	sem->u.sem.max = 10;
	for (i = 0; i < 3; i++) {
		q[i] = ntsync_test_q(test, i + 1, false, &sem, 1, NULL);
		ntsync_queue_entry(&q[i]->entries[0]);
	}

	sem->u.sem.count = 2;
	ntsync_test_wake(sem);
	KUNIT_EXPECT_EQ(test, atomic_read(&q[0]->signaled), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&q[1]->signaled), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&q[2]->signaled), -1);
	KUNIT_EXPECT_EQ(test, sem->u.sem.count, 0U);

	for (i = 0; i < 3; i++)
		ntsync_dequeue_entry(&q[i]->entries[0]);
	KUNIT_EXPECT_TRUE(test, list_empty(&sem->waiters));
	kfree(sem);
}

/* A satisfied waiter is passed over, and never satisfied twice. */
static void ntsync_test_wake_once(struct kunit *test)
{
	struct ntsync_obj *objs[2] = {
		ntsync_test_obj(test, NTSYNC_TYPE_SEM),
		ntsync_test_obj(test, NTSYNC_TYPE_SEM),
	};
	struct ntsync_q *q = ntsync_test_q(test, 1, false, objs, 2, NULL);
	struct ntsync_q *late = ntsync_test_q(test, 2, false, &objs[1], 1, NULL);

	objs[0]->u.sem.max = 5;
	objs[1]->u.sem.max = 5;
	ntsync_queue_entry(&q->entries[0]);
	ntsync_queue_entry(&q->entries[1]);
	ntsync_queue_entry(&late->entries[0]);

	objs[1]->u.sem.count = 1;
	ntsync_test_wake(objs[1]);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 1);
	KUNIT_EXPECT_EQ(test, objs[1]->u.sem.count, 0U);

	/* q already has what it waited for: the next object goes on. */
	objs[0]->u.sem.count = 1;
	ntsync_test_wake(objs[0]);
	KUNIT_EXPECT_EQ(test, objs[0]->u.sem.count, 1U);
	objs[1]->u.sem.count = 1;
	ntsync_test_wake(objs[1]);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&late->signaled), 0);
	KUNIT_EXPECT_EQ(test, objs[1]->u.sem.count, 0U);

	ntsync_dequeue_entry(&q->entries[0]);
	ntsync_dequeue_entry(&q->entries[1]);
	ntsync_dequeue_entry(&late->entries[0]);
	kfree(objs[0]);
	kfree(objs[1]);
}

/* A mutex free only for its owner skips other waiters for it. */
static void ntsync_test_wake_mutex_owner(struct kunit *test)
{
	struct ntsync_obj *mutex = ntsync_test_obj(test, NTSYNC_TYPE_MUTEX);
	struct ntsync_q *other = ntsync_test_q(test, 8, false, &mutex, 1, NULL);
	struct ntsync_q *owner = ntsync_test_q(test, 7, false, &mutex, 1, NULL);

	mutex->u.mutex.owner = 7;
	mutex->u.mutex.count = 1;
	ntsync_queue_entry(&other->entries[0]);
	ntsync_queue_entry(&owner->entries[0]);

	ntsync_test_wake(mutex);
	KUNIT_EXPECT_EQ(test, atomic_read(&other->signaled), -1);
	KUNIT_EXPECT_EQ(test, atomic_read(&owner->signaled), 0);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.count, 2U);

	ntsync_dequeue_entry(&other->entries[0]);
	ntsync_dequeue_entry(&owner->entries[0]);
	kfree(mutex);
}

/* Killing the owner hands the mutex over with the abandoned flag. */
static void ntsync_test_abandoned_handover(struct kunit *test)
{
	struct ntsync_obj *mutex = ntsync_test_obj(test, NTSYNC_TYPE_MUTEX);
	struct ntsync_q *q = ntsync_test_q(test, 3, false, &mutex, 1, NULL);

	mutex->u.mutex.owner = 2;
	mutex->u.mutex.count = 4;
	ntsync_queue_entry(&q->entries[0]);
	ntsync_test_wake(mutex);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), -1);

	mutex->u.mutex.owner = 0;
	mutex->u.mutex.count = 0;
	mutex->u.mutex.ownerdead = true;
	ntsync_test_wake(mutex);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 0);
	KUNIT_EXPECT_TRUE(test, q->ownerdead);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.owner, 3U);
	KUNIT_EXPECT_EQ(test, mutex->u.mutex.count, 1U);
	KUNIT_EXPECT_FALSE(test, mutex->u.mutex.ownerdead);

	ntsync_dequeue_entry(&q->entries[0]);
	kfree(mutex);
}

/*
 * A WAIT_ALL takes nothing until every object is free at once, then takes
 * them all; while it is queued, its objects need wait_all_lock.
 */
static void ntsync_test_wait_all(struct kunit *test)
{
	struct ntsync_test_ctx *ctx = test->priv;
	struct ntsync_obj *objs[2] = {
		ntsync_test_obj(test, NTSYNC_TYPE_SEM),
		ntsync_test_obj(test, NTSYNC_TYPE_EVENT),
	};
	struct ntsync_q *q = ntsync_test_q(test, 1, true, objs, 2, NULL);
	bool all;

	objs[0]->u.sem.count = 1;
	objs[0]->u.sem.max = 1;

	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_queue_entry(&q->entries[0]);
	ntsync_queue_entry(&q->entries[1]);
	ntsync_try_wake_all(&ctx->dev, q, NULL, NTSYNC_OP_WAIT);
	mutex_unlock(&ctx->dev.wait_all_lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), -1);
	KUNIT_EXPECT_EQ(test, objs[0]->u.sem.count, 1U);
	KUNIT_EXPECT_EQ(test, objs[0]->all_hint, 1U);
	KUNIT_EXPECT_EQ(test, objs[1]->all_hint, 1U);

	/* Operations on its objects now go through wait_all_lock. */
	all = ntsync_lock_obj(&ctx->dev, objs[1]);
	KUNIT_EXPECT_TRUE(test, all);
	KUNIT_EXPECT_TRUE(test, mutex_is_locked(&ctx->dev.wait_all_lock));
	objs[1]->u.event.signaled = true;
	ntsync_wake_waiters(&ctx->dev, objs[1], all, NTSYNC_OP_EVENT_SET);
	ntsync_unlock_obj(&ctx->dev, objs[1], all);

	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 0);
	KUNIT_EXPECT_FALSE(test, q->ownerdead);
	KUNIT_EXPECT_EQ(test, objs[0]->u.sem.count, 0U);
	KUNIT_EXPECT_FALSE(test, objs[1]->u.event.signaled);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&ctx->dev.wait_all_lock));

	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_dequeue_entry(&q->entries[0]);
	ntsync_dequeue_entry(&q->entries[1]);
	mutex_unlock(&ctx->dev.wait_all_lock);
	KUNIT_EXPECT_EQ(test, objs[0]->all_hint, 0U);
	all = ntsync_lock_obj(&ctx->dev, objs[0]);
	KUNIT_EXPECT_FALSE(test, all);
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&ctx->dev.wait_all_lock));
	ntsync_unlock_obj(&ctx->dev, objs[0], all);
	kfree(objs[0]);
	kfree(objs[1]);
}

/*
 * A WAIT_ALL queued behind a WAIT_ANY on the same semaphore: the oldest
 * waiter gets the only count, and the WAIT_ALL takes nothing.
 */
static void ntsync_test_wait_all_fifo(struct kunit *test)
{
	struct ntsync_obj *objs[2] = {
		ntsync_test_obj(test, NTSYNC_TYPE_SEM),
		ntsync_test_obj(test, NTSYNC_TYPE_EVENT),
	};
	struct ntsync_q *any = ntsync_test_q(test, 1, false, objs, 1, NULL);
	struct ntsync_q *all = ntsync_test_q(test, 2, true, objs, 2, NULL);
	struct ntsync_test_ctx *ctx = test->priv;

	objs[0]->u.sem.max = 2;
	objs[1]->u.event.manual = true;
	objs[1]->u.event.signaled = true;
	ntsync_queue_entry(&any->entries[0]);
	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_queue_entry(&all->entries[0]);
	ntsync_queue_entry(&all->entries[1]);
	mutex_unlock(&ctx->dev.wait_all_lock);

	objs[0]->u.sem.count = 1;
	ntsync_test_wake(objs[0]);
	KUNIT_EXPECT_EQ(test, atomic_read(&any->signaled), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&all->signaled), -1);

	objs[0]->u.sem.count = 1;
	ntsync_test_wake(objs[0]);
	KUNIT_EXPECT_EQ(test, atomic_read(&all->signaled), 0);
	KUNIT_EXPECT_EQ(test, objs[0]->u.sem.count, 0U);
	KUNIT_EXPECT_TRUE(test, objs[1]->u.event.signaled);

	/* A WAIT_ALL is still queued on the object: rule 3 applies. */
	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_dequeue_entry(&any->entries[0]);
	ntsync_dequeue_entry(&all->entries[0]);
	ntsync_dequeue_entry(&all->entries[1]);
	mutex_unlock(&ctx->dev.wait_all_lock);
	kfree(objs[0]);
	kfree(objs[1]);
}

/* Alert of a WAIT_ALL: it ends the wait without touching the objects. */
static void ntsync_test_wait_all_alert(struct kunit *test)
{
	struct ntsync_test_ctx *ctx = test->priv;
	struct ntsync_obj *sem = ntsync_test_obj(test, NTSYNC_TYPE_SEM);
	struct ntsync_obj *alert = ntsync_test_obj(test, NTSYNC_TYPE_EVENT);
	struct ntsync_q *q = ntsync_test_q(test, 1, true, &sem, 1, alert);

	sem->u.sem.max = 1;
	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_queue_entry(&q->entries[0]);
	ntsync_try_wake_all(&ctx->dev, q, NULL, NTSYNC_OP_WAIT);
	mutex_unlock(&ctx->dev.wait_all_lock);
	ntsync_queue_entry(&q->entries[1]);
	KUNIT_EXPECT_FALSE(test, ntsync_entry_is_all(&q->entries[1]));
	KUNIT_EXPECT_EQ(test, alert->all_hint, 0U);

	alert->u.event.signaled = true;
	ntsync_test_wake(alert);
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 1);
	KUNIT_EXPECT_FALSE(test, alert->u.event.signaled);

	/* Satisfied already: a later count stays with the semaphore. */
	sem->u.sem.count = 1;
	ntsync_test_wake(sem);
	KUNIT_EXPECT_EQ(test, sem->u.sem.count, 1U);

	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_dequeue_entry(&q->entries[0]);
	ntsync_dequeue_entry(&q->entries[1]);
	mutex_unlock(&ctx->dev.wait_all_lock);
	kfree(sem);
	kfree(alert);
}

/* An abandoned mutex in a WAIT_ALL is reported, the rest taken normally. */
static void ntsync_test_wait_all_abandoned(struct kunit *test)
{
	struct ntsync_test_ctx *ctx = test->priv;
	struct ntsync_obj *objs[2] = {
		ntsync_test_obj(test, NTSYNC_TYPE_MUTEX),
		ntsync_test_obj(test, NTSYNC_TYPE_MUTEX),
	};
	struct ntsync_q *q = ntsync_test_q(test, 4, true, objs, 2, NULL);

	objs[1]->u.mutex.ownerdead = true;
	mutex_lock(&ctx->dev.wait_all_lock);
	ntsync_queue_entry(&q->entries[0]);
	ntsync_queue_entry(&q->entries[1]);
	ntsync_try_wake_all(&ctx->dev, q, NULL, NTSYNC_OP_WAIT);
	ntsync_dequeue_entry(&q->entries[0]);
	ntsync_dequeue_entry(&q->entries[1]);
	mutex_unlock(&ctx->dev.wait_all_lock);

	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 0);
	KUNIT_EXPECT_TRUE(test, q->ownerdead);
	KUNIT_EXPECT_EQ(test, objs[0]->u.mutex.owner, 4U);
	KUNIT_EXPECT_EQ(test, objs[1]->u.mutex.owner, 4U);
	KUNIT_EXPECT_FALSE(test, objs[1]->u.mutex.ownerdead);
	kfree(objs[0]);
	kfree(objs[1]);
}

/*
 * WAIT_ALL's try without queueing: objects all free are taken at once
 * (an abandoned mutex among them reported); a busy object, here the
 * first, leaves every object as it was, those after it never looked at.
 * Either way no hint stays behind.
 */
static void ntsync_test_wait_all_try(struct kunit *test)
{
	struct ntsync_test_ctx *ctx = test->priv;
	struct ntsync_obj *objs[] = {
		ntsync_test_obj(test, NTSYNC_TYPE_EVENT),
		ntsync_test_obj(test, NTSYNC_TYPE_SEM),
		ntsync_test_obj(test, NTSYNC_TYPE_MUTEX),
	};
	struct ntsync_q *q = ntsync_test_q(test, 7, true, objs, 3, NULL);
	__u32 i;

	objs[0]->u.event.signaled = false;
	objs[1]->u.sem.count = 2;
	objs[1]->u.sem.max = 2;
	objs[2]->u.mutex.ownerdead = true;

	/* The event is not signaled: nothing is taken. */
	KUNIT_EXPECT_FALSE(test, ntsync_wait_all_try(&ctx->dev, q));
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), -1);
	KUNIT_EXPECT_EQ(test, objs[1]->u.sem.count, 2U);
	KUNIT_EXPECT_EQ(test, objs[2]->u.mutex.owner, 0U);
	KUNIT_EXPECT_TRUE(test, objs[2]->u.mutex.ownerdead);
	KUNIT_EXPECT_FALSE(test, q->ownerdead);
	for (i = 0; i < ARRAY_SIZE(objs); i++)
		KUNIT_EXPECT_EQ(test, objs[i]->all_hint, 0U);

	objs[0]->u.event.signaled = true;
	KUNIT_EXPECT_TRUE(test, ntsync_wait_all_try(&ctx->dev, q));
	KUNIT_EXPECT_EQ(test, atomic_read(&q->signaled), 0);
	KUNIT_EXPECT_TRUE(test, q->ownerdead);
	KUNIT_EXPECT_FALSE(test, objs[0]->u.event.signaled);
	KUNIT_EXPECT_EQ(test, objs[1]->u.sem.count, 1U);
	KUNIT_EXPECT_EQ(test, objs[2]->u.mutex.owner, 7U);
	KUNIT_EXPECT_EQ(test, objs[2]->u.mutex.count, 1U);
	KUNIT_EXPECT_FALSE(test, objs[2]->u.mutex.ownerdead);

	for (i = 0; i < ARRAY_SIZE(objs); i++) {
		KUNIT_EXPECT_EQ(test, objs[i]->all_hint, 0U);
		kfree(objs[i]);
	}
	KUNIT_EXPECT_FALSE(test, mutex_is_locked(&ctx->dev.wait_all_lock));
}

static struct kunit_case ntsync_test_cases[] = {
	KUNIT_CASE(ntsync_test_sem_transitions),
	KUNIT_CASE(ntsync_test_mutex_transitions),
	KUNIT_CASE(ntsync_test_event_transitions),
	KUNIT_CASE(ntsync_test_wake_fifo),
	KUNIT_CASE(ntsync_test_wake_once),
	KUNIT_CASE(ntsync_test_wake_mutex_owner),
	KUNIT_CASE(ntsync_test_abandoned_handover),
	KUNIT_CASE(ntsync_test_wait_all),
	KUNIT_CASE(ntsync_test_wait_all_try),
	KUNIT_CASE(ntsync_test_wait_all_fifo),
	KUNIT_CASE(ntsync_test_wait_all_alert),
	KUNIT_CASE(ntsync_test_wait_all_abandoned),
	{}
};

static struct kunit_suite ntsync_test_suite = {
	.name = "ntsync",
	.init = ntsync_test_init,
	.test_cases = ntsync_test_cases,
};

kunit_test_suite(ntsync_test_suite);
