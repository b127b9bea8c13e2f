// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wine's configure test for linux/ntsync.h, as its configure runs it: Wine's configure.ac names
 * the header in AC_CHECK_HEADERS, which Autoconf turns into a compile, with "$CC -c $CFLAGS
 * $CPPFLAGS", of confdefs.h, its default includes and the header (ac_fn_c_check_header_compile
 * and ac_includes_default in the configure of Wine 11.10).  HAVE_LINUX_NTSYNC_H is defined if
 * this compiles.  The HAVE_ macros are those configure has found by then on a glibc system.
 */
#define HAVE_STDIO_H 1
#define HAVE_STDLIB_H 1
#define HAVE_STRING_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_STDINT_H 1
#define HAVE_STRINGS_H 1
#define HAVE_SYS_STAT_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_UNISTD_H 1

#include <stddef.h>
#ifdef HAVE_STDIO_H
# include <stdio.h>
#endif
#ifdef HAVE_STDLIB_H
# include <stdlib.h>
#endif
#ifdef HAVE_STRING_H
# include <string.h>
#endif
#ifdef HAVE_INTTYPES_H
# include <inttypes.h>
#endif
#ifdef HAVE_STDINT_H
# include <stdint.h>
#endif
#ifdef HAVE_STRINGS_H
# include <strings.h>
#endif
#ifdef HAVE_SYS_TYPES_H
# include <sys/types.h>
#endif
#ifdef HAVE_SYS_STAT_H
# include <sys/stat.h>
#endif
#ifdef HAVE_UNISTD_H
# include <unistd.h>
#endif
#include <linux/ntsync.h>
