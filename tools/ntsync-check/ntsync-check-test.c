// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-check-test: every verdict of ntsync-check, in the test guest (TAP).
 * It runs as root, sets the scene (loads and unloads the module, changes
 * the mode of /dev/ntsync, starts Wine stand-ins) and runs ntsync-check as
 * an ordinary user (uid 1000) would, reading its text, its --json and its
 * exit status.
 *
 *   ntsync-check-test           with this project's module loaded (/ntsync.ko)
 *   ntsync-check-test --intree  with the kernel's own module loaded instead
 *
 * The programs: /ntsync-check, /ntsync-check-standin (a stand-in of a Wine
 * built with ntsync) and /ntsync-check-standin-string (one that merely
 * contains the string /dev/ntsync); see ntsync-check-standin.c.
 *
 * The verdicts: our module loaded (its version), the kernel's, none; the
 * device 0666 and 0600 (for the user and for root); a wineserver using
 * ntsync with its Wine process, grouped by prefix, beside one whose binary
 * cannot; a wineserver started before the module was loaded (and one
 * started after, which is fine); inside Flatpak without the device;
 * --wine on a build that can, one that cannot, a binary with only the
 * string, a missing path; the module installed and not loaded, /dev/ntsync
 * the node the boot makes for it; well-formed --json; the exit statuses.  Nothing
 * depends on timing (a second's pause only orders a start and a load).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define USER		1000
#define CHECK		"/ntsync-check"
#define GOOD		"/ntsync-check-standin"
#define STRING		"/ntsync-check-standin-string"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int tests, failures;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void diag(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchrnul(p, '\n');
		printf("# %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

static bool has(const char *out, const char *fmt, ...)
{
	char want[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	return strstr(out, want);
}

/* Run a shell command as root; its exit status. */
static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void become_user(void)
{
	if (setgroups(0, NULL) || setgid(USER) || setuid(USER))
		_exit(125);
}

/* A pipe in p, then fork(): the child's 0, or its pid. */
static pid_t fork_piped(int p[2])
{
	pid_t pid;

	if (pipe(p))
		bail("pipe");
	pid = fork();
	if (pid < 0)
		bail("fork");
	return pid;
}

/*
 * ntsync-check ARGS as uid (USER, or 0): its standard output, malloc'ed,
 * and its exit status in *status.
 */
static char *run_check(uid_t uid, int *status, const char *args)
{
	char cmd[512], *out = NULL;
	size_t len = 0, cap = 0;
	int p[2], st;
	ssize_t n;
	pid_t pid = fork_piped(p);

	if (!pid) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (uid)
			become_user();
		snprintf(cmd, sizeof(cmd), "exec %s %s", CHECK, args);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(126);
	}
	close(p[1]);
	for (;;) {
		if (len + 4096 > cap) {
			cap = cap ? cap * 2 : 65536;
			out = realloc(out, cap);
			if (!out)
				bail("realloc");
		}
		n = read(p[0], out + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(p[0]);
	out[len] = 0;
	waitpid(pid, &st, 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/*
 * A stand-in started as USER from path with argument arg (and WINEPREFIX
 * prefix, if not NULL), once it says "ready"; its pid.
 */
static pid_t spawn(const char *path, const char *arg, const char *arg2, const char *prefix)
{
	char line[16] = "";
	int p[2];
	pid_t pid = fork_piped(p);

	if (!pid) {
		char env_prefix[128];
		char *env[] = { "HOME=/tmp/home", "PATH=/bin", env_prefix, NULL };
		char *args[] = { (char *)path, (char *)arg, (char *)arg2, NULL };

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		become_user();
		snprintf(env_prefix, sizeof(env_prefix), "WINEPREFIX=%s", prefix ? prefix : "");
		if (!prefix)
			env[2] = NULL;
		execve(path, args, env);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], line, sizeof(line) - 1) < 5 || strncmp(line, "ready", 5))
		printf("# %s %s did not start\n", path, arg);
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- a JSON well-formedness check -------------------------------------- */

static const char *js;

static void ws(void)
{
	while (*js == ' ' || *js == '\n' || *js == '\t' || *js == '\r')
		js++;
}

static bool value(int depth);

static bool string(void)
{
	if (*js++ != '"')
		return false;
	while (*js && *js != '"') {
		if ((unsigned char)*js < 0x20)
			return false;
		if (*js == '\\') {
			js++;
			if (*js == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", js[i]) || !js[i])
						return false;
				js += 4;
			} else if (!*js || !strchr("\"\\/bfnrt", *js)) {
				return false;
			}
		}
		js++;
	}
	return *js++ == '"';
}

static bool value(int depth)
{
	if (depth > 32)
		return false;
	ws();
	if (*js == '{' || *js == '[') {
		char close = *js == '{' ? '}' : ']';
		bool obj = *js == '{';

		js++;
		ws();
		if (*js == close) {
			js++;
			return true;
		}
		for (;;) {
			if (obj) {
				ws();
				if (!string())
					return false;
				ws();
				if (*js++ != ':')
					return false;
			}
			if (!value(depth + 1))
				return false;
			ws();
			if (*js == ',') {
				js++;
				continue;
			}
			return *js++ == close;
		}
	}
	if (*js == '"')
		return string();
	if (!strncmp(js, "true", 4) || !strncmp(js, "null", 4)) {
		js += 4;
		return true;
	}
	if (!strncmp(js, "false", 5)) {
		js += 5;
		return true;
	}
	if (*js == '-' || (*js >= '0' && *js <= '9')) {
		strtod(js, (char **)&js);
		return true;
	}
	return false;
}

static bool json_ok(const char *text)
{
	js = text;
	if (!value(0))
		return false;
	ws();
	return !*js;
}

/* The text of wineserver pid's object in --json output, or "". */
static const char *server_json(const char *out, pid_t pid, char *buf, size_t size)
{
	char key[64];
	const char *p, *end;

	snprintf(key, sizeof(key), "{\"pid\": %d, \"prefix\": ", pid);
	buf[0] = 0;
	p = strstr(out, key);
	if (!p)
		return buf;
	end = strstr(p, "]}");
	snprintf(buf, size, "%.*s", (int)(end ? end - p + 2 : (long)strlen(p)), p);
	return buf;
}

static bool finding(const char *out, const char *id, const char *level)
{
	return has(out, "\"id\": \"%s\", \"level\": \"%s\"", id, level);
}

/* ---- the scenes -------------------------------------------------------- */

static char version[64];

static void read_version(void)
{
	FILE *f = fopen("/sys/module/ntsync/version", "r");

	version[0] = 0;
	if (f) {
		if (!fgets(version, sizeof(version), f))
			version[0] = 0;
		fclose(f);
	}
	version[strcspn(version, "\n")] = 0;
}

static void setup(void)
{
	static const char *const dirs[] = { "/tmp/home", "/tmp/pfx-a", "/tmp/pfx-b", "/tmp/pfx-c",
					    "/tmp/pfx-d", "/tmp/pfx-e" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++)
		if (sh("mkdir -p %s && chown %d:%d %s", dirs[i], USER, USER, dirs[i]))
			bail(dirs[i]);
	/* a build of each kind, laid out as Wine installs itself */
	if (sh("for d in /tmp/wine-good /tmp/wine-none; do mkdir -p $d/bin $d/lib/wine/x86_64-unix"
	       "; done") ||
	    sh("cp %s /tmp/wine-good/bin/wineserver && cp %s /tmp/wine-good/bin/wine && "
	       "cp %s /tmp/wine-good/lib/wine/x86_64-unix/ntdll.so", GOOD, GOOD, GOOD) ||
	    sh("cp %s /tmp/wine-none/bin/wineserver && cp %s /tmp/wine-none/bin/wine && "
	       "cp %s /tmp/wine-none/lib/wine/x86_64-unix/ntdll.so", STRING, STRING, STRING) ||
	    sh("mkdir -p /tmp/wine-wrapper && printf '#!/bin/sh\\nexec \"$0\"64 \"$@\"\\n' "
	       ">/tmp/wine-wrapper/wineserver && cp %s /tmp/wine-wrapper/wineserver64", STRING) ||
	    sh("cp %s /tmp/string-only && chmod -R a+rX /tmp/wine-good /tmp/wine-none "
	       "/tmp/wine-wrapper /tmp/string-only", STRING))
		bail("copying the stand-ins");
}

/* Ours loaded, 0666, nothing running; then Wine with and without ntsync. */
static void scene_loaded(void)
{
	char buf[4096], *out;
	pid_t a, client, b;
	int st;

	read_version();
	out = run_check(USER, &st, "--json");
	ok(json_ok(out), "loaded: --json is well-formed JSON");
	ok(st == 0 && has(out, "\"state\": \"ours\", \"version\": \"%s\"", version) &&
	   finding(out, "module-ours", "ok"),
	   "loaded: our module and its version (%s) are named, exit status %d", version, st);
	ok(has(out, "\"mode\": \"0666\"") && has(out, "\"accessible\": true") &&
	   finding(out, "device-ok", "ok"), "loaded: /dev/ntsync 0666, the user may open it");
	ok(finding(out, "wine-none", "info") && has(out, "\"summary\": {\"level\": \"ok\""),
	   "loaded: no Wine running, summary ok");
	diag(out);
	free(out);
	out = run_check(USER, &st, "");
	ok(st == 0 && has(out, "ntsync %s (this project's module) is loaded", version) &&
	   has(out, "summary: OK:"), "loaded: the text says so too, exit status %d", st);
	diag(out);
	free(out);

	/* A Wine with ntsync (server and a process) beside one without. */
	a = spawn("/tmp/wine-good/bin/wineserver", "serve", "/tmp/pfx-a", "/tmp/pfx-a");
	client = spawn("/tmp/wine-good/bin/wine", "client", NULL, "/tmp/pfx-a");
	b = spawn("/tmp/wine-none/bin/wineserver", "serve", "/tmp/pfx-b", "/tmp/pfx-b");
	out = run_check(USER, &st, "--json");
	ok(json_ok(out), "wine: --json is well-formed JSON");
	server_json(out, a, buf, sizeof(buf));
	ok(has(buf, "\"prefix\": \"/tmp/pfx-a\"") && has(buf, "\"in_use\": true") &&
	   has(buf, "\"objects\": 3,") && has(buf, "\"verdict\": \"wine-in-use\""),
	   "wine: wineserver %d of /tmp/pfx-a is in use, with its 3 objects", a);
	ok(has(buf, "{\"pid\": %d, \"comm\": \"wine\", \"objects\": 2, \"device\": true}", client),
	   "wine: its Wine process %d is grouped with it by prefix, holding the device", client);
	server_json(out, b, buf, sizeof(buf));
	ok(has(buf, "\"prefix\": \"/tmp/pfx-b\"") && has(buf, "\"in_use\": false") &&
	   has(buf, "\"abi\": false") && has(buf, "\"verdict\": \"wine-no-abi\""),
	   "wine: wineserver %d of /tmp/pfx-b cannot use ntsync: its binary lacks the ABI", b);
	ok(st == 1 && finding(out, "wine-in-use", "ok") && finding(out, "wine-no-abi", "fail"),
	   "wine: one in use, one a problem: exit status %d", st);
	diag(out);
	free(out);
	out = run_check(USER, &st, "");
	ok(has(out, "wineserver %d (prefix /tmp/pfx-a) uses ntsync", a) &&
	   has(out, "wineserver %d (prefix /tmp/pfx-b) holds no ntsync object: its binary "
	       "/tmp/wine-none/bin/wineserver has no code", b) && has(out, "what to do: ") &&
	   has(out, "summary: PROBLEM:"), "wine: the text names both, with what to do");
	diag(out);
	free(out);
	reap(b);

	/* The device made root-only while a Wine runs. */
	sh("chmod 0600 /dev/ntsync");
	out = run_check(USER, &st, "--json");
	ok(st == 1 && has(out, "\"mode\": \"0600\"") && has(out, "\"accessible\": false") &&
	   finding(out, "device-no-access", "fail"),
	   "0600: the user may not open /dev/ntsync: a problem, exit status %d", st);
	free(out);
	out = run_check(USER, &st, "");
	ok(has(out, "may not open it") && has(out, "sudo chmod 0666 /dev/ntsync"),
	   "0600: the text says so, and how to fix it");
	diag(out);
	free(out);
	out = run_check(0, &st, "--json");
	ok(finding(out, "device-root-only", "warn") && st == 0,
	   "0600: as root: a warning that users cannot, exit status %d", st);
	free(out);
	sh("chmod 0666 /dev/ntsync");
	reap(client);
	reap(a);
}

/* The module unloaded, and loaded after a wineserver started. */
static void scene_unloaded(void)
{
	char buf[4096], *out;
	pid_t c, d;
	int st;

	if (sh("rmmod ntsync")) {
		ok(false, "unloaded: rmmod ntsync");
		return;
	}
	out = run_check(USER, &st, "--json");
	ok(json_ok(out), "unloaded: --json is well-formed JSON");
	ok(st == 1 && has(out, "\"state\": \"none\"") &&
	   finding(out, "module-not-installed", "fail") &&
	   has(out, "\"device\": {\"present\": false}") && finding(out, "device-missing", "fail"),
	   "unloaded: no module (none installed for this kernel), no device, exit status %d", st);
	ok(access("/sys/module/ntsync", F_OK) && access("/dev/ntsync", F_OK),
	   "unloaded: the check loaded nothing");
	diag(out);
	free(out);

	/* Inside Flatpak, without the device. */
	sh("printf '[Application]\\nname=org.example.Game\\n' >/.flatpak-info");
	out = run_check(USER, &st, "");
	ok(st == 1 && has(out, "/dev/ntsync is missing inside Flatpak") &&
	   has(out, "flatpak override --user --device=all org.example.Game"),
	   "flatpak: the device is missing in the sandbox, and how to pass it in");
	diag(out);
	free(out);
	sh("rm -f /.flatpak-info");

	/* A wineserver started before the module, one after. */
	c = spawn("/tmp/wine-good/bin/wineserver", "serve", "/tmp/pfx-c", "/tmp/pfx-c");
	sleep(1);	/* orders the start and the load: a process time has 10 ms steps */
	if (sh("insmod /ntsync.ko")) {
		ok(false, "unloaded: insmod /ntsync.ko again");
		reap(c);
		return;
	}
	d = spawn("/tmp/wine-good/bin/wineserver", "serve", "/tmp/pfx-d", "/tmp/pfx-d");
	out = run_check(USER, &st, "--json");
	server_json(out, c, buf, sizeof(buf));
	ok(st == 1 && has(buf, "\"started_before_module\": true") && has(buf, "\"abi\": true") &&
	   has(buf, "\"verdict\": \"wine-started-before-module\""),
	   "reloaded: wineserver %d started before the module: a problem, exit status %d", c, st);
	server_json(out, d, buf, sizeof(buf));
	ok(has(buf, "\"started_before_module\": false") && has(buf, "\"in_use\": true"),
	   "reloaded: wineserver %d, started after, uses it", d);
	diag(out);
	free(out);
	out = run_check(USER, &st, "");
	ok(has(out, "wineserver %d (prefix /tmp/pfx-c) holds no ntsync object: it started before",
	       c) && has(out, "WINEPREFIX=/tmp/pfx-c /tmp/wine-good/bin/wineserver -k"),
	   "reloaded: the text says to restart it with wineserver -k");
	diag(out);
	free(out);
	reap(c);
	reap(d);
}

/*
 * Installed and not loaded, /dev/ntsync the node the boot makes from
 * modules.devname (as tools/vm/guest-devnode shows the boot does): its
 * first open loads the module, so this is no problem.
 */
static void scene_on_demand(void)
{
	char *out;
	int st;

	if (sh("rmmod ntsync && mkdir -p /lib/modules/$(uname -r)/updates") ||
	    sh("cp /ntsync.ko /lib/modules/$(uname -r)/updates/ && /sbin/depmod -a") ||
	    sh("set -- $(sed -n 's/^ntsync ntsync c\\([0-9]*\\):\\([0-9]*\\)$/\\1 \\2/p' "
	       "/lib/modules/$(uname -r)/modules.devname) && [ $# = 2 ] && "
	       "mknod -m 0666 /dev/ntsync c $1 $2")) {
		ok(false, "on demand: install the module, make the node of modules.devname");
		goto out;
	}
	out = run_check(USER, &st, "--json");
	ok(st == 0 && has(out, "\"state\": \"none\"") &&
	   finding(out, "module-on-demand", "ok") && finding(out, "device-ok", "ok"),
	   "on demand: installed, not loaded, /dev/ntsync its devname node: no problem, "
	   "exit status %d", st);
	ok(access("/sys/module/ntsync", F_OK) != 0, "on demand: the check loaded nothing");
	diag(out);
	free(out);
	out = run_check(USER, &st, "");
	ok(has(out, "the first open, Wine's, loads it"),
	   "on demand: the text says that the first open loads it");
	diag(out);
	free(out);
out:
	sh("rm -f /dev/ntsync /lib/modules/$(uname -r)/updates/ntsync.ko && /sbin/depmod -a");
	sh("[ -e /sys/module/ntsync ] || insmod /ntsync.ko");
}

static void scene_builds(void)
{
	char *out;
	int st;

	out = run_check(USER, &st, "--json --wine /tmp/wine-good");
	ok(json_ok(out), "--wine: --json is well-formed JSON");
	ok(st == 0 && finding(out, "build-dir-ok", "ok") &&
	   has(out, "\"path\": \"/tmp/wine-good/bin/wineserver\", \"role\": \"wineserver\", "
	       "\"elf\": true, \"can_use_ntsync\": true") &&
	   has(out, "\"path\": \"/tmp/wine-good/lib/wine/x86_64-unix/ntdll.so\", \"role\": "
	       "\"ntdll\", \"elf\": true, \"can_use_ntsync\": true"),
	   "--wine: a build with ntsync: its wineserver and ntdll.so can, exit status %d", st);
	diag(out);
	free(out);
	out = run_check(USER, &st, "--json --wine /tmp/wine-none");
	ok(st == 1 && finding(out, "build-dir-no", "fail") &&
	   has(out, "\"path\": \"/tmp/wine-none/bin/wineserver\", \"role\": \"wineserver\", "
	       "\"elf\": true, \"can_use_ntsync\": false") &&
	   has(out, "\"path\": \"/tmp/wine-none/lib/wine/x86_64-unix/ntdll.so\", \"role\": "
	       "\"ntdll\", \"elf\": true, \"can_use_ntsync\": false"),
	   "--wine: a build without: neither can, exit status %d", st);
	free(out);
	out = run_check(USER, &st, "--json --wine /tmp/wine-wrapper");
	ok(st == 1 && has(out, "this build cannot use ntsync (0 of 1 binaries)") &&
	   has(out, "\"path\": \"/tmp/wine-wrapper/wineserver64\", \"role\": \"wineserver\"") &&
	   !has(out, "\"path\": \"/tmp/wine-wrapper/wineserver\","),
	   "--wine: Debian's layout: the wrapper script wineserver is passed over, wineserver64 "
	   "checked");
	diag(out);
	free(out);
	out = run_check(USER, &st, "--wine /tmp/string-only");
	ok(st == 1 && has(out, "/tmp/string-only (binary, ") &&
	   has(out, "cannot use /dev/ntsync: no ioctl of Linux 6.14's ABI is in its code, although "
	       "it names /dev/ntsync"),
	   "--wine: a binary that merely contains the string /dev/ntsync does not pass");
	diag(out);
	free(out);
	out = run_check(USER, &st, "--wine /tmp/wine-good/bin/wineserver");
	ok(st == 0 && has(out, "/tmp/wine-good/bin/wineserver (wineserver, "),
	   "--wine: one wineserver binary, exit status %d", st);
	free(out);
	out = run_check(USER, &st, "--wine /tmp/no-such-wine");
	ok(st == 2, "--wine: a missing path: exit status %d", st);
	free(out);
	out = run_check(USER, &st, "--no-such-option");
	ok(st == 2, "a bad option: exit status %d", st);
	free(out);
}

/* The kernel's own driver loaded (guest-init swapped it in). */
static void scene_intree(void)
{
	char buf[4096], *out;
	pid_t e;
	int st;

	out = run_check(USER, &st, "--json");
	ok(json_ok(out), "intree: --json is well-formed JSON");
	ok(st == 0 && has(out, "\"state\": \"kernel\", \"version\": null") &&
	   finding(out, "module-kernel", "ok") && finding(out, "device-ok", "ok"),
	   "intree: the kernel's own driver is named, exit status %d", st);
	diag(out);
	free(out);
	e = spawn("/tmp/wine-good/bin/wineserver", "serve", "/tmp/pfx-e", "/tmp/pfx-e");
	out = run_check(USER, &st, "--json");
	server_json(out, e, buf, sizeof(buf));
	ok(st == 0 && has(buf, "\"in_use\": true") && has(buf, "\"objects\": 3,"),
	   "intree: a wineserver on the kernel's driver is in use, its 3 objects seen");
	diag(out);
	free(out);
	out = run_check(USER, &st, "");
	ok(has(out, "the kernel's own ntsync driver is loaded"), "intree: the text says so");
	diag(out);
	free(out);
	reap(e);
}

int main(int argc, char **argv)
{
	bool intree = argc > 1 && !strcmp(argv[1], "--intree");

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(240);	/* never hang the lane: a stuck test ends short of its plan */
	setup();
	if (intree) {
		scene_intree();
	} else {
		scene_loaded();
		scene_unloaded();
		scene_on_demand();
		scene_builds();
	}
	printf("1..%d\n", tests);
	return failures != 0;
}
