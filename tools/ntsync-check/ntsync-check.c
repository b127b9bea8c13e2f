// SPDX-License-Identifier: GPL-2.0-only
/*
 * ntsync-check: does Wine use /dev/ntsync here, and if not, why.
 *
 *   ntsync-check [--json] [--wine PATH]...
 *
 * One look at the system, for a user: which ntsync module is loaded (this
 * project's, the kernel's, none, and why none where that can be known),
 * /dev/ntsync and whether this user may open it, every wineserver and Wine
 * process the user may inspect, grouped by Wine prefix, with whether it
 * uses ntsync and, if not, why; with --wine, whether a Wine or Proton
 * build can use ntsync at all.  Every problem comes with what to do.
 *
 * It changes nothing it reports on: it never opens /dev/ntsync (that could
 * load a module) and never runs the binaries it checks; it reads /sys,
 * /proc, /lib/modules, /var/lib/dkms and the files it is pointed at.
 *
 * Exit status: 0 no problem found (warnings are allowed), 1 a problem that
 * keeps Wine from using ntsync, 2 bad usage or a PATH that cannot be read.
 * Documentation/ntsync.rst ("Does Wine use it: ntsync-check") describes
 * every line.
 *
 * Wine facts it relies on (Wine 11.10, server/inproc_sync.c,
 * server/request.c, dlls/ntdll/unix/server.c and sync.c): the wineserver
 * opens /dev/ntsync once, on its first object, and keeps a failure for its
 * whole life; with the device it creates every event, mutex and semaphore
 * as an ntsync object and holds its descriptor; its code exists only when
 * Wine was built against Linux 6.14's linux/ntsync.h (NTSYNC_IOC_EVENT_READ
 * defined); its working directory is /tmp/.wine-UID/server-DEV-INO, DEV
 * and INO (hexadecimal) those of the prefix directory, which it keeps open;
 * a Wine process gets the device from the wineserver, and its ntdll.so
 * (unix side) waits with it.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#define DEVICE		"/dev/ntsync"
#define SYSMOD		"/sys/module/ntsync"
#define EFI_SECURE_BOOT	"/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define SIG_TRAILER	"~Module signature appended~\n"
#define MAX_SEGMENT	(512u << 20)	/* largest code segment read */

/* ---- findings --------------------------------------------------------- */

enum level { L_OK, L_INFO, L_WARN, L_FAIL };
static const char *const level_names[] = { "ok", "info", "warn", "FAIL" };
static const char *const level_json[] = { "ok", "info", "warn", "fail" };

struct finding {
	const char *area;	/* module, device, sandbox, wine, build */
	const char *id;		/* stable, for scripts */
	enum level level;
	char *msg;
	char *fix;		/* what to do, or NULL */
	char *detail;		/* more lines (kernel log, processes), or NULL */
};

static struct finding *findings;
static unsigned int nfindings;

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		perror("ntsync-check");
		exit(2);
	}
	return p;
}

static char *vfmt(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		perror("ntsync-check");
		exit(2);
	}
	return s;
}

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(f, ap);
	va_end(ap);
	return s;
}

/* A finding; returns it so that a fix or details can be added. */
static struct finding *add(const char *area, const char *id, enum level level,
			   const char *f, ...)
{
	struct finding *x;
	va_list ap;

	findings = xrealloc(findings, (nfindings + 1) * sizeof(*findings));
	x = &findings[nfindings++];
	memset(x, 0, sizeof(*x));
	x->area = area;
	x->id = id;
	x->level = level;
	va_start(ap, f);
	x->msg = vfmt(f, ap);
	va_end(ap);
	return x;
}

static void set_fix(struct finding *x, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	free(x->fix);
	x->fix = vfmt(f, ap);
	va_end(ap);
}

static void add_detail(struct finding *x, const char *line)
{
	char *d = fmt("%s%s%s", x->detail ? x->detail : "", x->detail ? "\n" : "", line);

	free(x->detail);
	x->detail = d;
}

/* ---- small file helpers ----------------------------------------------- */

/* The first size-1 bytes of a file, NUL-terminated; -1 if unreadable. */
static ssize_t slurp(const char *path, char *buf, size_t size)
{
	size_t total = 0;
	ssize_t n;
	int f = open(path, O_RDONLY | O_CLOEXEC);

	if (f < 0)
		return -1;
	while (total < size - 1 && (n = read(f, buf + total, size - 1 - total)) > 0)
		total += n;
	close(f);
	buf[total] = 0;
	return total;
}

/* One line of a small file, without its newline; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t size)
{
	if (slurp(path, buf, size) < 0)
		return false;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The name of uid (or gid, group) from /etc/passwd (/etc/group), or its number. */
static void id_name(bool group, unsigned int id, char *buf, size_t size)
{
	char line[1024];
	FILE *f = fopen(group ? "/etc/group" : "/etc/passwd", "re");

	snprintf(buf, size, "%u", id);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *name = line, *p = strchr(line, ':');

		if (!p)
			continue;
		*p++ = 0;
		p = strchr(p, ':');	/* the password field */
		if (p && strtoul(p + 1, NULL, 10) == id && isdigit((unsigned char)p[1])) {
			snprintf(buf, size, "%.*s", (int)size - 1, name);
			break;
		}
	}
	fclose(f);
}

/* ---- the ELF scan: can this binary use the 6.14 ABI? ------------------- */

enum role { R_SERVER = 1, R_CLIENT = 2, R_ANY = 3 };

/*
 * Every request of the 6.14 ABI, and who uses it in Wine 11.10: the
 * wineserver (server/inproc_sync.c) creates the objects, sets and resets
 * events and kills mutexes; ntdll.so's unix side (dlls/ntdll/unix/sync.c)
 * waits, reads and signals.
 */
static const struct ioc {
	const char *name;
	uint32_t value;
	unsigned int roles;
} iocs[] = {
	{ "CREATE_SEM", 0x40084e80, R_SERVER },
	{ "SEM_RELEASE", 0xc0044e81, R_CLIENT },
	{ "WAIT_ANY", 0xc0284e82, R_CLIENT },
	{ "WAIT_ALL", 0xc0284e83, R_CLIENT },
	{ "CREATE_MUTEX", 0x40084e84, R_SERVER },
	{ "MUTEX_UNLOCK", 0xc0084e85, R_CLIENT },
	{ "MUTEX_KILL", 0x40044e86, R_SERVER },
	{ "CREATE_EVENT", 0x40084e87, R_SERVER },
	{ "EVENT_SET", 0x80044e88, R_SERVER | R_CLIENT },
	{ "EVENT_RESET", 0x80044e89, R_SERVER | R_CLIENT },
	{ "EVENT_PULSE", 0x80044e8a, R_CLIENT },
	{ "SEM_READ", 0x80084e8b, R_CLIENT },
	{ "MUTEX_READ", 0x80084e8c, R_CLIENT },
	{ "EVENT_READ", 0x80084e8d, R_CLIENT },
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NIOCS		ARRAY_SIZE(iocs)
#define NEEDED		3	/* distinct requests of its role a build must show */

struct scan {
	bool elf;
	bool found[NIOCS];
	bool names_device;	/* the string /dev/ntsync is in it */
	char machine[16];
	char error[128];
};

static void note_value(struct scan *s, uint32_t v)
{
	unsigned int i;

	for (i = 0; i < NIOCS; i++)
		if (v == iocs[i].value)
			s->found[i] = true;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

enum isa { ISA_OTHER, ISA_X86, ISA_AARCH64 };

/*
 * Whether the 4 bytes at p[i] are the immediate of an x86 instruction that
 * takes one: MOV r32, imm32 (B8+r, the request as an argument register),
 * PUSH imm32 (68), MOV r/m32, imm32 (C7, i386's stack arguments: up to
 * ModRM, SIB and an 8-bit displacement before it) or an ALU op (81).
 */
static bool x86_imm(const unsigned char *p, size_t i)
{
	size_t k;

	if (i >= 1 && ((p[i - 1] & 0xf8) == 0xb8 || p[i - 1] == 0x68))
		return true;
	for (k = 2; k <= 4 && k <= i; k++)
		if (p[i - k] == 0xc7 || p[i - k] == 0x81)
			return true;
	return false;
}

/*
 * The values, little-endian: in code as instruction immediates (x86) or as
 * aligned literals (a literal pool, a table in read-only data), and on
 * aarch64 also as a MOVZ of the low half followed within a few
 * instructions by a MOVK of the high half into the same register.
 */
static void scan_code(struct scan *s, const unsigned char *p, size_t n, bool code, enum isa isa)
{
	size_t i, j;

	for (i = 0; i + 4 <= n; i++) {
		if (p[i + 1] != 0x4e)	/* every request's second byte is 'N' */
			continue;
		if (!(i & 3) || (code && isa == ISA_X86 && x86_imm(p, i)))
			note_value(s, le32(p + i));
	}
	if (!code || isa != ISA_AARCH64)
		return;
	for (i = 0; i + 4 <= n; i += 4) {
		uint32_t w = le32(p + i), lo;

		/* MOVZ Rd, #imm16 (hw 0), 32- or 64-bit */
		if ((w & 0x7fe00000) != 0x52800000)
			continue;
		lo = (w >> 5) & 0xffff;
		for (j = i + 4; j + 4 <= n && j <= i + 64; j += 4) {
			uint32_t k = le32(p + j);

			/* MOVK Rd, #imm16, LSL #16, same Rd */
			if ((k & 0x7fe00000) == 0x72a00000 && (k & 31) == (w & 31)) {
				note_value(s, lo | ((k >> 5) & 0xffff) << 16);
				break;
			}
		}
	}
}

static void scan_data(struct scan *s, const unsigned char *p, size_t n)
{
	if (memmem(p, n, DEVICE, strlen(DEVICE)))
		s->names_device = true;
}

static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, off + done);

		if (r <= 0)
			return false;
		done += r;
	}
	return true;
}

