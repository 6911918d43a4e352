#ifndef AIRLOCK_APT_CHAIN_H
#define AIRLOCK_APT_CHAIN_H

#include "lib/err.h"
#include "lib/home.h"
#include "verify/manifest.h"

/*
 * The vendor chain, re-verified on the offline side as a quarantine check
 * for every apt source a bundle carries: its InRelease against the vendor
 * keyrings provisioned at this site (never a key from the bundle), every
 * file under dists/ against the signed Release (by-hash names must be their
 * own hash), and every other file against the signed index by size and
 * SHA-256.  Objects are read from objdir (this import's quarantine) or, when
 * not shipped, from the store.  -AE_REJECT naming the file and the check.
 * *checked counts the files verified.
 */
int apt_chain_verify(struct home *h, const struct manifest *m, const char *objdir, size_t *checked,
		     struct err *e) AL_WUR;

/* The private GnuPG home holding the vendor keyrings: <home>/gnupg-vendor. */
int apt_vendor_home(struct home *h, struct buf *out, struct err *e) AL_WUR;

#endif
