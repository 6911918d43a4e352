/*
 * The real-world signature and format path: Debian's own bookworm-updates
 * InRelease, index and one .deb (tests/fixtures/debian/), verified by our
 * code with the Debian archive keyring, the freshness checks run against a
 * fixed reference time so the test does not age.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporter/apt_fetch.h"
#include "lib/fs.h"
#include "lib/util.h"
#include "verify/apt_index.h"
#include "verify/decompress.h"
#include "verify/deb822.h"
#include "verify/gpg.h"
#include "verify/policy.h"

#define FIX "tests/fixtures/debian/"
#define INREL FIX "dists/bookworm-updates/InRelease"
#define INDEX_REL "main/binary-amd64/Packages.xz"
#define INDEX FIX "dists/bookworm-updates/" INDEX_REL
#define DEB_PATH "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb"

struct fx {
	struct buf home, in, plain;
	struct gpg *g;
	char fprs[64][FPR_LEN + 1];
	size_t nfprs;
	struct sig_result sigs[POLICY_MAX_SIGS];
	size_t nsigs;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct err e = { 0 };
	struct buf keys;

	buf_init(&f->home, 4096);
	buf_init(&f->in, (size_t)1 << 20);
	buf_init(&f->plain, (size_t)1 << 20);
	buf_init(&keys, (size_t)1 << 20);
	if (fs_mkdtemp("/tmp", "al-apt-", &f->home, &e) || gpg_open(&f->g, f->home.ptr, &e) ||
	    fs_read_file(FIX "debian-archive-keyring.gpg", &keys, &e) ||
	    gpg_key_import(f->g, keys.ptr, keys.len, f->fprs, 64, &f->nfprs, &e) || fs_read_file(INREL, &f->in, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	buf_release(&keys);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct err e = { 0 };

	gpg_close(f->g);
	if (fs_rm_rf(f->home.ptr, &e))
		fprintf(stderr, "%s\n", e.msg);
	buf_release(&f->home);
	buf_release(&f->in);
	buf_release(&f->plain);
	free(f);
	return 0;
}

static void verify(struct fx *f, const char *text, size_t len, int want_ok)
{
	struct policy p = { (const char(*)[FPR_LEN + 1])f->fprs, f->nfprs, 1 };
	struct err e = { 0 };
	int r;

	buf_reset(&f->plain);
	r = gpg_verify_clearsigned(f->g, text, len, &f->plain, f->sigs, POLICY_MAX_SIGS, &f->nsigs, &e);
	if (!r)
		r = policy_check(&p, f->sigs, f->nsigs, NULL, &e);
	if (want_ok && r)
		fail_msg("%s", e.msg);
	if (!want_ok)
		assert_int_equal(r, -AE_REJECT);
}

static void debian_inrelease_verifies_with_the_archive_keyring(void **state)
{
	struct fx *f = *state;
	size_t i, good = 0;

	verify(f, f->in.ptr, f->in.len, 1);
	for (i = 0; i < f->nsigs; i++)
		good += f->sigs[i].status == SIG_GOOD;
	/* signed by the bookworm and the trixie automatic signing keys */
	assert_int_equal(good, 2);
	assert_non_null(strstr(f->plain.ptr, "Codename: bookworm-updates\n"));
	/* the plaintext is what was signed: no armor, no signature */
	assert_null(strstr(f->plain.ptr, "BEGIN PGP"));
}

static void debian_inrelease_with_a_changed_line_is_bad(void **state)
{
	struct fx *f = *state;
	char *copy = malloc(f->in.len + 1), *p;

	memcpy(copy, f->in.ptr, f->in.len + 1);
	p = strstr(copy, "Codename: bookworm-updates");
	assert_non_null(p);
	p[10] = 'c'; /* bookworm -> cookworm */
	verify(f, copy, f->in.len, 0);
	free(copy);
}

static void debian_inrelease_with_appended_text_is_refused(void **state)
{
	struct fx *f = *state;
	struct buf b;
	struct err e = { 0 };

	buf_init(&b, (size_t)2 << 20);
	assert_int_equal(buf_add(&b, f->in.ptr, f->in.len, &e), 0);
	assert_int_equal(buf_adds(&b, "Package: evil\n", &e), 0);
	verify(f, b.ptr, b.len, 0);
	buf_release(&b);
}