/*
 * A loadable range: code (executable) is searched for the values as
 * immediates, read-only data too (a compiler may put a choice of requests
 * in a table); anything loadable for the string.
 */
static void scan_range(struct scan *s, int fd, uint64_t off, uint64_t size, bool code,
		       bool readonly, enum isa isa)
{
	unsigned char *buf;

	if (!size || size > MAX_SEGMENT)
		return;
	buf = xrealloc(NULL, size);
	if (read_at(fd, buf, size, off)) {
		if (code || readonly)
			scan_code(s, buf, size, code, isa);
		scan_data(s, buf, size);
	}
	free(buf);
}

/*
 * The loadable segments of an ELF file (ELF32 or ELF64, little-endian):
 * executable ones as code, all for the string.  A file without program
 * headers (an object file) is read by its sections instead.
 */
static void scan_elf(int fd, struct scan *s)
{
	unsigned char id[EI_NIDENT];
	Elf64_Ehdr e;
	enum isa isa;
	bool is64;
	unsigned int i;

	memset(s, 0, sizeof(*s));
	if (read_at(fd, id, 2, 0) && !memcmp(id, "#!", 2)) {
		snprintf(s->error, sizeof(s->error), "a script, not a binary (a wrapper: point "
			 "--wine at the directory that holds what it runs)");
		return;
	}
	if (!read_at(fd, id, sizeof(id), 0) || memcmp(id, ELFMAG, SELFMAG)) {
		snprintf(s->error, sizeof(s->error), "not an ELF binary");
		return;
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		snprintf(s->error, sizeof(s->error), "a big-endian ELF binary, not read");
		return;
	}
	is64 = id[EI_CLASS] == ELFCLASS64;
	if (is64) {
		if (!read_at(fd, &e, sizeof(e), 0))
			goto bad;
	} else {
		Elf32_Ehdr e32;

		if (!read_at(fd, &e32, sizeof(e32), 0))
			goto bad;
		memset(&e, 0, sizeof(e));
		e.e_machine = e32.e_machine;
		e.e_phoff = e32.e_phoff;
		e.e_phnum = e32.e_phnum;
		e.e_phentsize = e32.e_phentsize;
		e.e_shoff = e32.e_shoff;
		e.e_shnum = e32.e_shnum;
		e.e_shentsize = e32.e_shentsize;
	}
	s->elf = true;
	isa = e.e_machine == EM_X86_64 || e.e_machine == EM_386 ? ISA_X86 :
	      e.e_machine == EM_AARCH64 ? ISA_AARCH64 : ISA_OTHER;
	snprintf(s->machine, sizeof(s->machine), "%s",
		 e.e_machine == EM_X86_64 ? "x86-64" : e.e_machine == EM_386 ? "i386" :
		 isa == ISA_AARCH64 ? "aarch64" : e.e_machine == EM_ARM ? "arm" : "other");
	if (e.e_phnum) {
		for (i = 0; i < e.e_phnum && i < 256; i++) {
			uint64_t off = e.e_phoff + (uint64_t)i * e.e_phentsize;
			Elf64_Phdr ph;

			if (is64) {
				if (!read_at(fd, &ph, sizeof(ph), off))
					goto bad;
			} else {
				Elf32_Phdr p32;

				if (!read_at(fd, &p32, sizeof(p32), off))
					goto bad;
				ph.p_type = p32.p_type;
				ph.p_flags = p32.p_flags;
				ph.p_offset = p32.p_offset;
				ph.p_filesz = p32.p_filesz;
			}
			if (ph.p_type == PT_LOAD)
				scan_range(s, fd, ph.p_offset, ph.p_filesz, ph.p_flags & PF_X,
					   !(ph.p_flags & PF_W), isa);
		}
		return;
	}
	for (i = 0; i < e.e_shnum && i < 65536; i++) {
		uint64_t off = e.e_shoff + (uint64_t)i * e.e_shentsize;
		Elf64_Shdr sh;

		if (is64) {
			if (!read_at(fd, &sh, sizeof(sh), off))
				goto bad;
		} else {
			Elf32_Shdr s32;

			if (!read_at(fd, &s32, sizeof(s32), off))
				goto bad;
			sh.sh_type = s32.sh_type;
			sh.sh_flags = s32.sh_flags;
			sh.sh_offset = s32.sh_offset;
			sh.sh_size = s32.sh_size;
		}
		if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_ALLOC))
			scan_range(s, fd, sh.sh_offset, sh.sh_size, sh.sh_flags & SHF_EXECINSTR,
				   !(sh.sh_flags & SHF_WRITE), isa);
	}
	return;
bad:
	s->elf = false;
	snprintf(s->error, sizeof(s->error), "a truncated ELF binary");
}

/*
 * Whether the scan shows code for the role: NEEDED distinct requests of
 * it.  Not all: a compiler may derive one from another (clang for aarch64
 * makes CREATE_MUTEX an ORR of CREATE_SEM).  Not one: a single 32-bit
 * value turns up by chance in large binaries (it did in node and libmagic).
 * Neither a build without linux/ntsync.h nor one with the early header of
 * 6.10-6.13 has any (Wine compiles its ntsync code only when
 * NTSYNC_IOC_EVENT_READ is defined).
 */
static unsigned int scan_count(const struct scan *s, enum role role)
{
	unsigned int i, n = 0;

	for (i = 0; i < NIOCS; i++)
		n += s->found[i] && (iocs[i].roles & role);
	return n;
}

static bool scan_passes(const struct scan *s, enum role role)
{
	return s->elf && scan_count(s, role) >= NEEDED;
}

/* "CREATE_SEM, CREATE_MUTEX": the requests of role that the scan found. */
static void scan_list(const struct scan *s, enum role role, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < NIOCS; i++)
		if (s->found[i] && (iocs[i].roles & role) && len < size)
			len += snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
					iocs[i].name);
}

/* ---- the module ------------------------------------------------------- */

enum modstate { M_NONE, M_OURS, M_KERNEL, M_BUILTIN, M_OTHER };
static const char *const mod_json[] = { "none", "ours", "kernel", "builtin", "other" };

static struct {
	enum modstate state;
	char version[64], taint[32], initstate[32];
	char installed[8][PATH_MAX];	/* ntsync.ko* found for this kernel */
	bool installed_ours[8];
	unsigned int ninstalled;
	int secure_boot;		/* 1 on, 0 off, -1 unknown (no EFI) */
	bool boot_load;			/* modules-load.d names ntsync */
	bool on_demand;			/* /dev/ntsync is modules.devname's node */
} mod;

