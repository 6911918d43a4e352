#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "verify/deb822.h"
#include "lib/banned.h"

/* Feeds a memory block to the stream reader in pieces of at most chunk bytes. */
struct feed {
	const char *p;
	size_t len, pos, chunk;
	int fail_at; /* fail when pos reaches this (-1: never) */
};

static ssize_t feed_read(void *arg, void *p, size_t n, struct err *e)
{
	struct feed *f = arg;

	if (f->fail_at >= 0 && f->pos >= (size_t)f->fail_at)
		return err_set(e, AE_IO, "injected read failure");
	if (n > f->chunk)
		n = f->chunk;
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	memcpy(p, f->p + f->pos, n);
	f->pos += n;
	return (ssize_t)n;
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[512];
	FILE *fp;
	char *p;
	long n;

	snprintf(path, sizeof(path), "tests/fixtures/apt/%s", name);
	fp = fopen(path, "rb");
	if (!fp)
		fail_msg("cannot open fixture '%s' (run from the repository root)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	p[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static void check_field(const struct deb822_para *para, const char *name, const char *want)
{
	struct slice v = deb822_get(para, name);

	if (!want) {
		assert_null(v.ptr);
		return;
	}
	if (!v.ptr)
		fail_msg("field '%s' missing", name);
	if (v.len != strlen(want) || memcmp(v.ptr, want, v.len) != 0)
		fail_msg("field '%s' is '%.*s', want '%s'", name, (int)v.len, v.ptr, want);
}

/* Parse all of text; return the first error code or the number of stanzas. */
static int count_stanzas(const char *text, size_t len, struct err *e)
{
	struct deb822_reader r;
	struct deb822_para *para = malloc(sizeof(*para));
	int rc, n = 0;

	assert_non_null(para);
	err_clear(e);
	deb822_reader_init_mem(&r, text, len, "t");
	while ((rc = deb822_next(&r, para, e)) > 0)
		n++;
	deb822_reader_release(&r);
	free(para);
	return rc < 0 ? rc : n;
}

static const char two[] = "Package: foo\n"
			  "Version: 1.0\n"
			  "Description: short\n"
			  " long line one\n"
			  " .\n"
			  "\tline three\n"
			  "Empty:\n"
			  "\n"
			  "\n"
			  "package: bar\n"
			  "Depends:   a,\n"
			  "  b   \n";

static void deb822_reads_fields_and_continuations(void **state)
{
	struct deb822_reader r;
	struct deb822_para *para = malloc(sizeof(*para));
	struct err e;

	err_clear(&e);
	deb822_reader_init_mem(&r, two, strlen(two), "two");
	assert_int_equal(deb822_next(&r, para, &e), 1);
	assert_int_equal(para->nfields, 4);
	assert_int_equal(para->line, 1);
	check_field(para, "Package", "foo");
	check_field(para, "PACKAGE", "foo");
	check_field(para, "version", "1.0");
	check_field(para, "Description", "short\n long line one\n .\n\tline three");
	check_field(para, "Empty", "");
	check_field(para, "Missing", NULL);
	assert_int_equal(para->raw.len,
			 strlen("Package: foo\nVersion: 1.0\nDescription: short\n long line one\n "
				".\n\tline three\nEmpty:\n"));
	assert_memory_equal(para->raw.ptr, two, para->raw.len);

	assert_int_equal(deb822_next(&r, para, &e), 1);
	assert_int_equal(para->line, 10);
	check_field(para, "Package", "bar");
	check_field(para, "Depends", "a,\n  b");
	assert_int_equal(deb822_next(&r, para, &e), 0);
	assert_int_equal(deb822_next(&r, para, &e), 0);
	deb822_reader_release(&r);
	free(para);
}

static void deb822_last_stanza_without_newline(void **state)
{
	static const char t[] = "A: 1\n\nB: 2\n C";
	struct deb822_reader r;
	struct deb822_para *para = malloc(sizeof(*para));
	struct err e;

	err_clear(&e);
	deb822_reader_init_mem(&r, t, strlen(t), "t");
	assert_int_equal(deb822_next(&r, para, &e), 1);
	assert_int_equal(deb822_next(&r, para, &e), 1);
	check_field(para, "B", "2\n C");
	assert_int_equal(para->raw.len, strlen("B: 2\n C"));
	assert_int_equal(deb822_next(&r, para, &e), 0);
	deb822_reader_release(&r);
	free(para);
}

static void deb822_whitespace_lines_separate(void **state)
{
	static const char t[] = "\n \n\t\nA: 1\n \t \nB: 2\n  \n\n";
	struct err e;

	assert_int_equal(count_stanzas(t, strlen(t), &e), 2);
	assert_int_equal(count_stanzas("", 0, &e), 0);
	assert_int_equal(count_stanzas("\n\n  \n", 5, &e), 0);
}

static void expect_reject(const char *t, size_t len, const char *needle)
{
	struct err e;

	assert_int_equal(count_stanzas(t, len, &e), -AE_REJECT);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void deb822_rejects_malformed(void **state)
{
	expect_reject("A: 1\nB: x\0y\n", 12, "line 2: NUL byte");
	expect_reject("A: 1\r\nB: 2\r\n", 12, "line 1: carriage return");
	expect_reject("A: 1\nno colon here\n", 19, "line 2: field without a ':'");
	expect_reject("A: 1\n: value\n", 13, "line 2: empty field name");
	expect_reject("# comment\nA: 1\n", 15, "line 1: comment lines are not allowed");
	expect_reject("A: 1\n\n continued\n", 17, "line 3: continuation line before any field");
	expect_reject("A: 1\na: 2\n", 10, "line 2: duplicate field");
	expect_reject("A: 1\nB C: 2\n", 12, "not printable ASCII");
	expect_reject("-A: 1\n", 6, "starts with '-'");
	expect_reject("A: 1\n\nB: 2\nB\xc3\xa9: 3\n", 18, "'t' line 4");
}

static void deb822_rejects_too_many_fields(void **state)
{
	struct buf b;
	struct err e;
	int i;

	err_clear(&e);
	buf_init(&b, 1 << 20);
	for (i = 0; i < DEB822_MAX_FIELDS; i++)
		assert_int_equal(buf_addf(&b, &e, "F%d: %d\n", i, i), 0);
	assert_int_equal(count_stanzas(b.ptr, b.len, &e), 1);
	assert_int_equal(buf_adds(&b, "Last: x\n", &e), 0);
	expect_reject(b.ptr, b.len, "more fields than allowed");
	buf_release(&b);
}

static void deb822_rejects_stanza_too_large(void **state)
{
	size_t len = DEB822_MAX_PARA + 100;
	char *t = malloc(len);
	struct deb822_reader r;
	struct deb822_para *para = malloc(sizeof(*para));
	struct feed f = {0};
	struct err e;

	assert_non_null(t);
	memcpy(t, "A: ", 3);
	memset(t + 3, 'x', len - 4);
	t[len - 1] = '\n';
	assert_int_equal(count_stanzas(t, len, &e), -AE_TOOBIG);

	f.p = t;
	f.len = len;
	f.chunk = 65536;
	f.fail_at = -1;
	err_clear(&e);
	deb822_reader_init(&r, feed_read, &f, "big");
	assert_int_equal(deb822_next(&r, para, &e), -AE_TOOBIG);
	deb822_reader_release(&r);

	/* exactly at the limit is fine, and a following stanza still reads */
	memcpy(t + DEB822_MAX_PARA - 1, "\n\nB: 2\n", 7);
	assert_int_equal(count_stanzas(t, DEB822_MAX_PARA + 6, &e), 2);
	f.pos = 0;
	f.len = DEB822_MAX_PARA + 6;
	err_clear(&e);
	deb822_reader_init(&r, feed_read, &f, "big");
	assert_int_equal(deb822_next(&r, para, &e), 1);
	assert_int_equal(para->raw.len, DEB822_MAX_PARA);
	assert_int_equal(deb822_next(&r, para, &e), 1);
	check_field(para, "B", "2");
	assert_int_equal(deb822_next(&r, para, &e), 0);
	deb822_reader_release(&r);
	free(t);
	free(para);
}

/* The stream reader must see exactly the stanzas the memory reader sees, whatever the read sizes. */
static void expect_same_stream(const char *t, size_t len, size_t chunk)
{
	struct deb822_reader rm, rs;
	struct deb822_para *pm = malloc(sizeof(*pm)), *ps = malloc(sizeof(*ps));
	struct feed f = {t, len, 0, chunk, -1};
	struct err em, es;
	int a, b;
	size_t i;

	err_clear(&em);
	err_clear(&es);
	deb822_reader_init_mem(&rm, t, len, "t");
	deb822_reader_init(&rs, feed_read, &f, "t");
	do {
		a = deb822_next(&rm, pm, &em);
		b = deb822_next(&rs, ps, &es);
		assert_int_equal(a, b);
		if (a <= 0)
			break;
		assert_int_equal(pm->line, ps->line);
		assert_int_equal(pm->raw.len, ps->raw.len);
		assert_memory_equal(pm->raw.ptr, ps->raw.ptr, pm->raw.len);
		assert_int_equal(pm->nfields, ps->nfields);
		for (i = 0; i < pm->nfields; i++) {
			assert_int_equal(pm->fields[i].name.len, ps->fields[i].name.len);
			assert_memory_equal(pm->fields[i].name.ptr, ps->fields[i].name.ptr,
					    pm->fields[i].name.len);
			assert_int_equal(pm->fields[i].value.len, ps->fields[i].value.len);
			assert_memory_equal(pm->fields[i].value.ptr, ps->fields[i].value.ptr,
					    pm->fields[i].value.len);
		}
	} while (1);
	if (a < 0)
		assert_string_equal(em.msg, es.msg);
	deb822_reader_release(&rm);
	deb822_reader_release(&rs);
	free(pm);
	free(ps);
}

static void deb822_stream_matches_memory_at_any_read_size(void **state)
{
	static const char bad[] = "A: 1\n\nB: 2\n\r\n";
	size_t len, chunk;
	char *pk = read_fixture("good-bookworm-updates-Packages", &len);

	for (chunk = 1; chunk <= 8; chunk++) {
		expect_same_stream(two, strlen(two), chunk);
		expect_same_stream(bad, strlen(bad), chunk);
		expect_same_stream("A: 1\n\nB: 2\n C", 14, chunk);
	}
	expect_same_stream(pk, len, 1);
	expect_same_stream(pk, len, 7);
	expect_same_stream(pk, len, 100000);
	free(pk);
}

static void deb822_stream_read_error_propagates(void **state)
{
	struct deb822_reader r;
	struct deb822_para *para = malloc(sizeof(*para));
	struct feed f = {two, sizeof(two) - 1, 0, 4, 20};
	struct err e;

	err_clear(&e);
	deb822_reader_init(&r, feed_read, &f, "t");
	assert_int_equal(deb822_next(&r, para, &e), -AE_IO);
	assert_string_equal(e.msg, "injected read failure");
	deb822_reader_release(&r);
	free(para);
}

/* ---- Release ---- */

static void release_parses_real_bookworm_updates(void **state)
{
	struct apt_release rel;
	struct err e;
	size_t len, i;
	char *t = read_fixture("good-bookworm-updates-Release", &len);
	const struct apt_release_file *f;
	char hex[SHA256_HEX];

	err_clear(&e);
	if (apt_release_parse(&rel, t, len, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(rel.origin, "Debian");
	assert_string_equal(rel.label, "Debian");
	assert_string_equal(rel.suite, "oldstable-updates");
	assert_string_equal(rel.codename, "bookworm-updates");
	assert_int_equal(rel.date, 1795140670); /* Fri, 20 Nov 2026 02:11:10 UTC */
	assert_int_equal(rel.valid_until, 0);
	assert_int_equal(rel.acquire_by_hash, 1);
	assert_int_equal(rel.nfiles, 480);
	for (i = 1; i < rel.nfiles; i++)
		assert_true(strcmp(rel.files[i - 1].path, rel.files[i].path) < 0);
	f = apt_release_find(&rel, "main/binary-amd64/Packages.xz");
	assert_non_null(f);
	assert_int_equal(f->size, 6924);
	hex_encode(f->sha256, SHA256_LEN, hex);
	assert_string_equal(hex, "87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846");
	f = apt_release_find(&rel, "contrib/Contents-all");
	assert_non_null(f);
	assert_int_equal(f->size, 0);
	assert_null(apt_release_find(&rel, "main/binary-amd64/Packages.gz.missing"));
	assert_null(apt_release_find(&rel, ""));
	apt_release_free(&rel);
	assert_null(rel.files);
	free(t);
}

#define SUM_A "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SUM_B "87e7e94047fb7fb6f4ceecc7022d4bee55b66031cc2a7666d3196f3e0aabb846"
#define HEAD "Origin: Test\nSuite: s\nCodename: c\nDate: Sat, 11 Jul 2026 10:05:00 UTC\n"

static int parse_text(const char *t, struct apt_release *rel, struct err *e)
{
	err_clear(e);
	return apt_release_parse(rel, t, strlen(t), e);
}

static void expect_release_reject(const char *t, const char *needle)
{
	struct apt_release rel;
	struct err e;

	assert_int_equal(parse_text(t, &rel, &e), -AE_REJECT);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
	assert_null(rel.files);
	assert_null(rel.origin);
}

static void release_minimal_and_dates(void **state)
{
	struct apt_release rel;
	struct err e;

	assert_int_equal(parse_text(HEAD "Valid-Until: Sat, 18 Jul 2026 10:05:00 +0000\n"
					 "SHA256:\n " SUM_B " 6924 main/b\n " SUM_A "    0 main/a\n",
				    &rel, &e),
			 0);
	assert_int_equal(rel.date, 1783764300);
	assert_int_equal(rel.valid_until, 1783764300 + 7 * 86400);
	assert_int_equal(rel.acquire_by_hash, 0);
	assert_null(rel.label);
	assert_int_equal(rel.nfiles, 2);
	assert_string_equal(rel.files[0].path, "main/a");
	assert_non_null(apt_release_find(&rel, "main/b"));
	apt_release_free(&rel);

	/* numeric zones apply; no weekday is fine; a leap day exists in 2024 only */
	assert_int_equal(parse_text("Date: 29 Feb 2024 00:30:00 +0100\nSHA256:\n " SUM_A " 0 a\n", &rel, &e),
			 0);
	assert_int_equal(rel.date, 1709163000);
	apt_release_free(&rel);
	expect_release_reject("Date: Thu, 29 Feb 2025 00:00:00 UTC\nSHA256:\n " SUM_A " 0 a\n",
			      "unparseable Date");
	expect_release_reject("Date: 2026-07-11T10:05:00Z\nSHA256:\n " SUM_A " 0 a\n", "unparseable Date");
	expect_release_reject("Date: Sat, 11 Jul 2026 10:05 UTC\nSHA256:\n " SUM_A " 0 a\n",
			      "unparseable Date");
	expect_release_reject("Date: Sat, 11 Jul 2026 10:05:00 CEST\nSHA256:\n " SUM_A " 0 a\n",
			      "unparseable Date");
	expect_release_reject("Date: Sat, 11 Jul 2026 10:05:00 UTC\nValid-Until: soon\nSHA256:\n " SUM_A
			      " 0 a\n",
			      "unparseable Valid-Until");
	expect_release_reject("Origin: x\nSHA256:\n " SUM_A " 0 a\n", "no Date");
}

static void release_rejects_md5_only(void **state)
{
	expect_release_reject(HEAD "MD5Sum:\n d41d8cd98f00b204e9800998ecf8427e 0 main/a\n"
				   "SHA1:\n da39a3ee5e6b4b0d3255bfef95601890afd80709 0 main/a\n",
			      "no SHA256 checksums");
	expect_release_reject(HEAD "SHA256:\n", "no SHA256 checksums");
}

static void release_rejects_bad_checksum_lines(void **state)
{
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 main/a\n " SUM_B " 1 main/a\n",
			      "duplicate path 'main/a'");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 ../etc/passwd\n", "not a plain relative path");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 main/../../x\n", "not a plain relative path");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 /etc/passwd\n", "not a plain relative path");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 main//a\n", "not a plain relative path");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0\n", "line 2: expected");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 a b\n", "trailing data");
	expect_release_reject(HEAD "SHA256:\n e3b0 0 a\n", "not a SHA-256 digest");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " -1 a\n", "bad size");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 18446744073709551616 a\n", "bad size");
	expect_release_reject(HEAD "SHA256:\n " SUM_A " 0 a\n\nSHA256: x\n", "more than one stanza");
	expect_release_reject("", "empty");
}

