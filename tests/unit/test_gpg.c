/*
 * The GPGME wrapper against real keys: every key is generated here, in
 * GnuPG homes made under /tmp (short paths, so the agent's socket path fits)
 * and removed at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "verify/gpg.h"
#include "verify/policy.h"
#include "lib/banned.h"

static const char manifest[] = "airlock-manifest 1\nchannel stable\nsequence 7\n";

struct fix {
	char base[64];
	char home_a[96], home_b[96], home_c[96];
	struct gpg *a; /* alice and bob, and the keys that get expired and revoked */
	struct gpg *b; /* mallory, unknown to a */
	char alice[FPR_LEN + 1], bob[FPR_LEN + 1], mallory[FPR_LEN + 1];
};

static struct fix F;

static void sh(const char *fmt, ...) AL_PRINTF(1, 2);

/* Run a gpg command line for what GPGME has no call for (revocation, clearsign). */
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void read_file(const char *path, struct buf *b)
{
	struct err e;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		fail_msg("cannot open '%s'", path);
	err_clear(&e);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(b, chunk, n, &e), 0);
	fclose(f);
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void sign(struct gpg *g, const char *fpr, const void *p, size_t n, struct buf *sig)
{
	struct err e;

	err_clear(&e);
	buf_init(sig, 64 << 10);
	if (gpg_sign_detached(g, fpr, p, n, sig, &e))
		fail_msg("sign: %s", e.msg);
}

static void verify(struct gpg *g, const void *sig, size_t siglen, const void *p, size_t n,
		   struct sig_result *res)
{
	struct err e;

	err_clear(&e);
	memset(res, 0, sizeof(*res));
	snprintf(res->file, sizeof(res->file), "test.asc");
	if (gpg_verify_detached(g, sig, siglen, p, n, res, &e))
		fail_msg("verify: %s", e.msg);
	assert_string_equal(res->file, "test.asc");
}

static void generate(struct gpg *g, const char *name, const char *email, int64_t expires,
		     char fpr[FPR_LEN + 1])
{
	struct err e;

	err_clear(&e);
	if (gpg_key_generate(g, name, email, expires, fpr, &e))
		fail_msg("generate: %s", e.msg);
	assert_int_equal(strlen(fpr), FPR_LEN);
}

