#include "lib/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/schema.h"
#include "lib/banned.h"

struct db {
	sqlite3 *h;
	char path[512];
};

struct db_stmt {
	sqlite3_stmt *s;
	struct db *db;
};

static int fail(struct db *db, struct err *e, const char *what)
{
	return err_set(e, AE_DB, "catalog '%s': %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static int migrate(struct db *db, struct err *e)
{
	int64_t have;
	size_t i;
	int r;

	r = db_get_int(db, "PRAGMA user_version", NULL, 0, &have, e);
	if (r)
		return r;
	if (have > (int64_t)schema_nmigrations)
		return err_set(e, AE_STATE,
			       "catalog '%s' has schema version %lld, newer than this airlock knows (%zu): upgrade airlock",
			       db->path, (long long)have, schema_nmigrations);
	for (i = (size_t)have; i < schema_nmigrations; i++) {
		char pragma[64];

		r = db_begin(db, e);
		if (r)
			return r;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %zu", i + 1);
		r = db_exec(db, schema_migrations[i], e);
		if (!r)
			r = db_exec(db, pragma, e);
		if (!r)
			r = db_commit(db, e);
		if (r) {
			db_rollback(db);
			return r;
		}
	}
	return 0;
}

static int open_common(struct db **out, const char *path, int flags, struct err *e)
{
	struct db *db = calloc(1, sizeof(*db));
	int r;

	*out = NULL;
	if (!db)
		return err_set(e, AE_NOMEM, "out of memory");
	snprintf(db->path, sizeof(db->path), "%s", path);
	if (sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		r = err_set(e, AE_DB, "cannot open catalog '%s': %s", path,
			    db->h ? sqlite3_errmsg(db->h) : "out of memory");
		db_close(db);
		return r;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, 10000);
	*out = db;
	return 0;
}

int db_open(struct db **out, const char *path, int create, struct err *e)
{
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	struct db *db;
	int r;

	r = open_common(&db, path, flags, e);
	if (r)
		return r;
	r = db_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", e);
	if (!r)
		r = migrate(db, e);
	if (r) {
		db_close(db);
		return r;
	}
	*out = db;
	return 0;
}

int db_open_readonly(struct db **out, const char *path, struct err *e)
{
	struct db *db;
	int r;

	r = open_common(&db, path, SQLITE_OPEN_READONLY, e);
	if (r)
		return r;
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sqlite3_close_v2(db->h);
	free(db);
}

int db_exec(struct db *db, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = err_set(e, AE_DB, "catalog '%s': %s", db->path, msg ? msg : sqlite3_errmsg(db->h));

		sqlite3_free(msg);
		return r;
	}
	return 0;
}

int db_begin(struct db *db, struct err *e)
{
	return db_exec(db, "BEGIN IMMEDIATE", e);
}

int db_commit(struct db *db, struct err *e)
{
	return db_exec(db, "COMMIT", e);
}

void db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int db_prepare(struct db *db, const char *sql, struct db_stmt **st, struct err *e)
{
	struct db_stmt *s = calloc(1, sizeof(*s));

	*st = NULL;
	if (!s)
		return err_set(e, AE_NOMEM, "out of memory");
	if (sqlite3_prepare_v2(db->h, sql, -1, &s->s, NULL) != SQLITE_OK) {
		free(s);
		return fail(db, e, "prepare");
	}
	s->db = db;
	*st = s;
	return 0;
}

int db_bind_text(struct db_stmt *st, int i, const char *s, struct err *e)
{
	return db_bind_textn(st, i, s, strlen(s), e);
}

int db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n, struct err *e)
{
	if (sqlite3_bind_text64(st->s, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
		return fail(st->db, e, "bind");
	return 0;
}

int db_bind_int(struct db_stmt *st, int i, int64_t v, struct err *e)
{
	if (sqlite3_bind_int64(st->s, i, v) != SQLITE_OK)
		return fail(st->db, e, "bind");
	return 0;
}

int db_bind_null(struct db_stmt *st, int i, struct err *e)
{
	if (sqlite3_bind_null(st->s, i) != SQLITE_OK)
		return fail(st->db, e, "bind");
	return 0;
}

int db_step(struct db_stmt *st, struct err *e)
{
	int rc = sqlite3_step(st->s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return fail(st->db, e, "step");
}

const char *db_col_text(struct db_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st->s, i);

	return t ? (const char *)t : "";
}

int64_t db_col_int(struct db_stmt *st, int i)
{
	return sqlite3_column_int64(st->s, i);
}

int db_col_is_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(st->s, i) == SQLITE_NULL;
}

void db_reset(struct db_stmt *st)
{
	sqlite3_reset(st->s);
	sqlite3_clear_bindings(st->s);
}

void db_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->s);
	free(st);
}

int db_get_int(struct db *db, const char *sql, const char *arg, int64_t dflt, int64_t *out, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, sql, &st, e);
	if (r)
		return r;
	if (arg)
		r = db_bind_text(st, 1, arg, e);
	if (!r)
		r = db_step(st, e);
	if (r == 1) {
		*out = db_col_is_null(st, 0) ? dflt : db_col_int(st, 0);
		r = 0;
	} else if (r == 0) {
		*out = dflt;
	}
	db_finalize(st);
	return r;
}

int64_t db_last_rowid(struct db *db)
{
	return sqlite3_last_insert_rowid(db->h);
}

int64_t db_changes(struct db *db)
{
	return sqlite3_changes64(db->h);
}

int db_meta_get(struct db *db, const char *key, char *out, size_t outlen, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	out[0] = '\0';
	r = db_prepare(db, "SELECT value FROM meta WHERE key = ?", &st, e);
	if (r)
		return r;
	r = db_bind_text(st, 1, key, e);
	if (!r)
		r = db_step(st, e);
	if (r == 1) {
		snprintf(out, outlen, "%s", db_col_text(st, 0));
		r = 0;
	} else if (r == 0) {
		r = -AE_NOTFOUND;
	}
	db_finalize(st);
	return r;
}

int db_meta_set(struct db *db, const char *key, const char *value, struct err *e)
{
	struct db_stmt *st = NULL;
	int r;

	r = db_prepare(db, "INSERT INTO meta(key, value) VALUES(?, ?) "
			   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st, e);
	if (r)
		return r;
	r = db_bind_text(st, 1, key, e);
	if (!r)
		r = db_bind_text(st, 2, value, e);
	if (!r)
		r = db_step(st, e);
	db_finalize(st);
	return r < 0 ? r : 0;
}
