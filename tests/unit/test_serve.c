/*
 * The mirror's parsers of request bytes, one table per parser and one named
 * test per row: path decoding and splitting (what may reach the catalog),
 * Range (what part of a body is sent), If-None-Match (when a 304 is due) and
 * Content-Type by extension.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/err.h"
#include "mirror/serve.h"
#include "verify/manifest.h"
#include "lib/banned.h"

/* As large as the handler's buffer: "/<source>/<path>" and the NUL. */
#define DECODED_MAX (1 + MANIFEST_MAX_NAME + 1 + MANIFEST_MAX_PATH + 1)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- paths: decode, then split ---- */

enum { OK = 0 };

struct path_case {
	const char *name;
	const char *url;
	int decode;	     /* 0, SERVE_BAD or SERVE_NOTFOUND */
	const char *decoded; /* when decode is 0 */
	int split;	     /* 0 or SERVE_NOTFOUND, when decode is 0 */
	const char *source, *path;
};

#define P_OK(n, u, d, s, p)                                                                                  \
	{                                                                                                    \
		n, u, OK, d, OK, s, p                                                                        \
	}
#define P_BAD(n, u)                                                                                          \
	{                                                                                                    \
		n, u, SERVE_BAD, NULL, 0, NULL, NULL                                                         \
	}
#define P_404(n, u, d)                                                                                       \
	{                                                                                                    \
		n, u, OK, d, SERVE_NOTFOUND, NULL, NULL                                                      \
	}

