// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ntsync selftests: the validation of WAIT_ANY and WAIT_ALL arguments: every failing wait
 * leaves its objects and its alert untouched.
 */
#include "ntsync_helpers.h"

/* ========================================================================
 * Wait argument validation.  Every failing wait must leave a signaled
 * semaphore (objs[0]) and a signaled auto-reset alert untouched.
 */

NT_TEST(wait_invalid_args)
{
	struct ntsync_wait_args args;
	int sem, alert, objs[2], r;
	unsigned int w;
	__u32 flags;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);
	objs[0] = sem;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];

		/* owner 0, even with no mutex involved */
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 0, 0, 0, 0, NULL))
			TH_LOG("%s owner 0", wait_names[w]);
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 0, alert, 0, 0, NULL))
			TH_LOG("%s owner 0 with alert", wait_names[w]);
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 0, alert, 0, 0, NULL))
			TH_LOG("%s owner 0, count 0", wait_names[w]);

		/* unknown flags */
		for (flags = 2; flags; flags <<= 1) {
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, 0, 0,
						     flags, NULL))
				TH_LOG("%s flags %#x", wait_names[w], flags);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, 0, 0,
						     flags | NTSYNC_WAIT_REALTIME, NULL))
				TH_LOG("%s flags %#x", wait_names[w], flags | 1);
		}

		/* pad != 0 */
		memset(&args, 0, sizeof(args));
		args.objs = (uintptr_t)objs;
		args.count = 1;
		args.owner = 1;
		args.pad = 1;
		EXPECT_ERRNO(EINVAL, ioctl(self->dev, req, &args))
			TH_LOG("%s pad 1", wait_names[w]);
		args.pad = 0x80000000;
		EXPECT_ERRNO(EINVAL, ioctl(self->dev, req, &args)) TH_LOG("%s pad", wait_names[w]);
		args.alert = alert;
		EXPECT_ERRNO(EINVAL, ioctl(self->dev, req, &args))
			TH_LOG("%s pad+alert", wait_names[w]);

		/* count too large; the array is valid and readable for 2 */
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 65, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1000, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0x80000000u, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, UINT32_MAX, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, UINT32_MAX, 1, alert,
					     0, 0, NULL));

		/* the args pointer itself */
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, req, NULL));
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, req, bad_ptr()));

		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
	}

	/* The failing calls consumed nothing: a valid wait still succeeds. */
	r = wait_any(self->dev, objs, 1, 1, 0, 0, NULL);
	EXPECT_EQ(0, r);
	CHECK_SEM(sem, 0, 1);
	close(sem);
	close(alert);
}

