#include "lib/audit.h"

#include <stdlib.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/hash.h"
#include "lib/util.h"
#include "lib/banned.h"

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

static int record_hash(int64_t seq, int64_t t, const char *actor, const char *action, const char *subject,
		       const char *detail, const char *prev, char out[SHA256_HEX], struct err *e)
{
	uint8_t d[SHA256_LEN];
	struct buf b;
	int r;

	buf_init(&b, (size_t)64 << 20);
	r = buf_addf(&b, e, "airlock-audit-v1\n%" PRId64 "\n%" PRId64 "\n%s\n%s\n%s\n%s\n%s", seq, t, actor,
		     action, subject, detail, prev);
	if (!r) {
		sha256_buf(b.ptr, b.len, d);
		hex_encode(d, SHA256_LEN, out);
	}
	buf_release(&b);
	return r;
}

int audit_append(struct db *db, const char *action, const char *subject, const char *detail, struct err *e)
{
	struct db_stmt *st = NULL;
	char prev[SHA256_HEX], hash[SHA256_HEX];
	int64_t seq = 1, t = (int64_t)time(NULL);
	int r;

	snprintf(prev, sizeof(prev), "%s", zero_hash);
	r = db_prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st, e);
	if (r)
		return r;
	r = db_step(st, e);
	if (r == 1) {
		seq = db_col_int(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", db_col_text(st, 1));
	}
	db_finalize(st);
	st = NULL;
	if (r < 0)
		return r;
	r = record_hash(seq, t, util_actor(), action, subject, detail, prev, hash, e);
	if (r)
		return r;
	r = db_prepare(db, "INSERT INTO audit(seq, time, actor, action, subject, detail, prev, hash) "
			   "VALUES(?, ?, ?, ?, ?, ?, ?, ?)", &st, e);
	if (r)
		return r;
	if (!(r = db_bind_int(st, 1, seq, e)) && !(r = db_bind_int(st, 2, t, e)) &&
	    !(r = db_bind_text(st, 3, util_actor(), e)) && !(r = db_bind_text(st, 4, action, e)) &&
	    !(r = db_bind_text(st, 5, subject, e)) && !(r = db_bind_text(st, 6, detail, e)) &&
	    !(r = db_bind_text(st, 7, prev, e)) && !(r = db_bind_text(st, 8, hash, e)))
		r = db_step(st, e);
	db_finalize(st);
	return r < 0 ? r : 0;
}

int audit_verify(struct db *db, struct audit_report *rep, struct err *e)
{
	struct db_stmt *st = NULL;
	char prev[SHA256_HEX], hash[SHA256_HEX];
	int64_t expect = 1;
	int r;

	memset(rep, 0, sizeof(*rep));
	snprintf(prev, sizeof(prev), "%s", zero_hash);
	r = db_prepare(db, "SELECT seq, time, actor, action, subject, detail, prev, hash FROM audit ORDER BY seq",
		       &st, e);
	if (r)
		return r;
	while ((r = db_step(st, e)) == 1) {
		int64_t seq = db_col_int(st, 0);

		if (seq != expect) {
			rep->first_bad = expect;
			r = err_reject(e, "audit log: record %" PRId64 " is missing (next is %" PRId64 ")", expect, seq);
			break;
		}
		if (strcmp(db_col_text(st, 6), prev)) {
			rep->first_bad = seq;
			r = err_reject(e, "audit log: record %" PRId64 " does not follow record %" PRId64
					  " (previous-hash mismatch)", seq, seq - 1);
			break;
		}
		r = record_hash(seq, db_col_int(st, 1), db_col_text(st, 2), db_col_text(st, 3), db_col_text(st, 4),
				db_col_text(st, 5), prev, hash, e);
		if (r)
			break;
		if (strcmp(hash, db_col_text(st, 7))) {
			rep->first_bad = seq;
			r = err_reject(e, "audit log: record %" PRId64 " was altered (hash mismatch)", seq);
			break;
		}
		memcpy(prev, hash, sizeof(prev));
		rep->records++;
		expect++;
	}
	db_finalize(st);
	memcpy(rep->head, prev, sizeof(rep->head));
	return r < 0 ? r : 0;
}

int audit_record(struct db *db, const char *action, const char *subject, json_t *detail, struct err *e)
{
	char *d = NULL;
	int r = json_detail(detail, &d, e);

	if (!r)
		r = db_begin(db, e);
	if (!r) {
		r = audit_append(db, action, subject, d, e);
		r = r ? r : db_commit(db, e);
		if (r)
			db_rollback(db);
	}
	free(d);
	return r;
}
