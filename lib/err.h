#ifndef AIRLOCK_ERR_H
#define AIRLOCK_ERR_H

#include <stddef.h>

/*
 * Project error codes sit above the errno range (apk's APKE_*); functions
 * return 0 on success or the negated code.  The human message travels in a
 * caller-provided struct err, filled once where the failure is detected.
 */
enum {
	AE_BASE = 1024,
	AE_USAGE,     /* bad command line; exit 2 */
	AE_REJECT,    /* security verdict: verification or quarantine failed; exit 3 */
	AE_IO,        /* I/O, missing file, full disk; exit 1 */
	AE_FORMAT,    /* malformed local input (not a security verdict) */
	AE_TOOBIG,    /* a size limit was hit */
	AE_NOTFOUND,  /* a named thing does not exist */
	AE_EXISTS,    /* it exists already */
	AE_DB,        /* SQLite */
	AE_GPG,       /* GPGME / gpg */
	AE_ARCHIVE,   /* libarchive */
	AE_NOMEM,
	AE_STATE,     /* the site home is not in a state that allows this */
	AE_NOOP,      /* nothing to do (e.g. bundle already imported); exit 0 */
	AE_MAX
};

#define AL_WUR __attribute__((warn_unused_result))
#define AL_PRINTF(f, a) __attribute__((format(printf, f, a)))

struct err {
	int code;        /* AE_* or 0 */
	char msg[1024];  /* lowercase, no final full stop, names the subject */
};

/* Clear an error. */
void err_clear(struct err *e);

/*
 * Record an error and return -code, so that callers can write
 * `return err_set(e, AE_IO, "cannot open '%s'", path);`.  The first error
 * set wins: later calls keep the original message (the innermost context is
 * the most precise), but err_prefix() may add outer context.
 */
int err_set(struct err *e, int code, const char *fmt, ...) AL_PRINTF(3, 4);

/* As err_set(AE_IO, ...) with ": strerror(errnum)" appended. */
int err_errno(struct err *e, int errnum, const char *fmt, ...) AL_PRINTF(3, 4);

/* A security rejection (AE_REJECT); the message should name the file and the check. */
int err_reject(struct err *e, const char *fmt, ...) AL_PRINTF(2, 3);

/* Prepend "prefix: " to an existing message. Returns -e->code. */
int err_prefix(struct err *e, const char *fmt, ...) AL_PRINTF(2, 3);

/* The process exit code for an error code: 0, 1, 2 or 3. */
int err_exit_code(int code);

/* Short name of a code, for --json output ("rejected", "io", ...). */
const char *err_name(int code);

#endif
