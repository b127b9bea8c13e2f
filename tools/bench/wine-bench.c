// SPDX-License-Identifier: GPL-2.0-only
/*
 * wine-bench: what games do with NT synchronization objects, timed through the Win32 API, for
 * running under Wine with server-side synchronization, with our /dev/ntsync or with the kernel's
 * (tools/wine/check.sh runs it in its guests).  Built with mingw-w64:
 *
 *   x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -o wine-bench.exe wine-bench.c
 *
 * Usage: wine-bench.exe [SCALE]   (SCALE multiplies every iteration count; default 1)
 * Prints one line per case, "bench NAME NS-PER-OP ITERATIONS", and exits non-zero if any Win32
 * call returned something other than what the case expects.
 *
 * The cases:
 *   event-thread    SetEvent + WaitForSingleObject round trip between two threads (auto events)
 *   event-process   the same between two processes (inherited handles)
 *   wait-any-64     WaitForMultipleObjects(any) over 64 events, only the last one signaled
 *   wait-all-8      WaitForMultipleObjects(all) over 8 signaled events
 *   mutex           WaitForSingleObject + ReleaseMutex on an unowned mutex
 *   semaphore       ReleaseSemaphore + WaitForSingleObject
 *   event-set-reset SetEvent + ResetEvent on a manual-reset event nobody waits for (the
 *                   call games make most; ntsync-bench's event-set-reset through Win32)
 */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int errors;

static void expect(const char *what, DWORD got, DWORD want)
{
	if (got != want) {
		printf("error: %s returned %lu (want %lu), last error %lu\n", what,
		       (unsigned long)got, (unsigned long)want, (unsigned long)GetLastError());
		errors++;
	}
}

static double now_ns(void)
{
	static LARGE_INTEGER freq;
	LARGE_INTEGER t;

	if (!freq.QuadPart)
		QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&t);
	return (double)t.QuadPart * 1e9 / (double)freq.QuadPart;
}

static void report(const char *name, double t0, long n)
{
	printf("bench %s %.0f %ld\n", name, (now_ns() - t0) / n, n);
	fflush(stdout);
}

/* The other side of a round trip: wait for ping, set pong, n times. */
static void ponger(HANDLE ping, HANDLE pong, long n)
{
	for (long i = 0; i < n; i++) {
		expect("WaitForSingleObject(ping)", WaitForSingleObject(ping, INFINITE),
		       WAIT_OBJECT_0);
		expect("SetEvent(pong)", SetEvent(pong), TRUE);
	}
}

/* n round trips from this side; the first ones warm up and are not timed. */
static void pinger(const char *name, HANDLE ping, HANDLE pong, long warm, long n)
{
	double t0 = 0;

	for (long i = 0; i < warm + n; i++) {
		if (i == warm)
			t0 = now_ns();
		expect("SetEvent(ping)", SetEvent(ping), TRUE);
		expect("WaitForSingleObject(pong)", WaitForSingleObject(pong, INFINITE),
		       WAIT_OBJECT_0);
	}
	report(name, t0, n);
}

struct pair {
	HANDLE ping, pong;
	long n;
};

static DWORD WINAPI pong_thread(void *arg)
{
	struct pair *p = arg;

	ponger(p->ping, p->pong, p->n);
	return 0;
}

static void event_thread(long n)
{
	long warm = n / 10;
	struct pair p = { CreateEventW(NULL, FALSE, FALSE, NULL),
			  CreateEventW(NULL, FALSE, FALSE, NULL), warm + n };
	HANDLE t = CreateThread(NULL, 0, pong_thread, &p, 0, NULL);

	pinger("event-thread", p.ping, p.pong, warm, n);
	expect("WaitForSingleObject(thread)", WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
	CloseHandle(t);
	CloseHandle(p.ping);
	CloseHandle(p.pong);
}

static void event_process(const char *self, long n)
{
	long warm = n / 10;
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, TRUE };
	HANDLE ping = CreateEventW(&sa, FALSE, FALSE, NULL);
	HANDLE pong = CreateEventW(&sa, FALSE, FALSE, NULL);
	STARTUPINFOA si = { .cb = sizeof(si) };
	PROCESS_INFORMATION pi;
	DWORD code = 1;
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "\"%s\" child %llu %llu %ld", self,
		 (unsigned long long)(ULONG_PTR)ping, (unsigned long long)(ULONG_PTR)pong,
		 warm + n);
	if (!CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
		expect("CreateProcessA", FALSE, TRUE);
		return;
	}
	pinger("event-process", ping, pong, warm, n);
	expect("WaitForSingleObject(child)", WaitForSingleObject(pi.hProcess, INFINITE),
	       WAIT_OBJECT_0);
	GetExitCodeProcess(pi.hProcess, &code);
	expect("the child's exit code", code, 0);
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	CloseHandle(ping);
	CloseHandle(pong);
}

