#include "lib/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/banned.h"

static char empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	free(b->ptr);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

static int grow(struct buf *b, size_t extra, struct err *e)
{
	size_t want, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return err_set(e, AE_TOOBIG, "data exceeds the limit of %zu bytes", b->max);
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->ptr, cap);
	if (!p)
		return err_set(e, AE_NOMEM, "out of memory");
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n, struct err *e)
{
	int r = grow(b, n, e);

	if (r)
		return r;
	if (n)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s, struct err *e)
{
	return buf_add(b, s, strlen(s), e);
}

int buf_vaddf(struct buf *b, struct err *e, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return err_set(e, AE_FORMAT, "cannot format text");
	r = grow(b, (size_t)n, e);
	if (r)
		return r;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, e, fmt, ap);
	va_end(ap);
	return r;
}

const char *buf_str(const struct buf *b)
{
	return b->ptr ? b->ptr : empty;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p = b->ptr;

	if (!p)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	buf_init(b, b->max);
	return p;
}

struct slice slice_from(const char *s)
{
	return (struct slice){ s, s ? strlen(s) : 0 };
}

int slice_eq(struct slice a, const char *s)
{
	size_t n = strlen(s);

	return a.len == n && memcmp(a.ptr, s, n) == 0;
}

int slice_cut(struct slice *s, char c, struct slice *head)
{
	const char *p = s->len ? memchr(s->ptr, c, s->len) : NULL;

	if (!p)
		return 0;
	head->ptr = s->ptr;
	head->len = (size_t)(p - s->ptr);
	s->len -= head->len + 1;
	s->ptr = p + 1;
	return 1;
}
