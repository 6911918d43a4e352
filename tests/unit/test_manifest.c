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
#include "verify/manifest.h"
#include "lib/banned.h"

#define HX(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define HA HX("aa")
#define HB HX("bb")
#define HC HX("cc")
#define HD HX("dd")
#define H1 HX("11")
#define H2 HX("12")
#define H3 HX("13")
#define H4 HX("14")
#define H5 HX("15")
#define HP HX("ee")

/*
 * A full bundle exercising every kind of line: two sources, a compressed
 * pack split over two volumes, an uncompressed pack, an object shared by two
 * files, an empty object, a path with a space and one with UTF-8.
 */
static const char good_full[] =
	"airlock-manifest 1\n"
	"channel plant-a\n"
	"sequence 3\n"
	"created 2026-11-21T23:00:00Z\n"
	"expires 2026-12-21T23:00:00Z\n"
	"previous " HP "\n"
	"base none\n"
	"source debian apt\n"
	"source local dir\n"
	"pack 1 zstd 3000 " H1 "\n"
	"pack 2 none 500 " H2 "\n"
	"part 1 1 1 2000 " H3 " p0001.001\n"
	"part 1 2 2 1000 " H4 " p0001.002\n"
	"part 2 1 2 500 " H5 " p0002.001\n"
	"object " HA " 10 1\n"
	"object " HB " 20 2\n"
	"object " HC " 0 1\n"
	"file debian 0644 " HA " pool/main/a.deb\n"
	"file debian 0644 " HB " pool/main/b.deb\n"
	"file local 0755 " HC " bin/run\n"
	"file local 0644 " HC " caf\xc3\xa9/na\xc3\xafve\n"
	"file local 0644 " HA " docs/a b.txt\n"
	"end\n";

/* An increment: base 2, one object the base already holds (pack 0). */
static const char good_incr[] =
	"airlock-manifest 1\n"
	"channel plant-a\n"
	"sequence 4\n"
	"created 2026-11-22T23:00:00Z\n"
	"expires 2026-12-22T23:00:00Z\n"
	"previous " HP "\n"
	"base 2\n"
	"source local dir\n"
	"pack 1 zstd 100 " H1 "\n"
	"part 1 1 1 100 " H3 " p0001.001\n"
	"object " HA " 10 0\n"
	"object " HB " 20 1\n"
	"file local 0644 " HA " a\n"
	"file local 0644 " HB " b\n"
	"end\n";

/* The smallest valid manifest: an empty channel. */
static const char good_empty[] =
	"airlock-manifest 1\n"
	"channel x\n"
	"sequence 1\n"
	"created 1970-01-01T00:00:00Z\n"
	"expires 1970-01-01T00:00:01Z\n"
	"previous none\n"
	"base none\n"
	"end\n";

static void assert_released(const struct manifest *m)
{
	assert_null(m->channel);
	assert_null(m->sources);
	assert_null(m->packs);
	assert_null(m->parts);
	assert_null(m->objects);
	assert_null(m->files);
	assert_int_equal(m->nfiles, 0);
}

static void expect_round_trip(const char *text, size_t len)
{
	struct manifest m;
	struct err e;
	struct buf out;

	err_clear(&e);
	buf_init(&out, MANIFEST_MAX_BYTES);
	if (manifest_parse(&m, text, len, &e) != 0)
		fail_msg("parse failed: %s", e.msg);
	if (manifest_write(&m, &out, &e) != 0)
		fail_msg("write failed: %s", e.msg);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.ptr, text, len);
	manifest_release(&m);
	buf_release(&out);
}

static void manifest_round_trips_full(void **state)
{
	expect_round_trip(good_full, strlen(good_full));
}

static void manifest_round_trips_incremental(void **state)
{
	expect_round_trip(good_incr, strlen(good_incr));
}

static void manifest_round_trips_empty_channel(void **state)
{
	expect_round_trip(good_empty, strlen(good_empty));
}

static void manifest_parses_fields(void **state)
{
	struct manifest m;
	const struct manifest_object *o;
	const struct manifest_pack *p;
	uint8_t h[SHA256_LEN];
	struct err e;

	err_clear(&e);
	assert_int_equal(manifest_parse(&m, good_full, strlen(good_full), &e), 0);
	assert_int_equal(m.format, 1);
	assert_string_equal(m.channel, "plant-a");
	assert_int_equal(m.sequence, 3);
	assert_int_equal(m.expires - m.created, 30 * 86400);
	assert_int_equal(m.has_previous, 1);
	assert_int_equal(m.base, 0);
	assert_int_equal(m.nsources, 2);
	assert_string_equal(m.sources[0].kind, "apt");
	assert_int_equal(m.npacks, 2);
	assert_int_equal(m.packs[1].compression, PACK_NONE);
	assert_int_equal(m.nparts, 3);
	assert_string_equal(m.parts[1].name, "p0001.002");
	assert_int_equal(m.parts[1].volume, 2);
	assert_int_equal(m.nobjects, 3);
	assert_int_equal(m.nfiles, 5);
	assert_int_equal(m.files[2].mode, 0755);
	assert_string_equal(m.files[4].path, "docs/a b.txt");
	assert_string_equal(m.files[4].source, "local");

	memset(h, 0xbb, sizeof(h));
	o = manifest_find_object(&m, h);
	assert_non_null(o);
	assert_int_equal(o->size, 20);
	memset(h, 0xbc, sizeof(h));
	assert_null(manifest_find_object(&m, h));
	p = manifest_find_pack(&m, 2);
	assert_non_null(p);
	assert_int_equal(p->size, 500);
	assert_null(manifest_find_pack(&m, 3));
	assert_null(manifest_find_pack(&m, 0));
	manifest_release(&m);
}

