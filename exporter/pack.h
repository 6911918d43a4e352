#ifndef AIRLOCK_PACK_H
#define AIRLOCK_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/hash.h"
#include "verify/manifest.h"

/*
 * The pack writer: the one exporter file that includes <archive.h>.  A pack
 * is a ustar archive (zstd-compressed, or stored for data that does not
 * compress) whose entries are objects named by their 64-hex SHA-256, mode
 * 0644, owner 0:0 with no names, mtime fixed by the caller, so that the same
 * objects in the same order give the same bytes.  The compressed output is
 * hashed as it is written and cut into part files "<dir>/pNNNN.MMM" of at
 * most part_size bytes, so the pack's and every part's hash and size come out
 * of the one pass that writes them.
 */

#define PACK_ZSTD_LEVEL 3
/* Keeps every part under the 4 GiB file limit of FAT32 sticks and single-extent ISO9660. */
#define PACK_PART_DEFAULT ((uint64_t)1 << 30)
#define PACK_MAX_PARTS 9999

struct archive;

struct pack_part_info {
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	char name[MANIFEST_MAX_PART_NAME + 1];
};

struct pack_writer {
	struct archive *a;
	char *dir;
	uint32_t id;
	enum pack_compression compression;
	uint64_t part_size;
	int64_t mtime;

	int fd;                 /* current part, -1 between parts */
	char *part_path;        /* its path, for messages */
	struct sha256 pack_hash;
	struct sha256 part_hash;
	uint64_t size;          /* whole pack so far */
	uint64_t part_written;  /* current part so far */
	struct pack_part_info *parts;
	size_t nparts;
	size_t parts_cap;

	uint64_t nentries;
	uint64_t payload;       /* object bytes added */
	struct err cb_err;      /* what went wrong inside libarchive's write callback */
	int failed;
};

/*
 * Zstd worker threads for packs opened after the call: 0 (the default) means
 * the number of online CPUs.  Any n >= 1 gives the same bytes (zstd's
 * multi-threaded format does not depend on the number of workers), which the
 * unit test checks.
 */
void pack_set_threads(unsigned n);

/*
 * Start pack pack_id (1..) writing its parts under dir (which must exist).
 * part_size 0 means PACK_PART_DEFAULT.  On failure pw is released.
 */
int pack_open(struct pack_writer *pw, const char *dir, uint32_t pack_id, enum pack_compression compression,
	      uint64_t part_size, int64_t mtime, struct err *e) AL_WUR;

/* Add an object held in memory; data must be size bytes whose SHA-256 is sha. */
int pack_add_mem(struct pack_writer *pw, const uint8_t sha[SHA256_LEN], const void *data, size_t size,
		 struct err *e) AL_WUR;

/*
 * Add an object streamed from fd (read from its current offset): exactly
 * size bytes are read and hashed again on the way in; a different length or
 * hash means the file changed since it was hashed, and fails with
 * -AE_STATE "'name' changed while it was exported".  The pack is then
 * unusable (its entry is already half written): close it and discard.
 */
int pack_add_fd(struct pack_writer *pw, const uint8_t sha[SHA256_LEN], uint64_t size, int fd, const char *name,
		struct err *e) AL_WUR;

/*
 * Finish the pack: flush, fsync and close the last part, then add the pack
 * and its parts (volume 1) to m.  pw is released either way.
 */
int pack_close(struct pack_writer *pw, struct manifest *m, struct err *e) AL_WUR;

/*
 * Release without finishing (error paths); part files already written stay.
 * Safe twice and on a zeroed struct.
 */
void pack_release(struct pack_writer *pw);

/* The file name of part index of pack id: "p0001.001". */
void pack_part_name(uint32_t id, uint32_t index, char out[MANIFEST_MAX_PART_NAME + 1]);

#endif
