#include "verify/gpg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gpgme.h>

#include "lib/banned.h"

/* The same bound the bundle reader puts on a signature file. */
#define SIG_ARMOR_MAX ((size_t)64 << 10)

struct gpg {
	gpgme_ctx_t ctx;
	char *home; /* absolute, for gpgconf --kill */
};

static pthread_once_t gpgme_once = PTHREAD_ONCE_INIT;
static const char *gpgme_version;

/* GPGME must see gpgme_check_version() before any other call, once per process. */
static void gpgme_init_once(void)
{
	gpgme_version = gpgme_check_version(NULL);
}

/*
 * The one place GPGME errors become ours: "gpg: <context>: <gpgme text>"
 * (ostree's ot_gpgme_throw).  gpgme_strerror_r writes into our buffer, so
 * reporting does not allocate.
 */
static int gpg_throw(struct err *e, gpgme_error_t gerr, const char *fmt, ...) AL_PRINTF(3, 4);

static int gpg_throw(struct err *e, gpgme_error_t gerr, const char *fmt, ...)
{
	char what[512], text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (gpgme_strerror_r(gerr, text, sizeof(text)) != 0 && !text[0])
		snprintf(text, sizeof(text), "error %u", (unsigned)gerr);
	return err_set(e, AE_GPG, "gpg: %s: %s", what, text);
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/*
 * Keys are named by full v4 fingerprint only: anything shorter is a search
 * pattern to gpg and could match a key other than the one meant.
 */
static int fpr_valid(const char *s)
{
	size_t i;

	if (!s)
		return 0;
	for (i = 0; i < FPR_LEN; i++)
		if (!is_hex(s[i]))
			return 0;
	return s[FPR_LEN] == '\0';
}

/* Copy a GPGME hex id (fingerprint or key id) in uppercase; "" for NULL. */
static void hex_upper(const char *in, char *out, size_t outlen)
{
	size_t i = 0;

	for (; in && in[i] && i + 1 < outlen; i++)
		out[i] = (in[i] >= 'a' && in[i] <= 'z') ? (char)(in[i] - 'a' + 'A') : in[i];
	out[i] = '\0';
}

static int hex_eq(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

static void copy_text(const char *in, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s", in ? in : "");
}

/* Append the whole of d to out; on failure out is as it was. */
static int data_to_buf(gpgme_data_t d, struct buf *out, struct err *e)
{
	size_t start = out->len;
	char chunk[8192];
	ssize_t n;
	int r = 0;

	if (gpgme_data_seek(d, 0, SEEK_SET) < 0)
		return err_errno(e, errno, "gpg: cannot rewind output");
	while ((n = gpgme_data_read(d, chunk, sizeof(chunk))) > 0) {
		r = buf_add(out, chunk, (size_t)n, e);
		if (r)
			goto out;
	}
	if (n < 0)
		r = err_errno(e, errno, "gpg: cannot read output");
out:
	if (r && out->ptr) {
		out->len = start;
		out->ptr[start] = '\0';
	}
	return r;
}

static gpgme_error_t data_from_mem(gpgme_data_t *d, const void *p, size_t len)
{
	/* GPGME refuses a NULL buffer even for zero bytes */
	return gpgme_data_new_from_mem(d, p && len ? p : "", p && len ? len : 0, 0);
}

int gpg_open(struct gpg **out, const char *homedir, struct err *e)
{
	struct gpg *g = NULL;
	gpgme_error_t gerr;
	struct stat st;
	int r = 0;

	*out = NULL;
	pthread_once(&gpgme_once, gpgme_init_once);
	if (!gpgme_version)
		return err_set(e, AE_GPG, "gpg: GPGME cannot be initialised");
	gerr = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (gerr)
		return gpg_throw(e, gerr, "no usable OpenPGP engine");
	if (mkdir(homedir, 0700) < 0 && errno != EEXIST)
		return err_errno(e, errno, "cannot create GnuPG home '%s'", homedir);
	if (stat(homedir, &st) < 0)
		return err_errno(e, errno, "cannot open GnuPG home '%s'", homedir);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, AE_IO, "GnuPG home '%s' is not a folder", homedir);

	g = calloc(1, sizeof(*g));
	if (!g)
		return err_set(e, AE_NOMEM, "out of memory");
	/* gpg-agent runs from "/", so a relative home would name another folder */
	g->home = realpath(homedir, NULL);
	if (!g->home) {
		r = err_errno(e, errno, "cannot resolve GnuPG home '%s'", homedir);
		goto out;
	}
	gerr = gpgme_new(&g->ctx);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot create a context");
		goto out;
	}
	gerr = gpgme_set_protocol(g->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!gerr)
		gerr = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot use GnuPG home '%s'", g->home);
		goto out;
	}
	/* keys carry no passphrase; loopback with no callback means gpg never prompts */
	gerr = gpgme_set_pinentry_mode(g->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot set pinentry mode");
		goto out;
	}
	gpgme_set_offline(g->ctx, 1);
	gpgme_set_armor(g->ctx, 1);
	gerr = gpgme_set_keylist_mode(g->ctx, GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_WITH_SECRET);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot set key listing mode");
		goto out;
	}
	*out = g;
	g = NULL;
out:
	gpg_close(g);
	return r;
}