static int setup(void **state)
{
	struct err e;

	(void)state;
	snprintf(F.base, sizeof(F.base), "/tmp/algpg-XXXXXX");
	if (!mkdtemp(F.base))
		return -1;
	snprintf(F.home_a, sizeof(F.home_a), "%s/a", F.base);
	snprintf(F.home_b, sizeof(F.home_b), "%s/b", F.base);
	snprintf(F.home_c, sizeof(F.home_c), "%s/c", F.base);
	err_clear(&e);
	if (gpg_open(&F.a, F.home_a, &e) || gpg_open(&F.b, F.home_b, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	if (gpg_key_generate(F.a, "Alice Officer", "alice@example.org", 0, F.alice, &e) ||
	    gpg_key_generate(F.a, "Bob Officer", NULL, 0, F.bob, &e) ||
	    gpg_key_generate(F.b, "Mallory", "mallory@example.org", 0, F.mallory, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	/* closing stops each home's agent, so the folders can go */
	gpg_close(F.a);
	gpg_close(F.b);
	F.a = F.b = NULL;
	if (F.base[0] && nftw(F.base, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "teardown: cannot remove '%s'\n", F.base);
	return 0;
}

static void gpg_generates_distinct_signing_keys(void **state)
{
	struct gpg_keyinfo ki;
	struct err e;

	(void)state;
	assert_string_not_equal(F.alice, F.bob);
	err_clear(&e);
	assert_int_equal(gpg_key_info(F.a, F.alice, &ki, &e), 0);
	assert_string_equal(ki.fpr, F.alice);
	assert_string_equal(ki.uid, "Alice Officer <alice@example.org>");
	assert_int_equal(ki.expires, 0);
	assert_true(ki.created > 0);
	assert_true(ki.can_sign);
	assert_true(ki.has_secret);
	assert_false(ki.revoked);
	assert_false(ki.expired);
	assert_int_equal(gpg_key_info(F.a, F.bob, &ki, &e), 0);
	assert_string_equal(ki.uid, "Bob Officer");
}

static void gpg_verifies_good_signature(void **state)
{
	struct sig_result res;
	struct buf sig;

	(void)state;
	sign(F.a, F.alice, manifest, sizeof(manifest) - 1, &sig);
	assert_non_null(strstr(buf_str(&sig), "-----BEGIN PGP SIGNATURE-----"));
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_GOOD);
	assert_string_equal(res.key_fpr, F.alice);
	assert_string_equal(res.primary_fpr, F.alice);
	assert_string_equal(res.uid, "Alice Officer <alice@example.org>");
	assert_true(res.time > 0);
	assert_int_equal(res.expires, 0);
	buf_release(&sig);
}

static void gpg_accepts_signature_without_trailing_newline(void **state)
{
	struct sig_result res;
	struct buf sig;

	(void)state;
	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &sig);
	assert_true(sig.len > 0 && sig.ptr[sig.len - 1] == '\n');
	verify(F.a, sig.ptr, sig.len - 1, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_GOOD);
	assert_string_equal(res.primary_fpr, F.bob);
	buf_release(&sig);
}

static void gpg_reports_bad_signature_on_flipped_byte(void **state)
{
	char data[sizeof(manifest)];
	struct sig_result res;
	struct buf sig;

	(void)state;
	sign(F.a, F.alice, manifest, sizeof(manifest) - 1, &sig);
	memcpy(data, manifest, sizeof(data));
	data[20] ^= 0x01;
	verify(F.a, sig.ptr, sig.len, data, sizeof(data) - 1, &res);
	assert_int_equal(res.status, SIG_BAD);
	buf_release(&sig);
}

static void gpg_reports_unknown_key(void **state)
{
	struct sig_result res;
	struct buf sig;

	(void)state;
	sign(F.b, F.mallory, manifest, sizeof(manifest) - 1, &sig);
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_UNKNOWN_KEY);
	/* modern signatures carry the issuer fingerprint; older ones only the key id */
	assert_true(strlen(res.key_fpr) >= 16);
	assert_non_null(strstr(F.mallory, res.key_fpr));
	assert_string_equal(res.primary_fpr, "");
	buf_release(&sig);
}

static void gpg_reports_expired_key(void **state)
{
	char fpr[FPR_LEN + 1];
	struct sig_result res;
	struct buf sig;

	(void)state;
	/* two seconds rather than one: the key must still be valid to sign */
	generate(F.a, "Short Lived", NULL, 2, fpr);
	sign(F.a, fpr, manifest, sizeof(manifest) - 1, &sig);
	sleep(3);
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_KEY_EXPIRED);
	assert_string_equal(res.primary_fpr, fpr);
	buf_release(&sig);
}

static void gpg_reports_revoked_key(void **state)
{
	char fpr[FPR_LEN + 1], path[256], got[4][FPR_LEN + 1];
	struct gpg_keyinfo ki;
	struct sig_result res;
	struct buf sig, rev;
	struct err e;
	char *colon;
	size_t n;

	(void)state;
	generate(F.a, "Soon Revoked", NULL, 0, fpr);
	sign(F.a, fpr, manifest, sizeof(manifest) - 1, &sig);

	/* gpg writes a revocation certificate per key, its armor line disarmed by a ':' */
	snprintf(path, sizeof(path), "%s/openpgp-revocs.d/%s.rev", F.home_a, fpr);
	buf_init(&rev, 1 << 20);
	read_file(path, &rev);
	colon = strstr(rev.ptr, ":-----BEGIN PGP PUBLIC KEY BLOCK-----");
	assert_non_null(colon);
	*colon = ' ';
	err_clear(&e);
	if (gpg_key_import(F.a, colon + 1, rev.len - (size_t)(colon + 1 - rev.ptr), got, 4, &n, &e))
		fail_msg("import revocation: %s", e.msg);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], fpr);
	assert_int_equal(gpg_key_info(F.a, fpr, &ki, &e), 0);
	assert_true(ki.revoked);

	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_KEY_REVOKED);
	assert_string_equal(res.primary_fpr, fpr);
	buf_release(&sig);
	buf_release(&rev);
}

static void expect_malformed(const char *sig, size_t len)
{
	struct sig_result res;

	verify(F.a, sig, len, manifest, sizeof(manifest) - 1, &res);
	if (res.status != SIG_MALFORMED)
		fail_msg("status %s, expected malformed", sig_status_name(res.status));
	assert_true(res.detail[0] != '\0');
}

static void gpg_rejects_garbage_as_malformed(void **state)
{
	static const char garbage[] = "this is not a signature\n";
	static const char empty_armor[] = "-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n";
	static const char junk_armor[] =
	    "-----BEGIN PGP SIGNATURE-----\n\naGVsbG8gd29ybGQK\n=AAAA\n-----END PGP SIGNATURE-----\n";

	(void)state;
	expect_malformed(garbage, sizeof(garbage) - 1);
	expect_malformed("", 0);
	expect_malformed(empty_armor, sizeof(empty_armor) - 1);
	expect_malformed(junk_armor, sizeof(junk_armor) - 1);
}

