// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-check-standin: the Wine stand-ins of ntsync-check's guest test.
 *
 * Built twice.  With -DWITH_NTSYNC it really uses ntsync, as a Wine built
 * against Linux 6.14's linux/ntsync.h does; without, it merely contains
 * the string /dev/ntsync and never opens it, as a Wine built without that
 * header (or with the early one) behaves, and as the binary ntsync-check
 * --wine must not be fooled by.  The test copies it to where Wine keeps
 * its binaries (bin/wineserver, bin/wine, lib/wine/x86_64-unix/ntdll.so).
 *
 *   STANDIN serve PREFIX   a wineserver: like Wine's (server/request.c),
 *                          it makes /tmp/.wine-UID/server-DEV-INO (DEV and
 *                          INO those of PREFIX, in hexadecimal) its working
 *                          directory and keeps PREFIX open; with ntsync it
 *                          opens /dev/ntsync once (a failure is final, as
 *                          in Wine's server/inproc_sync.c) and creates a
 *                          semaphore, a mutex and an event on it
 *   STANDIN client         a Wine process: with ntsync it opens /dev/ntsync,
 *                          creates an event, waits on it and reads it
 *
 * Each prints "ready" when set up, then sleeps until it is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef WITH_NTSYNC
#include <linux/ntsync.h>
#endif

static const char device[] = "/dev/ntsync";

#ifdef WITH_NTSYNC
#define noinline __attribute__((__noinline__))

/* Each request in a function of its own, as in Wine: one immediate each. */
static noinline int create_sem(int dev)
{
	struct ntsync_sem_args a = { .count = 1, .max = 2 };

	return ioctl(dev, NTSYNC_IOC_CREATE_SEM, &a);
}

static noinline int create_mutex(int dev)
{
	struct ntsync_mutex_args a = { 0 };

	return ioctl(dev, NTSYNC_IOC_CREATE_MUTEX, &a);
}

static noinline int create_event(int dev)
{
	struct ntsync_event_args a = { .manual = 1, .signaled = 0 };

	return ioctl(dev, NTSYNC_IOC_CREATE_EVENT, &a);
}

static noinline int set_event(int ev)
{
	__u32 prev;

	return ioctl(ev, NTSYNC_IOC_EVENT_SET, &prev);
}

static noinline int wait_any(int dev, int obj)
{
	struct ntsync_wait_args a = { .timeout = 0, .objs = (uintptr_t)&obj, .count = 1,
				      .owner = 1 };

	return ioctl(dev, NTSYNC_IOC_WAIT_ANY, &a);
}

static noinline int read_event(int ev)
{
	struct ntsync_event_args a;

	return ioctl(ev, NTSYNC_IOC_EVENT_READ, &a);
}

static noinline int read_sem(int sem)
{
	struct ntsync_sem_args a;

	return ioctl(sem, NTSYNC_IOC_SEM_READ, &a);
}
#endif

/* The server directory of Wine's server/request.c, as the working directory. */
static int server_dir(const char *prefix)
{
	char base[64], dir[160];
	struct stat st;

	if (open(prefix, O_RDONLY | O_DIRECTORY) < 0 || stat(prefix, &st))
		return -1;
	snprintf(base, sizeof(base), "/tmp/.wine-%u", getuid());
	if (mkdir(base, 0700) && errno != EEXIST)
		return -1;
	snprintf(dir, sizeof(dir), "%s/server-%llx-%llx", base, (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	return chdir(dir);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve")) {
		if (server_dir(argv[2])) {
			perror("server directory");
			return 1;
		}
#ifdef WITH_NTSYNC
		{
			int dev = open(device, O_RDONLY | O_CLOEXEC);

			if (dev >= 0 && (create_sem(dev) < 0 || create_mutex(dev) < 0 ||
					 set_event(create_event(dev)) < 0)) {
				perror("ntsync objects");
				return 1;
			}
		}
#endif
	} else if (argc == 2 && !strcmp(argv[1], "client")) {
#ifdef WITH_NTSYNC
		int dev = open(device, O_RDONLY | O_CLOEXEC);
		int ev = dev < 0 ? -1 : create_event(dev);
		int sem = ev < 0 ? -1 : create_sem(dev);

		if (sem < 0 || set_event(ev) || wait_any(dev, ev) || read_event(ev) ||
		    read_sem(sem)) {
			perror("ntsync client");
			return 1;
		}
#endif
	} else {
		fprintf(stderr, "usage: %s serve PREFIX | client (a stand-in of Wine%s %s)\n",
			argv[0],
#ifdef WITH_NTSYNC
			" with", device
#else
			" without", device
#endif
			);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