/*
 * Temporary homes can only be removed once their agent is gone, and GPGME
 * has no call for it: run gpgconf, the one installed with the engine.
 */
static void kill_agent(const char *home)
{
	const char *gpgconf = gpgme_get_dirinfo("gpgconf-name");
	char *argv[] = {"gpgconf", "--homedir", (char *)home, "--kill", "gpg-agent", NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	if (!gpgconf)
		return;
	if (posix_spawn_file_actions_init(&fa))
		return;
	if (!posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) &&
	    !posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) &&
	    !posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) &&
	    !posix_spawn(&pid, gpgconf, &fa, NULL, argv, environ)) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	posix_spawn_file_actions_destroy(&fa);
}

void gpg_close(struct gpg *g)
{
	if (!g)
		return;
	if (g->ctx)
		gpgme_release(g->ctx);
	if (g->home)
		kill_agent(g->home);
	free(g->home);
	free(g);
}

static void keyinfo_fill(gpgme_key_t key, struct gpg_keyinfo *ki)
{
	gpgme_subkey_t pk = key->subkeys;

	memset(ki, 0, sizeof(*ki));
	if (pk) {
		hex_upper(pk->fpr, ki->fpr, sizeof(ki->fpr));
		ki->created = pk->timestamp > 0 ? (int64_t)pk->timestamp : 0;
		ki->expires = (int64_t)pk->expires;
	}
	copy_text(key->uids ? key->uids->uid : NULL, ki->uid, sizeof(ki->uid));
	ki->revoked = key->revoked || (pk && pk->revoked);
	ki->expired = key->expired || (pk && pk->expired);
	ki->has_secret = key->secret;
	ki->can_sign = key->can_sign;
}

/* A user id part we put inside "Name <email>": printable, without the delimiters. */
static int uid_part_ok(const char *s, int is_email)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p)
		return 0;
	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return 0;
		if (is_email && *p == ' ')
			return 0;
	}
	return 1;
}

int gpg_key_generate(struct gpg *g, const char *name, const char *email, int64_t expires_secs,
		     char fpr[FPR_LEN + 1], struct err *e)
{
	unsigned int flags = GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE;
	gpgme_genkey_result_t res;
	gpgme_error_t gerr;
	char uid[512];
	int n;

	fpr[0] = '\0';
	if (!name || !uid_part_ok(name, 0))
		return err_set(e, AE_USAGE, "key name must be printable text without '<' or '>'");
	if (email && !uid_part_ok(email, 1))
		return err_set(e, AE_USAGE, "email '%s' must be printable, without spaces, '<' or '>'",
			       email);
	if (expires_secs < 0 || (uint64_t)expires_secs > ULONG_MAX)
		return err_set(e, AE_USAGE, "key expiry out of range");
	/* without the flag, 0 would mean gpg's default expiry rather than never */
	if (expires_secs == 0)
		flags |= GPGME_CREATE_NOEXPIRE;
	if (email)
		n = snprintf(uid, sizeof(uid), "%s <%s>", name, email);
	else
		n = snprintf(uid, sizeof(uid), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(uid))
		return err_set(e, AE_USAGE, "key user id is longer than %zu bytes", sizeof(uid) - 1);

	gerr = gpgme_op_createkey(g->ctx, uid, "ed25519", 0, (unsigned long)expires_secs, NULL, flags);
	if (gerr)
		return gpg_throw(e, gerr, "cannot generate a key for '%s'", uid);
	res = gpgme_op_genkey_result(g->ctx);
	if (!res || !fpr_valid(res->fpr))
		return err_set(e, AE_GPG, "gpg: key for '%s' generated without a fingerprint", uid);
	hex_upper(res->fpr, fpr, FPR_LEN + 1);
	return 0;
}

/* Look up a key by full fingerprint; -AE_NOTFOUND when absent. */
static int get_key(struct gpg *g, const char *fpr, int secret, gpgme_key_t *key, struct err *e)
{
	gpgme_error_t gerr;

	*key = NULL;
	if (!fpr_valid(fpr))
		return err_set(e, AE_USAGE, "'%s' is not a 40-digit key fingerprint", fpr ? fpr : "");
	gerr = gpgme_get_key(g->ctx, fpr, key, secret);
	if (gpgme_err_code(gerr) == GPG_ERR_EOF)
		return err_set(e, AE_NOTFOUND, "no %skey %s in the keyring", secret ? "secret " : "", fpr);
	if (gerr)
		return gpg_throw(e, gerr, "cannot look up key %s", fpr);
	return 0;
}

int gpg_key_export(struct gpg *g, const char *fpr, struct buf *out, struct err *e)
{
	gpgme_data_t d = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t gerr;
	size_t start = out->len;
	int r;

	r = get_key(g, fpr, 0, &key, e);
	if (r)
		goto out;
	gerr = gpgme_data_new(&d);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot export key %s", fpr);
		goto out;
	}
	gerr = gpgme_op_export(g->ctx, fpr, 0, d);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot export key %s", fpr);
		goto out;
	}
	r = data_to_buf(d, out, e);
	if (!r && out->len == start)
		r = err_set(e, AE_NOTFOUND, "no key %s in the keyring", fpr);
out:
	gpgme_data_release(d);
	if (key)
		gpgme_key_unref(key);
	return r;
}

