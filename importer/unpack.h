#ifndef AIRLOCK_UNPACK_H
#define AIRLOCK_UNPACK_H

#include <stdint.h>

#include "lib/err.h"
#include "verify/manifest.h"

/*
 * Extract the objects of one pack whose hash has already been checked
 * against the signed manifest.  Every entry must be a regular file named by
 * the hash of an object the manifest places in this pack, not seen before,
 * of exactly the declared size (checked while streaming), not sparse and not
 * a link; its bytes are hashed as they are written to objdir/<hex>.  The
 * files are not synced: the caller syncs them all at once before promoting.  seen[] has one flag per manifest object (by index).
 * Any violation is -AE_REJECT naming the pack, the entry and the check.
 */
int unpack_pack(const char *pack_path, const struct manifest *m, const struct manifest_pack *pack,
		const char *objdir, uint8_t *seen, uint64_t *bytes, struct err *e) AL_WUR;

#endif