NT_TEST(wait_bad_objects)
{
	int sem, alert, other_dev, other_sem, other_event, pipefd[2], null_fd;
	int mutex, event2, objs[2], bad[10];
	unsigned int w, i, nbad = 0;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);
	mutex = NEW_MUTEX(self->dev, 0, 0);
	event2 = NEW_EVENT(self->dev, 1, 0);
	other_dev = nt_open(O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, other_dev);
	other_sem = NEW_SEM(other_dev, 1, 1);
	other_event = NEW_EVENT(other_dev, 1, 1);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, null_fd);

	bad[nbad++] = pipefd[0];
	bad[nbad++] = pipefd[1];
	bad[nbad++] = null_fd;
	bad[nbad++] = self->dev;
	bad[nbad++] = other_dev;
	bad[nbad++] = other_sem;
	bad[nbad++] = other_event;
	bad[nbad++] = closed_fd();
	bad[nbad++] = -1;
	bad[nbad++] = 0x7fffffff;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];

		for (i = 0; i < nbad; i++) {
			/* a bad object after a signaled one, and alone */
			objs[0] = sem;
			objs[1] = bad[i];
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u (fd %d)", wait_names[w], i, bad[i]);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, alert, 0, 0, NULL))
				TH_LOG("%s bad object #%u with alert", wait_names[w], i);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs + 1, 1, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u alone", wait_names[w], i);
			objs[0] = bad[i];
			objs[1] = sem;
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 2, 1, 0, 0, 0, NULL))
				TH_LOG("%s bad object #%u first", wait_names[w], i);

			/* as the alert (fd 0 would mean "no alert", -1 is not 0) */
			objs[0] = sem;
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, bad[i],
						     0, 0, NULL))
				TH_LOG("%s bad alert #%u (fd %d)", wait_names[w], i, bad[i]);
			EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 1, bad[i],
						     0, 0, NULL))
				TH_LOG("%s bad alert #%u, count 0", wait_names[w], i);
		}
		/* An alert that is an object of this instance but not an event. */
		objs[0] = sem;
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, sem, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, mutex, 0, 0, NULL));
		objs[0] = event2;
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 1, 1, sem, 0, 0, NULL));
		EXPECT_ERRNO(EINVAL, do_wait(self->dev, req, objs, 0, 1, mutex, 0, 0, NULL));

		/* The other instance rejects our objects the same way. */
		objs[0] = sem;
		EXPECT_ERRNO(EINVAL, do_wait(other_dev, req, objs, 1, 1, 0, 0, 0, NULL));
		objs[0] = other_sem;
		EXPECT_ERRNO(EINVAL, do_wait(other_dev, req, objs, 1, 1, alert, 0, 0, NULL));

		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
		CHECK_SEM(other_sem, 1, 1);
		CHECK_EVENT(other_event, 1, 1);
		CHECK_MUTEX(mutex, 0, 0);
	}

	/* Sanity: the same calls with good objects work. */
	objs[0] = other_sem;
	EXPECT_OK(wait_any(other_dev, objs, 1, 1, other_event, 0, NULL));
	CHECK_SEM(other_sem, 0, 1);

	close(sem);
	close(alert);
	close(mutex);
	close(event2);
	close(other_sem);
	close(other_event);
	close(other_dev);
	close(pipefd[0]);
	close(pipefd[1]);
	close(null_fd);
}

NT_TEST(wait_bad_pointers)
{
	int sem, alert, *straddle;
	unsigned int w;
	char *pages;

	sem = NEW_SEM(self->dev, 1, 1);
	alert = NEW_EVENT(self->dev, 0, 1);

	/* An array whose first element is readable and the second is not. */
	pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(pages != MAP_FAILED);
	ASSERT_EQ(0, mprotect(pages + 4096, 4096, PROT_NONE));
	straddle = (int *)(pages + 4096) - 1;
	straddle[0] = sem;

	for (w = 0; w < 2; w++) {
		unsigned long req = wait_reqs[w];
		struct ntsync_wait_args args = { .count = 1, .owner = 1 };

		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, NULL, 1, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, NULL, 1, 1, alert, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, bad_ptr(), 1, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, bad_ptr(), 64, 1, alert, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, straddle, 2, 1, 0, 0, 0, NULL));
		EXPECT_ERRNO(EFAULT, do_wait(self->dev, req, straddle, 2, 1, alert, 0, 0, NULL));
		/* an address no user pointer can have, also in a 32-bit process */
		args.objs = 0xffffffff80000000ULL;
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, req, &args));
		args.objs = 0x8000000000000000ULL;
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, req, &args));
		args.objs = 1;
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, req, &args));
		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
	}

	/* Arguments that can be read but not written back: nothing taken. */
	for (w = 0; w < 2; w++) {
		struct ntsync_wait_args args = {
			.timeout = UINT64_MAX,
			.objs = (uintptr_t)straddle,
			.count = 1,
			.owner = 1,
			.alert = alert,
		};
		void *ro = readonly_words((const __u32 *)&args, sizeof(args) / 4);

		ASSERT_TRUE(ro != NULL);
		EXPECT_ERRNO(EFAULT, ioctl(self->dev, wait_reqs[w], ro));
		CHECK_SEM(sem, 1, 1);
		CHECK_EVENT(alert, 0, 1);
		munmap(ro, 4096);
	}

	/* The readable half alone is fine. */
	EXPECT_OK(wait_all(self->dev, straddle, 1, 1, 0, 0, NULL));
	CHECK_SEM(sem, 0, 1);
	munmap(pages, 8192);
	close(sem);
	close(alert);
}

TEST_HARNESS_MAIN
