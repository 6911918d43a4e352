#ifndef AIRLOCK_FILETYPE_H
#define AIRLOCK_FILETYPE_H

#include "lib/err.h"

/*
 * Content against name: libmagic's MIME type of a file must be one the
 * kind its logical path declares allows (the table in filetype.c and
 * docs/scanning.md).  A name with no rule, or under a by-hash/ folder,
 * declares nothing.  One struct filetype per thread.
 */
struct filetype;

/* libmagic with the system's compiled database and bounded work; *ft is freed by filetype_close(). */
int filetype_open(struct filetype **ft, struct err *e) AL_WUR;

/*
 * Check the file at path (not followed if a symlink) against what logical
 * declares.  *kind_out (may be NULL) gets the kind's name, "any" when no rule
 * applies; static storage.  0 when they agree; -AE_REJECT "<logical>: content
 * is <mime>, not the <kind> its name declares"; other codes when libmagic fails.
 */
int filetype_check(struct filetype *ft, const char *path, const char *logical, const char **kind_out,
		   struct err *e) AL_WUR;

/* The kind a logical path declares ("any" when none), without looking at content. */
const char *filetype_kind(const char *logical);

void filetype_close(struct filetype *ft);

#endif
