/*
 * The import's content checks with the real engines: libclamav, libyara and
 * libmagic, on databases and files made in a temporary folder at run time,
 * and the real Debian files of tests/fixtures/debian/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "importer/filetype.h"
#include "importer/scan.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/json.h"
#include "lib/util.h"

#define FIX "tests/fixtures/debian/"
#define DAY 86400

struct tmp {
	struct buf dir;
	char db[4096];
	char p[4096];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	struct err e = {0};

	if (!t)
		return -1;
	buf_init(&t->dir, 4096);
	if (fs_mkdtemp("/tmp", "al-scan-", &t->dir, &e))
		return -1;
	snprintf(t->db, sizeof(t->db), "%s/db", t->dir.ptr);
	if (mkdir(t->db, 0755) < 0)
		return -1;
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;
	struct err e = {0};

	if (fs_rm_rf(t->dir.ptr, &e))
		fprintf(stderr, "%s\n", e.msg);
	buf_release(&t->dir);
	free(t);
	return 0;
}

/* "<tmp>/<name>", valid until the next call */
static const char *at(struct tmp *t, const char *name)
{
	snprintf(t->p, sizeof(t->p), "%s/%s", t->dir.ptr, name);
	return t->p;
}

static void write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	struct err e = {0};

	assert_int_equal(fs_write_atomic(path, p, n, mode, &e), 0);
}

static void write_str(const char *path, const char *s)
{
	write_file(path, s, strlen(s), 0644);
}

static void db_file(struct tmp *t, const char *name, const char *s)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", t->db, name);
	write_str(p, s);
}

/* What 'scan-db update' writes, with a chosen install time. */
static void generation(struct tmp *t, int64_t installed)
{
	char ts[TIME_STR], json[128];

	time_format(installed, ts);
	snprintf(json, sizeof(json), "{\"generation\": 1, \"installed\": \"%s\", \"files\": []}", ts);
	db_file(t, "generation.json", json);
}

static void opts(struct scan_opts *o, struct tmp *t)
{
	scan_opts_defaults(o);
	o->dbdir = t->db;
	o->now = (int64_t)time(NULL);
}

/* A test file of n bytes that starts with text. */
static void make_sample(const char *path, const char *text, size_t n)
{
	char *p = calloc(1, n);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (char)('a' + i % 26);
	memcpy(p, text, strlen(text) < n ? strlen(text) : n);
	write_file(path, p, n, 0644);
	free(p);
}

/* An .hdb line for the file: md5:size:name. */
static void hdb_for(const char *path, const char *name, char *out, size_t outlen)
{
	struct buf b;
	struct err e = {0};
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];

	buf_init(&b, 1 << 20);
	assert_int_equal(fs_read_file(path, &b, &e), 0);
	assert_int_equal(EVP_Digest(b.ptr, b.len, md, &mdlen, EVP_md5(), NULL), 1);
	hex_encode(md, mdlen, hex);
	snprintf(out, outlen, "%s:%zu:%s\n", hex, b.len, name);
	buf_release(&b);
}

static void hex_of(const char *s, char *out)
{
	hex_encode((const uint8_t *)s, strlen(s), out);
}

/* A database that loads and matches nothing the tests scan. */
static void dummy_db(struct tmp *t)
{
	db_file(t, "dummy.hdb", "0123456789abcdef0123456789abcdef:12345:Airlock.Test.Never\n");
	generation(t, (int64_t)time(NULL));
}

static void clamav_hdb_signature_detects_the_file(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};
	char line[256], bad[4200], good[4200];

	snprintf(bad, sizeof(bad), "%s", at(t, "evil.bin"));
	snprintf(good, sizeof(good), "%s", at(t, "good.bin"));
	make_sample(bad, "this file is evil", 3000);
	make_sample(good, "this file is fine", 3000);
	hdb_for(bad, "Airlock.Test.Hdb", line, sizeof(line));
	db_file(t, "site.hdb", line);
	generation(t, (int64_t)time(NULL));
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_object(s, good, "pool/good.bin", &e), 0);
	assert_int_equal(scan_object(s, bad, "pool/evil.bin", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "pool/evil.bin: ClamAV: Airlock.Test.Hdb"));
	scan_close(s);
}