static struct {
	char release[128];
} uts;

static struct {
	bool present, chr, accessible, stale;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	char owner[64], group[64];
	struct timespec mtime;
	unsigned int major, minor;
} dev;

static const char *sandbox;	/* "Flatpak", "Docker", ... or NULL */
static char sandbox_app[128];
static uid_t me;

/* An ntsync.ko, .ko.xz, .ko.zst or .ko.gz in dir, recorded as installed. */
static void find_ko(const char *dir, bool ours)
{
	static const char *const names[] = { "ntsync.ko", "ntsync.ko.xz", "ntsync.ko.zst",
					     "ntsync.ko.gz" };
	unsigned int i;

	for (i = 0; i < 4 && mod.ninstalled < 8; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (!exists(path))
			continue;
		snprintf(mod.installed[mod.ninstalled], PATH_MAX, "%s", path);
		mod.installed_ours[mod.ninstalled++] = ours;
	}
}

static const char *modules_dir(void)
{
	static char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "/lib/modules/%s", uts.release);
	if (!exists(dir))
		snprintf(dir, sizeof(dir), "/usr/lib/modules/%s", uts.release);
	return dir;
}

static bool file_has_word(const char *path, const char *word)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");

		if (*p == '#')
			continue;
		p[strcspn(p, " \t\r\n#")] = 0;
		found = !strcmp(p, word);
	}
	fclose(f);
	return found;
}

static bool loaded_at_boot(void)
{
	static const char *const dirs[] = { "/etc/modules-load.d", "/run/modules-load.d",
					    "/usr/local/lib/modules-load.d",
					    "/usr/lib/modules-load.d", "/lib/modules-load.d" };
	unsigned int i;

	if (file_has_word("/etc/modules", "ntsync"))
		return true;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		struct dirent *de;
		DIR *d = opendir(dirs[i]);
		bool found = false;

		if (!d)
			continue;
		while (!found && (de = readdir(d))) {
			char path[PATH_MAX];
			size_t n = strlen(de->d_name);

			if (n < 5 || strcmp(de->d_name + n - 5, ".conf"))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[i], de->d_name);
			found = file_has_word(path, "ntsync");
		}
		closedir(d);
		if (found)
			return true;
	}
	return false;
}

static int secure_boot(void)
{
	unsigned char b[5];
	int f = open(EFI_SECURE_BOOT, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (f < 0)
		return exists("/sys/firmware/efi") ? -1 : 0;
	n = read(f, b, sizeof(b));
	close(f);
	return n == 5 ? b[4] == 1 : -1;	/* 4 bytes of attributes, then the value */
}

/* 1 signed, 0 not, -1 cannot tell (compressed, unreadable). */
static int ko_signed(const char *path)
{
	char tail[sizeof(SIG_TRAILER)];
	size_t n = strlen(SIG_TRAILER);
	struct stat st;
	int f, ret = -1;

	if (strcmp(path + strlen(path) - 3, ".ko"))
		return -1;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	if (!fstat(f, &st) && st.st_size > (off_t)n && read_at(f, tail, n, st.st_size - n))
		ret = !memcmp(tail, SIG_TRAILER, n);
	close(f);
	return ret;
}

/*
 * The kernel log's lines about ntsync (the last few), if this user may read
 * it.  Reading it changes nothing (SYSLOG_ACTION_READ_ALL).
 */
static bool kernel_log(struct finding *x)
{
	static const char *const keys[] = { "ntsync", "Key was rejected", "module verification",
					    "Lockdown", NULL };
	char *buf, *line, *save, *hits[6] = { 0 };
	int n, size = klogctl(10, NULL, 0), i, nh = 0;	/* SYSLOG_ACTION_SIZE_BUFFER */

	if (size <= 0)
		size = 1 << 20;
	buf = xrealloc(NULL, size + 1);
	n = klogctl(3, buf, size);	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		free(buf);
		return false;
	}
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; keys[i]; i++) {
			if (strstr(line, keys[i]) && !strstr(line, "ntsync-lane")) {
				if (nh == 6) {
					memmove(hits, hits + 1, 5 * sizeof(*hits));
					nh = 5;
				}
				hits[nh++] = line;
				break;
			}
		}
	}
	if (!nh)
		add_detail(x, "kernel log: nothing about ntsync");
	for (i = 0; i < nh; i++) {
		char *d = fmt("kernel log: %s", hits[i]);

		add_detail(x, d);
		free(d);
	}
	free(buf);
	return true;
}

static void log_or_root(struct finding *x)
{
	char r[16] = "?", *d;

	if (kernel_log(x))
		return;
	read_line("/proc/sys/kernel/dmesg_restrict", r, sizeof(r));
	d = fmt("the kernel log, which says why a load failed, is not readable by you "
		"(kernel.dmesg_restrict = %s): run 'sudo ntsync-check' to see more", r);
	add_detail(x, d);
	free(d);
}

/* DKMS's view: versions of ntsync it knows, and whether one is built for this kernel. */
static void dkms_state(char *versions, size_t size, bool *built, bool *failed_log)
{
	struct dirent *de;
	DIR *d = opendir("/var/lib/dkms/ntsync");
	size_t len = 0;

	versions[0] = 0;
	*built = *failed_log = false;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.' || !strncmp(de->d_name, "kernel-", 7) ||
		    !strcmp(de->d_name, "original_module"))
			continue;
		snprintf(path, sizeof(path), "/var/lib/dkms/ntsync/%s", de->d_name);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		if (len < size)
			len += snprintf(versions + len, size - len, "%s%s", len ? ", " : "",
					de->d_name);
		snprintf(path, sizeof(path), "/var/lib/dkms/ntsync/%s/%s", de->d_name, uts.release);
		if (exists(path))
			*built = true;
		snprintf(path, sizeof(path), "/var/lib/dkms/ntsync/%s/build/make.log", de->d_name);
		if (exists(path))
			*failed_log = true;
	}
	closedir(d);
}

/*
 * Whether /dev/ntsync is the node that modules.devname gives the installed
 * module ("ntsync ntsync c10:246"): the boot makes it (kmod static-nodes)
 * before anything loads the module, and its first open loads it.
 */
static bool devname_node(void)
{
	char path[PATH_MAX], line[256];
	unsigned int ma, mi;
	struct stat st;
	bool found = false;
	FILE *f;

	if (stat(DEVICE, &st) || !S_ISCHR(st.st_mode))
		return false;
	snprintf(path, sizeof(path), "%s/modules.devname", modules_dir());
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "ntsync ntsync c%u:%u", &ma, &mi) == 2 &&
			major(st.st_rdev) == ma && minor(st.st_rdev) == mi;
	fclose(f);
	return found;
}