static void gpg_rejects_bytes_around_the_armor(void **state)
{
	struct buf sig, t;
	struct err e;

	(void)state;
	err_clear(&e);
	sign(F.a, F.alice, manifest, sizeof(manifest) - 1, &sig);
	buf_init(&t, 1 << 20);

	assert_int_equal(buf_adds(&t, " ", &e), 0); /* before */
	assert_int_equal(buf_add(&t, sig.ptr, sig.len, &e), 0);
	expect_malformed(t.ptr, t.len);

	buf_reset(&t); /* after */
	assert_int_equal(buf_add(&t, sig.ptr, sig.len, &e), 0);
	assert_int_equal(buf_adds(&t, "x", &e), 0);
	expect_malformed(t.ptr, t.len);

	buf_reset(&t); /* two trailing newlines */
	assert_int_equal(buf_add(&t, sig.ptr, sig.len, &e), 0);
	assert_int_equal(buf_adds(&t, "\n", &e), 0);
	expect_malformed(t.ptr, t.len);

	buf_reset(&t); /* a NUL inside */
	assert_int_equal(buf_add(&t, sig.ptr, sig.len, &e), 0);
	t.ptr[40] = '\0';
	expect_malformed(t.ptr, t.len);

	buf_reset(&t); /* over 64 KiB */
	assert_int_equal(buf_add(&t, sig.ptr, sig.len, &e), 0);
	while (t.len <= (64 << 10))
		assert_int_equal(buf_adds(&t, "\n", &e), 0);
	expect_malformed(t.ptr, t.len);

	buf_release(&t);
	buf_release(&sig);
}

/* A public key block relabelled as a signature, and a signature missing its blank line. */
static void gpg_rejects_armor_holding_other_packets(void **state)
{
	struct buf pub, sig, t;
	struct err e;
	char *p;

	(void)state;
	err_clear(&e);
	buf_init(&pub, 1 << 20);
	buf_init(&t, 1 << 20);
	assert_int_equal(gpg_key_export(F.a, F.bob, &pub, &e), 0);
	p = strstr(pub.ptr, "\n\n");
	assert_non_null(p);
	assert_int_equal(buf_adds(&t, "-----BEGIN PGP SIGNATURE-----", &e), 0);
	assert_int_equal(buf_add(&t, p, (size_t)(strstr(pub.ptr, "-----END") - p), &e), 0);
	assert_int_equal(buf_adds(&t, "-----END PGP SIGNATURE-----\n", &e), 0);
	expect_malformed(t.ptr, t.len);

	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &sig);
	p = strstr(sig.ptr, "\n\n");
	assert_non_null(p);
	buf_reset(&t);
	assert_int_equal(buf_add(&t, sig.ptr, (size_t)(p - sig.ptr), &e), 0);
	assert_int_equal(buf_adds(&t, p + 1, &e), 0);
	expect_malformed(t.ptr, t.len);
	buf_release(&pub);
	buf_release(&sig);
	buf_release(&t);
}

/* One base64 digit changed inside the signature: gpg's armor checksum catches it. */
static void gpg_rejects_armor_with_bad_checksum(void **state)
{
	struct buf sig;
	char *q;

	(void)state;
	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &sig);
	q = strstr(sig.ptr, "\n\n");
	assert_non_null(q);
	q += 2 + 30;
	*q = *q == 'A' ? 'B' : 'A';
	expect_malformed(sig.ptr, sig.len);
	buf_release(&sig);
}

static void gpg_rejects_two_concatenated_signatures(void **state)
{
	struct buf s1, s2, both;
	struct err e;

	(void)state;
	err_clear(&e);
	sign(F.a, F.alice, manifest, sizeof(manifest) - 1, &s1);
	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &s2);
	buf_init(&both, 1 << 20);
	assert_int_equal(buf_add(&both, s1.ptr, s1.len, &e), 0);
	assert_int_equal(buf_add(&both, s2.ptr, s2.len, &e), 0);
	expect_malformed(both.ptr, both.len);
	buf_release(&s1);
	buf_release(&s2);
	buf_release(&both);
}

/* One armor block holding two signature packets, as `gpg -u A -u B --detach-sign` makes. */
static void gpg_rejects_one_block_with_two_signatures(void **state)
{
	char data[256], out[256];
	struct sig_result res;
	struct buf sig;

	(void)state;
	snprintf(data, sizeof(data), "%s/two.txt", F.base);
	snprintf(out, sizeof(out), "%s/two.asc", F.base);
	write_file(data, manifest, sizeof(manifest) - 1);
	sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' "
	   "-u %s -u %s --armor --output %s --detach-sign %s",
	   F.home_a, F.alice, F.bob, out, data);
	buf_init(&sig, 1 << 20);
	read_file(out, &sig);
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_MALFORMED);
	assert_non_null(strstr(res.detail, "2 signature packets, expected one"));
	buf_release(&sig);
}

/*
 * A text-mode signature verifies over the manifest with its line endings
 * changed: the bytes signed would not be the bytes read, so it is refused.
 */