static void clamav_ndb_body_signature_detects_the_file(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};
	char hex[200], line[300], bad[4200];

	hex_of("AIRLOCK-NDB-MARKER-7d3c", hex);
	snprintf(line, sizeof(line), "Airlock.Test.Ndb:0:*:%s\n", hex);
	db_file(t, "site.ndb", line);
	generation(t, (int64_t)time(NULL));
	snprintf(bad, sizeof(bad), "%s", at(t, "body.txt"));
	write_str(bad, "some text, then AIRLOCK-NDB-MARKER-7d3c in the middle, then more\n");
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_object(s, bad, "docs/body.txt", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "docs/body.txt: ClamAV: Airlock.Test.Ndb"));
	scan_close(s);
}

static void clean_files_pass_every_scanner(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};
	json_t *d = NULL;

	dummy_db(t);
	db_file(t, "site.yar", "rule never_here { strings: $a = \"NOT-IN-ANY-FILE-31337\" condition: $a }\n");
	write_str(at(t, "empty"), "");
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(
	    scan_object(s, FIX "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb",
			"ca-certificates.deb", &e),
	    0);
	assert_int_equal(scan_object(s, FIX "dists/bookworm-updates/InRelease", "InRelease", &e), 0);
	assert_int_equal(scan_object(s, at(t, "empty"), "empty", &e), 0);
	assert_int_equal(scan_describe(s, &d, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "clamav"), "signatures")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "yara"), "rules")), 1);
	assert_int_equal(json_integer_value(json_object_get(d, "scanned")), 3);
	json_decref(d);
	scan_close(s);
}

static void yara_rule_match_names_the_rule(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	db_file(t, "site.yar",
		"rule airlock_test_marker\n{\n  strings:\n    $a = \"AIRLOCK-YARA-MARKER\"\n  condition:\n   "
		" $a\n}\n");
	write_str(at(t, "payload.sh"), "#!/bin/sh\necho AIRLOCK-YARA-MARKER\n");
	opts(&o, t);
	o.clamav = SCAN_OFF;
	o.yara = SCAN_REQUIRED;
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_object(s, at(t, "payload.sh"), "tools/payload.sh", &e), -AE_REJECT);
	assert_string_equal(e.msg, "tools/payload.sh: YARA rule 'airlock_test_marker' matched");
	scan_close(s);
}

static void yara_syntax_error_names_file_and_line(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	db_file(t, "good.yar", "rule fine { condition: false }\n");
	db_file(t, "broken.yar",
		"rule ok { condition: false }\n\nrule broken {\n  condition: $nope and\n}\n");
	opts(&o, t);
	o.clamav = SCAN_OFF;
	assert_int_equal(scan_open(&s, &o, &e), -AE_FORMAT);
	assert_null(s);
	assert_int_equal(e.code, AE_FORMAT);
	assert_non_null(strstr(e.msg, "/db/broken.yar:4': undefined string \"$nope\""));
}

static void yara_include_is_refused(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	write_str(at(t, "outside.txt"), "rule outside { condition: true }\n");
	db_file(t, "inc.yar", "include \"../outside.txt\"\n");
	opts(&o, t);
	o.clamav = SCAN_OFF;
	assert_int_equal(scan_open(&s, &o, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "inc.yar:1"));
}

static void missing_database_rejects_when_required(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	opts(&o, t);
	o.dbdir = at(t, "no-such-folder");
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	assert_string_equal(e.msg, "scan-db: no ClamAV database installed; install one with "
				   "'airlock scan-db update DIR'");
	err_clear(&e);
	o.dbdir = t->db; /* exists, but empty */
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	err_clear(&e);
	o.dbdir = NULL;
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	err_clear(&e);
	o.clamav = SCAN_OFF;
	o.yara = SCAN_REQUIRED;
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "no YARA rules installed"));
}

static void missing_database_is_fine_when_off(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	opts(&o, t);
	o.dbdir = at(t, "no-such-folder");
	o.clamav = SCAN_OFF;
	assert_int_equal(scan_open(&s, &o, &e), 0);
	write_str(at(t, "f"), "anything");
	assert_int_equal(scan_object(s, at(t, "f"), "f", &e), 0);
	scan_close(s);
}