static void sha_fill(uint8_t h[SHA256_LEN], uint8_t v)
{
	memset(h, v, SHA256_LEN);
}

/* Build in scrambled order, canonicalize, write; the text must parse and write back the same. */
static void manifest_build_canonicalize_write_parse(void **state)
{
	struct manifest m, m2;
	struct manifest_pack pk;
	struct manifest_part pt;
	struct manifest_object ob;
	struct buf a, b;
	uint8_t h[SHA256_LEN];
	struct err e;

	err_clear(&e);
	buf_init(&a, MANIFEST_MAX_BYTES);
	buf_init(&b, MANIFEST_MAX_BYTES);
	manifest_init(&m);
	m.channel = strdup("plant-b");
	m.sequence = 7;
	m.created = 1790000000;
	m.expires = 1790000000 + 86400;
	m.base = 5;

	assert_int_equal(manifest_add_source(&m, "zeta", "http", &e), 0);
	assert_int_equal(manifest_add_source(&m, "alpha", "dir", &e), 0);

	memset(&pk, 0, sizeof(pk));
	pk.id = 2;
	pk.compression = PACK_NONE;
	pk.size = 30;
	sha_fill(pk.sha256, 0x02);
	assert_int_equal(manifest_add_pack(&m, &pk, &e), 0);
	pk.id = 1;
	pk.compression = PACK_ZSTD;
	pk.size = 25;
	sha_fill(pk.sha256, 0x01);
	assert_int_equal(manifest_add_pack(&m, &pk, &e), 0);

	memset(&pt, 0, sizeof(pt));
	pt.pack = 2, pt.index = 1, pt.volume = 1, pt.size = 30, pt.name = "p2.1";
	sha_fill(pt.sha256, 0x21);
	assert_int_equal(manifest_add_part(&m, &pt, &e), 0);
	pt.pack = 1, pt.index = 2, pt.volume = 2, pt.size = 5, pt.name = "p1.2";
	sha_fill(pt.sha256, 0x12);
	assert_int_equal(manifest_add_part(&m, &pt, &e), 0);
	pt.pack = 1, pt.index = 1, pt.volume = 1, pt.size = 20, pt.name = "p1.1";
	sha_fill(pt.sha256, 0x11);
	assert_int_equal(manifest_add_part(&m, &pt, &e), 0);

	memset(&ob, 0, sizeof(ob));
	sha_fill(ob.sha256, 0xc0), ob.size = 3, ob.pack = 2;
	assert_int_equal(manifest_add_object(&m, &ob, &e), 0);
	sha_fill(ob.sha256, 0x0a), ob.size = 4, ob.pack = 0;
	assert_int_equal(manifest_add_object(&m, &ob, &e), 0);
	sha_fill(ob.sha256, 0x5b), ob.size = 5, ob.pack = 1;
	assert_int_equal(manifest_add_object(&m, &ob, &e), 0);

	/* "a.b" sorts between "a" and "a/..." by bytes ('.' < '/'): the canonical order is bytewise */
	sha_fill(h, 0xc0);
	assert_int_equal(manifest_add_file(&m, "zeta", 0644, h, "x/y", &e), 0);
	sha_fill(h, 0x0a);
	assert_int_equal(manifest_add_file(&m, "alpha", 0600, h, "a/b", &e), 0);
	sha_fill(h, 0x5b);
	assert_int_equal(manifest_add_file(&m, "alpha", 0755, h, "a.b", &e), 0);
	assert_int_equal(manifest_add_file(&m, "zeta", 0644, h, "a", &e), 0);
	/* the same path in another source is a different file */
	assert_int_equal(manifest_add_file(&m, "alpha", 0644, h, "x/y", &e), 0);

	if (manifest_canonicalize(&m, &e) != 0)
		fail_msg("canonicalize: %s", e.msg);
	assert_string_equal(m.sources[0].name, "alpha");
	assert_int_equal(m.packs[0].id, 1);
	assert_int_equal(m.parts[0].size, 20);
	assert_string_equal(m.files[0].path, "a.b");
	assert_string_equal(m.files[1].path, "a/b");
	if (manifest_write(&m, &a, &e) != 0)
		fail_msg("write: %s", e.msg);
	if (manifest_parse(&m2, a.ptr, a.len, &e) != 0)
		fail_msg("parse of written manifest: %s\n%s", e.msg, a.ptr);
	assert_int_equal(manifest_write(&m2, &b, &e), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	assert_non_null(strstr(a.ptr, "\nfile alpha 0600 " HX("0a") " a/b\n"));
	assert_non_null(strstr(a.ptr, "\nbase 5\nsource alpha dir\nsource zeta http\npack 1 zstd 25 "));

	manifest_release(&m);
	manifest_release(&m2);
	buf_release(&a);
	buf_release(&b);
}

static void manifest_canonicalize_reports_duplicates(void **state)
{
	struct manifest m;
	struct manifest_object ob;
	uint8_t h[SHA256_LEN];
	struct err e;

	err_clear(&e);
	manifest_init(&m);
	assert_int_equal(manifest_add_source(&m, "s", "dir", &e), 0);
	assert_int_equal(manifest_add_source(&m, "s", "dir", &e), 0);
	assert_int_equal(manifest_canonicalize(&m, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "duplicate source 's'"));
	manifest_release(&m);

	err_clear(&e);
	manifest_init(&m);
	memset(&ob, 0, sizeof(ob));
	sha_fill(ob.sha256, 1);
	assert_int_equal(manifest_add_object(&m, &ob, &e), 0);
	assert_int_equal(manifest_add_object(&m, &ob, &e), 0);
	assert_int_equal(manifest_canonicalize(&m, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "duplicate object " HX("01")));
	manifest_release(&m);

	err_clear(&e);
	manifest_init(&m);
	sha_fill(h, 1);
	assert_int_equal(manifest_add_file(&m, "s", 0644, h, "a/b", &e), 0);
	assert_int_equal(manifest_add_file(&m, "t", 0644, h, "a/b", &e), 0);
	assert_int_equal(manifest_add_file(&m, "s", 0644, h, "a/b", &e), 0);
	assert_int_equal(manifest_canonicalize(&m, &e), -AE_FORMAT);
	assert_non_null(strstr(e.msg, "duplicate path 'a/b' in source 's'"));
	manifest_release(&m);
}

/* Many entries: the arrays must grow past several powers of two intact. */
static void manifest_grows_arrays(void **state)
{
	struct manifest m, m2;
	struct manifest_object ob;
	struct buf a;
	char path[32];
	struct err e;
	unsigned i;

	err_clear(&e);
	buf_init(&a, MANIFEST_MAX_BYTES);
	manifest_init(&m);
	m.channel = strdup("big");
	m.sequence = 2;
	m.created = 0;
	m.expires = 1;
	m.base = 1;
	assert_int_equal(manifest_add_source(&m, "s", "dir", &e), 0);
	for (i = 0; i < 3000; i++) {
		memset(&ob, 0, sizeof(ob));
		ob.sha256[0] = (uint8_t)(i >> 8);
		ob.sha256[1] = (uint8_t)i;
		ob.size = i;
		assert_int_equal(manifest_add_object(&m, &ob, &e), 0);
		snprintf(path, sizeof(path), "d%u/f%u", i % 7, i);
		assert_int_equal(manifest_add_file(&m, "s", 0644, ob.sha256, path, &e), 0);
	}
	assert_int_equal(manifest_canonicalize(&m, &e), 0);
	assert_int_equal(manifest_write(&m, &a, &e), 0);
	if (manifest_parse(&m2, a.ptr, a.len, &e) != 0)
		fail_msg("%s", e.msg);
	assert_int_equal(m2.nobjects, 3000);
	assert_int_equal(m2.nfiles, 3000);
	assert_int_equal(m2.objects[2999].size, 2999);
	manifest_release(&m);
	manifest_release(&m2);
	buf_release(&a);
}

struct path_case {
	const char *path;
	const char *expect; /* NULL: accepted */
};

static const struct path_case path_cases[] = {
	{ "a", NULL },
	{ "a/b/c.deb", NULL },
	{ "with space/..x/x..", NULL },
	{ "...", NULL },
	{ ".hidden/.x", NULL },
	{ "caf\xc3\xa9/\xe2\x82\xac/\xf0\x9f\x98\x80", NULL },
	{ "\xc2\xa0nbsp", NULL },
	{ "", "empty path" },
	{ "/etc/passwd", "absolute path" },
	{ "a/", "trailing slash" },
	{ "a//b", "empty component" },
	{ "./a", "'.' component" },
	{ "a/./b", "'.' component" },
	{ "a/..", "'..' component" },
	{ "../a", "'..' component" },
	{ "a\tb", "control character" },
	{ "a\x1b[31m", "control character" },
	{ "a\x7f", "control character" },
	{ "a\nb", "control character" },
	{ "a\xc2\x9b" "b", "control character" },
	{ "a\\b", "backslash" },
	{ "a\xff", "invalid utf-8" },
	{ "a\xc3", "invalid utf-8" },
	{ "\xc0\xaf", "invalid utf-8" },
	{ "\xe0\x80\xaf", "invalid utf-8" },
	{ "\xed\xa0\x80", "invalid utf-8" },
	{ "\xf4\x90\x80\x80", "invalid utf-8" },
	{ "\xf8\x88\x80\x80\x80", "invalid utf-8" },
	{ "a\x80", "invalid utf-8" },
};

static void manifest_path_valid_rules(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		struct err e;
		int r;

		err_clear(&e);
		r = manifest_path_valid(c->path, strlen(c->path), &e);
		if (!c->expect && r != 0)
			fail_msg("path case %zu: rejected: %s", i, e.msg);
		if (c->expect && (r != -AE_REJECT || !strstr(e.msg, c->expect)))
			fail_msg("path case %zu: want '%s', got %d '%s'", i, c->expect, r, e.msg);
	}
}

