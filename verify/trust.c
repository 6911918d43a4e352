#include "verify/trust.h"

#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/fs.h"
#include "verify/gpg.h"

#include "lib/banned.h"


int trust_load(struct db *db, const char *channel, char (*fprs)[FPR_LEN + 1], size_t *n,
		      unsigned *threshold, struct err *e)
{
	struct db_stmt *st = NULL;
	int64_t th = 0;
	int r;

	*n = 0;
	r = db_prepare(db, channel ? "SELECT fpr FROM trust WHERE channel = ? ORDER BY fpr"
				   : "SELECT DISTINCT fpr FROM trust ORDER BY fpr", &st, e);
	if (r)
		return r;
	if (channel)
		r = db_bind_text(st, 1, channel, e);
	if (!r) {
		while ((r = db_step(st, e)) == 1 && *n < TRUST_MAX_KEYS)
			snprintf(fprs[(*n)++], FPR_LEN + 1, "%s", db_col_text(st, 0));
	}
	db_finalize(st);
	if (r < 0)
		return r;
	if (channel) {
		r = db_get_int(db, "SELECT threshold FROM channel WHERE name = ?", channel, 0, &th, e);
		if (r)
			return r;
		*threshold = (unsigned)th;
	}
	return 0;
}


/* Import every file into the site keyring and collect the distinct primaries it held. */
int trust_import_keyfiles(struct gpg *g, char **files, int nfiles, struct trust_key *keys, size_t *nkeys,
			struct err *e)
{
	char got[POLICY_MAX_SIGS][FPR_LEN + 1];
	struct gpg_keyinfo ki;
	struct buf b;
	size_t n, i, j;
	int f, r = 0;

	buf_init(&b, TRUST_KEYFILE_MAX);
	*nkeys = 0;
	for (f = 0; f < nfiles; f++) {
		buf_reset(&b);
		r = fs_read_file(files[f], &b, e);
		if (r)
			goto out;
		r = gpg_key_import(g, buf_str(&b), b.len, got, POLICY_MAX_SIGS, &n, e);
		if (r) {
			err_prefix(e, "'%s'", files[f]);
			goto out;
		}
		for (i = 0; i < n; i++) {
			for (j = 0; j < *nkeys; j++)
				if (!strcmp(keys[j].fpr, got[i]))
					break;
			if (j < *nkeys)
				continue;
			if (*nkeys >= POLICY_MAX_SIGS) {
				r = err_set(e, AE_TOOBIG, "more than %d keys at once", POLICY_MAX_SIGS);
				goto out;
			}
			r = gpg_key_info(g, got[i], &ki, e);
			if (r)
				goto out;
			/*
			 * Such a key could never make a signature count, and trusting it
			 * would only hide that the channel is short of signers.  The
			 * import stays: a revocation must reach the keyring.
			 */
			if (ki.revoked || ki.expired || !ki.can_sign) {
				r = err_set(e, AE_STATE, "'%s': key %s (%s) is %s; it cannot be trusted",
					    files[f], ki.fpr, ki.uid,
					    ki.revoked	 ? "revoked"
					    : ki.expired ? "expired"
							 : "not a signing key");
				goto out;
			}
			memcpy(keys[*nkeys].fpr, ki.fpr, sizeof(keys[*nkeys].fpr));
			snprintf(keys[*nkeys].uid, sizeof(keys[*nkeys].uid), "%s", ki.uid);
			(*nkeys)++;
		}
	}
out:
	buf_release(&b);
	return r;
}

int trust_fpr_parse(const char *s, char out[FPR_LEN + 1])
{
	size_t n = 0;

	for (; *s; s++) {
		char c = *s;

		if (c == ' ')
			continue;
		if (c >= 'a' && c <= 'f')
			c = (char)(c - 'a' + 'A');
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) || n == FPR_LEN)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	return n == FPR_LEN ? 0 : -1;
}

