#include "exporter/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fs.h"
#include "lib/banned.h"

#define STREAM_BLOCK ((size_t)1 << 20)
/*
 * libarchive gathers its output into blocks of this size before calling us;
 * the last block is not padded (bytes_in_last_block = 1), so the block size
 * changes how often the callback runs, never the bytes.
 */
#define OUTPUT_BLOCK 65536

static unsigned pack_threads;

void pack_set_threads(unsigned n)
{
	pack_threads = n;
}

static unsigned threads_wanted(void)
{
	long n;

	if (pack_threads)
		return pack_threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > 64 ? 64 : (unsigned)n;
}

void pack_part_name(uint32_t id, uint32_t index, char out[MANIFEST_MAX_PART_NAME + 1])
{
	snprintf(out, MANIFEST_MAX_PART_NAME + 1, "p%04u.%03u", (unsigned)id, (unsigned)index);
}

static int archive_fail(struct pack_writer *pw, struct err *e, const char *what)
{
	/* an error raised in our write callback is more precise than libarchive's echo of it */
	if (pw->cb_err.code)
		return err_set(e, pw->cb_err.code, "%s", pw->cb_err.msg);
	return err_set(e, AE_ARCHIVE, "pack %u: %s: %s", (unsigned)pw->id, what,
		       pw->a && archive_error_string(pw->a) ? archive_error_string(pw->a) : "unknown error");
}