static void manifest_path_valid_limits(void **state)
{
	char *p = malloc(MANIFEST_MAX_PATH + 2);
	struct err e;
	size_t i;

	assert_non_null(p);
	/* exactly 4096 bytes, in components of 199, is fine */
	for (i = 0; i < MANIFEST_MAX_PATH; i++)
		p[i] = i % 200 == 199 ? '/' : 'x';
	err_clear(&e);
	assert_int_equal(manifest_path_valid(p, MANIFEST_MAX_PATH, &e), 0);
	p[MANIFEST_MAX_PATH] = 'x';
	assert_int_equal(manifest_path_valid(p, MANIFEST_MAX_PATH + 1, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "path too long"));
	memset(p, 'y', 256);
	err_clear(&e);
	assert_int_equal(manifest_path_valid(p, 255, &e), 0);
	assert_int_equal(manifest_path_valid(p, 256, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "component too long"));
	free(p);
}

/*
 * A rejection case: replace the first occurrence of find in base (good_full
 * unless given) with repl (repl_len bytes when set, for NUL bytes), parse,
 * and expect AE_REJECT with expect in the message.
 */
struct reject_case {
	const char *name;
	const char *find;
	const char *repl;
	const char *expect;
	size_t repl_len;
	const char *base;
};

#define R(name, find, repl, expect) { name, find, repl, expect, 0, NULL }
#define RN(name, find, repl, len, expect) { name, find, repl, expect, len, NULL }
#define RB(name, find, repl, expect, base) { name, find, repl, expect, 0, base }