static const struct path_case path_cases[] = {
    P_OK("decode_path_plain", "/debian/pool/main/h/hello_2.10_amd64.deb",
	 "/debian/pool/main/h/hello_2.10_amd64.deb", "debian", "pool/main/h/hello_2.10_amd64.deb"),
    P_OK("decode_path_plus_from_2b", "/debian/pool/g%2b%2b-12.deb", "/debian/pool/g++-12.deb", "debian",
	 "pool/g++-12.deb"),
    P_OK("decode_path_plus_from_upper_2B", "/debian/g%2B%2B", "/debian/g++", "debian", "g++"),
    P_OK("decode_path_colon_from_3a", "/debian/pool/x_1%3a2.0_all.deb", "/debian/pool/x_1:2.0_all.deb",
	 "debian", "pool/x_1:2.0_all.deb"),
    P_OK("decode_path_colon_from_upper_3A", "/debian/epoch%3A1", "/debian/epoch:1", "debian", "epoch:1"),
    P_OK("decode_path_keeps_literal_plus", "/debian/c++.txt", "/debian/c++.txt", "debian", "c++.txt"),
    P_OK("decode_path_utf8_escaped", "/docs/%C3%A9t%C3%A9.txt", "/docs/\xc3\xa9t\xc3\xa9.txt", "docs",
	 "\xc3\xa9t\xc3\xa9.txt"),
    P_OK("decode_path_utf8_raw", "/docs/r\xc3\xa9sum\xc3\xa9.txt", "/docs/r\xc3\xa9sum\xc3\xa9.txt", "docs",
	 "r\xc3\xa9sum\xc3\xa9.txt"),
    P_OK("decode_path_space_from_20", "/docs/a%20b", "/docs/a b", "docs", "a b"),
    P_OK("decode_path_percent_from_25_not_decoded_twice", "/docs/%252e%252e", "/docs/%2e%2e", "docs",
	 "%2e%2e"),
    P_OK("split_path_allows_dots_inside_names", "/src/..a/b../.c/a..b/...", "/src/..a/b../.c/a..b/...", "src",
	 "..a/b../.c/a..b/..."),
    P_OK("split_path_encoded_slash_is_a_separator", "/src/a%2fb", "/src/a/b", "src", "a/b"),

    P_BAD("decode_path_rejects_nul", "/debian/pool/x%00.deb"),
    P_BAD("decode_path_rejects_zz", "/debian/%zz"),
    P_BAD("decode_path_rejects_half_hex", "/debian/%2z"),
    P_BAD("decode_path_rejects_trailing_percent", "/debian/x%"),
    P_BAD("decode_path_rejects_truncated_escape", "/debian/x%4"),
    P_BAD("decode_path_rejects_encoded_newline", "/debian/a%0d%0aSet-Cookie:x"),
    P_BAD("decode_path_rejects_encoded_del", "/debian/a%7f"),
    P_BAD("decode_path_rejects_raw_control", "/debian/a\x01"),
    P_BAD("decode_path_rejects_raw_tab", "/debian/a\tb"),
    P_BAD("decode_path_rejects_missing_slash", "debian/pool/x.deb"),
    P_BAD("decode_path_rejects_empty", ""),
    P_BAD("decode_path_rejects_absolute_url", "http://host/debian/x"),

    P_404("split_path_rejects_dotdot", "/debian/pool/../../etc/passwd", "/debian/pool/../../etc/passwd"),
    P_404("split_path_rejects_encoded_dotdot", "/debian/%2e%2e/etc/passwd", "/debian/../etc/passwd"),
    P_404("split_path_rejects_upper_encoded_dotdot", "/debian/%2E%2E/etc", "/debian/../etc"),
    P_404("split_path_rejects_half_encoded_dotdot", "/debian/.%2e/etc", "/debian/../etc"),
    P_404("split_path_rejects_encoded_slash_dotdot", "/debian/a%2f..%2fb", "/debian/a/../b"),
    P_404("split_path_rejects_trailing_dotdot", "/debian/pool/..", "/debian/pool/.."),
    P_404("split_path_rejects_dotdot_source", "/../etc/passwd", "/../etc/passwd"),
    P_404("split_path_rejects_dot", "/debian/./dists/Release", "/debian/./dists/Release"),
    P_404("split_path_rejects_encoded_dot", "/debian/%2e/dists", "/debian/./dists"),
    P_404("split_path_rejects_dot_source", "/./dists/Release", "/./dists/Release"),
    P_404("split_path_rejects_double_slash", "/debian//dists/Release", "/debian//dists/Release"),
    P_404("split_path_rejects_encoded_double_slash", "/debian/%2fetc", "/debian//etc"),
    P_404("split_path_rejects_empty_source", "//debian/x", "//debian/x"),
    P_404("split_path_rejects_trailing_slash", "/debian/dists/", "/debian/dists/"),
    P_404("split_path_rejects_source_alone", "/debian", "/debian"),
    P_404("split_path_rejects_source_and_slash", "/debian/", "/debian/"),
    P_404("split_path_rejects_root", "/", "/"),
};

static void run_path_case(void **state)
{
	const struct path_case *c = *state;
	char out[DECODED_MAX];
	const char *source = NULL, *path = NULL;
	int r;

	r = serve_decode_path(c->url, out, sizeof(out));
	assert_int_equal(r, c->decode);
	if (r)
		return;
	assert_string_equal(out, c->decoded);
	r = serve_split_path(out, &source, &path);
	assert_int_equal(r, c->split);
	if (r)
		return;
	assert_string_equal(source, c->source);
	assert_string_equal(path, c->path);
}

static void decode_path_refuses_what_does_not_fit(void **state)
{
	char out[8];

	(void)state;
	/* seven bytes and the NUL fit exactly; one more is too long to be catalogued */
	assert_int_equal(serve_decode_path("/abcdef", out, sizeof(out)), 0);
	assert_string_equal(out, "/abcdef");
	assert_int_equal(serve_decode_path("/abcdefg", out, sizeof(out)), SERVE_NOTFOUND);
	/* an escape counts as the one byte it decodes to */
	assert_int_equal(serve_decode_path("/a%2bc%2be", out, 7), 0);
	assert_string_equal(out, "/a+c+e");
	assert_int_equal(serve_decode_path("/a", out, 0), SERVE_BAD);
	assert_int_equal(serve_decode_path("/", out, 1), SERVE_NOTFOUND);
}

