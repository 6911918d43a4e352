#ifndef AIRLOCK_GPG_H
#define AIRLOCK_GPG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/policy.h"

/*
 * The GPGME wrapper: the one file that includes <gpgme.h>.  Every context
 * runs in an explicit GnuPG home (the site's gnupg/ or a temporary one),
 * never ~/.gnupg, with the OpenPGP protocol and no pinentry.
 */
struct gpg;

/* Open a context on homedir, creating it 0700 when missing. */
int gpg_open(struct gpg **out, const char *homedir, struct err *e) AL_WUR;
/* Stop the gpg-agent of that home (for temporary homes) and free. NULL is fine. */
void gpg_close(struct gpg *g);

struct gpg_keyinfo {
	char fpr[FPR_LEN + 1]; /* primary, uppercase hex */
	char uid[256];
	int64_t created;
	int64_t expires; /* 0 = never */
	int revoked;
	int expired;
	int has_secret;
	int can_sign;
};

/* New key with no passphrase: ed25519 primary that can sign. expires 0 = never. */
int gpg_key_generate(struct gpg *g, const char *name, const char *email, int64_t expires_secs,
		     char fpr[FPR_LEN + 1], struct err *e) AL_WUR;
/* Armored public key of fpr appended to out. -AE_NOTFOUND if absent. */
int gpg_key_export(struct gpg *g, const char *fpr, struct buf *out, struct err *e) AL_WUR;
/*
 * Import keys (armored or binary; public keys or revocation certificates).
 * The primary fingerprints of keys the data held go to fprs (up to max; *n
 * counts them).  Secret keys in data are refused (-AE_FORMAT).
 */
int gpg_key_import(struct gpg *g, const void *data, size_t len, char (*fprs)[FPR_LEN + 1], size_t max,
		   size_t *n, struct err *e) AL_WUR;
/* Look up a key by fingerprint (primary or subkey); info is of the primary. */
int gpg_key_info(struct gpg *g, const char *fpr, struct gpg_keyinfo *info, struct err *e) AL_WUR;
/* Call cb for every key; secret=1 lists only keys with a secret part. */
int gpg_key_list(struct gpg *g, int secret, int (*cb)(const struct gpg_keyinfo *ki, void *arg), void *arg,
		 struct err *e) AL_WUR;

/* Armored detached signature over data by the key fpr, appended to sig. */
int gpg_sign_detached(struct gpg *g, const char *fpr, const void *data, size_t len, struct buf *sig,
		      struct err *e) AL_WUR;
/* The Release -> InRelease step: data clearsigned (armored text) by fpr's secret key into out. */
int gpg_sign_clear(struct gpg *g, const char *fpr, const void *data, size_t len, struct buf *out,
		   struct err *e) AL_WUR;

/*
 * Verify one detached signature file over data and describe it in res
 * (res->file is left as the caller set it).  The file must be exactly one
 * ASCII-armored "PGP SIGNATURE" block, nothing around it, holding exactly
 * one signature; otherwise res->status = SIG_MALFORMED.  Returns 0 whenever
 * res says what happened (also for bad signatures); <0 only when gpg could
 * not be run at all.
 */
int gpg_verify_detached(struct gpg *g, const void *sig, size_t siglen, const void *data, size_t len,
			struct sig_result *res, struct err *e) AL_WUR;

/*
 * The check gpg_verify_detached() makes before GPGME sees a signature file
 * (one armored block holding one signature packet over a binary document),
 * exposed for unit tests and fuzzing.  0 if the file passes; -1 otherwise,
 * with the reason in why (whylen bytes, always NUL-terminated when whylen > 0).
 */
int gpg_sig_precheck(const void *sig, size_t len, char *why, size_t whylen) AL_WUR;

/*
 * The check gpg_verify_detached_multi() makes before GPGME sees a signature
 * file, exposed for fuzzing: the single-signature pre-check with up to max
 * signature packets.  0 if the file passes, with *n the number of packets;
 * -1 otherwise, with the reason in why.
 */
int gpg_sig_precheck_multi(const void *sig, size_t len, size_t max, size_t *n, char *why, size_t whylen) AL_WUR;

/*
 * Verify a detached signature file that may hold several signatures (an apt
 * Release.gpg is signed by several archive keys): one armored block, nothing
 * around it, holding 1..max signature packets, each over a binary document
 * (the pre-check refuses anything else with -AE_REJECT saying why, before
 * GPGME runs).  Each signature is described in res (*n counts them), for
 * policy_check().  <0 other than -AE_REJECT when gpg could not run.
 */
int gpg_verify_detached_multi(struct gpg *g, const void *sig, size_t siglen, const void *data, size_t len,
			      struct sig_result *res, size_t max, size_t *n, struct err *e) AL_WUR;

/*
 * Verify a clearsigned text such as an apt InRelease.  The bytes must be
 * exactly one cleartext-signed block and its signature block, nothing
 * before or after (one final newline allowed), else -AE_REJECT saying
 * which.  The plaintext GPGME reports as signed is appended to plaintext
 * (its max caps it): callers use only that, never the input bytes.  Each
 * signature is described in res (up to max; *n counts them), for
 * policy_check().  <0 other than -AE_REJECT when gpg could not run.
 */
int gpg_verify_clearsigned(struct gpg *g, const void *data, size_t len, struct buf *plaintext,
			   struct sig_result *res, size_t max, size_t *n, struct err *e) AL_WUR;

#endif