/*
 * Secret keys must never enter a site keyring through import: list what the
 * data holds without importing it, and refuse if any of it is secret.  The
 * armor text is checked first because it needs no engine round trip.
 */
static int refuse_secret(struct gpg *g, const void *data, size_t len, struct err *e)
{
	static const char armor[] = "PRIVATE KEY BLOCK";
	const unsigned char *p = data;
	gpgme_data_t d = NULL;
	gpgme_key_t key = NULL;
	gpgme_error_t gerr;
	int r = 0;

	if (memmem(data, len, armor, sizeof(armor) - 1))
		return err_set(e, AE_FORMAT, "the key data holds a secret key; give the public key only");
	/* binary: old- and new-format packet tags 5 (secret key) and 7 (secret subkey) */
	if (len && (p[0] & 0x80)) {
		unsigned tag = (p[0] & 0x40) ? (p[0] & 0x3f) : ((p[0] >> 2) & 0x0f);

		if (tag == 5 || tag == 7)
			return err_set(e, AE_FORMAT,
				       "the key data holds a secret key; give the public key only");
	}
	gerr = data_from_mem(&d, data, len);
	if (gerr)
		return gpg_throw(e, gerr, "cannot read key data");
	gerr = gpgme_op_keylist_from_data_start(g->ctx, d, 0);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot read key data");
		goto out;
	}
	while (!(gerr = gpgme_op_keylist_next(g->ctx, &key))) {
		int secret = key->secret;

		gpgme_key_unref(key);
		key = NULL;
		if (secret) {
			r = err_set(e, AE_FORMAT,
				    "the key data holds a secret key; give the public key only");
			break;
		}
	}
	if (!r && gpgme_err_code(gerr) != GPG_ERR_EOF)
		r = gpg_throw(e, gerr, "cannot read key data");
	gpgme_op_keylist_end(g->ctx);
out:
	gpgme_data_release(d);
	return r;
}

static int fpr_add(char (*fprs)[FPR_LEN + 1], size_t max, size_t *n, const char *fpr, struct err *e)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(fprs[i], fpr))
			return 0;
	if (*n >= max)
		return err_set(e, AE_TOOBIG, "the key data holds more than %zu keys", max);
	memcpy(fprs[(*n)++], fpr, FPR_LEN + 1);
	return 0;
}

/* A growable list of primary fingerprints. */
struct fprset {
	char (*v)[FPR_LEN + 1];
	size_t n, cap;
};

static int fprset_add(struct fprset *s, const char *fpr, struct err *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = reallocarray(s->v, cap, sizeof(*s->v));

		if (!p)
			return err_set(e, AE_NOMEM, "out of memory");
		s->v = p;
		s->cap = cap;
	}
	hex_upper(fpr, s->v[s->n++], FPR_LEN + 1);
	return 0;
}

static int fprset_has(const struct fprset *s, const char *fpr)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], fpr))
			return 1;
	return 0;
}

struct revscan {
	struct fprset *set;
	const struct fprset *before;
	struct err *e;
};

static int collect_unrevoked(const struct gpg_keyinfo *ki, void *arg)
{
	struct revscan *rs = arg;

	return ki->revoked ? 0 : fprset_add(rs->set, ki->fpr, rs->e);
}

static int collect_newly_revoked(const struct gpg_keyinfo *ki, void *arg)
{
	struct revscan *rs = arg;

	return ki->revoked && fprset_has(rs->before, ki->fpr) ? fprset_add(rs->set, ki->fpr, rs->e) : 0;
}

int gpg_key_import(struct gpg *g, const void *data, size_t len, char (*fprs)[FPR_LEN + 1], size_t max,
		   size_t *n, struct err *e)
{
	struct fprset unrevoked = {0}, seen = {0};
	struct revscan rs;
	gpgme_data_t d = NULL;
	gpgme_import_result_t res;
	gpgme_import_status_t imp;
	gpgme_error_t gerr;
	int new_revocations, considered;
	size_t i;
	int r;

	*n = 0;
	if (!data || !len)
		return err_set(e, AE_FORMAT, "no key data");
	r = refuse_secret(g, data, len, e);
	if (r)
		return r;
	/*
	 * gpg names no key when it imports a bare revocation certificate, so
	 * note which keys are unrevoked now and look again afterwards.
	 */
	rs = (struct revscan){&unrevoked, NULL, e};
	r = gpg_key_list(g, 0, collect_unrevoked, &rs, e);
	if (r)
		goto out;
	gerr = data_from_mem(&d, data, len);
	if (!gerr)
		gerr = gpgme_op_import(g->ctx, d);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot import keys");
		goto out;
	}
	res = gpgme_op_import_result(g->ctx);
	if (!res) {
		r = err_set(e, AE_GPG, "gpg: import gave no result");
		goto out;
	}
	if (res->secret_read) {
		/* refuse_secret should have caught it; say so rather than go on */
		r = err_set(e, AE_FORMAT, "the key data holds a secret key; give the public key only");
		goto out;
	}
	/* the result belongs to the context: copy what we need before the next operation */
	new_revocations = res->new_revocations;
	considered = res->considered;
	for (imp = res->imports; imp; imp = imp->next) {
		if (imp->result) {
			r = gpg_throw(e, imp->result, "cannot import key %s",
				      imp->fpr ? imp->fpr : "(unknown)");
			goto out;
		}
		if (fpr_valid(imp->fpr)) {
			r = fprset_add(&seen, imp->fpr, e);
			if (r)
				goto out;
		}
	}
	if (new_revocations) {
		rs = (struct revscan){&seen, &unrevoked, e};
		r = gpg_key_list(g, 0, collect_newly_revoked, &rs, e);
		if (r)
			goto out;
	}
	if (!seen.n) {
		if (considered)
			r = err_set(e, AE_FORMAT, "the key data names no key this keyring can use");
		else
			r = err_set(e, AE_FORMAT, "no OpenPGP public key in the data");
		goto out;
	}
	/* the import names the key it touched; map each to its primary */
	for (i = 0; i < seen.n; i++) {
		gpgme_key_t key = NULL;
		char prim[FPR_LEN + 1];

		r = get_key(g, seen.v[i], 0, &key, e);
		if (r)
			goto out;
		hex_upper(key->subkeys ? key->subkeys->fpr : NULL, prim, sizeof(prim));
		gpgme_key_unref(key);
		if (!fpr_valid(prim)) {
			r = err_set(e, AE_GPG, "gpg: key %s has no primary fingerprint", seen.v[i]);
			goto out;
		}
		r = fpr_add(fprs, max, n, prim, e);
		if (r)
			goto out;
	}