static const struct reject_case reject_cases[] = {
	/* header */
	R("manifest_rejects_bad_header", "airlock-manifest 1", "airlock-manifst 1", "line 1: not an airlock manifest"),
	R("manifest_rejects_wrong_format_version", "airlock-manifest 1", "airlock-manifest 2",
	  "line 1: unsupported manifest format '2'"),
	R("manifest_rejects_format_version_leading_zero", "airlock-manifest 1", "airlock-manifest 01",
	  "unsupported manifest format '01'"),
	R("manifest_rejects_missing_channel", "channel plant-a\n", "", "line 2: expected 'channel'"),
	R("manifest_rejects_bad_channel_name", "channel plant-a", "channel Plant-A", "line 2: invalid channel name 'Plant-A'"),
	R("manifest_rejects_channel_name_with_slash", "channel plant-a", "channel a/b", "invalid channel name 'a/b'"),
	R("manifest_rejects_channel_name_too_long", "channel plant-a",
	  "channel " HX("ab") "c", "invalid channel name"),
	R("manifest_rejects_sequence_zero", "sequence 3", "sequence 0", "line 3: invalid sequence '0'"),
	R("manifest_rejects_sequence_leading_zero", "sequence 3", "sequence 03", "invalid sequence '03'"),
	R("manifest_rejects_sequence_non_digit", "sequence 3", "sequence 3a", "invalid sequence '3a'"),
	R("manifest_rejects_sequence_sign", "sequence 3", "sequence +3", "invalid sequence '+3'"),
	R("manifest_rejects_sequence_overflow", "sequence 3", "sequence 18446744073709551616", "invalid sequence"),
	R("manifest_rejects_bad_time", "created 2026-11-21T23:00:00Z", "created 2026-11-21T23:00:00",
	  "line 4: invalid created time '2026-11-21T23:00:00'"),
	R("manifest_rejects_time_with_space", "created 2026-11-21T23:00:00Z", "created 2026-11-21 23:00:00Z",
	  "line 4: extra field"),
	R("manifest_rejects_time_with_offset", "created 2026-11-21T23:00:00Z", "created 2026-11-21T23:00:00+00:00",
	  "line 4: invalid created time"),
	R("manifest_rejects_time_lowercase", "created 2026-11-21T23:00:00Z", "created 2026-11-21t23:00:00z",
	  "invalid created time"),
	R("manifest_rejects_impossible_date", "created 2026-11-21T23:00:00Z", "created 2026-02-30T23:00:00Z",
	  "invalid created time"),
	R("manifest_rejects_fractional_seconds", "expires 2026-12-21T23:00:00Z", "expires 2026-12-21T23:00:00.5Z",
	  "line 5: invalid expires time"),
	R("manifest_rejects_expires_equal_created", "expires 2026-12-21T23:00:00Z", "expires 2026-11-21T23:00:00Z",
	  "line 5: expires '2026-11-21T23:00:00Z' is not after created"),
	R("manifest_rejects_expires_before_created", "expires 2026-12-21T23:00:00Z", "expires 2025-12-21T23:00:00Z",
	  "is not after created"),
	R("manifest_rejects_previous_uppercase", "previous " HP, "previous " HX("EE"), "line 6: invalid previous manifest hash"),
	R("manifest_rejects_previous_short", "previous " HP, "previous eeee", "invalid previous manifest hash 'eeee'"),
	R("manifest_rejects_previous_empty", "previous " HP, "previous ", "fields must be separated by one space"),
	R("manifest_rejects_base_equal_sequence", "base none", "base 3", "line 7: base 3 is not below sequence 3"),
	R("manifest_rejects_base_zero", "base none", "base 0", "invalid base '0'"),
	R("manifest_rejects_base_word", "base none", "base full", "invalid base 'full'"),
	R("manifest_rejects_header_out_of_order", "sequence 3\ncreated", "created 2026-11-21T23:00:00Z\nsequence 3\ncreated",
	  "line 3: expected 'sequence'"),
	/* sources */
	R("manifest_rejects_unknown_source_kind", "source local dir", "source local ftp", "line 9: unknown source kind 'ftp'"),
	R("manifest_rejects_bad_source_name", "source local dir", "source Local dir", "invalid source name 'Local'"),
	R("manifest_rejects_source_out_of_order", "source debian apt\nsource local dir",
	  "source local dir\nsource debian apt", "line 9: source 'debian' out of order"),
	R("manifest_rejects_duplicate_source", "source local dir", "source debian dir", "line 9: duplicate source 'debian'"),
	/* packs and parts */
	R("manifest_rejects_bad_pack_compression", "pack 1 zstd", "pack 1 gzip", "line 10: unknown pack compression 'gzip'"),
	R("manifest_rejects_pack_size_mismatch", "pack 1 zstd 3000", "pack 1 zstd 3001",
	  "line 10: pack 1 size 3001 does not match its parts (3000)"),
	R("manifest_rejects_pack_id_gap", "pack 2 none", "pack 3 none", "line 11: pack id gap"),
	R("manifest_rejects_duplicate_pack", "pack 2 none", "pack 1 none", "line 11: duplicate pack 1"),
	R("manifest_rejects_pack_zero", "pack 1 zstd", "pack 0 zstd", "invalid pack id '0'"),
	R("manifest_rejects_bad_pack_hash", "pack 1 zstd 3000 " H1, "pack 1 zstd 3000 " HX("1g"), "invalid pack sha256"),
	R("manifest_rejects_part_index_gap", "part 1 2 2", "part 1 3 2", "line 13: part index gap"),
	R("manifest_rejects_part_index_zero", "part 1 1 1", "part 1 0 1", "invalid part index '0'"),
	R("manifest_rejects_part_of_unknown_pack", "part 2 1 2 500 " H5 " p0002.001\n",
	  "part 2 1 2 500 " H5 " p0002.001\npart 3 1 2 1 " H5 " p0003.001\n", "line 15: part of unknown pack 3"),
	R("manifest_rejects_pack_without_parts", "part 2 1 2 500 " H5 " p0002.001\n", "", "line 11: pack 2 has no parts"),
	R("manifest_rejects_duplicate_part", "part 1 2 2 1000 " H4 " p0001.002", "part 1 1 2 1000 " H4 " p0001.002",
	  "line 13: duplicate part 1.1"),
	R("manifest_rejects_part_out_of_order", "part 1 1 1 2000 " H3 " p0001.001\npart 1 2 2 1000 " H4 " p0001.002",
	  "part 1 2 2 1000 " H4 " p0001.002\npart 1 1 1 2000 " H3 " p0001.001", "line 13: part 1.1 out of order"),
	R("manifest_rejects_duplicate_part_name", "p0002.001", "p0001.001", "line 14: duplicate part name 'p0001.001'"),
	R("manifest_rejects_bad_part_name", "p0002.001", "../etc", "invalid part name '../etc'"),
	R("manifest_rejects_part_name_uppercase", "p0002.001", "P2", "invalid part name 'P2'"),
	R("manifest_rejects_part_size_zero", "part 2 1 2 500", "part 2 1 2 0", "invalid part size '0'"),
	R("manifest_rejects_part_volume_zero", "part 2 1 2 500", "part 2 1 0 500", "invalid part volume '0'"),
	/* objects */
	R("manifest_rejects_object_unknown_pack", "object " HB " 20 2", "object " HB " 20 3",
	  "line 16: object " HB " in unknown pack 3"),
	R("manifest_rejects_unshipped_object_in_full_bundle", "object " HB " 20 2", "object " HB " 20 0",
	  "not shipped (pack 0) in a full bundle"),
	R("manifest_rejects_unused_object", "object " HC " 0 1\n", "object " HC " 0 1\nobject " HD " 0 1\n",
	  "line 18: object " HD " used by no file"),
	R("manifest_rejects_pack_without_objects", "object " HB " 20 2", "object " HB " 20 1", "line 11: pack 2 holds no object"),
	R("manifest_rejects_duplicate_object", "object " HB " 20 2\n", "object " HB " 20 2\nobject " HB " 20 2\n",
	  "line 17: duplicate object " HB),
	R("manifest_rejects_object_out_of_order", "object " HA " 10 1\nobject " HB " 20 2\n",
	  "object " HB " 20 2\nobject " HA " 10 1\n", "line 16: object " HA " out of order"),
	R("manifest_rejects_object_size_leading_zero", "object " HA " 10 1", "object " HA " 010 1", "invalid object size '010'"),
	R("manifest_rejects_object_hash_uppercase", "object " HA, "object " HX("AA"), "invalid object sha256"),
	/* files */
	R("manifest_rejects_file_with_unlisted_object", "file local 0755 " HC, "file local 0755 " HD,
	  "line 20: file 'bin/run' uses unlisted object " HD),
	R("manifest_rejects_file_with_unlisted_source", "file local 0644 " HA, "file other 0644 " HA,
	  "line 22: file 'docs/a b.txt' names unlisted source 'other'"),
	R("manifest_rejects_mode_setuid", "file local 0755", "file local 04755", "line 20: invalid mode '04755'"),
	R("manifest_rejects_mode_sticky", "file local 0755", "file local 1777", "invalid mode '1777'"),
	R("manifest_rejects_mode_three_digits", "file local 0755", "file local 755", "invalid mode '755'"),
	R("manifest_rejects_mode_not_octal", "file local 0755", "file local 0758", "invalid mode '0758'"),
	R("manifest_rejects_duplicate_path", "file local 0755 " HC " bin/run\n",
	  "file local 0755 " HC " bin/run\nfile local 0755 " HC " bin/run\n", "line 21: duplicate path 'bin/run'"),
	R("manifest_rejects_file_out_of_order", "file debian 0644 " HA " pool/main/a.deb\nfile debian 0644 " HB " pool/main/b.deb\n",
	  "file debian 0644 " HB " pool/main/b.deb\nfile debian 0644 " HA " pool/main/a.deb\n",
	  "line 19: file 'pool/main/a.deb' in source 'debian' out of order"),
	R("manifest_rejects_file_source_out_of_order", "file debian 0644 " HA " pool/main/a.deb\n",
	  "file local 0644 " HA " docs/a b.txt\nfile debian 0644 " HA " pool/main/a.deb\n",
	  "line 19: file 'pool/main/a.deb' in source 'debian' out of order"),
	R("manifest_rejects_dotdot_path", "bin/run", "bin/../run", "line 20: '..' component in path 'bin/../run'"),
	R("manifest_rejects_dot_path", "bin/run", "bin/./run", "'.' component in path"),
	R("manifest_rejects_absolute_path", "bin/run", "/bin/run", "absolute path '/bin/run'"),
	R("manifest_rejects_trailing_slash", "bin/run", "bin/run/", "trailing slash"),
	R("manifest_rejects_empty_component", "bin/run", "bin//run", "empty component"),
	R("manifest_rejects_empty_path", " bin/run", " ", "empty path"),
	R("manifest_rejects_tab_in_path", "bin/run", "bin/r\tun", "control character in path 'bin/r\\x09un'"),
	R("manifest_rejects_escape_in_path", "bin/run", "bin/\x1b[2Jrun", "control character in path 'bin/\\x1b[2Jrun'"),
	R("manifest_rejects_del_in_path", "bin/run", "bin/run\x7f", "control character in path"),
	R("manifest_rejects_c1_control_in_path", "bin/run", "bin/\xc2\x9brun", "control character in path"),
	R("manifest_rejects_backslash_in_path", "bin/run", "bin\\run", "backslash in path 'bin\\x5crun'"),
	R("manifest_rejects_invalid_utf8_path", "bin/run", "bin/r\xffun", "invalid utf-8 in path 'bin/r\\xffun'"),
	R("manifest_rejects_overlong_utf8_path", "bin/run", "bin/\xc0\xae\xc0\xae/run", "invalid utf-8"),
	R("manifest_rejects_surrogate_utf8_path", "bin/run", "bin/\xed\xb0\x80", "invalid utf-8"),
	R("manifest_rejects_file_folder_conflict", "file local 0644 " HC " caf",
	  "file local 0644 " HC " bin/run.sig\nfile local 0644 " HC " bin/run/x\nfile local 0644 " HC " caf",
	  "line 22: path 'bin/run/x' is below 'bin/run', which is a file"),
	R("manifest_rejects_case_fold_collision", "file local 0755 " HC " bin/run",
	  "file local 0644 " HA " DOCS/A B.txt\nfile local 0755 " HC " bin/run",
	  "line 23: path 'docs/a b.txt' collides with 'DOCS/A B.txt' after case-folding"),
	R("manifest_rejects_unicode_case_fold_collision", "file local 0755 " HC " bin/run",
	  "file local 0644 " HC " CAF\xc3\x89/NA\xc3\x8fVE\nfile local 0755 " HC " bin/run",
	  "line 22: path 'caf\\xc3\\xa9/na\\xc3\\xafve' collides with 'CAF\\xc3\\x89/NA\\xc3\\x8fVE'"),
	R("manifest_rejects_case_fold_file_folder", "file local 0755 " HC " bin/run",
	  "file local 0755 " HC " BIN\nfile local 0755 " HC " bin/run", "path 'bin/run' collides with 'BIN'"),
	/* framing */
	R("manifest_rejects_missing_end", "end\n", "", "line 23: missing 'end'"),
	R("manifest_rejects_end_without_newline", "end\n", "end", "line 23: no newline at end of line"),
	R("manifest_rejects_trailing_data_after_end", "end\n", "end\nx", "line 24: data after 'end'"),
	R("manifest_rejects_blank_line_after_end", "end\n", "end\n\n", "data after 'end'"),
	R("manifest_rejects_text_after_end", "end\n", "end now\n", "unexpected text after 'end'"),
	RN("manifest_rejects_nul_byte", "pool/main/b.deb", "pool/main\0b.deb", 15, "line 19: NUL byte"),
	R("manifest_rejects_crlf_line_ending", "sequence 3\n", "sequence 3\r\n", "line 3: CRLF line ending"),
	R("manifest_rejects_double_space", "object " HA " 10 1", "object " HA "  10 1",
	  "line 15: fields must be separated by one space"),
	R("manifest_rejects_trailing_space", "source local dir", "source local dir ", "fields must be separated by one space"),
	R("manifest_rejects_leading_space", "source local dir", " source local dir", "unexpected line ' source local dir'"),
	R("manifest_rejects_extra_field", "object " HA " 10 1", "object " HA " 10 1 x", "extra field"),
	R("manifest_rejects_missing_field", "object " HA " 10 1", "object " HA " 10", "missing field"),
	R("manifest_rejects_unknown_line", "end\n", "signature x\nend\n", "line 23: unexpected line 'signature x'"),
	R("manifest_rejects_blank_line", "source debian apt\n", "\nsource debian apt\n", "line 8: unexpected line ''"),
	R("manifest_rejects_sections_out_of_order", "file debian 0644 " HA,
	  "source zz dir\nfile debian 0644 " HA, "line 18: 'source' line out of order"),
	R("manifest_rejects_missing_base_line", "base none\n", "", "line 7: expected 'base'"),
	R("manifest_rejects_end_before_header", "base none\n", "end\n", "line 7: expected 'base'"),
};

