#ifndef AIRLOCK_REPORT_H
#define AIRLOCK_REPORT_H

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/json.h"

/*
 * An import report: every check in the order it ran, with its result, and
 * for a rejection the check and file that failed.  Written as text and JSON
 * beside the quarantine folder so that an operator can read why, later.
 */
struct report {
	json_t *root;   /* {media, started, result, checks: [...]} */
	json_t *checks;
	struct buf text;
};

int report_init(struct report *r, const char *media, int64_t started, struct err *e) AL_WUR;
void report_release(struct report *r);
/* A check that passed; detail says what was seen. */
void report_ok(struct report *r, const char *check, const char *fmt, ...) AL_PRINTF(3, 4);
/* The check that failed, with the error's message. */
void report_fail(struct report *r, const char *check, const struct err *e);
void report_set(struct report *r, const char *key, json_t *value);
/* Final result ("accepted", "rejected", "no-op", "dry-run", "error") and message. */
void report_result(struct report *r, const char *result, const char *message);
/* Write <base>.txt and <base>.json. */
int report_write(struct report *r, const char *base, struct err *e) AL_WUR;

#endif
