#ifndef AIRLOCK_CMD_H
#define AIRLOCK_CMD_H

#include "lib/err.h"

/*
 * What airlock.c hands every command: the site home chosen by --home or
 * AIRLOCK_HOME, already resolved.  --home and --help are handled before the
 * command runs; commands parse the rest with getopt_long (optind reset).
 */
struct cmd_ctx {
	const char *home;
	const struct cmd_def *def;
};

struct cmd_def {
	const char *name;
	int (*fn)(int argc, char **argv, struct cmd_ctx *ctx);
	const char *usage;   /* synopsis lines, "airlock export --channel C ..." */
	const char *summary; /* one line */
};

/* Print "airlock: <msg>" (or the JSON error object with json) and return the exit code. */
int cmd_fail(struct cmd_ctx *ctx, const struct err *e, int json);
/* Usage error: prints "airlock <name>: <msg>" and the synopsis; returns 2. */
int cmd_usage(struct cmd_ctx *ctx, const char *fmt, ...) AL_PRINTF(2, 3);
/* Print the synopsis to stdout (for --help). */
void cmd_help(const struct cmd_def *def);

#define CMD(name) int cmd_##name(int argc, char **argv, struct cmd_ctx *ctx)
CMD(init);
CMD(key);
CMD(source);
CMD(fetch);
CMD(export);
CMD(sign);
CMD(inspect);
CMD(trust);
CMD(import);
CMD(serve);
CMD(verify);
CMD(audit);
CMD(quarantine);
CMD(scan_db);
CMD(group);
CMD(pending);
CMD(approve);
CMD(decline);
CMD(unapprove);
CMD(auto_approve);
CMD(status);
CMD(publish);

#endif
