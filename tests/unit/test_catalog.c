/*
 * The catalog and the store against a real SQLite catalog in a fresh site
 * home: what a snapshot records is what the server resolves, a newer
 * snapshot switches the view as a whole, a source belongs to one channel,
 * and the store keeps the first copy of an object.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/home.h"
#include "mirror/catalog.h"
#include "mirror/store.h"
#include "verify/manifest.h"
#include "lib/banned.h"

#define T_IMPORT1 1763766000 /* 2025-11-21T23:00:00Z */
#define T_IMPORT2 1763769600

struct fixture {
	char tmp[64];
	char home[128];
	struct home h;
};

/*
 * A manifest filled by hand, as the importer would hold it after parsing;
 * its strings are literals, so it is never passed to manifest_release().
 */
struct snap {
	struct manifest m;
	struct manifest_source src[4];
	struct manifest_object obj[8];
	struct manifest_file file[8];
};

static const char *const contents[] = {"first object\n", "second object, longer\n", "third\n", ""};

static void obj_sha(int i, uint8_t out[SHA256_LEN])
{
	sha256_buf(contents[i], strlen(contents[i]), out);
}

static void obj_hex(int i, char out[SHA256_HEX])
{
	uint8_t sha[SHA256_LEN];

	obj_sha(i, sha);
	hex_encode(sha, SHA256_LEN, out);
}

static void snap_init(struct snap *s, const char *channel, uint64_t seq)
{
	memset(s, 0, sizeof(*s));
	s->m.format = MANIFEST_FORMAT;
	s->m.channel = (char *)channel;
	s->m.sequence = seq;
	s->m.created = T_IMPORT1 - 3600;
	s->m.expires = T_IMPORT1 + 30 * 86400;
	s->m.sources = s->src;
	s->m.objects = s->obj;
	s->m.files = s->file;
}

static void snap_source(struct snap *s, const char *name)
{
	s->src[s->m.nsources].name = (char *)name;
	s->src[s->m.nsources].kind = (char *)"dir";
	s->m.nsources++;
}

static void snap_object(struct snap *s, int i)
{
	struct manifest_object *o = &s->obj[s->m.nobjects++];

	obj_sha(i, o->sha256);
	o->size = strlen(contents[i]);
	o->pack = 1;
}

static void snap_file(struct snap *s, const char *source, const char *path, int obj, uint32_t mode)
{
	struct manifest_file *f = &s->file[s->m.nfiles++];

	f->source = (char *)source;
	f->path = (char *)path;
	f->mode = mode;
	obj_sha(obj, f->object);
}

static void manifest_hex(const char *tag, char out[SHA256_HEX])
{
	uint8_t sha[SHA256_LEN];

	sha256_buf(tag, strlen(tag), sha);
	hex_encode(sha, SHA256_LEN, out);
}

/* Record in its own transaction, as the importer does; rolled back on failure. */
static int record(struct fixture *f, const struct snap *s, const char *tag, int64_t when, struct err *e)
{
	char hex[SHA256_HEX];
	int r;

	manifest_hex(tag, hex);
	r = db_begin(f->h.db, e);
	if (r)
		return r;
	r = catalog_record_snapshot(f->h.db, &s->m, hex, "0123456789ABCDEF0123456789ABCDEF01234567", when, e);
	if (r) {
		db_rollback(f->h.db);
		return r;
	}
	return db_commit(f->h.db, e);
}

static void must_record(struct fixture *f, const struct snap *s, const char *tag, int64_t when)
{
	struct err e = {0};
	int r = record(f, s, tag, when, &e);

	if (r)
		fail_msg("record: %s", e.msg);
}

static int lookup(struct db *db, const char *source, const char *path, struct catalog_hit *hit)
{
	struct err e = {0};

	return catalog_lookup(db, source, path, hit, &e);
}

