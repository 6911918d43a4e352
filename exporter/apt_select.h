#ifndef AIRLOCK_APT_SELECT_H
#define AIRLOCK_APT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "verify/apt_index.h"
#include "verify/deb822.h"



/*
 * Choose packages: each want is "name" (the newest version in the index) or
 * "name=version" (exactly that one); all selects every stanza; with_depends
 * adds the dependency closure within the same index (Pre-Depends and
 * Depends; for an alternative "a | b" the first one the index can satisfy;
 * version constraints honoured; virtual names through Provides).  A want
 * the index cannot satisfy is -AE_NOTFOUND naming it (a malformed want is
 * -AE_USAGE); a dependency the index cannot satisfy is left out silently,
 * since an index is one suite and component, not a whole archive.  Among
 * several providers of a virtual name, one already chosen wins, otherwise
 * the first by package name.  *out gets pointers
 * into ix (caller frees the array only), sorted by name then version.
 */
int apt_select(const struct apt_index *ix, const char *const *wants, size_t nwants, int all, int with_depends,
	       const struct apt_pkg ***out, size_t *nout, struct err *e) AL_WUR;

#endif
