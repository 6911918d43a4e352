#ifndef AIRLOCK_BUF_H
#define AIRLOCK_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/*
 * A growable byte buffer that is always NUL-terminated (git's strbuf) and
 * never grows past the maximum given at init (curl's dynbuf "toobig").
 * A zeroed struct is not usable: call buf_init().
 */
struct buf {
	char *ptr;   /* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;  /* largest len allowed */
};

/* A non-owning view of bytes (apk's apk_blob_t). */
struct slice {
	const char *ptr;
	size_t len;
};

#define SLICE_NULL ((struct slice){ NULL, 0 })

void buf_init(struct buf *b, size_t max);
/* Free the memory and re-initialise with the same maximum. */
void buf_release(struct buf *b);
/* Forget the content, keep the memory. */
void buf_reset(struct buf *b);
/* Append; -AE_TOOBIG past the maximum (the buffer is then unchanged), -AE_NOMEM. */
int buf_add(struct buf *b, const void *p, size_t n, struct err *e) AL_WUR;
int buf_adds(struct buf *b, const char *s, struct err *e) AL_WUR;
int buf_addf(struct buf *b, struct err *e, const char *fmt, ...) AL_PRINTF(3, 4) AL_WUR;
int buf_vaddf(struct buf *b, struct err *e, const char *fmt, va_list ap) AL_WUR;
/* The content as a string (never NULL). */
const char *buf_str(const struct buf *b);
/* Take the allocation (caller frees; never NULL on success) and reset b. */
char *buf_detach(struct buf *b, size_t *len);

struct slice slice_from(const char *s);
int slice_eq(struct slice a, const char *s);
/* Split at the first c: *head gets what is before it, s what is after. 0 if c absent. */
int slice_cut(struct slice *s, char c, struct slice *head);

#endif