/* plant-a, sequence 1: debian (two files) and tools (one). */
static void snap_one(struct snap *s)
{
	snap_init(s, "plant-a", 1);
	snap_source(s, "debian");
	snap_source(s, "tools");
	snap_object(s, 0);
	snap_object(s, 1);
	snap_file(s, "debian", "dists/bookworm/Release", 1, 0644);
	snap_file(s, "debian", "pool/main/a/a_1.0_amd64.deb", 0, 0644);
	snap_file(s, "tools", "bin/check.sh", 0, 0755);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct err e = {0};

	if (!f)
		return -1;
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/airlock-test-catalog-XXXXXX");
	if (!mkdtemp(f->tmp)) {
		free(f);
		return -1;
	}
	snprintf(f->home, sizeof(f->home), "%s/home", f->tmp);
	if (home_create(f->home, HOME_IMPORT, &e) || home_open(&f->h, f->home, HOME_IMPORT, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};

	home_close(&f->h);
	if (fs_rm_rf(f->tmp, &e))
		fprintf(stderr, "teardown: %s\n", e.msg);
	free(f);
	return 0;
}

static void catalog_serves_recorded_files(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct snap s;
	char hex[SHA256_HEX];

	snap_one(&s);
	must_record(f, &s, "m1", T_IMPORT1);

	assert_int_equal(lookup(f->h.db, "debian", "pool/main/a/a_1.0_amd64.deb", &hit), 0);
	obj_hex(0, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(hit.size, strlen(contents[0]));
	assert_int_equal(hit.mode, 0644);
	assert_int_equal(hit.imported, T_IMPORT1);

	assert_int_equal(lookup(f->h.db, "debian", "dists/bookworm/Release", &hit), 0);
	obj_hex(1, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(hit.size, strlen(contents[1]));

	assert_int_equal(lookup(f->h.db, "tools", "bin/check.sh", &hit), 0);
	assert_int_equal(hit.mode, 0755);
}

static void catalog_lookup_unknown_is_notfound(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct snap s;

	/* Nothing served yet. */
	assert_int_equal(lookup(f->h.db, "debian", "dists/bookworm/Release", &hit), -AE_NOTFOUND);
	snap_one(&s);
	must_record(f, &s, "m1", T_IMPORT1);
	assert_int_equal(lookup(f->h.db, "debian", "pool/main/a/missing.deb", &hit), -AE_NOTFOUND);
	/* A path of one source is not found under another. */
	assert_int_equal(lookup(f->h.db, "tools", "dists/bookworm/Release", &hit), -AE_NOTFOUND);
	assert_int_equal(lookup(f->h.db, "nosuch", "bin/check.sh", &hit), -AE_NOTFOUND);
	/* A folder is not a file. */
	assert_int_equal(lookup(f->h.db, "debian", "pool", &hit), -AE_NOTFOUND);
	assert_int_equal(lookup(f->h.db, "debian", "pool/main/a/../a/a_1.0_amd64.deb", &hit), -AE_NOTFOUND);
}

static void catalog_channel_last_tracks_sequence(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};
	char hex[SHA256_HEX], want[SHA256_HEX];
	uint64_t seq = 99;
	struct snap s;

	assert_int_equal(catalog_channel_last(f->h.db, "plant-a", &seq, hex, &e), 0);
	assert_int_equal(seq, 0);

	snap_one(&s);
	must_record(f, &s, "m1", T_IMPORT1);
	assert_int_equal(catalog_channel_last(f->h.db, "plant-a", &seq, hex, &e), 0);
	assert_int_equal(seq, 1);
	manifest_hex("m1", want);
	assert_string_equal(hex, want);

	s.m.sequence = 7;
	must_record(f, &s, "m7", T_IMPORT2);
	assert_int_equal(catalog_channel_last(f->h.db, "plant-a", &seq, hex, &e), 0);
	assert_int_equal(seq, 7);
	manifest_hex("m7", want);
	assert_string_equal(hex, want);

	assert_int_equal(catalog_channel_last(f->h.db, "plant-b", &seq, hex, &e), 0);
	assert_int_equal(seq, 0);
}

static void catalog_second_snapshot_switches_view(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct snap s1, s2;
	char hex[SHA256_HEX];

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);

	/* Sequence 2: a.deb replaced by b.deb, Release changed, tools dropped. */
	snap_init(&s2, "plant-a", 2);
	snap_source(&s2, "debian");
	snap_object(&s2, 1);
	snap_object(&s2, 2);
	snap_file(&s2, "debian", "dists/bookworm/Release", 2, 0644);
	snap_file(&s2, "debian", "pool/main/b/b_2.0_amd64.deb", 1, 0644);
	must_record(f, &s2, "m2", T_IMPORT2);

	assert_int_equal(lookup(f->h.db, "debian", "pool/main/a/a_1.0_amd64.deb", &hit), -AE_NOTFOUND);
	assert_int_equal(lookup(f->h.db, "debian", "pool/main/b/b_2.0_amd64.deb", &hit), 0);
	obj_hex(1, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(hit.imported, T_IMPORT2);
	assert_int_equal(lookup(f->h.db, "debian", "dists/bookworm/Release", &hit), 0);
	obj_hex(2, hex);
	assert_string_equal(hit.object, hex);
	/* The channel no longer carries tools: it stops being served. */
	assert_int_equal(lookup(f->h.db, "tools", "bin/check.sh", &hit), -AE_NOTFOUND);
}

static void catalog_records_shared_object_once(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};
	struct snap s1, s2;
	int64_t n = 0, added = 0;
	char hex[SHA256_HEX];

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);
	snap_one(&s2);
	s2.m.sequence = 2;
	/* An increment: the objects are the base's (pack 0), not shipped again. */
	s2.obj[0].pack = 0;
	s2.obj[1].pack = 0;
	must_record(f, &s2, "m2", T_IMPORT2);

	assert_int_equal(db_get_int(f->h.db, "SELECT count(*) FROM object", NULL, -1, &n, &e), 0);
	assert_int_equal(n, 2);
	/* The first import that brought an object is when it was added. */
	obj_hex(0, hex);
	assert_int_equal(
	    db_get_int(f->h.db, "SELECT added FROM object WHERE sha256 = ?", hex, -1, &added, &e), 0);
	assert_int_equal(added, T_IMPORT1);
	assert_int_equal(db_get_int(f->h.db, "SELECT count(*) FROM file", NULL, -1, &n, &e), 0);
	assert_int_equal(n, 6);
}

