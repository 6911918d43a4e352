/*
 * The pack writer against the stock tools an auditor would use: packs must
 * unpack with zstd and tar alone, come out byte-identical for the same input,
 * and split into parts that concatenate back to the whole pack.
 */
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

#include "exporter/pack.h"
#include "lib/buf.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "verify/manifest.h"
#include "lib/banned.h"

#define NOBJ 5
#define BIG_SIZE ((size_t)3 << 20)
#define MTIME 1700000000

struct obj {
	uint8_t *data;
	size_t size;
	uint8_t sha[SHA256_LEN];
	char hex[SHA256_HEX];
	int streamed; /* added through pack_add_fd from a file */
};

struct fixture {
	char tmp[64];
	struct obj o[NOBJ];
};

/* xorshift: the same "random" bytes in every run, so determinism is tested on real entropy */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

static void fill_text(uint8_t *p, size_t n)
{
	static const char line[] = "deb http://deb.debian.org/debian bookworm main contrib\n";
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)line[i % (sizeof(line) - 1)];
}

static void obj_set(struct obj *o, size_t size)
{
	sha256_buf(o->data, size, o->sha);
	o->size = size;
	hex_encode(o->sha, SHA256_LEN, o->hex);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	size_t sizes[NOBJ] = { 100000, 0, 4097, BIG_SIZE, 1 };
	int i;

	assert_non_null(f);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/test_pack.XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	for (i = 0; i < NOBJ; i++) {
		f->o[i].data = malloc(sizes[i] ? sizes[i] : 1);
		assert_non_null(f->o[i].data);
	}
	fill_text(f->o[0].data, sizes[0]);
	fill_random(f->o[2].data, sizes[2], 42);
	fill_random(f->o[3].data, sizes[3] / 2, 7);
	fill_text(f->o[3].data + sizes[3] / 2, sizes[3] - sizes[3] / 2);
	f->o[4].data[0] = 'x';
	for (i = 0; i < NOBJ; i++)
		obj_set(&f->o[i], sizes[i]);
	f->o[3].streamed = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct err e;
	int i;

	err_clear(&e);
	assert_int_equal(fs_rm_rf(f->tmp, &e), 0);
	for (i = 0; i < NOBJ; i++)
		free(f->o[i].data);
	free(f);
	return 0;
}

static void mkdir_in(const struct fixture *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->tmp, name);
	assert_int_equal(mkdir(out, 0755), 0);
}

/* Write all objects as pack 1 into dir; m receives the pack and its parts. */
static void write_pack(struct fixture *f, const char *dir, enum pack_compression c, uint64_t part_size,
		       struct manifest *m)
{
	struct pack_writer pw;
	char path[256];
	struct err e;
	int i, fd;

	err_clear(&e);
	assert_int_equal(pack_open(&pw, dir, 1, c, part_size, MTIME, &e), 0);
	for (i = 0; i < NOBJ; i++) {
		struct obj *o = &f->o[i];

		if (!o->streamed) {
			assert_int_equal(pack_add_mem(&pw, o->sha, o->data, o->size, &e), 0);
			continue;
		}
		snprintf(path, sizeof(path), "%s/stream-src", f->tmp);
		assert_int_equal(fs_write_atomic(path, o->data, o->size, 0644, &e), 0);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(pack_add_fd(&pw, o->sha, o->size, fd, path, &e), 0);
		close(fd);
		unlink(path);
	}
	assert_int_equal(pack_close(&pw, m, &e), 0);
	assert_string_equal(e.msg, "");
}

static void read_all(const char *path, struct buf *b)
{
	struct err e;

	err_clear(&e);
	buf_init(b, (size_t)1 << 30);
	assert_int_equal(fs_read_file(path, b, &e), 0);
}

static void run(const char *fmt, ...) AL_PRINTF(1, 2);
static void run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static void check_unpacks(struct fixture *f, enum pack_compression c, const char *name)
{
	char dir[256], out[300], path[512], line[256], list[256];
	const char *cat = c == PACK_ZSTD ? "zstd -dc" : "cat";
	struct manifest m;
	struct buf got;
	FILE *fp;
	int i, n = 0;

	mkdir_in(f, name, dir, sizeof(dir));
	snprintf(out, sizeof(out), "%s-x", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	manifest_init(&m);
	write_pack(f, dir, c, 0, &m);
	assert_int_equal(m.npacks, 1);
	assert_int_equal(m.nparts, 1);
	assert_int_equal(m.packs[0].compression, c);
	assert_string_equal(m.parts[0].name, "p0001.001");

	/* names are the hashes, in the order added, with the fixed owner, mode and time */
	snprintf(list, sizeof(list), "%s/list", f->tmp);
	run("%s '%s/p0001.001' | TZ=UTC tar --numeric-owner --full-time -tvf - >'%s'", cat, dir, list);
	fp = fopen(list, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		assert_true(n < NOBJ);
		assert_non_null(strstr(line, f->o[n].hex));
		assert_true(!strncmp(line, "-rw-r--r-- 0/0 ", 15));
		assert_non_null(strstr(line, "2023-11-14 22:13:20"));
		n++;
	}
	fclose(fp);
	assert_int_equal(n, NOBJ);

	run("%s '%s/p0001.001' | tar -xf - -C '%s'", cat, dir, out);
	for (i = 0; i < NOBJ; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, f->o[i].hex);
		read_all(path, &got);
		assert_int_equal(got.len, f->o[i].size);
		assert_memory_equal(buf_str(&got), f->o[i].data, f->o[i].size);
		buf_release(&got);
	}
	manifest_release(&m);
}