static void gpg_rejects_text_mode_signature(void **state)
{
	char data[256], out[256];
	struct sig_result res;
	struct buf sig;

	(void)state;
	snprintf(data, sizeof(data), "%s/text.txt", F.base);
	snprintf(out, sizeof(out), "%s/text.asc", F.base);
	write_file(data, manifest, sizeof(manifest) - 1);
	sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' "
	   "-u %s --textmode --armor --output %s --detach-sign %s",
	   F.home_a, F.bob, out, data);
	buf_init(&sig, 1 << 20);
	read_file(out, &sig);
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_MALFORMED);
	assert_non_null(strstr(res.detail, "type 0x01"));
	buf_release(&sig);
}

/* A binary signature does not survive the same change of line endings. */
static void gpg_reports_bad_signature_on_changed_line_endings(void **state)
{
	static const char crlf[] = "airlock-manifest 1\r\nchannel stable\r\nsequence 7\r\n";
	struct sig_result res;
	struct buf sig;

	(void)state;
	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &sig);
	verify(F.a, sig.ptr, sig.len, crlf, sizeof(crlf) - 1, &res);
	assert_int_equal(res.status, SIG_BAD);
	buf_release(&sig);
}

static void gpg_rejects_clearsigned_message(void **state)
{
	char data[256], out[256];
	struct buf sig;

	(void)state;
	snprintf(data, sizeof(data), "%s/clear.txt", F.base);
	snprintf(out, sizeof(out), "%s/clear.asc", F.base);
	write_file(data, manifest, sizeof(manifest) - 1);
	sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' "
	   "-u %s --output %s --clearsign %s",
	   F.home_a, F.alice, out, data);
	buf_init(&sig, 1 << 20);
	read_file(out, &sig);
	assert_non_null(strstr(sig.ptr, "-----BEGIN PGP SIGNED MESSAGE-----"));
	expect_malformed(sig.ptr, sig.len);
	buf_release(&sig);
}

static void gpg_maps_signing_subkey_to_its_primary(void **state)
{
	char data[256], out[256], sub[FPR_LEN + 1] = "";
	struct sig_result res;
	struct buf sig, list;
	char *p;

	(void)state;
	snprintf(data, sizeof(data), "%s/sub.txt", F.base);
	snprintf(out, sizeof(out), "%s/sub.asc", F.base);
	write_file(data, manifest, sizeof(manifest) - 1);
	sh("gpg --homedir %s --batch --quiet --pinentry-mode loopback --passphrase '' "
	   "--quick-add-key %s ed25519 sign never",
	   F.home_a, F.alice);
	snprintf(out, sizeof(out), "%s/sub.list", F.base);
	sh("gpg --homedir %s --batch --with-colons --list-keys %s > %s", F.home_a, F.alice, out);
	buf_init(&list, 1 << 20);
	read_file(out, &list);
	/* the fpr record after the "sub" record is the subkey's */
	p = strstr(list.ptr, "\nsub:");
	assert_non_null(p);
	p = strstr(p, "\nfpr:::::::::");
	assert_non_null(p);
	memcpy(sub, p + 13, FPR_LEN);
	sub[FPR_LEN] = '\0';
	snprintf(out, sizeof(out), "%s/sub.asc", F.base);
	sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' "
	   "-u %s! --armor --output %s --detach-sign %s",
	   F.home_a, sub, out, data);
	buf_init(&sig, 1 << 20);
	read_file(out, &sig);
	verify(F.a, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_GOOD);
	assert_string_equal(res.key_fpr, sub);
	assert_string_equal(res.primary_fpr, F.alice);
	buf_release(&sig);
	buf_release(&list);
}

static void gpg_round_trips_export_import(void **state)
{
	char got[4][FPR_LEN + 1];
	struct gpg *c = NULL;
	struct gpg_keyinfo ki;
	struct sig_result res;
	struct buf pub, sig;
	struct err e;
	size_t n;

	(void)state;
	err_clear(&e);
	buf_init(&pub, 1 << 20);
	assert_int_equal(gpg_key_export(F.a, F.bob, &pub, &e), 0);
	assert_non_null(strstr(buf_str(&pub), "-----BEGIN PGP PUBLIC KEY BLOCK-----"));
	assert_null(strstr(buf_str(&pub), "PRIVATE"));

	if (gpg_open(&c, F.home_c, &e))
		fail_msg("open: %s", e.msg);
	if (gpg_key_import(c, pub.ptr, pub.len, got, 4, &n, &e))
		fail_msg("import: %s", e.msg);
	assert_int_equal(n, 1);
	assert_string_equal(got[0], F.bob);
	assert_int_equal(gpg_key_info(c, F.bob, &ki, &e), 0);
	assert_false(ki.has_secret);
	assert_string_equal(ki.uid, "Bob Officer");

	/* importing again reports the same key */
	assert_int_equal(gpg_key_import(c, pub.ptr, pub.len, got, 4, &n, &e), 0);
	assert_int_equal(n, 1);

	sign(F.a, F.bob, manifest, sizeof(manifest) - 1, &sig);
	verify(c, sig.ptr, sig.len, manifest, sizeof(manifest) - 1, &res);
	assert_int_equal(res.status, SIG_GOOD);
	assert_string_equal(res.primary_fpr, F.bob);
	gpg_close(c);
	buf_release(&pub);
	buf_release(&sig);
}

