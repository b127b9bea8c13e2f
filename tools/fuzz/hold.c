// SPDX-License-Identifier: GPL-2.0-only
/* ntsync-fuzz hold: keeps the module busy until killed (for the unload test). */
#include "ntsync-fuzz.h"

/*
 * For the unload test: keep the module busy until killed, in one of three
 * ways, and create /tmp/ntsync-hold.ready once that is so.
 *   dev   an instance fd (its objects closed)
 *   obj   an object fd (the instance fd closed: the object keeps it alive)
 *   wait  a wait that never ends, after every fd was closed
 */
static int h_dev, h_obj;

static void h_ready(void)
{
	int fd = open("/tmp/ntsync-hold.ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

static void *h_closer(void *arg)
{
	struct timespec ts = { 0, 300000000 };

	(void)arg;
	nanosleep(&ts, NULL);	/* let the wait begin */
	close(h_obj);
	close(h_dev);
	h_ready();
	return NULL;
}

int run_hold(const char *how)
{
	struct ntsync_event_args e = { 0, 0 };
	struct ntsync_wait_args w = { .timeout = UINT64_MAX, .count = 1, .owner = 1 };
	uint32_t fd;
	pthread_t th;

	h_dev = open_dev();
	h_obj = xioctl(h_dev, NTSYNC_IOC_CREATE_EVENT, &e);
	if (h_obj < 0)
		return 1;
	if (!strcmp(how, "dev")) {
		close(h_obj);
	} else if (!strcmp(how, "obj")) {
		close(h_dev);
	} else if (!strcmp(how, "wait")) {
		fd = h_obj;
		w.objs = (uintptr_t)&fd;
		pthread_create(&th, NULL, h_closer, NULL);
		xioctl(h_dev, NTSYNC_IOC_WAIT_ANY, &w);
		return 1;	/* never: nothing signals the event */
	} else {
		return 2;
	}
	h_ready();
	for (;;)
		pause();
}
