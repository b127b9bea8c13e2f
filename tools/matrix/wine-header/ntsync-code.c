// SPDX-License-Identifier: GPL-2.0-only
/*
 * What Wine's ntsync code needs of <linux/ntsync.h>: Wine 11.10 compiles it (server/inproc_sync.c,
 * dlls/ntdll/unix/sync.c) only under "#ifdef NTSYNC_IOC_EVENT_READ", after including the header
 * where configure found it (HAVE_LINUX_NTSYNC_H).  This file compiles only where the header the
 * compiler finds by itself, without -I or CPPFLAGS, declares that macro, the ioctls with the
 * values of the binary interface of Linux 6.14 and the structs with their members, in that
 * order, with those sizes.  The header of Linux 6.10 to 6.13 (semaphore-only, another layout)
 * fails it, and so does a system without the header.
 */
#include <assert.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/ntsync.h>

#ifndef NTSYNC_IOC_EVENT_READ
#error "no NTSYNC_IOC_EVENT_READ in linux/ntsync.h: Wine would compile none of its ntsync code"
#endif

#define PIN(name, value) static_assert((name) == (value), #name " is not " #value)
PIN(NTSYNC_IOC_CREATE_SEM, 0x40084e80);
PIN(NTSYNC_IOC_SEM_RELEASE, 0xc0044e81);
PIN(NTSYNC_IOC_WAIT_ANY, 0xc0284e82);
PIN(NTSYNC_IOC_WAIT_ALL, 0xc0284e83);
PIN(NTSYNC_IOC_CREATE_MUTEX, 0x40084e84);
PIN(NTSYNC_IOC_MUTEX_UNLOCK, 0xc0084e85);
PIN(NTSYNC_IOC_MUTEX_KILL, 0x40044e86);
PIN(NTSYNC_IOC_CREATE_EVENT, 0x40084e87);
PIN(NTSYNC_IOC_EVENT_SET, 0x80044e88);
PIN(NTSYNC_IOC_EVENT_RESET, 0x80044e89);
PIN(NTSYNC_IOC_EVENT_PULSE, 0x80044e8a);
PIN(NTSYNC_IOC_SEM_READ, 0x80084e8b);
PIN(NTSYNC_IOC_MUTEX_READ, 0x80084e8c);
PIN(NTSYNC_IOC_EVENT_READ, 0x80084e8d);
PIN(NTSYNC_WAIT_REALTIME, 0x1);
PIN(NTSYNC_MAX_WAIT_COUNT, 64);

PIN(sizeof(struct ntsync_sem_args), 8);
PIN(offsetof(struct ntsync_sem_args, count), 0);
PIN(offsetof(struct ntsync_sem_args, max), 4);
PIN(sizeof(struct ntsync_mutex_args), 8);
PIN(offsetof(struct ntsync_mutex_args, owner), 0);
PIN(offsetof(struct ntsync_mutex_args, count), 4);
PIN(sizeof(struct ntsync_event_args), 8);
PIN(offsetof(struct ntsync_event_args, manual), 0);
PIN(offsetof(struct ntsync_event_args, signaled), 4);
PIN(sizeof(struct ntsync_wait_args), 40);
PIN(offsetof(struct ntsync_wait_args, timeout), 0);
PIN(offsetof(struct ntsync_wait_args, objs), 8);
PIN(offsetof(struct ntsync_wait_args, count), 16);
PIN(offsetof(struct ntsync_wait_args, index), 20);
PIN(offsetof(struct ntsync_wait_args, flags), 24);
PIN(offsetof(struct ntsync_wait_args, owner), 28);
PIN(offsetof(struct ntsync_wait_args, alert), 32);
PIN(offsetof(struct ntsync_wait_args, pad), 36);

/* As Wine creates an event: the object then holds the ioctl number in its code. */
int create_event(int device, int manual, int signaled)
{
	struct ntsync_event_args args = { .manual = manual, .signaled = signaled };

	return ioctl(device, NTSYNC_IOC_CREATE_EVENT, &args);
}