out:
	free(unrevoked.v);
	free(seen.v);
	gpgme_data_release(d);
	return r;
}

int gpg_key_info(struct gpg *g, const char *fpr, struct gpg_keyinfo *info, struct err *e)
{
	gpgme_key_t key = NULL;
	int r;

	r = get_key(g, fpr, 0, &key, e);
	if (r)
		return r;
	keyinfo_fill(key, info);
	gpgme_key_unref(key);
	return 0;
}

int gpg_key_list(struct gpg *g, int secret, int (*cb)(const struct gpg_keyinfo *ki, void *arg), void *arg,
		 struct err *e)
{
	struct gpg_keyinfo ki;
	gpgme_key_t key = NULL;
	gpgme_error_t gerr;
	int r = 0;

	gerr = gpgme_op_keylist_start(g->ctx, NULL, secret ? 1 : 0);
	if (gerr)
		return gpg_throw(e, gerr, "cannot list keys");
	while (!(gerr = gpgme_op_keylist_next(g->ctx, &key))) {
		keyinfo_fill(key, &ki);
		gpgme_key_unref(key);
		r = cb(&ki, arg);
		if (r)
			break;
	}
	if (!r && gpgme_err_code(gerr) != GPG_ERR_EOF)
		r = gpg_throw(e, gerr, "cannot list keys");
	gpgme_op_keylist_end(g->ctx);
	return r;
}

static int sign_mode(struct gpg *g, const char *fpr, const void *data, size_t len, struct buf *sig,
		     gpgme_sig_mode_t mode, struct err *e)
{
	gpgme_data_t plain = NULL, out = NULL;
	gpgme_key_t key = NULL;
	gpgme_sign_result_t res;
	gpgme_new_signature_t s;
	gpgme_error_t gerr;
	size_t nsig = 0;
	int r;

	r = get_key(g, fpr, 1, &key, e);
	if (r)
		goto out;
	gpgme_signers_clear(g->ctx);
	gerr = gpgme_signers_add(g->ctx, key);
	if (!gerr)
		gerr = data_from_mem(&plain, data, len);
	if (!gerr)
		gerr = gpgme_data_new(&out);
	if (!gerr)
		gerr = gpgme_op_sign(g->ctx, plain, out, mode);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot sign with key %s", fpr);
		goto out;
	}
	res = gpgme_op_sign_result(g->ctx);
	if (!res || res->invalid_signers) {
		r = gpg_throw(e, res && res->invalid_signers ? res->invalid_signers->reason : GPG_ERR_GENERAL,
			      "cannot sign with key %s", fpr);
		goto out;
	}
	for (s = res->signatures; s; s = s->next)
		nsig++;
	if (nsig != 1) {
		r = err_set(e, AE_GPG, "gpg: signing with key %s made %zu signatures, expected one", fpr,
			    nsig);
		goto out;
	}
	r = data_to_buf(out, sig, e);
out:
	gpgme_signers_clear(g->ctx);
	gpgme_data_release(plain);
	gpgme_data_release(out);
	if (key)
		gpgme_key_unref(key);
	return r;
}

int gpg_sign_detached(struct gpg *g, const char *fpr, const void *data, size_t len, struct buf *sig,
		      struct err *e)
{
	return sign_mode(g, fpr, data, len, sig, GPGME_SIG_MODE_DETACH, e);
}