static void check_module(void)
{
	char path[PATH_MAX];
	struct finding *x;
	unsigned int i;
	bool ours_installed = false;

	if (exists(SYSMOD)) {
		bool has_version = read_line(SYSMOD "/version", mod.version, sizeof(mod.version));

		read_line(SYSMOD "/taint", mod.taint, sizeof(mod.taint));
		read_line(SYSMOD "/initstate", mod.initstate, sizeof(mod.initstate));
		if (has_version && strchr(mod.taint, 'O'))
			mod.state = M_OURS;
		else if (strchr(mod.taint, 'O'))
			mod.state = M_OTHER;
		else if (!mod.initstate[0])
			mod.state = M_BUILTIN;	/* a loadable module always has initstate */
		else
			mod.state = M_KERNEL;
	} else {
		snprintf(path, sizeof(path), "%s/modules.builtin", modules_dir());
		if (file_has_word(path, "kernel/drivers/misc/ntsync.ko"))
			mod.state = M_BUILTIN;
	}

	/* What is installed for the running kernel (ours: updates/ or extra/). */
	snprintf(path, sizeof(path), "%s/updates", modules_dir());
	find_ko(path, true);
	snprintf(path, sizeof(path), "%s/updates/dkms", modules_dir());
	find_ko(path, true);
	snprintf(path, sizeof(path), "%s/extra", modules_dir());
	find_ko(path, true);
	snprintf(path, sizeof(path), "%s/kernel/drivers/misc", modules_dir());
	find_ko(path, false);
	for (i = 0; i < mod.ninstalled; i++)
		ours_installed |= mod.installed_ours[i];
	mod.secure_boot = secure_boot();
	mod.boot_load = loaded_at_boot();
	mod.on_demand = devname_node();

	switch (mod.state) {
	case M_OURS:
		x = add("module", "module-ours", L_OK,
			"ntsync %s (this project's module) is loaded", mod.version);
		if (mod.initstate[0] && strcmp(mod.initstate, "live")) {
			x->level = L_WARN;
			set_fix(x, "it is still %s: run ntsync-check again in a moment",
				mod.initstate);
		}
		return;
	case M_OTHER:
		add("module", "module-other", L_OK,
		    "an out-of-tree ntsync without a version is loaded (not this project's)");
		return;
	case M_BUILTIN:
		add("module", "module-builtin", L_OK,
		    "the kernel's own ntsync driver is built into kernel %s", uts.release);
		return;
	case M_KERNEL:
		x = add("module", "module-kernel", L_OK,
			"the kernel's own ntsync driver is loaded (kernel %s); Wine works with it",
			uts.release);
		if (ours_installed) {
			x->level = L_WARN;
			set_fix(x, "this project's module is installed for this kernel but the "
				"kernel's was loaded first; to use ours, stop Wine, then: sudo rmmod "
				"ntsync && sudo modprobe ntsync");
		}
		return;
	case M_NONE:
		break;
	}

	x = add("module", "module-none", L_FAIL, "no ntsync module is loaded");
	if (sandbox) {
		set_fix(x, "inside %s the modules are the host's: run ntsync-check on the host",
			sandbox);
		return;
	}
	if (!mod.ninstalled) {
		char versions[256];
		bool built, failed;

		dkms_state(versions, sizeof(versions), &built, &failed);
		if (versions[0]) {
			x->id = "module-not-built";
			free(x->msg);
			x->msg = fmt("no ntsync module is loaded, and none is built for the "
				     "running kernel %s: DKMS has ntsync %s, not built for it%s",
				     uts.release, versions,
				     failed ? " (its last build left a make.log: it failed)" : "");
			set_fix(x, "sudo apt install linux-headers-%s (or your distribution's "
				"headers of this kernel), then sudo dkms autoinstall -k %s and sudo "
				"modprobe ntsync%s", uts.release, uts.release,
				failed ? "; if the build fails, its make.log (under "
				"/var/lib/dkms/ntsync) says why" : "");
			return;
		}
		x->id = "module-not-installed";
		free(x->msg);
		x->msg = fmt("no ntsync module is loaded, and none is installed for the running "
			     "kernel %s (%s has no ntsync.ko)", uts.release, modules_dir());
		set_fix(x, "install this project's module (the ntsync-dkms package, or make && "
			"sudo make install, see its README), then sudo modprobe ntsync");
		return;
	}

	/* Installed but not loaded: why, as far as can be known. */
	for (i = 0; i < mod.ninstalled; i++) {
		char *d = fmt("installed: %s%s", mod.installed[i],
			      mod.installed_ours[i] ? "" : " (the kernel's own)");

		add_detail(x, d);
		free(d);
	}
	if (mod.secure_boot == 1) {
		int sig = ko_signed(mod.installed[0]);

		x->id = "module-secure-boot";
		free(x->msg);
		if (!sig) {
			x->msg = fmt("no ntsync module is loaded: Secure Boot is on and %s is not "
				     "signed, so the kernel refuses it ('Key was rejected by "
				     "service')", mod.installed[0]);
			set_fix(x, "sign it with a key the firmware trusts: rebuild it through "
				"a DKMS that signs (Debian 12 and later: /var/lib/dkms/mok.pub; Ubuntu: "
				"/var/lib/shim-signed/mok/MOK.der), then enrol that key once: sudo "
				"mokutil --import KEY, reboot, 'Enroll MOK' (README.md, 'Secure "
				"Boot')");
		} else {
			x->msg = fmt("no ntsync module is loaded; Secure Boot is on: the kernel "
				     "loads %s only if the key that signed it is enrolled",
				     mod.installed[0]);
			set_fix(x, "sudo modprobe ntsync; if it says 'Key was rejected by "
				"service', enrol DKMS's key (Debian: /var/lib/dkms/mok.pub; Ubuntu: "
				"/var/lib/shim-signed/mok/MOK.der): sudo mokutil --import KEY, reboot, "
				"'Enroll MOK'");
		}
	} else if (mod.on_demand && ours_installed) {
		x->id = "module-on-demand";
		x->level = L_OK;
		free(x->msg);
		x->msg = fmt("ntsync (this project's module) is installed and not loaded yet: "
			     "/dev/ntsync is the node the boot made for it (modules.devname), "
			     "and the first open, Wine's, loads it");
		return;
	} else if (!mod.boot_load) {
		x->id = "module-not-loaded-at-boot";
		free(x->msg);
		x->msg = fmt("no ntsync module is loaded: it is installed, but nothing loads it "
			     "(/dev/ntsync is not the node of its devname alias, and no "
			     "modules-load.d entry names ntsync)");
		set_fix(x, "sudo modprobe ntsync now; for every boot, install this project's "
			"package or run make install again (either lists /dev/ntsync in "
			"modules.devname: the boot makes the node, and its first open loads the "
			"module)");
	} else {
		x->id = "module-load-failed";
		free(x->msg);
		x->msg = fmt("no ntsync module is loaded, though it is installed and set to load "
			     "at boot: loading it failed, or it was unloaded since");
		set_fix(x, "sudo modprobe ntsync, and read what it says (and the kernel log); "
			"then restart Wine (wineserver -k)");
	}
	log_or_root(x);
}

/* ---- the device and the sandbox --------------------------------------- */

static void detect_sandbox(void)
{
	char buf[4096], *p;
	const char *env = getenv("container");

	if (exists("/.flatpak-info")) {
		sandbox = "Flatpak";
		p = slurp("/.flatpak-info", buf, sizeof(buf)) > 0 ? strstr(buf, "\nname=") : NULL;
		if (p)
			snprintf(sandbox_app, sizeof(sandbox_app), "%.*s",
				 (int)strcspn(p + 6, "\n"), p + 6);
	} else if (exists("/run/.containerenv")) {
		sandbox = "a Podman container";
	} else if (exists("/.dockerenv")) {
		sandbox = "a Docker container";
	} else if (env && *env) {
		sandbox = "a container";
	}
	if (sandbox)
		add("sandbox", "sandbox", L_INFO, "running inside %s%s%s", sandbox,
		    sandbox_app[0] ? ": " : "", sandbox_app);
}

static void sandbox_fix(struct finding *x)
{
	if (!strcmp(sandbox, "Flatpak"))
		set_fix(x, "Flatpak 1.18.0 and later pass /dev/ntsync into every sandbox "
			"(flatpak/flatpak pull request #6546; Flatpak's NEWS, 1.17.4): "
			"update Flatpak; with an older one, allow all devices: flatpak override "
			"--user --device=all %s", sandbox_app[0] ? sandbox_app : "APP-ID");
	else
		set_fix(x, "load the module on the host, then pass the device in: docker run "
			"--device /dev/ntsync ... (podman run --device /dev/ntsync ...; LXC: a bind "
			"mount of /dev/ntsync and a devices rule for it)");
}

