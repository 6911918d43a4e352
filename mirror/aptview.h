#ifndef AIRLOCK_APTVIEW_H
#define AIRLOCK_APTVIEW_H

#include <stdint.h>

#include "lib/db.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "verify/deb822.h"

/*
 * An imported apt snapshot as the mirror sees it: the vendor's signed
 * Release, its Packages indexes, and the stanzas whose pool file the
 * snapshot actually carries.  Everything read here was verified at import
 * (importer/apt_chain.c) and is read back from the content-addressed store,
 * so its bytes are the ones that were checked.
 */

#define APTVIEW_MAX_INDEXES 64

struct aptview_index {
	char comp[64];
	char arch[64];
	char object[SHA256_HEX]; /* the variant read: plain if carried, else .xz, else .gz */
	int rank;		 /* internal: which variant */
};

struct aptview {
	char source[64];
	int64_t snapshot;
	int64_t imported;
	char suite[256];
	char release[SHA256_HEX]; /* InRelease, or Release (with relgpg) */
	char relgpg[SHA256_HEX];  /* "" with an InRelease */
	struct aptview_index ix[APTVIEW_MAX_INDEXES];
	size_t nix;
};

/* Load source's apt view in snapshot.  -AE_NOTFOUND if the snapshot carries no apt Release for it. */
int aptview_load(struct db *db, const char *source, int64_t snapshot, struct aptview *v, struct err *e) AL_WUR;

/* The sources served now with their snapshots, apt ones only; cb stops the walk with nonzero. */
int aptview_each_served(struct db *db, const char *store,
			int (*cb)(const struct aptview *v, void *arg, struct err *e), void *arg,
			struct err *e) AL_WUR;

/* One carried stanza: the verbatim paragraph, its key fields, and the pool file's object. */
struct aptview_pkg {
	const struct deb822_para *para;
	struct slice name, version, arch, filename;
	char object[SHA256_HEX];
	uint64_t size;
};

/*
 * Every stanza of index ix whose Filename the snapshot carries, in index
 * order.  Stanzas naming a pool file the bundle did not carry are skipped:
 * a client could not fetch them.
 */
int aptview_each_pkg(struct db *db, const char *store, const struct aptview *v, const struct aptview_index *ix,
		     int (*cb)(const struct aptview_pkg *p, void *arg, struct err *e), void *arg,
		     struct err *e) AL_WUR;

/*
 * The vendor's signed Release text (the plaintext of the InRelease, or the
 * Release file), read back through GPGME from the store, with its fields
 * parsed.  gnupg_home is a GnuPG home holding the vendor keys.
 */
int aptview_release(const char *store, const char *gnupg_home, const struct aptview *v, struct apt_release *rel,
		    struct err *e) AL_WUR;

#endif