int gpg_sign_clear(struct gpg *g, const char *fpr, const void *data, size_t len, struct buf *out, struct err *e)
{
	return sign_mode(g, fpr, data, len, out, GPGME_SIG_MODE_CLEAR, e);
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Armor of at most SIG_ARMOR_MAX bytes decodes to at most three quarters of that. */
#define SIG_DECODED_MAX (SIG_ARMOR_MAX / 4 * 3)

/*
 * Skip the armor headers ("Key: value", up to the first blank line) and
 * decode the base64 data up to the checksum line (gpg checks the checksum)
 * into bin.  body is the text between the armor lines, already checked to
 * be printable lines.
 */
static int armor_decode(const char *body, size_t n, unsigned char *bin, size_t cap, size_t *nbin, char *why,
			size_t whylen)
{
	size_t i = 0, total = 0, line;
	unsigned acc = 0;
	int bits = 0, pad = 0;

	*nbin = 0;
	for (;;) {
		line = i;
		while (i < n && body[i] != '\n')
			i++;
		if (i >= n) {
			snprintf(why, whylen, "armor has no blank line before its data");
			return -1;
		}
		if (i == line || (i == line + 1 && body[line] == '\r')) {
			i++;
			break;
		}
		if (!memchr(body + line, ':', i - line)) {
			snprintf(why, whylen, "armor header line without ':'");
			return -1;
		}
		i++;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)body[i];
		int v;

		if (c == '\n' || c == '\r')
			continue;
		/* a line that starts with '=' is the checksum, which gpg checks */
		if (c == '=' && (i == 0 || body[i - 1] == '\n'))
			break;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad) {
			snprintf(why, whylen, "armor data is not base64");
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			/* cannot happen within SIG_ARMOR_MAX; checked so that no caller has to know */
			if (total == cap) {
				snprintf(why, whylen, "armor data is longer than %zu bytes", cap);
				return -1;
			}
			bin[total++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*nbin = total;
	return 0;
}

struct pkt {
	int tag;
	size_t hl; /* header bytes */
	size_t bl; /* body bytes */
};

/*
 * Read the packet header at p (n >= 1 bytes left, p[0] has its high bit set).
 * The tag is always filled.  Returns 0 when the header and the body it
 * announces lie within n; -1 when the length is not definite (old-format
 * indeterminate, new-format partial), which a signature packet never needs
 * and which would let the packet's end hide from this reading; -2 when the
 * header or its body runs past n.
 */
static int pkt_header(const unsigned char *p, size_t n, struct pkt *k)
{
	static const size_t old_lenlen[3] = {1, 2, 4};
	size_t i;

	k->hl = 0;
	k->bl = 0;
	if (p[0] & 0x40) {
		k->tag = p[0] & 0x3f;
		if (n < 2)
			return -2;
		if (p[1] < 192) {
			k->hl = 2;
			k->bl = p[1];
		} else if (p[1] < 224) {
			if (n < 3)
				return -2;
			k->hl = 3;
			k->bl = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		} else if (p[1] == 255) {
			if (n < 6)
				return -2;
			k->hl = 6;
			k->bl = ((size_t)p[2] << 24) | ((size_t)p[3] << 16) | ((size_t)p[4] << 8) | p[5];
		} else {
			return -1;
		}
	} else {
		k->tag = (p[0] >> 2) & 0x0f;
		if ((p[0] & 3) == 3)
			return -1;
		k->hl = 1 + old_lenlen[p[0] & 3];
		if (n < k->hl)
			return -2;
		for (i = 1; i < k->hl; i++)
			k->bl = (k->bl << 8) | p[i];
	}
	return k->bl > n - k->hl ? -2 : 0;
}

/*
 * The armored bytes must be 1..max signature packets, end to end, each over
 * a binary document (signature type 0x00).  A text-mode signature (0x01)
 * still verifies after the signed file's line endings are changed, so the
 * signed bytes would not be the exact bytes; any other packet, or bytes
 * after the last one, have no business in a detached signature.  The whole
 * data is walked, but inside each packet only the two or three bytes after
 * its header are read: the rest is gpg's to check.  *count is set on success.
 */
static int packet_check(const char *body, size_t n, size_t max, size_t *count, char *why, size_t whylen)
{
	/* 48 KiB on the stack rather than an allocation that could fail into a "malformed" verdict */
	unsigned char bin[SIG_DECODED_MAX];
	const unsigned char *s;
	struct pkt k;
	size_t nbin, off, npkt = 0;
	int r;

	*count = 0;
	if (armor_decode(body, n, bin, sizeof(bin), &nbin, why, whylen) < 0)
		return -1;
	if (nbin < 2 || !(bin[0] & 0x80)) {
		snprintf(why, whylen, "armor holds no OpenPGP packet");
		return -1;
	}
	/* the framing first, so that a refusal for too many packets can say how many */
	for (off = 0; off < nbin; off += k.hl + k.bl) {
		if (!(bin[off] & 0x80)) {
			snprintf(why, whylen,
				 "armor data after signature packet %zu is not an OpenPGP packet", npkt);
			return -1;
		}
		r = pkt_header(bin + off, nbin - off, &k);
		if (k.tag != 2) {
			snprintf(why, whylen, "armor holds an OpenPGP packet of type %d, not a signature",
				 k.tag);
			return -1;
		}
		if (r == -1) {
			snprintf(why, whylen, "armor holds a signature packet without a definite length");
			return -1;
		}
		if (r < 0) {
			snprintf(why, whylen, "armor data ends inside a signature packet");
			return -1;
		}
		npkt++;
	}
	if (npkt > max) {
		if (max == 1)
			snprintf(why, whylen, "armor holds %zu signature packets, expected one", npkt);
		else
			snprintf(why, whylen, "armor holds %zu signature packet%s, more than %zu", npkt,
				 npkt == 1 ? "" : "s", max);
		return -1;
	}
	/* v4 and v5: version, type; v3: version, 5, type */
	for (off = 0; off < nbin; off += k.hl + k.bl) {
		if (pkt_header(bin + off, nbin - off, &k) < 0) {
			/* the walk above read the same bytes */
			snprintf(why, whylen, "armor data ends inside a signature packet");
			return -1;
		}
		s = bin + off + k.hl;
		if (k.bl < 3 || !((s[0] == 4 || s[0] == 5) || (s[0] == 3 && s[1] == 5))) {
			snprintf(why, whylen, "unsupported signature packet");
			return -1;
		}
		if (s[s[0] == 3 ? 2 : 1] != 0x00) {
			snprintf(why, whylen, "signature of type 0x%02x, not over a binary document",
				 s[s[0] == 3 ? 2 : 1]);
			return -1;
		}
	}
	*count = npkt;
	return 0;
}

/*
 * Verify before parse: the file must be one armored signature block and
 * nothing else, so that no clearsigned text, second block or stray bytes
 * reach gpg.  Lines are printable ASCII (CRLF tolerated); no line inside may
 * start with dashes, which is how a second armor header would begin.
 */
static int armor_check(const char *p, size_t n, size_t max, size_t *count, char *why, size_t whylen)
{
	static const char begin[] = "-----BEGIN PGP SIGNATURE-----";
	static const char end[] = "-----END PGP SIGNATURE-----";
	const size_t nb = sizeof(begin) - 1, ne = sizeof(end) - 1;
	size_t i, body, body_end;

	*count = 0;
	if (n > SIG_ARMOR_MAX) {
		snprintf(why, whylen, "larger than %zu KiB", SIG_ARMOR_MAX >> 10);
		return -1;
	}
	if (n && p[n - 1] == '\n')
		n--;
	if (n && p[n - 1] == '\r')
		n--;
	if (n < nb + ne + 2 || memcmp(p, begin, nb)) {
		snprintf(why, whylen, "does not start with '%s'", begin);
		return -1;
	}
	if (memcmp(p + n - ne, end, ne) || p[n - ne - 1] != '\n') {
		snprintf(why, whylen, "does not end with '%s'", end);
		return -1;
	}
	body = nb;
	if (p[body] == '\r')
		body++;
	if (p[body] != '\n') {
		snprintf(why, whylen, "text after '%s'", begin);
		return -1;
	}
	body++;
	body_end = n - ne;
	if (body >= body_end) {
		snprintf(why, whylen, "empty armor");
		return -1;
	}
	for (i = body; i < body_end; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n') {
			if (i + 5 < body_end && !memcmp(p + i + 1, "-----", 5)) {
				snprintf(why, whylen, "more than one armor block");
				return -1;
			}
			continue;
		}
		if (c == '\r' && p[i + 1] == '\n')
			continue;
		if (c < 0x20 || c > 0x7e) {
			snprintf(why, whylen, "byte 0x%02x at offset %zu is not armor text", c, i);
			return -1;
		}
	}
	if (!memcmp(p + body, "-----", 5)) {
		snprintf(why, whylen, "more than one armor block");
		return -1;
	}
	return packet_check(p + body, body_end - body, max, count, why, whylen);
}

int gpg_sig_precheck(const void *sig, size_t len, char *why, size_t whylen)
{
	size_t count;

	return armor_check(sig, len, 1, &count, why, whylen);
}

int gpg_sig_precheck_multi(const void *sig, size_t len, size_t max, size_t *n, char *why, size_t whylen)
{
	return armor_check(sig, len, max, n, why, whylen);
}

/* Errors from gpgme_op_verify that mean the file is not a usable signature. */
static int verify_err_is_malformed(gpgme_error_t gerr)
{
	switch (gpgme_err_code(gerr)) {
	case GPG_ERR_NO_DATA:
	case GPG_ERR_BAD_DATA:
	case GPG_ERR_INV_DATA:
	case GPG_ERR_INV_PACKET:
	case GPG_ERR_UNKNOWN_PACKET:
	case GPG_ERR_INV_ARMOR:
	case GPG_ERR_CHECKSUM:
	case GPG_ERR_BAD_MPI:
	case GPG_ERR_TRUNCATED:
	case GPG_ERR_UNEXPECTED:
	case GPG_ERR_NOT_PROCESSED:
	case GPG_ERR_SYNTAX:
		return 1;
	default:
		return 0;
	}
}

static void set_detail(struct sig_result *res, gpgme_error_t gerr)
{
	if (gpgme_strerror_r(gerr, res->detail, sizeof(res->detail)) != 0 && !res->detail[0])
		snprintf(res->detail, sizeof(res->detail), "error %u", (unsigned)gerr);
}

/*
 * Our own look at the key behind a good signature: GPGME's status already
 * says revoked or expired, but the verdict should not hang on one reading.
 * Fills the primary and uid in any case; may downgrade a GOOD status.
 */
static void check_signing_key(struct gpg *g, const char *sigfpr, struct sig_result *res)
{
	gpgme_key_t key = NULL;
	gpgme_subkey_t sub;
	gpgme_error_t gerr;
	int64_t now = (int64_t)time(NULL);

	if (!sigfpr || !*sigfpr)
		goto missing;
	gerr = gpgme_get_key(g->ctx, sigfpr, &key, 0);
	if (gerr || !key || !key->subkeys)
		goto missing;
	hex_upper(key->subkeys->fpr, res->primary_fpr, sizeof(res->primary_fpr));
	copy_text(key->uids ? key->uids->uid : NULL, res->uid, sizeof(res->uid));
	if (res->status != SIG_GOOD)
		goto out;
	for (sub = key->subkeys; sub; sub = sub->next)
		if (hex_eq(sub->fpr, sigfpr))
			break;
	if (!sub) {
		res->status = SIG_ERROR;
		snprintf(res->detail, sizeof(res->detail), "signing key %.40s is not part of key %s", sigfpr,
			 res->primary_fpr);
	} else if (key->revoked || key->subkeys->revoked || sub->revoked) {
		res->status = SIG_KEY_REVOKED;
	} else if (key->expired || key->subkeys->expired || sub->expired ||
		   (key->subkeys->expires > 0 && (int64_t)key->subkeys->expires <= now) ||
		   (sub->expires > 0 && (int64_t)sub->expires <= now)) {
		res->status = SIG_KEY_EXPIRED;
	} else if (res->expires > 0 && res->expires <= now) {
		res->status = SIG_EXPIRED;
	} else if (key->invalid || sub->invalid || key->disabled) {
		res->status = SIG_ERROR;
		snprintf(res->detail, sizeof(res->detail), "signing key is invalid or disabled");
	} else if (!sub->can_sign) {
		res->status = SIG_ERROR;
		snprintf(res->detail, sizeof(res->detail), "signing key is not a signing key");
	}
	goto out;
missing:
	if (res->status == SIG_GOOD) {
		res->status = SIG_ERROR;
		snprintf(res->detail, sizeof(res->detail), "signing key not found after a good signature");
	}
out:
	if (key)
		gpgme_key_unref(key);
}

/* What one GPGME signature says, in our terms, with our own look at its key. */
static void describe_signature(struct gpg *g, gpgme_signature_t s, struct sig_result *res)
{
	char sigfpr[FPR_LEN + 1];

	res->status = SIG_ERROR;
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		res->status = SIG_GOOD;
		break;
	case GPG_ERR_BAD_SIGNATURE:
		res->status = SIG_BAD;
		break;
	case GPG_ERR_NO_PUBKEY:
		res->status = SIG_UNKNOWN_KEY;
		break;
	case GPG_ERR_KEY_EXPIRED:
		res->status = SIG_KEY_EXPIRED;
		break;
	case GPG_ERR_CERT_REVOKED:
		res->status = SIG_KEY_REVOKED;
		break;
	case GPG_ERR_SIG_EXPIRED:
		res->status = SIG_EXPIRED;
		break;
	default:
		set_detail(res, s->status);
		break;
	}
	if (res->status == SIG_GOOD && s->wrong_key_usage) {
		res->status = SIG_ERROR;
		snprintf(res->detail, sizeof(res->detail), "signing key is not a signing key");
	}
	hex_upper(s->fpr, res->key_fpr, sizeof(res->key_fpr));
	res->time = (int64_t)s->timestamp;
	res->expires = (int64_t)s->exp_timestamp;
	/* the result is the context's: keep what the key lookup needs */
	hex_upper(s->fpr, sigfpr, sizeof(sigfpr));
	if (res->status != SIG_BAD && res->status != SIG_UNKNOWN_KEY)
		check_signing_key(g, sigfpr, res);
}