static void check_device(void)
{
	struct finding *x;
	struct stat st;
	char sys[32];

	if (stat(DEVICE, &st)) {
		if (sandbox) {
			x = add("device", "sandbox-no-device", L_FAIL,
				"/dev/ntsync is missing inside %s: Wine there cannot use ntsync",
				sandbox);
			sandbox_fix(x);
		} else if (mod.state != M_NONE) {
			x = add("device", "device-missing", L_FAIL,
				"/dev/ntsync is missing although the module is loaded");
			if (read_line("/sys/class/misc/ntsync/dev", sys, sizeof(sys))) {
				sys[strcspn(sys, ":")] = ' ';
				set_fix(x, "sudo mknod -m 0666 /dev/ntsync c %s (udev or devtmpfs "
					"should have made it)", sys);
			} else {
				set_fix(x, "is /dev a devtmpfs?  reload the module: sudo "
					"rmmod ntsync && sudo modprobe ntsync");
			}
		} else {
			x = add("device", "device-missing", L_FAIL,
				"/dev/ntsync is missing: it appears when the module is loaded");
			set_fix(x, "see the module line above");
		}
		return;
	}
	dev.present = true;
	dev.chr = S_ISCHR(st.st_mode);
	dev.mode = st.st_mode & 07777;
	dev.uid = st.st_uid;
	dev.gid = st.st_gid;
	dev.mtime = st.st_mtim;
	dev.major = major(st.st_rdev);
	dev.minor = minor(st.st_rdev);
	id_name(false, st.st_uid, dev.owner, sizeof(dev.owner));
	id_name(true, st.st_gid, dev.group, sizeof(dev.group));
	if (!dev.chr) {
		x = add("device", "device-not-char", L_FAIL,
			"/dev/ntsync is not a character device (mode %o)", st.st_mode);
		set_fix(x, "sudo rm /dev/ntsync, then reload the module");
		return;
	}
	if (read_line("/sys/class/misc/ntsync/dev", sys, sizeof(sys))) {
		unsigned int ma, mi;

		if (sscanf(sys, "%u:%u", &ma, &mi) == 2 && (ma != dev.major || mi != dev.minor)) {
			dev.stale = true;
			x = add("device", "device-stale", L_FAIL,
				"/dev/ntsync is device %u:%u, but the module's is %u:%u",
				dev.major, dev.minor, ma, mi);
			set_fix(x, "sudo rm /dev/ntsync && sudo mknod -m 0666 /dev/ntsync c %u %u",
				ma, mi);
			return;
		}
	}
	/* Never open it: access() asks the same question without loading anything. */
	dev.accessible = !access(DEVICE, R_OK);
	if (!dev.accessible) {
		char name[64];

		id_name(false, me, name, sizeof(name));
		x = add("device", "device-no-access", L_FAIL,
			"/dev/ntsync: mode %04o, owner %s:%s: you (%s, uid %u) may not open it, so "
			"Wine silently falls back to its slower wineserver path", dev.mode,
			dev.owner, dev.group, name, me);
		set_fix(x, "sudo chmod 0666 /dev/ntsync now; to keep it so, a udev rule: "
			"KERNEL==\"ntsync\", MODE=\"0666\" in /etc/udev/rules.d/60-ntsync.rules "
			"(this project's package and make install add it); then restart Wine "
			"(wineserver -k)");
		return;
	}
	if (me == 0 && !(dev.mode & 0004)) {
		x = add("device", "device-root-only", L_WARN,
			"/dev/ntsync: mode %04o, owner %s:%s: root may open it, but not every user",
			dev.mode, dev.owner, dev.group);
		set_fix(x, "Wine runs as a user: run ntsync-check as that user, or sudo chmod 0666 "
			"/dev/ntsync (and a udev rule KERNEL==\"ntsync\", MODE=\"0666\")");
		return;
	}
	add("device", "device-ok", L_OK,
	    "/dev/ntsync: mode %04o, owner %s:%s; you (uid %u) may open it", dev.mode, dev.owner,
	    dev.group, me);
}

/* ---- running Wine ----------------------------------------------------- */

struct wproc {
	int pid;
	uid_t uid;
	char comm[64], exe[PATH_MAX];
	bool server;
	unsigned int objects, devices;
	double start;			/* realtime seconds */
	/* the prefix: the server's from its directory, a client's from its environment */
	bool have_key;
	unsigned long long pdev, pino;
	char prefix[PATH_MAX];
	char ntdll[PATH_MAX];		/* a client's ntdll.so, from its maps */
	int group;			/* index of its wineserver, or -1 */
};

static struct wproc *procs;
static unsigned int nprocs, hidden_servers;
static double boot_realtime, hz;

static double ts_seconds(struct timespec t)
{
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The start of process pid in realtime seconds, from /proc/PID/stat; 0 if unknown. */
static double start_time(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return 0;
	p = strrchr(buf, ')');
	/* field 3 (state) follows ')', starttime is field 22 */
	for (i = 2; i < 22 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &ticks) != 1)
		return 0;
	return boot_realtime + ticks / hz;
}

/* A variable of a process's environment (which this user may read), or "". */
static void proc_env(int pid, const char *name, char *out, size_t size)
{
	char path[64], *buf = xrealloc(NULL, 1 << 17), *p;
	size_t len = strlen(name);
	ssize_t n;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	n = slurp(path, buf, 1 << 17);
	for (p = buf; n > 0 && p < buf + n; p += strlen(p) + 1) {
		if (!strncmp(p, name, len) && p[len] == '=') {
			snprintf(out, size, "%s", p + len + 1);
			break;
		}
	}
	free(buf);
}