static int count_key(const struct gpg_keyinfo *ki, void *arg)
{
	(void)ki;
	(*(int *)arg)++;
	return 0;
}

static void gpg_refuses_secret_key_import(void **state)
{
	char path[256], got[4][FPR_LEN + 1];
	struct gpg *c = NULL;
	struct buf sec;
	struct err e;
	size_t n = 99;
	int nsecret = 0, armor;

	(void)state;
	err_clear(&e);
	if (gpg_open(&c, F.home_c, &e))
		fail_msg("open: %s", e.msg);
	for (armor = 1; armor >= 0; armor--) {
		snprintf(path, sizeof(path), "%s/secret.%s", F.base, armor ? "asc" : "gpg");
		sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' %s "
		   "--output %s --export-secret-keys %s",
		   F.home_a, armor ? "--armor" : "", path, F.alice);
		buf_init(&sec, 1 << 20);
		read_file(path, &sec);
		err_clear(&e);
		assert_int_equal(gpg_key_import(c, sec.ptr, sec.len, got, 4, &n, &e), -AE_FORMAT);
		assert_int_equal(n, 0);
		assert_non_null(strstr(e.msg, "secret key"));
		buf_release(&sec);
	}
	/* a public key first hides the secret one from a look at the first packet */
	snprintf(path, sizeof(path), "%s/pub-then-secret.gpg", F.base);
	sh("gpg --homedir %s --batch --quiet --export %s > %s && "
	   "gpg --homedir %s --batch --quiet --pinentry-mode loopback --passphrase '' --export-secret-keys "
	   "%s >> %s",
	   F.home_a, F.bob, path, F.home_a, F.bob, path);
	buf_init(&sec, 1 << 20);
	read_file(path, &sec);
	err_clear(&e);
	assert_int_equal(gpg_key_import(c, sec.ptr, sec.len, got, 4, &n, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "secret key"));
	buf_release(&sec);

	err_clear(&e);
	assert_int_equal(gpg_key_list(c, 1, count_key, &nsecret, &e), 0);
	assert_int_equal(nsecret, 0);
	gpg_close(c);
}

static void gpg_refuses_import_of_no_key(void **state)
{
	static const char text[] = "no key here\n";
	char got[4][FPR_LEN + 1];
	struct err e;
	size_t n;

	(void)state;
	err_clear(&e);
	assert_true(gpg_key_import(F.a, text, sizeof(text) - 1, got, 4, &n, &e) < 0);
	assert_int_equal(n, 0);
	err_clear(&e);
	assert_int_equal(gpg_key_import(F.a, "", 0, got, 4, &n, &e), -AE_FORMAT);
}

static void gpg_lists_secret_keys(void **state)
{
	struct err e;
	int nsecret = 0, nall = 0;

	(void)state;
	err_clear(&e);
	assert_int_equal(gpg_key_list(F.a, 1, count_key, &nsecret, &e), 0);
	assert_true(nsecret >= 2);
	assert_int_equal(gpg_key_list(F.b, 1, count_key, &nall, &e), 0);
	assert_int_equal(nall, 1);
}

static void gpg_reports_missing_and_invalid_keys(void **state)
{
	struct gpg_keyinfo ki;
	struct buf out, sig;
	struct err e;

	(void)state;
	buf_init(&out, 1 << 20);
	buf_init(&sig, 1 << 20);
	err_clear(&e);
	assert_int_equal(gpg_key_export(F.a, F.mallory, &out, &e), -AE_NOTFOUND);
	assert_int_equal(out.len, 0);
	err_clear(&e);
	assert_int_equal(gpg_key_info(F.a, "Alice", &ki, &e), -AE_USAGE);
	err_clear(&e);
	assert_int_equal(gpg_sign_detached(F.a, F.mallory, "x", 1, &sig, &e), -AE_NOTFOUND);
	err_clear(&e);
	assert_int_equal(gpg_key_generate(F.a, "Eve <x>", NULL, 0, (char[FPR_LEN + 1]){0}, &e), -AE_USAGE);
	buf_release(&out);
	buf_release(&sig);
}

