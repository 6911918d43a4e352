#ifndef AIRLOCK_APT_SELECT_H
#define AIRLOCK_APT_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "verify/deb822.h"

/* One binary package stanza of a Packages index, the fields selection needs. */
struct apt_pkg {
	char *name;
	char *version;
	char *arch;
	char *filename; /* pool path relative to the repository root */
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	char *depends;  /* Pre-Depends and Depends joined with ", " ("" if none) */
	char *provides; /* "" if none */
};

/* A whole index in compact form: memory follows the index, not the bundle. */
struct apt_index {
	struct apt_pkg *pkgs;
	size_t n;
	char *arch;  /* the first Architecture other than "all" (NULL if none): dependencies resolve to it or "all" */
	void *arena; /* internal: every string above lives here */
	size_t cap;  /* internal */
};

/*
 * Load every stanza of a Packages index from a deb822 reader.  A stanza
 * missing Package, Version, Architecture, Filename, Size or SHA256, with an
 * invalid package name or Debian version, or with a Filename that is not a
 * plain relative path (no "..", no leading '/'), is -AE_REJECT naming the
 * line.  On failure ix is left empty; apt_index_free() releases it either way.
 */
int apt_index_load(struct apt_index *ix, struct deb822_reader *r, struct err *e) AL_WUR;
void apt_index_free(struct apt_index *ix);

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