static void decode_path_handler_buffer_takes_longest_catalogued_path(void **state)
{
	char *url = malloc(DECODED_MAX + 1), *out = malloc(DECODED_MAX);
	size_t n = DECODED_MAX - 1;

	(void)state;
	assert_non_null(url);
	assert_non_null(out);
	memset(url, 'a', n);
	url[0] = '/';
	url[n] = '\0';
	assert_int_equal(serve_decode_path(url, out, DECODED_MAX), 0);
	assert_int_equal(strlen(out), n);
	url[n] = 'a';
	url[n + 1] = '\0';
	assert_int_equal(serve_decode_path(url, out, DECODED_MAX), SERVE_NOTFOUND);
	free(url);
	free(out);
}

/* ---- Range ---- */

struct range_case {
	const char *name;
	const char *header; /* NULL: no header */
	uint64_t size;
	int kind;
	uint64_t first, last;
};

#define R_ONE(n, h, s, f, l)                                                                                 \
	{                                                                                                    \
		n, h, s, SERVE_RANGE_ONE, f, l                                                               \
	}
#define R_FULL(n, h, s)                                                                                      \
	{                                                                                                    \
		n, h, s, SERVE_RANGE_NONE, 0, 0                                                              \
	}
#define R_416(n, h, s)                                                                                       \
	{                                                                                                    \
		n, h, s, SERVE_RANGE_UNSAT, 0, 0                                                             \
	}

static const struct range_case range_cases[] = {
    R_ONE("range_first_ten_bytes", "bytes=0-9", 100, 0, 9),
    R_ONE("range_suffix_five", "bytes=-5", 100, 95, 99),
    R_ONE("range_open_ended", "bytes=5-", 100, 5, 99),
    R_ONE("range_single_byte", "bytes=7-7", 100, 7, 7),
    R_ONE("range_last_byte", "bytes=99-", 100, 99, 99),
    R_ONE("range_end_clamped_to_size", "bytes=90-1000", 100, 90, 99),
    R_ONE("range_suffix_longer_than_body", "bytes=-500", 100, 0, 99),
    R_ONE("range_unit_case_and_spaces", " Bytes = 0-9 ", 100, 0, 9),
    R_ONE("range_huge_end_saturates", "bytes=1-99999999999999999999999", 100, 1, 99),
    R_ONE("range_on_one_byte_body", "bytes=0-0", 1, 0, 0),

    R_416("range_past_end_unsatisfiable", "bytes=100-", 100),
    R_416("range_past_end_with_end_unsatisfiable", "bytes=100-200", 100),
    R_416("range_huge_start_unsatisfiable", "bytes=99999999999999999999999-", 100),
    R_416("range_suffix_zero_unsatisfiable", "bytes=-0", 100),
    R_416("range_on_empty_body_unsatisfiable", "bytes=0-", 0),
    R_416("range_suffix_on_empty_body_unsatisfiable", "bytes=-5", 0),

    R_FULL("range_absent_is_full", NULL, 100),
    R_FULL("range_multi_is_full", "bytes=0-9,20-29", 100),
    R_FULL("range_multi_even_if_unsatisfiable_is_full", "bytes=200-300, 400-", 100),
    R_FULL("range_reversed_is_full", "bytes=9-5", 100),
    R_FULL("range_no_numbers_is_full", "bytes=-", 100),
    R_FULL("range_no_dash_is_full", "bytes=5", 100),
    R_FULL("range_trailing_garbage_is_full", "bytes=0-9x", 100),
    R_FULL("range_negative_is_full", "bytes=-1-5", 100),
    R_FULL("range_letters_is_full", "bytes=a-b", 100),
    R_FULL("range_no_equals_is_full", "bytes 0-9", 100),
    R_FULL("range_other_unit_is_full", "items=0-9", 100),
    R_FULL("range_unit_prefix_is_full", "bytesx=0-9", 100),
    R_FULL("range_empty_is_full", "", 100),
    R_FULL("range_plus_sign_is_full", "bytes=+1-5", 100),
};

