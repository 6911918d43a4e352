#ifndef AIRLOCK_PUBLISH_H
#define AIRLOCK_PUBLISH_H

#include <stdint.h>

#include "lib/home.h"

/*
 * airlock publish: every group's view of every apt source as an apt
 * repository signed by the site's key, built completely (objects in the
 * store, rows in pubfile) and switched in one transaction (meta
 * 'publication').  The previous publication's indexes stay reachable under
 * by-hash/, so a client that read the old InRelease still gets matching
 * indexes.  docs/operator.md, "Publishing".
 *
 * Served paths:
 *   groups/<group>/<source>/dists/<suite>/...   (InRelease, Release, Release.gpg, indexes, by-hash)
 *   groups/<group>/<source>/pool/...            (the approved packages, from the store)
 *   groups/<group>/<source>.sources             (a deb822 sources file with the site key inline)
 *   keys/site.asc                               (the site's public key)
 */

struct publish_result {
	int64_t publication;
	uint64_t files;	  /* pubfile rows of the new publication */
	uint64_t views;	  /* group x source repositories */
	uint64_t packages; /* stanzas published, over all views */
	char signer[41];
	int64_t valid_until;
	uint64_t static_copied; /* with a static tree: files copied, not hard-linked */
};

/* static_dir: also write the publication as a plain tree there (NULL: not). */
int publish_run(struct home *h, const char *static_dir, struct publish_result *res, struct err *e) AL_WUR;

/*
 * Materialise publication id (with the upstream view) under dir as
 * dir/.airlock/gen-<id>, then point dir/current at it in one rename().
 */
int publish_static(struct home *h, int64_t id, const char *dir, uint64_t *copied, struct err *e) AL_WUR;

#endif
