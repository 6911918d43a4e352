/*
 * unpack_pack on hostile packs.  A fixed manifest puts three objects in pack
 * 1 (a short text, an empty file, and one with a 4 KiB run of zeros that
 * `tar --sparse` stores as a hole) and a fourth in pack 2.  The first input
 * byte chooses pack 1's compression (low bit set: zstd, clear: none); the
 * rest is the pack.  Whatever the bytes, unpack_pack must end in success or a
 * clean refusal, and leave behind only regular files named by pack-1
 * objects inside the objects folder: every object it marks seen is there
 * whole and hashes to its name, at most one more (the one it was writing when
 * it refused) may be partial, and nothing appears anywhere else.  An
 * uncompressed pack it accepts must hold no link, device, folder or sparse
 * entry by our own reading of its headers.  No memory and no file descriptor
 * may leak.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "importer/unpack.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "verify/manifest.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOBJ 4
#define SPARSE_ZEROS 4096
#define SPARSE_TAIL 1024
#define INPUT_MAX ((size_t)1 << 20)

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_pack: %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

struct obj {
	uint8_t *data;
	size_t size;
	uint32_t pack;
	uint8_t sha[SHA256_LEN];
	char hex[SHA256_HEX];
};

static struct obj objs[NOBJ];
static struct manifest man;
static char root[64], pack_path[96], objdir[96];
static int ready, base_fd = -1;

static void cleanup(void)
{
	struct err e;

	err_clear(&e);
	if (*root && fs_rm_rf(root, &e))
		fprintf(stderr, "fuzz_pack: %s\n", e.msg);
}

static void obj_set(struct obj *o, const void *p, size_t n, uint32_t pack)
{
	o->data = malloc(n ? n : 1);
	CHECK(o->data);
	memcpy(o->data, p, n);
	o->size = n;
	o->pack = pack;
	sha256_buf(o->data, n, o->sha);
	hex_encode(o->sha, SHA256_LEN, o->hex);
}

static void setup(void)
{
	static const char a[] = "airlock fuzz object a\n";
	static const char c[] = "object c lives in pack 2\n";
	uint8_t sparse[SPARSE_ZEROS + SPARSE_TAIL];
	struct manifest_pack p;
	struct manifest_object mo;
	const char *dir = getenv("TMPDIR");
	struct err e;
	size_t i;
	int fd;

	memset(sparse, 0, SPARSE_ZEROS);
	for (i = 0; i < SPARSE_TAIL; i++)
		sparse[SPARSE_ZEROS + i] = (uint8_t)('a' + i % 26);
	obj_set(&objs[0], a, sizeof(a) - 1, 1);
	obj_set(&objs[1], "", 0, 1);
	obj_set(&objs[2], sparse, sizeof(sparse), 1);
	obj_set(&objs[3], c, sizeof(c) - 1, 2);

	err_clear(&e);
	manifest_init(&man);
	for (i = 1; i <= 2; i++) {
		memset(&p, 0, sizeof(p));
		p.id = (uint32_t)i;
		p.compression = PACK_NONE;
		CHECK(manifest_add_pack(&man, &p, &e) == 0);
	}
	for (i = 0; i < NOBJ; i++) {
		memset(&mo, 0, sizeof(mo));
		memcpy(mo.sha256, objs[i].sha, SHA256_LEN);
		mo.size = objs[i].size;
		mo.pack = objs[i].pack;
		CHECK(manifest_add_object(&man, &mo, &e) == 0);
	}
	/* manifest_find_object() searches the canonical (sorted) order */
	CHECK(manifest_canonicalize(&man, &e) == 0);

	snprintf(root, sizeof(root), "%s/fuzz_pack-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	CHECK(mkdtemp(root));
	atexit(cleanup);
	snprintf(pack_path, sizeof(pack_path), "%s/pack", root);
	snprintf(objdir, sizeof(objdir), "%s/objects", root);
	/* the lowest free descriptor, to see any that unpack_pack leaves open */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	base_fd = fd;
	close(fd);
	ready = 1;
}

static void write_input(const uint8_t *data, size_t size)
{
	size_t done = 0;
	int fd = open(pack_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0);
	while (done < size) {
		ssize_t k = write(fd, data + done, size - done);

		CHECK(k > 0);
		done += (size_t)k;
	}
	close(fd);
}

static const struct manifest_object *man_obj(size_t idx)
{
	return &man.objects[idx];
}

/* Index in man.objects of the object named hex, or NOBJ. */
static size_t find_by_name(const char *name)
{
	uint8_t sha[SHA256_LEN];
	const struct manifest_object *o;

	if (!is_sha256_hex(name, strlen(name)) || hex_decode(name, 64, sha, SHA256_LEN))
		return NOBJ;
	o = manifest_find_object(&man, sha);
	return o ? (size_t)(o - man.objects) : NOBJ;
}

/* The file is whole: the declared size and hash of object idx. */
static void check_file(const char *name, size_t idx)
{
	char path[200];
	uint8_t sha[SHA256_LEN];
	uint64_t sz = 0;
	struct err e;

	err_clear(&e);
	snprintf(path, sizeof(path), "%s/%s", objdir, name);
	CHECK(sha256_file(path, sha, &sz, &e) == 0);
	CHECK(sz == man_obj(idx)->size);
	CHECK(!memcmp(sha, man_obj(idx)->sha256, SHA256_LEN));
}