/*
 * gpgme_op_verify for the verifiers that report every signature: input gpg
 * cannot read as OpenPGP is a rejection ("malformed <what>"), anything else
 * an operational error.
 */
static int run_verify(struct gpg *g, gpgme_data_t sig, gpgme_data_t signed_text, gpgme_data_t plain,
		      const char *what, const char *which, struct err *e)
{
	gpgme_error_t gerr = gpgme_op_verify(g->ctx, sig, signed_text, plain);

	if (!gerr)
		return 0;
	if (verify_err_is_malformed(gerr))
		return err_reject(e, "malformed %s: %s", what, gpgme_strerror(gerr));
	return gpg_throw(e, gerr, "cannot verify %s", which);
}

/* Describe each signature of a verification result into res ("signature N"); at most max. */
static int describe_all(struct gpg *g, gpgme_signature_t s, struct sig_result *res, size_t max, size_t *n,
			struct err *e)
{
	for (; s; s = s->next) {
		if (*n == max)
			return err_reject(e, "more than %zu signatures", max);
		memset(&res[*n], 0, sizeof(res[*n]));
		snprintf(res[*n].file, sizeof(res[*n].file), "signature %zu", *n + 1);
		describe_signature(g, s, &res[*n]);
		(*n)++;
	}
	return 0;
}

