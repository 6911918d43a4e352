#include "lib/cmd.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/json.h"
#include "lib/banned.h"

int cmd_fail(struct cmd_ctx *ctx, const struct err *e, int json)
{
	(void)ctx;
	if (json)
		json_print(json_error(e));
	if (e->code == AE_REJECT)
		fprintf(stderr, "airlock: rejected: %s\n", e->msg);
	else
		fprintf(stderr, "airlock: %s\n", e->msg);
	return err_exit_code(e->code);
}

int cmd_usage(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "airlock %s: ", ctx->def->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", ctx->def->usage);
	return 2;
}

void cmd_help(const struct cmd_def *def)
{
	printf("usage: %s\n\n%s.\nSee 'man airlock-%s' for details.\n", def->usage, def->summary, def->name);
}
