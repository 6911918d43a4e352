#ifndef AIRLOCK_APT_FETCH_H
#define AIRLOCK_APT_FETCH_H

#include <stdint.h>

#include "lib/err.h"
#include "lib/home.h"
#include "lib/json.h"
#include "verify/deb822.h"

/* What the last accepted InRelease of a source said (table apt_state). */
struct apt_floor {
	int have;
	int64_t date;
	char origin[128], suite[128], codename[128];
};

/*
 * The freshness and identity checks on a verified Release, against a
 * reference time and the source's floor: Date not in the future (beyond
 * APT_CLOCK_SKEW), not older than the last accepted Date (a rollback or
 * freeze), Valid-Until not passed, and Origin/Suite/Codename unchanged.
 * -AE_REJECT for the first three, -AE_STATE for a changed identity (the
 * officer decides).  Pure: unit tested with a fixed time on real data.
 */
#define APT_CLOCK_SKEW 300
int apt_release_check(const struct apt_release *rel, int64_t now, const struct apt_floor *floor, const char *name,
		      struct err *e) AL_WUR;

struct apt_fetch_result {
	unsigned packages;
	uint64_t bytes;
	uint64_t downloaded;
	char inrelease[SHA256_HEX];
	char signer[41];
	int64_t date;
};

/*
 * Fetch one apt source into staging/apt/<name>/tree: InRelease verified
 * with the source's pinned keyring in a private GnuPG home, the Release
 * checks above, each index fetched against its signed size and hash before
 * it is decompressed and parsed, the selection, every .deb by size and
 * hash.  The new tree is built beside the old one and swapped in whole;
 * then the floor is recorded with an audit record.  On any failure the old
 * tree stays as it was.
 */
struct apt_fetch_opts {
	int quiet;
	long timeout; /* seconds without data before a transfer is given up; 0 = the fetcher's default */
};

int apt_fetch_source(struct home *h, const char *name, const struct apt_fetch_opts *o, struct apt_fetch_result *res,
		     struct err *e) AL_WUR;

#endif
