#ifndef AIRLOCK_APT_INDEX_H
#define AIRLOCK_APT_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "verify/deb822.h"

/*
 * A Packages index loaded from its (already hash-checked) stream: part of
 * the vendor chain, so both sides use it: the exporter selects from it, the
 * importer checks every carried package against it.
 */

#define APT_VERSION_MAX 512

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

/* 1 if p is a valid Debian package name. */
int apt_pkg_name_valid(const char *p, size_t n);

#endif