/* The cases that need a replacement applied twice, or another base, go through this table too. */
static const struct reject_case reject_incr_cases[] = {
	RB("manifest_rejects_base_above_sequence", "base 2", "base 5", "base 5 is not below sequence 4", good_incr),
};

static char *apply(const struct reject_case *c, size_t *len)
{
	const char *base = c->base ? c->base : good_full;
	size_t blen = strlen(base), flen = strlen(c->find), rlen = c->repl_len ? c->repl_len : strlen(c->repl);
	const char *at = strstr(base, c->find);
	char *out;

	if (!at)
		fail_msg("%s: '%s' not found in the base manifest", c->name, c->find);
	out = malloc(blen - flen + rlen + 1);
	assert_non_null(out);
	memcpy(out, base, (size_t)(at - base));
	memcpy(out + (at - base), c->repl, rlen);
	memcpy(out + (at - base) + rlen, at + flen, blen - (size_t)(at - base) - flen);
	*len = blen - flen + rlen;
	out[*len] = '\0';
	return out;
}

static void expect_reject(const char *text, size_t len, const char *expect)
{
	struct manifest m;
	struct err e;
	int r;

	err_clear(&e);
	r = manifest_parse(&m, text, len, &e);
	if (r != -AE_REJECT)
		fail_msg("want rejection '%s', got %d '%s'", expect, r, e.msg);
	assert_int_equal(e.code, AE_REJECT);
	if (!strstr(e.msg, expect))
		fail_msg("want '%s' in '%s'", expect, e.msg);
	assert_released(&m);
}

