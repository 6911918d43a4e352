#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/banned.h"

static const char *const names[AE_MAX - AE_BASE] = {
	[AE_USAGE - AE_BASE] = "usage",
	[AE_REJECT - AE_BASE] = "rejected",
	[AE_IO - AE_BASE] = "io",
	[AE_FORMAT - AE_BASE] = "format",
	[AE_TOOBIG - AE_BASE] = "too-big",
	[AE_NOTFOUND - AE_BASE] = "not-found",
	[AE_EXISTS - AE_BASE] = "exists",
	[AE_DB - AE_BASE] = "database",
	[AE_GPG - AE_BASE] = "gpg",
	[AE_ARCHIVE - AE_BASE] = "archive",
	[AE_NOMEM - AE_BASE] = "out-of-memory",
	[AE_STATE - AE_BASE] = "state",
	[AE_NOOP - AE_BASE] = "no-op",
};

void err_clear(struct err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}

static int vset(struct err *e, int code, const char *fmt, va_list ap)
{
	if (e->code)
		return -e->code;
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(e, code, fmt, ap);
	va_end(ap);
	return r;
}

int err_errno(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (e->code)
		return -e->code;
	va_start(ap, fmt);
	vset(e, AE_IO, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -e->code;
}

int err_reject(struct err *e, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vset(e, AE_REJECT, fmt, ap);
	va_end(ap);
	return r;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[512], old[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old);
	return -e->code;
}

int err_exit_code(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case 0:
	case AE_NOOP:
		return 0;
	case AE_USAGE:
		return 2;
	case AE_REJECT:
		return 3;
	default:
		return 1;
	}
}

const char *err_name(int code)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		return "ok";
	if (code > AE_BASE && code < AE_MAX && names[code - AE_BASE])
		return names[code - AE_BASE];
	return "error";
}
