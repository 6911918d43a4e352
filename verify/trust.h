#ifndef AIRLOCK_TRUST_H
#define AIRLOCK_TRUST_H

#include <stddef.h>

#include "lib/db.h"
#include "lib/err.h"
#include "verify/policy.h"

#define TRUST_MAX_KEYS 256
/* A public key file, keyring or revocation certificate is read whole, up to this. */
#define TRUST_KEYFILE_MAX ((size_t)1 << 20)

/*
 * The primary fingerprints a channel trusts and its threshold (channel NULL:
 * every key trusted for any channel, threshold untouched).  At most
 * TRUST_MAX_KEYS; *n counts them.
 */
int trust_load(struct db *db, const char *channel, char (*fprs)[FPR_LEN + 1], size_t *n, unsigned *threshold,
	       struct err *e) AL_WUR;

struct gpg;

struct trust_key {
	char fpr[FPR_LEN + 1];
	char uid[256];
};

/*
 * Import every key file into g's keyring and collect the distinct primaries
 * they held (at most POLICY_MAX_SIGS).  A revoked, expired or non-signing key
 * is refused (-AE_STATE naming the file): it could never make a signature
 * count.  The import itself stays, so that a revocation reaches the keyring.
 */
int trust_import_keyfiles(struct gpg *g, char **files, int nfiles, struct trust_key *keys, size_t *nkeys,
			  struct err *e) AL_WUR;
/* A fingerprint as typed (spaces allowed, any case) to 40 uppercase hex digits; -1 if it is not one. */
int trust_fpr_parse(const char *s, char out[FPR_LEN + 1]);

struct cmd_ctx;
/* airlock trust revoke|propose|cosign|apply (verify/cmd_trust_change.c). */
int trust_change_main(int argc, char **argv, struct cmd_ctx *ctx);

#endif
