#ifndef AIRLOCK_MANIFEST_H
#define AIRLOCK_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hash.h"

/*
 * The bundle manifest, format 1: the one contract between the two sides.
 * docs/bundle-format.md is the normative text; this is its only parser and
 * its only writer.  The form is canonical: manifest_write(manifest_parse(b))
 * gives b back byte for byte, and the parser refuses anything that is not
 * canonical (order, spacing, leading zeros, case), which is also how
 * duplicates are caught.
 *
 *   airlock-manifest 1
 *   channel plant-a
 *   sequence 3
 *   created 2026-11-21T23:00:00Z
 *   expires 2026-12-21T23:00:00Z
 *   previous <sha256 hex> | none
 *   base <sequence> | none
 *   source <name> <kind>                    (sorted by name)
 *   pack <id> <compression> <size> <sha256> (ids 1..n in order)
 *   part <pack> <index> <volume> <size> <sha256> <name>   (sorted by pack, index)
 *   object <sha256> <size> <pack>           (sorted by sha256; pack 0 = not shipped)
 *   file <source> <mode> <sha256> <path>    (sorted by source, then path bytes)
 *   end
 *
 * Every line ends in "\n"; fields are separated by one space; <path> is the
 * rest of the line.  Nothing may follow "end\n".
 */

#define MANIFEST_FORMAT 1
#define MANIFEST_MAX_BYTES ((size_t)64 << 20)
#define MANIFEST_MAX_LINE 8192
#define MANIFEST_MAX_PATH 4096
#define MANIFEST_MAX_COMPONENT 255
#define MANIFEST_MAX_NAME 64      /* channel, source */
#define MANIFEST_MAX_PART_NAME 64 /* file name of a part on the volume, under packs/ */
#define MANIFEST_MAX_ENTRIES 1000000 /* sources, packs, parts, objects or files: bounds memory */

enum pack_compression { PACK_ZSTD = 1, PACK_NONE = 2 };

struct manifest_source {
	char *name;
	char *kind; /* "dir", "apt" or "http" */
};

struct manifest_pack {
	uint32_t id; /* 1..npacks */
	enum pack_compression compression;
	uint64_t size; /* sum of its parts */
	uint8_t sha256[SHA256_LEN]; /* of the whole pack (its parts concatenated) */
};

struct manifest_part {
	uint32_t pack;
	uint32_t index;  /* 1.. within the pack */
	uint32_t volume; /* 1.. */
	uint64_t size;
	uint8_t sha256[SHA256_LEN];
	char *name; /* "p0001.001": the file packs/<name> on the volume */
};

struct manifest_object {
	uint8_t sha256[SHA256_LEN];
	uint64_t size;
	uint32_t pack; /* 0: not shipped in this bundle (the base has it) */
};

struct manifest_file {
	char *source;
	uint32_t mode; /* permission bits only: 0644 or 0755 style, nothing above 0777 */
	uint8_t object[SHA256_LEN];
	char *path; /* relative, '/'-separated, checked by manifest_path_valid() */
};

struct manifest {
	uint32_t format;
	char *channel;
	uint64_t sequence; /* >= 1 */
	int64_t created;
	int64_t expires; /* > created */
	int has_previous;
	uint8_t previous[SHA256_LEN];
	uint64_t base; /* 0: full snapshot, else the sequence this increment builds on */

	struct manifest_source *sources;
	size_t nsources;
	struct manifest_pack *packs;
	size_t npacks;
	struct manifest_part *parts;
	size_t nparts;
	struct manifest_object *objects;
	size_t nobjects;
	struct manifest_file *files;
	size_t nfiles;
};

/* Zero a manifest. */
void manifest_init(struct manifest *m);
/* Free everything it owns and zero it. */
void manifest_release(struct manifest *m);

/*
 * Parse and validate.  m is initialised here (it must not hold anything that
 * needs releasing).  On failure: -AE_REJECT with "manifest line N: what"
 * in e (-AE_NOMEM when memory runs out), and m released.  Checks, beyond the grammar: every file's object is
 * listed; every object is used by a file; every object's pack exists (or is
 * 0 only when base is set); pack sizes equal their parts' sum; part indexes
 * are 1..n per pack; names follow name_valid(); paths follow
 * manifest_path_valid(); a path is not both a file and a folder.
 */
int manifest_parse(struct manifest *m, const char *data, size_t len, struct err *e) AL_WUR;

/*
 * Sort every array into canonical order (the writer's job before writing,
 * so that builders may add in any order).  Fails with -AE_FORMAT on
 * duplicates (same source name, object hash, or source+path).
 */
int manifest_canonicalize(struct manifest *m, struct err *e) AL_WUR;

/* Append the canonical text to out.  The manifest must be canonical. */
int manifest_write(const struct manifest *m, struct buf *out, struct err *e) AL_WUR;

/*
 * 0 if path is acceptable as a logical path: non-empty, at most
 * MANIFEST_MAX_PATH bytes, components of 1..MANIFEST_MAX_COMPONENT bytes, no
 * leading or trailing '/', no empty, "." or ".." component, no byte below
 * 0x20, no 0x7f, no C1 control (U+0080..U+009F), no backslash, valid UTF-8
 * (shortest form, no surrogates, at most U+10FFFF).  Otherwise -AE_REJECT with the
 * rule broken in e ("absolute path", "'..' component", ...).
 */
int manifest_path_valid(const char *path, size_t len, struct err *e) AL_WUR;

/* Lookups by binary search (the manifest must be canonical). NULL if absent. */
const struct manifest_object *manifest_find_object(const struct manifest *m, const uint8_t sha[SHA256_LEN]);
const struct manifest_pack *manifest_find_pack(const struct manifest *m, uint32_t id);

/* Builders: append a copy; the strings are duplicated. */
int manifest_add_source(struct manifest *m, const char *name, const char *kind, struct err *e) AL_WUR;
int manifest_add_pack(struct manifest *m, const struct manifest_pack *p, struct err *e) AL_WUR;
int manifest_add_part(struct manifest *m, const struct manifest_part *p, struct err *e) AL_WUR;
int manifest_add_object(struct manifest *m, const struct manifest_object *o, struct err *e) AL_WUR;
int manifest_add_file(struct manifest *m, const char *source, uint32_t mode, const uint8_t obj[SHA256_LEN],
		      const char *path, struct err *e) AL_WUR;

#endif
