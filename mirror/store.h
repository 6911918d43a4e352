#ifndef AIRLOCK_STORE_H
#define AIRLOCK_STORE_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"

/*
 * The content-addressed store: store/<first two hex digits>/<sha256 hex>.
 * Objects are immutable, mode 0444, and only ever arrive by store_promote()
 * of a file already hashed and fsynced in the same file system.
 */

/* out gets "<store>/<aa>/<hex>". */
int store_path(const char *store, const uint8_t sha[SHA256_LEN], struct buf *out, struct err *e) AL_WUR;
int store_has(const char *store, const uint8_t sha[SHA256_LEN]);
/*
 * Rename tmpfile (already fsynced by the caller) to its place; an object
 * already present is kept and tmpfile removed.  The fan-out folder is
 * fsynced by store_sync_dirs() once per batch, not per object.
 */
int store_promote(const char *store, const char *tmpfile, const uint8_t sha[SHA256_LEN], struct err *e) AL_WUR;
/* fsync the store's fan-out folders (all 256 that exist) and the store itself. */
int store_sync_dirs(const char *store, struct err *e) AL_WUR;

#endif