/* What an apt archive signs with Release.gpg: the Release file, byte for byte. */
static const char release[] = "Origin: Airlock\n"
			      "Label: Airlock\n"
			      "Suite: stable\n"
			      "Codename: stable\n"
			      "Date: Sun, 22 Nov 2026 00:00:00 UTC\n"
			      "Architectures: amd64\n"
			      "Components: main\n"
			      "SHA256:\n"
			      " e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 "
			      "main/binary-amd64/Packages\n";

/* A detached armored signature over release by every key in signers (" -u A -u B"), made by gpg itself. */
static void sign_release(const char *home, const char *signers, const char *opts, const char *name,
			 struct buf *sig)
{
	char data[256], out[256];

	snprintf(data, sizeof(data), "%s/%s.txt", F.base, name);
	snprintf(out, sizeof(out), "%s/%s.asc", F.base, name);
	write_file(data, release, sizeof(release) - 1);
	sh("gpg --homedir %s --batch --quiet --yes --pinentry-mode loopback --passphrase '' "
	   "%s %s --armor --output %s --detach-sign %s",
	   home, signers, opts, out, data);
	buf_init(sig, 1 << 20);
	read_file(out, sig);
}

/* gpg_verify_detached_multi with room for max results; e says why when it refuses. */
static int verify_multi(struct gpg *g, const void *sig, size_t siglen, const void *p, size_t len,
			struct sig_result *res, size_t max, size_t *n, struct err *e)
{
	int r;

	err_clear(e);
	memset(res, 0x5a, max * sizeof(*res));
	*n = 99;
	r = gpg_verify_detached_multi(g, sig, siglen, p, len, res, max, n, e);
	if (r && r != -AE_REJECT)
		fail_msg("verify multi: %s", e->msg);
	if (r)
		assert_int_equal(*n, 0);
	else
		assert_true(*n >= 1 && *n <= max);
	return r;
}

static void expect_multi_refused(const char *sig, size_t len, const char *why)
{
	struct sig_result res[4];
	struct err e;
	size_t n;

	assert_int_equal(verify_multi(F.a, sig, len, release, sizeof(release) - 1, res, 4, &n, &e),
			 -AE_REJECT);
	if (!strstr(e.msg, why))
		fail_msg("refused with '%s', expected '%s'", e.msg, why);
}

/* An apt Release.gpg signed by two archive keys: one armor block, two packets. */
static void gpg_multi_verifies_two_signatures_in_one_block(void **state)
{
	char signers[128], why[160];
	struct sig_result res[4], one;
	struct buf sig;
	struct err e;
	size_t n, i;
	int seen_alice = 0, seen_bob = 0;

	(void)state;
	snprintf(signers, sizeof(signers), "-u %s -u %s", F.alice, F.bob);
	sign_release(F.home_a, signers, "", "release-two", &sig);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 4, &n, &e),
			 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		char file[32];

		snprintf(file, sizeof(file), "signature %zu", i + 1);
		assert_string_equal(res[i].file, file);
		assert_int_equal(res[i].status, SIG_GOOD);
		assert_true(res[i].time > 0);
		seen_alice += !strcmp(res[i].primary_fpr, F.alice);
		seen_bob += !strcmp(res[i].primary_fpr, F.bob);
	}
	assert_int_equal(seen_alice, 1);
	assert_int_equal(seen_bob, 1);

	/* exactly as many as there is room for is fine; one fewer is refused before gpg runs */
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 2, &n, &e),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 1, &n, &e),
			 -AE_REJECT);
	assert_non_null(strstr(e.msg, "2 signature packets, expected one"));

	/* the single-signature call still refuses the same file */
	memset(&one, 0, sizeof(one));
	snprintf(one.file, sizeof(one.file), "Release.gpg");
	err_clear(&e);
	assert_int_equal(gpg_verify_detached(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, &one, &e),
			 0);
	assert_int_equal(one.status, SIG_MALFORMED);
	assert_string_equal(one.file, "Release.gpg");
	assert_non_null(strstr(one.detail, "2 signature packets, expected one"));
	assert_int_equal(gpg_sig_precheck(sig.ptr, sig.len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "2 signature packets, expected one"));

	/* CRLF line endings are armor's business, not the signed bytes': still two good */
	{
		struct buf crlf;
		size_t k;

		buf_init(&crlf, 1 << 20);
		for (k = 0; k < sig.len; k++) {
			if (sig.ptr[k] == '\n')
				assert_int_equal(buf_add(&crlf, "\r", 1, &e), 0);
			assert_int_equal(buf_add(&crlf, sig.ptr + k, 1, &e), 0);
		}
		assert_int_equal(
		    verify_multi(F.a, crlf.ptr, crlf.len, release, sizeof(release) - 1, res, 4, &n, &e), 0);
		assert_int_equal(n, 2);
		assert_int_equal(res[0].status, SIG_GOOD);
		assert_int_equal(res[1].status, SIG_GOOD);
		buf_release(&crlf);
	}
	buf_release(&sig);
}

