#ifndef AIRLOCK_CATALOG_H
#define AIRLOCK_CATALOG_H

#include <stdint.h>

#include "lib/db.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "verify/manifest.h"

/*
 * The offline catalog: snapshots per channel, the files of each, and which
 * snapshot serves each source.  Schema in lib/schema.c.
 */

struct catalog_hit {
	char object[SHA256_HEX];
	uint64_t size;
	uint32_t mode;
	int64_t imported; /* when the serving snapshot was imported, for Last-Modified */
};

/* 1 for "groups" and "keys": the published views' names, which no source may take. */
int catalog_reserved_name(const char *source);

/* Resolve a served URL path ("<source>/<path>") to an object. -AE_NOTFOUND if not served. */
int catalog_lookup(struct db *db, const char *source, const char *path, struct catalog_hit *hit,
		   struct err *e) AL_WUR;

/*
 * The server's side of catalog_lookup(): a read-only connection
 * (db_open_readonly) with the lookup statement prepared once, which is most
 * of a lookup's cost.  Each lookup is its own read transaction, so imports
 * committed meanwhile are seen.  One thread at a time per reader.
 */
struct catalog_reader;
int catalog_reader_open(struct catalog_reader **out, const char *catalog_path, struct err *e) AL_WUR;
/* As catalog_lookup(). */
int catalog_reader_lookup(struct catalog_reader *r, const char *source, const char *path,
			  struct catalog_hit *hit, struct err *e) AL_WUR;
/* NULL is fine. */
void catalog_reader_close(struct catalog_reader *r);

/* The last imported sequence of a channel and its manifest hash; *seq = 0 when none. */
int catalog_channel_last(struct db *db, const char *channel, uint64_t *seq, char manifest_hex[SHA256_HEX],
			 struct err *e) AL_WUR;

/* -AE_REJECT if a source of m is served from another channel. */
int catalog_check_sources(struct db *db, const struct manifest *m, struct err *e) AL_WUR;

/*
 * Inside the caller's transaction: record the snapshot, its objects and
 * files, and switch the channel's sources to it (sources the channel no
 * longer carries stop being served).
 */
int catalog_record_snapshot(struct db *db, const struct manifest *m, const char *manifest_hex,
			    const char *signers, int64_t imported, struct err *e) AL_WUR;

#endif
