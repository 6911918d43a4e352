#ifndef AIRLOCK_IMPORT_H
#define AIRLOCK_IMPORT_H

#include "importer/report.h"
#include "lib/err.h"
#include "lib/home.h"

struct import_opts {
	const char *media;
	int dry_run;
	int quiet; /* no progress bar */
	int64_t at;  /* --at: the reference time instead of the clock (0 = the clock); audit-logged */
};

/*
 * The quarantine pipeline (docs/import.md).  Returns 0 when the bundle was
 * promoted (or, with dry_run, passed every check), -AE_NOOP when that
 * sequence is already imported, -AE_REJECT on a security verdict, other
 * codes on operational errors.  Whatever the outcome, rep holds every check
 * and report_base the path (without .txt/.json) where it was written.
 */
int import_run(struct home *h, const struct import_opts *o, struct report *rep, struct buf *report_base,
	       struct err *e) AL_WUR;

#endif