static void catalog_rejects_source_of_another_channel(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct err e = {0};
	struct snap s1, s2;
	char hex[SHA256_HEX];

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);

	snap_init(&s2, "plant-b", 1);
	snap_source(&s2, "other");
	snap_source(&s2, "tools");
	snap_object(&s2, 2);
	snap_file(&s2, "other", "x.txt", 2, 0644);
	snap_file(&s2, "tools", "bin/check.sh", 2, 0755);

	assert_int_equal(catalog_check_sources(f->h.db, &s2.m, &e), -AE_REJECT);
	assert_string_equal(e.msg, "source 'tools' is already served from channel 'plant-a'");

	/* Even a caller that skips the check cannot take the source over. */
	err_clear(&e);
	assert_int_equal(record(f, &s2, "b1", T_IMPORT2, &e), -AE_REJECT);
	assert_non_null(strstr(e.msg, "'tools'"));
	assert_int_equal(lookup(f->h.db, "tools", "bin/check.sh", &hit), 0);
	obj_hex(0, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(lookup(f->h.db, "other", "x.txt", &hit), -AE_NOTFOUND);

	/* The same channel's next snapshot passes the check. */
	err_clear(&e);
	s1.m.sequence = 2;
	assert_int_equal(catalog_check_sources(f->h.db, &s1.m, &e), 0);
	/* A source the other channel does not serve is fine. */
	s2.m.nsources = 1;
	s2.m.nfiles = 1;
	assert_int_equal(catalog_check_sources(f->h.db, &s2.m, &e), 0);
	must_record(f, &s2, "b1", T_IMPORT2);
	assert_int_equal(lookup(f->h.db, "other", "x.txt", &hit), 0);
	/* plant-b's import does not disturb plant-a's view. */
	assert_int_equal(lookup(f->h.db, "debian", "dists/bookworm/Release", &hit), 0);
}

static void catalog_source_freed_by_one_channel_goes_to_another(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct err e = {0};
	struct snap s1, s2, b;

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);
	/* plant-a drops tools ... */
	snap_init(&s2, "plant-a", 2);
	snap_source(&s2, "debian");
	snap_object(&s2, 1);
	snap_file(&s2, "debian", "dists/bookworm/Release", 1, 0644);
	must_record(f, &s2, "m2", T_IMPORT2);
	/* ... so plant-b may carry it. */
	snap_init(&b, "plant-b", 1);
	snap_source(&b, "tools");
	snap_object(&b, 2);
	snap_file(&b, "tools", "bin/check.sh", 2, 0755);
	assert_int_equal(catalog_check_sources(f->h.db, &b.m, &e), 0);
	must_record(f, &b, "b1", T_IMPORT2);
	assert_int_equal(lookup(f->h.db, "tools", "bin/check.sh", &hit), 0);
	assert_int_equal(hit.size, strlen(contents[2]));
}

static void catalog_refuses_file_without_object(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct err e = {0};
	struct snap s;

	snap_one(&s);
	/* The file names object 2, which neither the manifest nor the catalog holds. */
	snap_file(&s, "debian", "pool/main/c/c.deb", 2, 0644);
	assert_int_not_equal(record(f, &s, "m1", T_IMPORT1, &e), 0);
	assert_non_null(strstr(e.msg, "pool/main/c/c.deb"));
	/* Rolled back as a whole: nothing of it is served. */
	assert_int_equal(lookup(f->h.db, "debian", "dists/bookworm/Release", &hit), -AE_NOTFOUND);
}

