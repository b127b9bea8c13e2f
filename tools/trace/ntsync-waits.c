// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-waits: a small workload for "make check-trace" (tools/trace): for
 * the given number of seconds (default 3; 0: until killed), two threads
 * ping-pong through two auto-reset events, the main thread sleeping a
 * millisecond before each set so that every wait of the other thread
 * really sleeps, and each round also releases a semaphore and takes it.
 * So every ntsync tracepoint but the mutex ones fires many times a second:
 * objects created and destroyed, waits begun and ended, wakes by
 * event_set, state changes by event_set and sem_release.  Prints the
 * number of round trips.
 */
#define _GNU_SOURCE
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/ntsync.h>

static int dev, ev_ping, ev_pong;
static volatile int stop;

static int create_event(void)
{
	struct ntsync_event_args args = { .manual = 0, .signaled = 0 };
	int fd = ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &args);

	if (fd < 0)
		err(1, "NTSYNC_IOC_CREATE_EVENT");
	return fd;
}

static void wait_one(int fd, __u32 owner)
{
	__u32 objs[1] = { fd };
	struct ntsync_wait_args args = {
		.timeout = UINT64_MAX,
		.objs = (uintptr_t)objs,
		.count = 1,
		.owner = owner,
	};

	if (ioctl(dev, NTSYNC_IOC_WAIT_ANY, &args) < 0)
		err(1, "NTSYNC_IOC_WAIT_ANY");
}

static void set_event(int fd)
{
	__u32 prev;

	if (ioctl(fd, NTSYNC_IOC_EVENT_SET, &prev) < 0)
		err(1, "NTSYNC_IOC_EVENT_SET");
}

static void *pong(void *arg)
{
	(void)arg;
	for (;;) {
		wait_one(ev_ping, 2);
		if (stop)
			return NULL;
		set_event(ev_pong);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3, end;
	struct ntsync_sem_args sem_args = { .count = 0, .max = 1 };
	unsigned long trips = 0;
	pthread_t thread;
	int sem;

	dev = open("/dev/ntsync", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		err(1, "/dev/ntsync");
	ev_ping = create_event();
	ev_pong = create_event();
	sem = ioctl(dev, NTSYNC_IOC_CREATE_SEM, &sem_args);
	if (sem < 0)
		err(1, "NTSYNC_IOC_CREATE_SEM");
	if (pthread_create(&thread, NULL, pong, NULL))
		errx(1, "pthread_create");
	end = now() + secs;
	while (secs <= 0 || now() < end) {
		__u32 one = 1;

		usleep(1000);
		set_event(ev_ping);
		wait_one(ev_pong, 1);
		if (ioctl(sem, NTSYNC_IOC_SEM_RELEASE, &one) < 0)
			err(1, "NTSYNC_IOC_SEM_RELEASE");
		wait_one(sem, 1);
		trips++;
	}
	stop = 1;
	set_event(ev_ping);
	pthread_join(thread, NULL);
	close(sem);
	close(ev_pong);
	close(ev_ping);
	close(dev);
	printf("ntsync-waits: %lu round trips\n", trips);
	return 0;
}
