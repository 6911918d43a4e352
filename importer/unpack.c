#include "importer/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/crash.h"
#include "lib/fs.h"
#include "lib/hash.h"
#include "lib/banned.h"

#define BLOCK (1 << 20)

static const char *type_name(mode_t t)
{
	switch (t) {
	case AE_IFLNK: return "a symbolic link";
	case AE_IFDIR: return "a folder";
	case AE_IFCHR: return "a character device";
	case AE_IFBLK: return "a block device";
	case AE_IFIFO: return "a FIFO";
	case AE_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

static int extract_one(struct archive *a, const char *objpath, const struct manifest_object *o, uint32_t packid,
		       const char *name, char *blk, struct err *e)
{
	struct sha256 h = { 0 };
	uint8_t d[SHA256_LEN];
	uint64_t got = 0;
	la_ssize_t n;
	int fd = -1, r;

	fd = open(objpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_errno(e, errno, "cannot create '%s'", objpath);
	r = sha256_init(&h, e);
	if (r)
		goto out;
	while ((n = archive_read_data(a, blk, BLOCK)) > 0) {
		if ((uint64_t)n > o->size - got) {
			r = err_reject(e, "pack %u: object %s: more data than the declared %llu bytes", packid, name,
				       (unsigned long long)o->size);
			goto out;
		}
		got += (uint64_t)n;
		sha256_update(&h, blk, (size_t)n);
		r = fs_write_all(fd, blk, (size_t)n, objpath, e);
		if (r)
			goto out;
	}
	if (n < 0) {
		r = err_reject(e, "pack %u: object %s: cannot read: %s", packid, name, archive_error_string(a));
		goto out;
	}
	if (got != o->size) {
		r = err_reject(e, "pack %u: object %s: %llu bytes, the manifest says %llu", packid, name,
			       (unsigned long long)got, (unsigned long long)o->size);
		goto out;
	}
	sha256_final(&h, d);
	if (memcmp(d, o->sha256, SHA256_LEN))
		r = err_reject(e, "pack %u: object %s: sha256 mismatch", packid, name);
	/* no fsync here: the importer makes every object durable with one syncfs() before promoting */
out:
	sha256_release(&h);
	close(fd);
	return r;
}

int unpack_pack(const char *pack_path, const struct manifest *m, const struct manifest_pack *pack,
		const char *objdir, uint8_t *seen, uint64_t *bytes, struct err *e)
{
	struct archive *a = NULL;
	struct archive_entry *ent;
	struct buf objpath;
	char *blk = NULL;
	size_t i, want = 0, found = 0;
	int r = 0, rc;

	buf_init(&objpath, 8192);
	for (i = 0; i < m->nobjects; i++)
		if (m->objects[i].pack == pack->id)
			want++;
	blk = malloc(BLOCK);
	a = archive_read_new();
	if (!blk || !a) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	/* only the formats a pack may be in: a smaller parser surface */
	archive_read_support_format_tar(a);
	if (pack->compression == PACK_ZSTD)
		archive_read_support_filter_zstd(a);
	if (archive_read_open_filename(a, pack_path, BLOCK) != ARCHIVE_OK) {
		r = err_reject(e, "pack %u: not a readable tar%s: %s", pack->id,
			       pack->compression == PACK_ZSTD ? "+zstd" : "", archive_error_string(a));
		goto out;
	}
	while ((rc = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		const struct manifest_object *o;
		uint8_t sha[SHA256_LEN];
		size_t idx;

		/* libarchive always accepts an uncompressed stream; the signed manifest says which it is */
		if (archive_filter_code(a, 0) != (pack->compression == PACK_ZSTD ? ARCHIVE_FILTER_ZSTD
										  : ARCHIVE_FILTER_NONE)) {
			r = err_reject(e, "pack %u: compression is not the '%s' the manifest declares", pack->id,
				       pack->compression == PACK_ZSTD ? "zstd" : "none");
			goto out;
		}

		if (!name || !is_sha256_hex(name, strlen(name)) || hex_decode(name, 64, sha, SHA256_LEN)) {
			r = err_reject(e, "pack %u: entry '%.80s' is not named by an object hash", pack->id,
				       name ? name : "");
			goto out;
		}
		if (archive_entry_hardlink(ent)) {
			r = err_reject(e, "pack %u: entry %s is a hard link", pack->id, name);
			goto out;
		}
		if (archive_entry_filetype(ent) != AE_IFREG) {
			r = err_reject(e, "pack %u: entry %s is %s", pack->id, name,
				       type_name(archive_entry_filetype(ent)));
			goto out;
		}
		if (archive_entry_sparse_count(ent) > 0) {
			r = err_reject(e, "pack %u: entry %s is a sparse file", pack->id, name);
			goto out;
		}
		o = manifest_find_object(m, sha);
		if (!o || o->pack != pack->id) {
			r = err_reject(e, "pack %u: entry %s is not an object the manifest puts in this pack", pack->id,
				       name);
			goto out;
		}
		idx = (size_t)(o - m->objects);
		if (seen[idx]) {
			r = err_reject(e, "pack %u: object %s appears twice", pack->id, name);
			goto out;
		}
		if (!archive_entry_size_is_set(ent) || archive_entry_size(ent) < 0 ||
		    (uint64_t)archive_entry_size(ent) != o->size) {
			r = err_reject(e, "pack %u: object %s: header says %lld bytes, the manifest says %llu", pack->id,
				       name, (long long)archive_entry_size(ent), (unsigned long long)o->size);
			goto out;
		}
		buf_reset(&objpath);
		r = buf_addf(&objpath, e, "%s/%s", objdir, name);
		if (r)
			goto out;
		r = extract_one(a, objpath.ptr, o, pack->id, name, blk, e);
		if (r)
			goto out;
		crash_point("object-extracted");
		seen[idx] = 1;
		found++;
		*bytes += o->size;
	}
	if (rc != ARCHIVE_EOF) {
		r = err_reject(e, "pack %u: damaged archive: %s", pack->id, archive_error_string(a));
		goto out;
	}
	if (found != want) {
		for (i = 0; i < m->nobjects; i++) {
			char hex[SHA256_HEX];

			if (m->objects[i].pack != pack->id || seen[i])
				continue;
			hex_encode(m->objects[i].sha256, SHA256_LEN, hex);
			r = err_reject(e, "pack %u: object %s is missing from it", pack->id, hex);
			goto out;
		}
	}
out:
	if (a)
		archive_read_free(a);
	free(blk);
	buf_release(&objpath);
	return r;
}
