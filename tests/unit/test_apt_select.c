#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "verify/deb822.h"
#include "exporter/apt_select.h"
#include "lib/banned.h"

#define SUM "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define PKG(name, ver, arch, extra)                                                                          \
	"Package: " name "\nVersion: " ver "\nArchitecture: " arch "\n" extra "Filename: pool/main/" name    \
	"_" ver "_" arch ".deb\nSize: 100\nSHA256: " SUM "\n\n"

/*
 * A small index with several versions of one package (as the security suite
 * has), epochs, alternatives, virtual packages, versioned Provides, a foreign
 * architecture stanza and dependencies the index cannot satisfy.
 */
static const char index_text[] = PKG("foo", "1.0-1", "amd64", "") PKG("foo", "1.0-2", "amd64", "")
    PKG("foo", "2.0~rc1-1", "amd64", "") PKG("bar", "5.0", "amd64", "") PKG("bar", "1:0.5", "amd64", "")
	PKG("app", "1.0", "amd64",
	    "Pre-Depends: init (>= 1.0)\n"
	    "Depends: libx (>= 2.0), default-mta | mail-transport-agent, perl:any, libz [amd64] <!nocheck>,\n"
	    " abi-virt (>= 2), absent-pkg, nope (>= 9) | libold (<< 2.0), tool:native | other\n")
	    PKG("init", "0.9", "amd64", "") PKG("init", "1.2", "all", "") PKG("libx", "1.5", "amd64", "")
		PKG("libx", "2.1", "amd64", "Depends: libx-common (= 2.1)\n")
		    PKG("libx-common", "2.1", "all", "") PKG("libold", "1.9", "amd64", "")
			PKG("postfix", "3.7", "amd64", "Provides: mail-transport-agent\n")
			    PKG("exim4", "4.96", "amd64", "Provides: mail-transport-agent\n")
				PKG("perl", "5.36", "amd64", "Depends: perl-base (= 5.36)\n")
				    PKG("perl-base", "5.36", "amd64", "") PKG("perl-base", "5.36", "i386", "")
					PKG("libz", "1.2", "amd64", "")
					    PKG("abi1", "1.0", "amd64", "Provides: abi-virt\n")
						PKG("abi3", "1.0", "amd64",
						    "Provides: abi-virt (= 3), other-virt\n")
						    PKG("tool", "1.0", "amd64", "")
							PKG("foreign", "1.0", "i386", "");

struct fixture {
	struct apt_index ix;
};