static void pack_zstd_unpacks_with_zstd_and_tar(void **state)
{
	check_unpacks(*state, PACK_ZSTD, "zstd");
}

static void pack_none_unpacks_with_tar(void **state)
{
	check_unpacks(*state, PACK_NONE, "none");
}

static void check_recorded_hash(const char *path, const uint8_t want[SHA256_LEN], uint64_t size)
{
	uint8_t got[SHA256_LEN];
	uint64_t n;
	struct err e;

	err_clear(&e);
	assert_int_equal(sha256_file(path, got, &n, &e), 0);
	assert_int_equal(n, size);
	assert_memory_equal(got, want, SHA256_LEN);
}

static void pack_is_byte_identical_for_same_input(void **state)
{
	struct fixture *f = *state;
	char a[256], b[256], pa[512], pb[512];
	struct manifest ma, mb;
	struct buf ba, bb;

	mkdir_in(f, "det-a", a, sizeof(a));
	mkdir_in(f, "det-b", b, sizeof(b));
	manifest_init(&ma);
	manifest_init(&mb);
	/* different worker counts must not change a byte */
	pack_set_threads(1);
	write_pack(f, a, PACK_ZSTD, 0, &ma);
	pack_set_threads(4);
	write_pack(f, b, PACK_ZSTD, 0, &mb);
	pack_set_threads(0);
	snprintf(pa, sizeof(pa), "%s/p0001.001", a);
	snprintf(pb, sizeof(pb), "%s/p0001.001", b);
	read_all(pa, &ba);
	read_all(pb, &bb);
	assert_int_equal(ba.len, bb.len);
	assert_memory_equal(ba.ptr, bb.ptr, ba.len);
	assert_memory_equal(ma.packs[0].sha256, mb.packs[0].sha256, SHA256_LEN);
	assert_int_equal(ma.packs[0].size, ba.len);
	check_recorded_hash(pa, ma.packs[0].sha256, ma.packs[0].size);
	check_recorded_hash(pa, ma.parts[0].sha256, ma.parts[0].size);
	buf_release(&ba);
	buf_release(&bb);
	manifest_release(&ma);
	manifest_release(&mb);
}

static void check_split(struct fixture *f, enum pack_compression c, uint64_t part_size, const char *name)
{
	char wname[64], sname[64], whole[256], split[256], path[512];
	struct manifest mw, ms;
	struct buf all, part, cat;
	struct err e;
	size_t i;

	err_clear(&e);
	snprintf(wname, sizeof(wname), "%s-whole", name);
	snprintf(sname, sizeof(sname), "%s-split", name);
	mkdir_in(f, wname, whole, sizeof(whole));
	mkdir_in(f, sname, split, sizeof(split));
	manifest_init(&mw);
	manifest_init(&ms);
	write_pack(f, whole, c, 0, &mw);
	write_pack(f, split, c, part_size, &ms);
	snprintf(path, sizeof(path), "%s/p0001.001", whole);
	read_all(path, &all);
	assert_true(ms.nparts > 2);
	assert_int_equal(ms.nparts, (all.len + part_size - 1) / part_size);
	buf_init(&cat, (size_t)1 << 30);
	for (i = 0; i < ms.nparts; i++) {
		char want[MANIFEST_MAX_PART_NAME + 1];

		pack_part_name(1, (uint32_t)i + 1, want);
		assert_string_equal(ms.parts[i].name, want);
		assert_int_equal(ms.parts[i].pack, 1);
		assert_int_equal(ms.parts[i].index, i + 1);
		assert_int_equal(ms.parts[i].volume, 1);
		if (i + 1 < ms.nparts)
			assert_int_equal(ms.parts[i].size, part_size);
		else
			assert_true(ms.parts[i].size >= 1 && ms.parts[i].size <= part_size);
		snprintf(path, sizeof(path), "%s/%s", split, ms.parts[i].name);
		check_recorded_hash(path, ms.parts[i].sha256, ms.parts[i].size);
		read_all(path, &part);
		assert_int_equal(buf_add(&cat, part.ptr, part.len, &e), 0);
		buf_release(&part);
	}
	/* no part file beyond the ones recorded */
	snprintf(path, sizeof(path), "%s/p0001.%03zu", split, ms.nparts + 1);
	assert_false(fs_exists(path));
	assert_int_equal(cat.len, all.len);
	assert_memory_equal(cat.ptr, all.ptr, all.len);
	assert_int_equal(ms.packs[0].size, all.len);
	assert_memory_equal(ms.packs[0].sha256, mw.packs[0].sha256, SHA256_LEN);
	buf_release(&all);
	buf_release(&cat);
	manifest_release(&mw);
	manifest_release(&ms);
}

