#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/audit.h"
#include "lib/buf.h"
#include "lib/conf.h"
#include "lib/db.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/home.h"
#include "lib/util.h"

static void buf_refuses_growth_past_max(void **state)
{
	struct err e = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "12345678", &e), 0);
	assert_int_equal(buf_adds(&b, "9", &e), -AE_TOOBIG);
	assert_string_equal(buf_str(&b), "12345678");
	assert_int_equal(b.len, 8);
	buf_release(&b);
}

static void buf_addf_formats_and_stays_terminated(void **state)
{
	struct err e = { 0 };
	struct buf b;

	(void)state;
	buf_init(&b, 100);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_addf(&b, &e, "%s-%d", "a", 42), 0);
	assert_int_equal(buf_addf(&b, &e, "/%03u", 7u), 0);
	assert_string_equal(buf_str(&b), "a-42/007");
	buf_release(&b);
}

static void slice_cut_splits_at_separator(void **state)
{
	struct slice s = slice_from("pack 1 zstd"), head;

	(void)state;
	assert_true(slice_cut(&s, ' ', &head));
	assert_true(slice_eq(head, "pack"));
	assert_true(slice_cut(&s, ' ', &head));
	assert_true(slice_eq(head, "1"));
	assert_false(slice_cut(&s, ' ', &head));
	assert_true(slice_eq(s, "zstd"));
}