/* ---- versions ---- */

/*
 * Pairs from dpkg's lib/dpkg/t/t-version.c and apt's test/libapt
 * compareversion_test.cc; every row checked with `dpkg --compare-versions`.
 */
static const struct {
	const char *a, *b;
	int cmp;
} versions[] = {
    {"1.0~rc1", "1.0", -1},
    {"1:0.9", "2.0", 1},
    {"1.0-1", "1.0-1+deb12u1", -1},
    {"2.30-1~bpo", "2.30-1", -1},
    {"1.2.3", "1.2.10", -1},
    {"1.0a", "1.0", 1},
    {"1.0+", "1.0.", -1}, /* '+' (0x2b) sorts before '.' (0x2e): both are non-letters */
    {"1.0", "1.0-0", 0},
    {"1.0", "0:1.0", 0},
    {"0:1.18.36", "1.18.36", 0},
    {"1.0~", "1.0", -1},
    {"1.0~~", "1.0~", -1},
    {"1.0~~a", "1.0~", -1},
    {"1.0~~a", "1.0~~", 1},
    {"1~", "1", -1},
    {"1.0~rc1", "1.0~rc2", -1},
    {"1.0~rc1", "1.0~beta1", 1},
    {"3.0-1", "3.0~rc1-1", 1},
    {"7.6p2-4", "7.6-0", 1},
    {"1.0.3-3", "1.0-1", 1},
    {"1.3", "1.2.2-2", 1},
    {"1.3", "1.2.2", 1},
    {"0-pre", "0-pre", 0},
    {"0-pre", "0-pree", -1},
    {"1.1.6r2-2", "1.1.6r-1", 1},
    {"2.6b2-1", "2.6b-2", 1},
    {"98.1p5-1", "98.1-pre2-b6-2", -1},
    {"0.4a6-2", "0.4-1", 1},
    {"1:3.0.5-2", "1:3.0.5.1", -1},
    {"10.3", "1:0.4", -1},
    {"1:1.25-4", "1:1.25-8", -1},
    {"1.18.36", "1.18.35", 1},
    {"0:1.18.36", "1.18.35", 1},
    {"9:1.18.36:5.4-20", "10:0.5.1-22", -1},
    {"9:1.18.36:5.4-20", "9:1.18.36:5.5-1", -1},
    {"1.18.36-0.17.35-18", "1.18.36-19", 1},
    {"1:1.2.13-3", "1:1.2.13-3.1", -1},
    {"2.0.7pre1-4", "2.0.7r-1", -1},
    {"0:0-0-0", "0-0", 1},
    {"0:09", "0:9", 0},
    {"009", "9", 0},
    {"009ab5", "9ab5", 0},
    {"1:2ab:5", "1:2ab:5", 0},
    {"7:1-a:b-5", "7:1-a:b-5", 0},
    {"57:1.2.3abYZ+~-4-5", "57:1.2.3abYZ+~-4-5", 0},
    {"1.2.3", "1.2.3-1", -1},
    {"1.2", "1.2.3", -1},
    {"1.2.3", "1.2.3.0", -1},
    {"2:0.1", "1:5.0", 1},
    {"10:1", "9:1", 1},
    {"00:1", "0:1", 0},
    {"1.0a", "1.0b", -1},
    {"1.0A", "1.0a", -1},
    {"1.0a", "1.0+", -1},
    {"1.0-1", "1.0-1.1", -1},
    {"1:9.2p1-2+deb12u7", "1:9.2p1-2+deb12u6", 1},
    {"3.0.17-1~deb12u2", "3.0.17-1", -1},
    {"2:4.17.12+dfsg-0+deb12u2", "2:4.17.12+dfsg-0+deb12u1", 1},
    {"20230311+deb12u1", "20230311", 1},
    {"1.0", "1.0", 0},
};