static int load_text(struct apt_index *ix, const char *t, size_t len, struct err *e)
{
	struct deb822_reader r;
	int rc;

	err_clear(e);
	deb822_reader_init_mem(&r, t, len, "Packages");
	rc = apt_index_load(ix, &r, e);
	deb822_reader_release(&r);
	return rc;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err e;

	if (!f || load_text(&f->ix, index_text, strlen(index_text), &e) != 0) {
		fprintf(stderr, "load: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	apt_index_free(&f->ix);
	free(f);
	return 0;
}

/* Select and render as "name=version name=version ..." for one comparison. */
static int select_str(const struct apt_index *ix, const char *const *wants, size_t n, int all, int deps,
		      char *out, size_t outlen, struct err *e)
{
	const struct apt_pkg **res = NULL;
	size_t nres = 0, i, used = 0;
	int rc;

	err_clear(e);
	out[0] = '\0';
	rc = apt_select(ix, wants, n, all, deps, &res, &nres, e);
	if (rc)
		return rc;
	for (i = 0; i < nres; i++) {
		int w = snprintf(out + used, outlen - used, "%s%s=%s", i ? " " : "", res[i]->name,
				 res[i]->version);

		assert_true(w > 0 && (size_t)w < outlen - used);
		used += (size_t)w;
	}
	free(res);
	return 0;
}

static void expect_select(const struct apt_index *ix, const char *const *wants, size_t n, int deps,
			  const char *want)
{
	char got[4096];
	struct err e;

	if (select_str(ix, wants, n, 0, deps, got, sizeof(got), &e) != 0)
		fail_msg("select failed: %s", e.msg);
	if (strcmp(got, want) != 0)
		fail_msg("got  '%s'\nwant '%s'", got, want);
}

static void index_loads_compactly(void **state)
{
	struct fixture *f = *state;
	const struct apt_pkg *p = &f->ix.pkgs[5];

	assert_int_equal(f->ix.n, 22);
	assert_string_equal(f->ix.arch, "amd64");
	assert_string_equal(p->name, "app");
	assert_string_equal(p->filename, "pool/main/app_1.0_amd64.deb");
	assert_int_equal(p->size, 100);
	assert_int_equal(p->sha256[0], 0xe3);
	/* Pre-Depends first, folded lines joined */
	assert_non_null(strstr(p->depends, "init (>= 1.0), libx (>= 2.0)"));
	assert_null(strchr(p->depends, '\n'));
	assert_string_equal(f->ix.pkgs[0].depends, "");
	assert_string_equal(f->ix.pkgs[0].provides, "");
	assert_string_equal(f->ix.pkgs[19].provides, "abi-virt (= 3), other-virt");
}

static void select_picks_newest_of_several(void **state)
{
	struct fixture *f = *state;
	const char *foo[] = {"foo"}, *bar[] = {"bar"};

	/* 2.0~rc1 sorts after 1.0-2 */
	expect_select(&f->ix, foo, 1, 0, "foo=2.0~rc1-1");
	/* the epoch wins over a larger upstream version */
	expect_select(&f->ix, bar, 1, 0, "bar=1:0.5");
}

static void select_exact_version(void **state)
{
	struct fixture *f = *state;
	const char *w[] = {"foo=1.0-1", "bar=5.0", "foo=1.0-2"};
	const char *w2[] = {"bar=0:5.0"};

	expect_select(&f->ix, w, 3, 0, "bar=5.0 foo=1.0-1 foo=1.0-2");
	expect_select(&f->ix, w2, 1, 0, "bar=5.0");
}

static void select_unknown_is_notfound(void **state)
{
	struct fixture *f = *state;
	const char *w1[] = {"foo", "nosuch"}, *w2[] = {"foo=9.9"}, *w3[] = {"foreign"},
		   *w4[] = {"mail-transport-agent"};
	const char *bad[] = {"foo=", "", "foo bar", "=1.0", "foo=x!"};
	char got[256];
	struct err e;
	size_t i;

	assert_int_equal(select_str(&f->ix, w1, 2, 0, 0, got, sizeof(got), &e), -AE_NOTFOUND);
	assert_non_null(strstr(e.msg, "'nosuch'"));
	assert_int_equal(select_str(&f->ix, w2, 1, 0, 0, got, sizeof(got), &e), -AE_NOTFOUND);
	assert_non_null(strstr(e.msg, "'foo=9.9'"));
	/* another architecture's stanza is not a candidate */
	assert_int_equal(select_str(&f->ix, w3, 1, 0, 0, got, sizeof(got), &e), -AE_NOTFOUND);
	/* a want names a real package, not a virtual one */
	assert_int_equal(select_str(&f->ix, w4, 1, 0, 0, got, sizeof(got), &e), -AE_NOTFOUND);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(select_str(&f->ix, &bad[i], 1, 0, 0, got, sizeof(got), &e), -AE_USAGE);
}

static void select_dependency_closure(void **state)
{
	struct fixture *f = *state;
	const char *w[] = {"app"};

	/*
	 * init: newest satisfying (>= 1.0), arch all; libx 2.1 pulls libx-common;
	 * default-mta is absent so mail-transport-agent goes to the first
	 * provider by name (exim4); perl:any pulls perl-base (amd64 only);
	 * libz despite its restrictions; abi-virt (>= 2) only through the
	 * versioned Provides of abi3; absent-pkg is skipped; "nope | libold (<< 2.0)"
	 * takes libold; tool:native is the index's own architecture.
	 */
	expect_select(&f->ix, w, 1, 1,
		      "abi3=1.0 app=1.0 exim4=4.96 init=1.2 libold=1.9 libx=2.1 libx-common=2.1 libz=1.2 "
		      "perl=5.36 perl-base=5.36 tool=1.0");
	/* without with_depends only the want */
	expect_select(&f->ix, w, 1, 0, "app=1.0");
}

static void select_prefers_chosen_provider(void **state)
{
	struct fixture *f = *state;
	const char *w[] = {"postfix", "app"};
	char got[4096];
	struct err e;

	assert_int_equal(select_str(&f->ix, w, 2, 0, 1, got, sizeof(got), &e), 0);
	assert_non_null(strstr(got, "postfix=3.7"));
	assert_null(strstr(got, "exim4"));
}

static void select_all(void **state)
{
	struct fixture *f = *state;
	const struct apt_pkg **res = NULL;
	size_t n = 0, i;
	struct err e;

	err_clear(&e);
	assert_int_equal(apt_select(&f->ix, NULL, 0, 1, 1, &res, &n, &e), 0);
	assert_int_equal(n, f->ix.n);
	for (i = 1; i < n; i++) {
		int c = strcmp(res[i - 1]->name, res[i]->name);

		assert_true(c < 0 || (c == 0 && apt_version_cmp(res[i - 1]->version, res[i]->version) <= 0));
	}
	free(res);
	err_clear(&e);
	assert_int_equal(apt_select(&f->ix, NULL, 0, 0, 1, &res, &n, &e), 0);
	assert_int_equal(n, 0);
	free(res);
}

static void expect_load_reject(const char *t, const char *needle)
{
	struct apt_index ix;
	struct err e;

	assert_int_equal(load_text(&ix, t, strlen(t), &e), -AE_REJECT);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
	assert_null(ix.pkgs);
	assert_int_equal(ix.n, 0);
	apt_index_free(&ix);
}

#define STANZA(file)                                                                                         \
	"Package: a\nVersion: 1\nArchitecture: all\nFilename: " file "\nSize: 1\nSHA256: " SUM "\n"

static void index_rejects_bad_stanzas(void **state)
{
	expect_load_reject(PKG("ok", "1", "all", "") STANZA("pool/../../etc/passwd"),
			   "'Packages' line 8: Filename is not a plain relative path");
	expect_load_reject(STANZA("/etc/passwd"), "line 1: Filename is not a plain relative path");
	expect_load_reject(STANZA(".."), "Filename is not a plain relative path");
	expect_load_reject(STANZA("pool/a/"), "Filename is not a plain relative path");
	expect_load_reject("Package: a\nVersion: 1\nArchitecture: all\nFilename: a.deb\nSize: 1\n",
			   "without SHA256");
	expect_load_reject("Package: a\nVersion: 1\nArchitecture: all\nSize: 1\nSHA256: " SUM "\n",
			   "without Filename");
	expect_load_reject("Version: 1\n", "without Package");
	expect_load_reject("Package: a\nVersion: x1\nArchitecture: all\nFilename: a\nSize: 1\nSHA256: " SUM
			   "\n",
			   "invalid version");
	expect_load_reject("Package: a\nVersion: 1\nArchitecture: all\nFilename: a\nSize: 01\nSHA256: " SUM
			   "\n",
			   "bad Size");
	expect_load_reject("Package: a\nVersion: 1\nArchitecture: all\nFilename: a\nSize: 1\nSHA256: 00\n",
			   "bad SHA256");
	expect_load_reject("Package: a b\nVersion: 1\nArchitecture: all\nFilename: a\nSize: 1\nSHA256: " SUM
			   "\n",
			   "invalid package name");
	expect_load_reject(PKG("ok", "1", "all", "") "Package: x\r\n", "carriage return");
}

static void index_empty_is_fine(void **state)
{
	struct apt_index ix;
	struct err e;
	const char *w[] = {"a"};
	const struct apt_pkg **res;
	size_t n;

	assert_int_equal(load_text(&ix, "", 0, &e), 0);
	assert_int_equal(ix.n, 0);
	assert_null(ix.arch);
	assert_int_equal(apt_select(&ix, w, 1, 0, 1, &res, &n, &e), -AE_NOTFOUND);
	apt_index_free(&ix);
}

/* The real bookworm-updates index: the closure stays inside it (libc6 and the rest live in bookworm). */
static void select_real_bookworm_updates(void **state)
{
	FILE *fp = fopen("tests/fixtures/apt/good-bookworm-updates-Packages", "rb");
	static char text[65536];
	size_t len;
	struct apt_index ix;
	struct err e;
	const char *w[] = {"openssh-server"};

	if (!fp)
		fail_msg("cannot open the fixture (run from the repository root)");
	len = fread(text, 1, sizeof(text), fp);
	fclose(fp);
	assert_true(len > 0 && len < sizeof(text));
	assert_int_equal(load_text(&ix, text, len, &e), 0);
	assert_int_equal(ix.n, 38);
	assert_string_equal(ix.arch, "amd64");
	expect_select(
	    &ix, w, 1, 1,
	    "libssl3=3.0.17-1~deb12u2 openssh-client=1:9.2p1-2+deb12u7 openssh-server=1:9.2p1-2+deb12u7 "
	    "openssh-sftp-server=1:9.2p1-2+deb12u7");
	apt_index_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(index_loads_compactly, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_picks_newest_of_several, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_exact_version, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_unknown_is_notfound, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_dependency_closure, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_prefers_chosen_provider, setup, teardown),
	    cmocka_unit_test_setup_teardown(select_all, setup, teardown),
	    cmocka_unit_test(index_rejects_bad_stanzas),
	    cmocka_unit_test(index_empty_is_fine),
	    cmocka_unit_test(select_real_bookworm_updates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