static void debian_release_is_fresh_at_a_fixed_time_only(void **state)
{
	struct fx *f = *state;
	struct apt_release rel;
	struct apt_floor none = { 0 }, later = { 0 };
	struct err e = { 0 };
	int64_t t;

	verify(f, f->in.ptr, f->in.len, 1);
	assert_int_equal(apt_release_parse(&rel, f->plain.ptr, f->plain.len, &e), 0);
	/* Date: Fri, 20 Nov 2026 ... ; no Valid-Until in bookworm-updates */
	assert_int_equal(time_parse("2026-11-21T00:00:00Z", 20, &t), 0);
	assert_true(rel.date < t && rel.date > t - 2 * 86400);
	assert_int_equal(rel.valid_until, 0);
	assert_int_equal(apt_release_check(&rel, t, &none, "debian", &e), 0);
	/* a clock two days earlier sees a Date in the future */
	assert_int_equal(apt_release_check(&rel, t - 2 * 86400, &none, "debian", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "in the future"));
	/* an accepted Date later than this one makes it a rollback */
	err_clear(&e);
	later.have = 1;
	later.date = rel.date + 3600;
	snprintf(later.origin, sizeof(later.origin), "%s", rel.origin);
	snprintf(later.suite, sizeof(later.suite), "%s", rel.suite);
	snprintf(later.codename, sizeof(later.codename), "%s", rel.codename);
	assert_int_equal(apt_release_check(&rel, t, &later, "debian", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "older than the last accepted"));
	/* a changed codename is for the officer to decide */
	err_clear(&e);
	later.date = rel.date;
	snprintf(later.codename, sizeof(later.codename), "bookworm-backports");
	assert_int_equal(apt_release_check(&rel, t, &later, "debian", &e), -AE_STATE);
	apt_release_free(&rel);
}

static void debian_index_and_deb_chain_to_the_signature(void **state)
{
	struct fx *f = *state;
	const struct apt_release_file *rf;
	struct apt_release rel;
	struct apt_index ix = { 0 };
	struct deb822_reader rd;
	struct decomp *dz = NULL;
	struct err e = { 0 };
	uint8_t d[SHA256_LEN];
	uint64_t size;
	size_t i;
	int found = 0;

	verify(f, f->in.ptr, f->in.len, 1);
	assert_int_equal(apt_release_parse(&rel, f->plain.ptr, f->plain.len, &e), 0);
	rf = apt_release_find(&rel, INDEX_REL);
	assert_non_null(rf);
	/* the index's hash is checked before it is decompressed */
	assert_int_equal(sha256_file(INDEX, d, &size, &e), 0);
	assert_true(size == rf->size);
	assert_memory_equal(d, rf->sha256, SHA256_LEN);
	assert_int_equal(decomp_open(&dz, INDEX, &e), 0);
	deb822_reader_init(&rd, decomp_read, dz, INDEX);
	assert_int_equal(apt_index_load(&ix, &rd, &e), 0);
	deb822_reader_release(&rd);
	decomp_close(dz);
	assert_true(ix.n > 10);
	assert_int_equal(sha256_file(FIX DEB_PATH, d, &size, &e), 0);
	for (i = 0; i < ix.n; i++) {
		if (strcmp(ix.pkgs[i].filename, DEB_PATH))
			continue;
		found = 1;
		assert_true(ix.pkgs[i].size == size);
		assert_memory_equal(ix.pkgs[i].sha256, d, SHA256_LEN);
	}
	assert_true(found);
	apt_index_free(&ix);
	apt_release_free(&rel);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(debian_inrelease_verifies_with_the_archive_keyring),
		cmocka_unit_test(debian_inrelease_with_a_changed_line_is_bad),
		cmocka_unit_test(debian_inrelease_with_appended_text_is_refused),
		cmocka_unit_test(debian_release_is_fresh_at_a_fixed_time_only),
		cmocka_unit_test(debian_index_and_deb_chain_to_the_signature),
	};

	return cmocka_run_group_tests_name("apt_real", tests, setup, teardown);
}