/* The unix ntdll.so a process has mapped, or false if none (not Wine). */
static bool proc_ntdll(int pid, char *out, size_t size)
{
	char path[64], line[PATH_MAX + 128];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (!p)
			continue;
		p[strcspn(p, "\n")] = 0;
		if (!strcmp(basename_of(p), "ntdll.so")) {
			snprintf(out, size, "%s", p);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool is_wine_loader(const char *name)
{
	return !strcmp(name, "wine") || !strcmp(name, "wine64") ||
	       !strcmp(name, "wine-preloader") || !strcmp(name, "wine64-preloader");
}

static void scan_proc(int pid)
{
	char path[64], link[PATH_MAX], comm[64];
	struct wproc w = { .pid = pid, .group = -1 };
	struct dirent *de;
	struct stat st;
	bool server, client;
	ssize_t n;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (!read_line(path, comm, sizeof(comm)))
		return;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (n > 10 && !strcmp(link + n - 10, " (deleted)"))
		link[n - 10] = 0;
	server = !strncmp(comm, "wineserver", 10) || !strncmp(basename_of(link), "wineserver", 10);
	client = !server && (is_wine_loader(basename_of(link)) ||
			     proc_ntdll(pid, w.ntdll, sizeof(w.ntdll)));
	if (!server && !client)
		return;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d) {
		hidden_servers += server;	/* another user's */
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d", pid);
	w.uid = stat(path, &st) ? (uid_t)-1 : st.st_uid;
	snprintf(w.comm, sizeof(w.comm), "%s", comm);
	snprintf(w.exe, sizeof(w.exe), "%s", link);
	w.server = server;
	w.start = start_time(pid);
	while ((de = readdir(d))) {
		char fpath[PATH_MAX], target[PATH_MAX];

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(fpath, sizeof(fpath), "/proc/%d/fd/%s", pid, de->d_name);
		n = readlink(fpath, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, DEVICE))
			w.devices++;
		else if (!strncmp(target, "anon_inode:", 11) && strstr(target, "ntsync"))
			w.objects++;
	}
	closedir(d);

	if (server) {
		/* cwd /tmp/.wine-UID/server-DEV-INO; the prefix: the open directory DEV:INO */
		const char *s;

		snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		s = strstr(link, "/server-");
		if (s && sscanf(s, "/server-%llx-%llx", &w.pdev, &w.pino) == 2) {
			w.have_key = true;
			snprintf(path, sizeof(path), "/proc/%d/fd", pid);
			d = opendir(path);
			while (d && (de = readdir(d))) {
				char fpath[PATH_MAX];

				if (!isdigit((unsigned char)de->d_name[0]))
					continue;
				snprintf(fpath, sizeof(fpath), "/proc/%d/fd/%s", pid, de->d_name);
				if (stat(fpath, &st) || !S_ISDIR(st.st_mode) ||
				    st.st_dev != w.pdev || st.st_ino != w.pino)
					continue;
				n = readlink(fpath, w.prefix, sizeof(w.prefix) - 1);
				w.prefix[n > 0 ? n : 0] = 0;
				break;
			}
			if (d)
				closedir(d);
		}
	}
	if (!w.prefix[0]) {
		char home[PATH_MAX];

		proc_env(pid, "WINEPREFIX", w.prefix, sizeof(w.prefix));
		if (!w.prefix[0]) {
			proc_env(pid, "HOME", home, sizeof(home));
			if (home[0])
				snprintf(w.prefix, sizeof(w.prefix), "%.4000s/.wine", home);
		}
		if (!w.have_key && w.prefix[0] && !stat(w.prefix, &st)) {
			w.have_key = true;
			w.pdev = st.st_dev;
			w.pino = st.st_ino;
		}
	}
	procs = xrealloc(procs, (nprocs + 1) * sizeof(*procs));
	procs[nprocs++] = w;
}

/* The realtime at which the module made /dev/ntsync (devtmpfs), or 0 if unknown. */
static double module_loaded_at(void)
{
	if (!dev.present || mod.state == M_NONE || mod.state == M_BUILTIN)
		return 0;
	return ts_seconds(dev.mtime);
}

struct scan_cache {
	dev_t dev;
	ino_t ino;
	struct scan s;
	bool ok;
};

static struct scan_cache *scans;
static unsigned int nscans;

/* The scan of a file (cached by inode); false if it cannot be read. */
static bool scan_file(const char *path, struct scan *out)
{
	struct stat st;
	unsigned int i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	for (i = 0; i < nscans; i++) {
		if (scans[i].dev == st.st_dev && scans[i].ino == st.st_ino) {
			*out = scans[i].s;
			close(fd);
			return true;
		}
	}
	scan_elf(fd, out);
	close(fd);
	scans = xrealloc(scans, (nscans + 1) * sizeof(*scans));
	scans[nscans].dev = st.st_dev;
	scans[nscans].ino = st.st_ino;
	scans[nscans].s = *out;
	nscans++;
	return true;
}

static const char *prefix_of(const struct wproc *w)
{
	return w->prefix[0] ? w->prefix : "unknown";
}

/* One line per process of a group: "pid comm: N objects, the device". */
static void group_details(struct finding *x, int server)
{
	unsigned int i;

	for (i = 0; i < nprocs; i++) {
		const struct wproc *w = &procs[i];
		char *d;

		if (w->group != server)
			continue;
		d = fmt("%d %s: %u ntsync object%s, %s", w->pid, w->comm, w->objects,
			w->objects == 1 ? "" : "s",
			w->devices ? "holds /dev/ntsync" : "no /dev/ntsync");
		add_detail(x, d);
		free(d);
	}
}

static struct wserver_json {
	int pid;
	bool in_use;
	int abi;		/* 1, 0, -1 unknown */
	int before;		/* started before the module: 1, 0, -1 unknown */
	const char *verdict;
} *sj;

static void check_server(int i)
{
	struct wproc *w = &procs[i];
	double loaded = module_loaded_at();
	unsigned int j, nclients = 0, nclient_dev = 0;
	struct finding *x;
	struct scan s;
	char exe[PATH_MAX + 32];
	bool have_scan;

	for (j = 0; j < nprocs; j++) {
		if (procs[j].group == i && !procs[j].server) {
			nclients++;
			nclient_dev += procs[j].devices > 0;
		}
	}
	sj[i].pid = w->pid;
	sj[i].abi = -1;
	sj[i].before = -1;
	if (loaded > 0 && w->start > 0)
		sj[i].before = w->start + 2 / hz < loaded;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", w->pid);
	have_scan = scan_file(exe, &s);
	if (have_scan)
		sj[i].abi = scan_passes(&s, R_SERVER);

	if (w->objects) {
		sj[i].in_use = true;
		sj[i].verdict = "wine-in-use";
		x = add("wine", "wine-in-use", L_OK,
			"wineserver %d (prefix %s) uses ntsync: it holds %u object%s; %u of its %u "
			"Wine process%s hold%s /dev/ntsync", w->pid, prefix_of(w), w->objects,
			w->objects == 1 ? "" : "s", nclient_dev, nclients,
			nclients == 1 ? "" : "es", nclient_dev == 1 ? "s" : "");
		group_details(x, i);
		return;
	}
	if (have_scan && !sj[i].abi) {
		sj[i].verdict = "wine-no-abi";
		x = add("wine", "wine-no-abi", L_FAIL,
			"wineserver %d (prefix %s) holds no ntsync object: its binary %s has no code "
			"for /dev/ntsync (this Wine was built without Linux 6.14's linux/ntsync.h)",
			w->pid, prefix_of(w), w->exe);
		set_fix(x, "use a Wine or Proton built with ntsync (Wine 10.16 or later, compiled "
			"against the linux/ntsync.h of Linux 6.14 or later: a distribution whose "
			"linux-libc-dev is 6.14+, or this project's ntsync-dev package or make "
			"install, which provide that header); check a build with: ntsync-check "
			"--wine DIR");
		group_details(x, i);
		return;
	}
	if (mod.state == M_NONE && dev.present) {
		sj[i].verdict = "wine-no-module";
		x = add("wine", "wine-no-module", L_FAIL,
			"wineserver %d (prefix %s) holds no ntsync object, and no ntsync module is "
			"loaded: its open of /dev/ntsync did not load one (see the module line "
			"above), or it started before /dev/ntsync existed",
			w->pid, prefix_of(w));
		set_fix(x, "see the module line above, then restart this Wine: WINEPREFIX=%s "
			"%s -k", prefix_of(w), w->exe[0] ? w->exe : "wineserver");
		group_details(x, i);
		return;
	}
	if (mod.state == M_NONE || !dev.present) {
		sj[i].verdict = "wine-no-device";
		x = add("wine", "wine-no-device", L_FAIL,
			"wineserver %d (prefix %s) holds no ntsync object: there is no /dev/ntsync",
			w->pid, prefix_of(w));
		set_fix(x, "load the module (see above), then restart this Wine: "
			"WINEPREFIX=%s %s -k", prefix_of(w), w->exe[0] ? w->exe : "wineserver");
		group_details(x, i);
		return;
	}
	if (sj[i].before == 1) {
		time_t t = (time_t)loaded;
		char when[32];

		strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
		sj[i].verdict = "wine-started-before-module";
		x = add("wine", "wine-started-before-module", L_FAIL,
			"wineserver %d (prefix %s) holds no ntsync object: it started before ntsync was "
			"loaded (at %s), and a wineserver tries /dev/ntsync only once in its life",
			w->pid, prefix_of(w), when);
		set_fix(x, "restart it: WINEPREFIX=%s %s -k, then start the program again",
			prefix_of(w), w->exe[0] ? w->exe : "wineserver");
		group_details(x, i);
		return;
	}
	if (!dev.accessible && w->uid == me) {
		sj[i].verdict = "wine-no-access";
		x = add("wine", "wine-no-access", L_FAIL,
			"wineserver %d (prefix %s) holds no ntsync object: it may not open /dev/ntsync",
			w->pid, prefix_of(w));
		set_fix(x, "make /dev/ntsync mode 0666 (see above), then: WINEPREFIX=%s %s -k",
			prefix_of(w), w->exe[0] ? w->exe : "wineserver");
		group_details(x, i);
		return;
	}
	sj[i].verdict = "wine-unused";
	x = add("wine", "wine-unused", L_WARN,
		"wineserver %d (prefix %s) holds no ntsync object, though %s and /dev/ntsync is "
		"there: it has served no program yet, or /dev/ntsync was not usable when it "
		"started", w->pid, prefix_of(w),
		have_scan ? "its binary can use ntsync" : "(its binary is unreadable)");
	set_fix(x, "restart it: WINEPREFIX=%s %s -k, then start the program again",
		prefix_of(w), w->exe[0] ? w->exe : "wineserver");
	group_details(x, i);
}

static void check_wine(void)
{
	struct timespec real, boot;
	struct dirent *de;
	unsigned int i, j, nservers = 0;
	DIR *d = opendir("/proc");
	struct finding *x;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	boot_realtime = ts_seconds(real) - ts_seconds(boot);
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	if (!d) {
		add("wine", "wine-no-proc", L_WARN,
		    "/proc is not readable: running Wine not checked");
		return;
	}
	while ((de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]))
			scan_proc(atoi(de->d_name));
	closedir(d);

	/* Group: every process with its prefix's wineserver. */
	for (i = 0; i < nprocs; i++) {
		if (!procs[i].server)
			continue;
		nservers++;
		procs[i].group = i;
		for (j = 0; j < nprocs; j++) {
			if (procs[j].server || procs[j].group >= 0)
				continue;
			if (procs[i].have_key && procs[j].have_key &&
			    procs[j].pdev == procs[i].pdev && procs[j].pino == procs[i].pino)
				procs[j].group = i;
		}
	}
	sj = xrealloc(NULL, (nprocs + 1) * sizeof(*sj));
	memset(sj, 0, (nprocs + 1) * sizeof(*sj));
	for (i = 0; i < nprocs; i++)
		if (procs[i].server)
			check_server(i);

	/* A Wine process whose own ntdll.so cannot use the device. */
	for (i = 0; i < nprocs; i++) {
		struct scan s;

		if (procs[i].server || !procs[i].ntdll[0] || !scan_file(procs[i].ntdll, &s) ||
		    scan_passes(&s, R_CLIENT))
			continue;
		x = add("wine", "wine-client-no-abi", L_FAIL,
			"Wine process %d %s (prefix %s): its %s has no code for /dev/ntsync (built "
			"without Linux 6.14's linux/ntsync.h)", procs[i].pid, procs[i].comm,
			prefix_of(&procs[i]), procs[i].ntdll);
		set_fix(x, "use a Wine or Proton built with ntsync; check a build with: "
			"ntsync-check --wine DIR");
	}
	for (i = 0; i < nprocs; i++) {
		if (procs[i].server || procs[i].group >= 0)
			continue;
		add("wine", "wine-no-server", L_INFO,
		    "Wine process %d %s (prefix %s): no wineserver of its prefix is visible; %u "
		    "ntsync object%s, %s", procs[i].pid, procs[i].comm, prefix_of(&procs[i]),
		    procs[i].objects, procs[i].objects == 1 ? "" : "s",
		    procs[i].devices ? "holds /dev/ntsync" : "no /dev/ntsync");
	}
	if (!nservers && !nprocs)
		add("wine", "wine-none", L_INFO, "no Wine is running%s",
		    me ? " as you (other users' processes are not visible)" : "");
	if (hidden_servers && me) {
		x = add("wine", "wine-hidden", L_INFO,
			"%u wineserver%s of other users not inspectable", hidden_servers,
			hidden_servers == 1 ? "" : "s");
		set_fix(x, "run 'sudo ntsync-check' to see more");
	}
}