static void version_cmp_matches_dpkg(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		int c = apt_version_cmp(versions[i].a, versions[i].b),
		    r = apt_version_cmp(versions[i].b, versions[i].a);

		c = c < 0 ? -1 : c > 0;
		r = r < 0 ? -1 : r > 0;
		if (c != versions[i].cmp || r != -versions[i].cmp)
			fail_msg("'%s' vs '%s': got %d / %d, want %d", versions[i].a, versions[i].b, c, r,
				 versions[i].cmp);
	}
}

static void version_valid_follows_dpkg(void **state)
{
	static const char *const good[] = {
	    "1.0",	    "1:1.0-1", "0:0", "1.0~rc1+dfsg-2ubuntu0.1", "9:1.18.36:5.4-20", "00:1",
	    "2147483647:1", "1.0-a-b", "0"};
	static const char *const bad[] = {"",	 "a1.0",    "1.0-",	    ":1.0", "1:",   "x:1.0",  "1.0 1",
					  "1_0", "1.0-a_b", "2147483648:1", "-1",   "1:-1", "1.0-1:2"};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!apt_version_valid(good[i]))
			fail_msg("'%s' should be valid", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (apt_version_valid(bad[i]))
			fail_msg("'%s' should be invalid", bad[i]);
}

static void path_rules(void **state)
{
	assert_true(apt_path_valid("main/binary-amd64/Packages.xz", 29));
	assert_true(apt_path_valid("pool/main/c/ca-certificates/x_1+deb12u1_all.deb", 46));
	assert_true(apt_path_valid("a..b/..c", 8));
	assert_false(apt_path_valid("", 0));
	assert_false(apt_path_valid("/a", 2));
	assert_false(apt_path_valid("a/../b", 6));
	assert_false(apt_path_valid("..", 2));
	assert_false(apt_path_valid("a/./b", 5));
	assert_false(apt_path_valid("a/", 2));
	assert_false(apt_path_valid("a b", 3));
	assert_false(apt_path_valid("a\\b", 3));
	assert_false(apt_path_valid("a\nb", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(deb822_reads_fields_and_continuations),
	    cmocka_unit_test(deb822_last_stanza_without_newline),
	    cmocka_unit_test(deb822_whitespace_lines_separate),
	    cmocka_unit_test(deb822_rejects_malformed),
	    cmocka_unit_test(deb822_rejects_too_many_fields),
	    cmocka_unit_test(deb822_rejects_stanza_too_large),
	    cmocka_unit_test(deb822_stream_matches_memory_at_any_read_size),
	    cmocka_unit_test(deb822_stream_read_error_propagates),
	    cmocka_unit_test(release_parses_real_bookworm_updates),
	    cmocka_unit_test(release_minimal_and_dates),
	    cmocka_unit_test(release_rejects_md5_only),
	    cmocka_unit_test(release_rejects_bad_checksum_lines),
	    cmocka_unit_test(version_cmp_matches_dpkg),
	    cmocka_unit_test(version_valid_follows_dpkg),
	    cmocka_unit_test(path_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