static void pack_split_parts_concatenate_to_whole(void **state)
{
	check_split(*state, PACK_ZSTD, 4096, "split-zstd");
}

static void pack_split_on_exact_boundary_has_no_empty_part(void **state)
{
	/* an uncompressed pack is a multiple of 512 bytes, so 512-byte parts end exactly on the last byte */
	check_split(*state, PACK_NONE, 512, "split-none");
}

static void pack_rejects_file_changed_after_hashing(void **state)
{
	struct fixture *f = *state;
	char dir[256], path[512];
	struct pack_writer pw;
	struct manifest m;
	struct obj *o = &f->o[0];
	struct err e;
	int fd;

	mkdir_in(f, "changed", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/src", f->tmp);
	manifest_init(&m);

	/* same length, different bytes */
	err_clear(&e);
	o->data[10] ^= 1;
	assert_int_equal(fs_write_atomic(path, o->data, o->size, 0644, &e), 0);
	o->data[10] ^= 1;
	assert_int_equal(pack_open(&pw, dir, 1, PACK_ZSTD, 0, MTIME, &e), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pack_add_fd(&pw, o->sha, o->size, fd, "docs/a.txt", &e), -AE_STATE);
	assert_string_equal(e.msg, "'docs/a.txt' changed while it was exported");
	close(fd);
	err_clear(&e);
	assert_int_not_equal(pack_close(&pw, &m, &e), 0);
	assert_int_equal(m.npacks, 0);

	/* grew by one byte */
	unlink(path);
	err_clear(&e);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, o->data, o->size, path, &e), 0);
	assert_int_equal(fs_write_all(fd, "!", 1, path, &e), 0);
	close(fd);
	run("rm -f '%s'/p0001.*", dir);
	assert_int_equal(pack_open(&pw, dir, 1, PACK_NONE, 0, MTIME, &e), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pack_add_fd(&pw, o->sha, o->size, fd, "docs/a.txt", &e), -AE_STATE);
	assert_string_equal(e.msg, "'docs/a.txt' changed while it was exported");
	close(fd);
	pack_release(&pw);
	pack_release(&pw);

	/* shrank */
	err_clear(&e);
	assert_int_equal(truncate(path, (off_t)o->size - 1), 0);
	run("rm -f '%s'/p0001.*", dir);
	assert_int_equal(pack_open(&pw, dir, 1, PACK_NONE, 0, MTIME, &e), 0);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pack_add_fd(&pw, o->sha, o->size, fd, "docs/a.txt", &e), -AE_STATE);
	assert_string_equal(e.msg, "'docs/a.txt' changed while it was exported");
	close(fd);
	pack_release(&pw);
	manifest_release(&m);
}

static void pack_open_refuses_existing_part(void **state)
{
	struct fixture *f = *state;
	char dir[256], path[512];
	struct pack_writer pw;
	struct manifest m;
	struct err e;

	err_clear(&e);
	manifest_init(&m);
	mkdir_in(f, "exists", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/p0001.001", dir);
	assert_int_equal(fs_write_atomic(path, "x", 1, 0644, &e), 0);
	assert_int_equal(pack_open(&pw, dir, 1, PACK_NONE, 0, MTIME, &e), 0);
	assert_int_equal(pack_add_mem(&pw, f->o[4].sha, f->o[4].data, 1, &e), 0);
	assert_int_not_equal(pack_close(&pw, &m, &e), 0);
	assert_non_null(strstr(e.msg, "cannot create"));
	assert_non_null(strstr(e.msg, "p0001.001"));
	manifest_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pack_zstd_unpacks_with_zstd_and_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_none_unpacks_with_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_is_byte_identical_for_same_input, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_split_parts_concatenate_to_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_split_on_exact_boundary_has_no_empty_part, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_rejects_file_changed_after_hashing, setup, teardown),
		cmocka_unit_test_setup_teardown(pack_open_refuses_existing_part, setup, teardown),
	};

	return cmocka_run_group_tests_name("pack", tests, NULL, NULL);
}
