#ifndef AIRLOCK_DB_H
#define AIRLOCK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/*
 * The SQLite wrapper: the one file that includes <sqlite3.h>.  The catalog is
 * opened in WAL mode with foreign keys on and the schema migrated to the
 * newest version (lib/schema.c).
 */
struct db;
struct db_stmt;

int db_open(struct db **out, const char *path, int create, struct err *e) AL_WUR;
/* Read-only connection (the HTTP server); no migration. */
int db_open_readonly(struct db **out, const char *path, struct err *e) AL_WUR;
void db_close(struct db *db);

int db_exec(struct db *db, const char *sql, struct err *e) AL_WUR;
/* BEGIN IMMEDIATE, so that writers queue instead of failing mid-transaction. */
int db_begin(struct db *db, struct err *e) AL_WUR;
int db_commit(struct db *db, struct err *e) AL_WUR;
/* Never fails the caller; used on error paths. */
void db_rollback(struct db *db);

int db_prepare(struct db *db, const char *sql, struct db_stmt **st, struct err *e) AL_WUR;
/* Bind by 1-based index.  Text and blobs are copied. */
int db_bind_text(struct db_stmt *st, int i, const char *s, struct err *e) AL_WUR;
int db_bind_textn(struct db_stmt *st, int i, const char *s, size_t n, struct err *e) AL_WUR;
int db_bind_int(struct db_stmt *st, int i, int64_t v, struct err *e) AL_WUR;
int db_bind_null(struct db_stmt *st, int i, struct err *e) AL_WUR;
/* 1: a row is ready, 0: done, <0: error. */
int db_step(struct db_stmt *st, struct err *e) AL_WUR;
/* Column accessors (0-based); text is valid until the next step/reset. NULL text reads as "". */
const char *db_col_text(struct db_stmt *st, int i);
int64_t db_col_int(struct db_stmt *st, int i);
int db_col_is_null(struct db_stmt *st, int i);
/* Reset for reuse with new bindings. */
void db_reset(struct db_stmt *st);
void db_finalize(struct db_stmt *st);

/* Convenience: run sql with one optional text bind and read one integer (default if no row). */
int db_get_int(struct db *db, const char *sql, const char *arg, int64_t dflt, int64_t *out, struct err *e) AL_WUR;
int64_t db_last_rowid(struct db *db);
int64_t db_changes(struct db *db);

/* meta table helpers */
int db_meta_get(struct db *db, const char *key, char *out, size_t outlen, struct err *e) AL_WUR;
int db_meta_set(struct db *db, const char *key, const char *value, struct err *e) AL_WUR;

#endif