static void run_range_case(void **state)
{
	const struct range_case *c = *state;
	uint64_t first = 12345, last = 12345;

	assert_int_equal(serve_parse_range(c->header, c->size, &first, &last), c->kind);
	if (c->kind != SERVE_RANGE_ONE)
		return;
	assert_int_equal(first, c->first);
	assert_int_equal(last, c->last);
}

static void range_never_leaves_the_body(void **state)
{
	static const char *const headers[] = {"bytes=0-", "bytes=-1", "bytes=-18446744073709551615",
					      "bytes=18446744073709551614-18446744073709551615"};
	static const uint64_t sizes[] = {1, 2, UINT64_MAX - 1, UINT64_MAX};
	uint64_t first, last;
	size_t i, j;

	(void)state;
	for (i = 0; i < COUNT(headers); i++) {
		for (j = 0; j < COUNT(sizes); j++) {
			int k = serve_parse_range(headers[i], sizes[j], &first, &last);

			if (k != SERVE_RANGE_ONE)
				continue;
			assert_true(first <= last);
			assert_true(last < sizes[j]);
		}
	}
}

/* ---- If-None-Match ---- */

#define ETAG "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
#define OTHER "\"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\""

struct etag_case {
	const char *name;
	const char *header;
	int match;
};

static const struct etag_case etag_cases[] = {
    {"etag_exact_matches", ETAG, 1},
    {"etag_weak_matches", "W/" ETAG, 1},
    {"etag_star_matches", "*", 1},
    {"etag_star_with_spaces_matches", "  *  ", 1},
    {"etag_list_second_matches", OTHER ", " ETAG, 1},
    {"etag_list_weak_second_matches", OTHER ",W/" ETAG, 1},
    {"etag_list_tabs_and_empty_items_match", ",\t," OTHER " ,, " ETAG " ,", 1},
    {"etag_other_does_not_match", OTHER, 0},
    {"etag_list_of_others_does_not_match", OTHER ", W/" OTHER, 0},
    {"etag_empty_does_not_match", "", 0},
    {"etag_unquoted_does_not_match", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 0},
    {"etag_prefix_does_not_match", "\"0123456789abcdef\"", 0},
    {"etag_longer_does_not_match", "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0\"",
     0},
    {"etag_unterminated_does_not_match", "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
     0},
    {"etag_lowercase_weak_prefix_does_not_match", "w/" ETAG, 0},
    {"etag_upper_case_hex_does_not_match",
     "\"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\"", 0},
    {"etag_malformed_list_does_not_match", "junk, " ETAG, 0},
};

static void run_etag_case(void **state)
{
	const struct etag_case *c = *state;

	assert_int_equal(serve_etag_match(c->header, ETAG), c->match);
}

/* ---- Content-Type ---- */

struct type_case {
	const char *name;
	const char *path;
	const char *type;
};

#define OCTET "application/octet-stream"