static void run_reject_case(void **state)
{
	const struct reject_case *c = *state;
	size_t len;
	char *text = apply(c, &len);

	expect_reject(text, len, c->expect);
	free(text);
}

/* Replace the path of the "bin/run" line with a generated one. */
static void with_path(struct buf *b, const char *path, size_t plen)
{
	const char *at = strstr(good_full, "bin/run\n");
	struct err e;

	err_clear(&e);
	buf_init(b, MANIFEST_MAX_BYTES);
	assert_non_null(at);
	assert_int_equal(buf_add(b, good_full, (size_t)(at - good_full), &e), 0);
	assert_int_equal(buf_add(b, path, plen, &e), 0);
	assert_int_equal(buf_adds(b, at + strlen("bin/run"), &e), 0);
}

static void manifest_rejects_over_long_line(void **state)
{
	/* "file local 0755 <64 hex> " is 81 bytes; make the line MANIFEST_MAX_LINE + 1 bytes */
	size_t plen = MANIFEST_MAX_LINE + 1 - 81;
	char *p = malloc(plen);
	struct buf b;

	assert_non_null(p);
	memset(p, 'x', plen);
	with_path(&b, p, plen);
	expect_reject(b.ptr, b.len, "line 20: line too long");
	buf_release(&b);
	/* one byte shorter is a line the reader accepts; the path rule then refuses it */
	with_path(&b, p, plen - 1);
	expect_reject(b.ptr, b.len, "line 20: path too long");
	buf_release(&b);
	free(p);
}