static void catalog_refuses_duplicate_sequence(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};
	struct snap s;

	snap_one(&s);
	must_record(f, &s, "m1", T_IMPORT1);
	assert_int_equal(record(f, &s, "m1-again", T_IMPORT2, &e), -AE_DB);
}

static void catalog_refuses_object_with_other_size(void **state)
{
	struct fixture *f = *state;
	struct err e = {0};
	struct snap s;

	snap_one(&s);
	must_record(f, &s, "m1", T_IMPORT1);
	s.m.sequence = 2;
	s.obj[0].size += 1;
	assert_int_equal(record(f, &s, "m2", T_IMPORT2, &e), -AE_DB);
	assert_non_null(strstr(e.msg, "another size"));
}

/* The server's read-only connection sees an import committed after it opened. */
static void catalog_readonly_connection_sees_new_imports(void **state)
{
	struct fixture *f = *state;
	struct catalog_hit hit;
	struct err e = {0};
	struct db *ro = NULL;
	struct snap s1, s2;

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);
	assert_int_equal(db_open_readonly(&ro, f->h.catalog, &e), 0);
	assert_int_equal(lookup(ro, "debian", "pool/main/a/a_1.0_amd64.deb", &hit), 0);

	snap_init(&s2, "plant-a", 2);
	snap_source(&s2, "debian");
	snap_object(&s2, 2);
	snap_file(&s2, "debian", "pool/main/b/b.deb", 2, 0644);
	must_record(f, &s2, "m2", T_IMPORT2);

	assert_int_equal(lookup(ro, "debian", "pool/main/a/a_1.0_amd64.deb", &hit), -AE_NOTFOUND);
	assert_int_equal(lookup(ro, "debian", "pool/main/b/b.deb", &hit), 0);
	assert_int_equal(hit.imported, T_IMPORT2);
	/* And it cannot write. */
	assert_int_not_equal(db_exec(ro, "DELETE FROM served", &e), 0);
	db_close(ro);
}