/* A one-signature file passes the multi check too, and reads the same as the single call. */
static void gpg_multi_accepts_one_signature(void **state)
{
	struct sig_result res[4];
	struct buf sig;
	struct err e;
	size_t n;

	(void)state;
	sign(F.a, F.bob, release, sizeof(release) - 1, &sig);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 1, &n, &e),
			 0);
	assert_int_equal(n, 1);
	assert_string_equal(res[0].file, "signature 1");
	assert_int_equal(res[0].status, SIG_GOOD);
	assert_string_equal(res[0].primary_fpr, F.bob);
	assert_string_equal(res[0].uid, "Bob Officer");
	buf_release(&sig);
}

/* A text-mode signature among several is refused like a lone one, before gpg runs. */
static void gpg_multi_rejects_text_mode_signatures(void **state)
{
	char signers[128];
	struct buf sig;

	(void)state;
	snprintf(signers, sizeof(signers), "-u %s -u %s", F.alice, F.bob);
	sign_release(F.home_a, signers, "--textmode", "release-text", &sig);
	expect_multi_refused(sig.ptr, sig.len, "type 0x01");
	buf_release(&sig);
}

static void gpg_multi_reports_bad_signatures_on_changed_data(void **state)
{
	char signers[128], data[sizeof(release)];
	struct sig_result res[4];
	struct buf sig;
	struct err e;
	size_t n, i;

	(void)state;
	snprintf(signers, sizeof(signers), "-u %s -u %s", F.alice, F.bob);
	sign_release(F.home_a, signers, "", "release-bad", &sig);
	memcpy(data, release, sizeof(data));
	data[sizeof("Origin: Air")] ^= 0x01;
	/* gpg in batch mode stops at the first bad signature, so one or two are reported, all bad */
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, data, sizeof(data) - 1, res, 4, &n, &e), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(res[i].status, SIG_BAD);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, "", 0, res, 4, &n, &e), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(res[i].status, SIG_BAD);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 2, res, 4, &n, &e),
			 0);
	for (i = 0; i < n; i++)
		assert_int_equal(res[i].status, SIG_BAD);
	buf_release(&sig);
}

/*
 * Mallory's key is not in a's home: alone he is an unknown key, and ahead of
 * Alice in one block he does not hide her good signature (policy decides).
 */
static void gpg_multi_reports_unknown_key(void **state)
{
	char home_d[128], signers[128];
	struct sig_result res[4];
	struct buf sig;
	struct err e;
	size_t n, i;
	int good = 0, unknown = 0;

	(void)state;
	snprintf(signers, sizeof(signers), "-u %s", F.mallory);
	sign_release(F.home_b, signers, "", "release-mallory", &sig);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 4, &n, &e),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(res[0].status, SIG_UNKNOWN_KEY);
	assert_non_null(strstr(F.mallory, res[0].key_fpr));
	assert_string_equal(res[0].primary_fpr, "");
	buf_release(&sig);

	/* a signing home that holds both secret keys, so that gpg puts both in one block */
	snprintf(home_d, sizeof(home_d), "%s/d", F.base);
	sh("mkdir -m 700 %s && "
	   "gpg --homedir %s --batch --quiet --pinentry-mode loopback --passphrase '' "
	   "--export-secret-keys %s | gpg --homedir %s --batch --quiet --import && "
	   "gpg --homedir %s --batch --quiet --pinentry-mode loopback --passphrase '' "
	   "--export-secret-keys %s | gpg --homedir %s --batch --quiet --import",
	   home_d, F.home_a, F.alice, home_d, F.home_b, F.mallory, home_d);
	snprintf(signers, sizeof(signers), "-u %s -u %s!", F.mallory, F.alice);
	sign_release(home_d, signers, "", "release-mixed", &sig);
	sh("gpgconf --homedir %s --kill gpg-agent", home_d);
	assert_int_equal(verify_multi(F.a, sig.ptr, sig.len, release, sizeof(release) - 1, res, 4, &n, &e),
			 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		if (res[i].status == SIG_GOOD && !strcmp(res[i].primary_fpr, F.alice))
			good++;
		if (res[i].status == SIG_UNKNOWN_KEY && strstr(F.mallory, res[i].key_fpr))
			unknown++;
	}
	assert_int_equal(good, 1);
	assert_int_equal(unknown, 1);
	buf_release(&sig);
}