/* ---- --wine PATH ------------------------------------------------------ */

struct build {
	char path[PATH_MAX];
	enum role role;
	struct scan s;
	bool ok;
};

static struct build *builds;
static unsigned int nbuilds;

/*
 * One binary's verdict.  In a directory (in_dir), a file that is not ELF is
 * passed over (Debian's /usr/lib/wine/wineserver is a shell script that
 * runs wineserver64): false if so.
 */
static bool check_binary(const char *path, enum role role, bool in_dir)
{
	static const char *const role_names[] = { "", "wineserver", "ntdll.so", "binary" };
	char found[256];
	struct finding *x;
	struct build *b;

	builds = xrealloc(builds, (nbuilds + 1) * sizeof(*builds));
	b = &builds[nbuilds++];
	memset(b, 0, sizeof(*b));
	snprintf(b->path, sizeof(b->path), "%s", path);
	b->role = role;
	if (!scan_file(path, &b->s)) {
		x = add("build", "build-unreadable", L_FAIL, "%s: cannot read it: %s", path,
			strerror(errno));
		return true;
	}
	if (!b->s.elf && in_dir) {
		nbuilds--;
		return false;
	}
	if (!b->s.elf) {
		x = add("build", "build-not-elf", L_FAIL, "%s: %s", path, b->s.error);
		set_fix(x, "point --wine at the wineserver binary or at the Wine or Proton "
			"directory");
		return true;
	}
	b->ok = scan_passes(&b->s, role);
	scan_list(&b->s, role, found, sizeof(found));
	if (b->ok) {
		add("build", "build-ok", L_OK, "%s (%s, %s): can use /dev/ntsync: its code has the "
		    "ioctls of Linux 6.14's ABI (%s)", path, role_names[role], b->s.machine, found);
		return true;
	}
	x = add("build", "build-no-abi", L_FAIL, "%s (%s, %s): cannot use /dev/ntsync: no "
		"ioctl of Linux 6.14's ABI is in its code%s (built without Linux 6.14's "
		"linux/ntsync.h, or with the early one of 6.10-6.13)", path, role_names[role],
		b->s.machine, b->s.names_device ? ", although it names /dev/ntsync" : "");
	set_fix(x, "use a Wine or Proton built with ntsync (Wine 10.16 or later, compiled "
		"against Linux 6.14's linux/ntsync.h or this project's)");
	return true;
}

/* Directories under a Wine install that hold no wineserver or ntdll.so, but many files. */
static bool skip_dir(const char *name)
{
	static const char *const skip[] = { "share", "include", "src", "doc", "man", "locale",
					    "firmware", "modules", "node_modules" };
	size_t len = strlen(name);
	unsigned int i;

	if (len > 8 && !strcmp(name + len - 8, "-windows"))
		return true;	/* Wine's PE files */
	for (i = 0; i < ARRAY_SIZE(skip); i++)
		if (!strcmp(name, skip[i]))
			return true;
	return !strncmp(name, "python", 6) || !strncmp(name, "perl", 4);
}

/* wineserver* and ntdll.so under dir (not following symbolic links to directories). */
static void walk(const char *dir, int depth, unsigned int *n)
{
	struct dirent **list;
	int i, count;

	if (depth > 7 || *n >= 32)
		return;
	count = scandir(dir, &list, NULL, alphasort);
	for (i = 0; i < count; i++) {
		const char *name = list[i]->d_name;
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (name[0] == '.' || lstat(path, &st) || *n >= 32) {
			free(list[i]);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!skip_dir(name))
				walk(path, depth + 1, n);
		} else if (!stat(path, &st) && S_ISREG(st.st_mode)) {
			if (!strncmp(name, "wineserver", 10) && !strchr(name, '.'))
				*n += check_binary(path, R_SERVER, true);
			else if (!strcmp(name, "ntdll.so"))
				*n += check_binary(path, R_CLIENT, true);
		}
		free(list[i]);
	}
	if (count >= 0)
		free(list);
}

static int check_build(const char *path)
{
	const char *name = basename_of(path);
	unsigned int n = 0, first = nbuilds;
	char up[PATH_MAX + 8], dir[PATH_MAX];
	struct finding *x;
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, "ntsync-check: --wine %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) && is_wine_loader(name)) {
		/* PREFIX/bin/wine: the loader has no ntsync code; PREFIX has */
		char *slash;

		snprintf(up, sizeof(up), "%s", path);
		slash = strrchr(up, '/');
		if (slash) {
			snprintf(slash, up + sizeof(up) - slash, "/..");
			if (realpath(up, dir) && !stat(dir, &st))
				path = dir;
		}
	}
	if (S_ISDIR(st.st_mode)) {
		walk(path, 0, &n);
		if (!n) {
			x = add("build", "build-none-found", L_FAIL,
				"%s: no wineserver and no ntdll.so under it", path);
			set_fix(x, "point --wine at a Wine install (its prefix, e.g. /usr or "
				"/opt/wine) or a Proton directory");
		} else {
			unsigned int i, good = 0;
			bool all;

			for (i = first; i < nbuilds; i++)
				good += builds[i].ok;
			all = good == n;
			x = add("build", all ? "build-dir-ok" : "build-dir-no", all ? L_OK : L_FAIL,
				"%s: %s (%u of %u binaries)", path,
				all ? "this build can use ntsync" : "this build cannot use ntsync",
				good, n);
			if (!all)
				set_fix(x, "use a Wine or Proton built with ntsync (see the lines "
					"above)");
		}
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		/* never open a device (/dev/ntsync itself could load a module) */
		x = add("build", "build-not-file", L_FAIL, "%s: not a regular file", path);
		set_fix(x, "point --wine at the wineserver binary or at the Wine or Proton "
			"directory");
		return 0;
	}
	if (strstr(name, "ntdll"))
		check_binary(path, R_CLIENT, false);
	else if (!strncmp(name, "wineserver", 10))
		check_binary(path, R_SERVER, false);
	else
		check_binary(path, R_ANY, false);
	return 0;
}

