#ifndef AIRLOCK_SCAN_EXT_H
#define AIRLOCK_SCAN_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/*
 * A site's own scanner, run once per object without a shell: the command
 * line is split on blanks, "{}" in a word stands for the object's path
 * (appended as the last word when no word holds it).  Exit 0 is clean,
 * exit 1 infected, anything else a failure; all but 0 reject.
 */
#define SCAN_EXT_MAX_WORDS 64
#define SCAN_EXT_LINE_MAX 200

struct scan_ext {
	char *cmdline; /* as configured */
	char *words[SCAN_EXT_MAX_WORDS + 1];
	size_t nwords;
	char *prog; /* words[0] resolved against PATH */
	int has_placeholder;
	unsigned timeout; /* seconds */
	uint64_t clean, infected, failed, timed_out;
};

/* Split and resolve cmd; -AE_USAGE when it is empty or too long, -AE_NOTFOUND when the program is missing. */
int scan_ext_init(struct scan_ext *x, const char *cmd, unsigned timeout, struct err *e) AL_WUR;

/* Run it on path; 0 when clean, else -AE_REJECT "<label>: external scanner ...". */
int scan_ext_run(struct scan_ext *x, const char *path, const char *label, struct err *e) AL_WUR;

void scan_ext_release(struct scan_ext *x);

#endif