static void sha256_matches_known_vector(void **state)
{
	uint8_t d[SHA256_LEN];
	char hex[SHA256_HEX];
	struct sha256 h;
	struct err e = { 0 };

	(void)state;
	sha256_buf("abc", 3, d);
	hex_encode(d, SHA256_LEN, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(sha256_init(&h, &e), 0);
	sha256_update(&h, "a", 1);
	sha256_update(&h, "bc", 2);
	sha256_final(&h, d);
	hex_encode(d, SHA256_LEN, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void hex_rejects_uppercase_and_odd_length(void **state)
{
	uint8_t out[2];

	(void)state;
	assert_int_equal(hex_decode("ab0f", 4, out, 2), 0);
	assert_int_equal(out[1], 0x0f);
	assert_int_equal(hex_decode("AB0F", 4, out, 2), -1);
	assert_int_equal(hex_decode("ab0", 3, out, 2), -1);
	assert_false(is_sha256_hex("ba7816bf", 8));
}

static void time_round_trips_and_rejects_bad_dates(void **state)
{
	char s[TIME_STR];
	int64_t t;

	(void)state;
	assert_int_equal(time_parse("2026-11-21T23:19:07Z", 20, &t), 0);
	assert_int_equal(t, 1795303147);
	time_format(t, s);
	assert_string_equal(s, "2026-11-21T23:19:07Z");
	assert_int_equal(time_parse("2026-02-29T00:00:00Z", 20, &t), -1);
	assert_int_equal(time_parse("2024-02-29T00:00:00Z", 20, &t), 0);
	assert_int_equal(time_parse("2026-11-21 23:19:07Z", 20, &t), -1);
	assert_int_equal(time_parse("2026-11-21T23:19:07+", 20, &t), -1);
	assert_int_equal(time_parse("2026-13-01T00:00:00Z", 20, &t), -1);
}

static void rfc2822_dates_for_http_and_apt(void **state)
{
	char s[TIME_RFC2822];

	(void)state;
	time_format_rfc2822(784111777, "GMT", s); /* RFC 9110's example */
	assert_string_equal(s, "Sun, 06 Nov 1994 08:49:37 GMT");
	time_format_rfc2822(1783764300, "UTC", s);
	assert_string_equal(s, "Sat, 11 Jul 2026 10:05:00 UTC");
}

static void parse_u64_is_strict(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_u64("0", 1, &v), 0);
	assert_int_equal(parse_u64("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(parse_u64("18446744073709551616", 20, &v), -1);
	assert_int_equal(parse_u64("01", 2, &v), -1);
	assert_int_equal(parse_u64("+1", 2, &v), -1);
	assert_int_equal(parse_u64("", 0, &v), -1);
}

static void duration_and_size_units(void **state)
{
	int64_t d;
	uint64_t s;

	(void)state;
	assert_int_equal(duration_parse("30d", &d), 0);
	assert_int_equal(d, 30 * 86400);
	assert_int_equal(duration_parse("90", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(duration_parse("0d", &d), -1);
	assert_int_equal(duration_parse("-1d", &d), -1);
	assert_int_equal(size_parse("dvd", &s), 0);
	assert_true(s == 4700000000ull);
	assert_int_equal(size_parse("2M", &s), 0);
	assert_true(s == 2u << 20);
}

static void names_follow_the_rule(void **state)
{
	(void)state;
	assert_true(name_valid("plant-a", 7));
	assert_true(name_valid("debsec.2", 8));
	assert_false(name_valid("Plant", 5));
	assert_false(name_valid("-x", 2));
	assert_false(name_valid("a/b", 3));
	assert_false(name_valid("", 0));
}

static void err_maps_exit_codes(void **state)
{
	struct err e = { 0 };

	(void)state;
	assert_int_equal(err_reject(&e, "x"), -AE_REJECT);
	assert_int_equal(err_exit_code(e.code), 3);
	/* the first error wins */
	assert_int_equal(err_set(&e, AE_IO, "later"), -AE_REJECT);
	assert_string_equal(e.msg, "x");
	assert_int_equal(err_exit_code(AE_USAGE), 2);
	assert_int_equal(err_exit_code(AE_IO), 1);
	assert_int_equal(err_exit_code(AE_NOOP), 0);
}

struct tmp {
	struct buf dir;
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	struct err e = { 0 };

	buf_init(&t->dir, 4096);
	if (fs_mkdtemp("/tmp", "al-unit-", &t->dir, &e))
		return -1;
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;
	struct err e = { 0 };

	if (fs_rm_rf(t->dir.ptr, &e))
		fprintf(stderr, "%s\n", e.msg);
	buf_release(&t->dir);
	free(t);
	return 0;
}

static void home_create_then_open_checks_role(void **state)
{
	struct tmp *t = *state;
	struct err e = { 0 };
	struct home h;

	assert_int_equal(home_create(t->dir.ptr, HOME_IMPORT, &e), 0);
	assert_int_equal(home_create(t->dir.ptr, HOME_IMPORT, &e), -AE_EXISTS);
	err_clear(&e);
	assert_int_equal(home_open(&h, t->dir.ptr, HOME_EXPORT, &e), -AE_STATE);
	assert_non_null(strstr(e.msg, "import home"));
	err_clear(&e);
	assert_int_equal(home_open(&h, t->dir.ptr, HOME_IMPORT, &e), 0);
	assert_int_equal(h.role, HOME_IMPORT);
	assert_true(fs_is_dir(h.store) && fs_is_dir(h.quarantine) && fs_is_dir(h.gnupg));
	home_close(&h);
}

static void audit_chain_detects_edit_delete_and_reorder(void **state)
{
	struct tmp *t = *state;
	struct audit_report rep;
	struct err e = { 0 };
	struct home h;

	assert_int_equal(home_create(t->dir.ptr, HOME_EXPORT, &e), 0);
	assert_int_equal(home_open(&h, t->dir.ptr, 0, &e), 0);
	assert_int_equal(audit_append(h.db, "source.add", "tools", "dir=/x", &e), 0);
	assert_int_equal(audit_append(h.db, "export", "plant-a", "sequence=1", &e), 0);
	assert_int_equal(audit_append(h.db, "sign", "abc", "fpr=1", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), 0);
	assert_int_equal(rep.records, 4); /* init + 3 */

	/* edit */
	assert_int_equal(db_exec(h.db, "UPDATE audit SET detail = 'sequence=2' WHERE seq = 3", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), -AE_REJECT);
	assert_int_equal(rep.first_bad, 3);
	err_clear(&e);
	assert_int_equal(db_exec(h.db, "UPDATE audit SET detail = 'sequence=1' WHERE seq = 3", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), 0);

	/* reorder: swap the content of records 2 and 3 */
	assert_int_equal(db_exec(h.db, "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;"
				       "UPDATE audit SET seq = 3 WHERE seq = 100", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), -AE_REJECT);
	err_clear(&e);
	assert_int_equal(db_exec(h.db, "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;"
				       "UPDATE audit SET seq = 3 WHERE seq = 100", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), 0);

	/* delete from the middle */
	assert_int_equal(db_exec(h.db, "DELETE FROM audit WHERE seq = 2", &e), 0);
	assert_int_equal(audit_verify(h.db, &rep, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "record 2"));
	home_close(&h);
}

static void write_atomic_replaces_whole_file(void **state)
{
	struct tmp *t = *state;
	struct err e = { 0 };
	struct buf p, b;

	buf_init(&p, 4096);
	buf_init(&b, 100);
	assert_int_equal(buf_addf(&p, &e, "%s/f", t->dir.ptr), 0);
	assert_int_equal(fs_write_atomic(p.ptr, "one", 3, 0644, &e), 0);
	assert_int_equal(fs_write_atomic(p.ptr, "second", 6, 0644, &e), 0);
	assert_int_equal(fs_read_file(p.ptr, &b, &e), 0);
	assert_string_equal(buf_str(&b), "second");
	buf_release(&b);
	buf_init(&b, 3);
	assert_int_equal(fs_read_file(p.ptr, &b, &e), -AE_TOOBIG);
	buf_release(&b);
	buf_release(&p);
}

static void link_makes_folders_and_keeps_existing(void **state)
{
	struct tmp *t = *state;
	struct err e = { 0 };
	struct buf src, dst, b;
	struct stat a, c;
	int copied = 0;

	buf_init(&src, 4096);
	buf_init(&dst, 4096);
	buf_init(&b, 100);
	assert_int_equal(buf_addf(&src, &e, "%s/src", t->dir.ptr), 0);
	assert_int_equal(buf_addf(&dst, &e, "%s/a/b/c/dst", t->dir.ptr), 0);
	assert_int_equal(fs_write_atomic(src.ptr, "bytes", 5, 0444, &e), 0);
	assert_int_equal(fs_link(src.ptr, dst.ptr, &copied, &e), 0);
	assert_int_equal(stat(src.ptr, &a), 0);
	assert_int_equal(stat(dst.ptr, &c), 0);
	assert_true(a.st_ino == c.st_ino); /* a link, not a copy, on one file system */
	assert_int_equal(copied, 0);
	/* an existing dst is kept, and its folders already there cost nothing */
	assert_int_equal(fs_link(src.ptr, dst.ptr, NULL, &e), 0);
	assert_int_equal(fs_read_file(dst.ptr, &b, &e), 0);
	assert_string_equal(buf_str(&b), "bytes");
	/* a missing source is an error naming the destination */
	buf_reset(&dst);
	assert_int_equal(buf_addf(&dst, &e, "%s/x/y", t->dir.ptr), 0);
	assert_int_equal(fs_link("/nonexistent/file", dst.ptr, &copied, &e), -AE_IO);
	assert_non_null(strstr(e.msg, "x/y"));
	buf_release(&src);
	buf_release(&dst);
	buf_release(&b);
}

static void conf_reads_values_and_defaults(void **state)
{
	struct conf *c = NULL;
	struct err e = { 0 };
	int64_t d;
	uint64_t n;
	unsigned idx;

	(void)state;
	assert_int_equal(conf_parse(&c, "x.conf", "# site\nrole = import\n\n  scan.max-db-age =  7d \nscan.clamav=off\n", &e), 0);
	assert_string_equal(conf_str(c, "role"), "import");
	assert_int_equal(conf_duration(c, "scan.max-db-age", &d, &e), 0);
	assert_int_equal(d, 7 * 86400);
	assert_int_equal(conf_choice(c, "scan.clamav", "required|off", &idx, &e), 0);
	assert_int_equal(idx, 1);
	/* unset: the built-in default */
	assert_int_equal(conf_duration(c, "import.clock-skew", &d, &e), 0);
	assert_int_equal(d, 3600);
	assert_int_equal(conf_uint(c, "scan.max-recursion", 1000, &n, &e), 0);
	assert_int_equal(n, 16);
	assert_null(conf_str(c, "no.such"));
	conf_free(c);
}

static void conf_refuses_unknown_twice_and_malformed(void **state)
{
	struct conf *c = NULL;
	struct err e = { 0 };
	int64_t d;
	unsigned idx;

	(void)state;
	assert_int_not_equal(conf_parse(&c, "x.conf", "role = import\nscan.clamv = off\n", &e), 0);
	assert_non_null(strstr(e.msg, "line 2: unknown setting 'scan.clamv'"));
	err_clear(&e);
	assert_int_not_equal(conf_parse(&c, "x.conf", "role = import\nrole = export\n", &e), 0);
	assert_non_null(strstr(e.msg, "'role' is set twice"));
	err_clear(&e);
	assert_int_not_equal(conf_parse(&c, "x.conf", "role import\n", &e), 0);
	assert_non_null(strstr(e.msg, "line 1: expected 'key = value'"));
	assert_int_equal(conf_parse(&c, "x.conf", "scan.clamav = maybe\nscan.max-db-age = soon\n", &e), 0);
	err_clear(&e);
	assert_int_not_equal(conf_choice(c, "scan.clamav", "required|off", &idx, &e), 0);
	assert_non_null(strstr(e.msg, "scan.clamav = 'maybe' is not required|off"));
	assert_int_not_equal(conf_duration(c, "scan.max-db-age", &d, &e), 0);
	conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buf_refuses_growth_past_max),
		cmocka_unit_test(buf_addf_formats_and_stays_terminated),
		cmocka_unit_test(slice_cut_splits_at_separator),
		cmocka_unit_test(sha256_matches_known_vector),
		cmocka_unit_test(hex_rejects_uppercase_and_odd_length),
		cmocka_unit_test(time_round_trips_and_rejects_bad_dates),
		cmocka_unit_test(rfc2822_dates_for_http_and_apt),
		cmocka_unit_test(parse_u64_is_strict),
		cmocka_unit_test(duration_and_size_units),
		cmocka_unit_test(names_follow_the_rule),
		cmocka_unit_test(err_maps_exit_codes),
		cmocka_unit_test_setup_teardown(home_create_then_open_checks_role, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(audit_chain_detects_edit_delete_and_reorder, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(write_atomic_replaces_whole_file, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(link_makes_folders_and_keeps_existing, tmp_setup, tmp_teardown),
		cmocka_unit_test(conf_reads_values_and_defaults),
		cmocka_unit_test(conf_refuses_unknown_twice_and_malformed),
	};

	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