static void stale_database_is_rejected(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	db_file(t, "dummy.hdb", "0123456789abcdef0123456789abcdef:12345:Airlock.Test.Never\n");
	opts(&o, t);
	generation(t, o.now - 40 * DAY);
	o.max_db_age = 30 * DAY;
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "scan-db: ClamAV database is 40 days old (limit 30 days; built "));
	assert_non_null(strstr(e.msg, "): stale; bring a newer one with 'airlock scan-db update'"));
	err_clear(&e);
	o.max_db_age = 0;
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_db_built(s), o.now - 40 * DAY);
	assert_int_equal(scan_check_age(s, o.now, 30 * DAY, &e), -AE_REJECT);
	scan_close(s);
}

static void database_of_unknown_age_is_rejected(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	db_file(t, "dummy.hdb", "0123456789abcdef0123456789abcdef:12345:Airlock.Test.Never\n");
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "cannot tell how old"));
}

/* A .cvd header as ClamAV writes it (512 bytes, ':'-separated, build time last), then junk, not a database.
 */
static void fake_cvd(struct tmp *t, const char *name, int64_t built)
{
	char head[512 + 8], p[4200];

	memset(head, ' ', sizeof(head));
	snprintf(head, sizeof(head),
		 "ClamAV-VDB:01 Oct 2026 10-00 +0000:27000:123456:90:"
		 "0123456789abcdef0123456789abcdef:forged:airlock-test:%lld",
		 (long long)built);
	head[strlen(head)] = ' ';
	memcpy(head + 512, "garbage!", 8);
	snprintf(p, sizeof(p), "%s/%s", t->db, name);
	write_file(p, head, sizeof(head), 0644);
}

static void cvd_header_build_time_dates_the_database(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	opts(&o, t);
	fake_cvd(t, "daily.cvd", o.now - 40 * DAY);
	/* a fresh install does not make old signatures new */
	generation(t, o.now);
	assert_int_equal(scan_open(&s, &o, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "ClamAV database is 40 days old (limit 30 days;"));
}

static void forged_cvd_is_refused(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	opts(&o, t);
	fake_cvd(t, "daily.cvd", o.now - DAY);
	assert_int_equal(scan_open(&s, &o, &e), -AE_FORMAT);
	assert_null(s);
	assert_non_null(strstr(e.msg, "cannot load the ClamAV database"));
}

static void malformed_clamav_database_fails_to_load(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	db_file(t, "broken.ndb", "this is not a signature\n");
	generation(t, (int64_t)time(NULL));
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "cannot load the ClamAV database"));
}

/* Scripts as external scanners: no shell splits the command line. */
static void script(struct tmp *t, const char *name, const char *body)
{
	char text[1024];

	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(at(t, name), text, strlen(text), 0755);
}

static int run_external(struct tmp *t, const char *cmd, unsigned timeout, struct err *e, json_t **d)
{
	struct scanner *s = NULL;
	struct scan_opts o;
	int r;

	opts(&o, t);
	o.clamav = SCAN_OFF;
	o.external = cmd;
	o.external_timeout = timeout;
	write_str(at(t, "object"), "object content\n");
	assert_int_equal(scan_open(&s, &o, e), 0);
	r = scan_object(s, at(t, "object"), "pool/object", e);
	if (d)
		assert_int_equal(scan_describe(s, d, e), 0);
	scan_close(s);
	return r;
}

