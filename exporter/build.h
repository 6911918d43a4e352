#ifndef AIRLOCK_BUILD_H
#define AIRLOCK_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/db.h"
#include "lib/err.h"
#include "lib/hash.h"
#include "verify/manifest.h"

/*
 * Bundle building: walk the sources, hash every file, write each distinct
 * content once into a pack, and write the manifest that names it all.  The
 * result is a folder laid out as on the media (manifest, packs/, signatures/)
 * that the caller signs and then moves or writes onto the volume.
 */

/* Files up to this size are read once into memory, hashed and packed from there. */
#define BUILD_SMALL_MAX ((size_t)8 << 20)
/* How much of each object is test-compressed to decide which pack it goes to. */
#define BUILD_SAMPLE ((size_t)64 << 10)
#define BUILD_DEFAULT_EXPIRES ((int64_t)30 * 86400)
#define BUILD_VOLUME_ID_MAX 32

struct build_source {
	char *name;
	char *kind;     /* "dir" or "apt" */
	char *location; /* absolute path of the folder (for apt: the fetched, verified mirror) */
};

struct build_spec {
	const char *channel;
	uint64_t sequence; /* >= 1 */
	int has_previous;
	uint8_t previous[SHA256_LEN];
	int64_t created;
	int64_t expires;
	const struct build_source *sources; /* any order; sorted by name here */
	size_t nsources;
	uint64_t part_size; /* 0: PACK_PART_DEFAULT */
	/*
	 * An increment: the manifest of sequence base_sequence as exported.
	 * Objects it holds are listed but not packed (pack 0): the far side
	 * has them.  NULL for a full bundle.
	 */
	const struct manifest *base;
	uint64_t base_sequence;
	int quiet;          /* no progress bar even on a TTY */
};

struct build_stats {
	uint64_t files;
	uint64_t file_bytes;   /* sum of all files' sizes */
	uint64_t objects;      /* distinct contents */
	uint64_t object_bytes; /* sum of the distinct contents' sizes */
	uint64_t stored;       /* objects put in the uncompressed pack */
	uint64_t packs;
	uint64_t parts;
	uint64_t pack_bytes;   /* what goes on the media besides manifest and signatures */
};

/*
 * The next sequence of channel (1 when it was never exported) and the hash
 * of its last exported manifest, from table export.
 */
int build_channel_state(struct db *db, const char *channel, uint64_t *next_sequence, int *has_previous,
			uint8_t previous[SHA256_LEN], struct err *e) AL_WUR;

/*
 * Every configured source, sorted by name; free with build_sources_free().
 * An apt source's location is its verified mirror folder, staging/apt/<name>/tree,
 * which only 'airlock fetch' writes.
 */
int build_load_sources(struct db *db, const char *staging, struct build_source **out, size_t *n,
		       struct err *e) AL_WUR;
void build_sources_free(struct build_source *s, size_t n);

/*
 * Build the bundle into dir (an existing, empty folder): dir/packs/<parts>,
 * dir/signatures/ (empty) and dir/manifest.  m (initialised by the caller)
 * receives the canonical manifest, raw (initialised by the caller, max at
 * least MANIFEST_MAX_BYTES) its exact bytes, sha their SHA-256.  On failure
 * the caller removes dir.
 */
int build_run(const struct build_spec *spec, const char *dir, struct manifest *m, struct buf *raw,
	      uint8_t sha[SHA256_LEN], struct build_stats *st, struct err *e) AL_WUR;

/*
 * The ISO9660 volume identifier of a bundle: "AIRLOCK_<CHANNEL>_<SEQ>" in
 * d-characters (A-Z, 0-9, '_'), at most BUILD_VOLUME_ID_MAX characters.
 */
void build_volume_id(const char *channel, uint64_t sequence, char out[BUILD_VOLUME_ID_MAX + 1]);

#endif