int gpg_verify_detached(struct gpg *g, const void *sig, size_t siglen, const void *data, size_t len,
			struct sig_result *res, struct err *e)
{
	char file[sizeof(res->file)];
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_verify_result_t vr;
	gpgme_signature_t s;
	gpgme_error_t gerr;
	size_t nsig = 0, npkt;
	int r = 0;

	memcpy(file, res->file, sizeof(file));
	memset(res, 0, sizeof(*res));
	memcpy(res->file, file, sizeof(file));
	res->status = SIG_MALFORMED;

	if (!sig || armor_check(sig, siglen, 1, &npkt, res->detail, sizeof(res->detail)) < 0)
		return 0;
	gerr = data_from_mem(&sd, sig, siglen);
	if (!gerr)
		gerr = data_from_mem(&dd, data, len);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot prepare verification");
		goto out;
	}
	gerr = gpgme_op_verify(g->ctx, sd, dd, NULL);
	if (gerr) {
		if (verify_err_is_malformed(gerr)) {
			set_detail(res, gerr);
			goto out;
		}
		r = gpg_throw(e, gerr, "cannot verify '%.*s'", (int)sizeof(res->file), res->file);
		goto out;
	}
	vr = gpgme_op_verify_result(g->ctx);
	for (s = vr ? vr->signatures : NULL; s; s = s->next)
		nsig++;
	if (nsig != 1) {
		snprintf(res->detail, sizeof(res->detail), "holds %zu signatures, expected one", nsig);
		goto out;
	}
	describe_signature(g, vr->signatures, res);