static void wait_any_64(long n)
{
	HANDLE h[MAXIMUM_WAIT_OBJECTS];
	double t0;
	int i;

	for (i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
		h[i] = CreateEventW(NULL, TRUE, i == MAXIMUM_WAIT_OBJECTS - 1, NULL);
	t0 = now_ns();
	for (long k = 0; k < n; k++)
		expect("WaitForMultipleObjects(any, 64)",
		       WaitForMultipleObjects(MAXIMUM_WAIT_OBJECTS, h, FALSE, INFINITE),
		       WAIT_OBJECT_0 + MAXIMUM_WAIT_OBJECTS - 1);
	report("wait-any-64", t0, n);
	for (i = 0; i < MAXIMUM_WAIT_OBJECTS; i++)
		CloseHandle(h[i]);
}

static void wait_all_8(long n)
{
	HANDLE h[8];
	double t0;
	int i;

	for (i = 0; i < 8; i++)
		h[i] = CreateEventW(NULL, TRUE, TRUE, NULL);
	t0 = now_ns();
	for (long k = 0; k < n; k++)
		expect("WaitForMultipleObjects(all, 8)",
		       WaitForMultipleObjects(8, h, TRUE, INFINITE), WAIT_OBJECT_0);
	report("wait-all-8", t0, n);
	for (i = 0; i < 8; i++)
		CloseHandle(h[i]);
}

static void mutex(long n)
{
	HANDLE m = CreateMutexW(NULL, FALSE, NULL);
	double t0 = now_ns();

	for (long k = 0; k < n; k++) {
		expect("WaitForSingleObject(mutex)", WaitForSingleObject(m, INFINITE),
		       WAIT_OBJECT_0);
		expect("ReleaseMutex", ReleaseMutex(m), TRUE);
	}
	report("mutex", t0, n);
	CloseHandle(m);
}

static void semaphore(long n)
{
	HANDLE s = CreateSemaphoreW(NULL, 0, 1, NULL);
	double t0 = now_ns();

	for (long k = 0; k < n; k++) {
		expect("ReleaseSemaphore", ReleaseSemaphore(s, 1, NULL), TRUE);
		expect("WaitForSingleObject(semaphore)", WaitForSingleObject(s, INFINITE),
		       WAIT_OBJECT_0);
	}
	report("semaphore", t0, n);
	CloseHandle(s);
}

static void event_set_reset(long n)
{
	HANDLE e = CreateEventW(NULL, TRUE, FALSE, NULL);
	double t0 = now_ns();

	for (long k = 0; k < n; k++) {
		expect("SetEvent", SetEvent(e), TRUE);
		expect("ResetEvent", ResetEvent(e), TRUE);
	}
	report("event-set-reset", t0, n);
	CloseHandle(e);
}

int main(int argc, char **argv)
{
	double scale = 1;
	long n;

	if (argc == 5 && !strcmp(argv[1], "child")) {
		ponger((HANDLE)(ULONG_PTR)_strtoui64(argv[2], NULL, 10),
		       (HANDLE)(ULONG_PTR)_strtoui64(argv[3], NULL, 10), atol(argv[4]));
		return errors != 0;
	}
	if (argc > 1)
		scale = atof(argv[1]);
	if (scale <= 0) {
		printf("usage: wine-bench.exe [SCALE]\n");
		return 2;
	}
	n = (long)(1000 * scale);
	if (n < 10)
		n = 10;
	event_thread(n);
	event_process(argv[0], n);
	wait_any_64(n);
	wait_all_8(n);
	mutex(2 * n);
	semaphore(2 * n);
	event_set_reset(2 * n);
	if (errors)
		printf("error: %d unexpected results\n", errors);
	return errors != 0;
}