static void external_scanner_verdicts(void **state)
{
	struct tmp *t = *state;
	struct err e = {0};
	char cmd[8400];
	json_t *d = NULL;

	script(t, "clean.sh", "echo \"all good: $1\"; exit 0");
	script(t, "infected.sh", "echo \"Eicar-Test-Signature FOUND in $2\"; echo second line; exit 1");
	script(t, "crash.sh", "echo 'scanner broke' >&2; exit 2");
	script(t, "killed.sh", "kill -SEGV $$");
	script(t, "sleepy.sh", "sleep 30; exit 0");

	snprintf(cmd, sizeof(cmd), "%s", at(t, "clean.sh"));
	assert_int_equal(run_external(t, cmd, 60, &e, &d), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "external"), "clean")), 1);
	json_decref(d);

	snprintf(cmd, sizeof(cmd), "%s  --scan   {}", at(t, "infected.sh"));
	assert_int_equal(run_external(t, cmd, 60, &e, &d), -AE_REJECT);
	assert_non_null(
	    strstr(e.msg, "pool/object: external scanner: infected: Eicar-Test-Signature FOUND in /"));
	assert_null(strstr(e.msg, "second line"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "external"), "infected")), 1);
	json_decref(d);

	err_clear(&e);
	snprintf(cmd, sizeof(cmd), "%s", at(t, "crash.sh"));
	assert_int_equal(run_external(t, cmd, 60, &e, NULL), -AE_REJECT);
	assert_string_equal(e.msg, "pool/object: external scanner failed (exit 2): scanner broke");

	err_clear(&e);
	snprintf(cmd, sizeof(cmd), "%s", at(t, "killed.sh"));
	assert_int_equal(run_external(t, cmd, 60, &e, NULL), -AE_REJECT);
	assert_non_null(strstr(e.msg, "external scanner failed (signal 11)"));

	err_clear(&e);
	snprintf(cmd, sizeof(cmd), "%s {}", at(t, "sleepy.sh"));
	assert_int_equal(run_external(t, cmd, 1, &e, &d), -AE_REJECT);
	assert_string_equal(e.msg, "pool/object: external scanner timed out after 1 s");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "external"), "timed_out")), 1);
	json_decref(d);
}

static void external_scanner_must_exist(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	opts(&o, t);
	o.clamav = SCAN_OFF;
	o.external = "no-such-scanner-airlock {}";
	assert_int_equal(scan_open(&s, &o, &e), -AE_NOTFOUND);
	err_clear(&e);
	write_str(at(t, "notexec.sh"), "#!/bin/sh\nexit 0\n");
	o.external = at(t, "notexec.sh");
	assert_int_equal(scan_open(&s, &o, &e), -AE_NOTFOUND);
}

/* A zip with one member under traditional PKWARE encryption, written by libarchive. */
static void write_encrypted_zip(const char *path)
{
	static const char data[] = "secret payload no scanner can read\n";
	struct archive *a = archive_write_new();
	struct archive_entry *en = archive_entry_new();

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"), ARCHIVE_OK);
	assert_int_equal(archive_write_set_passphrase(a, "airlock"), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	archive_entry_set_pathname(en, "secret.txt");
	archive_entry_set_filetype(en, AE_IFREG);
	archive_entry_set_perm(en, 0644);
	archive_entry_set_size(en, sizeof(data) - 1);
	assert_int_equal(archive_write_header(a, en), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, sizeof(data) - 1), (la_ssize_t)(sizeof(data) - 1));
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(en);
	archive_write_free(a);
}

static void encrypted_archive_is_rejected(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	dummy_db(t);
	write_encrypted_zip(at(t, "locked.zip"));
	opts(&o, t);
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_object(s, at(t, "locked.zip"), "files/locked.zip", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "files/locked.zip: ClamAV: Heuristics.Encrypted"));
	scan_close(s);
}

static void exceeding_a_limit_is_a_detection(void **state)
{
	struct tmp *t = *state;
	struct scanner *s = NULL;
	struct scan_opts o;
	struct err e = {0};

	dummy_db(t);
	make_sample(at(t, "big.bin"), "bigger than the limit", 64 * 1024);
	opts(&o, t);
	o.max_file_size = 1024;
	assert_int_equal(scan_open(&s, &o, &e), 0);
	assert_int_equal(scan_object(s, at(t, "big.bin"), "pool/big.bin", &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "pool/big.bin: ClamAV: Heuristics.Limits.Exceeded"));
	scan_close(s);
}

static void filetype_real_debian_files_pass(void **state)
{
	struct filetype *ft = NULL;
	struct err e = {0};
	const char *kind = NULL;

	(void)state;
	assert_int_equal(filetype_open(&ft, &e), 0);
	assert_int_equal(
	    filetype_check(ft, FIX "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb",
			   "pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb", &kind, &e),
	    0);
	assert_string_equal(kind, "deb");
	assert_int_equal(filetype_check(ft, FIX "dists/bookworm-updates/InRelease",
					"dists/bookworm-updates/InRelease", &kind, &e),
			 0);
	assert_string_equal(kind, "clearsigned");
	assert_int_equal(filetype_check(ft, FIX "dists/bookworm-updates/main/binary-amd64/Packages.xz",
					"dists/bookworm-updates/main/binary-amd64/Packages.xz", &kind, &e),
			 0);
	assert_string_equal(kind, "xz");
	filetype_close(ft);
}

