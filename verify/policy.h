#ifndef AIRLOCK_POLICY_H
#define AIRLOCK_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/*
 * The signature policy, in one place.  It decides on plain data (what GPGME
 * reported for each signature file), so that the table of cases is unit
 * tested without crypto, and it never looks at GPGME's summary bits.
 */

#define FPR_LEN 40
#define POLICY_MAX_SIGS 64

enum sig_status {
	SIG_GOOD = 0,     /* cryptographically valid, key usable at signing and now */
	SIG_BAD,          /* does not verify over the manifest bytes: tampering */
	SIG_MALFORMED,    /* not exactly one OpenPGP detached signature */
	SIG_UNKNOWN_KEY,  /* key not in the keyring */
	SIG_KEY_EXPIRED,
	SIG_KEY_REVOKED,
	SIG_EXPIRED,      /* the signature itself has expired */
	SIG_ERROR         /* anything else GPGME reported */
};

struct sig_result {
	char file[128];              /* the signature file's name on the volume */
	enum sig_status status;
	char key_fpr[FPR_LEN + 1];   /* the signing (sub)key, or the issuer as far as known */
	char primary_fpr[FPR_LEN + 1]; /* its primary key; "" if unknown */
	char uid[128];               /* first user id of the primary, "" if unknown */
	int64_t time;                /* signature creation */
	int64_t expires;             /* 0 = never */
	char detail[160];            /* GPGME's text for SIG_ERROR and SIG_MALFORMED */
};

struct policy {
	const char (*trusted)[FPR_LEN + 1]; /* uppercase primary fingerprints */
	size_t ntrusted;
	unsigned threshold; /* >= 1 */
};

struct policy_verdict {
	int ok;
	unsigned counted;                           /* distinct trusted primaries with a good signature */
	char signers[POLICY_MAX_SIGS][FPR_LEN + 1]; /* those primaries, in order of first appearance */
};

/*
 * Decide.  A good signature counts once per distinct trusted primary key (a
 * subkey counts for its primary; the same key twice counts once).  A BAD or
 * MALFORMED signature file rejects the bundle outright: such a file on signed
 * media is evidence of tampering.  Unknown, expired and revoked signers do
 * not count.  Returns 0 when at least threshold primaries counted, else
 * -AE_REJECT with a message naming each signature that did not count and why
 * ("threshold not met: 1 of 2 trusted signatures; 'X.asc': key revoked").
 * Zero signatures is its own message.  v may be NULL.
 */
int policy_check(const struct policy *p, const struct sig_result *sigs, size_t nsigs,
		 struct policy_verdict *v, struct err *e) AL_WUR;

const char *sig_status_name(enum sig_status s);

#endif