static void manifest_rejects_over_long_component(void **state)
{
	char p[300];
	struct buf b;

	memcpy(p, "bin/", 4);
	memset(p + 4, 'r', 256);
	with_path(&b, p, 4 + 256);
	expect_reject(b.ptr, b.len, "line 20: component too long (256 bytes, limit 255)");
	buf_release(&b);
	/* 255 is allowed */
	with_path(&b, p, 4 + 255);
	{
		struct manifest m;
		struct err e;

		err_clear(&e);
		if (manifest_parse(&m, b.ptr, b.len, &e) != 0)
			fail_msg("%s", e.msg);
		manifest_release(&m);
	}
	buf_release(&b);
}

static void manifest_rejects_over_long_path(void **state)
{
	char p[MANIFEST_MAX_PATH + 1];
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(p); i++)
		p[i] = i % 100 == 99 ? '/' : 'p';
	with_path(&b, p, sizeof(p));
	expect_reject(b.ptr, b.len, "line 20: path too long (4097 bytes, limit 4096)");
	buf_release(&b);
}

static void manifest_rejects_too_big_input(void **state)
{
	char *p = malloc(MANIFEST_MAX_BYTES + 1);

	assert_non_null(p);
	memcpy(p, good_full, strlen(good_full));
	memset(p + strlen(good_full), 'x', MANIFEST_MAX_BYTES + 1 - strlen(good_full));
	expect_reject(p, MANIFEST_MAX_BYTES + 1, "more than the limit");
	free(p);
}