/* The server's reader keeps its statement prepared across imports and still sees each one. */
static void catalog_reader_follows_imports(void **state)
{
	struct fixture *f = *state;
	struct catalog_reader *rd = NULL;
	struct catalog_hit hit;
	struct err e = {0};
	struct snap s1, s2;
	char hex[SHA256_HEX];

	assert_int_equal(catalog_reader_open(&rd, f->h.catalog, &e), 0);
	assert_int_equal(catalog_reader_lookup(rd, "debian", "dists/bookworm/Release", &hit, &e),
			 -AE_NOTFOUND);
	assert_non_null(strstr(e.msg, "'debian/dists/bookworm/Release' is not served"));

	snap_one(&s1);
	must_record(f, &s1, "m1", T_IMPORT1);
	err_clear(&e);
	assert_int_equal(catalog_reader_lookup(rd, "debian", "dists/bookworm/Release", &hit, &e), 0);
	obj_hex(1, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(catalog_reader_lookup(rd, "tools", "bin/check.sh", &hit, &e), 0);
	assert_int_equal(hit.mode, 0755);

	snap_init(&s2, "plant-a", 2);
	snap_source(&s2, "debian");
	snap_object(&s2, 2);
	snap_file(&s2, "debian", "dists/bookworm/Release", 2, 0644);
	must_record(f, &s2, "m2", T_IMPORT2);
	assert_int_equal(catalog_reader_lookup(rd, "debian", "dists/bookworm/Release", &hit, &e), 0);
	obj_hex(2, hex);
	assert_string_equal(hit.object, hex);
	assert_int_equal(hit.imported, T_IMPORT2);
	assert_int_equal(catalog_reader_lookup(rd, "tools", "bin/check.sh", &hit, &e), -AE_NOTFOUND);
	catalog_reader_close(rd);
	catalog_reader_close(NULL);
}

static void catalog_reader_needs_a_catalog(void **state)
{
	struct fixture *f = *state;
	struct catalog_reader *rd = NULL;
	struct err e = {0};
	char path[512];

	snprintf(path, sizeof(path), "%s/no-such.db", f->tmp);
	assert_int_equal(catalog_reader_open(&rd, path, &e), -AE_DB);
	assert_null(rd);
	assert_false(fs_exists(path));
}

/* Write contents[i] to a new file under staging; returns its path in out. */
static void write_tmp(struct fixture *f, int i, const char *name, char *out, size_t outlen)
{
	struct err e = {0};
	int fd;

	snprintf(out, outlen, "%s/%s", f->h.staging, name);
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, contents[i], strlen(contents[i]), out, &e), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

static void store_promote_places_object_read_only(void **state)
{
	struct fixture *f = *state;
	uint8_t sha[SHA256_LEN];
	char tmp[512], hex[SHA256_HEX], want[512];
	struct err e = {0};
	struct buf path;
	struct stat st;

	buf_init(&path, 4096);
	obj_sha(0, sha);
	hex_encode(sha, SHA256_LEN, hex);
	assert_int_equal(store_path(f->h.store, sha, &path, &e), 0);
	snprintf(want, sizeof(want), "%s/%.2s/%s", f->h.store, hex, hex);
	assert_string_equal(buf_str(&path), want);
	/* store_path replaces what the buffer held. */
	assert_int_equal(store_path(f->h.store, sha, &path, &e), 0);
	assert_string_equal(buf_str(&path), want);

	assert_false(store_has(f->h.store, sha));
	write_tmp(f, 0, "obj.tmp", tmp, sizeof(tmp));
	assert_int_equal(store_promote(f->h.store, tmp, sha, &e), 0);
	assert_true(store_has(f->h.store, sha));
	assert_false(fs_exists(tmp));
	assert_int_equal(lstat(buf_str(&path), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_int_equal(st.st_size, strlen(contents[0]));
	assert_int_equal(store_sync_dirs(f->h.store, &e), 0);
	buf_release(&path);
}

static void store_promote_keeps_existing_object(void **state)
{
	struct fixture *f = *state;
	uint8_t sha[SHA256_LEN];
	char tmp[512];
	struct err e = {0};
	struct buf path;
	struct stat before, after;

	buf_init(&path, 4096);
	obj_sha(1, sha);
	assert_int_equal(store_path(f->h.store, sha, &path, &e), 0);
	write_tmp(f, 1, "a.tmp", tmp, sizeof(tmp));
	assert_int_equal(store_promote(f->h.store, tmp, sha, &e), 0);
	assert_int_equal(stat(buf_str(&path), &before), 0);

	/* A second import of the same object: the first copy stays, the new one goes. */
	write_tmp(f, 1, "b.tmp", tmp, sizeof(tmp));
	assert_int_equal(store_promote(f->h.store, tmp, sha, &e), 0);
	assert_false(fs_exists(tmp));
	assert_int_equal(stat(buf_str(&path), &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(after.st_mode & 07777, 0444);
	buf_release(&path);
}

static void store_promote_reports_missing_tmpfile(void **state)
{
	struct fixture *f = *state;
	uint8_t sha[SHA256_LEN];
	char tmp[512];
	struct err e = {0};

	obj_sha(2, sha);
	snprintf(tmp, sizeof(tmp), "%s/never-written", f->h.staging);
	assert_int_equal(store_promote(f->h.store, tmp, sha, &e), -AE_IO);
	assert_non_null(strstr(e.msg, "never-written"));
	assert_false(store_has(f->h.store, sha));
}

static void store_sync_dirs_needs_a_store(void **state)
{
	struct fixture *f = *state;
	char missing[512];
	struct err e = {0};

	/* An empty store (no fan-out folders yet) is fine. */
	assert_int_equal(store_sync_dirs(f->h.store, &e), 0);
	snprintf(missing, sizeof(missing), "%s/no-store", f->tmp);
	assert_int_equal(store_sync_dirs(missing, &e), -AE_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(catalog_serves_recorded_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_lookup_unknown_is_notfound, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_channel_last_tracks_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_second_snapshot_switches_view, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_records_shared_object_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_rejects_source_of_another_channel, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_source_freed_by_one_channel_goes_to_another, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(catalog_refuses_file_without_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_refuses_duplicate_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_refuses_object_with_other_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_readonly_connection_sees_new_imports, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_reader_follows_imports, setup, teardown),
	    cmocka_unit_test_setup_teardown(catalog_reader_needs_a_catalog, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_promote_places_object_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_promote_keeps_existing_object, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_promote_reports_missing_tmpfile, setup, teardown),
	    cmocka_unit_test_setup_teardown(store_sync_dirs_needs_a_store, setup, teardown),
	};

	return cmocka_run_group_tests_name("catalog", tests, NULL, NULL);
}
