// SPDX-License-Identifier: GPL-2.0-only
/* ntsync-fuzz: the command line (see ntsync-fuzz.h). */
#include "ntsync-fuzz.h"

uint64_t opt_seed;
unsigned int opt_seconds = 30, opt_threads = 4, opt_rounds = 200;
uint64_t opt_steps;
bool opt_nth, opt_verbose, opt_ro_wait_args;
unsigned int opt_waiters;

int main(int argc, char **argv)
{
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (!strcmp(argv[1], "hold"))
		return argc == 3 ? run_hold(argv[2]) : 2;
	opt_seed = (uint64_t)time(NULL);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			opt_seconds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			opt_threads = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
			opt_steps = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			opt_rounds = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--nth"))
			opt_nth = true;
		else if (!strcmp(argv[i], "--waiters") && i + 1 < argc)
			opt_waiters = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ro-wait-args"))
			opt_ro_wait_args = true;
		else if (!strcmp(argv[i], "-v"))
			opt_verbose = true;
		else
			goto usage;
	}
	if (!opt_threads)
		opt_threads = 1;
	if (!strcmp(argv[1], "stress"))
		return run_stress();
	if (!strcmp(argv[1], "model"))
		return run_model();
	if (!strcmp(argv[1], "faults"))
		return run_faults();
	if (!strcmp(argv[1], "lincheck"))
		return run_lincheck();
	if (!strcmp(argv[1], "hold") && argc == 3)
		return run_hold(argv[2]);
usage:
	fprintf(stderr, "usage: %s stress|model|faults|lincheck [--seed N] [--seconds N] [--threads N]"
		" [--steps N] [--rounds N] [--nth] [--ro-wait-args] [--waiters N] [-v]\n", argv[0]);
	return 2;
}