static const struct type_case type_cases[] = {
    {"content_type_deb", "pool/main/h/hello_2.10_amd64.deb", "application/vnd.debian.binary-package"},
    {"content_type_udeb", "pool/main/d/di_1_amd64.udeb", "application/vnd.debian.binary-package"},
    {"content_type_extension_case_insensitive", "pool/HELLO.DEB", "application/vnd.debian.binary-package"},
    {"content_type_last_extension_counts", "dists/x/Contents-amd64.tar.gz", "application/gzip"},
    {"content_type_xz", "dists/x/main/binary-amd64/Packages.xz", "application/x-xz"},
    {"content_type_bz2", "a.bz2", "application/x-bzip2"},
    {"content_type_zst", "a.tar.zst", "application/zstd"},
    {"content_type_txt", "README.txt", "text/plain; charset=utf-8"},
    {"content_type_html", "index.html", "text/html; charset=utf-8"},
    {"content_type_htm", "index.htm", "text/html; charset=utf-8"},
    {"content_type_json", "meta.json", "application/json"},
    {"content_type_iso", "images/netinst.iso", "application/x-iso9660-image"},
    {"content_type_asc", "dists/x/Release.asc", "application/pgp-signature"},
    {"content_type_sig", "a.sig", "application/pgp-signature"},
    {"content_type_gpg", "keys/archive.gpg", "application/pgp-keys"},
    {"content_type_rpm", "Packages/x-1.0.rpm", "application/x-rpm"},
    {"content_type_tar", "src/x.tar", "application/x-tar"},
    {"content_type_no_extension", "dists/bookworm/Release", OCTET},
    {"content_type_unknown_extension", "a.exe", OCTET},
    {"content_type_dot_file", "pool/.deb", OCTET},
    {"content_type_trailing_dot", "pool/hello.", OCTET},
    {"content_type_dot_in_folder_only", "pool/x.deb/hello", OCTET},
    {"content_type_extension_must_match_whole", "a.debx", OCTET},
    {"content_type_html_not_by_suffix", "a.xhtml", OCTET},
    {"content_type_empty", "", OCTET},
};

static void run_type_case(void **state)
{
	const struct type_case *c = *state;

	assert_string_equal(serve_content_type(c->path), c->type);
}

/* ---- listen address ---- */

static void listen_parses_v4_and_v6(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(serve_parse_listen("127.0.0.1:8080", &ss, &len, &e), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	assert_int_equal(serve_parse_listen("[::1]:0", &ss, &len, &e), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(len, sizeof(struct sockaddr_in6));
}

static void listen_rejects_bad_addresses(void **state)
{
	static const char *const bad[] = {"127.0.0.1",	  "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1:08",
					  ":80",	  "[::1]80",	     "[::1]",	   "::1:80",
					  "localhost:80", "[127.0.0.1]:80"};
	struct sockaddr_storage ss;
	socklen_t len;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < COUNT(bad); i++) {
		err_clear(&e);
		assert_int_equal(serve_parse_listen(bad[i], &ss, &len, &e), -AE_USAGE);
		assert_int_equal(e.code, AE_USAGE);
	}
}

static const struct CMUnitTest fixed[] = {
    cmocka_unit_test(decode_path_refuses_what_does_not_fit),
    cmocka_unit_test(decode_path_handler_buffer_takes_longest_catalogued_path),
    cmocka_unit_test(range_never_leaves_the_body),
    cmocka_unit_test(listen_parses_v4_and_v6),
    cmocka_unit_test(listen_rejects_bad_addresses),
};

int main(void)
{
	static struct CMUnitTest tests[COUNT(fixed) + COUNT(path_cases) + COUNT(range_cases) +
				       COUNT(etag_cases) + COUNT(type_cases)];
	size_t i, n = 0;

	for (i = 0; i < COUNT(fixed); i++)
		tests[n++] = fixed[i];
	/* one named test per table row, so that a failure names the rule it broke */
	for (i = 0; i < COUNT(path_cases); i++)
		tests[n++] = (struct CMUnitTest){path_cases[i].name, run_path_case, NULL, NULL,
						 (void *)&path_cases[i]};
	for (i = 0; i < COUNT(range_cases); i++)
		tests[n++] = (struct CMUnitTest){range_cases[i].name, run_range_case, NULL, NULL,
						 (void *)&range_cases[i]};
	for (i = 0; i < COUNT(etag_cases); i++)
		tests[n++] = (struct CMUnitTest){etag_cases[i].name, run_etag_case, NULL, NULL,
						 (void *)&etag_cases[i]};
	for (i = 0; i < COUNT(type_cases); i++)
		tests[n++] = (struct CMUnitTest){type_cases[i].name, run_type_case, NULL, NULL,
						 (void *)&type_cases[i]};
	return _cmocka_run_group_tests("serve", tests, n, NULL, NULL);
}
