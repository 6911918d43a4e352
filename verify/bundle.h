#ifndef AIRLOCK_BUNDLE_H
#define AIRLOCK_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "lib/progress.h"
#include "media/volume.h"
#include "verify/gpg.h"
#include "verify/manifest.h"
#include "verify/policy.h"

/* The layout of a bundle on a volume (docs/bundle-format.md). */
#define BUNDLE_MANIFEST "manifest"
#define BUNDLE_SIGDIR "signatures"
#define BUNDLE_PACKDIR "packs"
#define BUNDLE_SIG_MAX ((size_t)64 << 10)

/*
 * A bundle opened from a volume.  The steps are separate so that each
 * caller runs them in the verify-before-parse order:
 *   bundle_open       read the manifest bytes and signature files (bounded)
 *   bundle_verify_sigs  GPGME over the raw manifest bytes, then the policy
 *   bundle_parse      only then parse the manifest
 *   bundle_check_listing  every file on the volume is named; parts present with their sizes
 */
struct bundle {
	struct volume *vol;
	struct buf manifest_raw;
	uint8_t manifest_sha256[SHA256_LEN];
	char manifest_hex[SHA256_HEX];
	struct buf sigdata[POLICY_MAX_SIGS];
	char signame[POLICY_MAX_SIGS][128];
	size_t nsigs;
	struct sig_result sigs[POLICY_MAX_SIGS];
	struct policy_verdict verdict;
	struct manifest m;
	int parsed;
};

int bundle_open(struct bundle *b, const char *spec, struct err *e) AL_WUR;
/*
 * The same reader for another signed document laid out like a bundle: the
 * file doc (at most max bytes) in place of the manifest, with its
 * signatures/ beside it (a trust policy change).  b->manifest_raw holds it.
 */
int bundle_open_doc(struct bundle *b, const char *spec, const char *doc, size_t max, struct err *e) AL_WUR;
int bundle_verify_sigs(struct bundle *b, struct gpg *g, const struct policy *p, struct err *e) AL_WUR;
int bundle_parse(struct bundle *b, struct err *e) AL_WUR;
int bundle_check_listing(struct bundle *b, struct err *e) AL_WUR;
/* Hash every part on the volume against the manifest (airlock verify). */
int bundle_check_parts(struct bundle *b, int quiet, struct err *e) AL_WUR;
/*
 * Stream one part from a volume, never reading past its declared size, and
 * check its size and hash; with fd >= 0 the bytes are also written there
 * (fdname names it in messages); with pack_hash they also feed the hash of
 * the pack it belongs to.  prog may be NULL.  -AE_REJECT naming the part.
 */
int bundle_stream_part(struct volume *vol, const struct manifest_part *pt, int fd, const char *fdname,
		       struct sha256 *pack_hash, struct progress *prog, struct err *e) AL_WUR;
/*
 * Stream the parts of one pack from the volume in order, never reading
 * past a part's declared size, and check each part's size and hash and the
 * pack's hash over them all.  With fd >= 0 the bytes are also written there
 * (the importer's copy into quarantine; fdname names it in messages).
 * prog may be NULL.  -AE_REJECT naming the part or pack on any mismatch.
 */
int bundle_stream_pack(struct bundle *b, const struct manifest_pack *pk, int fd, const char *fdname,
		       struct progress *prog, struct err *e) AL_WUR;
/* 1 if path is a signature file's name: signatures/<40 uppercase hex>.asc. */
int bundle_is_sig_name(const char *path);
/* The part a volume path names (packs/<name>), or NULL. */
const struct manifest_part *bundle_part_by_path(const struct manifest *m, const char *path);
void bundle_close(struct bundle *b);

#endif