static int part_start(struct pack_writer *pw, struct err *e)
{
	struct pack_part_info *pi;
	struct buf path;
	int r;

	buf_init(&path, 8192);
	if (pw->nparts >= PACK_MAX_PARTS) {
		r = err_set(e, AE_TOOBIG, "pack %u needs more than %d parts: use a larger part size",
			    (unsigned)pw->id, PACK_MAX_PARTS);
		goto out;
	}
	if (pw->nparts == pw->parts_cap) {
		size_t cap = pw->parts_cap ? pw->parts_cap * 2 : 8;

		pi = realloc(pw->parts, cap * sizeof(*pi));
		if (!pi) {
			r = err_set(e, AE_NOMEM, "out of memory");
			goto out;
		}
		pw->parts = pi;
		pw->parts_cap = cap;
	}
	pi = &pw->parts[pw->nparts];
	memset(pi, 0, sizeof(*pi));
	pack_part_name(pw->id, (uint32_t)pw->nparts + 1, pi->name);
	r = buf_addf(&path, e, "%s/%s", pw->dir, pi->name);
	if (r)
		goto out;
	r = sha256_init(&pw->part_hash, e);
	if (r)
		goto out;
	pw->fd = open(path.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (pw->fd < 0) {
		r = err_errno(e, errno, "cannot create '%s'", path.ptr);
		sha256_release(&pw->part_hash);
		goto out;
	}
	free(pw->part_path);
	pw->part_path = buf_detach(&path, NULL);
	pw->part_written = 0;
	pw->nparts++;
	r = 0;
out:
	buf_release(&path);
	return r;
}

/* fsync here rather than later: the parts are renamed or copied onto the media from staging. */
static int part_finish(struct pack_writer *pw, struct err *e)
{
	struct pack_part_info *pi = &pw->parts[pw->nparts - 1];
	int r = 0;

	if (fsync(pw->fd) < 0)
		r = err_errno(e, errno, "cannot sync '%s'", pw->part_path);
	if (close(pw->fd) < 0 && !r)
		r = err_errno(e, errno, "cannot close '%s'", pw->part_path);
	pw->fd = -1;
	pi->size = pw->part_written;
	sha256_final(&pw->part_hash, pi->sha256);
	return r;
}

static la_ssize_t write_cb(struct archive *a, void *client, const void *p, size_t n)
{
	struct pack_writer *pw = client;
	const char *c = p;
	size_t left = n;

	while (left) {
		size_t k;

		if (pw->fd < 0 && part_start(pw, &pw->cb_err))
			goto fail;
		k = left;
		if (k > pw->part_size - pw->part_written)
			k = (size_t)(pw->part_size - pw->part_written);
		if (fs_write_all(pw->fd, c, k, pw->part_path, &pw->cb_err))
			goto fail;
		sha256_update(&pw->pack_hash, c, k);
		sha256_update(&pw->part_hash, c, k);
		pw->part_written += k;
		pw->size += k;
		c += k;
		left -= k;
		/* cut eagerly, so that a pack ending on the boundary has no empty last part */
		if (pw->part_written == pw->part_size && part_finish(pw, &pw->cb_err))
			goto fail;
	}
	return (la_ssize_t)n;
fail:
	pw->failed = 1;
	archive_set_error(a, EIO, "%s", pw->cb_err.msg);
	return -1;
}

void pack_release(struct pack_writer *pw)
{
	/* dir is set first by pack_open and cleared last here: a zeroed or released writer owns nothing */
	if (!pw->dir)
		return;
	if (pw->a)
		archive_write_free(pw->a);
	pw->a = NULL;
	if (pw->fd >= 0) {
		close(pw->fd);
		sha256_release(&pw->part_hash);
	}
	pw->fd = -1;
	sha256_release(&pw->pack_hash);
	free(pw->dir);
	pw->dir = NULL;
	free(pw->part_path);
	pw->part_path = NULL;
	free(pw->parts);
	pw->parts = NULL;
	pw->nparts = pw->parts_cap = 0;
}

int pack_open(struct pack_writer *pw, const char *dir, uint32_t pack_id, enum pack_compression compression,
	      uint64_t part_size, int64_t mtime, struct err *e)
{
	char threads[16];
	int r;

	memset(pw, 0, sizeof(*pw));
	pw->fd = -1;
	pw->id = pack_id;
	pw->compression = compression;
	pw->part_size = part_size ? part_size : PACK_PART_DEFAULT;
	pw->mtime = mtime;
	err_clear(&pw->cb_err);
	if (pack_id == 0 || pack_id > 9999) {
		r = err_set(e, AE_FORMAT, "pack id %u is out of range", (unsigned)pack_id);
		goto out;
	}
	if (compression != PACK_ZSTD && compression != PACK_NONE) {
		r = err_set(e, AE_FORMAT, "pack %u: unknown compression", (unsigned)pack_id);
		goto out;
	}
	pw->dir = strdup(dir);
	if (!pw->dir) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = sha256_init(&pw->pack_hash, e);
	if (r)
		goto out;
	pw->a = archive_write_new();
	if (!pw->a) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_ustar(pw->a) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot select the ustar format");
		goto out;
	}
	if (compression == PACK_ZSTD) {
		if (archive_write_add_filter_zstd(pw->a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(pw->a, "zstd", "compression-level", "3") != ARCHIVE_OK) {
			r = archive_fail(pw, e, "cannot set up zstd");
			goto out;
		}
		/*
		 * zstd's multi-threaded format is the same for any number of
		 * workers >= 1, so the pack does not depend on the machine's
		 * CPU count; a libarchive without the option compresses on
		 * one thread (still deterministic on that build).
		 */
		snprintf(threads, sizeof(threads), "%u", threads_wanted());
		if (archive_write_set_filter_option(pw->a, "zstd", "threads", threads) != ARCHIVE_OK)
			archive_clear_error(pw->a);
	} else if (archive_write_add_filter_none(pw->a) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot set up the output");
		goto out;
	}
	if (archive_write_set_bytes_per_block(pw->a, OUTPUT_BLOCK) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(pw->a, 1) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot set the block size");
		goto out;
	}
	if (archive_write_open(pw->a, pw, NULL, write_cb, NULL) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot start the pack");
		goto out;
	}
	r = 0;
out:
	if (r)
		pack_release(pw);
	return r;
}

static int entry_header(struct pack_writer *pw, const uint8_t sha[SHA256_LEN], uint64_t size, struct err *e)
{
	struct archive_entry *ent = NULL;
	char hex[SHA256_HEX];
	int r;

	if (pw->failed)
		return archive_fail(pw, e, "earlier write failed");
	if (size > (uint64_t)INT64_MAX)
		return err_set(e, AE_TOOBIG, "object too large");
	ent = archive_entry_new();
	if (!ent)
		return err_set(e, AE_NOMEM, "out of memory");
	hex_encode(sha, SHA256_LEN, hex);
	archive_entry_set_pathname(ent, hex);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_size(ent, (la_int64_t)size);
	archive_entry_set_mtime(ent, (time_t)pw->mtime, 0);
	if (archive_write_header(pw->a, ent) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot write an entry header");
		pw->failed = 1;
		goto out;
	}
	r = 0;
out:
	archive_entry_free(ent);
	return r;
}

static int entry_data(struct pack_writer *pw, const void *p, size_t n, struct err *e)
{
	const char *c = p;

	while (n) {
		la_ssize_t k = archive_write_data(pw->a, c, n);

		if (k <= 0) {
			pw->failed = 1;
			return archive_fail(pw, e, "cannot write object data");
		}
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

static int entry_end(struct pack_writer *pw, uint64_t size, struct err *e)
{
	if (archive_write_finish_entry(pw->a) != ARCHIVE_OK) {
		pw->failed = 1;
		return archive_fail(pw, e, "cannot finish an entry");
	}
	pw->nentries++;
	pw->payload += size;
	return 0;
}

int pack_add_mem(struct pack_writer *pw, const uint8_t sha[SHA256_LEN], const void *data, size_t size,
		 struct err *e)
{
	int r;

	r = entry_header(pw, sha, size, e);
	if (!r)
		r = entry_data(pw, data, size, e);
	if (!r)
		r = entry_end(pw, size, e);
	return r;
}

int pack_add_fd(struct pack_writer *pw, const uint8_t sha[SHA256_LEN], uint64_t size, int fd, const char *name,
		struct err *e)
{
	struct sha256 h = { 0 };
	uint8_t got[SHA256_LEN];
	uint64_t left = size;
	char *blk = NULL;
	ssize_t n;
	int r;

	blk = malloc(STREAM_BLOCK);
	if (!blk) {
		r = err_set(e, AE_NOMEM, "out of memory");
		goto out;
	}
	r = sha256_init(&h, e);
	if (r)
		goto out;
	r = entry_header(pw, sha, size, e);
	if (r)
		goto out;
	while (left) {
		size_t want = left < STREAM_BLOCK ? (size_t)left : STREAM_BLOCK;

		n = fs_read_full(fd, blk, want, name, e);
		if (n < 0) {
			r = (int)n;
			goto out;
		}
		if ((size_t)n < want) {
			r = err_set(e, AE_STATE, "'%s' changed while it was exported", name);
			goto out;
		}
		sha256_update(&h, blk, (size_t)n);
		r = entry_data(pw, blk, (size_t)n, e);
		if (r)
			goto out;
		left -= (uint64_t)n;
	}
	/* a file that grew after it was hashed is as changed as one whose bytes differ */
	n = fs_read_full(fd, blk, 1, name, e);
	if (n < 0) {
		r = (int)n;
		goto out;
	}
	sha256_final(&h, got);
	if (n > 0 || memcmp(got, sha, SHA256_LEN)) {
		r = err_set(e, AE_STATE, "'%s' changed while it was exported", name);
		goto out;
	}
	r = entry_end(pw, size, e);
out:
	if (r)
		pw->failed = 1;
	sha256_release(&h);
	free(blk);
	return r;
}

int pack_close(struct pack_writer *pw, struct manifest *m, struct err *e)
{
	struct manifest_pack mp;
	struct manifest_part mpart;
	size_t i;
	int r;

	if (pw->failed) {
		r = archive_fail(pw, e, "earlier write failed");
		goto out;
	}
	if (archive_write_close(pw->a) != ARCHIVE_OK) {
		r = archive_fail(pw, e, "cannot finish the pack");
		goto out;
	}
	if (pw->fd >= 0) {
		r = part_finish(pw, e);
		if (r)
			goto out;
	}
	memset(&mp, 0, sizeof(mp));
	mp.id = pw->id;
	mp.compression = pw->compression;
	mp.size = pw->size;
	sha256_final(&pw->pack_hash, mp.sha256);
	r = manifest_add_pack(m, &mp, e);
	if (r)
		goto out;
	for (i = 0; i < pw->nparts; i++) {
		memset(&mpart, 0, sizeof(mpart));
		mpart.pack = pw->id;
		mpart.index = (uint32_t)i + 1;
		mpart.volume = 1;
		mpart.size = pw->parts[i].size;
		memcpy(mpart.sha256, pw->parts[i].sha256, SHA256_LEN);
		mpart.name = pw->parts[i].name;
		r = manifest_add_part(m, &mpart, e);
		if (r)
			goto out;
	}
	r = 0;
out:
	pack_release(pw);
	return r;
}