static void filetype_rejects_content_its_name_denies(void **state)
{
	struct tmp *t = *state;
	struct filetype *ft = NULL;
	struct err e = {0};
	const char *kind = NULL;
	char gz[4200];

	write_str(at(t, "x.deb"), "just some text pretending to be a package\n");
	assert_int_equal(filetype_open(&ft, &e), 0);
	assert_int_equal(filetype_check(ft, at(t, "x.deb"), "pool/x.deb", &kind, &e), -AE_REJECT);
	assert_string_equal(e.msg,
			    "pool/x.deb: content is text/plain, not the Debian package its name declares");

	/* gzip magic and a minimal empty gzip stream */
	snprintf(gz, sizeof(gz), "%s", at(t, "x.gz"));
	write_file(gz, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20,
		   0644);
	err_clear(&e);
	assert_int_equal(filetype_check(ft, gz, "dists/main/Packages.xz", &kind, &e), -AE_REJECT);
	assert_string_equal(e.msg,
			    "dists/main/Packages.xz: content is application/gzip, not the xz data its name "
			    "declares");
	err_clear(&e);
	assert_int_equal(filetype_check(ft, gz, "dists/main/Packages.gz", &kind, &e), 0);
	assert_string_equal(kind, "gzip");
	/* the same bytes under names that declare nothing */
	assert_int_equal(filetype_check(ft, gz, "misc/notes", &kind, &e), 0);
	assert_string_equal(kind, "any");
	assert_int_equal(
	    filetype_check(ft, gz, "dists/main/binary-amd64/by-hash/SHA256/Packages.xz", &kind, &e), 0);
	assert_string_equal(kind, "any");
	/* a text rule takes an empty file; a package rule does not */
	write_str(at(t, "empty"), "");
	assert_int_equal(filetype_check(ft, at(t, "empty"), "dists/main/binary-amd64/Packages", &kind, &e),
			 0);
	assert_int_equal(filetype_check(ft, at(t, "empty"), "pool/empty.deb", &kind, &e), -AE_REJECT);
	filetype_close(ft);
}

static void filetype_kinds_follow_the_table(void **state)
{
	(void)state;
	assert_string_equal(filetype_kind("pool/a/b.udeb"), "deb");
	assert_string_equal(filetype_kind("x/Release"), "text");
	assert_string_equal(filetype_kind("x/Release.gpg"), "signature");
	assert_string_equal(filetype_kind("README.MD"), "text");
	assert_string_equal(filetype_kind("a.json"), "json");
	assert_string_equal(filetype_kind("install.sh"), "shell");
	assert_string_equal(filetype_kind("image.iso"), "iso");
	assert_string_equal(filetype_kind(".deb"), "any");
	assert_string_equal(filetype_kind("Makefile"), "any");
	assert_string_equal(filetype_kind("by-hash/SHA256/abc"), "any");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(clamav_hdb_signature_detects_the_file, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(clamav_ndb_body_signature_detects_the_file, tmp_setup,
					    tmp_teardown),
	    cmocka_unit_test_setup_teardown(clean_files_pass_every_scanner, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(yara_rule_match_names_the_rule, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(yara_syntax_error_names_file_and_line, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(yara_include_is_refused, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(missing_database_rejects_when_required, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(missing_database_is_fine_when_off, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(stale_database_is_rejected, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(database_of_unknown_age_is_rejected, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(cvd_header_build_time_dates_the_database, tmp_setup,
					    tmp_teardown),
	    cmocka_unit_test_setup_teardown(forged_cvd_is_refused, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(malformed_clamav_database_fails_to_load, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(external_scanner_verdicts, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(external_scanner_must_exist, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(encrypted_archive_is_rejected, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(exceeding_a_limit_is_a_detection, tmp_setup, tmp_teardown),
	    cmocka_unit_test(filetype_real_debian_files_pass),
	    cmocka_unit_test_setup_teardown(filetype_rejects_content_its_name_denies, tmp_setup,
					    tmp_teardown),
	    cmocka_unit_test(filetype_kinds_follow_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
