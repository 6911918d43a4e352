#ifndef AIRLOCK_AUDIT_H
#define AIRLOCK_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/db.h"
#include "lib/err.h"
#include "lib/json.h"

/*
 * The hash-chained audit log, a table in the catalog.  Each record's hash is
 * SHA-256 over "airlock-audit-v1\n" seq "\n" time "\n" actor "\n" action "\n"
 * subject "\n" detail "\n" prev, where prev is the previous record's hash
 * (64 zeros for the first).  Records are appended inside the caller's
 * transaction when one is open, so a state change and its record commit
 * together.
 */

/* Append one record.  detail is free text or JSON (may be ""). */
int audit_append(struct db *db, const char *action, const char *subject, const char *detail,
		 struct err *e) AL_WUR;

/*
 * One record in a transaction of its own, for an event that changes nothing
 * else in the catalog (an override, a purge, a recovery).  detail is a JSON
 * object, consumed (NULL when jansson ran out of memory: -AE_NOMEM).
 */
int audit_record(struct db *db, const char *action, const char *subject, json_t *detail, struct err *e) AL_WUR;

struct audit_report {
	int64_t records;
	int64_t first_bad; /* seq of the first record that fails, 0 if intact */
	char head[65];     /* hash of the last record */
};

/* Walk the chain; -AE_REJECT naming the first broken record if it is not intact. */
int audit_verify(struct db *db, struct audit_report *rep, struct err *e) AL_WUR;

#endif