static void manifest_rejects_empty_input(void **state)
{
	expect_reject("", 0, "line 1: truncated header");
	expect_reject(NULL, 0, "line 1: truncated header");
}

static void manifest_rejects_every_truncation(void **state)
{
	size_t n, len = strlen(good_full);

	/* any proper prefix of a valid manifest is refused, never half-accepted */
	for (n = 0; n < len; n++) {
		struct manifest m;
		struct err e;

		err_clear(&e);
		if (manifest_parse(&m, good_full, n, &e) != -AE_REJECT)
			fail_msg("prefix of %zu bytes not rejected", n);
		assert_released(&m);
	}
}

static void manifest_accepts_file_folder_in_other_source(void **state)
{
	static const char text[] =
		"airlock-manifest 1\n"
		"channel c\n"
		"sequence 1\n"
		"created 2026-01-01T00:00:00Z\n"
		"expires 2026-02-01T00:00:00Z\n"
		"previous none\n"
		"base none\n"
		"source a dir\n"
		"source b dir\n"
		"pack 1 none 10 " H1 "\n"
		"part 1 1 1 10 " H2 " p1\n"
		"object " HA " 1 1\n"
		"file a 0644 " HA " x\n"
		"file a 0644 " HA " x-y/z\n"
		"file a 0644 " HA " x.y\n"
		"file b 0644 " HA " x/y\n"
		"end\n";

	expect_round_trip(text, strlen(text));
}

static void manifest_write_refuses_bad_state(void **state)
{
	struct manifest m;
	struct buf b;
	struct err e;
	uint8_t h[SHA256_LEN] = { 0 };

	err_clear(&e);
	buf_init(&b, 1 << 20);
	manifest_init(&m);
	assert_int_equal(manifest_write(&m, &b, &e), -AE_FORMAT);
	err_clear(&e);
	m.channel = strdup("c");
	assert_int_equal(manifest_add_file(&m, "s", 04755, h, "x", &e), 0);
	assert_int_equal(manifest_write(&m, &b, &e), -AE_FORMAT);
	manifest_release(&m);
	buf_release(&b);

	/* a buffer too small for the text reports AE_TOOBIG */
	err_clear(&e);
	buf_init(&b, 16);
	assert_int_equal(manifest_parse(&m, good_full, strlen(good_full), &e), 0);
	assert_int_equal(manifest_write(&m, &b, &e), -AE_TOOBIG);
	manifest_release(&m);
	buf_release(&b);
}

static const struct CMUnitTest fixed[] = {
	cmocka_unit_test(manifest_round_trips_full),
	cmocka_unit_test(manifest_round_trips_incremental),
	cmocka_unit_test(manifest_round_trips_empty_channel),
	cmocka_unit_test(manifest_parses_fields),
	cmocka_unit_test(manifest_build_canonicalize_write_parse),
	cmocka_unit_test(manifest_canonicalize_reports_duplicates),
	cmocka_unit_test(manifest_grows_arrays),
	cmocka_unit_test(manifest_path_valid_rules),
	cmocka_unit_test(manifest_path_valid_limits),
	cmocka_unit_test(manifest_rejects_over_long_line),
	cmocka_unit_test(manifest_rejects_over_long_component),
	cmocka_unit_test(manifest_rejects_over_long_path),
	cmocka_unit_test(manifest_rejects_too_big_input),
	cmocka_unit_test(manifest_rejects_empty_input),
	cmocka_unit_test(manifest_rejects_every_truncation),
	cmocka_unit_test(manifest_accepts_file_folder_in_other_source),
	cmocka_unit_test(manifest_write_refuses_bad_state),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
	static struct CMUnitTest tests[COUNT(fixed) + COUNT(reject_cases) + COUNT(reject_incr_cases)];
	size_t i, n = 0;

	for (i = 0; i < COUNT(fixed); i++)
		tests[n++] = fixed[i];
	/* one named test per table row, so that a failure names the rule it broke */
	for (i = 0; i < COUNT(reject_cases); i++)
		tests[n++] = (struct CMUnitTest){ reject_cases[i].name, run_reject_case, NULL, NULL,
						  (void *)&reject_cases[i] };
	for (i = 0; i < COUNT(reject_incr_cases); i++)
		tests[n++] = (struct CMUnitTest){ reject_incr_cases[i].name, run_reject_case, NULL, NULL,
						  (void *)&reject_incr_cases[i] };
	return _cmocka_run_group_tests("manifest", tests, n, NULL, NULL);
}