out:
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	return r;
}

int gpg_verify_detached_multi(struct gpg *g, const void *sig, size_t siglen, const void *data, size_t len,
			      struct sig_result *res, size_t max, size_t *n, struct err *e)
{
	char why[sizeof(res->detail)];
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_verify_result_t vr;
	gpgme_signature_t s;
	gpgme_error_t gerr;
	size_t npkt = 0, nsig = 0;
	int last_bad = 0, r = 0;

	*n = 0;
	if (!sig)
		return err_reject(e, "no signature data");
	if (armor_check(sig, siglen, max, &npkt, why, sizeof(why)) < 0)
		return err_reject(e, "%s", why);
	gerr = data_from_mem(&sd, sig, siglen);
	if (!gerr)
		gerr = data_from_mem(&dd, data, len);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot prepare verification");
		goto out;
	}
	r = run_verify(g, sd, dd, NULL, "signature", "a detached signature", e);
	if (r)
		goto out;
	vr = gpgme_op_verify_result(g->ctx);
	for (s = vr ? vr->signatures : NULL; s; s = s->next) {
		nsig++;
		last_bad = gpgme_err_code(s->status) == GPG_ERR_BAD_SIGNATURE;
	}
	/*
	 * gpg reports one signature per packet, except that in batch mode (as
	 * GPGME runs it) it stops at the first bad one.  Any other count means
	 * it read the file differently from the pre-check, so neither reading is
	 * trusted.
	 */
	if (!nsig || nsig > npkt || (nsig < npkt && !last_bad)) {
		r = err_reject(e, "gpg reports %zu signatures in %zu signature packets", nsig, npkt);
		goto out;
	}
	/* the pre-check bounds npkt by max, so this never runs out of room */
	r = describe_all(g, vr->signatures, res, max, n, e);
out:
	if (r)
		*n = 0;
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	return r;
}

static size_t count_occurrences(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), c = 0;
	const char *q = p, *end = p + n;

	while ((q = memmem(q, (size_t)(end - q), needle, k)) != NULL) {
		c++;
		q += k;
	}
	return c;
}

#define CS_BEGIN "-----BEGIN PGP SIGNED MESSAGE-----\n"
#define CS_SIG "\n-----BEGIN PGP SIGNATURE-----\n"
#define CS_END "-----END PGP SIGNATURE-----"

int gpg_verify_clearsigned(struct gpg *g, const void *data, size_t len, struct buf *plaintext,
			   struct sig_result *res, size_t max, size_t *n, struct err *e)
{
	const char *p = data;
	gpgme_data_t sd = NULL, pd = NULL;
	gpgme_verify_result_t vr;
	gpgme_error_t gerr;
	size_t tail, endlen = strlen(CS_END);
	int r = 0;

	*n = 0;
	/*
	 * Exactly one cleartext-signed block and nothing around it: gpg would
	 * happily verify a signed block with unsigned text before or after it,
	 * and a second block could carry other text.  apt reads the same rule.
	 */
	if (!p || len < sizeof(CS_BEGIN) || memchr(p, '\0', len))
		return err_reject(e, "not a clearsigned text (empty or binary)");
	if (memcmp(p, CS_BEGIN, sizeof(CS_BEGIN) - 1))
		return err_reject(e, "text before the signed block, or not clearsigned");
	tail = len;
	if (p[tail - 1] == '\n')
		tail--;
	if (tail < endlen || memcmp(p + tail - endlen, CS_END, endlen))
		return err_reject(e, "text after the signature block");
	if (count_occurrences(p, len, "-----BEGIN PGP SIGNED MESSAGE-----") != 1 ||
	    count_occurrences(p, len, CS_SIG) != 1 || count_occurrences(p, len, CS_END) != 1 ||
	    count_occurrences(p, len, "-----BEGIN PGP") != 2)
		return err_reject(e, "more than one signed block or signature block");
	gerr = data_from_mem(&sd, data, len);
	if (!gerr)
		gerr = gpgme_data_new(&pd);
	if (gerr) {
		r = gpg_throw(e, gerr, "cannot prepare verification");
		goto out;
	}
	r = run_verify(g, sd, NULL, pd, "signed text", "a signed text", e);
	if (r)
		goto out;
	vr = gpgme_op_verify_result(g->ctx);
	r = describe_all(g, vr ? vr->signatures : NULL, res, max, n, e);
	/* only what GPGME says was signed is ever used */
	if (!r)
		r = data_to_buf(pd, plaintext, e);
out:
	gpgme_data_release(sd);
	gpgme_data_release(pd);
	return r;
}