/* ---- output ----------------------------------------------------------- */

static void json_str(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_tri(int v)
{
	printf("%s", v < 0 ? "null" : v ? "true" : "false");
}

/* The summary's level: a problem, a warning, or ok (information is no warning). */
static enum level worst(unsigned int *nfail, unsigned int *nwarn)
{
	unsigned int i;

	*nfail = *nwarn = 0;
	for (i = 0; i < nfindings; i++) {
		*nfail += findings[i].level == L_FAIL;
		*nwarn += findings[i].level == L_WARN;
	}
	return *nfail ? L_FAIL : *nwarn ? L_WARN : L_OK;
}

/* The summary line's text. */
static char *summary(void)
{
	unsigned int i, nfail, nwarn, in_use = 0, servers = 0;
	const struct finding *first = NULL;

	worst(&nfail, &nwarn);
	for (i = 0; i < nprocs; i++) {
		servers += procs[i].server;
		in_use += procs[i].server && procs[i].objects;
	}
	for (i = 0; i < nfindings && !first; i++)
		if (findings[i].level == L_FAIL)
			first = &findings[i];
	if (first)
		return fmt("%u problem%s; the first: %s", nfail, nfail == 1 ? "" : "s", first->msg);
	if (in_use)
		return fmt("ntsync is in use by %u of %u wineserver%s%s", in_use, servers,
			   servers == 1 ? "" : "s", nwarn ? " (see the warnings)" : "");
	if (nbuilds)
		return fmt("ntsync is ready, and the build%s checked can use it%s",
			   nbuilds == 1 ? "" : "s", nwarn ? " (see the warnings)" : "");
	return fmt("ntsync is ready for Wine%s%s", servers ? "" : "; no Wine is running to check",
		   nwarn ? " (see the warnings)" : "");
}

static void print_text(void)
{
	unsigned int i, nfail, nwarn;
	enum level w = worst(&nfail, &nwarn);
	char *s = summary();

	for (i = 0; i < nfindings; i++) {
		const struct finding *x = &findings[i];

		printf("%-4s  %-7s %s\n", level_names[x->level], x->area, x->msg);
		if (x->detail) {
			const char *p = x->detail;

			while (*p) {
				int len = strcspn(p, "\n");

				printf("              %.*s\n", len, p);
				p += len + (p[len] == '\n');
			}
		}
		if (x->fix)
			printf("      what to do: %s\n", x->fix);
	}
	printf("summary: %s: %s\n", w == L_FAIL ? "PROBLEM" : w == L_WARN ? "WARNING" : "OK", s);
	free(s);
}

static void print_json(int status)
{
	unsigned int i, j, n, nfail, nwarn;
	enum level w = worst(&nfail, &nwarn);
	char *s = summary();
	bool first;

	printf("{\"tool\": \"ntsync-check\", \"uid\": %u, \"kernel\": ", me);
	json_str(uts.release);
	printf(", \"sandbox\": ");
	if (sandbox)
		json_str(sandbox);
	else
		printf("null");
	printf(",\n \"module\": {\"state\": \"%s\", \"version\": ", mod_json[mod.state]);
	if (mod.version[0])
		json_str(mod.version);
	else
		printf("null");
	printf(", \"taint\": ");
	json_str(mod.taint);
	printf(", \"secure_boot\": ");
	json_tri(mod.secure_boot);
	printf(", \"installed\": [");
	for (i = 0; i < mod.ninstalled; i++) {
		printf("%s", i ? ", " : "");
		json_str(mod.installed[i]);
	}
	printf("]},\n \"device\": {\"present\": %s", dev.present ? "true" : "false");
	if (dev.present) {
		printf(", \"mode\": \"%04o\", \"owner\": ", dev.mode);
		json_str(dev.owner);
		printf(", \"group\": ");
		json_str(dev.group);
		printf(", \"accessible\": %s", dev.accessible ? "true" : "false");
	}
	printf("},\n \"wineservers\": [");
	first = true;
	for (i = 0; i < nprocs; i++) {
		const struct wproc *w = &procs[i];

		if (!w->server)
			continue;
		printf("%s\n  {\"pid\": %d, \"prefix\": ", first ? "" : ",", w->pid);
		json_str(w->prefix[0] ? w->prefix : NULL);
		printf(", \"binary\": ");
		json_str(w->exe);
		printf(", \"objects\": %u, \"device\": %s, \"in_use\": %s, \"abi\": ", w->objects,
		       w->devices ? "true" : "false", sj[i].in_use ? "true" : "false");
		json_tri(sj[i].abi);
		printf(", \"started_before_module\": ");
		json_tri(sj[i].before);
		printf(", \"verdict\": ");
		json_str(sj[i].verdict);
		printf(", \"processes\": [");
		for (j = 0, n = 0; j < nprocs; j++) {
			if (procs[j].server || procs[j].group != (int)i)
				continue;
			printf("%s{\"pid\": %d, \"comm\": ", n++ ? ", " : "", procs[j].pid);
			json_str(procs[j].comm);
			printf(", \"objects\": %u, \"device\": %s}", procs[j].objects,
			       procs[j].devices ? "true" : "false");
		}
		printf("]}");
		first = false;
	}
	printf("],\n \"builds\": [");
	for (i = 0; i < nbuilds; i++) {
		char found[256];

		scan_list(&builds[i].s, builds[i].role, found, sizeof(found));
		printf("%s\n  {\"path\": ", i ? "," : "");
		json_str(builds[i].path);
		printf(", \"role\": \"%s\", \"elf\": %s, \"can_use_ntsync\": %s, \"found\": ",
		       builds[i].role == R_SERVER ? "wineserver" :
		       builds[i].role == R_CLIENT ? "ntdll" : "any",
		       builds[i].s.elf ? "true" : "false", builds[i].ok ? "true" : "false");
		json_str(found);
		printf(", \"names_device\": %s}", builds[i].s.names_device ? "true" : "false");
	}
	printf("],\n \"findings\": [");
	for (i = 0; i < nfindings; i++) {
		const struct finding *x = &findings[i];

		printf("%s\n  {\"area\": \"%s\", \"id\": \"%s\", \"level\": \"%s\", \"message\": ",
		       i ? "," : "", x->area, x->id, level_json[x->level]);
		json_str(x->msg);
		printf(", \"fix\": ");
		if (x->fix)
			json_str(x->fix);
		else
			printf("null");
		printf(", \"detail\": ");
		if (x->detail)
			json_str(x->detail);
		else
			printf("null");
		printf("}");
	}
	printf("],\n \"summary\": {\"level\": \"%s\", \"text\": ", level_json[w]);
	json_str(s);
	printf(", \"problems\": %u, \"warnings\": %u}, \"exit_status\": %d}\n", nfail, nwarn,
	       status);
	free(s);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ntsync-check [--json] [--wine PATH]...\n"
		"  Checks whether Wine can use /dev/ntsync here, and whether the Wine that\n"
		"  runs does: the module, /dev/ntsync and your access to it, every\n"
		"  wineserver and Wine process you may inspect, by prefix.  Each problem\n"
		"  comes with what to do.  It changes nothing (it never opens /dev/ntsync).\n"
		"  --wine PATH  also check whether a Wine or Proton build (a directory, or a\n"
		"               wineserver or ntdll.so) can use ntsync, without running it\n"
		"  --json       the same as JSON\n"
		"  Exit status: 0 no problem, 1 a problem found, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wine", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **wine = NULL;
	unsigned int nwine = 0, i, nfail, nwarn;
	bool json = false;
	int c, status;

	while ((c = getopt_long(argc, argv, "jw:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'w':
			wine = xrealloc(wine, (nwine + 1) * sizeof(*wine));
			wine[nwine++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	me = getuid();
	if (!read_line("/proc/sys/kernel/osrelease", uts.release, sizeof(uts.release)))
		snprintf(uts.release, sizeof(uts.release), "unknown");
	detect_sandbox();
	check_module();
	check_device();
	check_wine();
	for (i = 0; i < nwine; i++)
		if (check_build(wine[i]))
			return 2;
	status = worst(&nfail, &nwarn) == L_FAIL;
	if (json)
		print_json(status);
	else
		print_text();
	return status;
}
