#ifndef AIRLOCK_DECOMPRESS_H
#define AIRLOCK_DECOMPRESS_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

/*
 * Streaming decompression of an apt index (Packages.xz, .gz or plain)
 * through libarchive's raw format, for the deb822 reader.  Callers open a
 * file only after its size and SHA-256 matched the signed Release: this is
 * never the first thing to see untrusted bytes.  The output is capped, so
 * that a small compressed file cannot expand without bound.
 */
#define DECOMPRESS_MAX ((uint64_t)2 << 30)

struct decomp;

int decomp_open(struct decomp **out, const char *path, struct err *e) AL_WUR;
/* deb822_read_fn-compatible: bytes read, 0 at the end, <0 on error. */
ssize_t decomp_read(void *arg, void *p, size_t n, struct err *e);
void decomp_close(struct decomp *d);

#endif
