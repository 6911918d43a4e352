#ifndef AIRLOCK_HOME_H
#define AIRLOCK_HOME_H

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/err.h"

enum home_role { HOME_EXPORT = 1, HOME_IMPORT = 2 };

/*
 * A site home: airlock.conf, gnupg/ (private GnuPG home, 0700), catalog.db
 * (SQLite, WAL), store/ (objects by SHA-256), staging/, quarantine/,
 * published/.  All paths are absolute and owned by the struct.
 */
struct home {
	char *dir;
	char *gnupg;
	char *catalog;
	char *store;
	char *staging;
	char *quarantine;
	char *published;
	enum home_role role;
	struct db *db;
	struct conf *conf; /* airlock.conf, parsed */
};

/* --home, else $AIRLOCK_HOME, else /var/lib/airlock.  Never NULL. */
const char *home_resolve(const char *opt);
/* Create a new site home (the folder may exist but must not hold a catalog). */
int home_create(const char *dir, enum home_role role, struct err *e) AL_WUR;
/* Open an existing one; want is 0 for any role, else the role required. */
int home_open(struct home *h, const char *dir, int want, struct err *e) AL_WUR;
void home_close(struct home *h);
/*
 * Take the home's lock file (flock, not waiting): imports, scanner updates
 * and crash recovery exclude each other.  *fd stays open while held and is
 * -1 on failure; -AE_STATE when another holds it.
 */
int home_lock(const struct home *h, int *fd, struct err *e) AL_WUR;
/*
 * Run by home_open() once the catalog is open: airlock.c points it at the
 * importer's crash recovery, so that the next command after a crash finds
 * an interrupted import (lib/ cannot call up into importer/ itself).
 */
extern int (*home_recover_hook)(struct home *h, struct err *e);
const char *home_role_name(enum home_role r);

#endif