static void gpg_multi_rejects_garbage_and_second_blocks(void **state)
{
	static const char junk_armor[] =
	    "-----BEGIN PGP SIGNATURE-----\n\naGVsbG8gd29ybGQK\n=AAAA\n-----END PGP SIGNATURE-----\n";
	struct sig_result res[4];
	struct buf s1, s2, t, pub;
	struct err e;
	size_t n;
	char *p;

	(void)state;
	err_clear(&e);
	expect_multi_refused("this is not a signature\n", 24, "does not start with");
	expect_multi_refused("", 0, "does not start with");
	expect_multi_refused(junk_armor, sizeof(junk_armor) - 1, "no OpenPGP packet");
	assert_int_equal(verify_multi(F.a, NULL, 0, release, sizeof(release) - 1, res, 4, &n, &e),
			 -AE_REJECT);

	/* two armor blocks, one after the other: each alone is fine */
	sign(F.a, F.alice, release, sizeof(release) - 1, &s1);
	sign(F.a, F.bob, release, sizeof(release) - 1, &s2);
	buf_init(&t, 1 << 20);
	assert_int_equal(buf_add(&t, s1.ptr, s1.len, &e), 0);
	assert_int_equal(buf_add(&t, s2.ptr, s2.len, &e), 0);
	expect_multi_refused(t.ptr, t.len, "more than one armor block");

	/* text after the block */
	buf_reset(&t);
	assert_int_equal(buf_add(&t, s1.ptr, s1.len, &e), 0);
	assert_int_equal(buf_adds(&t, "x", &e), 0);
	expect_multi_refused(t.ptr, t.len, "does not end with");

	/* a public key block relabelled as a signature */
	buf_init(&pub, 1 << 20);
	assert_int_equal(gpg_key_export(F.a, F.bob, &pub, &e), 0);
	p = strstr(pub.ptr, "\n\n");
	assert_non_null(p);
	buf_reset(&t);
	assert_int_equal(buf_adds(&t, "-----BEGIN PGP SIGNATURE-----", &e), 0);
	assert_int_equal(buf_add(&t, p, (size_t)(strstr(pub.ptr, "-----END") - p), &e), 0);
	assert_int_equal(buf_adds(&t, "-----END PGP SIGNATURE-----\n", &e), 0);
	expect_multi_refused(t.ptr, t.len, "not a signature");

	/* one base64 digit changed: the pre-check may pass it, gpg's checksum does not */
	buf_reset(&t);
	assert_int_equal(buf_add(&t, s1.ptr, s1.len, &e), 0);
	p = strstr(t.ptr, "\n\n");
	assert_non_null(p);
	p += 2 + 30;
	*p = *p == 'A' ? 'B' : 'A';
	expect_multi_refused(t.ptr, t.len, "");
	buf_release(&s1);
	buf_release(&s2);
	buf_release(&t);
	buf_release(&pub);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gpg_generates_distinct_signing_keys),
	    cmocka_unit_test(gpg_verifies_good_signature),
	    cmocka_unit_test(gpg_accepts_signature_without_trailing_newline),
	    cmocka_unit_test(gpg_reports_bad_signature_on_flipped_byte),
	    cmocka_unit_test(gpg_reports_unknown_key),
	    cmocka_unit_test(gpg_reports_expired_key),
	    cmocka_unit_test(gpg_reports_revoked_key),
	    cmocka_unit_test(gpg_rejects_garbage_as_malformed),
	    cmocka_unit_test(gpg_rejects_bytes_around_the_armor),
	    cmocka_unit_test(gpg_rejects_armor_holding_other_packets),
	    cmocka_unit_test(gpg_rejects_armor_with_bad_checksum),
	    cmocka_unit_test(gpg_rejects_two_concatenated_signatures),
	    cmocka_unit_test(gpg_rejects_one_block_with_two_signatures),
	    cmocka_unit_test(gpg_rejects_text_mode_signature),
	    cmocka_unit_test(gpg_reports_bad_signature_on_changed_line_endings),
	    cmocka_unit_test(gpg_rejects_clearsigned_message),
	    cmocka_unit_test(gpg_maps_signing_subkey_to_its_primary),
	    cmocka_unit_test(gpg_round_trips_export_import),
	    cmocka_unit_test(gpg_refuses_secret_key_import),
	    cmocka_unit_test(gpg_refuses_import_of_no_key),
	    cmocka_unit_test(gpg_lists_secret_keys),
	    cmocka_unit_test(gpg_reports_missing_and_invalid_keys),
	    cmocka_unit_test(gpg_multi_verifies_two_signatures_in_one_block),
	    cmocka_unit_test(gpg_multi_accepts_one_signature),
	    cmocka_unit_test(gpg_multi_rejects_text_mode_signatures),
	    cmocka_unit_test(gpg_multi_reports_bad_signatures_on_changed_data),
	    cmocka_unit_test(gpg_multi_reports_unknown_key),
	    cmocka_unit_test(gpg_multi_rejects_garbage_and_second_blocks),
	};

	return cmocka_run_group_tests_name("gpg", tests, setup, teardown);
}