/* What is in the objects folder; returns how many files it holds. */
static size_t check_objdir(const uint8_t *seen, size_t *partial)
{
	DIR *d = opendir(objdir);
	struct dirent *de;
	size_t n = 0;

	CHECK(d);
	*partial = 0;
	while ((de = readdir(d))) {
		struct stat st;
		size_t idx;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		CHECK(fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		CHECK(S_ISREG(st.st_mode) && st.st_nlink == 1);
		idx = find_by_name(de->d_name);
		CHECK(idx < NOBJ && man_obj(idx)->pack == 1);
		if (seen[idx])
			check_file(de->d_name, idx);
		else
			(*partial)++;
		n++;
	}
	closedir(d);
	return n;
}

/* Nothing but the pack and the objects folder in the scratch folder. */
static void check_root(void)
{
	DIR *d = opendir(root);
	struct dirent *de;

	CHECK(d);
	while ((de = readdir(d)))
		CHECK(!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "pack") ||
		      !strcmp(de->d_name, "objects"));
	closedir(d);
}

/* An octal header field; -1 when it is not plain octal (base-256, garbage): then we do not judge. */
static int64_t octal(const uint8_t *f, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	if (i == n || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (f[i] - '0');
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	return v;
}

/*
 * An old GNU sparse header ('S') whose map we can read in full (no extension
 * blocks): aborts when the map leaves a hole in [0, real size).  libarchive
 * counts a map that covers the whole file as not sparse, and so may we.
 * Returns 0 when the walk must stop there.
 */
static int gnu_sparse_whole(const uint8_t *h)
{
	int64_t real = octal(h + 483, 12), off[4], end[4], pos = 0;
	size_t i, j, k = 0;

	if (h[482] || real < 0)
		return 0;
	for (i = 0; i < 4; i++) {
		int64_t o = octal(h + 386 + 24 * i, 12), len = octal(h + 398 + 24 * i, 12);

		if (o < 0 || len < 0)
			break;
		if (!len)
			continue;
		/* insertion by offset: the map's own order proves nothing */
		for (j = k; j > 0 && off[j - 1] > o; j--) {
			off[j] = off[j - 1];
			end[j] = end[j - 1];
		}
		off[j] = o;
		end[j] = o + len;
		k++;
	}
	for (i = 0; i < k && pos < real; i++) {
		CHECK(off[i] <= pos);
		if (end[i] > pos)
			pos = end[i];
	}
	CHECK(pos >= real);
	return 1;
}

/*
 * Our own walk over the headers of an uncompressed pack that unpack_pack
 * accepted: no entry may be a link, a device, a FIFO, a folder or sparse
 * (GNU 'S', or a pax header with GNU.sparse keys).  Headers this simple walk
 * cannot follow (a bad checksum, base-256 or pax sizes) end it without a
 * verdict: this is a second opinion, not a second tar reader.
 */
static void check_accepted_tar(const uint8_t *p, size_t n)
{
	static const uint8_t zero[512];
	size_t off = 0;

	while (off + 512 <= n && memcmp(p + off, zero, 512)) {
		const uint8_t *h = p + off;
		int64_t size = octal(h + 124, 12), sum = octal(h + 148, 8), calc = 0;
		uint8_t type = h[156];
		size_t i, len;

		for (i = 0; i < 512; i++)
			calc += (i >= 148 && i < 156) ? ' ' : h[i];
		if (size < 0 || sum != calc || (uint64_t)size > n)
			return;
		CHECK(type != '1' && type != '2' && type != '3' && type != '4' && type != '5' && type != '6');
		if (type == 'S' && !gnu_sparse_whole(h))
			return;
		len = (size_t)size;
		if (off + 512 + len > n)
			return;
		if (type == 'x' || type == 'g') {
			if (memmem(p + off + 512, len, "size=", 5))
				return;
			CHECK(!memmem(p + off + 512, len, "GNU.sparse", 10));
		}
		off += 512 + ((len + 511) & ~(size_t)511);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *seen;
	uint64_t bytes = 0, want_bytes = 0;
	size_t i, nseen = 0, nfiles, partial;
	struct err e;
	int r, fd;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (!ready)
		setup();
	man.packs[0].compression = data[0] & 1 ? PACK_ZSTD : PACK_NONE;
	write_input(data + 1, size - 1);
	err_clear(&e);
	CHECK(fs_rm_rf(objdir, &e) == 0);
	CHECK(mkdir(objdir, 0700) == 0);
	/* exactly one flag per object, so that ASan sees an index past them */
	seen = calloc(man.nobjects, 1);
	CHECK(seen);

	r = unpack_pack(pack_path, &man, &man.packs[0], objdir, seen, &bytes, &e);

	if (r) {
		CHECK(r == -e.code);
		/*
		 * Not AE_IO: every file it makes is new in an empty folder on a
		 * scratch file system, so an I/O error means it tried to make one twice.
		 */
		CHECK(e.code == AE_REJECT || e.code == AE_NOMEM);
		if (e.code == AE_REJECT)
			CHECK(!strncmp(e.msg, "pack 1: ", 8));
	} else {
		CHECK(e.code == 0);
	}
	for (i = 0; i < man.nobjects; i++) {
		CHECK(seen[i] == 0 || seen[i] == 1);
		if (!seen[i])
			continue;
		CHECK(man_obj(i)->pack == 1);
		nseen++;
		want_bytes += man_obj(i)->size;
	}
	CHECK(bytes == want_bytes);
	nfiles = check_objdir(seen, &partial);
	CHECK(nfiles - partial == nseen);
	if (r == 0) {
		CHECK(nseen == 3 && partial == 0);
		if (man.packs[0].compression == PACK_NONE)
			check_accepted_tar(data + 1, size - 1);
	} else
		CHECK(partial <= 1);
	check_root();

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHECK(fd <= base_fd);
	close(fd);
	free(seen);
	return 0;
}
