#ifndef AIRLOCK_SCHEMA_H
#define AIRLOCK_SCHEMA_H

#include <stddef.h>

/*
 * The catalog schema as a list of migrations; PRAGMA user_version counts how
 * many have run.  Append only: never edit a migration that has shipped.
 */
extern const char *const schema_migrations[];
extern const size_t schema_nmigrations;

#endif
